"""Reading EDN, the data notation Jepsen writes its histories in.

A small reader of our own (read_all): one regular expression matches a token, a stack holds
the collections still open. The lark grammar it replaced, and the ``edn_format`` package
(PyPI, a ply parser), each took several times longer per Jepsen operation line, which made EDN
the whole cost of checking a long history (benchmarks/bench_history.py prints them side by
side). Errors name line and column; a record tag (``#jepsen.history.Op{...}``) keeps what it
wraps; the Jepsen log lines' values are read with it too.

Values: nil, true, false -> None, True, False; integers (``3``, ``3N``) -> int; decimals
(``1.5``, ``1.5M``) -> float; strings -> str; keywords -> :class:`Keyword`; symbols ->
:class:`Symbol`; vectors and lists -> tuple; sets -> frozenset; maps -> :class:`EdnMap` (a dict
that knows the line it starts on). Everything but a map is hashable, so values can be register
states.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any


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


#: One token of EDN, after any whitespace, commas and comments before it: the alternatives are
#: tried in this order (each a numbered group: KEYWORD ... SYMBOL). A token ends at whitespace,
#: a comma or a delimiter.
_TOKEN = re.compile(r"""
    (?:[\s,]+|;[^\n]*)*
    (?:
      (::?[^\s,()\[\]{}"\#;:][^\s,()\[\]{}";]*)
    | ([\[({]|\#\{)
    | ([\])}])
    | ("(?:\\.|[^"\\])*")
    | ([+-]?[0-9][0-9A-Za-z.+-]*)
    | (\#_)
    | (\#[A-Za-z][^\s,()\[\]{}"\#;]*)
    | (\\(?:newline|space|tab|return|formfeed|backspace|u[0-9a-fA-F]{4}|o[0-7]{1,3}|[^\s]))
    | ([^\s,()\[\]{}"\#;:0-9\\][^\s,()\[\]{}";]*)
    )
""", re.VERBOSE)
KEYWORD, OPEN, CLOSE, STRING, NUMBER, DISCARD, TAG, CHAR, SYMBOL = range(1, 10)
_BLANK = re.compile(r"(?:[\s,]+|;[^\n]*)*")

_CLOSER = {"[": "]", "(": ")", "{": "}", "#{": "}"}
_TAGGED, _DISCARDED = object(), object()  # markers: the next value is tagged / discarded


def _pending(item: Any) -> bool:
    return item is _TAGGED or item is _DISCARDED


def _symbol(name: str) -> Any:
    if name == "nil":
        return None
    if name in ("true", "false"):
        return name == "true"
    return Symbol(name)


def _char(body: str) -> str:
    if body in _NAMED_CHARS:
        return _NAMED_CHARS[body]
    if len(body) == 5 and body[0] == "u":
        return chr(int(body[1:], 16))
    if len(body) > 1 and body[0] == "o":
        return chr(int(body[1:], 8))
    return body


class _Lines:
    """The line of a position, for positions met in increasing order (O(text) in all)."""

    def __init__(self, text: str) -> None:
        self.text, self.pos, self.line = text, 0, 1

    def __call__(self, pos: int) -> int:
        self.line += self.text.count("\n", self.pos, pos)
        self.pos = pos
        return self.line

    def column(self, pos: int) -> int:
        return pos - self.text.rfind("\n", 0, pos)


def _collection(opener: str, items: list[Any], line: int) -> Any:
    if opener == "{":
        if len(items) % 2:
            raise EdnError("a map needs a value for every key", line)
        try:
            m = EdnMap(zip(items[::2], items[1::2], strict=True))
        except TypeError:
            raise EdnError("a map key is a map", line) from None
        if len(m) * 2 != len(items):
            raise EdnError("a key appears twice in a map", line)
        m.line = line  # type: ignore[assignment]
        return m
    if opener == "#{":
        try:
            return frozenset(items)
        except TypeError:
            raise EdnError("a set holds a map", line) from None
    return tuple(items)


def read_all(text: str) -> list[Any]:
    """Every top-level value in ``text``; :class:`EdnError` names the line of a mistake.

    A hand-written reader (a regular expression per token, a stack of open collections): the
    lark grammar it replaced read a Jepsen operation line ten times slower, which made EDN the
    cost of checking a long history (benchmarks/bench_history.py)."""
    lines = _Lines(text)
    scan = _TOKEN.scanner(text).match
    top: list[Any] = []
    items = top
    stack: list[tuple[str, list[Any], int]] = []  # (opener, the enclosing items, its line)
    opener = ""
    keywords = _KEYWORDS
    value: Any
    pos = 0
    while (m := scan()) is not None:
        kind = m.lastindex
        token = m.group(kind)
        pos = m.end()
        if kind == KEYWORD:
            value = keywords.get(token[1:]) or keyword(token[1:])
        elif kind == NUMBER:
            try:
                value = int(token)
            except ValueError:
                try:
                    value = _number(token)
                except ValueError:
                    raise EdnError(f"not a number: {token[:40]}", lines(m.start(kind))) from None
        elif kind == OPEN:
            stack.append((opener, items, lines(m.start(kind))))
            opener, items = token, []
            continue
        elif kind == CLOSE:
            if not stack or _CLOSER[opener] != token:
                start = m.start(kind)
                raise EdnError(f"unexpected {token!r} at column {lines.column(start)}",
                               lines(start))
            if items and _pending(items[-1]):
                raise EdnError(f"a tag or #_ with no value before {token!r}",
                               lines(m.start(kind)))
            closed, inner = opener, items
            opener, items, line = stack.pop()
            value = _collection(closed, inner, line)
        elif kind == STRING:
            try:
                value = _unescape(token[1:-1])
            except (ValueError, IndexError):
                raise EdnError(f"bad escape in string {token[:40]}",
                               lines(m.start(kind))) from None
        elif kind == SYMBOL:
            value = _symbol(token)
        elif kind == CHAR:
            value = _char(token[1:])
        elif kind == TAG:
            items.append(_TAGGED)
            continue
        else:  # DISCARD
            items.append(_DISCARDED)
            continue
        # A value is complete: a tag before it is dropped, a #_ before it drops it.
        if items and _pending(items[-1]):
            while items and items[-1] is _TAGGED:
                items.pop()
            if items and items[-1] is _DISCARDED:
                items.pop()
                continue
        items.append(value)
    pos = _BLANK.match(text, pos).end()
    if pos < len(text):
        raise EdnError(f"unexpected {text[pos]!r} at column {lines.column(pos)}", lines(pos))
    if stack or (items and _pending(items[-1])):
        raise EdnError("the text ends inside a value (an unclosed bracket?)",
                       text.count("\n") + 1)
    return top


def read_one(text: str) -> Any:
    """The single value in ``text`` (a Jepsen log line's value column)."""
    values = read_all(text)
    if len(values) != 1:
        raise EdnError(f"expected one value, found {len(values)}", 1)
    return values[0]
