"""Helpers for the API tests: a fixed test checklist, chat builders and short HTTP calls.

The tests score against their own checklist (`apitest`, stored over the API at the start of
each test and named on every call) so that they do not move when the bundled checklists
gain items or new checklists take over some order statuses.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update

from qc_engine.db.models import AuditEntry, WorkItem

from ..conftest import CHECKLISTS

CHECKLIST = "apitest"

# One phrase per kind of flag the test checklist raises (taken from the checkers' examples).
RED_LINE = "亲，加我微信，私下给您便宜"  # off_platform: red line
DEDUCT_5 = "亲亲放心，我们家的面料是最好的哦~"  # ad_law_words: -5
DEDUCT_10 = "亲可以向市场监管部门反映的"  # regulator_mention: -10
COMPLAINT = "东西是坏的，不给退就给差评"  # complaint_risk: a customer signal
CLEAN = "亲亲您好，今天下午四点前统一发出哦[微笑]"


ITEMS = {
    "off_platform": "phrase.off_platform",
    "ad_law": "phrase.ad_law_words",
    "regulator": "phrase.regulator_mention",
    "complaint": "phrase.complaint_threat",
}


def checklist_yaml(
    version: int = 1, *, pass_score: int = 60, points: dict[str, int] | None = None, extra: str = ""
) -> str:
    """The test checklist; `points` overrides the points of items by id."""
    items = "".join(
        f"  - id: {ident}\n    checker: {checker}\n"
        + (f"    points: {points[ident]}\n" if ident in (points or {}) else "")
        for ident, checker in ITEMS.items()
    )
    return (
        f"name: {CHECKLIST}\nversion: {version}\ntitle: API test checklist\n"
        f"pass_score: {pass_score}\nitems:\n{items}{extra}"
    )


def chat(
    ident: str,
    *agent_lines: str,
    customer: str = "在吗？衣服什么时候发货",
    agent: str = "小美",
    shop: str = "Q女家旗舰店",
    channel: str = "taobao",
    **fields: Any,
) -> dict[str, Any]:
    """A transcript: one customer message, then the agent's lines (a clean reply if none)."""
    messages = [{"role": "customer", "text": customer}]
    messages += [{"role": "agent", "text": text} for text in (agent_lines or (CLEAN,))]
    return {
        "id": ident,
        "channel": channel,
        "shop": shop,
        "agent": agent,
        "messages": messages,
        **fields,
    }


def jsonl(*rows: dict[str, Any] | str) -> bytes:
    return "\n".join(
        r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in rows
    ).encode("utf-8")


