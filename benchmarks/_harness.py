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

__all__ = ["Contender", "Row", "print_rows", "progress", "run_row"]


@dataclass
class Contender:
    name: str
    op: Callable[[object], object]  # one operation on one item of the pool


@dataclass
class Row:
    title: str
    floor: str
    results: dict[str, float] = field(default_factory=dict)  # name -> median µs/op

    def ratio(self, name: str) -> float:
        return self.results[name] / self.results[self.floor]


def progress(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def run_row(
    title: str, floor: str, contenders: Sequence[Contender], pool: Sequence[object], rounds: int
) -> Row:
    """Time every contender over the whole pool, ``rounds`` times, in rotating order."""
    samples: dict[str, list[float]] = {c.name: [] for c in contenders}
    perf = time.perf_counter
    for r in range(rounds):
        progress(f"  {title}: round {r + 1}/{rounds}")
        order = list(contenders[r % len(contenders) :]) + list(contenders[: r % len(contenders)])
        for c in order:
            op = c.op
            start = perf()
            for item in pool:
                op(item)
            samples[c.name].append((perf() - start) / len(pool) * 1e6)
    row = Row(title, floor)
    row.results = {name: statistics.median(v) for name, v in samples.items()}
    return row


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
