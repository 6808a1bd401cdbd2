"""A history as a picture: one lane per process, each operation a bar from its invocation to
its response in real time (event order where the history has no times), the window that
cannot be linearized marked, the failing operation in solid red (Porcupine's visualizer shows
histories the same way). SVG 1.1 built with the standard library, or one self-contained HTML
page holding the SVG and the text report.
"""

from __future__ import annotations

import bisect
import html
import xml.etree.ElementTree as ET
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

from raftcheck.diagrams.svg import FONT, INK, MUTED, Canvas, width_of

from .check import HistoryVerdict, KeyVerdict
from .operations import FAIL, INFO, OK, Operation
from .report import (
    describe,
    headline,
    key_verdict,
    outcome,
    show,
    show_key,
    start_summary,
    text_lines,
    where,
)

WIDTH = 1280  # at least; an event-order axis widens the picture so that labels fit
EVENT = 28  # pixels per event on an event-order axis
MAX_WIDTH = 8000
CONTEXT_EVENTS = 12  # the key's events drawn before a window's start and after its end
MARGIN = 24
LANE_LABEL = 110  # room for "process 12" at the left
LANE = 30  # pixels per lane
BAR = 20
MAX_OPERATIONS = 400  # drawn per key; a longer history is drawn around its failure or start
MAX_KEYS = 8  # sections drawn when every key is linearizable

#: status -> (fill, stroke, dash)
STYLE = {
    OK: ("#dbeafe", "#2563eb", None),
    FAIL: ("#f3f4f6", "#9ca3af", "3 2"),
    INFO: ("#fef3c7", "#d97706", "5 3"),
}
WINDOW = ("#fee2e2", "#dc2626")
FAILING = ("#dc2626", "#991b1b")


@dataclass
class Section:
    """One key's part of the picture: the operations drawn and what is marked."""

    verdict: KeyVerdict
    operations: list[Operation]
    note: str
    marked: set[int]
    failing: int | None
    start: float | None  # where the window starts and ends, as x values (time or position)
    end: float | None
    start_values: str
    lo: float = 0.0  # the x range drawn
    hi: float = 1.0


def _x_value(op: Operation, timed: bool, end: bool) -> float | None:
    if timed:
        return op.complete_time if end else op.invoke_time
    value = op.complete if end else op.invoke
    return float(value) if value is not None else None


def sections(v: HistoryVerdict) -> tuple[list[Section], bool]:
    """What to draw, and whether the x axis is time (else event order)."""
    timed = all(op.invoke_time is not None
                and (op.complete is None or op.complete_time is not None)
                for op in v.history.operations)
    by_key = v.history.by_key()
    chosen = v.failing or v.keys[:MAX_KEYS]
    out = []
    for k in chosen:
        ops = by_key[k.key]
        w = k.window
        if w is None:
            drawn = ops[:MAX_OPERATIONS]
            note = (f"the first {len(drawn)} of {len(ops)} operations"
                    if len(drawn) < len(ops) else f"{len(ops)} operations")
            out.append(Section(k, drawn, note, set(), None, None, None, ""))
            continue
        marked = {op.index for op in w.operations}
        window_first = min(w.operations, key=lambda op: op.invoke)
        section = Section(k, [], "", marked, w.failing.index,
                          _x_value(window_first, timed, False), _x_value(w.failing, timed, True),
                          start_summary(w))
        section.lo, section.hi = _context(ops, window_first.invoke, w.end, timed)
        near = [op for op in ops if _overlaps(op, section, timed)]
        near.sort(key=lambda op: abs(op.invoke - w.failing.invoke))
        section.operations = sorted(near[:MAX_OPERATIONS], key=lambda op: op.invoke)
        section.note = f"{len(section.operations)} of {len(ops)} operations, around the window"
        out.append(section)
    for part in out:
        if part.start is None:
            part.lo, part.hi = _x_range(part, timed)
    return out, timed


def _context(ops: Sequence[Operation], first: int, last: int, timed: bool) -> tuple[float,
                                                                                   float]:
    """The x range from CONTEXT_EVENTS of the key's events before event position ``first``
    to as many after ``last``."""
    events = sorted((position, x) for op in ops for position, x in (
        (op.invoke, _x_value(op, timed, False)), (op.complete, _x_value(op, timed, True)))
        if position is not None and x is not None)
    positions = [p for p, _ in events]
    i = bisect.bisect_left(positions, first)
    j = bisect.bisect_right(positions, last) - 1
    lo = events[max(i - CONTEXT_EVENTS, 0)][1]
    hi = events[min(j + CONTEXT_EVENTS, len(events) - 1)][1]
    return lo, hi if hi > lo else lo + 1.0


