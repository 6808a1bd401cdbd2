"""raftcheck simulate: random walks find every mutant, replay by seed, shrink what they find,
and say which actions they never took."""

from __future__ import annotations

import itertools
import json
import random
import re
import shlex
import signal
import subprocess
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest

from raftcheck import cli
from raftcheck.checker.result import Outcome
from raftcheck.checker.search import breadth_first
from raftcheck.explore.options import ModelSetup
from raftcheck.simulate.coverage import coverage, model_kinds
from raftcheck.simulate.distribution import (
    BEHIND,
    SCRIPTED_UNITS,
    VOTED,
    action_kind,
    actor,
    draw_script,
    election_factors,
    isolates_leader,
)
from raftcheck.simulate.engine import SimulationBudget, simulate
from raftcheck.simulate.milestones import Milestones, Snapshot
from raftcheck.simulate.shrink import shrink
from raftcheck.simulate.walk import NOVEL_PER_WALK, Violation, Walker
from raftcheck.simulate.walk import Path as WalkPath
from raftcheck.spec.actions import Partition
from raftcheck.spec.config import merged_config
from raftcheck.spec.model import RaftModel
from raftcheck.spec.mutants import MUTANTS, Mutant
from raftcheck.spec.records import RequestVoteRequest, Server
from raftcheck.spec.rules import Rules
from raftcheck.spec.timed.config import TimedConfig, merged_timed_config, mutant_config
from raftcheck.spec.timed.model import TimedRaftModel
from tests.commands import RAFTCHECK, run, signalled_once_under_way


def mutant_model(name: str, broken: bool = True) -> RaftModel | TimedRaftModel:
    """The model at the mutant's own scope, with its broken rule or (broken=False) without."""
    m = MUTANTS[name]
    if m.timed is not None:
        return TimedRaftModel(mutant_config(name, broken=broken))
    config = merged_config(nodes=None, mutant=name)  # the mutant's own scope and options
    if not broken:
        config = replace(config, mutant=None)
    return RaftModel(config, exact_network=True)


def kinds_of(model: RaftModel | TimedRaftModel) -> tuple[str, ...]:
    return model_kinds(model.config)


def assert_violates(model, path: WalkPath, prop: str) -> None:
    """The path replays step for step (Walker.replay raises otherwise) and its end breaks prop."""
    steps = Walker(model).replay(path)
    (_, before), (action, after) = steps[-2], steps[-1]
    broken = {b for a, s, b in model.successors(before) if (a, s) == (action, after)}
    assert prop in broken or model.check_state(after) == prop


# --- every mutant is found; the correct spec, walked the same way, shows nothing ---------------

#: For each mutant: a seed, and the walks that seed needs to find it (measured; a change to the
#: walk distribution may move them, which is why the budget has room).
FOUND_BY = {
    "double-vote": (1, 50),
    "figure8": (1, 4000),
    "no-consistency-check": (1, 3000),
    "stale-append-truncates": (1, 500),
    "no-step-down": (1, 50),
    "counts-self-twice": (1, 50),
    "lease-no-drift-margin": (8, 400),  # seeds 1 to 10 need 97 to 4,097 walks (docs/simulate.md)
    "ack-before-commit": (1, 50),
    "change-before-commit-in-term": (1, 3000),
    "two-changes-in-flight": (1, 200),
    "joint-new-majority-only": (1, 1500),
    "removed-leader-keeps-leading": (1, 50),
    "snapshot-past-commit": (1, 50),
    "installs-older-snapshot": (1, 500),
    "follower-read-linearizable": (1, 50),
    "read-index-no-heartbeat": (1, 1000),
}


def test_every_mutant_has_a_budget_here():
    assert set(FOUND_BY) == set(MUTANTS)


@pytest.mark.parametrize("name", sorted(MUTANTS))
def test_seeded_simulation_finds_the_mutant(name):
    seed, walks = FOUND_BY[name]
    model = mutant_model(name)
    run_ = simulate(model, seed=seed, depth=60, budget=SimulationBudget(walks=walks),
                    kinds=kinds_of(model))
    assert run_.outcome is Outcome.VIOLATED
    found = run_.found
    assert found.violation.property in MUTANTS[name].catches
    assert_violates(model, found.path, found.violation.property)


