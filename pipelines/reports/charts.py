"""Inline SVG charts (no JavaScript, CSS files or fonts to fetch): lines over time, bars, stacked bars, status grid.

Charts are inline in HTML5 pages, so the root needs no namespace declaration. Every chart carries its own title,
axis labels and legend, and a <title> per mark for hover tooltips. Text is XML-escaped; nothing from the data
reaches the SVG unescaped.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

from pipelines.reports.formatting import fmt_number, period_label

PALETTE = ("#0b5fa5", "#e08a00", "#1b9e77", "#c8452c", "#7b5ea7", "#56a0d3", "#8c6d31", "#555555")
FONT = "system-ui, -apple-system, 'Segoe UI', 'DejaVu Sans', Arial, sans-serif"
WIDTH = 900
AXIS_COLOR = "#6b7280"
GRID_COLOR = "#e5e7eb"
TEXT_COLOR = "#1f2937"
MARGIN_LEFT = 64
MARGIN_RIGHT = 24
LABEL_ROOM = 48  # right of a line chart: the last value of each series

Formatter = Callable[[float | None], str]


@dataclass(frozen=True)
class Series:
    """A named sequence of values aligned with the chart's x labels (None: no value)."""

    label: str
    values: Sequence[float | None]
    color: str | None = None


@dataclass(frozen=True)
class Marker:
    """A vertical line at an x index (the 2025 reform), with a short label."""

    index: float
    label: str


def _x(value: str) -> str:
    return escape(str(value), quote=True)


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _chart_id(title: str, extra: str = "") -> str:
    return "c" + hashlib.sha1((title + "|" + extra).encode("utf-8")).hexdigest()[:10]


def nice_ticks(vmin: float, vmax: float, count: int = 5, integer: bool = False) -> list[float]:
    """Round tick values covering [vmin, vmax] (vmin included, usually 0); whole steps for counts."""
    if vmax <= vmin:
        vmax = vmin + 1
    raw = (vmax - vmin) / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    if integer:
        step = max(1.0, math.ceil(step))
    start = math.floor(vmin / step) * step
    ticks = []
    value = start
    while value < vmax + step * 0.999:
        ticks.append(round(value, 10))
        value += step
    return ticks


def period_ticks(periods: Sequence[str]) -> list[tuple[int, str]]:
    """Which periods get an x label: all when few, every k-th when some, each January (as the year) when many."""
    n = len(periods)
    if n <= 12:
        return [(i, period_label(p)) for i, p in enumerate(periods)]
    if n <= 36:
        step = math.ceil(n / 12)
        return [(i, period_label(p)) for i, p in enumerate(periods) if i % step == 0]
    return [(i, p[:4]) for i, p in enumerate(periods) if p.endswith("-01") or i == 0]


def _svg_open(cid: str, title: str, desc: str, height: float) -> list[str]:
    return [
        f'<svg viewBox="0 0 {WIDTH} {_num(height)}" width="100%" '
        f'role="img" aria-labelledby="{cid}-t {cid}-d" font-family="{_x(FONT)}" class="chart">',
        f'<title id="{cid}-t">{_x(title)}</title>',
        f'<desc id="{cid}-d">{_x(desc)}</desc>',
        f'<text x="0" y="18" font-size="14" font-weight="600" fill="{TEXT_COLOR}">{_x(title)}</text>',
    ]


def _legend(series: Sequence[tuple[str, str]], y: float) -> list[str]:
    """Swatches and labels in a row (wrapping), starting at the plot's left edge."""
    out, x, row_y = [], float(MARGIN_LEFT), y
    for label, color in series:
        width = 22 + 6.6 * len(label)
        if x + width > WIDTH - MARGIN_RIGHT and x > MARGIN_LEFT:
            x, row_y = float(MARGIN_LEFT), row_y + 18
        out.append(f'<rect x="{_num(x)}" y="{_num(row_y - 9)}" width="12" height="12" rx="2" fill="{color}"/>')
        out.append(f'<text x="{_num(x + 17)}" y="{_num(row_y + 1)}" font-size="12" fill="{TEXT_COLOR}">'
                   f'{_x(label)}</text>')
        x += width + 14
    return out


