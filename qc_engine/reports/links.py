"""Links in reports and pushed messages: to a chat and to a stored report's three forms.

With a link secret configured (QC_REPORT_LINK_SECRET) a report link carries a signature, so
a manager can open it from a DingTalk, WeCom or Feishu group without an API key; the
signature covers the week and the shop and nothing else.
"""
from __future__ import annotations

import hashlib
import hmac
from urllib.parse import quote, urlencode


def chat_link(base_url: str | None, transcript_id: str) -> str:
    return f"{(base_url or '').rstrip('/')}/v1/transcripts/{quote(transcript_id, safe='')}"


def signature(secret: str, week: str, shop: str | None) -> str:
    message = f"weekly|{week}|{shop or ''}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()[:32]


def valid_signature(secret: str | None, week: str, shop: str | None, sig: str | None) -> bool:
    if not secret or not sig:
        return False
    return hmac.compare_digest(signature(secret, week, shop), sig)


def report_links(base_url: str | None, week: str, shop: str | None,
                 secret: str | None = None) -> dict[str, str]:
    """The JSON, HTML and Excel forms of a weekly report."""
    params = {"week": week} | ({"shop": shop} if shop else {})
    if secret:
        params["sig"] = signature(secret, week, shop)
    base = f"{(base_url or '').rstrip('/')}/v1/reports/weekly"
    query = urlencode(params)
    return {"json": f"{base}?{query}", "html": f"{base}.html?{query}",
            "xlsx": f"{base}.xlsx?{query}"}
