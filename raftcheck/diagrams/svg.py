"""A sequence diagram drawn as SVG 1.1, with nothing but the standard library.

Time runs down, one row per trace step; the step numbers and actions of the text
counterexample run down the left. Each server has a lifeline. A message is an arrow from the
row of its send to the row of its delivery, so a message that waited in the network slants
across the steps in between. A message the network dropped ends in a cross at the drop step, one
discarded unread in a circle, one still in flight at the end in an open, dashed arrow. What a
step changed on a server is a note under the step's row on its lifeline; while the network is
cut, each lifeline is shaded in the colour of its side. Every element has a class naming what it
is (lifeline, message delivered, note role, network partition, step-number, ...), so the picture
can be styled and tested.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable

from .events import Arrow, Fate, Note, Sequence
from .placement import Box, Placer

FONT = "DejaVu Sans, Verdana, Helvetica, Arial, sans-serif"
MONO = "DejaVu Sans Mono, Menlo, Consolas, monospace"
CHAR = 0.61  # average character width per pixel of font size (DejaVu Sans)

ROW = 40  # pixels per step
MARGIN = 18
HEAD = 108  # title, one line of subtitle and the lifeline heads
SUBTITLE_LINE = 16
NOTE_H = 17
FRACTION = 0.55  # how far across an arrow that never arrives is drawn

INK = "#1f2937"
MUTED = "#6b7280"
FATE_COLOUR = {Fate.DELIVERED: INK, Fate.DROPPED: "#dc2626", Fate.DISCARDED: MUTED,
               Fate.IN_FLIGHT: MUTED}
FATE_MARKER = {Fate.DELIVERED: "head", Fate.DROPPED: "cross", Fate.DISCARDED: "ring",
               Fate.IN_FLIGHT: "open"}
FATE_SUFFIX = {Fate.DELIVERED: "", Fate.DROPPED: " (dropped)", Fate.DISCARDED: " (discarded)",
               Fate.IN_FLIGHT: " (in flight at the end)"}
#: note kind -> (fill, stroke)
NOTE_COLOUR = {
    "leader": ("#fef3c7", "#d97706"),
    "role": ("#dbeafe", "#2563eb"),
    "restart": ("#fee2e2", "#dc2626"),
    "client": ("#dcfce7", "#16a34a"),
    "vote": ("#ede9fe", "#7c3aed"),
    "log": ("#f3f4f6", "#6b7280"),
    "commit": ("#f3f4f6", "#6b7280"),
}
SIDE_COLOUR = ("#3b82f6", "#f59e0b", "#10b981", "#a855f7")
MARK_COLOUR = {"partition": "#dc2626", "heal": "#16a34a", "duplicate": "#7c3aed"}


def width_of(text: str, size: float) -> float:
    return len(text) * size * CHAR


def wrap(text: str, size: float, width: float) -> list[str]:
    """Words into lines no wider than width (a word wider than that gets a line of its own)."""
    lines: list[str] = []
    for word in text.split():
        if lines and width_of(f"{lines[-1]} {word}", size) <= width:
            lines[-1] += f" {word}"
        else:
            lines.append(word)
    return lines


def note_kind(note: Note) -> str:
    return "leader" if note.kind == "role" and note.text.startswith("leader") else note.kind


class Layout:
    """Where things go: x of each lifeline, y of each step."""

    def __init__(self, seq: Sequence) -> None:
        self.seq = seq
        labels = [f"{s.index}" for s in seq.steps]
        widest_step = max(width_of(s.label, 12) for s in seq.steps)
        self.number_x = MARGIN + width_of(labels[-1], 12) + 4
        self.label_x = self.number_x + 8
        widest_note = max((width_of(n.text, 11) for n in seq.notes), default=60) + 14
        widest_arrow = max((width_of(a.label + FATE_SUFFIX[a.fate], 11) for a in seq.arrows),
                           default=60)
        self.gap = min(max(widest_note, widest_arrow * 0.75, 150), 300)
        first = self.label_x + widest_step + max(widest_note / 2, 40) + 16
        self.x = [first + k * self.gap for k in range(len(seq.lifelines))]
        widest_mark = max((width_of(m.text, 11) for m in seq.marks
                           if m.kind != "duplicate"), default=0)
        self.right = self.x[-1] + max(widest_note / 2, 40) + 16
        self.mark_x = self.right
        self.width = self.right + widest_mark + MARGIN + (8 if widest_mark else 0)
        self.loop_x = self.width + 6  # the bracket of a lasso's cycle, if any
        if seq.loop_start is not None:
            self.width += 40
        self.width = max(self.width, 640)
        self.subtitle = wrap(seq.subtitle, 12, self.width - 2 * MARGIN)
        self.head = HEAD + SUBTITLE_LINE * max(len(self.subtitle) - 1, 0)
        self.top = self.head + 26
        self.end = self.y(seq.last) + ROW  # below the last row: where in-flight arrows end
        self.bottom = self.end + 30

    def y(self, step: int) -> float:
        return self.top + step * ROW


def _fmt(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


class Canvas:
    """An SVG document being built; element helpers take floats and keyword attributes."""

    def __init__(self, width: float, height: float) -> None:
        self.root = ET.Element("svg", {
            "xmlns": "http://www.w3.org/2000/svg", "version": "1.1",
            "width": _fmt(width), "height": _fmt(height),
            "viewBox": f"0 0 {_fmt(width)} {_fmt(height)}",
            "font-family": FONT, "font-size": "12",
        })

    def add(self, parent: ET.Element | None, tag: str, text: str | None = None,
            **attrs: str | float) -> ET.Element:
        el = ET.SubElement(self.root if parent is None else parent, tag, {
            k.rstrip("_").replace("_", "-"): _fmt(v) if isinstance(v, float | int) else v
            for k, v in attrs.items()})
        if text is not None:
            el.text = text
        return el

    def group(self, parent: ET.Element | None, cls: str, title: str | None = None) -> ET.Element:
        g = self.add(parent, "g", class_=cls)
        if title:
            self.add(g, "title", title)
        return g

    def label(self, parent: ET.Element, x: float, y: float, text: str, *, size: float = 11,
              anchor: str = "start", colour: str = INK, cls: str = "label",
              weight: str = "normal", style: str = "normal") -> None:
        """Text with a white halo under it, so it stays readable across lines it crosses."""
        common = dict(x=x, y=y, font_size=size, text_anchor=anchor, font_weight=weight,
                      font_style=style)
        self.add(parent, "text", text, class_="halo", fill="white", stroke="white",
                 stroke_width=3.5, stroke_linejoin="round", **common)
        self.add(parent, "text", text, class_=cls, fill=colour, **common)


def _markers(c: Canvas) -> None:
    defs = c.add(None, "defs")
    for fate, marker in FATE_MARKER.items():
        colour = FATE_COLOUR[fate]
        m = c.add(defs, "marker", id=f"m-{marker}", viewBox="0 0 10 10", refX=9, refY=5,
                  markerWidth=9, markerHeight=9, orient="auto", markerUnits="userSpaceOnUse")
        if marker == "head":
            c.add(m, "path", d="M0,0 L10,5 L0,10 z", fill=colour)
        elif marker == "open":
            c.add(m, "path", d="M0,0 L10,5 L0,10", fill="none", stroke=colour, stroke_width=1.5)
        elif marker == "cross":
            m.set("refX", "5")
            c.add(m, "path", d="M1,1 L9,9 M9,1 L1,9", stroke=colour, stroke_width=2.2)
        else:
            m.set("refX", "5")
            c.add(m, "circle", cx=5, cy=5, r=3.6, fill="white", stroke=colour, stroke_width=1.5)


def _header(c: Canvas, seq: Sequence, lay: Layout) -> None:
    g = c.group(None, "title-block")
    c.add(g, "text", seq.title, class_="title", x=MARGIN, y=30, font_size=17, font_weight="bold",
          fill=INK)
    for k, line in enumerate(lay.subtitle):
        c.add(g, "text", line, class_="subtitle", x=MARGIN, y=50 + k * SUBTITLE_LINE, font_size=12,
              fill=MUTED)
    c.add(g, "text", "step", class_="column-head", x=lay.number_x, y=lay.head + 4, font_size=11,
          text_anchor="end", fill=MUTED)
    c.add(g, "text", "action", class_="column-head", x=lay.label_x, y=lay.head + 4, font_size=11,
          fill=MUTED)


def _rows(c: Canvas, seq: Sequence, lay: Layout) -> None:
    g = c.group(None, "steps")
    for step in seq.steps:
        y = lay.y(step.index)
        cycle = seq.loop_start is not None and step.index > seq.loop_start
        last = step.index == seq.last and seq.ending and not cycle
        if step.index % 2 or last or cycle:
            ended = "#dcfce7" if seq.witness else "#fee2e2"  # a witness is not a violation
            fill = ended if last else ("#fef9c3" if step.index % 2 else "#fefce8") \
                if cycle else "#f8fafc"
            c.add(g, "rect", class_="stripe", x=MARGIN / 2, y=y - ROW / 2 + 4,
                  width=lay.width - MARGIN, height=ROW, fill=fill)
        c.add(g, "text", str(step.index), class_="step-number", x=lay.number_x, y=y + 4,
              text_anchor="end", font_weight="bold", fill=INK)
        c.add(g, "text", step.label, class_="step-label", x=lay.label_x, y=y + 4, fill=INK)


def _lifelines(c: Canvas, seq: Sequence, lay: Layout) -> None:
    for k, name in enumerate(seq.lifelines):
        x = lay.x[k]
        g = c.group(None, "lifeline", f"server {name}")
        g.set("id", f"lifeline-{name}")
        c.add(g, "line", x1=x, y1=lay.head + 14, x2=x, y2=lay.end, stroke="#9ca3af",
              stroke_width=1.2)
        for y in (lay.head - 8, lay.end + 14):
            c.add(g, "rect", x=x - 26, y=y - 14, width=52, height=24, rx=5, fill="#1f2937")
            c.add(g, "text", name, x=x, y=y + 3, text_anchor="middle", font_weight="bold",
                  font_size=13, fill="white")


def _bands(c: Canvas, seq: Sequence, lay: Layout) -> None:
    for band in seq.bands:
        g = c.group(None, "cut", "network cut: lifelines of one colour can exchange messages")
        y1 = lay.y(band.start)
        y2 = lay.y(band.end) if band.end is not None else lay.end
        for side, members in enumerate(band.groups):
            for k in members:
                c.add(g, "rect", class_=f"side side-{side}", x=lay.x[k] - 4, y=y1, width=8,
                      height=y2 - y1, fill=SIDE_COLOUR[side % len(SIDE_COLOUR)], opacity=0.45)


def _marks(c: Canvas, seq: Sequence, lay: Layout) -> None:
    for mark in seq.marks:
        colour = MARK_COLOUR.get(mark.kind, MUTED)
        g = c.group(None, f"network {mark.kind}", f"step {mark.step}: {mark.text}")
        y = lay.y(mark.step)
        if mark.kind == "duplicate":
            a, b = (lay.x[k] for k in mark.lifelines)
            c.label(g, (a + b) / 2, y - 6, mark.text, anchor="middle", colour=colour,
                    style="italic", cls="mark-text")
            continue
        c.add(g, "line", x1=lay.x[0] - 40, y1=y, x2=lay.mark_x - 4, y2=y, stroke=colour,
              stroke_width=2, stroke_dasharray="7 4")
        c.label(g, lay.mark_x, y + 4, mark.text, colour=colour, weight="bold", cls="mark-text")


def note_box(lay: Layout, note: Note) -> Box:
    """A note sits just under its step's row, centred on its lifeline."""
    w = width_of(note.text, 11) + 12
    x, y = lay.x[note.lifeline], lay.y(note.step) + 3
    return Box(x - w / 2, y, x + w / 2, y + NOTE_H)


