"""A measured figure, next to its bound or baseline, and how the table and the JSON show it."""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Figure:
    scenario: str
    name: str
    value: float | None
    unit: str
    # The lower bound the figure cannot beat, or the naive baseline measured in the same run.
    bound: float | None = None
    bound_label: str = ""
    # Human-readable target ("<= 1.1x bound", "< 50 ms") and whether this run met it.
    target: str = ""
    met: bool | None = None
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ratio(self) -> float | None:
        if self.value is None or not self.bound:
            return None
        return self.value / self.bound

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["ratio"] = self.ratio
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Figure:
        data = {k: v for k, v in data.items() if k != "ratio"}
        return cls(**data)


def at_most(value: float | None, limit: float) -> bool | None:
    return None if value is None else value <= limit


def at_least(value: float | None, limit: float) -> bool | None:
    return None if value is None else value >= limit


def percentile(samples: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of a non-empty sample."""
    ordered = sorted(samples)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def _number(value: float | None) -> str:
    if value is None:
        return "-"
    if abs(value) >= 100 or float(value).is_integer():
        return f"{value:,.0f}"
    if abs(value) >= 1:
        return f"{value:,.2f}"
    return f"{value:.3g}"


def table(figures: list[Figure]) -> str:
    """A Markdown table: readable in a terminal and pasteable into the README."""
    head = ["scenario", "figure", "value", "bound / baseline", "ratio", "target", "met?"]
    rows = [head, ["---"] * len(head)]
    for f in figures:
        bound = f"{_number(f.bound)} ({f.bound_label})" if f.bound is not None else "-"
        ratio = f"{f.ratio:.2f}x" if f.ratio is not None else "-"
        met = {True: "yes", False: "**NO**", None: "-"}[f.met]
        rows.append([f.scenario, f.name, f"{_number(f.value)} {f.unit}".strip(), bound, ratio,
                     f.target or "-", met])
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    return "\n".join(
        "| " + " | ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)) + " |"
        for r in rows
    )


def dump(figures: list[Figure], meta: dict[str, Any]) -> str:
    return json.dumps({"meta": meta, "figures": [f.as_json() for f in figures]}, indent=2)
