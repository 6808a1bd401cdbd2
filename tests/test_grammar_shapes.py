"""Parses memoised by message shape (raftcheck/grammar/shapes.py) equal lark's own parses."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lark.lexer import PatternStr
from test_grammar_etcd_raft import SHAPES

from raftcheck.grammar.drafts import Draft, RawId
from raftcheck.grammar.etcd_raft import EtcdRaftMessages
from raftcheck.grammar.parsers import ParseFailure, grammar
from raftcheck.grammar.shapes import Filled, ShapeMemo
from raftcheck.traces import events as ev

DATA = Path(__file__).parent / "data" / "etcd35"
NUMBER = re.compile(r"(?<![0-9A-Za-z_.-])[1-9][0-9]*(?![0-9A-Za-z_.-])")


def _shifted(text: str, by: int) -> str:
    return NUMBER.sub(lambda m: str(int(m.group()) + by), text)


def _direct(small_ids: bool = False) -> EtcdRaftMessages:
    messages = EtcdRaftMessages(small_ids=small_ids)
    messages.memo = ShapeMemo(messages._parse, limit=0)  # never memoise
    return messages


def _assert_parsed_alike(memo: EtcdRaftMessages, direct: EtcdRaftMessages, text: str) -> None:
    """The memo's drafts of ``text`` are lark's, or both refuse it."""
    try:
        want = direct.drafts(text)
    except ParseFailure:
        with pytest.raises(ParseFailure):
            memo.drafts(text)
        return
    assert memo.drafts(text) == want, text


@pytest.mark.parametrize("small_ids", [False, True])
def test_every_shape_with_other_numbers(small_ids: bool) -> None:
    """After a shape is learnt, texts of that shape with other numbers parse as lark says."""
    memo, direct = EtcdRaftMessages(small_ids=small_ids), _direct(small_ids)
    for text, *_ in SHAPES:
        for by in (0, 1, 7, 1000):
            _assert_parsed_alike(memo, direct, _shifted(text, by))


@pytest.mark.parametrize("small_ids", [False, True])
def test_every_shape_with_values_is_learnt(small_ids: bool) -> None:
    """Every message of the grammar with a number or an id in it is filled from a template
    after its first text: a template that put a value in the wrong place would fail its proof
    and leave the shape to lark."""
    from raftcheck.grammar.shapes import _VALUE

    messages = EtcdRaftMessages(small_ids=small_ids)
    messages.memo = ShapeMemo(messages._parse)
    for text, *_ in SHAPES:
        messages.memo.lazy(text)
        learnt = type(messages.memo.lazy(text)) is Filled
        assert learnt == (len(_VALUE.split(text)) > 1), text


def test_real_logs_parse_alike() -> None:
    memo, direct = EtcdRaftMessages(), _direct()
    texts = []
    for path in sorted(DATA.glob("*/node*.log")):
        for line in path.read_text().splitlines():
            if '"logger":"raft"' in line:
                texts.append(json.loads(line)["msg"])
    assert len(texts) > 100
    for text in texts + [_shifted(t, 3) for t in texts]:
        assert memo.drafts(text) == direct.drafts(text), text


def test_zero_and_digit_only_ids_stay_exact() -> None:
    memo = EtcdRaftMessages(small_ids=True)
    a = "12 [logterm: 1, index: 5, vote: 0] cast MsgVote for 34 [logterm: 1, index: 5] at term 2"
    b = "56 [logterm: 2, index: 9, vote: 78] cast MsgVote for 9 [logterm: 2, index: 9] at term 3"
    assert memo.drafts(a)[0].fields["voted_for"] is None
    drafts = memo.drafts(b)
    assert drafts[0].node == RawId("56", 0x56)
    assert drafts[0].fields["voted_for"] == RawId("78", 0x78)
    assert drafts[0].fields["candidate"] == RawId("9", 9)
    assert drafts == _direct(small_ids=True).drafts(b)


def test_a_parse_that_looks_at_values_is_never_memoised() -> None:
    calls = []

    def parity(text: str) -> list[Draft]:
        calls.append(text)
        n = int(text.split()[-1])
        return [Draft(ev.BecameLeader if n % 2 else ev.BecameFollower, None, {"term": n})]

    memo = ShapeMemo(parity)
    for n in (1, 2, 3, 4):
        assert memo(f"at term {n}")[0].kind is (ev.BecameLeader if n % 2 else ev.BecameFollower)
    assert calls[-1] == "at term 4"  # parsed again: the shape was not memoised


def test_a_learnt_shape_skips_the_parser() -> None:
    calls = []

    def plain(text: str) -> list[Draft]:
        calls.append(text)
        return [Draft(ev.BecameLeader, None, {"term": int(text.split()[-1]),
                                              "detail": f"said {text}"})]

    memo = ShapeMemo(plain)
    memo("at term 5")
    learnt = len(calls)
    assert memo("at term 6") == plain("at term 6")
    assert len(calls) == learnt + 1  # only the call made by this test


@settings(max_examples=500)
@given(st.text(alphabet="0123456789abcfxAZ_.-: [](),=\u00e9", max_size=40))
def test_values_are_cut_out_where_they_stand_alone(text: str) -> None:
    """The shape's values: runs of 1 to 16 lowercase hex digits, no leading zero, with a digit
    in them, and no letter, digit, '_', '.' or '-' on either side."""
    from raftcheck.grammar.shapes import _VALUE

    run = re.compile(r"(?<![0-9A-Za-z_.-])[0-9a-f]+(?![0-9A-Za-z_.-])")
    want, last = [], 0
    for m in run.finditer(text):
        value = m.group()
        if len(value) <= 16 and value[0] != "0" and any(c.isdigit() for c in value):
            want += [text[last:m.start()], value]
            last = m.end()
    assert _VALUE.split(text) == [*want, text[last:]]


def test_values_lex_alike() -> None:
    """Where the lexer of etcd_raft.lark takes a number or an id, it takes nothing else that a
    value could start with: a sentinel then lexes as every value of its kind does (shapes.py)."""
    parser = grammar("etcd_raft")
    patterns = {t.name: t.pattern for t in parser.terminals}
    for accepts in parser.parser.parser.parser.parse_table.states.values():
        taken = {name for name in accepts if name in patterns}
        if taken & {"INT", "ID"}:
            for name in taken - {"INT", "ID"}:
                pattern = patterns[name]
                assert isinstance(pattern, PatternStr), name  # no other regex terminal
                assert re.fullmatch("[0-9a-f]+", pattern.value) is None, name


HEX_ID = st.one_of(
    st.integers(1, 2**64 - 1).map(lambda n: format(n, "x")),  # etcd's random member ids
    st.integers(1, 10**16 - 1).map(str),  # ids that are digits only
    st.sampled_from(["a", "f", "abc", "0", "0a1", "00"]),  # letters only, none, leading zeros
)
DECIMAL = st.one_of(st.integers(0, 10**6).map(str),
                    st.sampled_from(["07", "12345678901234567", "1a", "ffff0"]))
"""Numbers where a text has a number: mostly numbers, and a few that do not parse there."""
_IDS = re.compile(r"\b(?:a1b2c3d4e5f60718|2f|8e530ca48d01902)\b")


def _fillings(text: str) -> st.SearchStrategy[list[str]]:
    """Texts of ``text``'s shape: each id and number of it replaced by a drawn one."""
    pieces = re.split(f"({_IDS.pattern}|{NUMBER.pattern})", text)
    slots = [_IDS.fullmatch(p) is not None for p in pieces[1::2]]

    def fill(values: list[str]) -> str:
        out = pieces[:]
        out[1::2] = values
        return "".join(out)

    values = st.tuples(*(HEX_ID if is_id else DECIMAL for is_id in slots)).map(list)
    return st.lists(values.map(fill), min_size=3, max_size=3)


