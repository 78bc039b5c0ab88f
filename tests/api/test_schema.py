"""The OpenAPI schema tells the truth: a bounded property-based run of every operation
against the running app (schemathesis over ASGI, on SQLite, and on PostgreSQL where its URL
is set), with a lead's key, on schema-valid and schema-invalid requests: no answer is a
5xx, every status the service sends is one the schema declares, a request the schema calls
invalid is refused, and a request it calls valid is accepted, unless the refusal is one of
the few a schema cannot say (docs/api.md, "What the schema cannot say"): each is listed in
SEMANTIC by its error code and field, so any other refusal still fails the test."""

from __future__ import annotations

import os

import pytest

schemathesis = pytest.importorskip("schemathesis", reason="schemathesis is a test extra")

from .support import prepared  # noqa: E402

# per operation and mode: bounded (seconds for the whole API); QC_SCHEMA_EXAMPLES=200 digs deeper
EXAMPLES = int(os.environ.get("QC_SCHEMA_EXAMPLES", "10"))

# (code, field) of the refusals of schema-valid requests that only the server can judge:
# docs/api.md lists the same, with why.
SEMANTIC = {
    ("E204", "checklist"),  # ?checklist= names no active checklist
    ("E422", "cursor"),  # a cursor this API did not give out
    ("E200", None),  # a YAML document that is not a checklist (also E201-E203)
    ("E201", None),
    ("E202", None),
    ("E203", None),
    ("E422", "week"),  # a year without an ISO week 53
    ("E422", "kind"),  # findings for an item that is not a sample
}
# E101 on a message time: out of range once converted to UTC (years 1 and 9999 only)


def _semantic(response) -> bool:
    if response.status_code != 422:
        return False
    try:
        error = response.json()["error"]
    except (ValueError, KeyError, TypeError):
        return False
    code, field = error.get("code"), error.get("field")
    if code == "E101" and (field or "").endswith(".ts") and "UTC" in error.get("message", ""):
        return True
    if code in {"E201", "E202", "E203"} or (code == "E200" and field is None):
        return True
    return (code, field) in SEMANTIC


def _accepted_unless_semantic(ctx, response, case):
    """positive_data_acceptance, but a refusal listed in SEMANTIC passes."""
    from schemathesis.specs.openapi.checks import positive_data_acceptance

    if _semantic(response):
        return True
    return positive_data_acceptance(ctx, response, case)


def _only_unsent_violations(case) -> bool:
    """Whether every schema violation of a negative case is one the server never sees: the
    Authorization header (the test sends a lead's key instead) and a changed type of a
    string query parameter (a query string has no types: `?agent=false` is the string)."""
    from schemathesis.core.parameters import ParameterLocation
    from schemathesis.generation.meta import FuzzingPhaseData

    data = case.meta.phase.data if case.meta is not None else None
    if not isinstance(data, FuzzingPhaseData) or not data.mutations:
        return False
    for mutation in data.mutations:
        location, name = mutation.parameter_location, mutation.parameter
        if location == ParameterLocation.HEADER and name == "Authorization":
            continue
        if location == ParameterLocation.QUERY and mutation.operator.name == "CHANGE_TYPE":
            value = (case.query or {}).get(name)
            parameter = case.operation.get_parameter_set(location).get(name)
            schema = parameter.definition.get("schema", {}) if parameter is not None else {}
            kinds = {s.get("type") for s in schema.get("anyOf", [schema])}
            if (
                kinds <= {"string", "null"}
                and isinstance(value, bool | int | float)
                and len(str(value)) <= schema.get("maxLength", 10**9)
            ):
                continue
        return False
    return True


def _refused_unless_unsent(ctx, response, case):
    """negative_data_rejection, but a case whose violations never reach the server as such
    may be accepted."""
    from schemathesis.specs.openapi.checks import negative_data_rejection

    if response.status_code < 300 and _only_unsent_violations(case):
        return True
    return negative_data_rejection(ctx, response, case)


def test_the_week_pattern_covers_the_years_reports_cover():
    import re

    from qc_engine.api.routes.reports import WEEK_PATTERN
    from qc_engine.weeks import FIRST_YEAR, LAST_YEAR

    pattern = re.compile(WEEK_PATTERN)
    years = [y for y in range(10_000) if pattern.match(f"{y:04d}-W01")]
    assert years == list(range(FIRST_YEAR, LAST_YEAR + 1))
    assert [w for w in range(100) if pattern.match(f"2026-W{w:02d}")] == list(range(1, 54))


def _explore(operation, mode, headers, checks, calls, failures) -> None:
    """Run the bounded examples of one operation in one mode; failures by label."""
    from hypothesis import HealthCheck, given, settings

    label = f"{operation.label} ({mode.value})"

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(operation.as_strategy(generation_mode=mode))
    def run(case):
        calls.append(label)
        try:
            case.call_and_validate(headers=headers, checks=checks)
        except BaseException as exc:  # a failure group: reported below
            failures.setdefault(label, str(exc)[:600])

    run()


def test_every_operation_answers_as_its_schema_says(api):
    from schemathesis.checks import not_a_server_error
    from schemathesis.generation import GenerationMode
    from schemathesis.specs.openapi.checks import status_code_conformance

    qc = prepared(api)
    schema = schemathesis.openapi.from_asgi("/openapi.json", api.app)
    headers = {"Authorization": f"Bearer {qc.api.keys['lead']}"}
    checks = [
        not_a_server_error,
        status_code_conformance,
        _refused_unless_unsent,
        _accepted_unless_semantic,
    ]
    failures: dict[str, str] = {}
    calls: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        if not operation.path.startswith("/v1/"):
            continue  # /healthz, /readyz: nothing to vary
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            _explore(operation, mode, headers, checks, calls, failures)
    assert operations >= 25 and len(calls) >= 200, len(calls)
    assert not failures, "\n\n".join(f"{k}: {v}" for k, v in failures.items())