@pytest.mark.parametrize("name", ["double-vote", "no-step-down", "stale-append-truncates",
                                  "counts-self-twice", "ack-before-commit",
                                  "lease-no-drift-margin"])
def test_the_correct_spec_walked_the_same_way_shows_nothing(name):
    seed, walks = FOUND_BY[name]
    model = mutant_model(name, broken=False)
    run_ = simulate(model, seed=seed, depth=60, budget=SimulationBudget(walks=walks),
                    kinds=kinds_of(model))
    assert run_.outcome is Outcome.HOLDS and run_.found is None
    assert run_.stats.walks == walks and run_.stats.steps > walks


# --- reproducible -------------------------------------------------------------------------


def without_timing(text: str) -> str:
    return "\n".join(line for line in text.splitlines()
                     if not line.lstrip().startswith(("wall time", "rate")))


def test_the_same_seed_gives_the_same_report_with_any_number_of_workers():
    args = ["simulate", "--mutant", "figure8", "--seed", "1", "--walks", "4000"]
    one = run(*args)
    again = run(*args)
    two = run(*args, "--workers", "2")
    assert one.returncode == 1, one.stderr
    assert without_timing(one.stdout) == without_timing(again.stdout)
    assert without_timing(one.stdout) == without_timing(two.stdout).replace(
        "2 worker(s)", "1 worker(s)").replace(" --workers 2", "")


def test_a_run_without_a_violation_is_reproducible_too():
    args = ["--seed", "5", "--walks", "300", "--depth", "20"]
    one = simulate_text(*args)
    two = simulate_text(*args, "--workers", "2")
    assert "NO VIOLATION FOUND" in one and "not a proof" in one
    assert without_timing(one) == without_timing(two).replace("2 worker(s)", "1 worker(s)")


def simulate_text(*args: str) -> str:
    out = run("simulate", *args)
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_the_replay_line_finds_the_same_violation_again():
    out = run("simulate", "--mutant", "no-consistency-check", "--seed", "2", "--time-limit", "2m")
    assert out.returncode == 1, out.stderr
    walk, replay = re.search(r"found by walk ([\d,]+); replay it with: (.*)", out.stdout).groups()
    assert "--time-limit" not in replay and "--seed 2" in replay
    again = subprocess.run([*RAFTCHECK, *shlex.split(replay)[1:]], capture_output=True,
                           text=True, timeout=300)
    assert again.returncode == 1
    assert f"found by walk {walk};" in again.stdout
    counterexample = out.stdout[out.stdout.index("Counterexample ("):]
    assert counterexample == again.stdout[again.stdout.index("Counterexample ("):]


# --- shrinking ----------------------------------------------------------------------------


@pytest.mark.parametrize("name, seed", [
    ("figure8", 1), ("no-consistency-check", 2), ("stale-append-truncates", 1),
    ("lease-no-drift-margin", 8)])
def test_the_shrunk_path_still_violates_and_is_no_longer(name, seed):
    model = mutant_model(name)
    found = simulate(model, seed=seed, depth=60, budget=SimulationBudget(walks=FOUND_BY[name][1]),
                     kinds=kinds_of(model)).found
    shrunk = shrink(model, found.path, found.violation)
    assert len(shrunk) <= len(found.path)
    assert_violates(model, shrunk, found.violation.property)


def idle_pairs(model: RaftModel, state) -> list:
    """Two steps that come back to state: a message sent, then dropped."""
    pairs = []
    for action, sent, _ in model.successors(state):
        if action.name not in ("RequestVote", "AppendEntries") or sent == state:
            continue
        for drop, back, _ in model.successors(sent):
            if drop.name == "DropMessage" and back == state:
                pairs.append(((action, 0), (drop, 0)))
    return pairs


def test_a_padded_path_shrinks_to_the_violation():
    """The shortest double-vote trace with a send-and-drop inserted after every step where one
    is possible: the shrinker removes the detours (and may find a different short path, never
    a longer one)."""
    model = mutant_model("double-vote")
    cex = breadth_first(model).counterexample
    steps: list = []
    state = cex.steps[0].state
    for step in cex.steps[1:]:
        steps += list(itertools.chain(*idle_pairs(model, state)[:1]))
        steps.append((step.action, 0))
        state = step.state
    padded = WalkPath(0, tuple(steps))
    assert len(padded) > cex.length  # there was something to pad with
    assert_violates(model, padded, cex.property)
    shrunk = shrink(model, padded, Violation(cex.property, cex.kind))
    assert len(shrunk) <= cex.length < len(padded)
    assert_violates(model, shrunk, cex.property)


