"""Plotly figures as static SVG, drawn in Python without a browser, for the PDF review.

The review reuses the dashboards' figure builders (components.figures); kaleido would render them
exactly but starts a browser (seconds per report). This draws the parts those builders use — bar
traces (vertical or horizontal, stacked, grouped or overlaid, colour scales), scatter traces (lines,
markers, text), a second y axis, linear, log, category and date axes, line and rectangle shapes,
annotations, a legend and a title — as plain vector SVG that WeasyPrint embeds.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import re
from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import escape

import numpy as np
import pandas as pd
import plotly.graph_objects as go

DEFAULT_FONT = "DejaVu Sans, sans-serif"
GRID = "#e9ecef"
AXIS_LINE = "#ced4da"
TEXT = "#212529"
MUTED = "#495057"
DEFAULT_COLOURS = ["#636efa", "#EF553B", "#00cc96", "#ab63fa", "#FFA15A", "#19d3f3", "#FF6692", "#B6E880"]
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")
DASH = {"dot": "2,3", "dash": "6,4", "dashdot": "6,3,2,3", "longdash": "10,4"}
_CLIP_IDS = itertools.count(1)  # clip-path ids must be unique among all SVGs of one HTML document


class UnsupportedFigure(ValueError):
    """The figure uses something this renderer does not draw."""


def _text_width(text: str, size: float) -> float:
    """Approximate width of the longest line of text in a sans-serif font (no font metrics without a browser)."""
    return max((sum(0.35 if c in "iIl.,:;|!'" else 0.9 if c in "MWmw%" else 0.6 if c.isupper() else 0.55
                    for c in line) * size for line in _text_lines(str(text))), default=0.0)


def _fmt_si(v: float) -> str:
    """12k, 1.5M like plotly's default tick labels."""
    a = abs(v)
    for div, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if a >= div:
            s = f"{v / div:.3g}"
            return f"{s}{suffix}"
    return f"{v:.3g}" if a < 1 and v != 0 else f"{v:,.0f}" if float(v).is_integer() else f"{v:,.4g}"


def _nice_step(span: float, target: int = 5) -> float:
    raw = span / max(target, 1)
    if raw <= 0 or not math.isfinite(raw):
        return 1.0
    mag = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 2.5, 5, 10):
        if raw <= m * mag:
            return m * mag
    return 10 * mag


def _is_date(v: Any) -> bool:
    return isinstance(v, (dt.date, np.datetime64, pd.Timestamp)) or (isinstance(v, str) and bool(ISO_DATE.match(v)))


def _to_ts(v: Any) -> pd.Timestamp:
    ts = pd.Timestamp(v)
    return ts.tz_convert(None) if ts.tzinfo is not None else ts


def _seq(values: Any) -> list:
    if values is None:
        return []
    if isinstance(values, np.ndarray):
        return values.tolist()
    return list(values)


def _num(v: Any) -> float | None:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def _colour(value: Any, fallback: str) -> str:
    return str(value) if isinstance(value, str) and value else fallback


def _hex_rgb(colour: str) -> tuple[int, int, int]:
    c = colour.lstrip("#")
    if len(c) == 3:
        c = "".join(ch * 2 for ch in c)
    return int(c[0:2], 16), int(c[2:4], 16), int(c[4:6], 16)


def _scale(colourscale: Any, t: float) -> str:
    """Colour at t (0..1) on a plotly colour scale given as [[pos, '#hex'], ...]."""
    stops = [(float(p), str(c)) for p, c in colourscale]
    t = min(1.0, max(0.0, t))
    for (p0, c0), (p1, c1) in zip(stops, stops[1:], strict=False):
        if p0 <= t <= p1:
            f = 0.0 if p1 == p0 else (t - p0) / (p1 - p0)
            a, b = _hex_rgb(c0), _hex_rgb(c1)
            return "#{:02x}{:02x}{:02x}".format(*(round(x + (y - x) * f) for x, y in zip(a, b, strict=True)))
    return stops[-1][1]


def _text_lines(text: str) -> list[str]:
    return [part for part in re.split(r"<br\s*/?>|\n", str(text))]


