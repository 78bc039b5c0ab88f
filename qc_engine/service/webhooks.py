"""Webhooks: the weekly summary and every new red-line work item, pushed to group robots.

Nothing here is sent while a chat is inspected. Ingest only writes a `webhook_events` row in
its own transaction (`red_line_event`); the service's background task later fans each event
out to the configured targets (`dispatch`: one `webhook_deliveries` row per target) and
sends what is due (`deliver_due`), retrying with exponential backoff until the last attempt
fails. Claims are conditional UPDATEs, so several service processes never send one delivery
twice. Deliveries, with their last error, are listed by `list_deliveries` (the API's
GET /v1/webhooks/deliveries).

Formats: `generic` (our JSON, optionally signed with an HMAC header), and the group-robot
messages of DingTalk (钉钉, markdown, optional 加签), WeCom (企业微信, markdown) and Feishu
(飞书, rich-text post, optional 签名校验).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from qc_engine.clock import SHANGHAI
from qc_engine.db.models import WebhookDelivery, WebhookEvent
from qc_engine.errors import Code, QCError
from qc_engine.service.common import utcnow
from qc_engine.service.links import chat_link
from qc_engine.taxonomy import CATEGORIES

log = logging.getLogger("qc.webhooks")

EVENT_KINDS = ("red_line", "weekly_report")
FORMATS = ("generic", "dingtalk", "wecom", "feishu")
STATUSES = ("pending", "sending", "delivered", "failed")


# Configuration -------------------------------------------------------------------------


@dataclass(frozen=True)
class WebhookTarget:
    name: str
    format: str
    url: str
    secret: str | None = None
    events: tuple[str, ...] = EVENT_KINDS

    def redacted_url(self) -> str:
        """The URL without its query (DingTalk and WeCom keep the robot's token there)."""
        parts = urlsplit(self.url)
        return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def parse_targets(text: str | None) -> list[WebhookTarget]:
    """QC_WEBHOOKS: a JSON list of {"name", "format", "url", "secret"?, "events"?}, or the
    short form `format=url` entries separated by spaces, newlines or semicolons."""
    if not text or not text.strip():
        return []
    text = text.strip()
    entries: list[dict[str, Any]]
    if text.startswith("["):
        try:
            entries = json.loads(text)
        except json.JSONDecodeError as exc:
            raise QCError(Code.E610, f"QC_WEBHOOKS is not valid JSON: {exc}") from None
        if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
            raise QCError(Code.E610, "QC_WEBHOOKS must be a JSON list of objects")
    else:
        entries = []
        for part in text.replace(";", " ").split():
            kind, sep, address = part.partition("=")
            if not sep:
                raise QCError(Code.E610, f"a webhook is written format=url, not {part!r}")
            entries.append({"format": kind, "url": address})
    targets: list[WebhookTarget] = []
    for number, entry in enumerate(entries, 1):
        kind = str(entry.get("format", "generic")).lower()
        url: Any = entry.get("url")
        if kind not in FORMATS:
            raise QCError(
                Code.E610,
                f"webhook {number}: format must be one of {', '.join(FORMATS)}, not {kind!r}",
            )
        if not isinstance(url, str) or urlsplit(url).scheme not in ("http", "https"):
            raise QCError(Code.E610, f"webhook {number}: an http(s) url is required")
        events = tuple(entry.get("events") or EVENT_KINDS)
        unknown = [e for e in events if e not in EVENT_KINDS]
        if unknown:
            raise QCError(
                Code.E610,
                f"webhook {number}: unknown events {unknown}; known: {', '.join(EVENT_KINDS)}",
            )
        name = str(entry.get("name") or f"{kind}-{number}")
        secret = entry.get("secret")
        targets.append(
            WebhookTarget(
                name=name,
                format=kind,
                url=url,
                secret=str(secret) if secret else None,
                events=events,
            )
        )
    names = [t.name for t in targets]
    if len(set(names)) != len(names):
        raise QCError(Code.E610, "webhook names must be unique")
    return targets


@dataclass(frozen=True)
class DeliveryPolicy:
    max_attempts: int = 8
    backoff_seconds: float = 30.0
    """The wait after the first failure; each later one is four times longer."""
    max_backoff_seconds: float = 3600.0
    timeout_seconds: float = 10.0
    per_minute: int | None = 20
    """At most this many messages per target per minute (DingTalk and WeCom robots take 20);
    the rest wait for the next tick. Counted per process from the database, so several
    processes may together go a little over."""

    def delay(self, attempts: int) -> float:
        return float(
            min(self.max_backoff_seconds, self.backoff_seconds * 4 ** max(0, attempts - 1))
        )


# Events --------------------------------------------------------------------------------


def _get(source: Any, name: str) -> Any:
    return source[name] if isinstance(source, Mapping) else getattr(source, name)


def red_line_event(transcript: Any, flag: Any, *, now: datetime) -> dict[str, Any]:
    """The event row of a new red-line work item (`transcript` and `flag` are rows or the
    dicts ingest builds them from)."""
    transcript_id = _get(transcript, "id")
    category = _get(flag, "category")
    started = _get(transcript, "started_at")
    return {
        "kind": "red_line",
        "key": f"red_line:{transcript_id}:{_get(flag, 'fingerprint')}"[:300],
        "created_at": now,
        "dispatched_at": None,
        "payload": {
            "transcript_id": transcript_id,
            "shop": _get(transcript, "shop"),
            "agent": _get(transcript, "agent"),
            "channel": _get(transcript, "channel"),
            "started_at": started.astimezone(SHANGHAI).isoformat() if started else None,
            "category": category,
            "category_name": CATEGORIES[category].name_zh if category in CATEGORIES else category,
            "rule": _get(flag, "rule"),
            "message_index": _get(flag, "message_index"),
            "evidence": _get(flag, "evidence"),
        },
    }


def weekly_report_event(report: dict[str, Any], *, now: datetime) -> WebhookEvent:
    """The event of a generated weekly report: its headline figures and links."""
    summary = report.get("summary", {})
    return WebhookEvent(
        kind="weekly_report",
        key=f"weekly_report:{report['week']}:{report.get('shop') or ''}",
        created_at=now,
        dispatched_at=None,
        payload={
            "week": report["week"],
            "shop": report.get("shop"),
            "label": report["period"]["label"],
            "empty": report["empty"],
            "summary": summary,
            "links": report.get("links", {}),
        },
    )


# Message bodies -------------------------------------------------------------------------


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def message_lines(
    kind: str, payload: dict[str, Any], *, base_url: str | None
) -> tuple[str, list[str], tuple[str, str]]:
    """Title, lines and (link text, link) of an event, in Simplified Chinese."""
    if kind == "red_line":
        started = payload.get("started_at")
        when = started[:16].replace("T", " ") if started else "时间未知"
        evidence = str(payload.get("evidence") or "")
        lines = [
            f"店铺：{payload.get('shop') or '未知'}",
            f"客服：{payload.get('agent') or '未知'}",
            f"会话：{payload['transcript_id']}（{when}）",
            f"证据：{evidence[:200]}",
        ]
        return (
            f"质检红线预警：{payload.get('category_name')}",
            lines,
            ("查看会话", chat_link(base_url, payload["transcript_id"])),
        )
    summary = payload.get("summary") or {}
    shop = payload.get("shop")
    title = f"质检周报 {payload.get('label')}" + (f" · {shop}" if shop else " · 全部店铺")
    link = ("查看完整周报", (payload.get("links") or {}).get("html", ""))
    if payload.get("empty"):
        return title, ["本周没有质检数据。"], link
    lines = [
        f"质检会话：{summary.get('chats', 0):,}（上周 {summary.get('previous_chats', 0):,}）",
        (
            f"合格率：{_pct(summary.get('pass_rate'))}（上周 "
            f"{_pct(summary.get('previous_pass_rate'))}）"
        ),
        f"平均分：{summary.get('mean_score', '—')}",
        f"红线：{summary.get('red_lines', 0)} 起",
    ]
    if summary.get("top_categories"):
        lines.append(
            "问题最多：" + "、".join(f"{c['name']} {c['flags']}" for c in summary["top_categories"])
        )
    if summary.get("coaching"):
        lines.append("建议辅导：" + "、".join(summary["coaching"]))
    return title, lines, link


def _markdown(title: str, lines: list[str], link: tuple[str, str]) -> str:
    body = "\n".join(f"- {line}" for line in lines)
    return f"### {title}\n{body}\n\n[{link[0]}]({link[1]})"


def render(
    target: WebhookTarget,
    kind: str,
    payload: dict[str, Any],
    *,
    base_url: str | None,
    now: datetime | None = None,
) -> tuple[str, bytes, dict[str, str]]:
    """The URL, body and headers of one event for one target."""
    title, lines, link = message_lines(kind, payload, base_url=base_url)
    url = target.url
    headers = {"Content-Type": "application/json; charset=utf-8"}
    stamp = (now or utcnow()).timestamp()
    body: dict[str, Any]
    if target.format == "dingtalk":
        body = {
            "msgtype": "markdown",
            "markdown": {"title": title, "text": _markdown(title, lines, link)},
        }
        if target.secret:
            millis = str(int(stamp * 1000))
            digest = hmac.new(
                target.secret.encode(), f"{millis}\n{target.secret}".encode(), hashlib.sha256
            ).digest()
            sign = quote(base64.b64encode(digest).decode(), safe="")
            url += ("&" if "?" in url else "?") + f"timestamp={millis}&sign={sign}"
    elif target.format == "wecom":
        body = {"msgtype": "markdown", "markdown": {"content": _markdown(title, lines, link)}}
    elif target.format == "feishu":
        content = [[{"tag": "text", "text": line}] for line in lines]
        content.append([{"tag": "a", "text": link[0], "href": link[1]}])
        body = {
            "msg_type": "post",
            "content": {"post": {"zh_cn": {"title": title, "content": content}}},
        }
        if target.secret:
            seconds = str(int(stamp))
            digest = hmac.new(f"{seconds}\n{target.secret}".encode(), b"", hashlib.sha256).digest()
            body = {"timestamp": seconds, "sign": base64.b64encode(digest).decode()} | body
    else:
        body = {
            "event": kind,
            "title": title,
            "text": "\n".join(lines),
            "link": link[1],
            "data": payload,
        }
    raw = json.dumps(body, ensure_ascii=False).encode("utf-8")
    if target.format == "generic":
        headers["X-QC-Event"] = kind
        if target.secret:
            headers["X-QC-Signature"] = (
                "sha256=" + hmac.new(target.secret.encode(), raw, hashlib.sha256).hexdigest()
            )
    return url, raw, headers


def refusal(target_format: str, status: int, text: str) -> str | None:
    """Why an answer is a failure, or None. The robots answer HTTP 200 with an error code
    in the body when they refuse a message (bad token, keyword missing, rate limit)."""
    if not 200 <= status < 300:
        return f"HTTP {status}: {text[:300]}"
    if target_format == "generic":
        return None
    try:
        answer = json.loads(text or "{}")
    except json.JSONDecodeError:
        return f"not a JSON answer: {text[:200]}"
    if not isinstance(answer, dict):
        return None
    code = answer.get("errcode", answer.get("code", answer.get("StatusCode", 0)))
    if code not in (0, "0", None):
        message = answer.get("errmsg") or answer.get("msg") or answer.get("StatusMessage")
        return f"refused: code {code}: {message}"
    return None


Sender = Callable[[str, bytes, dict[str, str], float], tuple[int, str]]


def http_post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> tuple[int, str]:
    # parse_targets admits http(s) URLs only (E610)
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:  # noqa: S310
            return answer.status, answer.read(65536).decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(65536).decode("utf-8", "replace")


# The queue -----------------------------------------------------------------------------


def dispatch(
    session: Session, targets: list[WebhookTarget], *, now: datetime | None = None, limit: int = 500
) -> int:
    """Fan undispatched events out to the targets that take them (caller commits); an event
    is taken by one process only. Returns the number of deliveries created."""
    now = now or utcnow()
    created = 0
    pending = list(
        session.execute(
            select(WebhookEvent.id, WebhookEvent.kind)
            .where(WebhookEvent.dispatched_at.is_(None))
            .order_by(WebhookEvent.id)
            .limit(limit)
        )
    )
    for event_id, kind in pending:
        taken = session.execute(
            update(WebhookEvent)
            .where(WebhookEvent.id == event_id, WebhookEvent.dispatched_at.is_(None))
            .values(dispatched_at=now)
            .execution_options(synchronize_session=False)
        )
        if taken.rowcount != 1:  # type: ignore[attr-defined]
            continue
        for target in targets:
            if kind in target.events:
                session.add(
                    WebhookDelivery(
                        event_id=event_id,
                        target=target.name,
                        format=target.format,
                        status="pending",
                        attempts=0,
                        next_attempt_at=now,
                        created_at=now,
                    )
                )
                created += 1
    return created


def _due(now: datetime) -> Any:
    return or_(
        and_(WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= now),
        and_(WebhookDelivery.status == "sending", WebhookDelivery.locked_until < now),
    )


@dataclass
class DeliveryRun:
    delivered: int = 0
    retried: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


def deliver_due(
    sessions: sessionmaker[Session],
    targets: list[WebhookTarget],
    *,
    policy: DeliveryPolicy = DeliveryPolicy(),
    base_url: str | None = None,
    send: Sender = http_post,
    now: Callable[[], datetime] = utcnow,
    limit: int = 50,
) -> DeliveryRun:
    """Send the deliveries that are due, each claimed first so no other process sends it."""
    run = DeliveryRun()
    by_name = {t.name: t for t in targets}
    moment = now()
    with sessions.begin() as session:
        due = list(
            session.execute(
                select(WebhookDelivery.id, WebhookDelivery.target)
                .where(_due(moment))
                .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
                .limit(limit)
            )
        )
        sent_lately: dict[str, int] = {
            name: int(count)
            for name, count in session.execute(
                select(WebhookDelivery.target, func.count())
                .where(WebhookDelivery.delivered_at >= moment - timedelta(minutes=1))
                .group_by(WebhookDelivery.target)
            )
        }
    for delivery_id, target_name in due:
        if policy.per_minute is not None and sent_lately.get(target_name, 0) >= policy.per_minute:
            continue
        started = now()
        with sessions.begin() as session:
            claimed = session.execute(
                update(WebhookDelivery)
                .where(WebhookDelivery.id == delivery_id, _due(started))
                .values(
                    status="sending",
                    locked_until=started + timedelta(seconds=policy.timeout_seconds * 3 + 30),
                )
                .execution_options(synchronize_session=False)
            )
            if claimed.rowcount != 1:  # type: ignore[attr-defined]
                continue
            delivery = session.get(WebhookDelivery, delivery_id)
            assert delivery is not None
            kind, payload = delivery.event.kind, dict(delivery.event.payload)
            attempts = delivery.attempts + 1
            target_name = delivery.target
        target = by_name.get(target_name)
        status: int | None = None
        if target is None:
            error: str | None = f"webhook {target_name!r} is no longer configured"
            attempts = policy.max_attempts
        else:
            try:
                url, body, headers = render(target, kind, payload, base_url=base_url, now=started)
                status, text = send(url, body, headers, policy.timeout_seconds)
                error = refusal(target.format, status, text)
            except Exception as exc:
                error = f"{type(exc).__name__}: {exc}"[:500]
        finished = now()
        values: dict[str, Any] = {"attempts": attempts, "last_status": status, "locked_until": None}
        if error is None:
            values |= {"status": "delivered", "delivered_at": finished, "last_error": None}
            run.delivered += 1
            sent_lately[target_name] = sent_lately.get(target_name, 0) + 1
        elif attempts >= policy.max_attempts:
            values |= {"status": "failed", "last_error": error}
            run.failed += 1
            run.errors.append(error)
            log.warning(
                "webhook delivery %s to %s failed for good: %s", delivery_id, target_name, error
            )
        else:
            values |= {
                "status": "pending",
                "last_error": error,
                "next_attempt_at": finished + timedelta(seconds=policy.delay(attempts)),
            }
            run.retried += 1
            run.errors.append(error)
        with sessions.begin() as session:
            session.execute(
                update(WebhookDelivery)
                .where(WebhookDelivery.id == delivery_id)
                .values(**values)
                .execution_options(synchronize_session=False)
            )
    return run


def _time(value: datetime | None) -> str | None:
    return value.astimezone(SHANGHAI).isoformat() if value is not None else None


def delivery_json(delivery: WebhookDelivery) -> dict[str, Any]:
    event = delivery.event
    return {
        "id": delivery.id,
        "event_id": event.id,
        "event": event.kind,
        "key": event.key,
        "target": delivery.target,
        "format": delivery.format,
        "status": delivery.status,
        "attempts": delivery.attempts,
        "last_status": delivery.last_status,
        "last_error": delivery.last_error,
        "next_attempt_at": _time(delivery.next_attempt_at)
        if delivery.status in ("pending", "sending")
        else None,
        "created_at": _time(delivery.created_at),
        "delivered_at": _time(delivery.delivered_at),
    }


def list_deliveries(
    session: Session,
    *,
    status: str | None = None,
    event: str | None = None,
    limit: int = 50,
    before_id: int | None = None,
) -> list[WebhookDelivery]:
    """Newest first."""
    query = select(WebhookDelivery).join(WebhookDelivery.event)
    if status:
        query = query.where(WebhookDelivery.status.in_(status.split(",")))
    if event:
        query = query.where(WebhookEvent.kind == event)
    if before_id:
        query = query.where(WebhookDelivery.id < before_id)
    return list(session.scalars(query.order_by(WebhookDelivery.id.desc()).limit(limit)))


def delivery_counts(session: Session) -> dict[str, int]:
    counts = dict(
        session.execute(
            select(WebhookDelivery.status, func.count()).group_by(WebhookDelivery.status)
        ).all()
    )
    undispatched = (
        session.scalar(
            select(func.count())
            .select_from(WebhookEvent)
            .where(WebhookEvent.dispatched_at.is_(None))
        )
        or 0
    )
    return {s: int(counts.get(s, 0)) for s in STATUSES} | {"events_waiting": int(undispatched)}


def retry(
    session: Session, delivery_id: int, *, now: datetime | None = None
) -> WebhookDelivery | None:
    """Send a failed (or pending) delivery again at once, with a fresh set of attempts."""
    delivery = session.get(WebhookDelivery, delivery_id)
    if delivery is None:
        return None
    if delivery.status in ("failed", "pending"):
        delivery.status, delivery.attempts = "pending", 0
        delivery.next_attempt_at = now or utcnow()
    return delivery