def _overlaps(op: Operation, s: Section, timed: bool) -> bool:
    start, end = _x_value(op, timed, False), _x_value(op, timed, True)
    return op.index in s.marked or (start is not None and start <= s.hi
                                    and (end is None or end >= s.lo))


def _x_range(s: Section, timed: bool) -> tuple[float, float]:
    xs = [x for op in s.operations
          for x in (_x_value(op, timed, False), _x_value(op, timed, True)) if x is not None]
    lo, hi = (min(xs), max(xs)) if xs else (0.0, 1.0)
    return lo, hi if hi > lo else lo + 1.0


def _process_order(p: Hashable) -> tuple[int, str]:
    return (0, f"{p:012d}") if isinstance(p, int) else (1, str(p))


def short(op: Operation) -> str:
    """A bar's label: ``w 3``, ``r 2``, ``cas 1→4``."""
    if op.f == "read":
        return f"r {show(op.value)}" if op.status == OK else "r ?"
    if op.f == "cas":
        return f"cas {show(op.value[0])}→{show(op.value[1])}"
    return f"w {show(op.value)}"


def render(v: HistoryVerdict) -> str:
    """The picture as an SVG 1.1 document."""
    parts, timed = sections(v)
    plot = WIDTH - 2 * MARGIN - LANE_LABEL
    if not timed:
        plot = max([plot] + [min((p.hi - p.lo) * EVENT, MAX_WIDTH) for p in parts])
    width = plot + 2 * MARGIN + LANE_LABEL
    plot_left, plot_right = MARGIN + LANE_LABEL, width - MARGIN
    heights = [40 + LANE * len({op.process for op in s.operations}) + 56 for s in parts]
    legend_rows = 2
    height = 84 + sum(heights) + 22 * legend_rows
    c = Canvas(width, height)
    c.add(None, "title", f"raftcheck history: {v.history.path}")
    c.add(None, "rect", class_="background", x=0, y=0, width="100%", height="100%",
          fill="white")
    failed = bool(v.failing)
    c.label(c.root, MARGIN, 30, f"raftcheck history: {v.history.path}", size=16,
            weight="bold", cls="title")
    c.label(c.root, MARGIN, 52, headline(v), size=12,
            colour=FAILING[0] if failed else INK, cls="verdict")
    axis = ("time (s) from the first operation drawn" if timed
            else "event order (the n-th invocation or response)")
    c.label(c.root, MARGIN, 68, f"x: {axis}; hover over an operation for its lines", size=11,
            colour=MUTED, cls="axis-label")
    y = 84
    for part, h in zip(parts, heights, strict=True):
        _section(c, part, timed, y, plot_left, plot_right)
        y += h
    _legend(c, y + 8, width)
    ET.indent(c.root, space=" ")
    return ET.tostring(c.root, encoding="unicode", xml_declaration=True) + "\n"


def _section(c: Canvas, s: Section, timed: bool, top: float, left: float,
             right: float) -> None:
    g = c.group(None, "key", f"key {show_key(s.verdict.key)}")
    title = f"key {show_key(s.verdict.key)}: {key_verdict(s.verdict)} — {s.note}"
    c.label(g, MARGIN, top + 18, title, size=13, weight="bold", cls="key-title")
    ops = s.operations
    lanes = sorted({op.process for op in ops}, key=_process_order)
    lane_y = {p: top + 40 + i * LANE for i, p in enumerate(lanes)}
    lo, hi = s.lo, s.hi
    scale = (right - left) / (hi - lo)

    def x_of(value: float | None) -> float:
        if value is None:
            return right
        return min(max(left + (value - lo) * scale, left), right)

    bottom = top + 40 + LANE * len(lanes)
    for p in lanes:
        ly = lane_y[p]
        c.add(g, "line", class_="lane", x1=left, y1=ly + LANE / 2, x2=right, y2=ly + LANE / 2,
              stroke="#e5e7eb")
        c.label(g, left - 8, ly + LANE / 2 + 4, f"process {p}", size=11, anchor="end",
                colour=MUTED, cls="lane-label")
    _axis(c, g, lo, hi, timed, left, right, bottom)
    if s.start is not None:
        sx = x_of(s.start) - 3
        c.add(g, "line", class_="window-start", x1=sx, y1=top + 30, x2=sx, y2=bottom,
              stroke=WINDOW[1], stroke_dasharray="4 3")
        text = f"window starts: the register may hold {s.start_values}"
        fits = sx + 3 + width_of(text, 10) <= right
        c.label(g, sx + 3 if fits else sx - 3, top + 32, text, size=10, colour=WINDOW[1],
                cls="window-label", anchor="start" if fits else "end")
    for op in ops:
        _bar(c, g, op, s, lane_y[op.process], x_of, timed, right)


