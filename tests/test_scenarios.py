"""Scenarios: each claim checked, and the machinery shown able to fail both ways (a never-claim
that is reachable, a can-claim with no witness)."""

from __future__ import annotations

import json
from dataclasses import replace
from fractions import Fraction

import pytest

from raftcheck.cli import main
from raftcheck.scenarios.catalog import (
    CLIENT_A,
    CLIENT_B,
    CLOCK_DRIFT_LEASE,
    CUT_OFF,
    DC_A,
    JITTER_WITHOUT_PREVOTE,
    LEADER_IN_MINORITY,
    MEMBERSHIP_BUG,
    MINORITY_HALTS,
    SCENARIOS,
    SLOW_LEADER_DISK,
    SNAPSHOT_CATCHUP,
    SPLIT_2_3,
)
from raftcheck.scenarios.claims import Claim, leaders_in, sides
from raftcheck.scenarios.run import run_scenario
from raftcheck.spec import actions as act
from raftcheck.spec.records import Role
from raftcheck.spec.timed.liveness import shift_terms, write_committed
from raftcheck.spec.timed.model import ACKED, CLIENTS, COMMITTED, CUT, NODES


def replays(model, trace) -> bool:
    """Every step of the trace is a step of the spec."""
    return all(
        any(a == step.action and s == step.state for a, s, _ in model.successors(before.state))
        for before, step in zip(trace.steps, trace.steps[1:], strict=False))


def test_minority_halts_as_claimed():
    result = run_scenario(MINORITY_HALTS)
    assert result.as_claimed and result.exit_code == 0
    witness = next(c for c in result.claims if c.kind == "can").trace
    assert replays(result.model, witness)
    last = result.model.view(witness.steps[-1].state)
    majority = [i for i in range(5) if not (MINORITY_HALTS.config.split >> i) & 1]
    assert any(last.servers[i].role == Role.LEADER and last.servers[i].commit_index >= 1
               for i in majority)
    assert all(s.role != Role.LEADER for i, s in enumerate(last.servers) if i not in majority)


def test_a_reachable_never_claim_is_reported():
    majority_elects = Claim("MajorityElects", "never", "the side of three elects a leader",
                            lambda v, phase: bool(leaders_in(v, sides(v, 5)[1])))
    result = run_scenario(replace(MINORITY_HALTS, claims=(majority_elects,)))
    assert not result.as_claimed and result.exit_code == 1
    (claim,) = result.claims
    assert not claim.as_claimed and claim.trace is not None
    assert replays(result.model, claim.trace)
    last = result.model.view(claim.trace.steps[-1].state)
    assert [s.role for s in last.servers].count(Role.LEADER) == 1


def test_a_can_claim_without_witness_is_reported():
    no_writes = replace(MINORITY_HALTS, config=MINORITY_HALTS.config.with_bounds(max_writes=0))
    result = run_scenario(no_writes)
    can = next(c for c in result.claims if c.kind == "can")
    assert not can.as_claimed and can.trace is None and "no witness" in can.detail
    assert result.exit_code == 1


def test_leader_in_minority_as_claimed_with_a_witness():
    result = run_scenario(LEADER_IN_MINORITY)
    assert result.as_claimed
    witness = next(c for c in result.claims if c.kind == "can").trace
    assert replays(result.model, witness)
    kinds = [type(s.action) for s in witness.steps[1:]]
    assert act.Partition in kinds and act.Heal in kinds
    assert kinds.index(act.Partition) < kinds.index(act.Heal)
    cut_at = kinds.index(act.Partition) + 1
    cut_view = result.model.view(witness.steps[cut_at].state)
    minority = sides(cut_view, 5)[0]
    (old_leader,) = leaders_in(cut_view, minority)
    old_term = cut_view.servers[old_leader].term
    end = result.model.view(witness.steps[-1].state)
    assert end.servers[old_leader].role == Role.FOLLOWER
    assert end.servers[old_leader].term > old_term
    assert len({s.log for s in end.servers}) == 1
    assert all(t > old_term for s in end.servers for t, _ in s.log)


