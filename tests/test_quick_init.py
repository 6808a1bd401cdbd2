"""quick_init's ``__init__`` (a speed path for the objects reading builds per line) must build
exactly what the dataclass's own ``__init__`` builds, for every class it is given to: the same
fields, defaults and default factories, equal and equally hashed objects, still frozen, and the
same refusals of bad calls."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from raftcheck.grammar.drafts import RawId
from raftcheck.traces.events import QUICK_INIT
from raftcheck.traces.quick_init import DATACLASS_INIT, quick_init

CLASSES = [*QUICK_INIT, RawId]
VALUES = st.one_of(st.none(), st.integers(), st.text(max_size=3), st.booleans(),
                   st.tuples(st.text(max_size=2)))


def _by_dataclass_init(cls: type, *args: object, **kwargs: object) -> object:
    made = object.__new__(cls)
    DATACLASS_INIT[cls](made, *args, **kwargs)
    return made


def _fields(obj: object) -> dict[str, object]:
    return {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}


def test_every_class_read_per_line_has_it() -> None:
    assert set(DATACLASS_INIT) == set(CLASSES)
    for cls in CLASSES:
        assert cls.__init__ is not DATACLASS_INIT[cls]


@settings(max_examples=300, deadline=None)
@given(cls=st.sampled_from(CLASSES), data=st.data())
def test_it_builds_what_the_dataclass_init_builds(cls: type, data: st.DataObject) -> None:
    fields = dataclasses.fields(cls)
    required = [f for f in fields if f.default is dataclasses.MISSING
                and f.default_factory is dataclasses.MISSING]
    optional = [f for f in fields if f not in required]
    given_optional = data.draw(st.lists(st.sampled_from(optional), unique=True)) \
        if optional else []
    kwargs = {f.name: data.draw(VALUES) for f in [*required, *given_optional]}
    quick, slow = cls(**kwargs), _by_dataclass_init(cls, **kwargs)
    assert _fields(quick) == _fields(slow)
    assert quick == slow and hash(quick) == hash(slow)
    with pytest.raises(dataclasses.FrozenInstanceError):
        quick.__setattr__(fields[0].name, 1)
    positional = [f for f in fields if not f.kw_only]
    if positional:  # called by position where the class allows it
        args = [kwargs.get(f.name, getattr(slow, f.name)) for f in positional]
        assert _fields(cls(*args)) == _fields(_by_dataclass_init(cls, *args))


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_it_refuses_what_the_dataclass_init_refuses(cls: type) -> None:
    fields = dataclasses.fields(cls)
    kwargs = {f.name: None for f in fields}
    for make in (cls, lambda **kw: _by_dataclass_init(cls, **kw)):
        with pytest.raises(TypeError):
            make(**kwargs, unknown=1)
    required = [f.name for f in fields if f.default is dataclasses.MISSING
                and f.default_factory is dataclasses.MISSING]
    with pytest.raises(TypeError):
        cls(**{k: v for k, v in kwargs.items() if k != required[0]})
    with pytest.raises(TypeError):
        _by_dataclass_init(cls, **{k: v for k, v in kwargs.items() if k != required[0]})


def test_a_class_it_does_not_fit_is_refused() -> None:
    @dataclasses.dataclass(frozen=True)
    class NoSlots:
        a: int

    @dataclasses.dataclass(slots=True)
    class NotFrozen:
        a: int

    for cls in (NoSlots, NotFrozen):
        with pytest.raises(TypeError):
            quick_init(cls)