def _legend_height(labels: Sequence[str]) -> float:
    rows, x = 1, float(MARGIN_LEFT)
    for label in labels:
        width = 22 + 6.6 * len(label)
        if x + width > WIDTH - MARGIN_RIGHT and x > MARGIN_LEFT:
            rows, x = rows + 1, float(MARGIN_LEFT)
        x += width + 14
    return rows * 18


def _y_axis(ticks: Sequence[float], y_of: Callable[[float], float], y_label: str, fmt: Formatter,
            top: float, bottom: float, right: float = WIDTH - MARGIN_RIGHT) -> list[str]:
    out = []
    for tick in ticks:
        y = y_of(tick)
        out.append(f'<line x1="{MARGIN_LEFT}" x2="{_num(right)}" y1="{_num(y)}" y2="{_num(y)}" '
                   f'stroke="{GRID_COLOR}"/>')
        out.append(f'<text x="{MARGIN_LEFT - 6}" y="{_num(y + 4)}" font-size="11" text-anchor="end" '
                   f'fill="{AXIS_COLOR}">{_x(fmt(tick))}</text>')
    mid = (top + bottom) / 2
    out.append(f'<text x="12" y="{_num(mid)}" font-size="11" text-anchor="middle" fill="{AXIS_COLOR}" '
               f'transform="rotate(-90 12 {_num(mid)})">{_x(y_label)}</text>')
    out.append(f'<line x1="{MARGIN_LEFT}" x2="{MARGIN_LEFT}" y1="{_num(top)}" y2="{_num(bottom)}" '
               f'stroke="{AXIS_COLOR}"/>')
    return out


def _x_axis(ticks: Sequence[tuple[int, str]], x_of: Callable[[float], float], bottom: float,
            x_label: str, right: float = WIDTH - MARGIN_RIGHT) -> list[str]:
    out = [f'<line x1="{MARGIN_LEFT}" x2="{_num(right)}" y1="{_num(bottom)}" y2="{_num(bottom)}" '
           f'stroke="{AXIS_COLOR}"/>']
    for index, label in ticks:
        x = x_of(index)
        out.append(f'<line x1="{_num(x)}" x2="{_num(x)}" y1="{_num(bottom)}" y2="{_num(bottom + 4)}" '
                   f'stroke="{AXIS_COLOR}"/>')
        out.append(f'<text x="{_num(x)}" y="{_num(bottom + 16)}" font-size="11" text-anchor="middle" '
                   f'fill="{AXIS_COLOR}">{_x(label)}</text>')
    center = (MARGIN_LEFT + right) / 2
    out.append(f'<text x="{_num(center)}" y="{_num(bottom + 34)}" font-size="11" text-anchor="middle" '
               f'fill="{AXIS_COLOR}">{_x(x_label)}</text>')
    return out


def _markers(markers: Sequence[Marker], x_of: Callable[[float], float], top: float, bottom: float) -> list[str]:
    """Dashed vertical lines, labelled just above the plot (where no line or bar can cover the label)."""
    out = []
    for marker in markers:
        x = x_of(marker.index)
        anchor = "end" if x > WIDTH * 0.6 else "start"
        dx = -4 if anchor == "end" else 4
        out.append(f'<line x1="{_num(x)}" x2="{_num(x)}" y1="{_num(top)}" y2="{_num(bottom)}" stroke="#9ca3af" '
                   f'stroke-dasharray="4 3"/>')
        out.append(f'<text x="{_num(x + dx)}" y="{_num(top - 4)}" font-size="11" text-anchor="{anchor}" '
                   f'fill="#4b5563">{_x(marker.label)}</text>')
    return out


def _end_labels(labels: list[tuple[float, str, str]], x: float, gap: float = 13) -> list[str]:
    """Last values right of the plot, pushed apart vertically so they never overlap."""
    placed: list[tuple[float, str, str]] = []
    for y, text, color in sorted(labels):
        if placed and y - placed[-1][0] < gap:
            y = placed[-1][0] + gap
        placed.append((y, text, color))
    return [f'<text x="{_num(x)}" y="{_num(y + 4)}" font-size="11" fill="{color}" font-weight="600">{_x(text)}</text>'
            for y, text, color in placed]


