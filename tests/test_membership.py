"""Membership changes: the one quorum definition, the changes a leader may make and when, the
configuration each server acts on, searches with configurations changing, and symmetry kept
sound when servers start inside and outside the configuration."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace

import pytest

from raftcheck.checker.result import Outcome
from raftcheck.checker.search import breadth_first
from raftcheck.spec import server as srv
from raftcheck.spec.config import Bounds, ConfigError, SpecConfig, profile_defaults
from raftcheck.spec.membership import (
    JOINT,
    SINGLE,
    add_learner,
    add_voter,
    change_config,
    enter_joint,
    leave_joint,
    remove_server,
    valid_change,
)
from raftcheck.spec.model import RaftModel
from raftcheck.spec.mutants import MUTANTS, rules_for
from raftcheck.spec.quorum import (
    NO_CONFIGURATION,
    Configuration,
    everyone,
    is_quorum,
    quorum_size,
)
from raftcheck.spec.records import Role
from tests.oracles.reachable import reachable_states

N1, N2, N3, N4, N5 = (1 << k for k in range(5))


# --- what a quorum is -------------------------------------------------------------------------


def test_a_quorum_is_a_majority_of_the_voters():
    c = Configuration(N1 | N2 | N3)
    assert is_quorum(c, N1 | N2) and is_quorum(c, N2 | N3 | N4)
    assert not is_quorum(c, N1) and not is_quorum(c, N1 | N4 | N5)  # outsiders do not count
    assert [quorum_size(n) for n in range(1, 6)] == [1, 2, 2, 3, 3]
    assert is_quorum(everyone(4), N1 | N2 | N3) and not is_quorum(everyone(4), N1 | N2)


def test_learners_never_count():
    c = Configuration(N1 | N2 | N3, learners=N4 | N5)
    assert not is_quorum(c, N1 | N4 | N5)


def test_a_joint_quorum_needs_a_majority_of_both_halves():
    joint = Configuration(N2 | N3 | N4, outgoing=N1 | N2 | N3)
    assert is_quorum(joint, N2 | N3)
    assert not is_quorum(joint, N3 | N4)  # a majority of the incoming voters only
    assert not is_quorum(joint, N1 | N2)  # of the outgoing only
    assert is_quorum(joint, N1 | N3 | N4)


def test_no_voters_have_no_quorum():
    assert not is_quorum(NO_CONFIGURATION, N1 | N2 | N3)


def test_the_highest_index_a_quorum_stores_counts_the_leaders_configuration():
    """Rules.quorum_index, what commits go by: the leader's own log and its followers'
    matchIndex, a quorum by quorum.is_quorum of the configuration it acts on."""
    fixed = rules_for(None, 3, history=False, realistic=True)
    s = srv.initial_server(fixed)._replace(role=Role.LEADER, term=2,
                                           log=((2, 1), (2, 2), (2, 3)), match_index=(0, 1, 2))
    assert fixed.quorum_index(s, 0) == 2  # n1 and n3 store 2; n1 alone stores 3
    joint = Configuration(N2 | N3, outgoing=N1 | N2 | N3)
    r = rules_for(None, 3, history=False, realistic=True, membership=JOINT)
    s = srv.initial_server(r, joint)._replace(role=Role.LEADER, term=2,
                                              log=((2, 1),) * 5, match_index=(0, 4, 1))
    assert r.config(s) == joint
    assert r.quorum_index(s, 0) == 1  # n1, n2 store 4: no majority of {n2,n3}
    # n2, n3 store 4, a majority of the incoming half; of the outgoing {n1,n4,n5} only n1
    r = rules_for(None, 5, history=False, realistic=True, membership=JOINT)
    s = srv.initial_server(r, Configuration(N2 | N3, outgoing=N1 | N4 | N5))._replace(
        role=Role.LEADER, term=2, log=((2, 1),) * 4, match_index=(0, 4, 4, 1, 1))
    assert r.quorum_index(s, 0) == 1


# --- the changes ------------------------------------------------------------------------------

C0 = Configuration(N1 | N2 | N3)


@pytest.mark.parametrize("new, single, joint", [
    (add_voter(C0, 3), True, True),
    (add_learner(C0, 3), True, True),
    (add_voter(add_learner(C0, 3), 3), True, True),  # (from C0: a new voter)
    (remove_server(C0, 0), True, True),
    (add_voter(remove_server(C0, 0), 3), False, False),  # two servers at once
    (enter_joint(C0, N2 | N3 | N4), False, True),
    (Configuration(N2 | N3 | N4, outgoing=N1 | N2), False, False),  # outgoing is not C0
    (Configuration(0), False, False),  # no voter left
])
def test_which_changes_each_mode_allows(new, single, joint):
    assert valid_change(SINGLE, C0, new) is single
    assert valid_change(JOINT, C0, new) is joint


def test_a_joint_configuration_is_left_only_for_its_incoming_half():
    joint = enter_joint(C0, N2 | N3 | N4)
    assert valid_change(JOINT, joint, leave_joint(joint))
    assert leave_joint(joint) == Configuration(N2 | N3 | N4)
    assert not valid_change(JOINT, joint, C0)  # back to the old one directly: no


# --- when a leader may change the configuration -----------------------------------------------


def leader(rules, log, commit, term=2):
    return srv.initial_server(rules, C0)._replace(role=Role.LEADER, term=term, log=tuple(log),
                                                  commit_index=commit)


def test_single_server_changes_wait_for_an_entry_of_the_leaders_term_to_commit():
    """The 2015 fix: an uncommitted entry of its own term is not enough, an older committed
    one neither."""
    r = rules_for(None, 4, history=False, realistic=True, membership=SINGLE)
    new = add_voter(C0, 3)
    assert change_config(r, 0, leader(r, [], 0), new) is None
    assert change_config(r, 0, leader(r, [(1, 1), (2, 2)], 1), new) is None
    after = change_config(r, 0, leader(r, [(1, 1), (2, 2)], 2), new)
    assert after is not None and after.log[-1] == (2, new) and r.config(after) == new
    broken = rules_for("change-before-commit-in-term", 4, history=False, realistic=True,
                       membership=SINGLE)
    assert change_config(broken, 0, leader(broken, [], 0), new) is not None


def test_one_change_at_a_time():
    r = rules_for(None, 4, history=False, realistic=True, membership=SINGLE)
    pending = leader(r, [(2, 1), (2, add_voter(C0, 3))], 1)
    assert change_config(r, 0, pending, remove_server(add_voter(C0, 3), 2)) is None
    assert change_config(r, 0, pending._replace(commit_index=2),
                         remove_server(add_voter(C0, 3), 2)) is not None


def test_single_server_configurations_are_in_force_once_appended_etcds_once_applied():
    new = add_voter(C0, 3)
    s = srv.initial_server(rules_for(None, 4, history=False, realistic=True), C0)._replace(
        log=((2, 1), (2, new)), commit_index=1)
    single = rules_for(None, 4, history=False, realistic=True, membership=SINGLE)
    joint = rules_for(None, 4, history=False, realistic=True, membership=JOINT)
    assert single.config(s) == new
    assert joint.config(s) == C0
    assert joint.config(s._replace(commit_index=2)) == new


def test_etcd_changes_wait_until_everything_from_before_the_term_is_applied():
    """etcd-io/raft's pendingConfIndex: set to the last index when the leader is elected."""
    r = rules_for(None, 4, history=False, realistic=True, membership=JOINT)
    new = enter_joint(C0, N2 | N3 | N4)
    assert change_config(r, 0, leader(r, [], 0), new) is not None  # nothing before
    assert change_config(r, 0, leader(r, [(1, 1)], 0), new) is None
    assert change_config(r, 0, leader(r, [(1, 1)], 1), new) is not None


