"""Server-side SVG charts for the finance pages: the S-curve and the index trends.

No JavaScript and nothing from a CDN: each chart is one ``<svg>`` element built here, with
presentation attributes (so it renders without the stylesheet) and classes
(``static/pmo/charts.css`` styles the legend and the hover titles). Text is escaped.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from pmo.finance.evm import ProjectEvm, time_of
from pmo.finance.models import EvmSnapshot

COLOURS = {
    "pv": "#2457c5",
    "ev": "#1f8a4c",
    "ac": "#c62f2f",
    "eac": "#c77c02",
    "bac": "#5b6474",
    "cpi": "#c62f2f",
    "spi": "#2457c5",
    "spi_t": "#7b3fb5",
    "threshold": "#c77c02",
}


@dataclass
class Series:
    key: str
    label: str
    points: list[tuple[float, float]]
    dashed: bool = False
    markers: bool = False
    titles: list[str] = field(default_factory=list)  # one hover text per point


@dataclass(frozen=True)
class Frame:
    width: int = 760
    height: int = 300
    left: int = 64
    right: int = 16
    top: int = 16
    bottom: int = 44


def nice_step(span: float, target: int = 5) -> float:
    """A round step (1, 2 or 5 x 10^k) giving about ``target`` ticks over ``span``."""
    if span <= 0 or not math.isfinite(span):
        return 1.0
    raw = span / target
    power = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 5, 10):
        if raw <= m * power:
            return m * power
    return 10 * power


def compact(value: float) -> str:
    """12,000 → 12k; 1,250,000 → 1.25M."""
    a = abs(value)
    for limit, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if a >= limit:
            text = f"{value / limit:.2f}".rstrip("0").rstrip(".")
            return f"{text}{suffix}"
    return f"{value:.0f}" if a >= 10 or value == int(value) else f"{value:.2f}"


def _fmt(x: float) -> str:
    return f"{x:.1f}"


def line_chart(
    series: Sequence[Series],
    *,
    x_range: tuple[float, float],
    y_range: tuple[float, float],
    x_ticks: Sequence[tuple[float, str]],
    y_label: str = "",
    y_format: str = "money",
    vlines: Sequence[tuple[float, str]] = (),
    hlines: Sequence[tuple[float, str, str]] = (),
    title: str = "",
    css_class: str = "chart",
    frame: Frame | None = None,
) -> SafeString:
    """One line chart as an ``<svg>``: every series a ``<polyline data-series="key">``."""
    f = frame or Frame()
    x0, x1 = x_range
    y0, y1 = y_range
    if x1 <= x0:
        x1 = x0 + 1
    if y1 <= y0:
        y1 = y0 + 1
    pw = f.width - f.left - f.right
    ph = f.height - f.top - f.bottom

    def sx(x: float) -> float:
        return f.left + (x - x0) / (x1 - x0) * pw

    def sy(y: float) -> float:
        return f.top + ph - (y - y0) / (y1 - y0) * ph

    parts: list[str] = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="{escape(css_class)}" role="img" '
        f'viewBox="0 0 {f.width} {f.height}" width="100%" preserveAspectRatio="xMidYMid meet" '
        f'aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
        f'<rect x="{f.left}" y="{f.top}" width="{pw}" height="{ph}" fill="#fff" stroke="#d9dee7"/>',
    ]
    step = nice_step(y1 - y0)
    y = math.ceil(y0 / step) * step
    while y <= y1 + step * 1e-9:
        label = compact(y) if y_format == "money" else f"{y:.2f}"
        parts.append(
            f'<line class="grid" x1="{f.left}" x2="{f.left + pw}" y1="{_fmt(sy(y))}" '
            f'y2="{_fmt(sy(y))}" stroke="#eef1f6"/>'
            f'<text class="tick" x="{f.left - 6}" y="{_fmt(sy(y) + 4)}" text-anchor="end" '
            f'font-size="11" fill="#5b6474">{escape(label)}</text>'
        )
        y += step
    for x, label in x_ticks:
        if x0 <= x <= x1:
            px = sx(x)
            anchor = "end" if px > f.left + pw - 24 else "start" if px < f.left + 24 else "middle"
            parts.append(
                f'<line class="grid" x1="{_fmt(px)}" x2="{_fmt(px)}" y1="{f.top}" '
                f'y2="{f.top + ph}" stroke="#f3f5f8"/>'
                f'<text class="tick" x="{_fmt(px)}" y="{f.top + ph + 16}" '
                f'text-anchor="{anchor}" font-size="11" fill="#5b6474">{escape(label)}</text>'
            )
    if y_label:
        parts.append(
            f'<text class="axis-label" x="12" y="{f.top + ph / 2:.1f}" font-size="11" '
            f'fill="#5b6474" transform="rotate(-90 12 {f.top + ph / 2:.1f})" '
            f'text-anchor="middle">{escape(y_label)}</text>'
        )
    for value, label, key in hlines:
        if y0 <= value <= y1:
            colour = COLOURS.get(key, "#5b6474")
            # thresholds are labelled under the line on the left, the rest above on the right
            below = key == "threshold"
            tx, anchor = (f.left + 4, "start") if below else (f.left + pw - 4, "end")
            ty = sy(value) + 12 if below else sy(value) - 4
            parts.append(
                f'<line class="hline hline-{escape(key)}" x1="{f.left}" x2="{f.left + pw}" '
                f'y1="{_fmt(sy(value))}" y2="{_fmt(sy(value))}" stroke="{colour}" '
                f'stroke-dasharray="2 4"/>'
                f'<text x="{tx}" y="{_fmt(ty)}" text-anchor="{anchor}" '
                f'font-size="11" fill="{colour}">{escape(label)}</text>'
            )
    for x, label in vlines:
        if x0 <= x <= x1:
            parts.append(
                f'<line class="vline" x1="{_fmt(sx(x))}" x2="{_fmt(sx(x))}" y1="{f.top}" '
                f'y2="{f.top + ph}" stroke="#16213a" stroke-dasharray="4 3"/>'
                f'<text x="{_fmt(sx(x) + 4)}" y="{f.top + 12}" font-size="11" '
                f'fill="#16213a">{escape(label)}</text>'
            )
    for s in series:
        if not s.points:
            continue
        colour = COLOURS.get(s.key, "#1d2330")
        coords = " ".join(f"{_fmt(sx(x))},{_fmt(sy(y))}" for x, y in s.points)
        dash = ' stroke-dasharray="6 4"' if s.dashed else ""
        parts.append(
            f'<polyline class="series series-{escape(s.key)}" data-series="{escape(s.key)}" '
            f'fill="none" stroke="{colour}" stroke-width="2"{dash} points="{coords}">'
            f"<title>{escape(s.label)}</title></polyline>"
        )
        if s.markers or len(s.points) == 1:
            for i, (x, y) in enumerate(s.points):
                tip = s.titles[i] if i < len(s.titles) else s.label
                parts.append(
                    f'<circle class="marker marker-{escape(s.key)}" cx="{_fmt(sx(x))}" '
                    f'cy="{_fmt(sy(y))}" r="3.5" fill="{colour}"><title>{escape(tip)}</title>'
                    "</circle>"
                )
    legend_x = f.left
    for s in series:
        colour = COLOURS.get(s.key, "#1d2330")
        dash = ' stroke-dasharray="6 4"' if s.dashed else ""
        y_leg = f.height - 8
        parts.append(
            f'<line x1="{legend_x}" x2="{legend_x + 18}" y1="{y_leg - 4}" y2="{y_leg - 4}" '
            f'stroke="{colour}" stroke-width="2"{dash}/>'
            f'<text class="legend" x="{legend_x + 22}" y="{y_leg}" font-size="11" '
            f'fill="#1d2330">{escape(s.label)}</text>'
        )
        legend_x += 30 + 7 * len(s.label)
    parts.append("</svg>")
    return mark_safe("".join(parts))


def month_ticks(
    time0: dt.date, x_range: tuple[float, float], period: str
) -> list[tuple[float, str]]:
    """Tick labels at period starts: months as ``Jan 26`` (every n-th when there are many)."""
    ticks: list[tuple[float, str]] = []
    if period == "month":
        lo, hi = math.floor(x_range[0]), math.ceil(x_range[1])
        every = max(1, (hi - lo) // 12 + 1)
        for k in range(lo, hi + 1, every):
            y, m = divmod(time0.month - 1 + k, 12)
            ticks.append((float(k), dt.date(time0.year + y, m + 1, 1).strftime("%b %y")))
        return ticks
    lo, hi = math.floor(x_range[0]), math.ceil(x_range[1])
    every = max(1, (hi - lo) // 10 + 1)
    unit = 7 if period == "week" else 1
    for k in range(lo, hi + 1, every):
        day = time0 + dt.timedelta(days=k * unit)
        ticks.append((float(k), day.strftime("%d %b")))
    return ticks


def as_float(value: Decimal | float | None) -> float | None:
    return None if value is None else float(value)


# --- the finance pages' charts -----------------------------------------------------------------


def s_curve(result: ProjectEvm) -> SafeString:
    """Cumulative PV, EV and AC against time, with the EAC projection and BAC."""
    m = result.measures
    period, time0 = result.period, result.time0

    def t(day: dt.date) -> float:
        return time_of(period, time0, day)

    pv = [(0.0, 0.0)] + [(p.time, float(p.pv)) for p in result.curve]
    ac = [(0.0, 0.0)] + [(p.time, float(p.ac)) for p in result.curve if p.ac is not None]
    ev_points = [(t(day), float(v)) for day, v in result.ev_points]
    ev = [(0.0, 0.0), *ev_points] if ev_points else []
    as_of_t = t(result.as_of)
    series = [
        Series("pv", "Planned value (PV)", pv),
        Series(
            "ev",
            "Earned value (EV)",
            ev,
            markers=True,
            titles=["start"] + [f"EV {day}: {v:,.2f}" for day, v in result.ev_points],
        ),
        Series("ac", "Actual cost (AC)", ac),
    ]
    x_max = max((x for x, _ in pv), default=1.0)
    y_max = max([float(m.bac), *(y for _, y in ac), *(y for _, y in ev)], default=1.0)
    if m.eac is not None and m.ac is not None:
        end_t = m.ieac_t if m.ieac_t is not None else (m.planned_duration or x_max)
        end_t = max(end_t, as_of_t)
        series.append(
            Series(
                "eac",
                f"Forecast (EAC {float(m.eac):,.0f})",
                [(as_of_t, float(m.ac)), (end_t, float(m.eac))],
                dashed=True,
                markers=True,
                titles=[f"AC {float(m.ac):,.2f}", f"EAC {float(m.eac):,.2f}"],
            )
        )
        x_max = max(x_max, end_t)
        y_max = max(y_max, float(m.eac))
    x_range = (0.0, max(x_max, as_of_t, 1.0))
    y_range = (0.0, y_max * 1.08 if y_max > 0 else 1.0)
    return line_chart(
        series,
        x_range=x_range,
        y_range=y_range,
        x_ticks=month_ticks(time0, x_range, period),
        y_label=m.currency,
        vlines=[(as_of_t, f"status {result.as_of.isoformat()}")],
        hlines=[(float(m.bac), f"BAC {float(m.bac):,.0f}", "bac")],
        title=f"S-curve of {result.code}: cumulative PV, EV and AC ({m.currency})",
        css_class="chart s-curve",
    )


def trend_charts(
    result: ProjectEvm,
    snapshots: Sequence[EvmSnapshot],
    cpi_threshold: Decimal,
    spi_threshold: Decimal,
) -> tuple[SafeString, SafeString]:
    """CPI and SPI, and SPI(t), at each snapshot's status date."""
    period, time0 = result.period, result.time0

    def t(day: dt.date) -> float:
        return time_of(period, time0, day)

    def points(name: str) -> tuple[list[tuple[float, float]], list[str]]:
        pts, titles = [], []
        for s in snapshots:
            value = getattr(s, name)
            if value is not None:
                pts.append((t(s.status_date), float(value)))
                titles.append(f"{s.status_date}: {float(value):.3f}")
        return pts, titles

    cpi, cpi_t = points("cpi")
    spi, spi_tt = points("spi")
    spit, spit_t = points("spi_t")
    xs = [x for x, _ in cpi + spi + spit] or [t(result.as_of)]
    x_range = (max(0.0, min(xs) - 0.5), max(xs) + 0.5)
    ticks = month_ticks(time0, x_range, period)

    def y_range(values: Sequence[float], *extra: float) -> tuple[float, float]:
        allv = [*values, *extra, 1.0]
        lo, hi = min(allv), max(allv)
        pad = max(0.05, (hi - lo) * 0.15)
        return (max(0.0, lo - pad), hi + pad)

    small = Frame(width=380, height=220, left=44, bottom=40)
    first = line_chart(
        [
            Series("cpi", "CPI", cpi, markers=True, titles=cpi_t),
            Series("spi", "SPI", spi, markers=True, titles=spi_tt),
        ],
        x_range=x_range,
        y_range=y_range([y for _, y in cpi + spi], float(cpi_threshold), float(spi_threshold)),
        x_ticks=ticks,
        y_format="index",
        hlines=[
            (float(cpi_threshold), f"CPI min {cpi_threshold}", "threshold"),
            (1.0, "1.00", "bac"),
        ],
        title="CPI and SPI at each snapshot",
        css_class="chart trend trend-cpi-spi",
        frame=small,
    )
    second = line_chart(
        [Series("spi_t", "SPI(t)", spit, markers=True, titles=spit_t)],
        x_range=x_range,
        y_range=y_range([y for _, y in spit], float(spi_threshold)),
        x_ticks=ticks,
        y_format="index",
        hlines=[
            (float(spi_threshold), f"SPI min {spi_threshold}", "threshold"),
            (1.0, "1.00", "bac"),
        ],
        title="SPI(t) at each snapshot",
        css_class="chart trend trend-spi-t",
        frame=small,
    )
    return first, second