def _empty(title: str, message: str = "Chưa có số liệu") -> str:
    cid = _chart_id(title, "empty")
    parts = _svg_open(cid, title, message, 70)
    parts.append(f'<text x="0" y="48" font-size="13" fill="{AXIS_COLOR}">{_x(message)}</text></svg>')
    return "".join(parts)


def _x_positions(periods: Sequence[str], x_of: Callable[[float], float]) -> tuple[list[str], list[str]]:
    """Each period's x coordinate and escaped label, formatted once per chart (not once per series and point)."""
    return [_num(x_of(i)) for i in range(len(periods))], [_x(period_label(p)) for p in periods]


def line_chart(title: str, periods: Sequence[str], series: Sequence[Series], *, y_label: str,
               x_label: str = "Kỳ báo cáo", fmt: Formatter = fmt_number, y_max: float | None = None,
               markers: Sequence[Marker] = (), height: float = 300) -> str:
    """Lines over periods; a None value breaks the line. y starts at 0; y_max fixes the top (e.g. 100 for %)."""
    values = [v for s in series for v in s.values if v is not None]
    if not periods or not values:
        return _empty(title)
    colors = [s.color or PALETTE[i % len(PALETTE)] for i, s in enumerate(series)]
    legend_h = _legend_height([s.label for s in series])
    top, bottom = 30 + legend_h + 8 + (14 if markers else 0), height - 44
    ticks = nice_ticks(0, y_max if y_max is not None else max(values) * 1.08)
    top_value = ticks[-1]
    n = len(periods)
    right = WIDTH - MARGIN_RIGHT - LABEL_ROOM
    plot_w = right - MARGIN_LEFT

    def x_of(i: float) -> float:
        return MARGIN_LEFT + plot_w * ((i + 0.5) / n)

    def y_of(v: float) -> float:
        return bottom - (bottom - top) * (v / top_value)

    cid = _chart_id(title, "|".join(periods) + "|".join(s.label for s in series))
    desc = f"Biểu đồ đường, {n} kỳ, từ {period_label(periods[0])} đến {period_label(periods[-1])}."
    parts = _svg_open(cid, title, desc, height)
    parts += _legend([(s.label, c) for s, c in zip(series, colors)], 30 + 12)
    parts += _y_axis(ticks, y_of, y_label, fmt, top, bottom, right)
    parts += _x_axis(period_ticks(periods), x_of, bottom, x_label, right)
    parts += _markers(markers, x_of, top, bottom)
    dots = n <= 40
    end_labels: list[tuple[float, str, str]] = []
    xs, period_titles = _x_positions(periods, x_of)
    for s, color in zip(series, colors):
        ys = [None if v is None else _num(y_of(v)) for v in s.values]
        segment: list[str] = []
        segments: list[list[str]] = []
        for i, y in enumerate(ys):
            if y is None:
                if segment:
                    segments.append(segment)
                segment = []
                continue
            segment.append(f"{xs[i]},{y}")
        if segment:
            segments.append(segment)
        for seg in segments:
            if len(seg) > 1:
                parts.append(f'<polyline points="{" ".join(seg)}" fill="none" stroke="{color}" stroke-width="2.2" '
                             f'stroke-linejoin="round" stroke-linecap="round"/>')
        label = _x(s.label)
        for i, v in enumerate(s.values):
            if v is None:
                continue
            isolated = (i == 0 or s.values[i - 1] is None) and (i == n - 1 or s.values[i + 1] is None)
            radius = 3 if (dots or isolated) else 0
            parts.append(f'<circle cx="{xs[i]}" cy="{ys[i]}" r="{radius or 2.5}" fill="{color}" '
                         f'fill-opacity="{1 if radius else 0}"><title>{period_titles[i]} — '
                         f'{label}: {_x(fmt(v))}</title></circle>')
        last = max((i for i, v in enumerate(s.values) if v is not None), default=None)
        if last is not None:
            end_labels.append((y_of(s.values[last]), fmt(s.values[last]), color))
    parts += _end_labels(end_labels, right + 6)
    parts.append("</svg>")
    return "".join(parts)


