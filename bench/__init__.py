"""Benchmarks run by ``make bench`` (``python -m bench``); they write docs/benchmarks.md.

Machines running this are shared and noisy, so no benchmark reports a bare time or asserts one.
Each compares the code under test with a baseline doing the same work the plainest way, measured
side by side in one run: the variants take short turns (A/B/A/B..., a few operations each, the
order rotated every time), grouped into rounds, and the report gives medians over the rounds and
the median of the per-round ratios, so a noisy moment hits both sides of a ratio alike.

A benchmark is a module in this package with ``run() -> str`` returning one markdown section
(starting with a ``## `` heading); add it to ``BENCHMARKS`` in ``bench/__main__.py``. The helpers
below are shared.
"""
import os
import platform
import statistics
import sys
import time
from datetime import datetime, timezone
from typing import Callable


def log(message: str) -> None:
    """Progress goes to stderr; the report goes to the file."""
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine() -> dict:
    return {
        "platform": platform.platform(),
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
    }


def utc_stamp() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def interleaved(variants: dict[str, Callable[[int], int]], *, rounds: int, per_round: int, chunk: int,
                warmup: int = 0, label: str = "") -> dict[str, list[float]]:
    """Measures the variants turn about, finely: every round is a run of short turns in which each
    variant does ``chunk`` operations (A B C, then B C A, then C A B, ...), until each has done
    ``per_round`` (a variant may do several operations per one asked, e.g. one per thread); a
    variant's rate for the round is the operations it did over the sum of its own turns.
    A burst of noise lasting longer than a turn (a neighbour's job, a slow fsync streak) thus lands
    on every variant of the round, and the per-round ratios cancel it. One untimed turn of
    ``warmup`` operations each comes first. A variant is ``f(n) -> operations done``.
    Returns the operations per second of every round, per variant, in round order."""
    names = list(variants)
    if warmup:
        for name in names:
            variants[name](warmup)
    rates: dict[str, list[float]] = {name: [] for name in names}
    turn = 0
    for r in range(rounds):
        asked = dict.fromkeys(names, 0)
        done = dict.fromkeys(names, 0)
        spent = dict.fromkeys(names, 0.0)
        while min(asked.values()) < per_round:
            k = turn % len(names)
            for name in names[k:] + names[:k]:
                n = min(chunk, per_round - asked[name])
                if n <= 0:
                    continue
                asked[name] += n
                start = time.perf_counter()
                done[name] += variants[name](n)
                spent[name] += time.perf_counter() - start
            turn += 1
        for name in names:
            rates[name].append(done[name] / spent[name])
        log(f"{label} round {r + 1}/{rounds}: "
            + ", ".join(f"{name} {rates[name][-1]:,.0f}/s" for name in names))
    return rates


def median(values: list[float]) -> float:
    return statistics.median(values)


def paired_ratios(numerator: list[float], denominator: list[float]) -> list[float]:
    """Per-round ratios: both sides of each come from the same round, so they saw the same machine."""
    return [a / b for a, b in zip(numerator, denominator)]


def markdown_table(header: list[str], rows: list[list[str]], text_columns: int = 1) -> str:
    """A GitHub table; the first ``text_columns`` are left-aligned, the numbers after them right-aligned."""
    lines = ["| " + " | ".join(header) + " |",
             "|" + "|".join("---" if i < text_columns else "---:" for i in range(len(header))) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def status_kb(field: str) -> int | None:
    """A line of /proc/self/status in kB (VmRSS: resident now; VmHWM: the peak since exec or the last
    ``reset_peak``); None where there is no such file."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def reset_peak() -> bool:
    """Resets this process's VmHWM to what it holds now (Linux 4.0+); False where the kernel refuses."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as f:
            f.write("5")
        return True
    except OSError:
        return False