def test_a_path_that_breaks_another_property_first_is_not_kept():
    """Shrinking keeps the property the walk found: asked for a property the path never breaks,
    it gives the path back unchanged."""
    model = mutant_model("double-vote")
    cex = breadth_first(model).counterexample
    path = WalkPath(0, tuple((step.action, 0) for step in cex.steps[1:]))
    assert shrink(model, path, Violation("LogMatching", "state")) == path


# --- coverage -----------------------------------------------------------------------------


class NeverGrants(Rules):
    """No vote is ever granted: no leader, so nothing is ever replicated."""

    def grants_vote(self, s: Server, m: RequestVoteRequest) -> bool:
        return False


def test_coverage_names_the_actions_a_spec_change_disabled(monkeypatch, capsys):
    monkeypatch.setitem(MUTANTS, "never-grants", Mutant("never-grants", NeverGrants, ()))
    code = cli.main(["simulate", "--mutant", "never-grants", "--scope", "default",
                     "--seed", "1", "--walks", "200"])
    out = capsys.readouterr().out
    assert code == 0
    never = re.search(r"never offered by the model: (.*)", out).group(1).split(", ")
    assert {"AppendEntries", "ClientRequest", "HandleAppendEntriesRequest",
            "HandleAppendEntriesResponse"} <= set(never)
    assert "HandleRequestVoteRequest" not in never  # votes are asked for, and refused

    # the same run with the spec's own rules takes them all
    code = cli.main(["simulate", "--seed", "1", "--walks", "200"])
    assert code == 0
    assert "every action kind was taken" in capsys.readouterr().out


def timed(**options) -> TimedConfig:
    base = dict(nodes=3, mutant=None, bounds={}, timing={}, election_timeout=None,
                slow_disks=None, liveness=False, reads=None, pre_vote=False, check_quorum=False,
                clients=None, max_reads=None, lossy=False, retry_writes=False)
    return merged_timed_config(**{**base, **options})


@pytest.mark.parametrize("config", [
    merged_config(nodes=3),
    merged_config(nodes=3, bounds=dict(max_restarts=0, max_partitions=0, max_dup=1)),
    merged_config(nodes=3, profile="raft-tla", bounds=dict(max_term=3, max_log=1, max_msgs=2,
                                                           max_dup=2)),
    timed(),
    timed(pre_vote=True, check_quorum=True, lossy=True, retry_writes=True,
          timing={"fsync": 1}),
    timed(reads="lease"),
], ids=["default", "no-faults", "raft-tla", "timed", "timed-features", "timed-lease"])
def test_the_kinds_a_configuration_defines_are_the_kinds_it_takes(config):
    """Walks enough to take every kind: none outside the list, none in it never offered."""
    setup = ModelSetup(config, isinstance(config, TimedConfig), "")
    model = setup.model(exact_network=True)
    kinds = model_kinds(config)
    run_ = simulate(model, seed=1, depth=100, budget=SimulationBudget(walks=1500), kinds=kinds)
    cover = coverage(kinds, run_.stats.taken, run_.stats.enabled)
    assert set(run_.stats.enabled) <= set(kinds)
    assert cover.never_offered == []


def test_coverage_sorts_kinds_never_taken_by_whether_they_were_offered():
    cover = coverage(("A", "B", "C"), Counter({"A": 3}), {"A", "B"})
    assert cover.offered_not_taken == ["B"] and cover.never_offered == ["C"]
    assert cover.never_taken == ["B", "C"]


# --- the command --------------------------------------------------------------------------


