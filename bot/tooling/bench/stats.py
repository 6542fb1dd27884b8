"""The arithmetic of the benchmark: percentiles, ratios, a slope, and one phase's turns."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Tuple


def percentile(values: Sequence[float], p: float) -> float:
    """The nearest-rank percentile (a value that was measured); NaN when there is none."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)] if ordered else float("nan")


def known(value: Optional[float]) -> bool:
    return value is not None and not math.isnan(value)


def ratio(numerator: Optional[float], denominator: Optional[float], digits: int = 2) -> Optional[float]:
    """numerator / denominator, rounded; None when either is missing or the denominator is 0."""
    if numerator is None or denominator is None or not known(numerator) or not known(denominator):
        return None
    return round(numerator / denominator, digits) if denominator else None


def slope(points: Sequence[Tuple[float, float]]) -> float:
    """Least-squares slope of y over x; NaN with fewer than two distinct x."""
    if len({x for x, _ in points}) < 2:
        return float("nan")
    mx = sum(x for x, _ in points) / len(points)
    my = sum(y for _, y in points) / len(points)
    return sum((x - mx) * (y - my) for x, y in points) / sum((x - mx) ** 2 for x, _ in points)


def without_nan(value: Any) -> Any:
    """`value` with every NaN (a figure that could not be measured) as None: strict JSON has no NaN."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {key: without_nan(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [without_nan(item) for item in value]
    return value


@dataclass
class Run:
    """One phase against one server: the successful turns' latencies and the failed turns."""

    latencies: List[float] = field(default_factory=list)  # seconds, successful turns only
    errors: List[str] = field(default_factory=list)
    empty: int = 0  # turns answered with no text (allowed for the reference bot only)
    wall: float = 0.0  # seconds the phase took

    def summary(self) -> Dict[str, float]:
        ms = [t * 1000 for t in self.latencies]
        return {"turns": len(ms), "errors": len(self.errors), "empty_replies": self.empty,
                "p50_ms": round(percentile(ms, 50), 1), "p95_ms": round(percentile(ms, 95), 1),
                "mean_ms": round(sum(ms) / max(1, len(ms)), 1),
                "msg_per_s": round(len(ms) / self.wall, 1) if self.wall else float("nan")}
