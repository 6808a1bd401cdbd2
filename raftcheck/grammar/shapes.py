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
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from raftcheck.grammar.drafts import Draft, RawId

_WORD_CHAR = "0-9A-Za-z_.-"
"""What a number must not touch: a digit, letter, '_', '.' or '-' on either side makes it part
of a word (a hex id, a name, a decimal fraction)."""
_NUMBER = re.compile(rf"([1-9](?<![{_WORD_CHAR}].)[0-9]{{0,15}}+)(?![{_WORD_CHAR}])")
"""A number standing alone. The lookbehind comes after the first digit, so that the pattern
starts with a character class and the regex engine skips ahead to digits (a third faster than
asserting the lookbehind at every position; the same matches). It looks one character behind
that digit, which is a digit already. The digits are taken possessively: a shorter run is
followed by a digit, which the lookahead refuses anyway, so backing off never finds a match
(most digits of a line are in hex ids, where every try fails)."""
_WORD = re.compile(rf"[{_WORD_CHAR}]+")
_MAX_NUMBERS = 64
_FIRST, _SECOND = "71", "73"  # sentinel prefixes: "71" + 8 digits, "73" + 8 digits
_SENTINEL = re.compile(r"7[13]\d{8}")

Fill = Callable[[list[str]], Any]
"""A template: the drafts of a shape, given its numbers as texts."""


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
    """Turns drafts parsed from the first sentinel text into a :data:`Fill`: one Python
    expression that rebuilds them from the numbers ``t`` (texts), compiled once per shape,
    so that filling a learnt shape costs about what building its drafts by hand would."""

    def __init__(self, count: int) -> None:
        first = _sentinels(_FIRST, count)
        self.slot_of_text = {s: k for k, s in enumerate(first)}
        self.slot_of_int = {int(s): k for k, s in enumerate(first)}
        self.slot_of_hex = {format(int(s), "x"): k for k, s in enumerate(first)}
        self.constants: list[Any] = []

    def fill(self, value: Any) -> Fill:
        source = self.compile(value)
        return eval(f"lambda t: {source}", self.scope())  # our own text: literals are repr()s

    def scope(self) -> dict[str, Any]:
        """The names that compiled sources use (the constants grow as more is compiled)."""
        return {"Draft": Draft, "RawId": RawId, "c": self.constants}

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
                raise _NotTemplatable("a number in a key")
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
        if k is not None:  # a hex id spelled by the number
            number = f"int(t[{k}], 16)" if value.number is not None else "None"
            return f"RawId(t[{k}], {number})"
        k = self.slot_of_hex.get(value.key)
        if k is not None:  # a decimal id, kept as hex
            number = f"int(t[{k}])" if value.number is not None else "None"
            return f"RawId(format(int(t[{k}]), 'x'), {number})"
        if _SENTINEL.search(value.key):
            raise _NotTemplatable("an id built from a number in another way")
        return self.constant(value)


class Shape:
    """A learnt shape: ``fill`` rebuilds its drafts from its numbers; ``drafts`` are the drafts
    of its first sentinel text and ``compiler`` the compiler that made ``fill`` from them, so
    that a reader can compile other code from the same template (``raftcheck.traces.builders``
    builds events without drafts, and keeps what it compiled in ``builders``, by skim set)."""

    __slots__ = ("builders", "compiler", "drafts", "fill")

    def __init__(self, fill: Fill, drafts: list[Draft], compiler: _Compiler) -> None:
        self.fill, self.drafts, self.compiler = fill, drafts, compiler
        self.builders: dict[Any, Any] = {}


class Filled(Sequence[Draft]):
    """The drafts of a text of a learnt shape, built only when read: a reader that knows the
    shape (``shape``, ``nums``) may make its events without them."""

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
        self._shapes: dict[str, Shape | None] = {}
        self._texts: dict[str, list[Draft]] = {}
        self._plain_words: dict[str, bool] = {}  # first words: which hold no number

    def __call__(self, text: str) -> list[Draft]:
        drafts = self.lazy(text)
        return drafts.drafts() if type(drafts) is Filled else drafts  # type: ignore[return-value]

    def lazy(self, text: str) -> Sequence[Draft]:
        """``memo(text)``, as a :class:`Filled` where the text's shape is learnt."""
        # _NUMBER.split(text). A text that starts with a word holding no number (etcd's messages
        # start with the node's hex id) is split after that word and its space: the word is one
        # run of word characters, so no number is inside it, and the number search skips it
        # (most characters of a hex id are digits, which the search tries one by one).
        word, space, rest = text.partition(" ")
        plain = self._plain_words.get(word) if space else False
        if plain is None:
            plain = _WORD.fullmatch(word) is not None and len(_NUMBER.split(word)) == 1
            if len(self._plain_words) < self._limit:
                self._plain_words[word] = plain
        if plain:
            parts = _NUMBER.split(rest)
            parts[0] = word + " " + parts[0]
        else:
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
        shape = self._shapes.get(key, ...)
        nums = parts[1::2]
        if shape is None:
            return self._parse(text)
        if shape is not ...:
            return Filled(shape, nums)
        drafts = self._parse(text)
        if len(self._shapes) < self._limit:
            self._shapes[key] = self._learn(literals, nums, drafts)
        return drafts

    def _learn(self, literals: list[str], nums: list[str], drafts: list[Draft]
               ) -> Shape | None:
        """The template of this shape, or None if it is not a proven substitution."""
        count = len(nums)
        if count > _MAX_NUMBERS:
            return None
        template = [literals[0]]
        for k, lit in enumerate(literals[1:]):
            template += [str(k), lit]
        first, second = _sentinels(_FIRST, count), _sentinels(_SECOND, count)
        try:
            compiler = _Compiler(count)
            sentinel_drafts = self._parse(_fill_text(template, first))
            fill = compiler.fill(sentinel_drafts)
            if fill(second) != self._parse(_fill_text(template, second)):
                return None
            if fill(nums) != drafts:
                return None
        except Exception:  # a sentinel text that does not parse, or no template
            return None
        return Shape(fill, sentinel_drafts, compiler)