def test_the_cut_off_leader_can_still_commit_what_a_majority_stored_before_the_cut():
    """The claim "the old leader cannot commit" holds only for writes after the cut."""
    def old_leader_commits(view, phase):
        stage, term, _, _ = phase
        return stage == CUT_OFF and any(
            view.servers[i].role == Role.LEADER and view.servers[i].term == term
            and view.servers[i].commit_index > 0 for i in range(5)
            if sides(view, 5)[0] >> i & 1)

    claim = Claim("OldLeaderCommits", "never", "the cut-off leader commits", old_leader_commits)
    result = run_scenario(replace(LEADER_IN_MINORITY, claims=(claim,)))
    (found,) = result.claims
    assert not found.as_claimed and replays(result.model, found.trace)
    steps = found.trace.steps
    cut_at = next(i for i, s in enumerate(steps) if isinstance(s.action, act.Partition))
    before = result.model.view(steps[cut_at].state)
    leader = next(i for i, s in enumerate(before.servers) if s.role == Role.LEADER)
    stored = sum(1 for s in before.servers if s.log and s.log[0] == before.servers[leader].log[0])
    assert stored >= 3  # the entry it commits was on a majority when the cut came


def test_cli_lists_runs_and_rejects(capsys, tmp_path):
    assert main(["scenario", "list"]) == 0
    listed = capsys.readouterr().out
    assert all(name in listed for name in SCENARIOS)
    assert main(["scenario", "run", "nope"]) == 2
    err = capsys.readouterr().err.strip()
    assert "nope" in err and len(err.splitlines()) == 1
    diagram = tmp_path / "witness.svg"
    assert main(["scenario", "run", "minority-halts", "--json", "--diagram", str(diagram)]) == 0
    (report,) = json.loads(capsys.readouterr().out)
    assert report["verdict"] == "as-claimed"
    assert {c["name"] for c in report["claims"]} == {c.name for c in MINORITY_HALTS.claims}
    assert diagram.read_text().lstrip().startswith(("<?xml", "<svg"))


@pytest.mark.parametrize("bad", [["scenario", "run"], ["scenario", "run", "minority-halts",
                                                       "--diagram", "x.png"]])
def test_bad_usage_exits_2(bad, capsys):
    assert main(bad) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


# --- split-2-3 (the timed model) ----------------------------------------------------------------


@pytest.fixture(scope="module")
def split_2_3():
    return run_scenario(SPLIT_2_3)


def test_split_2_3_as_claimed(split_2_3):
    assert split_2_3.as_claimed and split_2_3.exit_code == 0
    verdicts = {c.name: (c.kind, c.as_claimed) for c in split_2_3.claims}
    assert verdicts == {"DcAWriteAcked": ("never", True), "DcBWriteAcked": ("can", True),
                        "DcAError": ("can", True), "DcATimeout": ("can", True)}
    assert "holds in all" in split_2_3.claims[0].detail


def witness_of(result, name):
    trace = next(c for c in result.claims if c.name == name).trace
    assert trace is not None and replays(result.model, trace)
    return trace


def test_split_2_3_dc_b_write_is_acknowledged_by_a_dc_b_leader(split_2_3):
    trace = witness_of(split_2_3, "DcBWriteAcked")
    last = trace.steps[-1]
    assert isinstance(last.action, act.ClientReply) and last.action.client == CLIENT_B
    assert last.action.reply.startswith("ok") and not DC_A >> last.action.node & 1
    assert last.state[ACKED]
    view = split_2_3.model.view(last.state)
    assert leaders_in(view, 0b11111 & ~DC_A) and not leaders_in(view, DC_A)
    # Nothing c1 did came to "ok" on the way.
    assert not any(getattr(s.action, "client", None) == CLIENT_A
                   and getattr(s.action, "reply", "").startswith("ok") for s in trace.steps[1:])