def _bar(c: Canvas, parent: ET.Element, op: Operation, s: Section, ly: float, x_of,
         timed: bool, right: float) -> None:
    start = x_of(_x_value(op, timed, False))
    end = x_of(_x_value(op, timed, True))
    fill, stroke, dash = STYLE[op.status]
    cls = f"op {op.status}"
    width = 1.5
    if op.index in s.marked:
        fill, stroke, width, cls = WINDOW[0], WINDOW[1], 2.5, cls + " window"
    if op.index == s.failing:
        fill, stroke, cls = FAILING[0], FAILING[1], cls + " failing"
    tip = f"process {op.process}: {describe(op)} — {outcome(op)} ({where(op)})"
    if op.error:
        tip += f"; error: {op.error}"
    g = c.group(parent, cls, tip)
    y = ly + (LANE - BAR) / 2
    bar_end = max(end, start + 4)
    attrs = dict(x=start, y=y, width=bar_end - start, height=BAR, rx=3, fill=fill,
                 stroke=stroke, stroke_width=width)
    if dash and op.index not in s.marked:
        attrs["stroke_dasharray"] = dash
    c.add(g, "rect", **attrs)
    if op.status == INFO:  # it may take effect at any time after its invocation
        c.add(g, "line", class_="may-act-later", x1=bar_end, y1=y + BAR / 2, x2=right,
              y2=y + BAR / 2, stroke=stroke, stroke_dasharray="2 3")
    text = short(op)
    if width_of(text, 9.5) + 5 <= bar_end - start:
        colour = "white" if op.index == s.failing else INK
        c.add(g, "text", text, class_="op-label", x=start + 3, y=y + BAR / 2 + 3.5,
              font_size=9.5, fill=colour)
    elif op.index in s.marked:  # too short for its label: beside it, above the lane line
        c.add(g, "text", text, class_="op-label outside", x=bar_end + 2, y=y + 6,
              font_size=9, fill=WINDOW[1])


def _axis(c: Canvas, parent: ET.Element, lo: float, hi: float, timed: bool, left: float,
          right: float, y: float) -> None:
    c.add(parent, "line", class_="axis", x1=left, y1=y + 4, x2=right, y2=y + 4, stroke=MUTED)
    for i in range(6):
        value = lo + (hi - lo) * i / 5
        x = left + (right - left) * i / 5
        c.add(parent, "line", class_="tick", x1=x, y1=y + 4, x2=x, y2=y + 8, stroke=MUTED)
        label = f"{value - lo:.3f}" if timed else f"{value:.0f}"
        c.label(parent, x, y + 20, label, size=10, anchor="middle", colour=MUTED,
                cls="tick-label")


def _legend(c: Canvas, y: float, width: float) -> None:
    g = c.group(None, "legend")
    items = [("ok", STYLE[OK][0], STYLE[OK][1], None),
             ("failed (did not happen)", STYLE[FAIL][0], STYLE[FAIL][1], STYLE[FAIL][2]),
             ("indeterminate (may act any time after its start, or never)", STYLE[INFO][0],
              STYLE[INFO][1], STYLE[INFO][2]),
             ("in the window that cannot be linearized", WINDOW[0], WINDOW[1], None),
             ("the response no linearization explains", FAILING[0], FAILING[1], None)]
    x = MARGIN
    for label, fill, stroke, dash in items:
        attrs = dict(x=x, y=y, width=26, height=14, rx=3, fill=fill, stroke=stroke,
                     stroke_width=1.5)
        if dash:
            attrs["stroke_dasharray"] = dash
        c.add(g, "rect", **attrs)
        c.label(g, x + 32, y + 11, label, size=11, cls="legend-label")
        x += 32 + width_of(label, 11) + 22
        if x > min(width, WIDTH) - 300:
            x, y = MARGIN, y + 22


def render_html(v: HistoryVerdict) -> str:
    """One self-contained page: the picture and the text report."""
    svg = render(v).split("?>", 1)[-1]
    report = html.escape("\n".join(text_lines(v)))
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>raftcheck history: {html.escape(v.history.path)}</title>"
        f"<style>body{{font-family:{FONT};margin:16px;color:{INK}}}"
        "pre{background:#f9fafb;padding:12px;border:1px solid #e5e7eb;overflow-x:auto}"
        "svg .op:hover rect{stroke-width:3}</style></head><body>\n"
        f"{svg}\n<h2>Report</h2>\n<pre>{report}</pre>\n</body></html>\n")


def write(path: str, v: HistoryVerdict, kind: str) -> None:
    text = render(v) if kind == "svg" else render_html(v)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)