@dataclass
class Axis:
    """One axis: its kind, data range, categories, pixel span and ticks."""

    name: str
    spec: Any
    kind: str = "linear"  # linear, log, category, date
    lo: float = 0.0
    hi: float = 1.0
    categories: list[str] = field(default_factory=list)
    reversed: bool = False
    p0: float = 0.0
    p1: float = 1.0

    def position(self, v: Any) -> float | None:
        """Pixel position of a data value (or category)."""
        if self.kind == "category":
            key = str(v)
            if key not in self._index:
                return None
            frac = (self._index[key] + 0.5) / max(len(self.categories), 1)
        else:
            x = self.value(v)
            if x is None or self.hi == self.lo:
                return None
            frac = (x - self.lo) / (self.hi - self.lo)
        if self.reversed:
            frac = 1.0 - frac
        return self.p0 + frac * (self.p1 - self.p0)

    def value(self, v: Any) -> float | None:
        """The numeric coordinate of v on a continuous axis (log10 on log axes, seconds on date axes)."""
        if self.kind == "date":
            try:
                return _to_ts(v).value / 1e9
            except (ValueError, TypeError):
                return None
        x = _num(v)
        if x is None:
            return None
        if self.kind == "log":
            return math.log10(x) if x > 0 else None
        return x

    @property
    def band(self) -> float:
        """Pixel width of one category."""
        return abs(self.p1 - self.p0) / max(len(self.categories), 1)

    def finish(self) -> None:
        self._index = {c: i for i, c in enumerate(self.categories)}


@dataclass(frozen=True)
class Label:
    """A piece of chart text, placed at (x, y) in the figure's pixels, for drawing outside the SVG."""

    x: float
    y: float
    lines: list[str]
    size: float
    anchor: str  # start, middle, end
    colour: str
    weight: str
    rotate: float | None
    baseline: str  # middle, hanging, auto (alphabetic)


