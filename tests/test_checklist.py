from __future__ import annotations

import textwrap

import pytest

from qc_engine.checklist import parse_checklist
from qc_engine.engine import Engine, inspect
from qc_engine.errors import QCError
from qc_engine.transcript import transcript_from_dict

from .conftest import LEXICONS


def load(text, normalizer, tmp_path=None):
    return parse_checklist(
        textwrap.dedent(text),
        file="test.yaml",
        base_dir=tmp_path or LEXICONS,
        lexicon_dir=LEXICONS,
        normalizer=normalizer,
    )


def problems(text, normalizer, tmp_path=None):
    with pytest.raises(QCError) as info:
        load(text, normalizer, tmp_path)
    err = info.value
    return err, [(d.field, d.message) for d in err.details]


def test_every_problem_is_reported_with_item_and_field(normalizer):
    err, found = problems(
        """
        name: broken
        version: 1
        items:
          - id: a
            checker: phrase.nope
          - id: b
            checker: phrase.off_platform
            category: not_a_category
          - id: c
            checker: phrase.off_platform
            params: {lexicons: [missing.txt]}
          - id: d
            checker: phrase.off_platform
            params: {colour: red}
          - id: e
            checker: phrase.off_platform
            severity: fatal
          - id: e
            checker: phrase.off_platform
    """,
        normalizer,
    )
    assert err.file == "test.yaml" and err.code == "E201"
    fields = [f for f, _ in found]
    assert "items[0] (a).checker" in fields
    assert "items[1] (b).category" in fields
    assert any(f and f.startswith("items[2] (c).params") for f in fields)
    assert "items[3] (d).params.colour" in fields
    assert "items[4] (e).severity" in fields
    assert any("duplicate item id" in m for _, m in found)
    assert "missing.txt" in str(err)


def test_yaml_syntax_error_names_the_line(normalizer):
    err, _ = problems("name: x\nversion: 1\nitems: [\n  - id: a\n", normalizer)
    assert err.code == "E200" and err.line is not None


def test_bad_regex_is_rejected_not_run(normalizer):
    _err, found = problems(
        """
        name: x
        version: 1
        items:
          - id: slow
            checker: rule
            params:
              when: {role: agent, regex: '(a+)+\\1'}
    """,
        normalizer,
    )
    assert any("RE2" in m for _, m in found)


def test_catastrophic_pattern_runs_in_linear_time(normalizer):
    checklist = load(
        """
        name: x
        version: 1
        items:
          - id: evil
            checker: rule
            category: rude
            params:
              when: {role: agent, regex: '(a+)+$'}
    """,
        normalizer,
    )
    text = "a" * 5000 + "!"
    transcript = transcript_from_dict({"id": "t", "messages": [{"role": "agent", "text": text}]})
    assert inspect(transcript, checklist).flags == []


def test_bad_lexicon_line_names_file_and_line(normalizer, tmp_path):
    (tmp_path / "mine.txt").write_text("好词\n坏词 | colour: red\n", encoding="utf-8")
    err, _found = problems(
        """
        name: x
        version: 1
        items:
          - id: mine
            checker: phrase.off_platform
            params: {lexicons: [mine.txt]}
    """,
        normalizer,
        tmp_path,
    )
    detail = err.details[0]
    assert detail.line == 2 and detail.file.endswith("mine.txt") and "colour" in detail.message


def test_rule_condition_errors_are_precise(normalizer):
    _err, found = problems(
        """
        name: x
        version: 1
        items:
          - id: r
            checker: rule
            params:
              when: {role: agent, keyword: {any: [a]}, regex: b}
    """,
        normalizer,
    )
    assert any("exactly one" in m for _, m in found)


def chat(*texts, status=None):
    messages = [{"role": role, "text": text} for role, text in texts]
    data = {"id": "t", "messages": messages}
    if status:
        data["order_status"] = status
    return transcript_from_dict(data)


def test_scoring_deducts_and_red_lines_fail(normalizer):
    checklist = load(
        """
        name: s
        version: 3
        pass_score: 80
        items:
          - id: superlative
            checker: rule
            category: ad_law_words
            points: 15
            params: {when: {role: agent, keyword: {any: [全网第一]}}}
          - id: wechat
            checker: phrase.off_platform
    """,
        normalizer,
    )
    clean = inspect(chat(("agent", "您好")), checklist)
    assert (clean.score, clean.passed, clean.checklist) == (100, True, "s@3")
    deducted = inspect(chat(("agent", "全网第一"), ("agent", "全网第一好")), checklist)
    assert (deducted.score, deducted.passed) == (70, False)
    assert [f.points for f in deducted.flags] == [15, 15]
    red = inspect(chat(("agent", "加我微信"), ("agent", "全网第一")), checklist)
    assert (red.score, red.passed) == (0, False)