def test_a_violation_is_printed_and_written_like_explores(tmp_path: Path):
    trace, itf, diagram = tmp_path / "t.json", tmp_path / "t.itf.json", tmp_path / "t.svg"
    out = run("simulate", "--mutant", "double-vote", "--seed", "1", "--walks", "50",
              "--out", str(trace), "--diagram", str(diagram))
    assert out.returncode == 1, out.stderr
    assert "VIOLATED: VotedOncePerTerm" in out.stdout
    assert "not necessarily the shortest" in out.stdout
    assert "the last step breaks VotedOncePerTerm" in out.stdout  # a transition property
    written = json.loads(trace.read_text())
    assert written["property"] == "VotedOncePerTerm"
    assert written["steps"][-1]["action"]["action"] == "HandleRequestVoteRequest"
    assert "<svg" in diagram.read_text()
    run("simulate", "--mutant", "double-vote", "--seed", "1", "--walks", "50", "--out", str(itf))
    assert json.loads(itf.read_text())["#meta"]["format"] == "ITF"


def test_json_result_for_machines():
    out = run("simulate", "--mutant", "no-step-down", "--seed", "3", "--walks", "100", "--json")
    assert out.returncode == 1
    result = json.loads(out.stdout)
    assert result["verdict"] == "violated" and result["exhaustive"] is False
    assert result["seed"] == 3 and result["model"]["mutant"] == "no-step-down"
    assert result["counterexample"]["property"] == "ElectionSafety"
    assert result["found"]["walk"] < 100 and "--seed 3" in result["found"]["replay"]
    assert result["statistics"]["steps"] > 0
    assert "HandleRequestVoteResponse" in result["coverage"]["taken"]


@pytest.mark.parametrize("args, words", [
    (["--liveness"], "--liveness"),
    (["--scope", "default"], "--scope"),
    (["--walks", "0"], "--walks"),
    (["--depth", "0"], "--depth"),
    (["--out", "trace.txt"], "trace.txt"),
    (["--seed", "-1"], "--seed"),
    (["--see", "1"], "--see"),
])
def test_bad_flags_give_one_line_and_exit_2(args, words):
    out = run("simulate", *args)
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and words in lines[0], out.stderr
    assert "Traceback" not in out.stderr


def test_sigterm_stops_with_partial_statistics_and_exit_3():
    code, out, err = signalled_once_under_way(
        ["simulate", "--nodes", "5", "--time-limit", "10m", "--progress"], signal.SIGTERM,
        under_way="walks")
    assert code == 3, err
    assert "STOPPED: interrupted" in out and "walks" in out


def test_a_scope_of_its_own_for_a_mutant_or_the_default():
    own = run("simulate", "--mutant", "figure8", "--show-scope").stdout
    default = run("simulate", "--mutant", "figure8", "--scope", "default", "--show-scope").stdout
    assert "max-writes 2" in own and "max-elections 4" in own
    assert "at the default scope" in default
    assert run("explore", "--show-scope").stdout.split("; ", 1)[1] == default.split("; ", 1)[1]


# --- the walk distribution ----------------------------------------------------------------


def after_steps(model, *names: str) -> tuple[WalkPath, tuple]:
    """The path of the steps named (as printed) from the initial state, and its end."""
    state = model.initial_states()[0]
    steps = []
    for name in names:
        action, state = next((a, s) for a, s, _ in model.successors(state) if str(a) == name)
        steps.append((action, 0))
    return WalkPath(0, tuple(steps)), state


def test_servers_whose_elections_weigh_less_are_named_from_the_state():
    """Behind: a term below the highest; voted: a vote cast in its own term (a candidate's for
    itself, a voter's for the candidate)."""
    model = mutant_model("figure8")
    assert election_factors(model.election_standing(model.initial_states()[0])) == {}
    _, campaigning = after_steps(model, "Timeout(n2)")
    assert election_factors(model.election_standing(campaigning)) == {
        0: BEHIND, 1: VOTED, 2: BEHIND}  # n2 in term 2 voted for itself, n1, n3 in term 1
    _, granted = after_steps(model, "Timeout(n2)", "RequestVote(n2, n1)",
                             "HandleRequestVoteRequest(RequestVoteRequest n2->n1 t2 "
                             "lastLog=0/t0)")
    assert model.variables(granted)["votedFor"]["n1"] == "n2"
    assert election_factors(model.election_standing(granted)) == {
        0: VOTED, 1: VOTED, 2: BEHIND}