def _notes(c: Canvas, seq: Sequence, lay: Layout) -> None:
    for note in seq.notes:
        kind = note_kind(note)
        fill, stroke = NOTE_COLOUR.get(kind, NOTE_COLOUR["log"])
        g = c.group(None, f"note {kind}", f"step {note.step}, {seq.lifelines[note.lifeline]}: "
                    f"{note.text}")
        box = note_box(lay, note)
        c.add(g, "rect", x=box.x1, y=box.y1, width=box.x2 - box.x1, height=NOTE_H, rx=4,
              fill=fill, stroke=stroke, stroke_width=1)
        c.add(g, "text", note.text, class_="note-text", x=(box.x1 + box.x2) / 2,
              y=box.y1 + 12.5, text_anchor="middle", font_size=11, fill=INK)


def arrow_ends(lay: Layout, a: Arrow) -> tuple[tuple[float, float], tuple[float, float]]:
    """Where an arrow starts and where its drawn line stops: at the recipient's lifeline if
    delivered, part of the way there otherwise."""
    x1, y1 = lay.x[a.src], lay.y(a.sent)
    x2 = lay.x[a.dst]
    y2 = lay.y(a.ended) if a.ended is not None else lay.end
    if a.fate is not Fate.DELIVERED:
        x2 = x1 + (x2 - x1) * FRACTION
    return (x1, y1), (x2, y2)


