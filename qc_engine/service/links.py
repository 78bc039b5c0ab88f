"""Links in reports and pushed messages: to a chat (the desk's page of it, or the API's
JSON) and to a stored report's three forms.

With a link secret configured (QC_REPORT_LINK_SECRET) a report link carries a signature and
an expiry, so a manager can open it from a DingTalk, WeCom or Feishu group without an API
key until it expires (QC_REPORT_LINK_DAYS, default 30); it reads the report, it cannot
rebuild it.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from urllib.parse import quote, urlencode

if TYPE_CHECKING:
    from qc_engine.settings import Settings


def chat_link(base_url: str | None, transcript_id: str) -> str:
    """The API's JSON of a chat (`GET /v1/transcripts/<id>`, behind an API key)."""
    return f"{(base_url or '').rstrip('/')}/v1/transcripts/{quote(transcript_id, safe='')}"


def chat_page_link(base_url: str | None, transcript_id: str) -> str:
    """The desk's page of a chat (`/ui/chats/<id>`): what a person following a report's link
    can read, signed in to the desk, rather than the API's JSON that needs a key. By
    transcript, not by work item: a red line or a teaching case is one chat, which may have
    several work items (or, for a flag no one reviews, none)."""
    return f"{(base_url or '').rstrip('/')}/ui/chats/{quote(transcript_id, safe='')}"


@dataclass(frozen=True)
class LinkSigner:
    """Signs report links (QC_REPORT_LINK_SECRET) so that they open without an API key, for
    `days` (QC_REPORT_LINK_DAYS) from when they were issued. The signature covers the week,
    the shop and the expiry, and nothing else."""

    secret: str
    days: float = 30.0

    def expiry(self, now: datetime | None = None) -> int:
        moment = now or datetime.now(UTC)
        return int(moment.timestamp() + self.days * 86400)

    def sign(self, week: str, shop: str | None, expires: int) -> str:
        message = f"weekly|{week}|{shop or ''}|{expires}".encode()
        return hmac.new(self.secret.encode(), message, hashlib.sha256).hexdigest()[:32]

    def valid(
        self,
        week: str,
        shop: str | None,
        sig: str | None,
        exp: str | None,
        now: datetime | None = None,
    ) -> bool:
        """A link this signer issued, and not expired."""
        if not self.secret or not sig or not exp or not exp.isdigit() or len(exp) > 12:
            return False
        if not hmac.compare_digest(self.sign(week, shop, int(exp)), sig):
            return False
        return (now or datetime.now(UTC)).timestamp() < int(exp)


def link_signer(settings: Settings) -> LinkSigner | None:
    """The signer of the configured link secret and lifetime, or None without a secret."""
    if not settings.report_link_secret:
        return None
    return LinkSigner(settings.report_link_secret, settings.report_link_days)


def report_links(
    base_url: str | None,
    week: str,
    shop: str | None,
    signer: LinkSigner | None = None,
    now: datetime | None = None,
    expires: int | None = None,
) -> dict[str, str]:
    """The JSON, HTML and Excel forms of a weekly report; signed (and expiring) with a
    signer: `days` from now, or at `expires` (a link opened by a signed link hands on its
    own expiry, never a later one)."""
    params = {"week": week} | ({"shop": shop} if shop else {})
    if signer is not None:
        expires = signer.expiry(now) if expires is None else expires
        params["exp"] = str(expires)
        params["sig"] = signer.sign(week, shop, expires)
    base = f"{(base_url or '').rstrip('/')}/v1/reports/weekly"
    query = urlencode(params)
    return {
        "json": f"{base}?{query}",
        "html": f"{base}.html?{query}",
        "xlsx": f"{base}.xlsx?{query}",
    }
