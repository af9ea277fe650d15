"""Small inline-SVG charts (scatter, lines, grouped bars, a chain of boxes) for the HTML report.

Hand-written so the report needs no plotting library and embeds no external resource: every chart
is one inline `<svg>` element (HTML5 needs no namespace URL) with its own axes, ticks, legend and
`<title>` tooltips.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from html import escape

WIDTH, HEIGHT = 560, 340
MARGIN_L, MARGIN_R, MARGIN_T, MARGIN_B = 62, 20, 56, 52
LEGEND_Y = 38
PALETTE = ("#2563eb", "#f97316", "#16a34a", "#dc2626", "#9333ea", "#0891b2", "#ca8a04", "#db2777")
FONT = "font-family='system-ui, sans-serif'"


@dataclass
class Series:
    """Points of one series; `labels` (same length as points, optional) become tooltips or captions."""

    name: str
    points: list[tuple[float, float]]
    color: str = PALETTE[0]
    marker: str = "circle"
    line: bool = False
    labels: list[str] = field(default_factory=list)
    caption: bool = False


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values covering [low, high]."""
    if not math.isfinite(low) or not math.isfinite(high):
        return [0.0, 1.0]
    if high - low < 1e-12:
        pad = abs(low) * 0.1 or 0.5
        low, high = low - pad, high + pad
    raw = (high - low) / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    start = math.floor(low / step) * step
    ticks = [round(start, 10)]
    while ticks[-1] < high - 1e-12 and len(ticks) <= 2 * count + 2:
        ticks.append(round(start + len(ticks) * step, 10))
    return ticks


def _fmt(value: float) -> str:
    if abs(value) >= 1000:
        return f"{value:.0f}"
    if value != 0 and abs(value) < 0.01:
        return f"{value:.2g}"
    return f"{value:.3g}"


class _Frame:
    """Maps data coordinates to pixels inside the plotting area."""

    def __init__(self, xs: Sequence[float], ys: Sequence[float], x_range: tuple[float, float] | None,
                 y_range: tuple[float, float] | None) -> None:
        self.xticks = nice_ticks(*(x_range or (min(xs, default=0.0), max(xs, default=1.0))))
        self.yticks = nice_ticks(*(y_range or (min(ys, default=0.0), max(ys, default=1.0))))
        self.x0, self.x1 = self.xticks[0], self.xticks[-1]
        self.y0, self.y1 = self.yticks[0], self.yticks[-1]

    def px(self, x: float) -> float:
        return MARGIN_L + (x - self.x0) / ((self.x1 - self.x0) or 1) * (WIDTH - MARGIN_L - MARGIN_R)

    def py(self, y: float) -> float:
        return HEIGHT - MARGIN_B - (y - self.y0) / ((self.y1 - self.y0) or 1) * (HEIGHT - MARGIN_T - MARGIN_B)


def _open(title: str) -> list[str]:
    return [
        f"<svg viewBox='0 0 {WIDTH} {HEIGHT}' width='{WIDTH}' height='{HEIGHT}' "
        f"role='img' aria-label='{escape(title)}' {FONT} font-size='12'>",
        f"<rect width='{WIDTH}' height='{HEIGHT}' fill='white'/>",
        f"<text x='{WIDTH / 2}' y='20' text-anchor='middle' font-size='14' font-weight='600'>{escape(title)}</text>",
    ]


def _axes(frame: _Frame, x_label: str, y_label: str, x_ticks: bool = True) -> list[str]:
    out = []
    bottom, left = HEIGHT - MARGIN_B, MARGIN_L
    for y in frame.yticks:
        p = frame.py(y)
        out.append(f"<line x1='{left}' x2='{WIDTH - MARGIN_R}' y1='{p:.1f}' y2='{p:.1f}' stroke='#e5e7eb'/>")
        out.append(f"<text x='{left - 6}' y='{p + 4:.1f}' text-anchor='end' fill='#374151'>{_fmt(y)}</text>")
    if x_ticks:
        for x in frame.xticks:
            p = frame.px(x)
            out.append(f"<line x1='{p:.1f}' x2='{p:.1f}' y1='{MARGIN_T}' y2='{bottom}' stroke='#f3f4f6'/>")
            out.append(f"<text x='{p:.1f}' y='{bottom + 16}' text-anchor='middle' fill='#374151'>{_fmt(x)}</text>")
    out.append(f"<line x1='{left}' x2='{WIDTH - MARGIN_R}' y1='{bottom}' y2='{bottom}' stroke='#111827'/>")
    out.append(f"<line x1='{left}' x2='{left}' y1='{MARGIN_T}' y2='{bottom}' stroke='#111827'/>")
    out.append(f"<text x='{(left + WIDTH - MARGIN_R) / 2}' y='{HEIGHT - 12}' text-anchor='middle'>{escape(x_label)}</text>")
    mid = (MARGIN_T + bottom) / 2
    out.append(f"<text x='16' y='{mid}' text-anchor='middle' transform='rotate(-90 16 {mid})'>{escape(y_label)}</text>")
    return out