def _arrow(c: Canvas, seq: Sequence, lay: Layout, a: Arrow, placer: Placer,
           loop_level: int = 0) -> None:
    colour = FATE_COLOUR[a.fate]
    ended = "in flight at the end" if a.ended is None else f"step {a.ended}"
    g = c.group(None, f"message {a.fate.value}",
                f"{a.detail}: sent at step {a.sent}, {a.fate.value} at {ended}")
    (x1, y1), (x2, y2) = arrow_ends(lay, a)
    style = {"stroke_dasharray": "5 4"} if a.fate is Fate.IN_FLIGHT else {}
    marker = f"url(#m-{FATE_MARKER[a.fate]})"
    text = a.label + FATE_SUFFIX[a.fate] + (" (stays in flight)" if a.stays else "")
    if a.src == a.dst:  # a message to oneself (raft.tla's candidates): a loop to the right
        reach = 20 + 14 * loop_level
        c.add(g, "path", d=f"M{_fmt(x1)},{_fmt(y1)} h{reach} V{_fmt(y2)} h{4 - reach}",
              fill="none", stroke=colour, stroke_width=1.4, marker_end=marker, **style)
        w = width_of(text, 11) + 4  # the label sits on the loop's top, where it starts
        placer.block(Box(x1 + 4, y1 - 15, x1 + 4 + w, y1 - 2))
        c.label(g, x1 + 4, y1 - 5, text, colour=colour, cls="message-label")
        return
    shorten = 2 if a.fate is Fate.DELIVERED else 0
    direction = 1 if x2 > x1 else -1
    c.add(g, "line", x1=x1, y1=y1, x2=x2 - direction * shorten, y2=y2, stroke=colour,
          stroke_width=1.4, marker_end=marker, **style)
    x, y = placer.place((x1, y1), (x2, y2), width_of(text, 11) + 4)
    c.label(g, x, y, text, anchor="middle", colour=colour, cls="message-label")


