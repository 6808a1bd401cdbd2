"""Events built straight from a learnt message shape, without drafts.

A text of a learnt shape (``raftcheck.grammar.shapes``) comes as a :class:`Filled`: the shape
and the text's values (numbers and ids). Turning its drafts into events (``LogStream._event``:
name the node, name every raw id in the fields, build the event or its :class:`Skimmed` form)
is, per shape, always the same code on other values; :func:`builder` compiles that code once
per shape, from the same template the shape's drafts are filled from, so that a line of a
learnt shape costs one call instead of drafts, field dicts and a generic conversion. The events
are the ones ``LogStream._event`` makes of the shape's drafts, and raw ids are named in the
same order (tests/test_traces_builders.py builds the events of every shape both ways).
"""

from __future__ import annotations

from collections.abc import Callable
from types import MappingProxyType
from typing import Any

from raftcheck.grammar.drafts import SELF, RawId
from raftcheck.grammar.shapes import Shape
from raftcheck.traces.events import Event, Skimmed, name_fields, names_held

Name = Callable[[RawId], str]
Builder = Callable[[list[str], Name, "RawId | None", Any, Any], list[Event]]
"""``build(values, name, owner, source, time)``: the events of one text of a shape."""

UNATTRIBUTED = "cannot tell which node this line is about (no node id seen yet in this file)"


class Unattributed(Exception):
    """A draft about the file's own node, which is not known yet."""


def builder(shape: Shape, skim: frozenset[type[Event]]) -> Builder:
    """The builder of ``shape``'s events (kinds in ``skim`` built as Skimmed), compiled once
    per shape and skim set and kept on the shape (``shape.builders``: a reader on the hot path
    looks there first)."""
    found = shape.builders.get(skim)
    if found is None:
        found = shape.builders[skim] = _compile(shape, skim)
    return found  # type: ignore[no-any-return]


def _compile(shape: Shape, skim: frozenset[type[Event]]) -> Builder:
    compiler = shape.compiler
    body: list[str] = []
    made: list[str] = []
    for k, draft in enumerate(shape.drafts):
        if draft.node is None:
            body += ["    if owner is None:", "        raise Unattributed(UNATTRIBUTED)",
                     f"    n{k} = name(owner)"]
        else:
            body.append(f"    n{k} = name({compiler.compile(draft.node)})")
        # every field resolved in its order, skimmed or not: naming is what reading does
        names = {}
        for key, value in draft.fields.items():
            names[key] = f"f{k}_{len(names)}"
            body.append(f"    {names[key]} = {_resolved(compiler, value, f'n{k}')}")
        kind = compiler.constant(draft.kind)
        if draft.kind in skim:
            held = "".join(f"{names.get(key, 'None')}, " for key in name_fields(draft.kind))
            body.append(f"    e{k} = Skimmed(node=n{k}, source=s, time=tm, of={kind}, "
                        f"names=names_held(({held})))")
        else:
            given = "".join(f", {key}={var}" for key, var in names.items())
            body.append(f"    e{k} = {kind}(node=n{k}, source=s, time=tm{given})")
        made.append(f"e{k}")
    body.append(f"    return [{', '.join(made)}]")
    scope = {**compiler.scope(), "Skimmed": Skimmed, "names_held": names_held,
             "Proxy": MappingProxyType, "Unattributed": Unattributed,
             "UNATTRIBUTED": UNATTRIBUTED}
    exec("def build(t, name, owner, s, tm):\n" + "\n".join(body), scope)  # our own text
    return scope["build"]  # type: ignore[no-any-return]


def _resolved(compiler: Any, value: Any, node: str) -> str:
    """The source of a draft value with its raw ids named, as ``logfiles._resolve`` names
    them (the value is the shape's sentinel draft's: its type is the type of every text's)."""
    if isinstance(value, RawId):
        return node if value is SELF else f"name({compiler.compile(value)})"
    if isinstance(value, tuple) and value and isinstance(value[0], RawId):
        return "(" + "".join(f"{_resolved(compiler, v, node)}, " for v in value) + ")"
    if isinstance(value, dict):
        return "Proxy({" + ", ".join(f"{key!r}: {_resolved(compiler, v, node)}"
                                     for key, v in value.items()) + "})"
    return compiler.compile(value)