def test_split_2_3_dc_a_client_gets_an_error_or_times_out(split_2_3):
    error = witness_of(split_2_3, "DcAError").steps[-1].action
    assert error.client == CLIENT_A and error.reply.startswith("error")
    assert DC_A >> error.node & 1  # it reaches DC A only, where no node knows a leader
    timeout = witness_of(split_2_3, "DcATimeout").steps
    assert timeout[-1].action == act.ClientTimeout(CLIENT_A)
    sent = next(s.action for s in timeout if isinstance(s.action, act.ClientSend))
    assert sent.client == CLIENT_A and sent.reply == "(waiting)"
    assert any(isinstance(s.action, act.Tick) for s in timeout)


def test_split_2_3_reports_a_reachable_client_outcome():
    """The machinery fails where it should: "c2 never gets ok" is reachable."""
    never_b = Claim("DcBWriteAcked", "never", "c2 gets ok", SPLIT_2_3.claims[1].condition)
    result = run_scenario(replace(SPLIT_2_3, claims=(never_b,)))
    assert not result.as_claimed and result.exit_code == 1
    (claim,) = result.claims
    assert replays(result.model, claim.trace)
    assert claim.trace.steps[-1].action.reply.startswith("ok")


# --- jitter-without-prevote ---------------------------------------------------------------------


def deposition(result, name):
    """The witness of a claim, the index of the heal, the leader then and its term."""
    trace = witness_of(result, name)
    kinds = [type(s.action) for s in trace.steps]
    cut, heal = kinds.index(act.Partition), kinds.index(act.Heal)
    assert cut < heal and kinds.count(act.Partition) == 1
    (alone,) = [g for g in trace.steps[cut].action.groups if g.bit_count() == 1]
    healed = trace.steps[heal].state[NODES]
    (leader,) = [i for i, n in enumerate(healed) if n.server.role == Role.LEADER]
    assert not alone >> leader & 1
    return trace, heal, alone.bit_length() - 1, leader, healed[leader].server.term


def test_jitter_without_prevote_a_rejoined_follower_deposes_the_leader():
    result = run_scenario(JITTER_WITHOUT_PREVOTE)
    assert result.as_claimed and [c.kind for c in result.claims] == ["can", "can"]
    for name in ("Disruption", "RejoinsHigherAndDisrupts"):
        trace, heal, rejoined, leader, term = deposition(result, name)
        after_heal = [s.action for s in trace.steps[heal + 1:]]
        # A message with a higher term from the rejoined server reaches the leader.
        assert any(isinstance(a, act.HandleRequestVoteRequest | act.HandleAppendEntriesResponse)
                   and a.message.src == rejoined and a.message.dst == leader
                   and a.message.term > term
                   for a in after_heal)
        end = trace.steps[-1].state[NODES][leader].server
        assert end.role != Role.LEADER or end.term > term
    _, heal, rejoined, _, term = deposition(result, "RejoinsHigherAndDisrupts")
    trace = witness_of(result, "RejoinsHigherAndDisrupts")
    assert trace.steps[heal].state[NODES][rejoined].server.term > term


def test_jitter_with_prevote_and_check_quorum_no_disruption():
    result = run_scenario(JITTER_WITHOUT_PREVOTE.variant(["--prevote", "--check-quorum"]))
    assert [c.kind for c in result.claims] == ["never", "never"]
    assert result.as_claimed


def test_cli_variant_flags(capsys):
    assert main(["scenario", "run", "minority-halts", "--prevote"]) == 2
    assert "no variant" in capsys.readouterr().err
    assert main(["scenario", "run", "jitter-without-prevote", "--json"]) == 0
    (report,) = json.loads(capsys.readouterr().out)
    assert report["flags"] == [] and report["verdict"] == "as-claimed"


# --- clock-drift-lease --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def clock_drift_lease():
    return run_scenario(CLOCK_DRIFT_LEASE)


