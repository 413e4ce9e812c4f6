"""What the bench_* commands share: paired runs of a baseline and a subject, alternated in one run,
and their figures as min / median / max (of each and of the per-pair ratio).  Benchmarks print
figures; nothing here asserts a timing."""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path


def spread(values) -> tuple[float, float, float]:
    values = list(values)
    return min(values), statistics.median(values), max(values)


def spread_line(label: str, values, *, unit: str = "s", digits: int = 2) -> str:
    lo, mid, hi = spread(values)
    return f"{label:<34} min {lo:8.{digits}f}{unit}  median {mid:8.{digits}f}{unit}  max {hi:8.{digits}f}{unit}"


def alternate(baseline: Callable[[], float], subject: Callable[[], float], *, runs: int, warmup: int = 1,
              log: Callable[[str], None] | None = None) -> tuple[list, list, list]:
    """Run ``baseline`` and ``subject`` alternately (each returns its seconds): ``warmup`` pairs not
    counted, then ``runs`` pairs, the order flipped every pair so neither always goes first.
    Returns (baseline times, subject times, subject/baseline ratio per pair)."""
    for _ in range(warmup):
        baseline()
        subject()
    base, subj = [], []
    for i in range(runs):
        if i % 2 == 0:
            b, s = baseline(), subject()
        else:
            s, b = subject(), baseline()
        base.append(b)
        subj.append(s)
        if log:
            log(f"  pair {i + 1}/{runs}: baseline {b:.2f}s, subject {s:.2f}s, ratio {s / b:.2f}")
    return base, subj, [s / b for s, b in zip(subj, base)]


def timed(fn: Callable[[], object]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def machine_line() -> str:
    return (f"Machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} (other work on the machine "
            f"slows both sides; the ratios are measured pair by pair in the same run)")


# --- peak memory of a process (Linux /proc) ----------------------------------------------------

def reset_peak_rss(pid: int | str = "self") -> bool:
    """Reset the peak resident set size (VmHWM) of ``pid``; False where that is not allowed."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def peak_rss_mb(pid: int | str = "self") -> float | None:
    """VmHWM (peak resident set size since start or the last reset) of ``pid`` in MB, if readable."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None