@pytest.mark.parametrize("name", ["figure8", "lease-no-drift-margin"])
def test_election_standing_is_the_states_currentTerm_and_votedFor(name):
    """The models' cheap hook says what their variables (present.py, built another way) say:
    each server's currentTerm, and, in the untimed model, whether its votedFor is set; the
    timed model, whose clocks fire timeouts when due, reports no restart to make up for. In
    every state of some walks."""
    model = mutant_model(name, broken=False)
    timed = isinstance(model, TimedRaftModel)
    walker = Walker(model, kinds_of(model))
    voted = checked = 0
    for k in range(40):
        walked = walker.walk(random.Random(k), 40)
        for _, state in walker.replay(WalkPath(walked.start.initial, tuple(walked.own))):
            variables = model.variables(state)
            names = sorted(variables["currentTerm"], key=lambda n: int(n[1:]))
            assert model.election_standing(state) == [
                (variables["currentTerm"][n], not timed and variables["votedFor"][n] != "Nil")
                for n in names]
            voted += sum(variables["votedFor"][n] != "Nil" for n in names)
            checked += 1
    assert checked > 500 and voted > 100  # the walks did vote


def test_walks_read_terms_from_the_hook_not_from_the_variables(monkeypatch):
    """Election damping asks the model's election_standing, never variables() (which builds
    every variable, a few per cent of the walking time): a run of walks that elect leaders
    calls the hook and not variables(), and walks as it walked before."""
    model = mutant_model("figure8")
    expected = simulate(model, seed=2, depth=60, budget=SimulationBudget(walks=600),
                        kinds=kinds_of(model))
    calls = Counter()

    def counted(name):
        method = getattr(model, name)

        def call(state):
            calls[name] += 1
            return method(state)
        return call

    for name in ("variables", "election_standing"):
        monkeypatch.setattr(model, name, counted(name))
    again = simulate(model, seed=2, depth=60, budget=SimulationBudget(walks=600),
                     kinds=kinds_of(model))
    assert calls["variables"] == 0 and calls["election_standing"] > 100
    assert again.stats.taken["Timeout"] > 100
    assert (again.stats.steps, again.stats.taken) == (expected.stats.steps, expected.stats.taken)


def first_steps_of(walker: Walker, path: WalkPath, state, count: int) -> Counter:
    return Counter(str(walker.walk(random.Random(k), 1, path, state).own[0][0])
                   for k in range(count))


def test_an_election_from_behind_is_seldom_started(monkeypatch):
    """Where n2 campaigns in term 2, n1 and n3 (in term 1) could time out too, but would start
    an election in a term n2 may have decided already: a walk's first step is theirs far less
    often than without the rule (the same walks, with BEHIND at 1). Not 20 times less often:
    the walk's own factors per server (the swarm per actor) come on top."""
    import raftcheck.simulate.distribution as distribution

    model = mutant_model("figure8")
    walker = Walker(model, kinds_of(model))
    path, campaigning = after_steps(model, "Timeout(n2)")

    def timeouts_from_behind() -> int:
        first = first_steps_of(walker, path, campaigning, 1000)
        return first["Timeout(n1)"] + first["Timeout(n3)"]

    with_rule = timeouts_from_behind()
    monkeypatch.setattr(distribution, "BEHIND", 1.0)
    without = timeouts_from_behind()
    assert without > 50 and with_rule < 0.6 * without  # measured: 8 and 156


def test_a_voter_seldom_times_out_in_the_election_it_voted_in(monkeypatch):
    """n1 has just granted n2 its vote in term 2, the grant on its way: a walk's next step is
    n1's timeout (which would split the vote) far less often than without the rule (the same
    walks, with VOTED at 1)."""
    import raftcheck.simulate.distribution as distribution

    model = mutant_model("figure8")
    walker = Walker(model, kinds_of(model))
    path, granted = after_steps(model, "Timeout(n2)", "RequestVote(n2, n1)",
                                "HandleRequestVoteRequest(RequestVoteRequest n2->n1 t2 "
                                "lastLog=0/t0)")
    with_rule = first_steps_of(walker, path, granted, 1000)["Timeout(n1)"]
    monkeypatch.setattr(distribution, "VOTED", 1.0)
    without = first_steps_of(walker, path, granted, 1000)["Timeout(n1)"]
    assert without > 50 and with_rule < 0.6 * without  # measured: 2 and 69