class QC:
    """The `api` fixture with short calls; every ingest and score names the test checklist."""

    def __init__(self, api: Any) -> None:
        self.api = api
        self.client = api.client
        self.state = api.app.state.qc

    def auth(self, role: str) -> dict[str, str]:
        return self.api.as_(role)

    def install_checklist(self, version: int = 1, **kwargs: Any) -> Any:
        response = self.client.put(
            f"/v1/checklists/{CHECKLIST}",
            content=checklist_yaml(version, **kwargs).encode(),
            headers=self.auth("admin") | {"content-type": "application/yaml"},
        )
        assert response.status_code == 200, response.text
        return response.json()

    def score(self, transcript: Any, *, role: str = "service") -> Any:
        return self.client.post(
            "/v1/score", params={"checklist": CHECKLIST}, json=transcript, headers=self.auth(role)
        )

    def store(self, transcript: Any, *, role: str = "service") -> Any:
        return self.client.post(
            "/v1/transcripts",
            params={"checklist": CHECKLIST},
            json=transcript,
            headers=self.auth(role),
        )

    def stored(self, transcript: Any) -> dict[str, Any]:
        response = self.store(transcript)
        assert response.status_code == 200, response.text
        return response.json()  # type: ignore[no-any-return]

    def batch(
        self, body: bytes, *, role: str = "service", content_type: str = "application/x-ndjson"
    ) -> Any:
        return self.client.post(
            "/v1/transcripts",
            params={"checklist": CHECKLIST},
            content=body,
            headers=self.auth(role) | {"content-type": content_type},
        )

    def page(self, *, role: str = "lead", **params: Any) -> dict[str, Any]:
        response = self.client.get("/v1/work-items", params=params, headers=self.auth(role))
        assert response.status_code == 200, response.text
        return response.json()  # type: ignore[no-any-return]

    def items(self, *, role: str = "lead", **params: Any) -> list[dict[str, Any]]:
        return self.page(role=role, limit=500, **params)["items"]  # type: ignore[no-any-return]

    def item(self, item_id: int, *, role: str = "lead") -> dict[str, Any]:
        response = self.client.get(f"/v1/work-items/{item_id}", headers=self.auth(role))
        assert response.status_code == 200, response.text
        return response.json()  # type: ignore[no-any-return]

    def transcript(self, ident: str, *, role: str = "lead") -> dict[str, Any]:
        response = self.client.get(f"/v1/transcripts/{ident}", headers=self.auth(role))
        assert response.status_code == 200, response.text
        return response.json()  # type: ignore[no-any-return]

    def act(
        self,
        item_id: int,
        action: str,
        *,
        role: str = "specialist",
        version: int | None = None,
        **body: Any,
    ) -> Any:
        """POST an action; without `version`, the item's current version (read as a lead)."""
        if version is None:
            version = self.item(item_id)["version"]
        return self.client.post(
            f"/v1/work-items/{item_id}/{action}",
            json={"version": version, **body},
            headers=self.auth(role),
        )

    def done(
        self, item_id: int, action: str, *, role: str = "specialist", **body: Any
    ) -> dict[str, Any]:
        response = self.act(item_id, action, role=role, **body)
        assert response.status_code == 200, response.text
        return response.json()  # type: ignore[no-any-return]

    def flagged_item(self, ident: str, *lines: str, **fields: Any) -> dict[str, Any]:
        """Store a chat whose only work item is one flag; return that item."""
        self.stored(chat(ident, *(lines or (RED_LINE,)), **fields))
        (item,) = self.items(transcript_id=ident)
        return item

    def confirmed_item(self, ident: str, **fields: Any) -> dict[str, Any]:
        item = self.flagged_item(ident, **fields)
        self.done(item["id"], "claim")
        return self.done(item["id"], "confirm", note="确认：引导加微信")

    # Direct database access, for what the API does not show (audit log) or to move time.

    @contextmanager
    def db(self) -> Iterator[Any]:
        with self.state.sessions.begin() as session:
            yield session

    def audit(self, entity: str = "work_item", entity_id: object | None = None) -> list[AuditEntry]:
        with self.db() as session:
            query = select(AuditEntry).where(AuditEntry.entity == entity)
            if entity_id is not None:
                query = query.where(AuditEntry.entity_id == str(entity_id))
            rows = list(session.scalars(query.order_by(AuditEntry.id)))
            session.expunge_all()
            return rows

    def set_item_times(self, item_id: int, **values: datetime) -> None:
        with self.db() as session:
            session.execute(
                update(WorkItem)
                .where(WorkItem.id == item_id)
                .values(**values)
                .execution_options(synchronize_session=False)
            )


def prepared(api: Any) -> QC:
    qc = QC(api)
    qc.install_checklist()
    return qc


@dataclass
class Limits:
    max_body_bytes: int = 4000
    max_messages: int = 5
    max_message_chars: int = 50
    max_batch_lines: int = 3


@contextmanager
def app_with(database_url: str, **overrides: Any) -> Iterator[QC]:
    """An app of its own (not the `api` fixture) with some settings changed, on the
    test's database, with the same keys as the fixture and the test checklist stored."""
    from fastapi.testclient import TestClient

    from qc_engine.api.main import build_state, create_app
    from qc_engine.service.auth import create_key
    from qc_engine.settings import Settings

    from .conftest import Api

    settings = Settings(
        database_url=database_url, checklist_dir=CHECKLISTS, **({"sample_rate": 0.0} | overrides)
    )
    state = build_state(settings)
    keys = {}
    with state.sessions.begin() as session:
        for role in ("admin", "lead", "specialist", "service"):
            keys[role] = create_key(session, name=f"test-{role}", role=role)[1]
    app = create_app(settings, state=state)
    try:
        with TestClient(app, raise_server_exceptions=False) as client:
            qc = QC(Api(client=client, keys=keys, app=app))
            if not client.get(f"/v1/checklists/{CHECKLIST}", headers=qc.auth("admin")).is_success:
                qc.install_checklist()
            yield qc
    finally:
        state.sessions.kw["bind"].dispose()
