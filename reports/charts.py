"""Server-rendered charts: the geometry of the pages' SVG sparklines and factor bars (pure, no Django).

The templates draw ``<svg>`` elements from these numbers (``templates/reports/_sparkline.html``); nothing
is computed in the browser and nothing comes from a CDN.  Under the Content-Security-Policy no inline
``style`` is allowed, so widths and points are SVG attributes, never CSS.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

SPARK_WIDTH = 120
SPARK_HEIGHT = 28
SPARK_PAD = 3


@dataclass(frozen=True, slots=True)
class Sparkline:
    """A line through the known values (gaps are skipped), drawn in a ``width`` × ``height`` box."""

    points: str                 # the polyline's "x,y x,y …" ('' with fewer than two known values)
    last_x: float | None        # the last known value's dot
    last_y: float | None
    values: tuple               # the values drawn (None: no data that week), oldest first
    width: int = SPARK_WIDTH
    height: int = SPARK_HEIGHT
    label: str = ""             # what a screen reader hears
    target_y: float | None = None   # a dashed line across at the target, when there is one
    target_text: str = ""       # e.g. "target >80%"

    @property
    def description(self) -> str:
        """What a screen reader hears: the label, then every value oldest first ("no data" for a gap), then
        the target."""
        values = ", ".join("no data" if v is None else _fmt(float(v)) for v in self.values)
        text = f"{self.label}: {values}" if self.label else values
        return f"{text}; {self.target_text}" if self.target_text else text

    @property
    def title(self) -> str:
        """What a pointer's hover shows: the label, and what the dashed line is."""
        return f"{self.label} (dashed line: {self.target_text})" if self.target_text else self.label

    @property
    def target_x1(self) -> int:
        return SPARK_PAD

    @property
    def target_x2(self) -> int:
        return self.width - SPARK_PAD

    @property
    def known(self) -> tuple:
        return tuple(v for v in self.values if v is not None)

    @property
    def empty(self) -> bool:
        return not self.known


def _fmt(x: float) -> str:
    return f"{x:.1f}".removesuffix(".0")


def score_scale(values: Sequence[int | None], *, min_span: int = 20) -> tuple[float, float]:
    """A 0..100 score's scale: the values' range widened to at least ``min_span`` points around its middle
    (so a 3-point move is visible and a 1-point wobble is not a cliff), kept inside 0..100."""
    known = [v for v in values if v is not None] or [0]
    lo, hi = min(known), max(known)
    if hi - lo < min_span:
        mid = (lo + hi) / 2
        lo, hi = mid - min_span / 2, mid + min_span / 2
    if lo < 0:
        lo, hi = 0, hi - lo
    if hi > 100:
        lo, hi = max(0, lo - (hi - 100)), 100
    return lo, hi


def metric_scale(values: Sequence[float | None], *, target: float, percent: bool) -> tuple[float, float]:
    """A portfolio metric's scale: from zero to its highest value or its target, whichever is higher, with a
    tenth of headroom (0..100 for a percentage).  From zero, a 60 % → 50 % week is a sixth of the height,
    not a cliff from top to bottom; and the target's line always falls inside."""
    if percent:
        return 0.0, 100.0
    top = max([v for v in values if v is not None] + [target])
    return 0.0, (top * 1.1 if top > 0 else 1.0)


def sparkline(values: Sequence[float | None], *, low: float | None = 0, high: float | None = 100,
              width: int = SPARK_WIDTH, height: int = SPARK_HEIGHT, label: str = "",
              target: float | None = None, target_text: str = "") -> Sparkline:
    """The sparkline of ``values`` (oldest first) on the scale ``low``..``high``, or on the values' own
    range when either bound is None.  A flat line sits in the middle.  ``target`` draws a line across at
    that value (when it falls on the scale); ``target_text`` is what a screen reader hears of it."""
    values = tuple(values)
    known = [v for v in values if v is not None]
    if not known:
        return Sparkline("", None, None, values, width, height, label)
    lo = min(known) if low is None else low
    hi = max(known) if high is None else high
    span = hi - lo

    def y(v) -> float:
        share = 0.5 if span <= 0 else (min(max(v, lo), hi) - lo) / span
        return SPARK_PAD + (1 - share) * (height - 2 * SPARK_PAD)

    step = (width - 2 * SPARK_PAD) / max(len(values) - 1, 1)
    coords = [(SPARK_PAD + i * step, y(v)) for i, v in enumerate(values) if v is not None]
    points = " ".join(f"{_fmt(cx)},{_fmt(cy)}" for cx, cy in coords) if len(coords) > 1 else ""
    last_x, last_y = coords[-1]
    target_y = round(y(target), 1) if target is not None and span > 0 and lo <= target <= hi else None
    return Sparkline(points, round(last_x, 1), round(last_y, 1), values, width, height, label,
                     target_y, target_text if target_y is not None else "")


def weekly_days(as_of: date, weeks: int) -> list[date]:
    """``weeks`` days a week apart ending at ``as_of``, oldest first."""
    return [as_of - timedelta(days=7 * k) for k in range(weeks - 1, -1, -1)]


def weekly_values(points: Sequence, days: Sequence[date]) -> list:
    """For each day, the score of the latest point (``.as_of``, ``.score``; oldest first) on or before it
    and after the day before it (within the week), else None: a week without a snapshot is a gap."""
    out, i, latest = [], 0, None
    for k, day in enumerate(days):
        start = days[k - 1] if k else day - timedelta(days=7)
        while i < len(points) and points[i].as_of <= day:
            latest = points[i]
            i += 1
        out.append(latest.score if latest is not None and latest.as_of > start else None)
    return out


BAR_WIDTH = 100


@dataclass(frozen=True, slots=True)
class Bar:
    """A factor bar: ``score`` of ``maximum`` points, ``width`` of ``BAR_WIDTH`` units filled."""

    label: str
    score: int
    maximum: int
    note: str

    @property
    def width(self) -> int:
        if self.maximum <= 0:
            return 0
        return round(BAR_WIDTH * min(max(self.score, 0), self.maximum) / self.maximum)

    @property
    def band(self) -> str:
        """low / mid / high: a third of the maximum or less, two thirds or less, above."""
        share = 0 if self.maximum <= 0 else self.score / self.maximum
        return "low" if share <= 1 / 3 else "mid" if share <= 2 / 3 else "high"
