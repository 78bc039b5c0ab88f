"""The error catalogue (qc_engine.errors.Code) is the one owner of the codes: raise sites
name its members, never a bare "E123", and the docs mention no code it lacks."""

from __future__ import annotations

import ast
import json
import re

from qc_engine.errors import Code, QCError

from .conftest import ROOT

PACKAGE = ROOT / "qc_engine"
CODE = re.compile(r"E\d{3}")


def _sources():
    for path in sorted(PACKAGE.rglob("*.py")):
        if path != PACKAGE / "errors.py" and "migrations" not in path.parts:
            yield path, ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def test_a_member_is_its_code_string():
    for code in Code:
        assert code.name == code.value == str(code) == f"{code}"
        assert code.meaning and code.remedy
        assert "|" not in code.meaning + code.remedy  # docs/errors.md is a Markdown table
    error = QCError(Code.E101, "required: a non-empty string id", field="id")
    assert str(error).endswith("[E101]")
    assert json.dumps(error.to_dict()) == (
        '{"code": "E101", "message": "required: a non-empty string id", "field": "id"}'
    )


def test_no_raise_site_writes_a_code_as_a_string():
    found = []
    for path, tree in _sources():
        for node in ast.walk(tree):
            literal = (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and CODE.fullmatch(node.value)
            )
            built = (  # f"E{status}"
                isinstance(node, ast.JoinedStr)
                and isinstance(node.values[0], ast.Constant)
                and node.values[0].value == "E"
            )
            if literal or built:
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not found, f"name a member of qc_engine.errors.Code instead: {found}"


def test_every_code_of_the_catalogue_is_raised_somewhere():
    used = {
        node.attr
        for _, tree in _sources()
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id == "Code"
    }
    assert sorted(set(Code.__members__) - used) == []
    assert sorted(used - set(Code.__members__)) == []


def test_the_docs_mention_only_codes_of_the_catalogue():
    mentioned = {}
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for code in re.findall(r"\bE\d{3}\b", path.read_text(encoding="utf-8")):
            mentioned.setdefault(code, path.name)
    unknown = {code: name for code, name in mentioned.items() if code not in Code.__members__}
    assert unknown == {}
