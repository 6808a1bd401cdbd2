"""``names_in``: the node names an event's name fields hold, in field order (tuples spread),
for every event kind, whatever its name fields hold (a name, names, nothing)."""

from __future__ import annotations

import dataclasses
import itertools

import pytest

from raftcheck.traces import events as ev

SOURCE = ev.SourceRef("node1.log", 1, "raw")


def _event(kind: type[ev.Event], names: itertools.count) -> ev.Event:
    """An event of ``kind`` whose name fields hold distinct names (some None, some tuples)."""
    given: dict[str, object] = {}
    for f in dataclasses.fields(kind):
        if f.name in ("node", "source", "time"):
            continue
        if f.name in ev.NAME_FIELDS:
            k = next(names)
            given[f.name] = None if k % 5 == 4 else (f"n{k}", f"n{k}x") \
                if "tuple" in str(f.type) else f"n{k}"
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            given[f.name] = 1 if "int" in str(f.type) else "x"
    return kind(node="n0", source=SOURCE, **given)


@pytest.mark.parametrize("kind", ev.EVENT_TYPES, ids=lambda k: k.__name__)
def test_names_in_lists_every_name_field_in_order(kind: type[ev.Event]) -> None:
    e = _event(kind, itertools.count(1))
    want: list[str] = []
    for f in dataclasses.fields(e):
        if f.name in ev.NAME_FIELDS:
            value = getattr(e, f.name)
            want += [value] if isinstance(value, str) else list(value or ())
    assert list(ev.names_in(e)) == want


def test_kinds_with_one_two_and_no_name_fields_are_all_checked() -> None:
    counts = {len(ev.name_fields(kind)) for kind in ev.EVENT_TYPES}
    assert {0, 1} <= counts and max(counts) > 1
