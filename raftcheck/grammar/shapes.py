"""Parses memoised by message shape: lark runs once per shape of message, not once per line.

A Raft log repeats a few dozen message shapes with different numbers in them
(``4923cc2a2d4c5b92 became follower at term 7``). The *shape* of a text is the text with its
decimal numbers (1 to 16 digits, no leading zero, standing alone: not part of a hex id, a
word or a decimal fraction) cut out. The first text of a shape is parsed as usual; the shape
is also parsed twice with distinct sentinel numbers in place of its numbers, and the drafts
are turned into a template that puts the numbers back: an int that is a sentinel, a string
that contains one, an id spelled by one (hex, or decimal printed as hex).

The memo is only used for a shape whose template is proven to be a pure substitution: filling
it with the second sentinel set must give exactly the second parse, and filling it with the
first text's numbers must give exactly that text's parse. A shape that fails this (a value
that the transformer inspects, a number in a dict key, an unknown value type) is parsed by
lark every time. ``0``, numbers with leading zeros and numbers of more than 16 digits (the
decimal member ids of ``voters=(...)``) are never cut out, so the transformer's special cases
(id 0 is "none") and the lexer's (a hex id has at most 16 digits) stay literal parts of the
shape. A text without numbers to cut out is memoised as it is. At most ``limit`` shapes and
``limit`` texts are kept, so memory is bounded whatever the log's length.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from raftcheck.grammar.drafts import Draft, RawId

_NUMBER = re.compile(r"(?<![0-9A-Za-z_.-])([1-9][0-9]{0,15})(?![0-9A-Za-z_.-])")
_MAX_NUMBERS = 64
_FIRST, _SECOND = "71", "73"  # sentinel prefixes: "71" + 8 digits, "73" + 8 digits
_SENTINEL = re.compile(r"7[13]\d{8}")

Fill = Callable[[list[str], list[int]], Any]
"""A template: the drafts of a shape, given its numbers as texts and as ints."""


class _NotTemplatable(Exception):
    pass


def _sentinels(prefix: str, count: int) -> list[str]:
    return [f"{prefix}{k:08d}" for k in range(count)]


def _fill_text(parts: list[str], nums: list[str]) -> str:
    out = [parts[0]]
    for k in range(1, len(parts), 2):
        out.append(nums[int(parts[k])])
        out.append(parts[k + 1])
    return "".join(out)


class _Compiler:
    """Turns drafts parsed from the first sentinel text into a :data:`Fill`."""

    def __init__(self, count: int) -> None:
        first = _sentinels(_FIRST, count)
        self.slot_of_text = {s: k for k, s in enumerate(first)}
        self.slot_of_int = {int(s): k for k, s in enumerate(first)}
        self.slot_of_hex = {format(int(s), "x"): k for k, s in enumerate(first)}

    def compile(self, value: Any) -> Fill:
        if value is None or isinstance(value, bool | float):
            return lambda _t, _i, v=value: v
        if isinstance(value, int):
            k = self.slot_of_int.get(value)
            if k is None:
                return lambda _t, _i, v=value: v
            return lambda _t, ints, k=k: ints[k]
        if isinstance(value, str):
            return self._text(value)
        if isinstance(value, RawId):
            return self._raw_id(value)
        if isinstance(value, tuple | list):
            parts = [self.compile(v) for v in value]
            kind = type(value)
            return lambda t, i: kind(p(t, i) for p in parts)
        if isinstance(value, dict):
            if any(not isinstance(key, str) or _SENTINEL.search(key) for key in value):
                raise _NotTemplatable("a number in a key")
            items = [(key, self.compile(v)) for key, v in value.items()]
            return lambda t, i: {key: p(t, i) for key, p in items}
        if isinstance(value, Draft):
            node = self.compile(value.node)
            fields = self.compile(value.fields)
            kind_ = value.kind
            return lambda t, i: Draft(kind_, node(t, i), fields(t, i))
        if isinstance(value, type):
            return lambda _t, _i, v=value: v
        raise _NotTemplatable(f"value of type {type(value).__name__}")

    def _text(self, value: str) -> Fill:
        pieces = _SENTINEL.split(value)
        if len(pieces) == 1:
            return lambda _t, _i, v=value: v
        slots = [self.slot_of_text.get(m) for m in _SENTINEL.findall(value)]
        if any(k is None for k in slots):
            raise _NotTemplatable("an unknown sentinel in a text")

        def fill(texts: list[str], _ints: list[int]) -> str:
            out = [pieces[0]]
            for k, tail in zip(slots, pieces[1:], strict=True):
                out.append(texts[k])  # type: ignore[index]
                out.append(tail)
            return "".join(out)

        return fill

    def _raw_id(self, value: RawId) -> Fill:
        k = self.slot_of_text.get(value.key)
        if k is not None:  # a hex id spelled by the number
            small = value.number is not None
            return lambda texts, _i: RawId(texts[k], int(texts[k], 16) if small else None)
        k = self.slot_of_hex.get(value.key)
        if k is not None:  # a decimal id, kept as hex
            small = value.number is not None
            return lambda _t, ints: RawId(format(ints[k], "x"), ints[k] if small else None)
        if _SENTINEL.search(value.key):
            raise _NotTemplatable("an id built from a number in another way")
        return lambda _t, _i, v=value: v


class ShapeMemo:
    """``memo(text)`` is ``parse(text)``, with lark run once per message shape (see the module
    docstring). ``limit`` bounds the number of shapes kept; ``parse`` must be a pure function
    of the text that returns a list of drafts or raises."""

    def __init__(self, parse: Callable[[str], list[Draft]], limit: int = 4096) -> None:
        self._parse = parse
        self._limit = limit
        self._shapes: dict[str, Fill | None] = {}
        self._texts: dict[str, list[Draft]] = {}

    def __call__(self, text: str) -> list[Draft]:
        parts = _NUMBER.split(text)
        if len(parts) == 1:  # no numbers: the text is its own shape
            drafts = self._texts.get(text)
            if drafts is None:
                drafts = self._parse(text)
                if len(self._texts) < self._limit:
                    self._texts[text] = drafts
            return drafts
        literals = parts[0::2]
        key = "\x00".join(literals)
        fill = self._shapes.get(key, ...)
        nums = parts[1::2]
        if fill is None:
            return self._parse(text)
        if fill is not ...:
            return fill(nums, [int(n) for n in nums])
        drafts = self._parse(text)
        if len(self._shapes) < self._limit:
            self._shapes[key] = self._learn(literals, nums, drafts)
        return drafts

    def _learn(self, literals: list[str], nums: list[str], drafts: list[Draft]) -> Fill | None:
        """The template of this shape, or None if it is not a proven substitution."""
        count = len(nums)
        if count > _MAX_NUMBERS:
            return None
        template = [literals[0]]
        for k, lit in enumerate(literals[1:]):
            template += [str(k), lit]
        first, second = _sentinels(_FIRST, count), _sentinels(_SECOND, count)
        try:
            fill = _Compiler(count).compile(self._parse(_fill_text(template, first)))
            if fill(second, [int(s) for s in second]) != self._parse(
                    _fill_text(template, second)):
                return None
            if fill(nums, [int(n) for n in nums]) != drafts:
                return None
        except Exception:  # a sentinel text that does not parse, or no template
            return None
        return fill
