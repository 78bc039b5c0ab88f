"""The phrase scan every lexicon checker reads: which hits it reports, where, in what order."""

from __future__ import annotations

import pytest

from qc_engine.lexicon import Lexicon, PhraseIndex, parse_lexicon_lines


def _lexicon(normalizer, name: str, lines: list[str]) -> Lexicon:
    entries = parse_lexicon_lines(lines, source=f"{name}.txt", normalizer=normalizer)
    return Lexicon(name=name, path=f"{name}.txt", entries=tuple(entries))


@pytest.fixture()
def index(normalizer):
    hold = _lexicon(normalizer, "hold", ["稍等", "请稍等", "稍等一下", "等一下"])
    threat = _lexicon(normalizer, "threat", ["12315", "qq号", "差评"])
    short = _lexicon(normalizer, "short", ["不知道 | alone"])
    return PhraseIndex([hold, threat, short]), (hold, threat, short)


def _found(index: PhraseIndex, texts: list[str], roles: list[str]):
    scan = index.scan_texts(texts, roles)
    return {
        key: {i: [(h.start, h.end, h.entry.phrase) for h in hits] for i, hits in by_message.items()}
        for key, by_message in scan.items()
    }


def test_overlapping_phrases_are_all_reported_in_text_order(index):
    phrases, (hold, _, _) = index
    found = _found(phrases, ["亲请稍等一下哦"], ["agent"])
    assert found[id(hold)] == {
        0: [(1, 4, "请稍等"), (2, 4, "稍等"), (2, 6, "稍等一下"), (3, 6, "等一下")]
    }


def test_offsets_count_characters_not_bytes(index):
    """Characters beyond the BMP (an emoji a message kept) count as one, like Python's."""
    phrases, (hold, threat, _) = index
    found = _found(phrases, ["😀😀稍等", "给你差评😡"], ["agent", "customer"])
    assert found[id(hold)] == {0: [(2, 4, "稍等")]}
    assert found[id(threat)] == {1: [(2, 4, "差评")]}


def test_latin_and_digit_phrases_match_whole_tokens_only(index):
    phrases, (_, threat, _) = index
    texts = ["订单2023123156789", "打12315投诉你", "aqq号多少", "qq号多少", "12315"]
    found = _found(phrases, texts, ["customer"] * len(texts))
    assert found[id(threat)] == {1: [(1, 6, "12315")], 3: [(0, 3, "qq号")], 4: [(0, 5, "12315")]}


def test_alone_phrases_only_where_the_message_says_nothing_else(index):
    phrases, (_, _, short) = index
    texts = ["不知道哦", "这个我不知道怎么弄", "不知道"]
    found = _found(phrases, texts, ["agent"] * len(texts))
    assert found[id(short)] == {0: [(0, 3, "不知道")], 2: [(0, 3, "不知道")]}


def test_messages_without_hits_and_empty_texts_are_absent(index):
    phrases, _ = index
    assert _found(phrases, ["", "好的", "谢谢"], ["agent", "customer", "agent"]) == {}
