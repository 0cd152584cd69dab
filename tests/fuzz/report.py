"""Counts and distinct failures of a fuzz run, kept by the harness and written as JSON.

Every hostile request is counted under its strategy (with its status class); every
:class:`~tests.fuzz.oracle.Violation` under its signature, keeping the smallest request that
showed it. ``docs/FUZZING.md`` quotes the report of the last long run; ``make fuzz`` prints it.
"""

from __future__ import annotations

import json
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.fuzz.oracle import Violation


@dataclass
class Failure:
    """One distinct defect: how often it was seen and its smallest reproduction."""

    signature: str
    prop: str
    strategy: str
    count: int
    smallest: Violation

    def to_dict(self) -> dict[str, Any]:
        v = self.smallest
        return {"signature": self.signature, "property": self.prop, "strategy": self.strategy,
                "count": self.count,
                "request": v.request.literal() if v.request is not None else None,
                "response": v.response.summary() if v.response is not None else None,
                "detail": v.detail}


@dataclass
class Stats:
    started: float = field(default_factory=time.monotonic)
    hostile: Counter[str] = field(default_factory=Counter)
    harness: int = 0
    statuses: dict[str, Counter[str]] = field(default_factory=dict)
    failures: dict[str, Failure] = field(default_factory=dict)
    durations: dict[str, float] = field(default_factory=dict)
    seed: int | None = None  # the long profile's Hypothesis seed (None: derandomized)

    def count(self, strategy: str, status: str) -> None:
        self.hostile[strategy] += 1
        self.statuses.setdefault(strategy, Counter())[status] += 1

    def record(self, strategy: str, v: Violation) -> None:
        known = self.failures.get(v.signature)
        if known is None:
            self.failures[v.signature] = Failure(v.signature, v.prop, strategy, 1, v)
            return
        known.count += 1
        size = v.request.size() if v.request is not None else 0
        old = known.smallest.request.size() if known.smallest.request is not None else 0
        if size < old:
            known.smallest, known.strategy = v, strategy

    def failures_of(self, strategy: str, since: set[str]) -> list[Failure]:
        """Failures first seen, or made smaller, by ``strategy`` (and not in ``since``)."""
        return [f for s, f in sorted(self.failures.items())
                if f.strategy == strategy and s not in since]

    def to_dict(self, profile: str) -> dict[str, Any]:
        return {"profile": profile, "seed": self.seed,
                "seconds": round(time.monotonic() - self.started, 1),
                "hostile_requests": sum(self.hostile.values()),
                "harness_requests": self.harness,
                "per_strategy": {k: {"requests": n, "seconds": round(
                    self.durations.get(k, 0.0), 1), "statuses": dict(sorted(
                        self.statuses.get(k, Counter()).items()))}
                    for k, n in sorted(self.hostile.items())},
                "distinct_failures": len(self.failures),
                "failures": [f.to_dict() for _, f in sorted(self.failures.items())]}

    def write(self, path: Path, profile: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_dict(profile), indent=1) + "\n")


def render(failures: list[Failure]) -> str:
    """The failures as a readable list (the message of a failed collect-mode test)."""
    out = [f"{len(failures)} distinct failure(s):"]
    for f in failures:
        out.append(f"\n#{f.count}x " + f.smallest.render().replace("\n", "\n    "))
    return "\n".join(out)


def main(argv: list[str]) -> int:
    """``python -m tests.fuzz.report REPORT.json``: the counts and the distinct failures."""
    data = json.loads(Path(argv[1]).read_text())
    seed = f", seed {data['seed']}" if data.get("seed") is not None else ""
    print(f"fuzz profile {data['profile']}{seed}: {data['hostile_requests']} hostile requests "
          f"(+{data['harness_requests']} by the harness) in {data['seconds']} s")
    for name, row in data["per_strategy"].items():
        print(f"  {name:10} {row['requests']:6} requests {row['seconds']:7.1f} s  "
              f"{row['statuses']}")
    print(f"{data['distinct_failures']} distinct failure(s)")
    for f in data["failures"]:
        print(f"- [{f['signature']}] x{f['count']} ({f['strategy']}): {f['property']}\n"
              f"    {f['request']}\n    -> {f['response']}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
