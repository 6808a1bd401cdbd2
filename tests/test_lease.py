"""raftcheck lease: z3's verdict on stale lease reads under bounded clock drift.

Expectations come from the hand-derived bound computed here (a follower that drew the shortest
timeout and runs fast votes after MIN / (1 + D) real time, when a slow leader's clock shows
(1 - D) times that), and every unsafe timeline is re-checked against the rules of the scenario.
"""

from __future__ import annotations

import json
from collections import defaultdict
from fractions import Fraction
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from raftcheck.cli import main
from raftcheck.timing import LeaseQuestion, LeaseVerdict, check_lease


def bound(election_min: Fraction | int, drift: Fraction) -> Fraction:
    return Fraction(election_min) * (1 - drift) / (1 + drift)


def question(lease, drift="0.01", election=(150, 300), heartbeat=50, nodes=3) -> LeaseQuestion:
    return LeaseQuestion.of(*election, heartbeat=heartbeat, lease=lease, drift=drift,
                            nodes=nodes)


def assert_stale_read_is_real(verdict: LeaseVerdict) -> None:
    """The timeline obeys every rule of the scenario, recomputed from its real/local times."""
    q, t = verdict.question, verdict.timeline
    assert t is not None
    majority = q.nodes // 2 + 1
    by_node = defaultdict(list)
    for e in t.events:
        by_node[e.node].append(e)
    for node, events in by_node.items():
        events.sort(key=lambda e: e.real)
        for a, b in pairwise(events):
            d_real, d_local = b.real - a.real, b.local - a.local
            assert (1 - q.drift) * d_real <= d_local <= (1 + q.drift) * d_real, node
    for node, rate in t.rates.items():
        assert 1 - q.drift <= rate <= 1 + q.drift, node

    start = t.first("round-start", t.old_leader)
    read = t.first("read", t.old_leader)
    commit = t.first("commit", t.new_leader)
    elected = t.first("elected", t.new_leader)
    assert read.real > commit.real >= elected.real
    assert read.local - start.local < q.lease, "the read is within the old leader's lease"

    acked, voters = set(t.acknowledged), set(t.voters)
    assert t.old_leader in acked and len(acked) >= majority
    assert t.new_leader in voters and len(voters) >= majority
    assert t.old_leader not in voters
    for e in t.events:
        if e.kind == "ack":
            assert e.real <= read.real
    candidacy = t.first("vote", t.new_leader)
    for node in voters:
        vote = t.first("vote", node)
        assert candidacy.real <= vote.real <= elected.real
        if node in acked:
            heard = t.first("heartbeat", node)
            timeout = t.timeouts[node]
            assert q.election_min <= timeout <= q.election_max
            assert vote.local - heard.local >= timeout, f"{node} voted before its timeout"
    assert acked & voters, "the two quorums intersect"


def test_safe_configuration_says_why():
    v = check_lease(question(140))
    expected = bound(150, Fraction(1, 100))
    assert v.safe and v.timeline is None
    assert v.largest_safe_lease == expected == v.closed_form
    assert v.boundary_confirmed is True and v.agrees
    assert "<=" in v.inequality and "140" in v.inequality


def test_safe_configuration_on_the_command_line(capsys):
    code = main(["lease", "--election-timeout", "150,300", "--heartbeat", "50",
                 "--lease", "140", "--drift", "0.01"])
    out = capsys.readouterr().out
    assert code == 0
    assert check_lease(question(140)).inequality in out
    assert "local time" not in out and "serves a lease read" not in out, "no timeline"
    assert str(bound(150, Fraction(1, 100))) in out


@pytest.mark.parametrize("nodes", [3, 4, 5, 7])
@pytest.mark.parametrize("drift, lease", [("0.01", 150), ("0.01", 148), ("0.1", 130),
                                          ("0.2", 101)])
def test_lease_too_long_for_the_drift_gives_a_consistent_stale_read(nodes, drift, lease):
    q = question(lease, drift=drift, nodes=nodes)
    assert q.lease > bound(q.election_min, q.drift)
    v = check_lease(q, confirm_boundary=False)
    assert not v.safe
    assert_stale_read_is_real(v)


def test_unsafe_on_the_command_line_prints_the_timeline(capsys):
    code = main(["lease", "--election-timeout", "150,300", "--heartbeat", "50",
                 "--lease", "150", "--drift", "1%"])
    out = capsys.readouterr().out
    assert code == 1
    assert "real time" in out and "local time" in out
    assert ">" in check_lease(question(150)).inequality
    for line in ("starts a heartbeat round", "commits", "serves a lease read"):
        assert line in out


