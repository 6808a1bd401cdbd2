"""Reading EDN, the data notation Jepsen writes its histories in, with the lark grammar
``raftcheck/grammar/edn.lark``.

Why not the ``edn_format`` package: on this machine it reads a Jepsen operation map in about
the same time as this grammar (both ~0.1-0.2 ms), names no line in its errors, and handles a
record tag (``#jepsen.history.Op{...}``) only after a process-wide registration. The grammar
here names line and column, keeps what a tag wraps, and is shared with the Jepsen log lines'
values.

Values: nil, true, false -> None, True, False; integers (``3``, ``3N``) -> int; decimals
(``1.5``, ``1.5M``) -> float; strings -> str; keywords -> :class:`Keyword`; symbols ->
:class:`Symbol`; vectors and lists -> tuple; sets -> frozenset; maps -> :class:`EdnMap` (a dict
that knows the line it starts on). Everything but a map is hashable, so values can be register
states.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lark import Token, Transformer
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput

from raftcheck.grammar.parsers import load


@dataclass(frozen=True, slots=True)
class Keyword:
    """An EDN keyword such as ``:invoke`` (``name`` without the colon)."""

    name: str

    def __str__(self) -> str:
        return f":{self.name}"


@dataclass(frozen=True, slots=True)
class Symbol:
    """An EDN symbol such as ``foo`` (rare in histories; kept distinct from strings)."""

    name: str

    def __str__(self) -> str:
        return self.name


class EdnMap(dict):
    """An EDN map, with the (1-based) line its ``{`` is on."""

    line: int = 0


class EdnError(Exception):
    """Text that is not EDN: ``line`` (1-based, within the text given) and a short reason."""

    def __init__(self, reason: str, line: int) -> None:
        super().__init__(f"line {line}: {reason}")
        self.reason, self.line = reason, line


_KEYWORDS: dict[str, Keyword] = {}

_NAMED_CHARS = {"newline": "\n", "space": " ", "tab": "\t", "return": "\r",
                "formfeed": "\f", "backspace": "\b"}

_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "b": "\b", "f": "\f"}


def keyword(name: str) -> Keyword:
    """The keyword ``:name`` (interned: the few names of a history are made once)."""
    k = _KEYWORDS.get(name)
    if k is None:
        k = _KEYWORDS[name] = Keyword(name)
    return k


def _unescape(body: str) -> str:
    if "\\" not in body:
        return body
    out, i = [], 0
    while i < len(body):
        c = body[i]
        if c != "\\":
            out.append(c)
            i += 1
            continue
        nxt = body[i + 1]
        if nxt == "u":
            out.append(chr(int(body[i + 2:i + 6], 16)))
            i += 6
        elif nxt in _ESCAPES:
            out.append(_ESCAPES[nxt])
            i += 2
        else:
            raise ValueError(f"unknown string escape \\{nxt}")
    return "".join(out)


def _number(text: str) -> int | float:
    if text.endswith("N"):
        return int(text[:-1])
    if text.endswith("M"):
        return float(text[:-1])
    try:
        return int(text)
    except ValueError:
        return float(text)  # ValueError again: not a number


class _Values(Transformer):
    """Trees to Python values, applied while parsing (LALR)."""

    def start(self, items: list[Any]) -> list[Any]:
        return items

    def map(self, items: list[Any]) -> EdnMap:
        brace: Token = items[0]
        if len(items) % 2 == 0:
            raise EdnError("a map needs a value for every key", brace.line)
        try:
            m = EdnMap(zip(items[1::2], items[2::2], strict=True))
        except TypeError:
            raise EdnError("a map key is a map", brace.line) from None
        if len(m) * 2 != len(items) - 1:
            raise EdnError("a key appears twice in a map", brace.line)
        m.line = brace.line  # type: ignore[assignment]
        return m

    def vector(self, items: list[Any]) -> tuple:
        return tuple(items)

    list = vector

    def set(self, items: list[Any]) -> frozenset:
        try:
            return frozenset(items)
        except TypeError:
            raise EdnError("a set holds a map", _first_line(items)) from None

    def keyword(self, items: list[Token]) -> Keyword:
        return keyword(items[0][1:])

    def string(self, items: list[Token]) -> str:
        try:
            return _unescape(items[0][1:-1])
        except (ValueError, IndexError):
            raise EdnError(f"bad escape in string {items[0][:40]}", items[0].line) from None

    def number(self, items: list[Token]) -> int | float:
        try:
            return _number(items[0])
        except ValueError:
            raise EdnError(f"not a number: {items[0][:40]}", items[0].line) from None

    def symbol(self, items: list[Token]) -> Any:
        name = str(items[0])
        if name == "nil":
            return None
        if name in ("true", "false"):
            return name == "true"
        return Symbol(name)

    def char(self, items: list[Token]) -> str:
        body = items[0][1:]
        if body in _NAMED_CHARS:
            return _NAMED_CHARS[body]
        if len(body) == 5 and body[0] == "u":
            return chr(int(body[1:], 16))
        if len(body) > 1 and body[0] == "o":
            return chr(int(body[1:], 8))
        return body

    def tagged(self, items: list[Any]) -> Any:
        return items[1]

    def discarded(self, items: list[Any]) -> Any:
        return items[1]


def read_all(text: str) -> list[Any]:
    """Every top-level value in ``text``; :class:`EdnError` names the line of a mistake."""
    parser = load("edn", _Values())
    try:
        return parser.parse(text)
    except UnexpectedCharacters as exc:
        raise EdnError(f"unexpected {text[exc.pos_in_stream]!r} at column {exc.column}",
                       exc.line) from None
    except UnexpectedEOF:
        raise EdnError("the text ends inside a value (an unclosed bracket?)",
                       text.count("\n") + 1) from None
    except UnexpectedInput as exc:
        token = getattr(exc, "token", None)
        if token is not None and token.type == "$END":
            raise EdnError("the text ends inside a value (an unclosed bracket?)",
                           text.count("\n") + 1) from None
        what = f"unexpected {str(token)!r}" if token is not None else "unexpected input"
        raise EdnError(f"{what} at column {getattr(exc, 'column', '?')}",
                       getattr(exc, "line", 1)) from None


def _first_line(items: list[Any]) -> int:
    for item in items:
        if isinstance(item, Token):
            return item.line
        if isinstance(item, EdnMap):
            return item.line
    return 1


def read_one(text: str) -> Any:
    """The single value in ``text`` (a Jepsen log line's value column)."""
    values = read_all(text)
    if len(values) != 1:
        raise EdnError(f"expected one value, found {len(values)}", 1)
    return values[0]
