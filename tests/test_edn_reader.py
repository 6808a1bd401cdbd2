"""The EDN reader (raftcheck/history/edn.py): values as EDN defines them, and mistakes named by
line and column.

Values are written here by a small printer from Python values (the inverse of the reader's
mapping), independently of the reader, and read back."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from raftcheck.history.edn import EdnError, EdnMap, Keyword, Symbol, keyword, read_all, read_one


def edn(value: Any) -> str:
    """EDN text for a value of the reader's mapping."""
    if value is None:
        return "nil"
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
    if isinstance(value, Keyword):
        return f":{value.name}"
    if isinstance(value, tuple):
        return "[" + " ".join(edn(v) for v in value) + "]"
    if isinstance(value, frozenset):
        return "#{" + " ".join(edn(v) for v in value) + "}"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{edn(k)} {edn(v)}" for k, v in value.items()) + "}"
    raise TypeError(value)


names = st.from_regex(r"[a-z][a-z0-9\-?!*]{0,8}", fullmatch=True)
atoms = st.one_of(st.none(), st.booleans(), st.integers(-10**12, 10**12),
                  st.floats(allow_nan=False, allow_infinity=False).filter(lambda f: f == f),
                  st.text(max_size=12), names.map(keyword))
hashable = st.recursive(atoms, lambda inner: st.one_of(
    st.lists(inner, max_size=4).map(tuple), st.frozensets(inner, max_size=4)), max_leaves=12)
values = st.recursive(hashable, lambda inner: st.one_of(
    st.lists(inner, max_size=4).map(tuple),
    st.dictionaries(hashable, inner, max_size=4)), max_leaves=16)


@given(st.lists(values, max_size=5))
def test_what_is_written_reads_back(vs: list[Any]) -> None:
    text = "\n".join(edn(v) for v in vs)
    assert read_all(text) == vs


def test_jepsen_records_tags_discards_comments_and_chars() -> None:
    text = ('#jepsen.history.Op{:index 0, :type :invoke, :f :cas, :value [1 4], :process 3}\n'
            '; a comment\n'
            '{:type :ok, #_ :ignored #_ 7 :f :read, :value nil :x \\space :y (1 2) :z 3N}\n')
    first, second = read_all(text)
    assert first == {keyword("index"): 0, keyword("type"): keyword("invoke"),
                     keyword("f"): keyword("cas"), keyword("value"): (1, 4),
                     keyword("process"): 3}
    assert isinstance(first, EdnMap) and first.line == 1 and second.line == 3
    assert second[keyword("type")] == keyword("ok") and keyword("ignored") not in second
    assert second[keyword("x")] == " " and second[keyword("y")] == (1, 2)
    assert second[keyword("z")] == 3
    assert read_one("foo/bar") == Symbol("foo/bar") and read_one("-5") == -5
    assert read_one('"a\\u00e9\\tb"') == "a\u00e9\tb"


@pytest.mark.parametrize("text, line, reason", [
    ("{:a 1}\n{:b 2}}\n", 2, r"unexpected '}' at column 7"),
    ("[1 2}\n", 1, r"unexpected '}' at column 5"),
    ("{:a 1}\n\n{:b [2 3}\n", 3, r"unexpected '}' at column 9"),
    ("{:a 1\n", 2, "the text ends inside a value"),
    ("[1 #_]\n", 1, "with no value"),
    ("{:a}\n", 1, "a map needs a value for every key"),
    ("{:a 1 :a 2}\n", 1, "a key appears twice"),
    ("{{:a 1} 2}\n", 1, "a map key is a map"),
    ("\n\n[1 2 3x]\n", 3, "not a number: 3x"),
    ('["\\q"]\n', 1, "bad escape"),
    ("[1 #2]\n", 1, r"unexpected '#' at column 4"),
])
def test_mistakes_are_named_by_line(text: str, line: int, reason: str) -> None:
    with pytest.raises(EdnError, match=reason) as caught:
        read_all(text)
    assert caught.value.line == line
