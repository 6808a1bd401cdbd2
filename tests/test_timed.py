"""The timed model: time, clients, read paths, pre-vote, check-quorum, slow disks.

Each client property has a configuration where it must fail and one where it must hold; the
mutants (lease-no-drift-margin, ack-before-commit) are in test_mutants.py.
"""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction

import pytest

from raftcheck.checker.result import Outcome
from raftcheck.checker.search import breadth_first
from raftcheck.cli import main
from raftcheck.spec.actions import actor
from raftcheck.spec.config import Bounds, SpecConfig
from raftcheck.spec.records import Role
from raftcheck.spec.timed.config import TimedConfig, Timing, mutant_config
from raftcheck.spec.timed.model import ACKED, CLIENTS, NODES, TimedRaftModel
from tests.oracles.reachable import reachable_steps

SMALL = Bounds(max_term=3, max_log=3, max_msgs=1, max_dup=1, max_writes=1, max_restarts=0,
               max_elections=2, max_partitions=1)
QUICK = Timing(election_min=2, election_max=2, heartbeat=1)


def timed(reads: str = "none", *, bounds: Bounds = SMALL, timing: Timing = QUICK,
          properties=None, **options) -> TimedRaftModel:
    config = TimedConfig(spec=SpecConfig(nodes=3, bounds=bounds), timing=timing, reads=reads,
                         **options)
    return TimedRaftModel(config, properties)


def reachable(model: TimedRaftModel, limit: int = 200_000):
    """(state, action, successor) for every step of the reachable graph (within limit)."""
    return reachable_steps(model, limit)


# --- reads ----------------------------------------------------------------------------------


def test_follower_reads_are_stale_and_the_cli_says_that_is_by_design(capsys):
    result = breadth_first(timed("follower", properties=["LinearizableReads"]))
    assert result.outcome is Outcome.VIOLATED
    cex = result.counterexample
    read = cex.steps[-1].action
    assert read.name == "ClientSend" and read.request == "read"
    # The node that answered is not the leader the acknowledged write went through.
    answered = cex.steps[-2].state[NODES][read.node].server
    assert answered.role != Role.LEADER or answered.commit_index < max(
        index for index, _, _ in cex.steps[-2].state[ACKED])
    code = main(["explore", "--reads", "follower", "--election-timeout", "2",
                 "--invariant", "LinearizableReads"])
    out = capsys.readouterr().out
    assert code == 1
    assert "expected behaviour of --reads follower, not a bug" in out


def test_read_index_reads_are_linearizable():
    result = breadth_first(timed("index"))
    assert result.outcome is Outcome.HOLDS


def test_a_lease_too_long_for_the_drift_gives_a_readable_stale_read():
    """Old leader isolated, new leader elected and commits a write, old leader still serves a
    read from its lease: the trace shows each of these."""
    config = mutant_config("lease-no-drift-margin", broken=False).with_timing(lease=Fraction(2))
    model = TimedRaftModel(config, ["LinearizableReads"])
    result = breadth_first(model)
    assert result.outcome is Outcome.VIOLATED
    steps = result.counterexample.steps
    names = [step.action.name for step in steps[1:]]
    assert "Partition" in names
    read = steps[-1].action
    old = steps[-2].state[NODES][read.node]
    assert old.server.role == Role.LEADER and old.lease > 0
    newer = [n.server for n in steps[-2].state[NODES]
             if n.server.role == Role.LEADER and n.server.term > old.server.term]
    assert newer and newer[0].commit_index > old.server.commit_index
    # It answers with something older than the acknowledged write v1.
    acked = {value for _, _, value in steps[-2].state[ACKED]}
    assert acked == {1} and "read v1" not in read.reply


def test_the_safe_lease_is_the_drift_margin():
    config = mutant_config("lease-no-drift-margin", broken=False)
    model = TimedRaftModel(config)
    t = config.timing
    assert model.lease == Fraction(t.election_min) * (1 - t.drift) / (1 + t.drift)


# --- writes and partitions --------------------------------------------------------------------


@pytest.mark.parametrize("broken, outcome", [(True, Outcome.VIOLATED), (False, Outcome.HOLDS)])
def test_minority_no_ack(broken, outcome):
    config = mutant_config("ack-before-commit", broken=broken)
    result = breadth_first(TimedRaftModel(config, ["MinorityNoAck"]))
    assert result.outcome is outcome
    if broken:
        names = [step.action.name for step in result.counterexample.steps[1:]]
        assert "Partition" in names and result.counterexample.property == "MinorityNoAck"


def test_a_client_is_redirected_to_the_leader_and_retries_there():
    model = timed(bounds=Bounds(max_term=2, max_log=1, max_msgs=1, max_dup=1, max_writes=1,
                                max_restarts=0, max_elections=1, max_partitions=0))
    redirected = None
    for _state, action, successor in reachable(model):
        if action.name in ("ClientSend", "ClientReply") and action.reply.startswith("redirect"):
            hint = int(action.reply.removeprefix("redirect to n")) - 1
            client = successor[CLIENTS][action.client]
            assert client.target == hint and client.cached == hint  # retries at the hint
            retry = [a for a, _, _ in model.successors(successor)
                     if a.name == "ClientReply" and a.node == hint]
            assert retry and retry[0].reply.startswith("appended")
            redirected = hint
            break
    assert redirected is not None