@settings(max_examples=300, deadline=None)
@given(data=st.data(), small_ids=st.booleans())
def test_texts_with_other_ids_and_numbers_parse_as_lark_parses_them(
        data: st.DataObject, small_ids: bool) -> None:
    """A memo that learnt a shape from one text gives, for texts with other ids and numbers
    (digits-only, letters-only and leading-zero ids; numbers that do not parse), what lark
    gives: a template that put an id or a number in the wrong place, or used a template for
    values of another kind, fails this."""
    text = data.draw(st.sampled_from([t for t, *_ in SHAPES]))
    texts = data.draw(_fillings(text))
    messages, direct = EtcdRaftMessages(small_ids=small_ids), _direct(small_ids)
    messages.memo = ShapeMemo(messages._parse)  # a memo of this example's texts alone
    for variant in texts:
        _assert_parsed_alike(messages, direct, variant)


def test_ids_are_put_back_where_they_stand() -> None:
    memo = EtcdRaftMessages().memo
    first = "84bd7d2ca303e626 [logterm: 3, index: 9, vote: e3a224a1eecead25] cast MsgVote for " \
            "e3a224a1eecead25 [logterm: 3, index: 9] at term 4"
    second = "534acb217a4f7481 [logterm: 5, index: 11, vote: 84bd7d2ca303e626] cast MsgVote " \
             "for 1234 [logterm: 5, index: 11] at term 6"
    memo(first)
    [draft] = memo.lazy(second)
    assert draft.node == RawId("534acb217a4f7481")
    assert draft.fields["voted_for"] == RawId("84bd7d2ca303e626")
    assert draft.fields["candidate"] == RawId("1234")
    assert type(memo.lazy(first.replace("84bd", "94bd"))) is Filled  # a learnt shape


@settings(max_examples=200, deadline=None)
@given(first=st.sampled_from(["e216362c8e00c211", "2f", "12", "0", "07", "1234567890123456",
                              "12345678901234567", "a.b", "raft.node:", "x-1", "", "1.5", "ab"]),
       rest=st.lists(st.sampled_from(["a", " ", ":", "[", "]", "-", ".", "0", "x1", "N", "I"]),
                     max_size=12),
       numbers=st.tuples(st.integers(1, 99999), st.integers(1, 99999)),
       ids=st.tuples(HEX_ID, HEX_ID))
def test_a_learnt_shape_gives_the_values_of_the_whole_text(
        first: str, rest: list[str], numbers: tuple[int, int], ids: tuple[str, str]) -> None:
    """The values of a text, and the drafts of its shape, are those of the whole text,
    whatever its words are (a number, an id, a word with punctuation, none)."""
    from raftcheck.grammar.shapes import _VALUE

    def parse(text: str) -> list[Draft]:
        return [Draft(ev.TermObserved, None, {"text": text})]

    memo = ShapeMemo(parse)
    texts = [f"{first} " + "".join(str(n) if t == "N" else i if t == "I" else t for t in rest)
             for n, i in zip(numbers, ids, strict=True)]
    for text in texts * 2:
        got = memo.lazy(text)
        if type(got) is Filled:
            assert got.nums == _VALUE.split(text)[1::2]
        assert list(got) == parse(text)
