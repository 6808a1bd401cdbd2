"""Parses memoised by message shape: lark runs once per shape of message, not once per line.

A Raft log repeats a few dozen message shapes with different values in them
(``4923cc2a2d4c5b92 became follower at term 7``). The *shape* of a text is the text with its
values cut out: its decimal numbers (1 to 16 digits, no leading zero) and its member ids (1 to
16 lowercase hex digits, no leading zero, at least one letter and one digit), each standing
alone (not part of a longer word or a decimal fraction), and what kind each value is (digits
only, or not). The first text of a shape is parsed as usual; the shape is also parsed twice with
distinct sentinel values in place of its values (of the same kinds: a template is proven for
the kinds of its sentinels only, so texts with values of other kinds are another shape), and
the drafts are turned into a template that puts the values back: an int that is a sentinel, a
string that contains one, an id spelled by one (hex, or decimal printed as hex).

The memo is only used for a shape whose template is proven to be a pure substitution: filling
it with the second sentinel set must give exactly the second parse, and filling it with the
first text's values must give exactly that text's parse. A shape that fails this (a value
that the transformer inspects, a value in a dict key, an unknown value type) is parsed by
lark every time. ``0``, values with leading zeros and numbers of more than 16 digits (the
decimal member ids of ``voters=(...)``) are never cut out, so the transformer's special cases
(id 0 is "none", ids lose leading zeros) and the lexer's (a hex id has at most 16 digits) stay
literal parts of the shape. Words of hex letters alone (``a``, ``added``) are words, not ids:
they stay literal too (so would an id without a digit, which is rare and only parsed more).

Sentinels stand for every value of their kind because the lexer takes every value of a kind
alike: in etcd_raft.lark no lexer state that accepts a number or an id accepts another
terminal that could take a part of it (tests/test_grammar_shapes.py checks this), so where a
sentinel lexes as one INT or ID (or inside a REST), so does every value of its kind.

A text without values to cut out is memoised as it is. At most ``limit`` shapes and ``limit``
texts are kept, so memory is bounded whatever the log's length.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from raftcheck.grammar.drafts import Draft, RawId

_WORD_CHAR = "0-9A-Za-z_.-"
"""What a value must not touch: a digit, letter, '_', '.' or '-' on either side makes it part
of a word (a name, a longer hex string, a decimal fraction)."""
_VALUE = re.compile(rf"([1-9a-f](?<![{_WORD_CHAR}].)(?:(?<=[1-9])|(?=[a-f]*[0-9]))"
                    rf"[0-9a-f]{{0,15}}+)(?![{_WORD_CHAR}])")
"""A value standing alone: a number or a hex id, which starts with a nonzero digit, or with a
letter that a digit follows (a word of letters alone is not an id). The assertions come after
the first character, so that the pattern starts with a character class and the regex engine
skips ahead to hex digits (a fifth fewer instructions than asserting the lookbehind at every
position; the same matches). The digits are taken possessively: a shorter run is followed by a
hex digit, which the lookahead refuses anyway."""
_MAX_VALUES = 64
_NUMBER_PREFIXES = ("71", "73")  # sentinel numbers: "71" + 8 digits, "73" + 8 digits
_ID_PREFIXES = ("fa", "fb")  # sentinel ids: "fa" + 8 digits, "fb" + 8 digits
_SENTINEL = re.compile(r"7[13]\d{8}|f[ab]\d{8}")  # neither kind's is inside the other's
Kinds = tuple[bool, ...]
"""Per value of a shape: whether it is digits only (a number, or an id printed in digits)."""

Fill = Callable[[list[str]], Any]
"""A template: the drafts of a shape, given its values as texts."""


class _NotTemplatable(Exception):
    pass


class _HexIds(dict[str, RawId]):
    """``ids[text]``: the RawId of a hex id as ``etcd_id`` makes it of a text without leading
    zeros, made once per text (at most ``limit`` kept): the lines of a learnt shape share their
    ids' RawIds instead of building them."""

    def __init__(self, *, small: bool, limit: int) -> None:
        super().__init__()
        self._small, self._limit = small, limit

    def __missing__(self, text: str) -> RawId:
        raw = RawId(text, int(text, 16) if self._small else None)
        if len(self) < self._limit:
            self[text] = raw
        return raw


