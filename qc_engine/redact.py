"""Redaction of personal information (QC_REDACT): ID numbers, mobile and landline numbers,
full addresses (the `sensitive_info` detectors) and bank card numbers (16-19 digits passing
the Luhn check, not an order or tracking number) are masked in message texts and flag
evidence. A masked span keeps its length (one `*` per character), so every flag's span and
message index stay right."""
from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence

from qc_engine.checkers.sensitive_info import find_personal
from qc_engine.normalize import Normalizer
from qc_engine.result import Result
from qc_engine.transcript import Transcript

MASK = "*"
_CARD = re.compile(r"(?<![0-9a-z])(?:[0-9][ -]?){15,18}[0-9](?![0-9a-z])")
_SEPARATORS = re.compile(r"[ -]")
# Before a long number, words that make it an order, tracking or item number, not a card.
_NOT_A_CARD = ("订单", "单号", "运单", "快递", "物流", "编号", "货号", "交易号", "流水号", "条码")


def _luhn(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def personal_spans(text: str, normalizer: Normalizer) -> list[tuple[int, int]]:
    """The spans (original coordinates) of personal information in a message text."""
    norm = normalizer.normalize(text)
    found = [(start, end) for _, start, end in find_personal(norm.text)]
    for match in _CARD.finditer(norm.text):
        digits = _SEPARATORS.sub("", match.group())
        before = norm.text[max(0, match.start() - 12):match.start()]
        if 16 <= len(digits) <= 19 and _luhn(digits) and \
                not any(word in before for word in _NOT_A_CARD):
            found.append((match.start(), match.end()))
    spans = []
    for start, end in sorted(found):
        original = norm.to_original(start, end)
        if original is not None:
            spans.append(original)
    return spans


def _masked(text: str, spans: Sequence[tuple[int, int]]) -> str:
    chars = list(text)
    for start, end in spans:
        for i in range(start, min(end, len(chars))):
            if not chars[i].isspace():
                chars[i] = MASK
    return "".join(chars)


def redact(transcript: Transcript, result: Result,
           normalizer: Normalizer) -> tuple[Transcript, Result, int]:
    """The transcript and result with personal information masked in message texts and in
    flag evidence, and how many spans were masked."""
    secrets: list[str] = []
    messages = []
    for message in transcript.messages:
        spans = personal_spans(message.text, normalizer)
        if spans:
            secrets += [message.text[start:end] for start, end in spans]
            message = dataclasses.replace(message, text=_masked(message.text, spans))
        messages.append(message)
    if not secrets:
        return transcript, result, 0
    ordered = sorted(set(secrets), key=len, reverse=True)

    def clean(evidence: str) -> str:
        for secret in ordered:
            if secret in evidence:
                evidence = evidence.replace(secret, _masked(secret, [(0, len(secret))]))
        return evidence

    flags = [dataclasses.replace(flag, evidence=clean(flag.evidence)) for flag in result.flags]
    return (dataclasses.replace(transcript, messages=messages),
            dataclasses.replace(result, flags=flags), len(secrets))


def redact_result(transcript: Transcript, result: Result, normalizer: Normalizer) -> Result:
    return redact(transcript, result, normalizer)[1]