def test_score_never_below_zero(normalizer):
    checklist = load(
        """
        name: s
        version: 1
        items:
          - id: any_agent
            checker: rule
            category: impatient
            points: 40
            params: {when: {role: agent, keyword: {any: [说]}}}
    """,
        normalizer,
    )
    result = inspect(chat(*[("agent", "说")] * 4), checklist)
    assert result.score == 0 and not result.passed


def test_one_flag_per_category_per_message_keeps_the_costlier(normalizer):
    checklist = load(
        """
        name: s
        version: 1
        items:
          - id: cheap
            checker: rule
            category: impatient
            points: 2
            params: {when: {role: agent, keyword: {any: [说了]}}}
          - id: dear
            checker: rule
            category: impatient
            points: 5
            params: {when: {role: agent, keyword: {any: [多少遍]}}}
    """,
        normalizer,
    )
    result = inspect(chat(("agent", "说了多少遍了")), checklist)
    assert [(f.rule, f.points) for f in result.flags] == [("rule.dear", 5)]


def test_item_scope_and_disabled_items(normalizer):
    checklist = load(
        """
        name: s
        version: 1
        items:
          - id: shipped_only
            checker: rule
            category: impatient
            when: {order_status: [shipped]}
            params: {when: {role: agent, keyword: {any: [自己看]}}}
          - id: off
            checker: phrase.off_platform
            enabled: false
    """,
        normalizer,
    )
    assert inspect(chat(("agent", "自己看加微信")), checklist).flags == []
    assert len(inspect(chat(("agent", "自己看"), status="shipped"), checklist).flags) == 1


def test_engine_selects_checklist_by_order_status(tmp_path):
    (tmp_path / "lexicons").symlink_to(LEXICONS)
    for name, scope in (
        ("default", ""),
        ("presale", "applies_to: {order_status: [none, unpaid]}"),
        ("aftersale", "applies_to: {order_status: [shipped, refunding]}"),
    ):
        (tmp_path / f"{name}.yaml").write_text(
            f"name: {name}\nversion: 2\n{scope}\nitems:\n"
            "  - id: wechat\n    checker: phrase.off_platform\n",
            encoding="utf-8",
        )
    engine = Engine.from_dir(tmp_path)
    assert engine.select(chat(("agent", "x"), status="shipped")).name == "aftersale"
    assert engine.select(chat(("agent", "x"), status="unpaid")).name == "presale"
    assert engine.select(chat(("agent", "x"))).name == "presale"  # no status reads as none
    assert engine.select(chat(("agent", "x"), status="closed")).name == "default"
    assert engine.select(chat(("agent", "x")), "aftersale").name == "aftersale"
    with pytest.raises(QCError) as info:
        engine.select(chat(("agent", "x")), "nope")
    assert info.value.code == "E204"


def test_lexicon_names_resolve_only_in_their_folders(normalizer, tmp_path):
    """A checklist read from a file finds lexicons beside it or in the lexicon folder, by
    name; no path leaves them, a non-file is refused, and a huge file is not read whole."""
    from qc_engine import resources

    (tmp_path / "mine.txt").write_text("加我钉钉\n", encoding="utf-8")
    outside = tmp_path.parent / f"{tmp_path.name}-outside.txt"
    outside.write_text("秘密\n", encoding="utf-8")
    (tmp_path / "folder.txt").mkdir()
    (tmp_path / "big.txt").write_bytes(b"a\n" * (resources.LEXICON_MAX_BYTES // 2 + 1))

    def source(name):
        return f"""
            name: x
            version: 1
            items:
              - id: mine
                checker: phrase.off_platform
                params: {{lexicons: ["{name}"]}}
        """

    def fields(name):
        return problems(source(name), normalizer, tmp_path)[1]

    for name in ("../" + outside.name, str(outside), "folder.txt", "big.txt", "nope.txt"):
        found = fields(name)
        assert [f for f, _ in found] == ["items[0] (mine).params.lexicons[0]"], (name, found)
        said = str(found).replace(repr(name), "")  # the name given may be quoted back
        assert str(tmp_path) not in said and "秘密" not in said
    assert "larger than 4 MB" in str(fields("big.txt"))
    checklist = load(source("mine.txt"), normalizer, tmp_path)
    assert [lexicon.name for lexicon in checklist.resources.lexicons] == ["mine"]
