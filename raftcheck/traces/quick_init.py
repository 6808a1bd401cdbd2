"""A faster ``__init__`` for the frozen, slotted dataclasses that reading logs builds per line.

A frozen dataclass's generated ``__init__`` stores each field with ``object.__setattr__``
(frozen classes refuse plain assignment), which finds the field by name again for every
field of every object. Reading a log builds an event, its source and its node ids for nearly
every line: with these stores, that was a tenth of ``validate``'s time on etcd logs.
:func:`quick_init` gives such a class an ``__init__`` with the same parameters, defaults and
default factories that stores each field through its slot's descriptor, found once. The
objects are the same (tests/test_quick_init.py builds every class both ways); they stay
frozen (assignment after ``__init__`` still raises).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from types import MemberDescriptorType
from typing import Any, TypeVar

T = TypeVar("T")

DATACLASS_INIT: dict[type, Callable[..., None]] = {}
"""Each class's own dataclass ``__init__``, kept for the test that compares the two."""


def quick_init(cls: type[T]) -> type[T]:
    """Give the frozen, slotted dataclass ``cls`` the quick ``__init__`` (see the module
    docstring); raises TypeError for a class it does not fit."""
    params = cls.__dataclass_params__  # type: ignore[attr-defined]
    if not params.frozen or "__slots__" not in cls.__dict__ or \
            hasattr(cls, "__post_init__"):
        raise TypeError(f"{cls.__name__}: not a frozen, slotted dataclass without "
                        "__post_init__")
    fields = dataclasses.fields(cls)  # type: ignore[arg-type]
    scope: dict[str, Any] = {"_MISSING": dataclasses.MISSING}
    plain, keyword, body = [], [], []
    for k, f in enumerate(fields):
        if not f.init:
            raise TypeError(f"{cls.__name__}.{f.name}: a field outside __init__")
        scope[f"_set{k}"] = _slot(cls, f.name).__set__
        value = f.name
        if f.default is not dataclasses.MISSING:
            scope[f"_default{k}"] = f.default
            param = f"{f.name}=_default{k}"
        elif f.default_factory is not dataclasses.MISSING:
            scope[f"_factory{k}"] = f.default_factory
            param = f"{f.name}=_MISSING"
            value = f"_factory{k}() if {f.name} is _MISSING else {f.name}"
        else:
            param = f.name
        (keyword if f.kw_only else plain).append(param)
        body.append(f"    _set{k}(self, {value})\n")
    signature = ", ".join(["self", *plain, *(["*", *keyword] if keyword else [])])
    exec(f"def __init__({signature}):\n{''.join(body) or '    pass'}", scope)  # our own text
    init = scope["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    DATACLASS_INIT[cls] = cls.__dict__["__init__"]
    cls.__init__ = init  # type: ignore[misc]
    return cls


def _slot(cls: type, name: str) -> MemberDescriptorType:
    for klass in cls.__mro__:
        found = klass.__dict__.get(name)
        if isinstance(found, MemberDescriptorType):
            return found
    raise TypeError(f"{cls.__name__}.{name}: no slot")
