"""ShapeLog (run-length coded log shapes) behaves like the plain list of entries it codes."""

from __future__ import annotations

import random

from raftcheck.validate.logshape import ShapeLog


def _runs(terms: list[int]) -> tuple[tuple[int, int], ...]:
    runs: list[tuple[int, int]] = []
    for k, t in enumerate(terms, 1):
        if runs and runs[-1][0] == t:
            runs[-1] = (t, k)
        else:
            runs.append((t, k))
    return tuple(runs)


def _ending(terms: list[int], index: int, term: int) -> list[int]:
    """The reference: keep the longest prefix (< index) whose last term is <= term."""
    if len(terms) == index and (terms[-1] if terms else 0) == term:
        return terms
    keep = min(len(terms), index - 1)
    while keep > 0 and terms[keep - 1] > term:
        keep -= 1
    return terms[:max(keep, 0)] + [term] * (index - max(keep, 0))


def _random_terms(rnd: random.Random) -> list[int]:
    terms: list[int] = []
    term = 1
    for _ in range(rnd.randint(0, 12)):
        term += rnd.choice((0, 0, 1, 2))
        terms.append(term)
    return terms


def test_shape_log_matches_a_plain_list() -> None:
    rnd = random.Random(7)
    for _ in range(400):
        terms = _random_terms(rnd)
        log = ShapeLog(_runs(terms))
        assert len(log) == len(terms)
        assert [t for t, _v in log] == terms
        for k in range(-len(terms), len(terms)):
            assert log[k] == (terms[k], 0)
        for length in range(len(terms) + 3):
            assert log.prefix(length).runs == _runs(terms[:length])
        for index in range(len(terms) + 1):
            assert log.term_at(index) == (terms[index - 1] if index else 0)
        top = terms[-1] if terms else 1
        for index in range(len(terms) + 3):
            for term in range(1, top + 3):
                assert log.ending(index, term).runs == _runs(_ending(terms, index, term)), \
                    (terms, index, term)
