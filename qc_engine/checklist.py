"""Checklists: YAML files (qc_engine/checklists/) that say what to inspect and what it costs.

Loading validates everything (structure, checker names, categories, every parameter,
lexicon files, regular expressions) and reports all problems at once, each naming the file,
the item and the field.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from qc_engine.checkers import get_checker
from qc_engine.checkers.base import Checker
from qc_engine.errors import Code, QCError
from qc_engine.normalize import Normalizer
from qc_engine.resources import Resources
from qc_engine.taxonomy import CATEGORIES
from qc_engine.transcript import ORDER_STATUSES, Transcript

_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's parser when present


class _Yaml12Loader(_BaseLoader):  # type: ignore[misc,valid-type]
    """SafeLoader with YAML 1.2 booleans: only true/false, so `id: off` or a lexicon word
    `no` stays a string instead of silently becoming False."""


_Yaml12Loader.yaml_implicit_resolvers = {
    key: [(tag, regex) for tag, regex in resolvers if tag != "tag:yaml.org,2002:bool"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Yaml12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)


def load_yaml(text: str) -> Any:
    return yaml.load(text, Loader=_Yaml12Loader)  # noqa: S506 - a SafeLoader subclass


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Scope(_Strict):
    """Which transcripts a checklist or an item applies to; an empty list means any."""

    order_status: list[str] = []
    channel: list[str] = []

    def matches(self, transcript: Transcript) -> bool:
        if self.order_status and (transcript.order_status or "none") not in self.order_status:
            return False
        return not (self.channel and transcript.channel not in self.channel)

    def specificity(self) -> int:
        return bool(self.order_status) + bool(self.channel)


class CategoryCost(_Strict):
    severity: Literal["red_line", "deduct"] | None = None
    points: int | None = Field(default=None, ge=0, le=100)


class ItemSpec(_Strict):
    id: str = Field(pattern=r"^[a-z0-9_.-]+$")
    checker: str
    category: str | None = None
    severity: Literal["red_line", "deduct"] | None = None
    points: int | None = Field(default=None, ge=0, le=100)
    enabled: bool = True
    when: Scope = Scope()
    title: str | None = None
    params: dict[str, Any] = {}
    categories: dict[str, CategoryCost] = {}
    """For checkers that raise several categories (the trained models): severity and
    points per category; a category not listed costs its taxonomy default."""


class ReviewPolicy(_Strict):
    """Which flags become work items for a human. Red lines always do; customer signals
    never do (they raise the chat's priority instead)."""

    deductions: bool = True
    """Deduction flags get a work item (those of at least `min_points`)."""
    min_points: int = Field(default=1, ge=0)
    model_confidence_below: float | None = Field(default=None, gt=0, le=1)
    """Model flags get a work item only below this confidence (above it they are trusted)."""


class ChecklistSpec(_Strict):
    name: str = Field(pattern=r"^[a-z0-9_-]+$")
    version: int = Field(ge=1)
    title: str = ""
    description: str = ""
    applies_to: Scope = Scope()
    pass_score: int = Field(default=60, ge=0, le=100)
    segmenter: Literal["rjieba", "jieba"] = "rjieba"
    review: ReviewPolicy = ReviewPolicy()
    items: list[ItemSpec] = Field(min_length=1)


@dataclass
class Item:
    spec: ItemSpec
    checker: Checker
    category: str
    severity: str
    points: int
    rule: str

    def cost_of(self, category: str) -> tuple[str, int]:
        """Severity and points of a flag in another category than the item's own."""
        default = CATEGORIES[category]
        cost = self.spec.categories.get(category)
        if cost is None:
            return default.severity, default.points
        return (
            cost.severity or default.severity,
            cost.points if cost.points is not None else default.points,
        )


@dataclass
class Checklist:
    spec: ChecklistSpec
    items: list[Item]
    resources: Resources
    path: str
    digest: str

    @property
    def name(self) -> str:
        return self.spec.name

    @cached_property
    def label(self) -> str:
        """How a result names the checklist that produced it: name@version."""
        return f"{self.spec.name}@{self.spec.version}"

    @cached_property
    def plan(self) -> list[tuple[Item, Checker, Scope | None]]:
        """What scoring runs, worked out once (a checklist does not change once loaded):
        each enabled item, its checker, and its scope (None: an empty scope, which
        matches every transcript)."""
        return [
            (
                item,
                item.checker,
                item.spec.when if item.spec.when.order_status or item.spec.when.channel else None,
            )
            for item in self.items
            if item.spec.enabled
        ]


def _pydantic_errors(exc: ValidationError, *, file: str, prefix: str) -> list[QCError]:
    errors = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"])
        field = f"{prefix}.{loc}" if prefix and loc else (prefix or loc)
        errors.append(QCError(Code.E201, err["msg"], file=file, field=field or None))
    return errors


def _item_label(index: int, raw: Any) -> str:
    ident = raw.get("id") if isinstance(raw, dict) else None
    return f"items[{index}] ({ident})" if ident else f"items[{index}]"


def parse_checklist(
    text: str,
    *,
    file: str,
    base_dir: Path | None,
    lexicon_dir: Path,
    normalizer: Normalizer,
    lexicons: Mapping[str, str] | None = None,
    lexicons_only: bool = False,
) -> Checklist:
    """Parse and validate a checklist's YAML text; raise one QCError listing every problem.
    A lexicon is read from `lexicons` (name -> text: the lexicons a stored version carries)
    when it is there, else (unless `lexicons_only`) its name resolves in `base_dir` (the
    folder of a checklist read from a file; None for one that came over the API) and then
    in `lexicon_dir`. `checklist.resources.read_texts` says what was read."""
    from qc_engine.segment import Segmenter

    try:
        data = load_yaml(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise QCError(
            Code.E200, f"not valid YAML: {getattr(exc, 'problem', exc)}", file=file, line=line
        ) from None
    if not isinstance(data, dict):
        raise QCError(
            Code.E200, "a checklist must be a YAML mapping with name, version and items", file=file
        )
    problems: list[QCError] = []
    raw_items = data.get("items")
    head = {k: v for k, v in data.items() if k != "items"}
    try:
        spec_head = ChecklistSpec.model_validate({**head, "items": [{"id": "x", "checker": "x"}]})
    except ValidationError as exc:
        problems.extend(_pydantic_errors(exc, file=file, prefix=""))
        spec_head = None
    if not isinstance(raw_items, list) or not raw_items:
        problems.append(
            QCError(Code.E201, "needs a list of at least one item", file=file, field="items")
        )
        raw_items = []
    for status in spec_head.applies_to.order_status if spec_head else []:
        if status not in ORDER_STATUSES:
            problems.append(
                QCError(
                    Code.E201,
                    f"unknown order status {status!r}",
                    file=file,
                    field="applies_to.order_status",
                )
            )
    segmenter_name = spec_head.segmenter if spec_head else "rjieba"
    user_dict = lexicon_dir / "user_dict.txt"
    resources = Resources(
        normalizer=normalizer,
        base_dir=base_dir,
        lexicon_dir=lexicon_dir,
        segmenter_factory=lambda: Segmenter(
            user_dict=user_dict if user_dict.exists() else None, engine=segmenter_name
        ),
        lexicon_texts=lexicons,
        texts_only=lexicons_only,
    )
    items: list[Item] = []
    seen_ids: set[str] = set()
    for index, raw in enumerate(raw_items):
        label = _item_label(index, raw)
        raw_id = raw.get("id") if isinstance(raw, dict) else None
        if isinstance(raw_id, str):
            if raw_id in seen_ids:
                problems.append(
                    QCError(Code.E201, f"duplicate item id {raw_id!r}", file=file, field=label)
                )
            seen_ids.add(raw_id)
        try:
            item_spec = ItemSpec.model_validate(raw)
        except ValidationError as exc:
            problems.extend(_pydantic_errors(exc, file=file, prefix=label))
            continue
        checker_cls = get_checker(item_spec.checker)
        if checker_cls is None:
            problems.append(
                QCError(
                    Code.E201,
                    f"unknown checker {item_spec.checker!r} (see `qc explain --list`)",
                    file=file,
                    field=f"{label}.checker",
                )
            )
            continue
        category_code = item_spec.category or checker_cls.category
        category = CATEGORIES.get(category_code)
        if category is None:
            problems.append(
                QCError(
                    Code.E201,
                    f"unknown category {category_code!r}; expected one of the codes in taxonomy.md",
                    file=file,
                    field=f"{label}.category",
                )
            )
            continue
        for code in item_spec.categories:
            if code not in CATEGORIES:
                problems.append(
                    QCError(
                        Code.E201,
                        f"unknown category {code!r}",
                        file=file,
                        field=f"{label}.categories",
                    )
                )
        for status in item_spec.when.order_status:
            if status not in ORDER_STATUSES:
                problems.append(
                    QCError(
                        Code.E201,
                        f"unknown order status {status!r}",
                        file=file,
                        field=f"{label}.when.order_status",
                    )
                )
        try:
            params = checker_cls.Params.model_validate(item_spec.params)
        except ValidationError as exc:
            problems.extend(_pydantic_errors(exc, file=file, prefix=f"{label}.params"))
            continue
        try:
            checker = checker_cls(params, resources)
        except QCError as exc:
            exc.field = f"{label}.params" + (f".{exc.field}" if exc.field else "")
            if exc.file is None:
                exc.file = file
            problems.append(exc)
            continue
        items.append(
            Item(
                spec=item_spec,
                checker=checker,
                category=category.code,
                severity=item_spec.severity or category.severity,
                points=item_spec.points if item_spec.points is not None else category.points,
                rule=checker.rule_name(item_spec.id),
            )
        )
    if problems:
        raise QCError(
            Code.E201, f"{len(problems)} problem(s) in the checklist", file=file, details=problems
        )
    assert spec_head is not None
    spec = ChecklistSpec.model_validate({**head, "items": [i.spec.model_dump() for i in items]})
    resources.freeze()
    for item in items:
        item.checker.bind(resources.phrase_index)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]
    return Checklist(spec=spec, items=items, resources=resources, path=file, digest=digest)


def load_checklist(path: Path, *, lexicon_dir: Path, normalizer: Normalizer) -> Checklist:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise QCError(Code.E200, f"cannot read checklist: {reason}", file=str(path)) from None
    return parse_checklist(
        text, file=str(path), base_dir=path.parent, lexicon_dir=lexicon_dir, normalizer=normalizer
    )