def test_with_no_server_behind_or_voted_the_election_damping_changes_no_step(monkeypatch):
    """In the initial state every server is in term 1 and has not voted: no election is
    damped, so the same walks take the same first steps with the rules (BEHIND and VOTED
    0.05) and without (1.0)."""
    import raftcheck.simulate.distribution as distribution

    model = mutant_model("figure8")
    walker = Walker(model, kinds_of(model))

    def first_steps() -> list:
        return [walker.walk(random.Random(k), 1).own[0][0] for k in range(300)]

    with_rule = first_steps()
    monkeypatch.setattr(distribution, "BEHIND", 1.0)
    monkeypatch.setattr(distribution, "VOTED", 1.0)
    assert first_steps() == with_rule
    assert sum(type(a).__name__ == "Timeout" for a in with_rule) > 10  # elections were taken


def test_a_walk_favours_a_few_links_of_its_own(monkeypatch):
    """The swarm per actor: within one walk, the link that carries most of its deliveries
    carries a larger share than where every actor weighs the same (ACTOR_SPREAD 1)."""
    import raftcheck.simulate.distribution as distribution

    model = mutant_model("figure8")
    walker = Walker(model, kinds_of(model))

    def busiest_link_share() -> float:
        shares = []
        for k in range(150):
            links = Counter(who for a, _ in walker.walk(random.Random(k), 60).own
                            if type(who := actor(a)) is tuple)
            if sum(links.values()) >= 10:
                shares.append(max(links.values()) / sum(links.values()))
        assert len(shares) > 50
        return sum(shares) / len(shares)

    favoured = busiest_link_share()
    monkeypatch.setattr(distribution, "ACTOR_SPREAD", 1.0)
    even = busiest_link_share()
    assert favoured > even + 0.05, (favoured, even)  # measured: 0.42 and 0.35


def test_a_client_step_is_not_favoured_per_node():
    """A client's request names the node it asks, but which node is the client's choice: it
    gets no factor per node (a reader and a writer kept on one node hide a stale read)."""
    model = mutant_model("lease-no-drift-margin")
    start = model.initial_states()[0]
    client_steps = [a for a, _, _ in model.successors(start) if getattr(a, "kind", "") == "client"]
    assert len({getattr(a, "node", None) for a in client_steps}) > 1
    assert {actor(a) for a in client_steps} == {None}


# --- milestones ---------------------------------------------------------------------------


def test_levels_of_the_same_sum_are_kept_apart():
    """A state with a write done and one with an election spent have the same sum of budgets
    but are separate levels, each with its own sample; a candidate offered twice is kept once."""
    milestones = Milestones(seed=1)
    milestones.offer((1, 0), 11, (), WalkPath(0))
    milestones.offer((0, 1), 12, (), WalkPath(0))
    milestones.offer((0, 1), 12, (), WalkPath(0))
    snapshot = Snapshot()
    snapshot.apply(milestones.updates())
    assert {level: len(kept) for (level, _), kept in snapshot.pools.items()} == {
        (1, 0): 1, (0, 1): 1}


def test_a_walk_offers_a_state_with_a_part_no_milestone_had():
    """Novelty milestones: within a level, a state with a part no milestone of the level had
    is offered (at most NOVEL_PER_WALK per walk); where every part is known, none is, and the
    walk itself is the same (what is known chooses no step)."""
    model = mutant_model("figure8")
    walker = Walker(model, kinds_of(model))
    offered = walker.walk(random.Random(3), 60)
    novel = [m for m in offered.milestones if not m[4]]
    assert 0 < len(novel) <= NOVEL_PER_WALK
    known = set()
    for _, state in walker.replay(WalkPath(offered.start.initial, tuple(offered.own))):
        known.update((walker.level(state), f) for f in walker.features(state))
    again = walker.walk(random.Random(3), 60, known=known)
    assert again.own == offered.own
    assert [m for m in again.milestones if not m[4]] == []
    assert [m for m in again.milestones if m[4]] == [m for m in offered.milestones if m[4]]


# --- the walk's script: the order in which it spends its budgets --------------------------


