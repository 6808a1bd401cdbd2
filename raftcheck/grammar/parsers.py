"""Loading the .lark grammars (LALR, contextual lexer), once per process."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from lark import Lark, Transformer
from lark.exceptions import LarkError, UnexpectedInput

GRAMMAR_DIR = Path(__file__).resolve().parent


class ParseFailure(Exception):
    """A message did not match its format's grammar; ``str()`` is a one-line explanation."""


@cache
def grammar(name: str, start: str = "start") -> Lark:
    """The LALR parser of ``<name>.lark`` (no transformer: trees, for tests and tools)."""
    return _load(name, start, None)


_LOADED: dict[tuple[str, str, object], Lark] = {}


def load(name: str, transformer: Transformer, start: str | list[str] = "start",
         key: object = None) -> Lark:
    """An LALR parser of ``<name>.lark`` that applies ``transformer`` while parsing (fast).

    Built once per process for each (grammar, transformer class, ``key``): transformers
    passed here must be stateless apart from what ``key`` identifies."""
    cache_key = (name, type(transformer).__qualname__, key)
    parser = _LOADED.get(cache_key)
    if parser is None:
        parser = _load(name, start, transformer)
        _LOADED[cache_key] = parser
    return parser


def _load(name: str, start: str | list[str], transformer: Transformer | None) -> Lark:
    path = GRAMMAR_DIR / f"{name}.lark"
    return Lark.open(
        str(path),
        parser="lalr",
        lexer="contextual",
        start=start,
        transformer=transformer,
        propagate_positions=False,
        maybe_placeholders=True,
        cache=False,
    )


def parse(parser: Lark, text: str, what: str, start: str | None = None) -> Any:
    """Parse ``text``; a mismatch raises :class:`ParseFailure` naming the column and ``what``."""
    try:
        if start is None:
            return parser.parse(text)
        return parser.parse(text, start=start)
    except UnexpectedInput as exc:
        column = getattr(exc, "column", None)
        where = f" at column {column}" if isinstance(column, int) and column > 0 else ""
        raise ParseFailure(f"unrecognised {what}{where}") from None
    except (LarkError, ValueError) as exc:  # a transformer callback refused the tree
        raise ParseFailure(f"unrecognised {what}: {exc}") from None
