"""A sequence diagram as Mermaid text (`sequenceDiagram`), for Markdown viewers that draw it.

Mermaid draws a message as one horizontal arrow, so each message is written where it ends (its
delivery, drop or discard) and its label starts with the steps it spans, `[3→7]`; a message
still in flight at the end is written where it was sent, `[3→]`. Arrow styles:

    n1->>n2    delivered          n1-xn2    dropped by the network
    n1--xn2    discarded unread   n1--)n2   still in flight when the trace ends

What a step changed on a server is a note over its lifeline; partitions, heals and duplicates
are notes across the lifelines they concern, and a cut network is a shaded block. The cycle of
a lasso (a liveness counterexample) is a `loop` block.
"""

from __future__ import annotations

import re

from .events import Arrow, Fate, Sequence

ARROWS = {Fate.DELIVERED: "->>", Fate.DROPPED: "-x", Fate.DISCARDED: "--x",
          Fate.IN_FLIGHT: "--)"}
PARTITION_SHADE = "rgba(230, 80, 60, 0.08)"


def text(value: str) -> str:
    """Mermaid message text: no line breaks, and none of the characters Mermaid reads as
    syntax there (`;` ends a statement, `#` starts an entity code)."""
    return re.sub(r"[;#\n\r]", " ", value).strip()


def arrow_line(seq: Sequence, a: Arrow) -> str:
    span = f"[{a.sent}→{a.ended if a.ended is not None else ''}]"
    what = {Fate.DELIVERED: "", Fate.DROPPED: " (dropped)", Fate.DISCARDED: " (discarded unread)",
            Fate.IN_FLIGHT: " (in flight at the end)"}[a.fate]
    copy = " (stays in flight)" if a.stays else ""
    src, dst = seq.lifelines[a.src], seq.lifelines[a.dst]
    return f"{src}{ARROWS[a.fate]}{dst}: {text(f'{span} {a.label}{what}{copy}')}"


def over(seq: Sequence, lifelines: tuple[int, ...]) -> str:
    names = [seq.lifelines[i] for i in sorted(lifelines)]
    return names[0] if len(names) == 1 else f"{names[0]},{names[-1]}"


def render(seq: Sequence) -> str:
    """The diagram as Mermaid source text."""
    lines = ["sequenceDiagram", f"    title {text(seq.title)}"]
    lines += [f"    participant {name}" for name in seq.lifelines]
    everyone = tuple(range(len(seq.lifelines)))
    blocks: list[str] = []  # the blocks open, innermost last: "rect" (a cut) or "loop"

    def emit(line: str) -> None:
        lines.append("    " * (1 + len(blocks)) + line)

    def open_block(kind: str, header: str) -> None:
        emit(header)
        blocks.append(kind)

    def close_block() -> None:
        blocks.pop()
        emit("end")

    for step in seq.steps:
        k = step.index
        if seq.loop_start is not None and k == seq.loop_start + 1:
            cut = "rect" in blocks
            if cut:
                close_block()  # blocks nest: the cut's shading starts again inside the loop
            open_block("loop", f"loop steps {k} to {seq.last} repeat forever "
                               f"(back to the state of step {seq.loop_start})")
            if cut:
                open_block("rect", f"rect {PARTITION_SHADE}")
        body: list[str] = []
        body += [arrow_line(seq, a) for a in seq.arrows if a.ended == k]
        body += [arrow_line(seq, a) for a in seq.arrows if a.ended is None and a.sent == k]
        for mark in (m for m in seq.marks if m.step == k):
            if mark.kind == "heal" and blocks and blocks[-1] == "rect":
                close_block()
            body.append(f"Note over {over(seq, mark.lifelines)}: {k} {text(mark.text)}")
        body += [f"Note over {seq.lifelines[n.lifeline]}: {k} {text(n.text)}"
                 for n in seq.notes if n.step == k]
        if not body:
            body.append(f"Note over {over(seq, everyone)}: {k} {text(step.label)}")
        for line in body:
            emit(line)
        if any(m.step == k and m.kind == "partition" for m in seq.marks):
            open_block("rect", f"rect {PARTITION_SHADE}")
    while blocks:
        close_block()
    if seq.ending:
        emit(f"Note over {over(seq, everyone)}: {seq.last} {text(seq.ending)}")
    return "\n".join(lines) + "\n"