def test_a_removed_leader_steps_down_once_its_removal_is_committed():
    r = rules_for(None, 3, history=False, realistic=True, membership=SINGLE)
    removal = remove_server(C0, 0)
    s = leader(r, [(2, 1), (2, removal)], 1)._replace(match_index=(0, 2, 2))
    after = srv.advance_commit_index(r, 0, s)
    assert after.commit_index == 2 and after.role == Role.FOLLOWER
    # Before the removal commits it leads without counting itself: n2 alone is no quorum.
    s = leader(r, [(2, 1), (2, removal)], 1)._replace(match_index=(2, 2, 0))
    after = srv.advance_commit_index(r, 0, s)
    assert after.commit_index == 1 and after.role == Role.LEADER


def test_only_voters_campaign():
    r = rules_for(None, 4, history=False, realistic=True, membership=SINGLE)
    outside = srv.initial_server(r, NO_CONFIGURATION)
    assert srv.timeout(r, 3, outside) is None
    learner = srv.initial_server(r, add_learner(C0, 3))
    assert srv.timeout(r, 3, learner) is None
    assert srv.timeout(r, 2, learner) is not None


# --- searches ---------------------------------------------------------------------------------


def model(nodes=3, properties=None, budgets=True, **options) -> RaftModel:
    bounds = {k: options.pop(k) for k in list(options) if k in Bounds.__dataclass_fields__}
    config = SpecConfig(nodes=nodes, bounds=replace(profile_defaults("raftcheck", nodes),
                                                    **bounds), **options)
    m = RaftModel(config, properties)
    if not budgets:
        m.budget_start = None  # count every state (no budget subsumption), as for orbits
    return m


SMALL = dict(max_term=3, max_log=2, max_msgs=1, max_writes=1, max_restarts=0,
             max_partitions=0, max_elections=2)


