"""The sales channels a transcript names (`channel`, ../shared/spec/transcript-format.md) and
their Chinese names, one table for every place that shows a channel to people: the desk and
the weekly report. A channel not in the table is shown as it was sent."""

from __future__ import annotations

CHANNEL_ZH: dict[str, str] = {
    "taobao": "淘宝",
    "tmall": "天猫",
    "jd": "京东",
    "douyin": "抖音",
    "pdd": "拼多多",
    "wechat": "微信",
}


def channel_zh(channel: str | None) -> str | None:
    """The Chinese name of a channel; an unknown one as it is, None as None."""
    return CHANNEL_ZH.get(channel, channel) if channel is not None else None