def _sentinels(which: int, kinds: Kinds) -> list[str]:
    """Sentinel set ``which`` (0 or 1) for values of these kinds."""
    return [f"{(_NUMBER_PREFIXES if digits else _ID_PREFIXES)[which]}{k:08d}"
            for k, digits in enumerate(kinds)]


def _fill_text(literals: list[str], values: list[str]) -> str:
    out = [literals[0]]
    for value, literal in zip(values, literals[1:], strict=True):
        out += [value, literal]
    return "".join(out)


class _Compiler:
    """Turns drafts parsed from the first sentinel text into a :data:`Fill`: one Python
    expression that rebuilds them from the values ``t`` (texts), compiled once per shape,
    so that filling a learnt shape costs about what building its drafts by hand would."""

    def __init__(self, kinds: Kinds, ids: _HexIds, small_ids: _HexIds) -> None:
        first = _sentinels(0, kinds)
        self.ids, self.small_ids = ids, small_ids
        numbers = [(k, int(s)) for k, s in enumerate(first) if kinds[k]]
        self.slot_of_text = {s: k for k, s in enumerate(first)}
        self.slot_of_int = {n: k for k, n in numbers}
        self.slot_of_hex = {format(n, "x"): k for k, n in numbers}
        self.constants: list[Any] = []

    def fill(self, value: Any) -> Fill:
        source = self.compile(value)
        return eval(f"lambda t: {source}", self.scope())  # our own text: literals are repr()s

    def scope(self) -> dict[str, Any]:
        """The names that compiled sources use (the constants grow as more is compiled)."""
        return {"Draft": Draft, "RawId": RawId, "c": self.constants, "ids": self.ids,
                "small_ids": self.small_ids}

    def constant(self, value: Any) -> str:
        self.constants.append(value)
        return f"c[{len(self.constants) - 1}]"

    def compile(self, value: Any) -> str:
        if value is None or isinstance(value, bool | float | type):
            return self.constant(value)
        if isinstance(value, int):
            k = self.slot_of_int.get(value)
            return self.constant(value) if k is None else f"int(t[{k}])"
        if isinstance(value, str):
            return self._text(value)
        if isinstance(value, RawId):
            return self._raw_id(value)
        if type(value) is tuple:
            return "(" + "".join(f"{self.compile(v)}, " for v in value) + ")"
        if type(value) is list:
            return "[" + ", ".join(self.compile(v) for v in value) + "]"
        if isinstance(value, dict):
            if any(not isinstance(key, str) or _SENTINEL.search(key) for key in value):
                raise _NotTemplatable("a value in a key")
            return "{" + ", ".join(f"{key!r}: {self.compile(v)}"
                                   for key, v in value.items()) + "}"
        if isinstance(value, Draft):
            return f"Draft({self.constant(value.kind)}, {self.compile(value.node)}, " \
                   f"{self.compile(value.fields)})"
        raise _NotTemplatable(f"value of type {type(value).__name__}")

    def _text(self, value: str) -> str:
        pieces = _SENTINEL.split(value)
        if len(pieces) == 1:
            return self.constant(value)
        slots = [self.slot_of_text.get(m) for m in _SENTINEL.findall(value)]
        if any(k is None for k in slots):
            raise _NotTemplatable("an unknown sentinel in a text")
        out = [repr(pieces[0])]
        for k, tail in zip(slots, pieces[1:], strict=True):
            out += [f"t[{k}]", repr(tail)]
        return "(" + " + ".join(out) + ")"

    def _raw_id(self, value: RawId) -> str:
        k = self.slot_of_text.get(value.key)
        if k is not None:  # a hex id spelled by the value (an id, or a number read as one)
            return f"{'ids' if value.number is None else 'small_ids'}[t[{k}]]"
        k = self.slot_of_hex.get(value.key)
        if k is not None:  # a decimal id, kept as hex
            number = f"int(t[{k}])" if value.number is not None else "None"
            return f"RawId(format(int(t[{k}]), 'x'), {number})"
        if _SENTINEL.search(value.key):
            raise _NotTemplatable("an id built from a value in another way")
        return self.constant(value)