def loop_levels(seq: Sequence) -> dict[int, int]:
    """Messages to oneself that overlap in time get loops of different widths: arrow index ->
    level (0 is the narrowest)."""
    levels: dict[int, int] = {}
    busy: dict[int, list[int]] = {}  # lifeline -> last step covered, per level
    for k, a in enumerate(seq.arrows):
        if a.src != a.dst:
            continue
        ends = busy.setdefault(a.src, [])
        end = a.ended if a.ended is not None else seq.last + 1
        level = next((i for i, last in enumerate(ends) if last < a.sent), len(ends))
        if level == len(ends):
            ends.append(end)
        else:
            ends[level] = end
        levels[k] = level
    return levels


def obstacles(seq: Sequence, lay: Layout) -> Placer:
    """What arrow labels should not cover: notes, network marks and the ends of arrows."""
    placer = Placer(lay.x)
    for note in seq.notes:
        placer.block(note_box(lay, note))
    for mark in seq.marks:
        y = lay.y(mark.step)
        if mark.kind == "duplicate":
            a, b = (lay.x[k] for k in mark.lifelines)
            w = width_of(mark.text, 11)
            placer.block(Box((a + b - w) / 2, y - 16, (a + b + w) / 2, y - 3))
        else:
            placer.block(Box(lay.x[0] - 40, y - 2, lay.mark_x, y + 2), cost=20)
    for a in seq.arrows:
        for x, y in arrow_ends(lay, a):
            placer.block(Box(x - 7, y - 7, x + 7, y + 7), cost=40)
    return placer


def _cycle(c: Canvas, seq: Sequence, lay: Layout) -> None:
    """A lasso's cycle: a bracket from its last step back up to the step it returns to."""
    if seq.loop_start is None:
        return
    g = c.group(None, "cycle", f"steps {seq.loop_start + 1} to {seq.last} repeat forever")
    top, bottom, x = lay.y(seq.loop_start), lay.y(seq.last), lay.loop_x
    c.add(g, "path", d=f"M{_fmt(x - 8)},{_fmt(bottom)} h14 V{_fmt(top)} h-12", fill="none",
          stroke="#a16207", stroke_width=1.6, marker_end="url(#m-head)")
    middle = (top + bottom) / 2
    c.add(g, "text", "repeats forever", x=x + 20, y=middle,
          font_size=11, fill="#a16207", text_anchor="middle",
          transform=f"rotate(-90 {_fmt(x + 20)} {_fmt(middle)})")