def test_time_passes_to_the_next_deadline_on_each_clock():
    config = TimedConfig(spec=SpecConfig(nodes=3, bounds=SMALL),
                         timing=Timing(election_min=3, election_max=3, heartbeat=1,
                                       drift=Fraction(1, 3)))
    model = TimedRaftModel(config)
    slow, fast = Fraction(2, 3), Fraction(4, 3)
    state = next(s for s in model.initial_states()
                 if [n.rate for n in s[NODES]] == [slow, fast, fast]
                 and [n.election for n in s[NODES]] == [3, 3, 2])
    tick = [(a, s) for a, s, _ in model.successors(state) if a.name == "Tick"]
    assert len(tick) == 1
    action, after = tick[0]
    # n3 (rate 4/3, 2 left) runs out first, after 3/2 of real time; the others move by rate.
    assert Fraction(action.elapsed) == Fraction(3, 2)
    assert [n.election for n in after[NODES]] == [2, 1, 0]


# --- pre-vote, check-quorum, slow disks --------------------------------------------------------


def test_check_quorum_makes_an_isolated_leader_step_down_and_only_then():
    def steps_down(model: TimedRaftModel) -> bool:
        return any(a.name == "CheckQuorum" and not a.stays for _, a, _ in reachable(model))

    assert steps_down(timed(check_quorum=True))
    assert not steps_down(timed())


def test_with_pre_vote_no_server_raises_its_term_without_a_quorum_of_pre_votes():
    model = timed(pre_vote=True)
    for state, action, successor in reachable(model):
        assert action.name != "Timeout"
        for before, after in zip(state[NODES], successor[NODES], strict=True):
            if after.server.term > before.server.term and after.server.role == Role.CANDIDATE:
                assert action.name == "HandlePreVoteResponse"
    assert breadth_first(timed(pre_vote=True, check_quorum=True)).outcome is Outcome.HOLDS


def test_a_slow_disk_blocks_its_node_and_holds_its_reply_until_durable():
    model = timed(timing=Timing(election_min=2, election_max=2, heartbeat=1, fsync=3,
                                slow_disks=0b111))
    held = done = False
    for state, action, successor in reachable(model):
        for node in successor[NODES]:
            held = held or bool(node.held)
        if action.name == "DiskDone":
            done = True
            node = state[NODES][action.node]
            assert node.disk == 0
            # Until it resumes, the node takes no other step and handles no message.
            assert all(actor(a) != action.node for a, _, _ in model.successors(state)
                       if a.name != "DiskDone")
    assert held and done
    assert breadth_first(model).outcome is Outcome.HOLDS


# --- the command line ------------------------------------------------------------------------


@pytest.mark.parametrize("flags, message", [
    (["--election-timeout", "5,3"], "--election-timeout"),
    (["--drift", "1.5"], "--drift"),
    (["--reads", "lease", "--symmetry"], "no symmetry reduction"),
    (["--invariant", "LinearizableReads"], "needs the timed model"),
    (["--time", "--slow-disk", "n9"], "--slow-disk n9"),
    (["--time", "--profile", "raft-tla"], "need --profile raftcheck"),
])
def test_bad_timed_flags_are_one_line_errors(flags, message, capsys):
    assert main(["explore", *flags]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1


def test_a_timed_trace_draws_as_a_sequence_diagram(tmp_path):
    from raftcheck.diagrams import write_diagram

    model = TimedRaftModel(mutant_config("ack-before-commit"), ["AckedWriteNeverLost"])
    cex = breadth_first(model).counterexample
    path = tmp_path / "trace.svg"
    write_diagram(str(path), cex, model, subtitle="timed")
    svg = path.read_text()
    assert svg.count("n1") >= 2 and "ClientReply(c1" in svg
    assert "AckedWriteNeverLost" in svg


def test_jitter_delays_heartbeats_enough_to_start_an_election_with_nothing_lost():
    """No partition, no loss, no restart: with messages arriving at once a follower of a
    leader never times out; with a jitter as long as the election timeout, one does."""
    calm = Bounds(max_term=3, max_log=1, max_msgs=1, max_dup=1, max_writes=0, max_restarts=0,
                  max_elections=2, max_partitions=0)

    def follower_of_a_leader_times_out(jitter: int) -> bool:
        model = timed(bounds=calm, timing=Timing(election_min=2, election_max=2, heartbeat=1,
                                                 jitter=jitter))
        for state, action, _ in reachable(model):
            if action.name == "Timeout":
                node = state[NODES][action.node]
                if any(n.server.role == Role.LEADER and n.server.term == node.server.term
                       for n in state[NODES]):
                    return True
        return False

    assert not follower_of_a_leader_times_out(0)
    assert follower_of_a_leader_times_out(2)


def test_a_lone_client_writes_and_reads_and_its_leader_cache_keeps_it_from_the_old_leader():
    config = mutant_config("lease-no-drift-margin")
    lone = TimedRaftModel(replace(config, clients=1), ["LinearizableReads"])
    reads = [a for _, a, _ in reachable(lone, 100_000) if a.name == "ClientSend"
             and a.request == "read" and a.reply.startswith("read")]
    assert reads  # the one client does read
    assert breadth_first(lone).outcome is Outcome.HOLDS
    assert breadth_first(TimedRaftModel(config, ["LinearizableReads"])).outcome \
        is Outcome.VIOLATED
