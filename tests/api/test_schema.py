"""The OpenAPI schema tells the truth: a bounded property-based run of every operation
against the running app (schemathesis over ASGI, on SQLite, and on PostgreSQL where its URL
is set), with a lead's key: no answer is a 5xx, and every status the service sends is one
the schema declares."""
from __future__ import annotations

import pytest

schemathesis = pytest.importorskip("schemathesis", reason="schemathesis is a test extra")

from .support import prepared  # noqa: E402

EXAMPLES = 10  # per operation: bounded, a few seconds for the whole API


def test_every_operation_answers_as_its_schema_says(api):
    from hypothesis import HealthCheck, given, settings
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import status_code_conformance

    qc = prepared(api)
    schema = schemathesis.openapi.from_asgi("/openapi.json", api.app)
    headers = {"Authorization": f"Bearer {qc.api.keys['lead']}"}
    failures: dict[str, str] = {}
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        label = operation.label

        @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(operation.as_strategy())
        def run(case):
            try:
                case.call_and_validate(headers=headers,
                                       checks=[not_a_server_error, status_code_conformance])
            except Exception as exc:  # noqa: BLE001 - every failure is reported below
                failures.setdefault(label, str(exc)[:600])

        run()
    assert operations >= 25
    assert not failures, "\n\n".join(f"{k}: {v}" for k, v in failures.items())