def _ending(c: Canvas, seq: Sequence, lay: Layout) -> None:
    if seq.ending:
        g = c.group(None, "ending")
        mark, colour = ("✓", "#15803d") if seq.witness else ("✗", "#b91c1c")
        c.add(g, "text", f"{mark} {seq.ending}", class_="ending-text", x=MARGIN,
              y=lay.bottom + 12, font_size=13, font_weight="bold", fill=colour)


LEGEND_ROW = 24


def _legend(c: Canvas, lay: Layout, y: float) -> float:
    """Draw the key from y down, items flowing into as many rows as the width needs; return
    the height used."""
    g = c.group(None, "legend")
    c.add(g, "text", "Key", x=MARGIN, y=y + 4, font_weight="bold", fill=INK)
    items: list[tuple[float, Callable[[float, float], None]]] = []

    def arrow_sample(fate: Fate, text: str) -> None:
        def draw(x: float, row: float) -> None:
            style = {"stroke_dasharray": "5 4"} if fate is Fate.IN_FLIGHT else {}
            c.add(g, "line", x1=x, y1=row - 4, x2=x + 34, y2=row - 4, stroke=FATE_COLOUR[fate],
                  stroke_width=1.4, marker_end=f"url(#m-{FATE_MARKER[fate]})", **style)
            c.add(g, "text", text, x=x + 42, y=row, font_size=11, fill=INK)
        items.append((42 + width_of(text, 11), draw))

    def note_sample(kind: str, text: str) -> None:
        w = width_of(text, 11) + 12

        def draw(x: float, row: float) -> None:
            fill, stroke = NOTE_COLOUR[kind]
            c.add(g, "rect", x=x, y=row - 12.5, width=w, height=NOTE_H, rx=4, fill=fill,
                  stroke=stroke)
            c.add(g, "text", text, x=x + 6, y=row, font_size=11, fill=INK)
        items.append((w, draw))

    def side_sample(side: int, text: str) -> None:
        def draw(x: float, row: float) -> None:
            c.add(g, "rect", x=x, y=row - 12, width=8, height=16,
                  fill=SIDE_COLOUR[side], opacity=0.45)
            c.add(g, "text", text, x=x + 14, y=row, font_size=11, fill=INK)
        items.append((14 + width_of(text, 11), draw))

    for fate, text in ((Fate.DELIVERED, "delivered"), (Fate.DROPPED, "dropped by the network"),
                       (Fate.DISCARDED, "discarded unread"),
                       (Fate.IN_FLIGHT, "in flight at the end")):
        arrow_sample(fate, text)
    for kind, text in (("leader", "leader, term"), ("role", "follower / candidate, term"),
                       ("vote", "vote"), ("client", "client request"),
                       ("log", "log / commit index"), ("restart", "restart")):
        note_sample(kind, text)
    side_sample(0, "one side of a cut")
    side_sample(1, "the other side")
    hint = "Hover an arrow or a note for all its fields."
    items.append((width_of(hint, 11), lambda x, row: c.add(
        g, "text", hint, x=x, y=row, font_size=11, fill=MUTED, font_style="italic")))

    left = MARGIN + 40
    x, row = left, y + 4
    for width, draw in items:
        if x > left and x + width > lay.width - MARGIN:
            x, row = left, row + LEGEND_ROW
        draw(x, row)
        x += width + 20
    return row - y + 12


def render(seq: Sequence) -> str:
    """The diagram as an SVG 1.1 document."""
    lay = Layout(seq)
    c = Canvas(lay.width, lay.bottom)
    c.add(None, "title", seq.title)
    if seq.subtitle:
        c.add(None, "desc", seq.subtitle)
    _markers(c)
    c.add(None, "rect", class_="background", x=0, y=0, width="100%", height="100%", fill="white")
    _header(c, seq, lay)
    _rows(c, seq, lay)
    _bands(c, seq, lay)
    _lifelines(c, seq, lay)
    _notes(c, seq, lay)
    _marks(c, seq, lay)
    placer = obstacles(seq, lay)
    levels = loop_levels(seq)
    for k, a in enumerate(seq.arrows):
        _arrow(c, seq, lay, a, placer, levels.get(k, 0))
    _cycle(c, seq, lay)
    _ending(c, seq, lay)
    legend_y = lay.bottom + (44 if seq.ending else 16)
    height = legend_y + _legend(c, lay, legend_y) + MARGIN
    c.root.set("height", _fmt(height))
    c.root.set("viewBox", f"0 0 {_fmt(lay.width)} {_fmt(height)}")
    ET.indent(c.root, space=" ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(c.root, encoding="unicode") \
        + "\n"
