"""The two bounds that make the Raft paper's Figure 8 at five servers searchable exhaustively:
--max-candidates (only n1..nK stand for election) and --max-drops (messages lost in all);
and Figure 8 itself at five servers (docs/figure8.md).

The whole five-server search takes about five minutes (docs/figure8.md, benchmarks/
bench_simulate.py); the tests here search it from the state where the paper's panel (b) ends,
which is most of the way in states and under a minute."""

from __future__ import annotations

import pytest

from raftcheck.checker.result import Outcome
from raftcheck.checker.search import breadth_first
from raftcheck.spec import actions as act
from raftcheck.spec.config import Bounds, ConfigError, SpecConfig, scope_limits
from raftcheck.spec.model import RaftModel
from raftcheck.spec.mutants import MUTANTS
from raftcheck.spec.records import Role
from raftcheck.spec.timed.config import TimedConfig
from tests.commands import run
from tests.oracles.reachable import reachable_states, reachable_steps

#: docs/figure8.md's command's bounds: the mutant's own, no duplicates, two candidates, no loss.
FIGURE8_FIVE = {**MUTANTS["figure8"].bounds, "max_dup": 1, "max_candidates": 2, "max_drops": 0}

#: The first 17 steps of the shortest counterexample at those bounds (docs/figure8.md): n2 is
#: elected in term 3 and writes v1; n1, elected in term 2 (its vote requests crossed n2's
#: timeout), writes v2. Two conflicting entries of terms 2 and 3, each on its leader alone:
#: where the paper's panel (b) ends.
PANEL_B = (
    "Timeout(n1)",
    "RequestVote(n1, n2)",
    "HandleRequestVoteRequest(RequestVoteRequest n1->n2 t2 lastLog=0/t0)",
    "Timeout(n2)",
    "HandleRequestVoteResponse(RequestVoteResponse n2->n1 t2 granted)",
    "RequestVote(n2, n3)",
    "HandleRequestVoteRequest(RequestVoteRequest n2->n3 t3 lastLog=0/t0)",
    "HandleRequestVoteResponse(RequestVoteResponse n3->n2 t3 granted)",
    "RequestVote(n2, n4)",
    "HandleRequestVoteRequest(RequestVoteRequest n2->n4 t3 lastLog=0/t0)",
    "HandleRequestVoteResponse(RequestVoteResponse n4->n2 t3 granted)",
    "ClientRequest(n2, 1)",
    "RequestVote(n1, n5)",
    "HandleRequestVoteRequest(RequestVoteRequest n1->n5 t2 lastLog=0/t0)",
    "HandleRequestVoteResponse(RequestVoteResponse n5->n1 t2 granted)",
    "AppendEntries(n1, n2)",
    "ClientRequest(n1, 2)",
)
#: The whole counterexample's length (docs/figure8.md).
SHORTEST_AT_FIVE = 48

#: Elections, no writes: small enough to enumerate every state without the checker.
ELECTIONS_ONLY = dict(max_term=3, max_log=0, max_msgs=1, max_dup=1, max_writes=0,
                      max_restarts=0, max_elections=2, max_partitions=0)


def model(nodes: int = 3, mutant: str | None = None, **bounds) -> RaftModel:
    return RaftModel(SpecConfig(nodes=nodes, bounds=Bounds(**bounds), mutant=mutant))


def figure8_scope(nodes: int, **bounds) -> dict:
    return {**MUTANTS["figure8"].bounds, "max_dup": 1, **bounds}


def standing(m: RaftModel) -> set[int]:
    """The servers that are candidates or leaders in some reachable state."""
    return {i for state in reachable_states(m) for i, s in enumerate(m.servers_of(state))
            if s.role in (Role.CANDIDATE, Role.LEADER)}


def test_only_the_first_servers_stand_for_election():
    assert standing(model(**ELECTIONS_ONLY)) == {0, 1, 2}
    assert standing(model(**ELECTIONS_ONLY, max_candidates=2)) == {0, 1}
    assert standing(model(**ELECTIONS_ONLY, max_candidates=0)) == set()


def test_symmetry_renames_candidates_among_themselves():
    """Every canonical form is a state the restricted model reaches (a renaming that moved n3
    into the candidates' places would give one where n2 never stood but n3 leads), and the
    reduced search counts exactly the orbits of the full one."""
    m = model(**ELECTIONS_ONLY, max_candidates=2)
    states = reachable_states(m)
    orbits = {m.canonical(s) for s in states}
    assert orbits <= states
    assert len(orbits) < len(states)
    assert breadth_first(m, symmetry=True).stats.distinct == len(orbits)


def test_figure8_needs_two_servers_to_stand():
    """At three servers: with n1 alone standing the mutant cannot show (a HOLDS), with two it
    shows in as many steps as when every server may stand."""
    bounds = figure8_scope(3)
    anyone = breadth_first(model(3, "figure8", **bounds), symmetry=True)
    two = breadth_first(model(3, "figure8", **bounds, max_candidates=2), symmetry=True)
    one = breadth_first(model(3, "figure8", **bounds, max_candidates=1), symmetry=True)
    assert anyone.outcome is two.outcome is Outcome.VIOLATED
    assert two.counterexample.length == anyone.counterexample.length
    assert two.counterexample.property == anyone.counterexample.property
    assert one.outcome is Outcome.HOLDS


