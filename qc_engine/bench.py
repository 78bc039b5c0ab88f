"""`qc bench`: the engine benchmark on a generated, realistic mix of shop chats (the mix is
`qc_engine.chatgen.generate`). (About 610 lines: the measurements and the printout of one
run, which quote each other's figures.)

`main(args)` scores the mix with `Engine.score` on one core and prints throughput, per-stage
time, memory, and references measured in the same run on the same messages: the
Aho-Corasick floor (one automaton scan of every message with every lexicon phrase, by
pyahocorasick, and the lower one of the same scan by ahocorasick_rs), plain jieba and rjieba
segmentation, and JSON Lines parsing. pyahocorasick serves only this floor: it is the
optional `bench` extra (pip install 'qc-engine[bench]'), imported when the floor is measured.

Speed targets are printed by the benchmark, never asserted by tests.
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import json
import os
import platform
import resource
import sys
import time
import tracemalloc
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from qc_engine.chatgen import generate
from qc_engine.transcript import Transcript, transcript_from_dict


def _rss_mb() -> float:
    """Peak resident set size of this process so far (ru_maxrss: KiB on Linux)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def _native_threads() -> int | None:
    try:
        with open("/proc/self/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("Threads:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def _timed(run: Callable[[], Any], repeat: int) -> tuple[float, float]:
    """Best wall time of `repeat` runs, and the CPU time of that run."""
    best_wall, best_cpu = float("inf"), 0.0
    for _ in range(repeat):
        gc.collect()
        cpu0, wall0 = time.process_time(), time.perf_counter()
        run()
        wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
        if wall < best_wall:
            best_wall, best_cpu = wall, cpu
    return best_wall, best_cpu


def _each(function: Callable[[str], Any], texts: list[str]) -> None:
    """Call `function` on every text, keeping no result (as a streaming pipeline would)."""
    for text in texts:
        function(text)


def _score_all(engine: Any, mix: list[Transcript]) -> None:
    score = engine.score
    for transcript in mix:
        score(transcript)


def _phrases(engine: Any) -> list[str]:
    """Every phrase of every lexicon of the loaded checklists, once each."""
    seen: dict[str, None] = {}
    for checklist in engine.checklists.values():
        for lexicon in checklist.resources.lexicons:
            for entry in lexicon.entries:
                seen.setdefault(entry.phrase, None)
    return list(seen)


def _floor_scanner(phrases: list[str]) -> Callable[[list[str]], int]:
    """The Aho-Corasick floor: one pyahocorasick automaton holding every phrase, and a scan
    of texts with it that counts the hits. pyahocorasick is the optional `bench` extra,
    imported here only."""
    import ahocorasick

    automaton = ahocorasick.Automaton()
    for phrase in phrases:
        automaton.add_word(phrase, len(phrase))
    automaton.make_automaton()
    scan = automaton.iter

    def count(texts: list[str]) -> int:
        hits = 0
        for text in texts:
            for _ in scan(text):
                hits += 1
        return hits

    return count


def _reference_scan(
    scan: Callable[[list[str]], int], texts: list[str], repeat: int
) -> tuple[float, float, int]:
    """Wall and CPU seconds (best of `repeat`, after a warm-up) of a reference scan of every
    text, and the hits it counts."""
    scan(texts[:1000])
    wall, cpu = _timed(lambda: scan(texts), repeat)
    return wall, cpu, scan(texts)


def _rs_floor_scan(find: Callable[..., list[Any]], texts: list[str]) -> int:
    hits = 0
    for text in texts:
        hits += len(find(text, overlapping=True))
    return hits


def _rate(count: float, seconds: float) -> float:
    return count / seconds if seconds > 0 else float("inf")


def _fmt_rate(value: float) -> str:
    return f"{value:,.0f}"


# Transcripts per Engine.score_batch call in the rules + models measurement.
BATCH = 256


def measure(args: argparse.Namespace, out: Any = None) -> dict[str, Any]:
    """Run every measurement and print the report; return the figures."""
    out = out if out is not None else sys.stdout

    def say(line: str = "") -> None:
        out.write(line + "\n")
        out.flush()

    n = max(1, int(args.transcripts))
    seed = int(args.seed)
    repeat = max(1, int(args.repeat))
    figures: dict[str, Any] = {
        "command": f"qc bench -n {n} --seed {seed} --repeat {repeat}",
        "machine": {
            "cpus": os.cpu_count(),
            "usable_cpus": len(os.sched_getaffinity(0))
            if hasattr(os, "sched_getaffinity")
            else None,
            "python": platform.python_version(),
            "implementation": platform.python_implementation(),
            "platform": platform.platform(),
            "processor": platform.machine(),
        },
    }

    wall0 = time.perf_counter()
    from qc_engine.engine import Engine

    loaded = Engine.from_dir(args.checklists)
    # The rule pipeline: every item but the trained classifiers, whatever the checklists say;
    # "rules + models" below measures the same checklists with them on.
    engine = loaded.with_models(False)
    full = loaded.with_models(True)
    load_seconds = time.perf_counter() - wall0
    rss_loaded = _rss_mb()
    wall0 = time.perf_counter()
    mix = generate(n, seed)
    gen_seconds = time.perf_counter() - wall0
    texts = [m.text for t in mix for m in t.messages]
    messages = len(texts)
    per = [len(t.messages) for t in mix]
    statuses = Counter(t.order_status for t in mix)
    planted = Counter(c for t in mix for c in t.extra["synthetic"]["planted"])
    with_violation = sum(
        1 for t in mix if any(c != "complaint_threat" for c in t.extra["synthetic"]["planted"])
    )
    with_threat = planted["complaint_threat"]
    roles = Counter(m.role for t in mix for m in t.messages)
    jsonl = [json.dumps(t.to_dict(), ensure_ascii=False) for t in mix]
    jsonl_bytes = sum(len(line.encode("utf-8")) + 1 for line in jsonl)
    rss_mix = _rss_mb()
    # `qc score` streams: only the current transcript is alive. Keep the mix held here out of
    # the garbage collector's sight so that its full collections cost what they cost there.
    gc.collect()
    gc.freeze()
    figures["mix"] = {
        "transcripts": n,
        "seed": seed,
        "messages": messages,
        "messages_per_transcript": {
            "mean": round(messages / n, 2),
            "min": min(per),
            "max": max(per),
        },
        "characters": sum(len(t) for t in texts),
        "jsonl_mb": round(jsonl_bytes / 1e6, 2),
        "order_status": dict(statuses.most_common()),
        "roles": dict(roles.most_common()),
        "planted": dict(planted.most_common()),
        "share_with_planted_violation": round(with_violation / n, 4),
        "share_with_customer_threat": round(with_threat / n, 4),
        "generate_seconds": round(gen_seconds, 3),
    }
    threads = _native_threads()
    checklist_desc = ", ".join(
        f"{c.label} ({sum(1 for i in c.items if i.spec.enabled)} items)"
        for c in engine.checklists.values()
    )

    say(
        f"qc bench: {n:,} generated transcripts (seed {seed}), {messages:,} messages "
        f"({messages / n:.1f} per transcript, {min(per)}-{max(per)}), "
        f"{jsonl_bytes / 1e6:.1f} MB as JSON Lines"
    )
    say("  order status: " + ", ".join(f"{k} {v / n:.0%}" for k, v in statuses.most_common()))
    say("  roles: " + ", ".join(f"{k} {v / messages:.0%}" for k, v in roles.most_common()))
    say(
        f"  planted: an agent violation in {with_violation / n:.1%} of transcripts, a customer "
        f"threat in {with_threat / n:.1%} ("
        + ", ".join(f"{k} {v}" for k, v in planted.most_common())
        + ")"
    )
    say(
        f"  generated in {gen_seconds:.1f} s; engine imported and loaded in {load_seconds:.2f} s: "
        f"{checklist_desc}"
    )
    say(
        f"ONE core: everything is measured in this one Python thread, one call after the "
        f"other ({threads or '?'} native thread{'s' if threads != 1 else ''} in the process; "
        f"idle library pools aside, nothing runs in parallel), on a machine with "
        f"{os.cpu_count()} CPUs; Python {platform.python_version()} on {platform.machine()}"
    )
    say()

    # Warm-up: lazy loads (segmenter, spaCy vocabulary), first-call caches; also the flag
    # tally, outside any timed pass.
    flag_counts: Counter[str] = Counter()
    used: Counter[str] = Counter()
    flagged = failed = 0
    wall0 = time.perf_counter()
    for transcript in mix:
        result = engine.score(transcript)
        used[result.checklist] += 1
        flagged += bool(result.flags)
        failed += not result.passed
        flag_counts.update(f.category for f in result.flags)
    warm_seconds = time.perf_counter() - wall0

    engine_wall, engine_cpu = _timed(lambda: _score_all(engine, mix), repeat)
    tps, mps = _rate(n, engine_wall), _rate(messages, engine_wall)
    figures["engine"] = {
        "seconds": round(engine_wall, 4),
        "cpu_seconds": round(engine_cpu, 4),
        "warmup_seconds": round(warm_seconds, 4),
        "transcripts_per_s": round(tps, 1),
        "messages_per_s": round(mps, 1),
        "us_per_transcript": round(engine_wall / n * 1e6, 1),
        "checklists": checklist_desc,
        "flags": sum(flag_counts.values()),
        "flags_by_category": dict(flag_counts.most_common()),
        "transcripts_flagged": flagged,
        "transcripts_failed": failed,
        "checklist_use": dict(used.most_common()),
    }
    say(f"Engine.score over the mix (best of {repeat} after a warm-up pass)")
    # CPU time above wall time would mean work ran on a second core.
    cores = (
        "one core"
        if engine_cpu <= engine_wall * 1.02
        else "MORE than wall: something ran in parallel"
    )
    say(
        f"  {engine_wall:.3f} s wall ({engine_cpu:.3f} s CPU, {cores})   "
        f"{_fmt_rate(tps)} transcripts/s"
        f"   {_fmt_rate(mps)} messages/s   {engine_wall / n * 1e6:.0f} µs per transcript"
    )
    say("  checklists used: " + ", ".join(f"{k} {v / n:.0%}" for k, v in used.most_common()))
    say(
        f"  flags raised: {sum(flag_counts.values()):,} on {flagged:,} transcripts "
        f"({flagged / n:.1%}); {failed:,} failed. "
        + ", ".join(f"{k} {v}" for k, v in flag_counts.most_common())
    )
    say()

    timings: dict[str, float] = {}
    wall0 = time.perf_counter()
    for transcript in mix:
        engine.score(transcript, timings=timings)
    staged = time.perf_counter() - wall0
    other = max(0.0, staged - sum(timings.values()))
    stages = sorted(timings.items(), key=lambda kv: kv[1], reverse=True)
    figures["stages"] = {
        "pass_seconds": round(staged, 4),
        "by_stage": [
            {"stage": k, "seconds": round(v, 4), "share": round(v / staged, 4)} for k, v in stages
        ]
        + [{"stage": "(other)", "seconds": round(other, 4), "share": round(other / staged, 4)}],
    }
    say(f"Stages of the rule pipeline (one more pass with timings, {staged:.3f} s; % of that pass)")
    say(f"  {'stage':<36} {'seconds':>8} {'share':>7} {'µs/transcript':>14}")
    shown = stages[:12]
    for name, seconds in [*shown, ("(other: selection, flags, scoring)", other)]:
        say(f"  {name:<36} {seconds:>8.3f} {seconds / staged:>7.1%} {seconds / n * 1e6:>14.1f}")
    if len(stages) > len(shown):
        rest = sum(v for _, v in stages[len(shown) :])
        say(
            f"  {f'({len(stages) - len(shown)} more stages)':<36} {rest:>8.3f} "
            f"{rest / staged:>7.1%} {rest / n * 1e6:>14.1f}"
        )
    say(
        "  ('phrase scan': each chat's one scan of every message with the checklist's shared "
        "lexicons, which the lexicon checkers and their gates read)"
    )
    say()

    # Rules + models: the same checklists with the trained classifiers switched on, scored
    # in batches as `qc score` and ingest do (the classifiers run once per batch), and one
    # transcript per call as /v1/score does.
    model_items = sorted(
        {
            i.spec.id
            for c in full.checklists.values()
            for i in c.items
            if i.checker.source == "model"
        }
    )
    batches = [mix[i : i + BATCH] for i in range(0, n, BATCH)]

    def score_batches() -> None:
        for batch in batches:
            full.score_batch(batch)

    score_batches()  # warm-up: models loaded, n-gram tables built
    full_wall, full_cpu = _timed(score_batches, repeat)
    full_tps = _rate(n, full_wall)
    single_wall, _ = _timed(lambda: _score_all(full, mix), 1)
    model_timings: dict[str, float] = {}
    for batch in batches:
        full.score_batch(batch, timings=model_timings)
    model_seconds = {k: model_timings.get(k, 0.0) for k in model_items}
    figures["rules_and_models"] = {
        "model_items": model_items,
        "batch": BATCH,
        "seconds": round(full_wall, 4),
        "cpu_seconds": round(full_cpu, 4),
        "transcripts_per_s": round(full_tps, 1),
        "us_per_transcript": round(full_wall / n * 1e6, 1),
        "model_item_us_per_transcript": {
            k: round(v / n * 1e6, 1) for k, v in model_seconds.items()
        },
        "one_per_call_transcripts_per_s": round(_rate(n, single_wall), 1),
    }
    say(
        f"Rules + models: the same checklists with the trained classifiers on "
        f"({', '.join(model_items) or 'none'})"
    )
    say(
        f"  Engine.score_batch, {BATCH} transcripts per call (best of {repeat}): "
        f"{full_wall:.3f} s wall ({full_cpu:.3f} s CPU)   {_fmt_rate(full_tps)} transcripts/s"
        f"   {full_wall / n * 1e6:.0f} µs per transcript; the model items: "
        + ", ".join(f"{k} {v / n * 1e6:.0f} µs" for k, v in model_seconds.items())
    )
    say(
        f"  Engine.score, one transcript per call (as /v1/score): {single_wall:.3f} s   "
        f"{_fmt_rate(_rate(n, single_wall))} transcripts/s   {single_wall / n * 1e6:.0f} µs "
        "per transcript"
    )
    say()

    # References, on the same messages, in the same process. The short ones are repeated
    # more often: a scheduler hiccup would otherwise weigh on a 0.1 s measurement.
    cheap = max(repeat, 5)
    import ahocorasick_rs

    phrases = _phrases(engine)
    floor_wall = floor_cpu = rs_wall = rs_cpu = 0.0
    floor_hits = rs_hits = 0
    if phrases:
        floor_wall, floor_cpu, floor_hits = _reference_scan(_floor_scanner(phrases), texts, cheap)
        # The same scan with the library the engine scans with (ahocorasick_rs, a Rust
        # DFA): the least a phrase scan costs here, and so a second, lower floor.
        find = ahocorasick_rs.AhoCorasick(
            phrases, matchkind=ahocorasick_rs.MatchKind.Standard
        ).find_matches_as_indexes
        rs_wall, rs_cpu, rs_hits = _reference_scan(
            lambda some: _rs_floor_scan(find, some), texts, cheap
        )
    ratio = engine_wall / floor_wall if floor_wall > 0 else float("inf")
    rs_ratio = engine_wall / rs_wall if rs_wall > 0 else float("inf")
    # The engine's own phrase stage on the same messages: the PhraseIndex of the checklist
    # each transcript gets (all its lexicons in one automaton) over the normalised texts,
    # hits grouped per lexicon.
    normalize = engine.normalizer.normalize
    groups: dict[str, tuple[Any, list[str]]] = {}
    for transcript in mix:
        chosen = engine.select(transcript)
        _, group = groups.setdefault(chosen.name, (chosen.resources.phrase_index, []))
        group.extend(normalize(m.text).text for m in transcript.messages)

    def scan_all() -> None:
        for index, group in groups.values():
            _each(index.scan, group)

    scan_wall, scan_cpu = _timed(scan_all, cheap)
    scan_ratio = scan_wall / floor_wall if floor_wall > 0 else float("inf")
    figures["floor"] = {
        "phrases": len(phrases),
        "seconds": round(floor_wall, 4),
        "hits": floor_hits,
        "messages_per_s": round(_rate(messages, floor_wall), 1),
        "transcripts_per_s": round(_rate(n, floor_wall), 1),
        "engine_over_floor": round(ratio, 2),
        "phrase_scan_seconds": round(scan_wall, 4),
        "phrase_scan_over_floor": round(scan_ratio, 2),
        "rust_seconds": round(rs_wall, 4),
        "rust_hits": rs_hits,
        "rust_transcripts_per_s": round(_rate(n, rs_wall), 1),
        "engine_over_rust_floor": round(rs_ratio, 2),
    }

    import jieba
    import rjieba

    jieba.setLogLevel(60)
    jieba.initialize()
    jieba.lcut(texts[0])
    cut = jieba.lcut
    # Plain jieba is slow: one run over every message (its CPU time shows any contention).
    jieba_wall, jieba_cpu = _timed(lambda: _each(cut, texts), 1)
    rcut = rjieba.cut
    rcut(texts[0])
    rjieba_wall, rjieba_cpu = _timed(lambda: _each(rcut, texts), repeat)
    figures["jieba"] = {
        "seconds": round(jieba_wall, 4),
        "cpu_seconds": round(jieba_cpu, 4),
        "messages_per_s": round(_rate(messages, jieba_wall), 1),
        "transcripts_per_s": round(_rate(n, jieba_wall), 1),
    }
    figures["rjieba"] = {
        "seconds": round(rjieba_wall, 4),
        "cpu_seconds": round(rjieba_cpu, 4),
        "messages_per_s": round(_rate(messages, rjieba_wall), 1),
        "transcripts_per_s": round(_rate(n, rjieba_wall), 1),
    }

    def parse_all() -> None:
        loads = json.loads
        for line in jsonl:
            transcript_from_dict(loads(line))

    parse_wall, parse_cpu = _timed(parse_all, repeat)
    parse_tps = _rate(n, parse_wall)
    both = 1 / (1 / tps + 1 / parse_tps) if tps and parse_tps else 0.0
    figures["json_parse"] = {
        "seconds": round(parse_wall, 4),
        "transcripts_per_s": round(parse_tps, 1),
        "mb_per_s": round(_rate(jsonl_bytes / 1e6, parse_wall), 2),
        "parse_and_score_transcripts_per_s": round(both, 1),
    }

    say("References on the same messages (same process, one core)")
    say(f"  {'':<44} {'seconds':>8} {'CPU s':>7} {'messages/s':>11} {'transcripts/s':>14}")
    rows = [
        (f"Aho-Corasick floor ({len(phrases)} phrases, 1 automaton)", floor_wall, floor_cpu),
        ("  the same with ahocorasick_rs (lower floor)", rs_wall, rs_cpu),
        ("Engine.score (the pipeline)", engine_wall, engine_cpu),
        ("  its phrase scan (PhraseIndex.scan)", scan_wall, scan_cpu),
        ("jieba.lcut, every message", jieba_wall, jieba_cpu),
        ("rjieba.cut, every message", rjieba_wall, rjieba_cpu),
    ]
    for label, seconds, cpu in rows:
        say(
            f"  {label:<44} {seconds:>8.3f} {cpu:>7.3f} {_fmt_rate(_rate(messages, seconds)):>11} "
            f"{_fmt_rate(_rate(n, seconds)):>14}"
        )
    say(
        f"  engine time = {ratio:.1f}x the floor (its phrase scan alone, on normalised text: "
        f"{scan_ratio:.1f}x), {rs_ratio:.1f}x the ahocorasick_rs floor; plain jieba alone "
        "would cap a pipeline at "
        f"{_fmt_rate(_rate(n, jieba_wall))} transcripts/s on this mix"
    )
    say(
        f"  JSON Lines parse (json.loads + transcript_from_dict), reported apart: "
        f"{parse_wall:.3f} s"
        f"  {_fmt_rate(parse_tps)} transcripts/s  {jsonl_bytes / 1e6 / parse_wall:.1f} MB/s;"
        f" parse + score: {_fmt_rate(both)} transcripts/s"
    )
    say()

    # Memory: peak RSS (whole process: interpreter, models, the mix held in memory) and the
    # peak Python allocation while scoring, results discarded as `qc score` streams them.
    sample = mix[: min(n, 2000)]
    gc.collect()
    tracemalloc.start()
    tracemalloc.reset_peak()
    base, _ = tracemalloc.get_traced_memory()
    _score_all(engine, sample)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss_end = _rss_mb()
    figures["memory"] = {
        "max_rss_mb_after_engine_load": round(rss_loaded, 1),
        "max_rss_mb_after_mix": round(rss_mix, 1),
        "max_rss_mb_end": round(rss_end, 1),
        "tracemalloc_peak_mb_scoring": round((peak - base) / 1e6, 2),
        "tracemalloc_sample_transcripts": len(sample),
    }
    say("Memory")
    say(
        f"  max RSS: {rss_loaded:.0f} MB after loading the engine, {rss_mix:.0f} MB with the "
        f"mix in memory, {rss_end:.0f} MB at the end (jieba dictionaries included)"
    )
    say(
        f"  tracemalloc: scoring {len(sample):,} transcripts (results discarded) allocated at "
        f"most {(peak - base) / 1e6:.2f} MB above the baseline"
    )
    say()

    measured = {
        "engine": (engine_wall, engine_cpu),
        "rules_and_models": (full_wall, full_cpu),
        "floor": (floor_wall, floor_cpu),
        "rust_floor": (rs_wall, rs_cpu),
        "phrase_scan": (scan_wall, scan_cpu),
        "jieba": (jieba_wall, jieba_cpu),
        "rjieba": (rjieba_wall, rjieba_cpu),
        "json_parse": (parse_wall, parse_cpu),
    }
    busy = {k: wall / cpu - 1 for k, (wall, cpu) in measured.items() if cpu > 0}
    worst = max(busy.values(), default=0.0)
    figures["wall_over_cpu"] = {k: round(v + 1, 3) for k, v in busy.items()}
    if worst > 0.1:
        say(
            f"WARNING: the machine was busy: wall time exceeded CPU time by up to {worst:.0%} "
            f"({', '.join(f'{k} {v:+.0%}' for k, v in busy.items() if v > 0.1)}). Figures are "
            "pessimistic; re-run on an idle machine. On CPU time: engine "
            f"{_fmt_rate(_rate(n, engine_cpu))} transcripts/s, "
            f"{engine_cpu / floor_cpu if floor_cpu else float('inf'):.1f}x the floor."
        )
        say()

    target_tps, target_ratio, target_full = 5000, 3.0, 2000
    figures["targets"] = {
        "rules_and_models_transcripts_per_s": {
            "target": target_full,
            "measured": round(full_tps, 1),
            "met": full_tps >= target_full,
        },
        "transcripts_per_s": {
            "target": target_tps,
            "measured": round(tps, 1),
            "met": tps >= target_tps,
        },
        "engine_over_floor": {
            "target": target_ratio,
            "measured": round(ratio, 2),
            "met": ratio <= target_ratio,
        },
        "phrase_scan_over_floor": {
            "target": target_ratio,
            "measured": round(scan_ratio, 2),
            "met": scan_ratio <= target_ratio,
        },
    }
    say("Targets (one core, this mix)")
    say(
        f"  rule pipeline >= {target_tps:,} transcripts/s: {_fmt_rate(tps)}  "
        f"{'MET' if tps >= target_tps else 'NOT MET'}"
    )
    say(
        f"  rules + models >= {target_full:,} transcripts/s: {_fmt_rate(full_tps)}  "
        f"{'MET' if full_tps >= target_full else 'NOT MET'}"
    )
    say(
        f"  within {target_ratio:.0f}x of the Aho-Corasick floor: {ratio:.1f}x  "
        f"{'MET' if ratio <= target_ratio else 'NOT MET'} (the phrase scan stage alone: "
        f"{scan_ratio:.1f}x, {'MET' if scan_ratio <= target_ratio else 'NOT MET'}); against "
        f"the lower ahocorasick_rs floor {rs_ratio:.1f}x"
    )
    say(
        f"  note: 3x the floor is {floor_wall * target_ratio / n * 1e6:.1f} µs per transcript; "
        f"{target_tps:,} transcripts/s is {1e6 / target_tps:.0f} µs"
    )
    say(
        f"  for scale: plain jieba on every message, {_fmt_rate(_rate(messages, jieba_wall))} "
        f"messages/s = {_fmt_rate(_rate(n, jieba_wall))} transcripts/s at "
        f"{messages / n:.1f} messages each"
    )
    return figures


def main(args: argparse.Namespace) -> int:
    # Said at once, not as a traceback after minutes of measuring.
    if importlib.util.find_spec("ahocorasick") is None:
        print(
            "qc bench: the Aho-Corasick floor needs pyahocorasick, which is not installed: "
            "pip install 'qc-engine[bench]'",
            file=sys.stderr,
        )
        return 2  # the qc command's exit code for an error
    figures = measure(args)
    path = getattr(args, "json", None)
    if path is not None:
        Path(path).write_text(
            json.dumps(figures, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
        )
    return 0