def test_clock_drift_lease_as_claimed(clock_drift_lease):
    result = clock_drift_lease
    assert result.as_claimed and result.exit_code == 0
    verdicts = {c.name: (c.kind, c.as_claimed) for c in result.claims}
    assert verdicts == {"StaleReadWithinBound": ("never", True),
                        "StaleReadNoDriftMargin": ("can", True)}
    never, can = result.claims
    assert "holds in all" in never.detail and can.trace.property == "LinearizableReads"
    # Each claim on its own lease, both with drift 1/3: the safe 2*(2/3)/(4/3) = 1, and 2.
    assert result.model_of(never).lease == 1 and result.model_of(can).lease == 2
    assert result.model_of(never).timing.drift == result.model_of(can).timing.drift == Fraction(
        1, 3)


def test_clock_drift_lease_a_cut_off_leader_reads_past_a_newer_commit(clock_drift_lease):
    claim = next(c for c in clock_drift_lease.claims if c.name == "StaleReadNoDriftMargin")
    model, steps = clock_drift_lease.model_of(claim), claim.trace.steps
    assert replays(model, claim.trace)
    assert any(isinstance(s.action, act.Partition) for s in steps)
    # A leader at a higher term commits a write and acknowledges it.
    (ack,) = [s for s in steps if isinstance(s.action, act.ClientReply)
              and s.action.reply.startswith("ok")]
    new_leader = ack.state[NODES][ack.action.node].server
    assert new_leader.role == Role.LEADER
    ((index, term, value),) = ack.state[ACKED]
    assert term == new_leader.term and any(e[0] == index for e in ack.state[COMMITTED])
    # The last step: a read answered by the old leader, at a lower term, cut off from the new
    # one, with a value older than the acknowledged write.
    read, before = steps[-1].action, steps[-2].state
    assert isinstance(read, act.ClientSend | act.ClientReply)
    assert read.reply.startswith("read") and f"v{value}" not in read.reply
    old = before[NODES][read.node].server
    assert old.role == Role.LEADER and old.term < new_leader.term
    assert before[CUT] and before[CUT] >> read.node & 1 != before[CUT] >> ack.action.node & 1


def test_clock_drift_lease_a_stale_read_breaks_a_never_claim():
    """The machinery fails where it should: with the lease 2, "never stale" is reported."""
    never, can = CLOCK_DRIFT_LEASE.claims
    result = run_scenario(replace(CLOCK_DRIFT_LEASE, config=can.config, claims=(never,)))
    assert not result.as_claimed and result.exit_code == 1
    (claim,) = result.claims
    assert claim.name == "StaleReadWithinBound" and not claim.as_claimed
    assert replays(result.model, claim.trace)
    assert claim.trace.steps[-1].action.reply.startswith("read")


# --- slow-leader-disk: liveness claims ----------------------------------------------------------


@pytest.fixture(scope="module")
def slow_leader_disk():
    return run_scenario(SLOW_LEADER_DISK)


def test_slow_leader_disk_as_claimed(slow_leader_disk):
    result = slow_leader_disk
    assert result.as_claimed and result.exit_code == 0
    verdicts = {c.name: (c.kind, c.as_claimed) for c in result.claims}
    assert verdicts == {"SlowLeaderWriteNeverCommits": ("lasso", True),
                        "SlowFollowerDoesNotStopCommits": ("live", True),
                        "ShortFsyncCommits": ("live", True)}
    assert [c.trace is not None for c in result.claims] == [True, False, False]


def test_slow_leader_disk_lasso_is_a_behaviour_where_the_slow_leader_write_never_commits(
        slow_leader_disk):
    claim = slow_leader_disk.claims[0]
    model, lasso = slow_leader_disk.model_of(claim), claim.trace
    assert replays(model, lasso)
    steps, loop = lasso.steps, lasso.loop_start
    assert shift_terms(steps[-1].state) == shift_terms(steps[loop].state)
    # n1 (the slow disk) took the write as leader, its disk was busy, a new leader took over.
    took = next(i for i, s in enumerate(steps) if any(
        c.accepted and c.target == 0 for c in s.state[CLIENTS]))
    assert steps[took].state[NODES][0].server.role == Role.LEADER
    assert any(isinstance(s.action, act.DiskDone) for s in steps[took:])
    leaders = {(i, n.server.term) for s in steps[took:] for i, n in enumerate(s.state[NODES])
               if n.server.role == Role.LEADER}
    assert any(i != 0 for i, _ in leaders)
    # From the write on, it is never committed; the cycle keeps a leader of a fast disk.
    assert not any(write_committed(s.state) for s in steps[took:])
    assert all(s.state[CUT] == 0 for s in steps[loop:])