@pytest.mark.parametrize("options", [
    dict(membership=SINGLE, initial_voters=2, **SMALL),
    dict(membership=JOINT, initial_voters=2, **SMALL),
    dict(membership=SINGLE, max_snapshots=1, **{**SMALL, "max_writes": 0, "max_restarts": 1}),
], ids=["single-one-outside", "joint-one-outside", "single-snapshots"])
def test_symmetry_keeps_one_state_per_orbit(options):
    """Servers inside and outside the initial configuration start unlike, yet the full group
    of renamings stays sound: the reduced search keeps exactly one state per orbit of the
    states the full search reaches, and both verdicts agree."""
    full = model(budgets=False, **options)
    states = reachable_states(full)
    orbits = {full.canonical(s) for s in states}
    reduced = breadth_first(model(budgets=False, **options), symmetry=True)
    plain = breadth_first(model(budgets=False, **options), symmetry=False)
    assert plain.stats.distinct == len(states)
    assert reduced.stats.distinct == len(orbits) < len(states)
    assert reduced.outcome is plain.outcome is Outcome.HOLDS


def test_symmetry_finds_the_same_shortest_violation():
    name = "two-changes-in-flight"
    m = MUTANTS[name]

    def search(symmetry: bool):
        config = SpecConfig(nodes=m.nodes, bounds=Bounds(**m.bounds), mutant=name, **m.options)
        return breadth_first(RaftModel(config), symmetry=symmetry).counterexample

    reduced, full = search(True), search(False)
    assert (reduced.property, reduced.length) == (full.property, full.length)


def test_the_correct_spec_does_reconfigure_and_holds():
    """At the scope where two-changes-in-flight is caught, the correct spec commits a
    configuration change (so the rules it keeps are not vacuous there), and holds."""
    scope = MUTANTS["two-changes-in-flight"]
    m = model(nodes=scope.nodes, **scope.options, **scope.bounds)
    committed_change = any(
        any(s.commit_index >= 2 and m.rules.config(s) != C0 for s in m.servers_of(state))
        for state in reachable_states(m))
    assert committed_change
    assert breadth_first(model(nodes=scope.nodes, **scope.options, **scope.bounds),
                         symmetry=True).outcome is Outcome.HOLDS


def test_a_server_outside_joins_votes_and_can_lead():
    """With n3 outside at the start, some run adds it as a voter and elects it."""
    m = model(membership=SINGLE, initial_voters=2, **{**SMALL, "max_term": 4,
                                                      "max_elections": 3, "max_log": 2})
    assert any(m.servers_of(state)[2].role == Role.LEADER for state in reachable_states(m))


def test_without_changes_the_membership_model_is_the_fixed_one():
    """With no change possible (max-log 1 leaves no room for an entry of the leader's term
    and a configuration entry), --membership single reaches exactly the fixed model's states."""
    scope = dict(max_term=3, max_log=1, max_msgs=1, max_writes=1, max_restarts=1,
                 max_partitions=0, max_elections=2)
    fixed = breadth_first(model(**scope), symmetry=False)
    single = breadth_first(model(membership=SINGLE, **scope), symmetry=False)
    assert (single.stats.distinct, single.stats.depth) == (fixed.stats.distinct,
                                                           fixed.stats.depth)


def test_bad_membership_options_are_refused():
    with pytest.raises(ConfigError, match="initial-voters"):
        SpecConfig(initial_voters=2).validate()
    with pytest.raises(ConfigError, match="between 1 and"):
        SpecConfig(membership=SINGLE, initial_voters=4).validate()
    with pytest.raises(ConfigError, match=r"raft\.tla"):
        SpecConfig(profile="raft-tla", membership=SINGLE).validate()
    with pytest.raises(ConfigError, match="unknown membership"):
        SpecConfig(membership="both").validate()


# --- the command ------------------------------------------------------------------------------


def explore(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "raftcheck", "explore", *args],
                          capture_output=True, text=True, timeout=600)


def test_explore_membership_holds_and_says_its_scope():
    out = explore("--membership", "joint", "--initial-voters", "2", "--max-term", "2",
                  "--max-log", "2", "--max-msgs", "1", "--max-restarts", "0",
                  "--max-partitions", "0", "--max-elections", "1", "--json")
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["verdict"] == "holds"
    assert result["model"]["membership"] == "joint" and result["model"]["initial_voters"] == 2


def test_explore_finds_the_2015_bug_with_its_trace():
    out = explore("--mutant", "change-before-commit-in-term")
    assert out.returncode == 1, out.stderr
    assert "membership single" in out.stdout
    assert "VIOLATED" in out.stdout
    # the trace: two leaders each append a removal, one left uncommitted
    assert out.stdout.count("RemoveServer(") == 2


@pytest.mark.parametrize("args, words", [
    (["--membership", "single", "--time"], "untimed model only"),
    (["--initial-voters", "2"], "needs --membership"),
    (["--membership", "single", "--profile", "raft-tla"], "raft.tla"),
])
def test_bad_membership_flags_give_one_line_and_exit_2(args, words):
    out = explore(*args)
    assert out.returncode == 2
    assert words in out.stderr and len(out.stderr.strip().splitlines()) == 1