def bar_chart(title: str, periods: Sequence[str], series: Sequence[Series], *, y_label: str,
              x_label: str = "Kỳ báo cáo", fmt: Formatter = fmt_number, stacked: bool = True,
              markers: Sequence[Marker] = (), height: float = 300, y_max: float | None = None) -> str:
    """Vertical bars per period: one series, or several stacked (HQ status counts, submission status)."""
    totals = [sum(v or 0 for v in vals) for vals in zip(*(s.values for s in series))] if series else []
    if not periods or not any(totals):
        return _empty(title)
    colors = [s.color or PALETTE[i % len(PALETTE)] for i, s in enumerate(series)]
    legend_h = _legend_height([s.label for s in series]) if len(series) > 1 else 0
    top, bottom = 30 + legend_h + 8 + (14 if markers else 0), height - 44
    peak = max(totals) if stacked else max(v or 0 for s in series for v in s.values)
    ticks = nice_ticks(0, y_max if y_max is not None else peak * 1.05)
    top_value = ticks[-1]
    n = len(periods)
    right = WIDTH - MARGIN_RIGHT - LABEL_ROOM  # same plot width as the line charts, so periods line up
    plot_w = right - MARGIN_LEFT
    slot = plot_w / n
    bar_w = max(1.0, min(slot * 0.72, 48))

    def x_of(i: float) -> float:
        return MARGIN_LEFT + slot * (i + 0.5)

    def y_of(v: float) -> float:
        return bottom - (bottom - top) * (v / top_value)

    cid = _chart_id(title, "|".join(periods) + "|".join(s.label for s in series))
    desc = f"Biểu đồ cột{' chồng' if stacked and len(series) > 1 else ''}, {n} kỳ."
    parts = _svg_open(cid, title, desc, height)
    if len(series) > 1:
        parts += _legend([(s.label, c) for s, c in zip(series, colors)], 30 + 12)
    parts += _y_axis(ticks, y_of, y_label, fmt, top, bottom, right)
    parts += _markers(markers, x_of, top, bottom)
    group_w = bar_w / (1 if stacked else len(series))
    width = _num(group_w)
    period_titles = [_x(period_label(p)) for p in periods]
    labels = [_x(s.label) for s in series]
    for i in range(n):
        base = 0.0
        for k, (s, color) in enumerate(zip(series, colors)):
            v = s.values[i]
            if not v:
                continue
            if stacked:
                y0, y1, x0 = y_of(base), y_of(base + v), x_of(i) - bar_w / 2
                base += v
            else:
                y0, y1, x0 = y_of(0), y_of(v), x_of(i) - bar_w / 2 + k * group_w
            parts.append(f'<rect x="{_num(x0)}" y="{_num(y1)}" width="{width}" '
                         f'height="{_num(max(y0 - y1, 0.5))}" fill="{color}"><title>{period_titles[i]}'
                         f' — {labels[k]}: {_x(fmt(v))}</title></rect>')
    parts += _x_axis(period_ticks(periods), x_of, bottom, x_label, right)
    parts.append("</svg>")
    return "".join(parts)