def test_slow_leader_disk_a_live_claim_that_fails_is_reported():
    """The machinery fails where it should: claiming the slow leader's write commits."""
    lasso_claim = SLOW_LEADER_DISK.claims[0]
    wrong = replace(lasso_claim, name="SlowLeaderWriteCommits", kind="live")
    result = run_scenario(replace(SLOW_LEADER_DISK, claims=(wrong,)))
    assert not result.as_claimed and result.exit_code == 1
    (claim,) = result.claims
    assert not claim.as_claimed and claim.trace is not None and claim.trace.loop_start


# --- membership-bug and snapshot-catchup ------------------------------------------------------


@pytest.fixture(scope="module")
def membership_bug():
    return run_scenario(MEMBERSHIP_BUG)


def test_membership_bug_as_claimed(membership_bug):
    result = membership_bug
    assert result.as_claimed and result.exit_code == 0
    never = next(c for c in result.claims if c.kind == "never")
    assert never.as_claimed and never.trace is None


def test_membership_bug_witness_is_two_leaders_with_disjoint_majorities(membership_bug):
    can = next(c for c in membership_bug.claims if c.kind == "can")
    model = membership_bug.model_of(can)
    assert replays(model, can.trace)
    last = model.servers_of(can.trace.steps[-1].state)
    leaders = [i for i, s in enumerate(last) if s.role == Role.LEADER]
    assert len(leaders) == 2 and last[leaders[0]].term == last[leaders[1]].term
    a, b = leaders
    votes_a, votes_b = last[a].votes_granted, last[b].votes_granted
    assert not votes_a & votes_b  # disjoint majorities...
    assert model.rules.is_quorum(votes_a, model.rules.config(last[a]))
    assert model.rules.is_quorum(votes_b, model.rules.config(last[b]))  # ...of their configs
    assert model.rules.config(last[a]) != model.rules.config(last[b])
    # two changes, by two leaders; the first never committed
    changes = [step.action for step in can.trace.steps[1:] if step.action.name == "RemoveServer"]
    assert len(changes) == 2 and changes[0].node != changes[1].node


@pytest.fixture(scope="module")
def snapshot_catchup():
    return run_scenario(SNAPSHOT_CATCHUP)


def test_snapshot_catchup_as_claimed(snapshot_catchup):
    assert snapshot_catchup.as_claimed and snapshot_catchup.exit_code == 0


def test_snapshot_catchup_witness_installs_a_snapshot_the_follower_lacked(snapshot_catchup):
    can = next(c for c in snapshot_catchup.claims if c.name == "CatchesUpBySnapshot")
    model = snapshot_catchup.model_of(can)
    assert replays(model, can.trace)
    before, last = can.trace.steps[-2], can.trace.steps[-1]
    assert last.action.name == "HandleInstallSnapshotRequest"
    i = last.action.message.dst
    old, new = model.servers_of(before.state)[i], model.servers_of(last.state)[i]
    assert new.snapshot_index > 0 and len(old.log) < new.snapshot_index
    leader = last.action.message.src
    assert new.log == model.servers_of(last.state)[leader].log[:new.snapshot_index]


def test_snapshot_catchup_an_older_snapshot_wipes_a_committed_entry(snapshot_catchup):
    can = next(c for c in snapshot_catchup.claims if c.name == "OlderSnapshotLosesCommitted")
    model = snapshot_catchup.model_of(can)
    assert replays(model, can.trace)
    last = can.trace.steps[-1]
    assert last.action.name == "HandleInstallSnapshotRequest"
    assert model.check_state(last.state) in ("CommittedNeverLost", "StateMachineSafety")