def test_the_models_name_their_budget_counters_with_their_bounds():
    """budgets() names the counters a state ends with (budget_start onwards), in their order,
    with the scope's bounds; the timed model counts reads too."""
    untimed, timed_ = mutant_model("figure8"), mutant_model("lease-no-drift-margin")
    assert untimed.budgets() == [("writes", 2), ("restarts", 0), ("partitions", 0),
                                 ("elections", 4)]
    assert timed_.budgets() == [("writes", 1), ("reads", 1), ("restarts", 0),
                                ("partitions", 1), ("elections", 2)]
    for model in (untimed, timed_):
        assert len(Walker(model).level(model.initial_states()[0])) == len(model.budgets())


#: The budget each kind of step may spend (the timed model counts a write when the leader takes
#: it, so a reply to the client may be the step; a client's send is a read or a write).
SPENT_BY = {"Timeout": {"elections"}, "ClientRequest": {"writes"}, "Partition": {"partitions"},
            "Restart": {"restarts"}, "TakeSnapshot": {"snapshots"}, "DropMessage": {"drops"},
            "ClientSend": {"writes", "reads"}, "ClientReply": {"writes"},
            **dict.fromkeys(("AddVoter", "AddLearner", "RemoveServer", "EnterJoint"),
                            frozenset({"configuration changes"}))}


def _budgets_spent(model, walks: int = 200, depth: int = 40) -> dict[str, set[str]]:
    """Along random walks: each budget's name (budgets()) -> the kinds of the steps that
    raised the counter at its place."""
    names = [name for name, _ in model.budgets()]
    start, rng, spent = model.budget_start, random.Random(1), {}
    for _ in range(walks):
        state = model.initial_states()[0]
        for _ in range(depth):
            steps = model.successors(state)
            if not steps:
                break
            for action, after, _ in steps:
                for j, (now, before) in enumerate(zip(after[start:], state[start:], strict=True)):
                    if now > before:
                        spent.setdefault(names[j], set()).add(action_kind(action))
            state = rng.choice(steps)[1]
    return spent


@pytest.mark.parametrize("scope", ["restarts-partitions", "lease-no-drift-margin",
                                   "two-changes-in-flight", "installs-older-snapshot",
                                   "drops-after-snapshots"])
def test_each_budget_is_named_where_its_counter_sits(scope):
    """budgets()' names are in the counters' order: the counter at each name's place is
    raised only by the steps that spend that budget (a swapped pair of names fails), and
    every bounded budget of the scope is seen spent."""
    if scope == "restarts-partitions":
        model = RaftModel(merged_config(nodes=3, bounds={"max_restarts": 1, "max_partitions": 1,
                                                         "max_writes": 1}), exact_network=True)
    elif scope == "drops-after-snapshots":  # the last of the optional counters
        model = RaftModel(merged_config(nodes=3, bounds={"max_drops": 2, "max_writes": 1,
                                                         "max_restarts": 1},
                                        membership={"max_snapshots": 1}), exact_network=True)
    else:
        model = mutant_model(scope)
    spent = _budgets_spent(model)
    for name, kinds in spent.items():
        assert all(name in SPENT_BY[kind] for kind in kinds), (name, kinds)
    assert set(spent) == {name for name, bound in model.budgets() if bound}


def test_a_script_holds_each_budgets_units_and_elections_only_before_them():
    """Every unit of each bounded budget but elections, as often as its bound (at most
    SCRIPTED_UNITS); none of an unbounded or empty budget; an election only right before
    another unit, never more than the elections' bound. Both orders of two budgets occur, and
    walks with and without an election between them."""
    bounds = [2, None, 1, 0, 3, 9]  # writes, unbounded, partitions, empty, elections, many
    seen = Counter()
    for k in range(400):
        script = draw_script(random.Random(k), bounds, elections=4)
        others = [j for j in script if j != 4]
        assert Counter(others) == {0: 2, 2: 1, 5: SCRIPTED_UNITS}
        assert script.count(4) <= 3 and script[-1] != 4
        assert all(script[i + 1] != 4 for i, j in enumerate(script) if j == 4)
        first_write, partition = script.index(0), script.index(2)
        seen["partition first" if partition < first_write else "write first"] += 1
        seen["election before partition" if partition and script[partition - 1] == 4
             else "none before partition"] += 1
    assert min(seen.values()) > 50, seen


def leader_state(model):
    """n1 leads term 2 (elected with n2's vote), nothing else done yet."""
    return after_steps(model, "Timeout(n1)", "RequestVote(n1, n2)",
                       "HandleRequestVoteRequest(RequestVoteRequest n1->n2 t2 lastLog=0/t0)",
                       "HandleRequestVoteResponse(RequestVoteResponse n2->n1 t2 granted)")