def hbar_chart(title: str, labels: Sequence[str], values: Sequence[float | None], *, x_label: str,
               fmt: Formatter = fmt_number, color: str = PALETTE[0], x_max: float | None = None,
               integer: bool = False) -> str:
    """Horizontal bars, one per label (provinces ranked by a value)."""
    known = [v for v in values if v is not None]
    if not labels or not known:
        return _empty(title)
    label_w = min(320, max(120, 6.4 * max(len(label) for label in labels) + 14))
    row_h = 18
    top = 34
    height = top + row_h * len(labels) + 44
    ticks = nice_ticks(0, x_max if x_max is not None else max(known) * 1.1, integer=integer)
    top_value = ticks[-1]
    left, right = label_w, WIDTH - MARGIN_RIGHT - 40

    def x_of(v: float) -> float:
        return left + (right - left) * (v / top_value)

    cid = _chart_id(title, "|".join(labels))
    parts = _svg_open(cid, title, f"Biểu đồ thanh ngang, {len(labels)} mục.", height)
    bottom = top + row_h * len(labels)
    for tick in ticks:
        x = x_of(tick)
        parts.append(f'<line x1="{_num(x)}" x2="{_num(x)}" y1="{top}" y2="{_num(bottom)}" stroke="{GRID_COLOR}"/>')
        parts.append(f'<text x="{_num(x)}" y="{_num(bottom + 14)}" font-size="11" text-anchor="middle" '
                     f'fill="{AXIS_COLOR}">{_x(fmt(tick))}</text>')
    parts.append(f'<text x="{_num((left + right) / 2)}" y="{_num(bottom + 32)}" font-size="11" '
                 f'text-anchor="middle" fill="{AXIS_COLOR}">{_x(x_label)}</text>')
    for i, (label, v) in enumerate(zip(labels, values)):
        y = top + i * row_h
        parts.append(f'<text x="{left - 6}" y="{_num(y + row_h * 0.7)}" font-size="11" text-anchor="end" '
                     f'fill="{TEXT_COLOR}">{_x(label)}</text>')
        if v is None:
            continue
        parts.append(f'<rect x="{left}" y="{_num(y + 3)}" width="{_num(max(x_of(v) - left, 0.5))}" '
                     f'height="{row_h - 6}" fill="{color}"><title>{_x(label)}: {_x(fmt(v))}</title></rect>')
        parts.append(f'<text x="{_num(x_of(v) + 4)}" y="{_num(y + row_h * 0.7)}" font-size="11" '
                     f'fill="{TEXT_COLOR}">{_x(fmt(v))}</text>')
    parts.append(f'<line x1="{left}" x2="{left}" y1="{top}" y2="{_num(bottom)}" stroke="{AXIS_COLOR}"/>')
    parts.append("</svg>")
    return "".join(parts)


def status_grid(title: str, row_labels: Sequence[str], periods: Sequence[str],
                cells: dict[tuple[int, int], str], palette: dict[str, tuple[str, str]]) -> str:
    """A row per province, a column per period, each cell coloured by a status (palette: status -> colour, label)."""
    if not row_labels or not periods:
        return _empty(title)
    label_w = 150
    n = len(periods)
    cell_w = min(22.0, (WIDTH - label_w - MARGIN_RIGHT) / n)
    cell_h = 14
    legend_h = _legend_height([label for _, label in palette.values()])
    top = 30 + legend_h + 8
    height = top + cell_h * len(row_labels) + 24
    cid = _chart_id(title, "|".join(row_labels) + "|".join(periods))
    parts = _svg_open(cid, title, f"Lưới trạng thái, {len(row_labels)} dòng x {n} kỳ.", height)
    parts += _legend([(label, color) for color, label in palette.values()], 30 + 12)
    for r, label in enumerate(row_labels):
        y = top + r * cell_h
        parts.append(f'<text x="{label_w - 6}" y="{_num(y + cell_h * 0.75)}" font-size="10.5" text-anchor="end" '
                     f'fill="{TEXT_COLOR}">{_x(label)}</text>')
        for c in range(n):
            status = cells.get((r, c))
            if status is None:
                continue
            color, status_label = palette.get(status, ("#d1d5db", status))
            parts.append(f'<rect x="{_num(label_w + c * cell_w + 0.5)}" y="{_num(y + 0.5)}" '
                         f'width="{_num(cell_w - 1)}" height="{cell_h - 1}" fill="{color}"><title>{_x(label)}, '
                         f'{_x(period_label(periods[c]))}: {_x(status_label)}</title></rect>')
    bottom = top + cell_h * len(row_labels)
    step = max(1, math.ceil(56 / cell_w))  # room for an 'MM/YYYY' label
    ticks = period_ticks(periods) if n > 36 else [(i, period_label(p)) for i, p in enumerate(periods) if i % step == 0]
    for index, label in ticks:
        x = label_w + (index + 0.5) * cell_w
        parts.append(f'<text x="{_num(x)}" y="{_num(bottom + 14)}" font-size="10.5" text-anchor="middle" '
                     f'fill="{AXIS_COLOR}">{_x(label)}</text>')
    parts.append("</svg>")
    return "".join(parts)
