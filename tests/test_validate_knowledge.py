"""KnownLog: what glimpses say of a log is always true of the real log, and a cut (entries
removed or replaced) is reported only where the real log did change, and below a committed
index only if the real log lost a committed entry. The real logs here are plain lists of terms
changed the way Raft changes a log (a leader appends entries of its term; a conflict removes a
suffix, and is logged, as etcd and hashicorp log every conflict), and glimpsed the way the log
formats glimpse them."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from raftcheck.validate.knowledge import (
    EMPTY_LOG,
    NOTHING_COMMITTED,
    KnownLog,
    first_disagreement,
)


def sound(known: KnownLog, real: list[int]) -> None:
    """Every fact the knowledge holds is true of the real log."""
    assert known.floor <= len(real), (known, real)
    if known.length is not None:
        assert known.length == len(real), (known, real)
    for first, last, term in known.known():
        assert last <= len(real), (known, real)
        assert all(real[k - 1] == term for k in range(first, last + 1)), (known, real)


# A history: each step changes the real log and then glimpses it one way.
steps = st.lists(st.tuples(
    st.sampled_from(["append", "conflict", "none"]),  # how the real log changes
    st.integers(1, 3),  # how many entries
    st.integers(0, 5),  # where a conflict cuts (distance from the end)
    st.sampled_from(["ending", "entry", "appended", "length", "truncated"]),  # the glimpse
    st.integers(0, 30),  # which entry an "entry" glimpse shows
    st.booleans(),  # whether the commit index moves up
), max_size=40)


@settings(max_examples=400, deadline=None)
@given(steps)
def test_glimpses_stay_true_and_cuts_only_where_the_log_changed(history) -> None:
    real: list[int] = []
    term = 1
    commit = 0  # entries up to here are never removed in these histories
    known = EMPTY_LOG
    for change, count, back, glimpse, which, commits in history:
        appended = None
        truncated_to = None
        if change == "append":
            first = len(real) + 1
            real += [term] * count
            appended = (first, len(real), term)
        elif change == "conflict" and len(real) - back > commit:
            keep = max(commit, len(real) - back - 1)
            del real[keep:]
            term += 1  # a new leader's entries replace the suffix
            real += [term] * count
            truncated_to = keep
            appended = (keep + 1, len(real), term)
        known = known.demoted()  # the checker does this at every line about a follower
        if truncated_to is not None and glimpse != "truncated":
            # etcd logs each conflict with the first new entry's term (hashicorp its range)
            known, cut = known.truncated(truncated_to)
            assert cut is None or cut > commit
            known, cut = known.appended(truncated_to + 1, truncated_to + 1, term)
            assert cut is None or cut > commit
            known = known.demoted()  # the entries after the first are not shown
        before = known
        if glimpse == "ending":
            known, cut = known.ending(len(real), real[-1] if real else 0)
        elif glimpse == "entry" and 1 <= which <= len(real):
            known, cut = known.entry(which, real[which - 1])
        elif glimpse == "appended" and appended is not None:
            if truncated_to is not None:
                known, _ = known.truncated(truncated_to)
            known, cut = known.appended(*appended)
        elif glimpse == "length":
            known, cut = known.with_length(len(real))
        elif glimpse == "truncated" and truncated_to is not None:
            known, cut = known.truncated(truncated_to)
            known, _ = known.appended(*appended)
            cut = None
        else:
            cut = None
        sound(known, real)
        if cut is not None:
            # the real log really changed at or below the cut, and never below the commit
            assert cut > commit, (before, known, real, commit, cut)
        if commits and real:
            commit = len(real)


def test_a_shorter_log_than_seen_is_a_cut_at_the_first_entry_gone() -> None:
    known, _ = EMPTY_LOG.ending(12, 2)
    known = known.demoted()
    shorter, cut = known.ending(5, 2)
    assert cut == 6 and shorter.length == 5 and shorter.term_at(5) == 2


def test_a_term_that_cannot_follow_a_known_one_cuts_where_it_was() -> None:
    known, _ = EMPTY_LOG.ending(7, 3)
    known = known.demoted()  # now: entry 7 has term 3, at least 7 entries
    after, cut = known.ending(9, 2)  # entry 9 of term 2 cannot come after entry 7 of term 3
    assert cut == 7 and after.term_at(7) is None and after.term_at(9) == 2


def test_runs_of_one_term_are_merged_across_the_gap() -> None:
    known, _ = EMPTY_LOG.demoted().entry(3, 2)
    known, _ = known.entry(10, 2)
    assert known.term_at(7) == 2 and known.runs == ((3, 10, 2),)
    assert known.term_at(2) is None and known.term_at(11) is None


def test_appending_the_same_entries_again_cuts_nothing() -> None:
    known, _ = EMPTY_LOG.appended(1, 5, 1)
    again, cut = known.demoted().appended(3, 5, 1)
    assert cut is None and again.term_at(5) == 1


def test_appending_other_entries_over_known_ones_cuts_at_the_first() -> None:
    known, _ = EMPTY_LOG.appended(1, 5, 1)
    after, cut = known.demoted().appended(4, 6, 2)
    assert cut == 4 and after.term_at(3) == 1 and after.term_at(4) == 2 and after.length == 6


def test_log_matching_between_known_logs() -> None:
    a, _ = EMPTY_LOG.appended(1, 4, 1)
    a, _ = a.appended(5, 8, 2)
    b, _ = EMPTY_LOG.appended(1, 4, 1)
    b, _ = b.appended(5, 6, 2)
    assert first_disagreement(a, b) is None  # b is a prefix of a
    c, _ = EMPTY_LOG.appended(1, 2, 1)
    c, _ = c.appended(3, 6, 2)  # entry 6 of term 2 as in a, but entries 3..4 differ
    assert first_disagreement(a, c) == 3
    d, _ = EMPTY_LOG.appended(1, 2, 1)
    d, _ = d.appended(3, 3, 3)  # differ at 3, and share nothing above it: allowed
    assert first_disagreement(a, d) is None


def test_committed_marks_answer_what_a_later_leader_must_hold() -> None:
    c = NOTHING_COMMITTED.with_commit(5, 2).with_commit(9, 3).with_commit(12, 5)
    assert c.committed_before(2) == 0
    assert c.committed_before(3) == 5
    assert c.committed_before(4) == 9 and c.committed_before(5) == 9
    assert c.committed_before(6) == 12
    assert c.forget_before(5).committed_before(6) == 12
    assert c.forget_before(5).committed_before(5) == 9


def _runs_of(terms: dict[int, int]) -> tuple[tuple[int, int, int], ...]:
    """Known entries (index -> term) as runs: consecutive known entries of one term, gaps
    between entries of one term included (terms never decrease along a log)."""
    runs: list[tuple[int, int, int]] = []
    for index in sorted(terms):
        if runs and runs[-1][2] == terms[index]:
            runs[-1] = (runs[-1][0], index, terms[index])
        else:
            runs.append((index, index, terms[index]))
    return tuple(runs)


@given(st.lists(st.tuples(st.integers(1, 40), st.integers(0, 6), st.integers(1, 9)),
                max_size=12))
def test_known_entries_put_one_range_at_a_time_are_the_runs_of_those_entries(puts) -> None:
    """_put (the fast path for a range after every known entry, and the general one) keeps
    exactly the runs of the entries put so far, whatever order ranges come in."""
    from raftcheck.validate.knowledge import _put

    runs: tuple[tuple[int, int, int], ...] = ()
    terms: dict[int, int] = {}
    for first, extra, term in sorted(puts, key=lambda p: p[2]):  # non-decreasing terms
        last = first + extra
        if any(t != term for k, t in terms.items() if first <= k <= last):
            continue  # callers cut contradictions first
        runs = _put(runs, first, last, term)
        for k in range(first, last + 1):
            terms[k] = term
        # entries between two known ones of one term have that term too (the runs say so)
        filled = {k: t for a, b, t in _runs_of(terms) for k in range(a, b + 1)}
        assert runs == _runs_of(filled), (puts, runs)
        terms = filled


def test_equal_logs_hash_alike_however_they_were_built() -> None:
    """A KnownLog's hash is worked out when first asked for; equal logs, built by different
    steps, still hash alike (candidate Worlds are deduplicated by it)."""
    a = KnownLog().ending(5, 2)[0].appended(6, 7, 3)[0]
    b = KnownLog(((5, 5, 2),), 5).appended(6, 7, 3)[0]
    c = KnownLog(((5, 5, 2), (6, 7, 3)), 7)
    assert a == b == c and hash(a) == hash(b) == hash(c) and len({a, b, c}) == 1
    assert len({a, a.demoted(), KnownLog(a.runs, None, 7)}) == 2  # demoted: another log
