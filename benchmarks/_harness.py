"""Timing helpers shared by the benchmarks: interleaved rounds, medians, ratios.

The machine is shared and absolute times drift, so every contender runs in every round,
in rotating order, and only medians and ratios from one run are reported.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Contender", "Row", "print_rows", "progress", "run_row"]


@dataclass
class Contender:
    name: str
    op: Callable[[Any], object]  # one operation on one item of the pool


@dataclass
class Row:
    title: str
    floor: str
    results: dict[str, float] = field(default_factory=dict)  # name -> median µs/op
    notes: list[str] = field(default_factory=list)  # printed under the table (exclusions...)

    def ratio(self, name: str) -> float:
        """This contender's median over the floor's."""
        return self.results[name] / self.results[self.floor]


def progress(text: str) -> None:
    """One progress line on stderr (stdout carries only the report)."""
    print(text, file=sys.stderr, flush=True)


def run_row(
    title: str,
    floor: str,
    contenders: Sequence[Contender],
    pool: Sequence[object],
    rounds: int,
    notes: Sequence[str] = (),
    clock: Callable[[], float] = time.process_time,
) -> Row:
    """Time every contender over the whole pool, ``rounds`` times, in rotating order.

    Each round runs every contender once over the pool; the row keeps the median µs/op.
    The default clock is this process's CPU time, so time spent descheduled on a busy
    machine is not counted; pass ``time.perf_counter`` for wall time (anything that waits).
    """
    if rounds < 1 or not pool or not contenders:
        raise ValueError("run_row needs at least one round, one item and one contender")
    samples: dict[str, list[float]] = {c.name: [] for c in contenders}
    perf = clock
    n = len(contenders)
    for r in range(rounds):
        progress(f"  {title}: round {r + 1}/{rounds}")
        order = list(contenders[r % n :]) + list(contenders[: r % n])
        for c in order:
            op = c.op
            start = perf()
            for item in pool:
                op(item)
            samples[c.name].append((perf() - start) / len(pool) * 1e6)
    return Row(title, floor, {name: statistics.median(v) for name, v in samples.items()}, [*notes])


def print_rows(rows: Sequence[Row], ours: str = "jwtgate") -> None:
    """A Markdown table per row: µs/op, ratio to the floor, and ours vs the fastest peer."""
    for row in rows:
        print(f"\n### {row.title}\n")
        print("| contender | µs/op | x floor |")
        print("|---|---:|---:|")
        for name, us in sorted(row.results.items(), key=lambda kv: kv[1]):
            print(f"| {name} | {us:.2f} | {row.ratio(name):.2f} |")
        peers = {n: v for n, v in row.results.items() if n not in (ours, row.floor)}
        if ours in row.results and peers:
            best = min(peers, key=lambda n: peers[n])
            print(
                f"\n{ours} is {peers[best] / row.results[ours]:.2f}x faster than the fastest "
                f"peer ({best})"
            )
        for note in row.notes:
            print(f"\nNote: {note}")