def _marker(kind: str, x: float, y: float, color: str, tip: str) -> str:
    title = f"<title>{escape(tip)}</title>" if tip else ""
    if kind == "none":
        return ""
    if kind == "diamond":
        pts = f"{x:.1f},{y - 7:.1f} {x + 7:.1f},{y:.1f} {x:.1f},{y + 7:.1f} {x - 7:.1f},{y:.1f}"
        return f"<polygon points='{pts}' fill='{color}' stroke='#111827' stroke-width='1'>{title}</polygon>"
    if kind == "ring":
        return f"<circle cx='{x:.1f}' cy='{y:.1f}' r='8' fill='none' stroke='{color}' stroke-width='2.5'>{title}</circle>"
    if kind == "square":
        return f"<rect x='{x - 5:.1f}' y='{y - 5:.1f}' width='10' height='10' fill='{color}'>{title}</rect>"
    return f"<circle cx='{x:.1f}' cy='{y:.1f}' r='4.5' fill='{color}' fill-opacity='0.8'>{title}</circle>"


def _legend(series: Sequence[Series]) -> list[str]:
    out = []
    x = MARGIN_L + 8
    for s in series:
        sample = _marker(s.marker, x, LEGEND_Y, s.color, "") or (
            f"<line x1='{x - 6}' x2='{x + 6}' y1='{LEGEND_Y}' y2='{LEGEND_Y}' stroke='{s.color}' stroke-width='3'/>")
        out.append(sample)
        out.append(f"<text x='{x + 11}' y='{LEGEND_Y + 4}' fill='#111827'>{escape(s.name)}</text>")
        x += 24 + 7 * len(s.name)
    return out


def xy_chart(title: str, series: Sequence[Series], x_label: str, y_label: str, *,
             x_range: tuple[float, float] | None = None, y_range: tuple[float, float] | None = None) -> str:
    """A scatter and/or line chart; an empty chart says so instead of drawing axes for nothing."""
    xs = [x for s in series for x, _ in s.points]
    ys = [y for s in series for _, y in s.points]
    out = _open(title)
    if not xs:
        out.append(f"<text x='{WIDTH / 2}' y='{HEIGHT / 2}' text-anchor='middle' fill='#6b7280'>no data yet</text></svg>")
        return "".join(out)
    frame = _Frame(xs, ys, x_range, y_range)
    out += _axes(frame, x_label, y_label)
    for s in series:
        if s.line and len(s.points) > 1:
            path = " ".join(f"{frame.px(x):.1f},{frame.py(y):.1f}" for x, y in s.points)
            out.append(f"<polyline points='{path}' fill='none' stroke='{s.color}' stroke-width='2'/>")
        for i, (x, y) in enumerate(s.points):
            label = s.labels[i] if i < len(s.labels) else ""
            tip = f"{label} ({_fmt(x)}, {_fmt(y)})".strip()
            out.append(_marker(s.marker, frame.px(x), frame.py(y), s.color, tip))
            if s.caption and label:
                out.append(f"<text x='{frame.px(x) + 9:.1f}' y='{frame.py(y) - 8:.1f}' font-size='11' "
                           f"fill='#111827'>{escape(label)}</text>")
    out += _legend(series)
    out.append("</svg>")
    return "".join(out)


def bar_chart(title: str, categories: Sequence[str], series: Sequence[Series], y_label: str, *,
              y_range: tuple[float, float] | None = None) -> str:
    """Grouped bars: one group per category, one bar per series (each series' points are (i, value))."""
    values = [v for s in series for _, v in s.points]
    out = _open(title)
    if not values or not categories:
        out.append(f"<text x='{WIDTH / 2}' y='{HEIGHT / 2}' text-anchor='middle' fill='#6b7280'>no data yet</text></svg>")
        return "".join(out)
    frame = _Frame([0, len(categories)], [0.0, *values], (0, len(categories)), y_range)
    out += _axes(frame, "", y_label, x_ticks=False)
    group = (WIDTH - MARGIN_L - MARGIN_R) / len(categories)
    bar = group * 0.8 / max(1, len(series))
    for ci, name in enumerate(categories):
        left = MARGIN_L + ci * group + group * 0.1
        out.append(f"<text x='{MARGIN_L + (ci + 0.5) * group:.1f}' y='{HEIGHT - MARGIN_B + 16}' text-anchor='middle'>{escape(name)}</text>")
        for si, s in enumerate(series):
            value = {int(i): v for i, v in s.points}.get(ci)
            if value is None:
                continue
            top, base = frame.py(value), frame.py(max(frame.y0, 0.0))
            out.append(f"<rect x='{left + si * bar:.1f}' y='{min(top, base):.1f}' width='{bar - 2:.1f}' "
                       f"height='{abs(base - top):.1f}' fill='{s.color}'><title>{escape(s.name)} {escape(name)}: "
                       f"{_fmt(value)}</title></rect>")
    out += _legend([Series(s.name, [], s.color, "square") for s in series])
    out.append("</svg>")
    return "".join(out)