def test_json_output_is_a_consistent_timeline(capsys):
    code = main(["lease", "--election-timeout", "100", "--heartbeat", "20", "--lease", "99",
                 "--drift", "0.02", "--nodes", "5", "--json"])
    report = json.loads(capsys.readouterr().out)
    assert code == 1 == report["exit_code"] and report["verdict"] == "unsafe"
    assert Fraction(report["largest_safe_lease_exact"]) == bound(100, Fraction(2, 100))
    events = report["timeline"]["events"]
    kinds = {e["kind"]: e for e in events}
    assert Fraction(kinds["read"]["real_exact"]) > Fraction(kinds["commit"]["real_exact"])
    assert Fraction(kinds["read"]["local_exact"]) < 99


@pytest.mark.parametrize("election_min, drift", [(150, "0.01"), (10, "0.25"), (7, "1/3"),
                                                 (1000, "0.0005")])
def test_largest_safe_lease_is_the_boundary(election_min, drift):
    d = Fraction(drift)
    edge = bound(election_min, d)
    at_edge = check_lease(question(edge, drift=drift, election=(election_min,),
                                   heartbeat=Fraction(election_min, 3)))
    assert at_edge.safe and at_edge.largest_safe_lease == edge
    assert at_edge.boundary_confirmed is True
    above = check_lease(at_edge.question.with_lease(edge * (1 + Fraction(1, 10**9))),
                        confirm_boundary=False)
    assert not above.safe
    assert_stale_read_is_real(above)


def test_without_drift_the_lease_may_equal_the_election_timeout():
    exact = check_lease(question(150, drift=0))
    assert exact.safe and exact.largest_safe_lease == 150
    longer = check_lease(question(Fraction(150) + Fraction(1, 1000), drift=0),
                         confirm_boundary=False)
    assert not longer.safe
    assert_stale_read_is_real(longer)
    assert set(longer.timeline.rates.values()) == {1}


def test_a_lease_with_no_drift_margin_is_unsafe_once_clocks_drift():
    # The lease-no-drift-margin mistake: lease = election timeout, as if clocks were exact.
    v = check_lease(question(150, drift="0.001"), confirm_boundary=False)
    assert not v.safe
    assert_stale_read_is_real(v)


def test_only_the_minimum_election_timeout_matters():
    for lease in (140, 148):
        ranged = check_lease(question(lease, election=(150, 300)), confirm_boundary=False)
        fixed = check_lease(question(lease, election=(150, 150)), confirm_boundary=False)
        assert ranged.safe == fixed.safe
        assert ranged.largest_safe_lease == fixed.largest_safe_lease


@settings(max_examples=40, deadline=None)
@given(election_min=st.integers(2, 40), drift_percent=st.integers(0, 40),
       lease=st.integers(1, 45), nodes=st.integers(3, 6))
def test_integer_grid_matches_the_closed_form(election_min, drift_percent, lease, nodes):
    drift = Fraction(drift_percent, 100)
    v = check_lease(LeaseQuestion.of(election_min, heartbeat=1, lease=lease, drift=drift,
                                     nodes=nodes), confirm_boundary=False)
    assert v.safe == (lease <= bound(election_min, drift))
    assert v.largest_safe_lease == bound(election_min, drift)


@pytest.mark.parametrize("flags", [
    ["--election-timeout", "300,150", "--heartbeat", "50", "--lease", "100", "--drift", "0.01"],
    ["--election-timeout", "150", "--heartbeat", "150", "--lease", "100", "--drift", "0.01"],
    ["--election-timeout", "150", "--heartbeat", "0", "--lease", "100", "--drift", "0.01"],
    ["--election-timeout", "150", "--heartbeat", "50", "--lease", "-3", "--drift", "0.01"],
    ["--election-timeout", "150", "--heartbeat", "50", "--lease", "100", "--drift", "1"],
    ["--election-timeout", "150", "--heartbeat", "50", "--lease", "100", "--drift", "-0.1"],
    ["--election-timeout", "0", "--heartbeat", "50", "--lease", "100", "--drift", "0.01"],
    ["--election-timeout", "1,2,3", "--heartbeat", "1", "--lease", "1", "--drift", "0"],
    ["--election-timeout", "soon", "--heartbeat", "50", "--lease", "100", "--drift", "0.01"],
    ["--election-timeout", "150", "--heartbeat", "50", "--lease", "100", "--drift", "lots"],
    ["--election-timeout", "150", "--heartbeat", "50", "--lease", "100"],
    ["--election-timeout", "150", "--heartbeat", "50", "--lease", "100", "--drift", "0",
     "--nodes", "2"],
])
def test_bad_flags_are_one_line_and_exit_2(capsys, flags):
    code = main(["lease", *flags])
    captured = capsys.readouterr()
    assert code == 2
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("raftcheck: error:")
    assert "Traceback" not in captured.err