class Renderer:
    """Draws one figure; call svg()."""

    def __init__(self, fig: go.Figure, width: int, height: int | None,
                 labels: list[Label] | None = None) -> None:
        self.fig = fig
        self.labels = labels  # when a list, text goes there instead of into the SVG
        self.layout = fig.layout
        self.width = width
        self.height = int(height or self.layout.height or 320)
        font = self.layout.font
        self.font_size = float(font.size or 12) if font else 12.0
        self.font_family = DEFAULT_FONT
        self.out: list[str] = []
        self.barmode = self.layout.barmode or "group"
        self.bargap = 0.2 if self.layout.bargap is None else float(self.layout.bargap)
        for trace in fig.data:
            if trace.type not in ("bar", "scatter", "scattergl"):
                raise UnsupportedFigure(f"{trace.type} traces are not drawn in reports")

    # ---------------------------------------------------------------- axes

    def _axis_spec(self, name: str) -> Any:
        key = {"x": "xaxis", "y": "yaxis"}.get(name, f"{name[0]}axis{name[1:]}")
        return self.layout[key] if key in self.layout else None

    def _trace_axes(self, trace) -> tuple[str, str]:
        return (trace.xaxis or "x"), (trace.yaxis or "y")

    def _values_on(self, trace, letter: str) -> list:
        return _seq(trace.x if letter == "x" else trace.y)

    def _build_axes(self) -> dict[str, Axis]:
        names = {"x", "y"}
        for t in self.fig.data:
            names.update(self._trace_axes(t))
        axes = {}
        for name in sorted(names):
            spec = self._axis_spec(name)
            ax = Axis(name, spec)
            traces = [t for t in self.fig.data if name in self._trace_axes(t)]
            values = [v for t in traces for v in self._values_on(t, name[0])]
            kind = getattr(spec, "type", None) if spec is not None else None
            if kind in (None, "-"):
                if any(isinstance(v, str) and not _is_date(v) for v in values):
                    kind = "category"
                elif values and all(_is_date(v) for v in values if v is not None):
                    kind = "date"
                else:
                    kind = "linear"
            bars_only = traces and all(t.type == "bar" for t in traces)
            if kind == "date" and bars_only and self._is_category_dim(traces, name[0]):
                kind = "category"  # monthly bars: one band per period, labelled with the tick format
                fmt = getattr(spec, "tickformat", None) or "%b %Y"
                self._date_labels = {str(v): _to_ts(v).strftime(fmt) for v in values if v is not None}
            ax.kind = kind
            if kind == "category":
                seen = []
                for v in values:
                    if v is not None and str(v) not in seen:
                        seen.append(str(v))
                if kind == "category" and values and all(_is_date(v) for v in values):
                    seen.sort(key=_to_ts)
                ax.categories = seen
            ax.reversed = getattr(spec, "autorange", None) == "reversed" if spec is not None else False
            axes[name] = ax
        self.axes = axes
        for ax in axes.values():
            if ax.kind != "category":
                self._range(ax)
            ax.finish()
        return axes

    def _is_category_dim(self, traces, letter: str) -> bool:
        """True when bars run along this dimension (x for vertical bars, y for horizontal)."""
        return all((t.orientation == "h") == (letter == "y") for t in traces)

    def _range(self, ax: Axis) -> None:
        spec = ax.spec
        letter = ax.name[0]
        explicit = getattr(spec, "range", None) if spec is not None else None
        if explicit is not None and len(explicit) == 2 and None not in explicit:
            lo, hi = (ax.value(explicit[0]), ax.value(explicit[1])) if ax.kind != "log" else \
                (float(explicit[0]), float(explicit[1]))  # plotly gives log ranges in log10 units
            ax.lo, ax.hi = float(lo), float(hi)
            return
        vals: list[float] = []
        has_bars = False
        stacks_pos: dict[str, float] = {}
        stacks_neg: dict[str, float] = {}
        for t in self.fig.data:
            if ax.name not in self._trace_axes(t):
                continue
            own = self._values_on(t, letter)
            if t.type == "bar" and (t.orientation == "h") == (letter == "x"):
                has_bars = True
                other = self._values_on(t, "y" if letter == "x" else "x")
                for k, v in enumerate(own):
                    x = _num(v)
                    if x is None:
                        continue
                    if self.barmode in ("stack", "relative"):
                        key = str(other[k]) if k < len(other) else str(k)
                        target = stacks_pos if x >= 0 else stacks_neg
                        target[key] = target.get(key, 0.0) + x
                    else:
                        vals.append(x)
            else:
                vals += [x for x in (ax.value(v) for v in own) if x is not None]
        vals += list(stacks_pos.values()) + list(stacks_neg.values())
        for shape in self.layout.shapes or ():
            for a, b in (("x0", "x1"), ("y0", "y1")):
                ref = shape.xref if a == "x0" else shape.yref
                if ref == ax.name:
                    vals += [x for x in (ax.value(shape[a]), ax.value(shape[b])) if x is not None]
        rangemode = getattr(spec, "rangemode", None) if spec is not None else None
        if has_bars or rangemode == "tozero":
            vals.append(0.0)
        if not vals:
            ax.lo, ax.hi = (0.0, 1.0)
            return
        lo, hi = min(vals), max(vals)
        if lo == hi:
            lo, hi = (lo - 1, hi + 1) if lo != 0 else (0.0, 1.0)
        pad = (hi - lo) * 0.05
        if ax.kind in ("linear", "log"):
            lo = lo if (has_bars or rangemode == "tozero") and lo >= 0 else lo - pad
            hi = hi + pad
        ax.lo, ax.hi = lo, hi

    def _ticks(self, ax: Axis) -> list[tuple[float, str]]:
        """(pixel, label) pairs."""
        spec = ax.spec
        suffix = getattr(spec, "ticksuffix", None) or "" if spec is not None else ""
        tickvals = _seq(getattr(spec, "tickvals", None)) if spec is not None else []
        ticktext = _seq(getattr(spec, "ticktext", None)) if spec is not None else []
        out: list[tuple[float, str]] = []
        if ax.kind == "category":
            labels = getattr(self, "_date_labels", {})
            return [(ax.position(c), labels.get(c, c)) for c in ax.categories]
        if tickvals:
            for k, v in enumerate(tickvals):
                p = ax.position(v)
                if p is not None and min(ax.p0, ax.p1) - 0.5 <= p <= max(ax.p0, ax.p1) + 0.5:
                    label = str(ticktext[k]) if k < len(ticktext) else _fmt_si(float(v))
                    out.append((p, label + suffix))
            return out
        if ax.kind == "log":
            lo, hi = math.floor(ax.lo), math.ceil(ax.hi)
            mults = (1, 2, 5) if hi - lo <= 3 else (1,)
            for e in range(lo, hi + 1):
                for m in mults:
                    x = math.log10(m) + e
                    if ax.lo <= x <= ax.hi:
                        out.append((ax.position(10 ** x), _fmt_si(m * 10 ** e) + suffix))
            return out
        if ax.kind == "date":
            return self._date_ticks(ax)
        dtick = _num(getattr(spec, "dtick", None)) if spec is not None else None
        step = dtick if dtick and dtick > 0 else _nice_step(ax.hi - ax.lo)
        first = math.ceil(ax.lo / step - 1e-9) * step
        x = first
        big = max(abs(ax.lo), abs(ax.hi)) >= 10_000
        decimals = len(f"{step:.10g}".partition(".")[2])
        while x <= ax.hi + 1e-9 * step and len(out) < 50:
            label = _fmt_si(x) if big else f"{x:,.{decimals}f}"
            out.append((ax.position(x), label + suffix))
            x += step
        return out

    def _date_ticks(self, ax: Axis) -> list[tuple[float, str]]:
        start, end = pd.Timestamp(ax.lo, unit="s"), pd.Timestamp(ax.hi, unit="s")
        fmt = getattr(ax.spec, "tickformat", None) if ax.spec is not None else None
        room = abs(ax.p1 - ax.p0)
        for freq, default in (("D", "%d %b"), ("W-MON", "%d %b"), ("MS", "%b %Y"), ("QS", "%b %Y"), ("YS", "%Y")):
            ticks = pd.date_range(start.ceil("D"), end, freq=freq)
            label = fmt or default
            width = max((_text_width(t.strftime(label), self.font_size * 0.9) for t in ticks), default=0) + 12
            if len(ticks) * width <= room:  # the finest spacing whose labels do not overlap
                return [(ax.position(t), t.strftime(label)) for t in ticks]
        return []

    # ---------------------------------------------------------------- drawing helpers

    def _text(self, x: float, y: float, text: str, size: float | None = None, anchor: str = "middle",
              colour: str = TEXT, weight: str = "normal", rotate: float | None = None,
              baseline: str = "middle") -> None:
        size = size or self.font_size
        lines = _text_lines(text)
        if self.labels is not None:
            self.labels.append(Label(x, y, lines, size, anchor, colour, weight, rotate, baseline))
            return
        dy0 = -(len(lines) - 1) * size * 0.6
        transform = f' transform="rotate({rotate:.1f} {x:.1f} {y:.1f})"' if rotate else ""
        spans = "".join(f'<tspan x="{x:.1f}" dy="{(dy0 if i == 0 else size * 1.2):.1f}">{escape(line)}</tspan>'
                        for i, line in enumerate(lines))
        shift = {"middle": ' dominant-baseline="central"', "hanging": ' dominant-baseline="hanging"'}.get(baseline, "")
        self.out.append(f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size:.1f}" fill="{colour}" '
                        f'text-anchor="{anchor}" font-weight="{weight}"{shift}{transform}>{spans}</text>')

    def _line(self, x0, y0, x1, y1, colour, width=1.0, dash=None) -> None:
        d = f' stroke-dasharray="{DASH.get(dash, dash)}"' if dash and dash != "solid" else ""
        self.out.append(f'<line x1="{x0:.1f}" y1="{y0:.1f}" x2="{x1:.1f}" y2="{y1:.1f}" stroke="{colour}" '
                        f'stroke-width="{width:.2f}"{d}/>')

    def _rect(self, x, y, w, h, fill, opacity: float | None = None) -> None:
        if w <= 0 or h <= 0:
            return
        op = f' fill-opacity="{opacity:.2f}"' if opacity is not None else ""
        self.out.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" fill="{fill}"{op}/>')

    # ---------------------------------------------------------------- layout

    def _legend_items(self) -> list[tuple[str, str, str]]:
        if self.layout.showlegend is False:
            return []
        items = []
        for k, t in enumerate(self.fig.data):
            if t.showlegend is False or not t.name:
                continue
            colour = self._trace_colour(t, k)
            kind = "bar" if t.type == "bar" else ("line" if "lines" in (t.mode or "lines") else "marker")
            items.append((str(t.name), colour, kind))
        if self.layout.showlegend is None and len(items) < 2:
            return []
        return items

    def _trace_colour(self, t, k: int) -> str:
        if t.type == "bar":
            c = t.marker.color if t.marker else None
            if isinstance(c, str):
                return c
            if c is not None and t.marker.colorscale:
                return str(t.marker.colorscale[-1][1])
        else:
            if t.line and isinstance(t.line.color, str):
                return t.line.color
            if t.marker and isinstance(t.marker.color, str):
                return t.marker.color
        return DEFAULT_COLOURS[k % len(DEFAULT_COLOURS)]

    def _plan(self) -> None:
        m = self.layout.margin
        self.ml = float(m.l if m and m.l is not None else 60)
        self.mr = float(m.r if m and m.r is not None else 30)
        self.mt = float(m.t if m and m.t is not None else 40)
        self.mb = float(m.b if m and m.b is not None else 50)
        title = self.layout.title.text if self.layout.title else None
        self.title = title
        top = 6.0 + (self.font_size * 1.4 + 4 if title else 0)
        self.legend = self._legend_items()
        self.legend_rows: list[list[tuple[float, str, str, str]]] = []
        if self.legend:
            avail = self.width - 12
            row: list = []
            x = 0.0
            for name, colour, kind in self.legend:
                w = 26 + _text_width(name, self.font_size * 0.92) + 14
                if row and x + w > avail:
                    self.legend_rows.append(row)
                    row, x = [], 0.0
                row.append((x, name, colour, kind))
                x += w
            self.legend_rows.append(row)
            top += len(self.legend_rows) * (self.font_size + 8)
        self.legend_top = 6.0 + (self.font_size * 1.4 + 4 if title else 0)
        self.mt = max(self.mt, top + 4)
        axes = self._build_axes()
        # Long category labels on the left need room; rotated ones below.
        for name, ax in axes.items():
            if name.startswith("y") and ax.kind == "category" and name == "y":
                need = max((_text_width(c, self.font_size * 0.9) for c in ax.categories), default=0) + 14
                self.ml = max(self.ml, min(need, self.width * 0.38))
        x0, x1 = self.ml, self.width - self.mr
        y0, y1 = self.height - self.mb, self.mt
        self.rotate_x = False
        xa = axes.get("x")
        if xa is not None and xa.kind == "category" and xa.categories:
            band = (x1 - x0) / len(xa.categories)
            labels = getattr(self, "_date_labels", {})
            longest = max(_text_width(labels.get(c, c), self.font_size * 0.9) for c in xa.categories)
            angle = getattr(xa.spec, "tickangle", None) if xa.spec is not None else None
            if (angle not in (None, 0)) or longest > band * 0.95:
                self.rotate_x = True
                extra = min(longest * 0.55, 110) + 18
                y0 = self.height - max(self.mb, extra + 18)
        for name, ax in axes.items():
            if name.startswith("x"):
                ax.p0, ax.p1 = x0, x1
            else:
                ax.p0, ax.p1 = y0, y1
        self.box = (x0, y1, x1, y0)  # left, top, right, bottom

    # ---------------------------------------------------------------- parts

    def _draw_axes(self) -> None:
        left, top, right, bottom = self.box
        size = self.font_size * 0.9
        for name, ax in self.axes.items():
            spec = ax.spec
            if spec is not None and spec.visible is False:
                continue
            ticks = self._ticks(ax)
            show_grid = True if spec is None or spec.showgrid is None else bool(spec.showgrid)
            if name.startswith("x"):
                if ax.kind != "category" and show_grid:
                    for p, _label in ticks:
                        self._line(p, top, p, bottom, GRID)
                self._line(left, bottom, right, bottom, AXIS_LINE)
                for p, label in ticks:
                    label = label if len(label) <= 28 else label[:27] + "…"
                    if self.rotate_x:
                        self._text(p + 3, bottom + 8, label, size, anchor="end", rotate=-35, baseline="hanging")
                    else:
                        self._text(p, bottom + 6, label, size, baseline="hanging")
                title = spec.title.text if spec is not None and spec.title else None
                if title:
                    self._text((left + right) / 2, self.height - 8, title, self.font_size, baseline="auto")
            else:
                right_side = name != "y" and spec is not None and spec.side == "right"
                edge = right if right_side else left
                if ax.kind != "category" and show_grid and name == "y":
                    for p, _label in ticks:
                        self._line(left, p, right, p, GRID)
                if name == "y":
                    self._line(left, top, left, bottom, AXIS_LINE)
                for p, label in ticks:
                    label = label if len(label) <= 34 else label[:33] + "…"
                    if right_side:
                        self._text(edge + 6, p, label, size, anchor="start")
                    else:
                        self._text(edge - 6, p, label, size, anchor="end")
                title = spec.title.text if spec is not None and spec.title else None
                if title:
                    x = (self.width - 10) if right_side else 12
                    self._text(x, (top + bottom) / 2, title, self.font_size, rotate=90 if right_side else -90)

    def _shape_pos(self, ref: str | None, value: Any, letter: str) -> float | None:
        left, top, right, bottom = self.box
        ref = ref or "paper"
        if ref.endswith("domain") or ref == "paper":
            v = _num(value) or 0.0
            return left + v * (right - left) if letter == "x" else bottom - v * (bottom - top)
        ax = self.axes.get(ref)
        return ax.position(value) if ax is not None else None

    def _draw_shapes(self, layer: str) -> None:
        for s in self.layout.shapes or ():
            if (s.layer or "above") != layer:
                continue
            x0, x1 = self._shape_pos(s.xref, s.x0, "x"), self._shape_pos(s.xref, s.x1, "x")
            y0, y1 = self._shape_pos(s.yref, s.y0, "y"), self._shape_pos(s.yref, s.y1, "y")
            if None in (x0, x1, y0, y1):
                continue
            if s.type == "line":
                line = s.line
                self._line(x0, y0, x1, y1, _colour(line.color if line else None, MUTED),
                           float(line.width or 1) if line else 1.0, line.dash if line else None)
            elif s.type == "rect":
                self._rect(min(x0, x1), min(y0, y1), abs(x1 - x0), abs(y1 - y0), _colour(s.fillcolor, "#dee2e6"),
                           float(s.opacity) if s.opacity is not None else 0.3)

    def _draw_bars(self) -> None:
        bars = [(k, t) for k, t in enumerate(self.fig.data) if t.type == "bar"]
        if not bars:
            return
        n_group = len(bars) if self.barmode == "group" else 1
        stack_pos: dict[tuple[str, str], float] = {}
        stack_neg: dict[tuple[str, str], float] = {}
        for slot, (k, t) in enumerate(bars):
            horizontal = t.orientation == "h"
            xa_name, ya_name = self._trace_axes(t)
            cat_ax = self.axes[ya_name if horizontal else xa_name]
            val_ax = self.axes[xa_name if horizontal else ya_name]
            cats = _seq(t.y if horizontal else t.x)
            vals = _seq(t.x if horizontal else t.y)
            colours = t.marker.color if t.marker else None
            texts = _seq(t.text) if t.text is not None and not isinstance(t.text, str) else []
            base_colour = self._trace_colour(t, k)
            band = cat_ax.band if cat_ax.kind == "category" else 12.0
            width = band * (1 - self.bargap) / n_group
            offset = (slot - (n_group - 1) / 2) * width if self.barmode == "group" else 0.0
            for i, (c, v) in enumerate(zip(cats, vals, strict=False)):
                x = _num(v)
                centre = cat_ax.position(c)
                if x is None or centre is None:
                    continue
                key = (cat_ax.name, str(c))
                if self.barmode in ("stack", "relative"):
                    store = stack_pos if x >= 0 else stack_neg
                    start = store.get(key, 0.0)
                    store[key] = start + x
                    a, b = start, start + x
                else:
                    a, b = 0.0, x
                pa, pb = val_ax.position(a), val_ax.position(b)
                if pa is None or pb is None:
                    continue
                colour = base_colour
                if isinstance(colours, (list, tuple, np.ndarray)) and i < len(colours):
                    ci = colours[i]
                    if isinstance(ci, str):
                        colour = ci
                    elif t.marker.colorscale is not None and _num(ci) is not None:
                        cmin = _num(t.marker.cmin) if t.marker.cmin is not None else float(np.nanmin(colours))
                        cmax = _num(t.marker.cmax) if t.marker.cmax is not None else float(np.nanmax(colours))
                        colour = _scale(t.marker.colorscale, (float(ci) - cmin) / ((cmax - cmin) or 1))
                c0 = centre + offset - width / 2
                if horizontal:
                    self._rect(min(pa, pb), c0, abs(pb - pa), width, colour)
                else:
                    self._rect(c0, min(pa, pb), width, abs(pb - pa), colour)
                label = str(texts[i]) if i < len(texts) and texts[i] not in (None, "") else ""
                if label:
                    length = abs(pb - pa)
                    if _text_width(label, self.font_size * 0.85) + 6 < (length if horizontal else width):
                        if horizontal:
                            self._text((pa + pb) / 2, centre + offset, label, self.font_size * 0.85, colour="#fff")
                        else:
                            self._text(centre + offset, (pa + pb) / 2, label, self.font_size * 0.85, colour="#fff")

    def _marker(self, x: float, y: float, size: float, colour: str, symbol: str, outline: str | None) -> None:
        r = size / 2
        stroke = f' stroke="{outline}" stroke-width="1"' if outline else ""
        if symbol.endswith("-open"):
            fill, stroke = "none", f' stroke="{colour}" stroke-width="1.6"'
        else:
            fill = colour
        if symbol.startswith("triangle-down"):
            pts = f"{x - r:.1f},{y - r * 0.8:.1f} {x + r:.1f},{y - r * 0.8:.1f} {x:.1f},{y + r:.1f}"
            self.out.append(f'<polygon points="{pts}" fill="{fill}"{stroke}/>')
        elif symbol.startswith("square"):
            self.out.append(f'<rect x="{x - r:.1f}" y="{y - r:.1f}" width="{size:.1f}" height="{size:.1f}" '
                            f'fill="{fill}"{stroke}/>')
        else:
            self.out.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r:.1f}" fill="{fill}"{stroke}/>')

    def _draw_scatter(self) -> None:
        for k, t in enumerate(self.fig.data):
            if t.type not in ("scatter", "scattergl"):
                continue
            xa, ya = (self.axes[n] for n in self._trace_axes(t))
            pts = []
            for x, y in zip(_seq(t.x), _seq(t.y), strict=False):
                px, py = xa.position(x), ya.position(y)
                pts.append(None if px is None or py is None else (px, py))
            mode = t.mode or ("lines+markers" if len(pts) < 20 else "lines")
            colour = self._trace_colour(t, k)
            if "lines" in mode and t.line.width != 0:
                run: list[tuple[float, float]] = []
                for p in [*pts, None]:
                    if p is not None:
                        run.append(p)
                        continue
                    if len(run) > 1:
                        d = " ".join(f"{x:.1f},{y:.1f}" for x, y in run)
                        dash = DASH.get(t.line.dash) if t.line.dash else None
                        extra = f' stroke-dasharray="{dash}"' if dash else ""
                        width = float(t.line.width or 2)
                        self.out.append(f'<polyline points="{d}" fill="none" stroke="{colour}" '
                                        f'stroke-width="{width:.2f}" stroke-linejoin="round"{extra}/>')
                    run = []
            if "markers" in mode:
                size = float(t.marker.size) if t.marker and _num(t.marker.size) else 6.0
                symbol = str(t.marker.symbol or "circle") if t.marker else "circle"
                marker_colour = t.marker.color if t.marker and isinstance(t.marker.color, str) else colour
                outline = t.marker.line.color if t.marker and t.marker.line and t.marker.line.color else None
                for p in pts:
                    if p is not None:
                        self._marker(p[0], p[1], size, marker_colour, symbol, outline)
            if "text" in mode and t.text is not None:
                texts = [t.text] * len(pts) if isinstance(t.text, str) else _seq(t.text)
                size = float(t.textfont.size) if t.textfont and t.textfont.size else self.font_size * 0.85
                tcolour = t.textfont.color if t.textfont and t.textfont.color else TEXT
                for p, label in zip(pts, texts, strict=False):
                    if p is not None and label:
                        self._text(p[0], p[1] - size, str(label), size, colour=tcolour)

    def _draw_annotations(self) -> None:
        for a in self.layout.annotations or ():
            x = self._shape_pos(a.xref, a.x if a.x is not None else 0.5, "x")
            y = self._shape_pos(a.yref, a.y if a.y is not None else 0.5, "y")
            if x is None or y is None:
                continue
            size = float(a.font.size) if a.font and a.font.size else self.font_size
            colour = a.font.color if a.font and a.font.color else TEXT
            anchor = {"left": "start", "right": "end"}.get(a.xanchor or "center", "middle")
            if a.xref and a.xref not in ("paper",) and not a.xref.endswith("domain") and a.xanchor:
                x += 3 if anchor == "start" else -3 if anchor == "end" else 0
            baseline = {"top": "hanging", "bottom": "auto"}.get(a.yanchor or "middle", "middle")
            self._text(x, y + (2 if baseline == "hanging" else 0), a.text or "", size, anchor=anchor, colour=colour,
                       baseline=baseline)

    def _draw_legend(self) -> None:
        size = self.font_size * 0.92
        y = self.legend_top
        for row in self.legend_rows:
            cy = y + size / 2 + 2
            for x, name, colour, kind in row:
                x += 8
                if kind == "bar":
                    self._rect(x, cy - 5, 14, 10, colour)
                elif kind == "line":
                    self._line(x, cy, x + 18, cy, colour, 2.2)
                else:
                    self._marker(x + 7, cy, 8, colour, "circle", None)
                self._text(x + 22, cy, name, size, anchor="start", colour=MUTED)
            y += size + 8

    def svg(self) -> str:
        """The figure as an SVG document string."""
        self._plan()
        left, top, right, bottom = self.box
        self.out.append(f'<rect x="{left:.1f}" y="{top:.1f}" width="{right - left:.1f}" height="{bottom - top:.1f}" '
                        f'fill="#ffffff"/>')
        clip = f"plot-clip-{next(_CLIP_IDS)}"
        self.out.append(f'<clipPath id="{clip}"><rect x="{left:.1f}" y="{top - 1:.1f}" width="{right - left:.1f}" '
                        f'height="{bottom - top + 2:.1f}"/></clipPath>')
        self.out.append(f'<g clip-path="url(#{clip})">')
        self._draw_shapes("below")
        self.out.append("</g>")
        self._draw_axes()
        self.out.append(f'<g clip-path="url(#{clip})">')
        self._draw_bars()
        self._draw_scatter()
        self._draw_shapes("above")
        self.out.append("</g>")
        self._draw_annotations()
        self._draw_legend()
        if self.title:
            self._text(8, 6 + self.font_size * 0.7, self.title, self.font_size * 1.08, anchor="start", weight="bold")
        body = "".join(self.out)
        return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{self.width}" height="{self.height}" '
                f'viewBox="0 0 {self.width} {self.height}" font-family="{self.font_family}" role="img">{body}</svg>')


def figure_svg(fig: go.Figure, width: int = 680, height: int | None = None) -> str:
    """Draw a plotly figure (bars, scatter, shapes, annotations) as SVG of the given size in CSS pixels."""
    return Renderer(fig, width, height).svg()


def figure_parts(fig: go.Figure, width: int = 680, height: int | None = None) -> tuple[str, list[Label], int]:
    """The figure as SVG without its text, the text as labels, and the height in pixels.

    WeasyPrint lays SVG text out one letter at a time (most of a review's printing time); text placed
    over the image as HTML is laid out once per label and stays selectable in the PDF.
    """
    labels: list[Label] = []
    renderer = Renderer(fig, width, height, labels)
    return renderer.svg(), labels, renderer.height