def test_a_drop_bound_counts_lost_messages():
    def drops(m: RaftModel) -> list[int]:
        return [state[m.DROPS] for state in reachable_states(m)]

    lossless = model(**ELECTIONS_ONLY, max_drops=0)
    assert not any(isinstance(a, act.DropMessage) for _, a, _ in reachable_steps(lossless))
    assert set(drops(lossless)) == {0}
    once = model(**ELECTIONS_ONLY, max_drops=1)
    assert set(drops(once)) == {0, 1}
    lossy = model(**ELECTIONS_ONLY)
    assert lossy.DROPS is None  # unbounded: nothing counted, the state as before
    assert any(isinstance(a, act.DropMessage) for _, a, _ in reachable_steps(lossy))


def test_the_scope_says_what_the_new_bounds_leave_out():
    limits = " ".join(scope_limits(Bounds(max_candidates=2, max_drops=0), 5))
    assert "only 2 server(s) ever stand" in limits and "--max-candidates none" in limits
    assert "no message is lost" in limits and "messages are still lost" not in limits
    assert "--max-drops" not in " ".join(scope_limits(Bounds(), 5))
    # a send across a partition's cut is lost uncounted: the line says so where cuts happen
    assert "partition's cut" in limits
    no_cuts = " ".join(scope_limits(Bounds(max_drops=0, max_partitions=0), 5))
    assert "no message is lost" in no_cuts and "partition's cut" not in no_cuts


def test_raft_tla_refuses_a_drop_bound():
    with pytest.raises(ConfigError, match="--max-drops"):
        SpecConfig(profile="raft-tla", bounds=Bounds(max_partitions=0, max_drops=0)).validate()


@pytest.mark.parametrize("bound", ["max_candidates", "max_drops"])
def test_the_timed_model_refuses_the_untimed_bounds(bound):
    spec = SpecConfig(nodes=3, bounds=Bounds(**{bound: 1}))
    with pytest.raises(ConfigError, match="--" + bound.replace("_", "-")):
        TimedConfig(spec=spec).validate()


def from_panel_b(mutant: str | None) -> RaftModel:
    """The five-server model at docs/figure8.md's bounds, started where PANEL_B ends (each of
    its steps a step of the model; the mutant changes only commits, and none happens there)."""
    m = RaftModel(SpecConfig(nodes=5, bounds=Bounds(**FIGURE8_FIVE), mutant=mutant))
    state = m.initial_states()[0]
    for text in PANEL_B:
        (state,) = [s for action, s, _ in m.successors(state) if str(action) == text]
    m.initial_states = lambda: [state]  # type: ignore[method-assign]
    return m


def test_figure8_at_five_servers_from_the_end_of_panel_b():
    """Breadth-first from there: the rest of the shortest counterexample, 31 steps, ending as
    the paper's panel (d): an entry of term 2 committed by counting in term 4, and a leader of
    term 5 whose log lacks it."""
    m = from_panel_b("figure8")
    result = breadth_first(m, symmetry=True)
    assert result.outcome is Outcome.VIOLATED
    cex = result.counterexample
    assert cex.property == "LeaderCompleteness"
    assert len(PANEL_B) + cex.length == SHORTEST_AT_FIVE
    last = m.view(cex.steps[-1].state)
    [(index, entry, commit_term)] = last.committed
    assert (entry[0], commit_term) == (2, 4)
    assert any(s.role == Role.LEADER and s.term == 5 and s.log[index - 1:index] != (entry,)
               for s in last.servers)


def test_the_correct_spec_holds_from_the_end_of_panel_b():
    """The same bounds and start without the mutant: every state reachable from there, and
    none breaks a property (panel (e): committing by counting only entries of the current
    term keeps the term-2 entry, or loses it uncommitted)."""
    result = breadth_first(from_panel_b(None), symmetry=True)
    assert result.outcome is Outcome.HOLDS
    assert result.stats.distinct > 100_000  # a real search, not a dead end


def test_the_five_server_bounds_at_three_servers():
    """The whole scope, exhaustively, where it is small: the mutant found, the spec holding."""
    def search(mutant):
        config = SpecConfig(nodes=3, bounds=Bounds(**FIGURE8_FIVE), mutant=mutant)
        return breadth_first(RaftModel(config), symmetry=True)

    found = search("figure8")
    assert found.outcome is Outcome.VIOLATED
    assert found.counterexample.property in MUTANTS["figure8"].catches
    assert search(None).outcome is Outcome.HOLDS


def test_the_documented_command_takes_the_bounds_and_says_them():
    """docs/figure8.md's command as a user types it (its scope only: the search takes
    minutes); a timed run refuses the untimed bounds in one line, exit 2."""
    out = run("explore", "--mutant", "figure8", "--nodes", "5", "--max-dup", "1",
              "--max-candidates", "2", "--max-drops", "0", "--show-scope")
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("5 servers, profile raftcheck, mutant figure8; max-term 5,")
    assert out.stdout.rstrip().endswith("max-candidates 2, max-drops 0")
    refused = run("explore", "--time", "--max-candidates", "2")
    assert refused.returncode == 2
    assert refused.stderr.count("\n") == 1 and "--max-candidates" in refused.stderr