def _link(element: str, href: str | None) -> str:
    return f"<a href='{escape(href)}'>{element}</a>" if href else element


def chain_chart(title: str, boxes: Sequence[tuple[str, str, str]], hrefs: Sequence[str | None] = ()) -> str:
    """A left-to-right chain of boxes (title, subtitle, colour) joined by arrows, e.g. a lineage;
    box i links to hrefs[i] when given."""
    width = max(WIDTH, 40 + 220 * len(boxes))
    height = 130
    out = [
        f"<svg viewBox='0 0 {width} {height}' width='{width}' height='{height}' "
        f"role='img' aria-label='{escape(title)}' {FONT} font-size='12'>",
        f"<rect width='{width}' height='{height}' fill='white'/>",
        "<defs><marker id='arrow' viewBox='0 0 10 10' refX='9' refY='5' markerWidth='7' markerHeight='7' "
        "orient='auto'><path d='M0,0 L10,5 L0,10 z' fill='#374151'/></marker></defs>",
        f"<text x='20' y='20' font-size='14' font-weight='600'>{escape(title)}</text>",
    ]
    for i, (head, sub, color) in enumerate(boxes):
        x = 20 + 220 * i
        box = (f"<rect x='{x}' y='40' width='190' height='64' rx='8' fill='{color}' fill-opacity='0.15' "
               f"stroke='{color}' stroke-width='2'/>"
               f"<text x='{x + 95}' y='66' text-anchor='middle' font-weight='600'>{escape(head[:28])}</text>"
               f"<text x='{x + 95}' y='86' text-anchor='middle' fill='#374151'>{escape(sub[:30])}</text>")
        out.append(_link(box, hrefs[i] if i < len(hrefs) else None))
        if i + 1 < len(boxes):
            out.append(f"<line x1='{x + 192}' y1='72' x2='{x + 218}' y2='72' stroke='#374151' stroke-width='2' "
                       "marker-end='url(#arrow)'/>")
    out.append("</svg>")
    return "".join(out)


@dataclass
class GraphNode:
    """A node of `graph_chart`: drawn in `column`, joined to its `parents` (keys of other nodes)."""

    key: int
    column: int
    label: str
    tip: str
    color: str
    parents: list[int] = field(default_factory=list)
    href: str | None = None


def graph_chart(title: str, nodes: Sequence[GraphNode], column_label: str,
                legend: Sequence[tuple[str, str]] = ()) -> str:
    """Nodes stacked in columns (left to right) with a line from each parent, e.g. every program by
    generation; a node with `href` is a link."""
    columns = sorted({n.column for n in nodes})
    rows: dict[int, int] = {}
    place: dict[int, tuple[float, float]] = {}
    for node in nodes:
        row = rows.get(node.column, 0)
        rows[node.column] = row + 1
        place[node.key] = (MARGIN_L + 50 + 96 * columns.index(node.column), MARGIN_T + 30 + 26 * row)
    width = max(WIDTH, MARGIN_L + 110 + 96 * len(columns))
    height = max(160, MARGIN_T + 52 + 26 * max(rows.values(), default=1))
    out = [
        f"<svg viewBox='0 0 {width} {height}' width='{width}' height='{height}' "
        f"role='img' aria-label='{escape(title)}' {FONT} font-size='11'>",
        f"<rect width='{width}' height='{height}' fill='white'/>",
        f"<text x='20' y='20' font-size='14' font-weight='600'>{escape(title)}</text>",
    ]
    if not nodes:
        out.append(f"<text x='{width / 2}' y='{height / 2}' text-anchor='middle' fill='#6b7280'>no data yet</text></svg>")
        return "".join(out)
    for column in columns:
        x = MARGIN_L + 50 + 96 * columns.index(column)
        out.append(f"<text x='{x}' y='{MARGIN_T + 8}' text-anchor='middle' fill='#374151'>{escape(column_label)} {column}</text>")
    for node in nodes:
        x, y = place[node.key]
        for parent in node.parents:
            if parent in place:
                px, py = place[parent]
                out.append(f"<line x1='{px:.1f}' y1='{py:.1f}' x2='{x:.1f}' y2='{y:.1f}' stroke='#9ca3af' stroke-width='1.2'/>")
    for node in nodes:
        x, y = place[node.key]
        dot = (f"<circle cx='{x:.1f}' cy='{y:.1f}' r='8' fill='{node.color}' stroke='#111827' stroke-width='0.8'>"
               f"<title>{escape(node.tip)}</title></circle>"
               f"<text x='{x + 11:.1f}' y='{y + 4:.1f}' fill='#111827'>{escape(node.label)}</text>")
        out.append(_link(dot, node.href))
    x = 20
    for name, color in legend:
        out.append(f"<circle cx='{x + 6}' cy='{LEGEND_Y}' r='6' fill='{color}' stroke='#111827' stroke-width='0.8'/>"
                   f"<text x='{x + 16}' y='{LEGEND_Y + 4}' fill='#111827'>{escape(name)}</text>")
        x += 30 + 7 * len(name)
    out.append("</svg>")
    return "".join(out)