def first_kinds(walker: Walker, path: WalkPath, state, count: int = 400) -> Counter:
    return Counter(type(walker.walk(random.Random(k), 1, path, state).own[0][0]).__name__
                   for k in range(count))


@pytest.fixture
def partition_scope():
    """Three servers, a write, a restart and a partition to spend, and n1 leading."""
    config = merged_config(nodes=3, bounds=dict(max_writes=1, max_restarts=1, max_partitions=1,
                                                max_elections=2, max_term=3, max_log=1,
                                                max_msgs=2))
    model = RaftModel(config, exact_network=True)
    walker = Walker(model, model_kinds(config))
    path, leading = leader_state(model)
    assert model.leaders(leading) == [0]
    offered = {type(a).__name__ for a, _, _ in model.successors(leading)}
    assert {"ClientRequest", "Partition", "Restart", "Timeout"} <= offered
    return walker, path, leading


def test_a_script_spends_its_next_unit_and_holds_the_others(partition_scope, monkeypatch):
    """Where a write, a partition and a restart are all on offer, a walk whose script puts the
    partition next never writes or restarts first, and partitions far more often than walks
    without a script; one whose script puts the write next never partitions first (measured:
    304 and 388 of 400 first steps the unit named next, 9 and 189 without a script)."""
    import raftcheck.simulate.distribution as distribution

    walker, path, leading = partition_scope
    monkeypatch.setattr(distribution, "draw_script", lambda rng, budgets, elections: ())
    free = first_kinds(walker, path, leading)
    monkeypatch.setattr(distribution, "draw_script", lambda rng, budgets, elections: (2, 0, 1))
    partition_next = first_kinds(walker, path, leading)
    monkeypatch.setattr(distribution, "draw_script", lambda rng, budgets, elections: (0, 2, 1))
    write_next = first_kinds(walker, path, leading)
    assert partition_next["ClientRequest"] == partition_next["Restart"] == 0
    assert write_next["Partition"] == write_next["Restart"] == 0
    assert free["ClientRequest"] > 0 and free["Partition"] + free["Restart"] > 0
    assert partition_next["Partition"] > 5 * max(free["Partition"], 1)
    assert write_next["ClientRequest"] > 2 * free["ClientRequest"]


def test_a_script_that_waits_for_an_election_holds_every_other_budget(partition_scope,
                                                                      monkeypatch):
    """A script whose next unit is a second election (n1's won the first) holds the write, the
    partition and the restart; timeouts and the protocol's own steps go on."""
    import raftcheck.simulate.distribution as distribution

    walker, path, leading = partition_scope
    monkeypatch.setattr(distribution, "draw_script",
                        lambda rng, budgets, elections: (3, 3, 0, 2, 1))
    first = first_kinds(walker, path, leading)
    assert first["ClientRequest"] == first["Partition"] == first["Restart"] == 0
    assert first["Timeout"] > 0 and first["AppendEntries"] > 0


def test_a_partition_that_cuts_the_leader_off_is_favoured(partition_scope, monkeypatch):
    """Of the three cuts of three servers, one leaves the leader n1 alone: with ISOLATES it is
    most of the partitions walks take first, without it about a third."""
    import raftcheck.simulate.distribution as distribution
    import raftcheck.simulate.walk as walk_module

    walker, path, leading = partition_scope
    assert isolates_leader(Partition((0b001, 0b110)), [0])
    assert not isolates_leader(Partition((0b011, 0b100)), [0])
    monkeypatch.setattr(distribution, "draw_script", lambda rng, budgets, elections: (2, 0, 1))

    def isolating_share() -> float:
        cuts = [a for k in range(400)
                if type(a := walker.walk(random.Random(k), 1, path, leading).own[0][0])
                is Partition]
        assert len(cuts) > 100
        return sum(isolates_leader(a, [0]) for a in cuts) / len(cuts)

    favoured = isolating_share()
    monkeypatch.setattr(walk_module, "ISOLATES", 1.0)
    even = isolating_share()
    assert favoured > 0.8 and even < 0.6, (favoured, even)  # measured: 0.91 and 0.34