class Shape:
    """A learnt shape: ``fill`` rebuilds its drafts from its values; ``drafts`` are the drafts
    of its first sentinel text and ``compiler`` the compiler that made ``fill`` from them, so
    that a reader can compile other code from the same template (``raftcheck.traces.builders``
    builds events without drafts, and keeps what it compiled in ``builders``, by skim set)."""

    __slots__ = ("builders", "compiler", "drafts", "fill")

    def __init__(self, fill: Fill, drafts: list[Draft], compiler: _Compiler) -> None:
        self.fill, self.drafts, self.compiler = fill, drafts, compiler
        self.builders: dict[Any, Any] = {}


class Filled(Sequence[Draft]):
    """The drafts of a text of a learnt shape, built only when read: a reader that knows the
    shape (``shape``, and ``nums``, the text's values) may make its events without them."""

    __slots__ = ("_drafts", "nums", "shape")

    def __init__(self, shape: Shape, nums: list[str]) -> None:
        self.shape, self.nums = shape, nums
        self._drafts: list[Draft] | None = None

    def drafts(self) -> list[Draft]:
        if self._drafts is None:
            self._drafts = self.shape.fill(self.nums)
        return self._drafts

    def __getitem__(self, k: Any) -> Any:
        return self.drafts()[k]

    def __len__(self) -> int:
        return len(self.drafts())

    def __iter__(self) -> Iterator[Draft]:
        return iter(self.drafts())

    def __eq__(self, other: object) -> bool:
        return self.drafts() == (other.drafts() if isinstance(other, Filled) else other)

    __hash__ = None  # type: ignore[assignment]  # as a list's


class ShapeMemo:
    """``memo(text)`` is ``parse(text)``, with lark run once per message shape (see the module
    docstring). ``limit`` bounds the number of shapes kept; ``parse`` must be a pure function
    of the text that returns a list of drafts or raises."""

    def __init__(self, parse: Callable[[str], list[Draft]], limit: int = 4096) -> None:
        self._parse = parse
        self._limit = limit
        self._shapes: dict[tuple[Any, ...], Shape | None] = {}  # (literals, *kinds): shape
        self._texts: dict[str, list[Draft]] = {}
        self._ids = _HexIds(small=False, limit=limit), _HexIds(small=True, limit=limit)

    def __call__(self, text: str) -> list[Draft]:
        drafts = self.lazy(text)
        return drafts.drafts() if type(drafts) is Filled else drafts  # type: ignore[return-value]

    def lazy(self, text: str) -> Sequence[Draft]:
        """``memo(text)``, as a :class:`Filled` where the text's shape is learnt."""
        parts = _VALUE.split(text)
        if len(parts) == 1:  # no values: the text is its own shape
            drafts = self._texts.get(text)
            if drafts is None:
                drafts = self._parse(text)
                if len(self._texts) < self._limit:
                    self._texts[text] = drafts
            return drafts
        literals = parts[0::2]
        values = parts[1::2]
        key = ("\x00".join(literals), *map(str.isdigit, values))
        shape = self._shapes.get(key, ...)
        if shape is None:
            return self._parse(text)
        if shape is not ...:
            return Filled(shape, values)
        drafts = self._parse(text)
        if len(self._shapes) < self._limit:
            self._shapes[key] = self._learn(literals, values, key[1:], drafts)
        return drafts

    def _learn(self, literals: list[str], values: list[str], kinds: Kinds, drafts: list[Draft]
               ) -> Shape | None:
        """The template of this shape, or None if it is not a proven substitution."""
        if len(values) > _MAX_VALUES:
            return None
        try:
            compiler = _Compiler(kinds, *self._ids)
            sentinel_drafts = self._parse(_fill_text(literals, _sentinels(0, kinds)))
            fill = compiler.fill(sentinel_drafts)
            second = _sentinels(1, kinds)
            if fill(second) != self._parse(_fill_text(literals, second)):
                return None
            if fill(values) != drafts:
                return None
        except Exception:  # a sentinel text that does not parse, or no template
            return None
        return Shape(fill, sentinel_drafts, compiler)
