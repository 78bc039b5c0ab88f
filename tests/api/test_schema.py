"""The OpenAPI schema tells the truth: a bounded property-based run of every operation
against the running app (schemathesis over ASGI, on SQLite, and on PostgreSQL where its URL
is set), with a lead's key, on schema-valid and schema-invalid requests: no answer is a
5xx, every status the service sends is one the schema declares, and a request the schema
calls invalid is refused. (Not checked: that every schema-valid request is accepted; some
validity is not a schema's to say: a cursor this API gave out, a checklist that exists, a
YAML document that is a checklist, an ISO week that exists.)"""
from __future__ import annotations

import pytest

schemathesis = pytest.importorskip("schemathesis", reason="schemathesis is a test extra")

from .support import prepared  # noqa: E402

EXAMPLES = 10  # per operation and mode: bounded, seconds for the whole API


def test_every_operation_answers_as_its_schema_says(api):
    from hypothesis import HealthCheck, given, settings
    from schemathesis.checks import not_a_server_error
    from schemathesis.generation import GenerationMode
    from schemathesis.specs.openapi.checks import (
        negative_data_rejection,
        status_code_conformance,
    )

    qc = prepared(api)
    schema = schemathesis.openapi.from_asgi("/openapi.json", api.app)
    headers = {"Authorization": f"Bearer {qc.api.keys['lead']}"}
    checks = [not_a_server_error, status_code_conformance, negative_data_rejection]
    failures: dict[str, str] = {}
    calls: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        if not operation.path.startswith("/v1/"):
            continue  # /healthz, /readyz: nothing to vary
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            label = f"{operation.label} ({mode.value})"
            strategy = operation.as_strategy(generation_mode=mode)

            @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                      suppress_health_check=list(HealthCheck))
            @given(strategy)
            def run(case):
                calls.append(label)
                try:
                    case.call_and_validate(headers=headers, checks=checks)
                except BaseException as exc:  # a failure group: reported below
                    failures.setdefault(label, str(exc)[:600])

            run()
    assert operations >= 25 and len(calls) >= 200, len(calls)
    assert not failures, "\n\n".join(f"{k}: {v}" for k, v in failures.items())
