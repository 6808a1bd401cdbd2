"""Liveness on the timed model with relative terms (spec/timed/liveness.py).

The quotient that shifts every term so the lowest is 1 must keep futures: a state and its shift
have the same steps, up to the shift, with the same predicates and fairness classes. That is
checked on states sampled from small models (breadth-first and random walks, which reach
terms well above 1). Every lasso the checker returns is then checked here, independently of
the checker: each step is a model step, the last state is the loop's first up to the quotient,
the cycle is fair, stays healed and breaks the property.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import replace

import pytest

from raftcheck.checker.liveness import check_liveness
from raftcheck.checker.properties import resolve
from raftcheck.checker.result import Outcome
from raftcheck.scenarios.catalog import (
    FAST_LEADER_COMMITS,
    SLOW_LEADER_COMMITS,
    SLOW_LEADER_DISK,
)
from raftcheck.spec import actions as act
from raftcheck.spec.actions import Timeout
from raftcheck.spec.config import Bounds, ConfigError, SpecConfig
from raftcheck.spec.records import (
    AppendEntriesRequest,
    RequestVoteRequest,
    RequestVoteResponse,
    Role,
)
from raftcheck.spec.timed.config import TimedConfig, Timing, liveness_config
from raftcheck.spec.timed.liveness import (
    PREDICATES,
    forget_history_terms,
    lowest_term,
    shift_terms,
    spread,
    stable_leader,
    write_committed,
)
from raftcheck.spec.timed.liveness import fairness_class as liveness_fairness
from raftcheck.spec.timed.model import (
    ACKED,
    BAG,
    CLIENTS,
    COMMITTED,
    CUT,
    CUTS,
    NODES,
    READS,
    RESTARTS,
    TRANSIT,
    WRITES,
    TimedRaftModel,
)
from raftcheck.spec.timed.records import IDLE, WRITE
from tests.oracles.lasso import check_lasso

#: Three servers, no client: elections only.
ELECTIONS_ONLY = Bounds(max_term=3, max_log=1, max_msgs=1, max_dup=1, max_writes=0,
                        max_restarts=0, max_elections=None, max_partitions=0)


def election_model(low: int, high: int, **options) -> TimedRaftModel:
    """Relative terms, election timeout drawn from low..high, heartbeat 1, no client."""
    config = TimedConfig(spec=SpecConfig(nodes=3, bounds=ELECTIONS_ONLY),
                         timing=Timing(election_min=low, election_max=high, heartbeat=1),
                         clients=0, **options)
    return TimedRaftModel(liveness_config(config))


# --- sampling states -------------------------------------------------------------------------


def sample(model: TimedRaftModel, *, breadth: int, walks: int, length: int) -> list[tuple]:
    """Reachable states: the first `breadth` breadth-first (one per quotient class), then the
    states of `walks` seeded random walks of `length` steps (deep: terms well above 1)."""
    inits = model.initial_states()
    seen = {shift_terms(s) for s in inits}
    frontier, out = list(inits), []
    while frontier and len(out) < breadth:
        later = []
        for state in frontier:
            out.append(state)
            for _, t, _ in model.successors(state):
                if shift_terms(t) not in seen:
                    seen.add(shift_terms(t))
                    later.append(t)
        frontier = later
    rng = random.Random(2024)
    for _ in range(walks):
        state = rng.choice(inits)
        for _ in range(length):
            out.append(state)
            steps = model.successors(state)
            if not steps:
                break
            state = rng.choice(steps)[1]
    return out


def all_terms(state: tuple) -> list[int]:
    """Every term in a state, field by field (history variables too), found independently of
    liveness.py: what a shift must move."""
    out: list[int] = []

    def log(entries) -> None:
        out.extend(term for term, _ in entries)

    def message(m) -> None:
        out.append(m.term)
        if isinstance(m, RequestVoteRequest):
            out.append(m.last_log_term)
        elif isinstance(m, RequestVoteResponse):
            log(m.log)
        elif isinstance(m, AppendEntriesRequest):
            out.append(m.prev_log_term)
            log(m.entries)
            log(m.log)

    for node in state[NODES]:
        s = node.server
        out.append(s.term)
        log(s.log)
        for _, voter_log in s.voter_log:
            log(voter_log)
        for m in node.held:
            message(m)
    for m in state[BAG]:
        message(m)
    for m, _ in state[TRANSIT]:
        message(m)
    out += [c.term for c in state[CLIENTS]]
    out += [term for _, term, _ in state[ACKED]]
    out += [t for _, (entry_term, _), term in state[COMMITTED] for t in (entry_term, term)]
    return out


def futures(model: TimedRaftModel, state: tuple) -> Counter:
    """The state's steps up to shifting terms: per action, its fairness class, its type and
    the set of its outcomes (a random draw has several), each shifted, with what it broke."""
    by_action: dict = {}
    for action, successor, broken in model.successors(state):
        by_action.setdefault(action, set()).add((shift_terms(successor), broken))
    return Counter((model.fairness_class(a), type(a).__name__, frozenset(outcomes))
                   for a, outcomes in by_action.items())


#: The slots of a state that hold no term (the election count is dropped by the quotient).
UNTERMED = (CUT, WRITES, READS, RESTARTS, CUTS)

TWO = Bounds(max_term=3, max_log=1, max_msgs=1, max_dup=1, max_writes=2, max_restarts=1,
             max_elections=None, max_partitions=1)
THREE = replace(TWO, max_log=3)

#: Small models that put terms everywhere: logs, replies held for a slow disk, clients,
#: acknowledged and committed writes, reads, leases, pre-vote, messages in transit.
SAMPLED = {
    "slow-disks": TimedConfig(
        spec=SpecConfig(nodes=3, bounds=TWO), clients=1,
        timing=Timing(election_min=2, election_max=3, heartbeat=1, fsync=2,
                      slow_disks=0b011)),
    "prevote-lease": TimedConfig(  # pre-vote elects seldom: more partitions and restarts
        spec=SpecConfig(nodes=3, bounds=replace(THREE, max_partitions=3, max_restarts=2)),
        reads="lease", clients=2, pre_vote=True, check_quorum=True,
        timing=Timing(election_min=2, election_max=3, heartbeat=1)),
    "index-jitter-lossy": TimedConfig(
        spec=SpecConfig(nodes=3, bounds=THREE), reads="index", clients=2, lossy=True,
        timing=Timing(election_min=2, election_max=3, heartbeat=1, jitter=1)),
}


@pytest.fixture(scope="module", params=sorted(SAMPLED))
def sampled(request) -> tuple[TimedRaftModel, list[tuple]]:
    model = TimedRaftModel(liveness_config(SAMPLED[request.param]))
    return model, sample(model, breadth=2000, walks=100, length=100)


# --- the quotient ----------------------------------------------------------------------------


def test_the_samples_have_terms_everywhere(sampled):
    """Not vacuous: shifted states, terms in clients, histories and held replies."""
    model, states = sampled
    shifted = [s for s in states if lowest_term(s) > 1]
    assert len(shifted) > 500
    assert max(max_term(s) for s in shifted) > model.bounds.max_term
    assert any(c.term > 1 for s in shifted for c in s[CLIENTS])
    assert any(s[ACKED] for s in shifted) and any(s[COMMITTED] for s in shifted)
    assert any(s[BAG] or s[TRANSIT] for s in shifted)
    if model.timing.fsync:
        assert any(n.held for s in shifted for n in s[NODES])
    if model.timing.jitter:
        assert any(s[TRANSIT] for s in shifted)


def test_forgetting_the_history_terms_keeps_everything_else(sampled):
    """What shift_terms forgets first: the terms of the histories and of idle clients, and
    the election count; nothing else."""
    _, states = sampled
    forgot = 0
    for s in states:
        f = forget_history_terms(s)
        assert f[NODES] == s[NODES] and f[BAG] == s[BAG] and f[TRANSIT] == s[TRANSIT]
        assert {(i, v) for i, _, v in f[ACKED]} == {(i, v) for i, _, v in s[ACKED]}
        assert all(t == 0 for _, t, _ in f[ACKED])
        assert {(i, e[1]) for i, e, _ in f[COMMITTED]} == {(i, e[1]) for i, e, _ in s[COMMITTED]}
        assert all(c == d or (d.op == IDLE and c == d._replace(term=0))
                   for c, d in zip(f[CLIENTS], s[CLIENTS], strict=True))
        forgot += f != s
    assert forgot > 100


def test_shift_terms_is_a_normal_form(sampled):
    """Every term moves by the same amount, the lowest to 1; 0 (no entry) stays; shifting
    twice is shifting once; the spread and the other slots do not change."""
    _, states = sampled
    for s in states:
        q = shift_terms(s)
        assert shift_terms(q) == q
        before, after = all_terms(forget_history_terms(s)), all_terms(q)
        by = lowest_term(s) - 1
        assert lowest_term(q) == 1 == min(t for t in after if t > 0)
        assert Counter(t - by if t > 0 else t for t in before) == Counter(after)
        assert spread(q) == spread(s) == max(after)
        assert [n._replace(server=None, held=None) for n in q[NODES]] == [
            n._replace(server=None, held=None) for n in s[NODES]]
        assert [q[k] for k in UNTERMED] == [s[k] for k in UNTERMED]


def test_a_shifted_state_has_the_same_futures(sampled):
    """The quotient is a bisimulation: a state and its shift have the same steps (same
    fairness classes, same random draws) to states equal up to the shift, and the same
    predicates."""
    model, states = sampled
    predicates = {**PREDICATES, **{p.name: resolve(p, model).p
                                   for p in (SLOW_LEADER_COMMITS, FAST_LEADER_COMMITS)}}
    compared = 0
    for s in states:
        q = shift_terms(s)
        for name, p in predicates.items():
            assert p(s) == p(q), name
        if q == s:
            continue
        compared += 1
        mine, shifted = futures(model, s), futures(model, q)
        assert mine == shifted, (mine - shifted, shifted - mine)
    assert compared > 500


def test_no_step_leaves_the_spread(sampled):
    """With relative terms max_term bounds the spread of a state's terms, not the terms: terms
    grow past max_term, the spread never does, and the bound is reached."""
    model, states = sampled
    bound = model.bounds.max_term
    spreads = {spread(t) for s in states for _, t, _ in model.successors(s)}
    assert max(spreads) == bound
    assert max(max(all_terms(s)) for s in states) > bound


def test_absolute_terms_have_no_quotient():
    config = SAMPLED["slow-disks"]
    model = TimedRaftModel(config)
    assert not model.relative_terms
    states = sample(model, breadth=500, walks=10, length=40)
    assert all(model.quotient(s) == s for s in states)
    assert max(max(all_terms(s)) for s in states) <= config.bounds.max_term


def test_relative_terms_refuse_an_election_budget():
    bounds = replace(ELECTIONS_ONLY, max_elections=2)
    config = TimedConfig(spec=SpecConfig(nodes=3, bounds=bounds), relative_terms=True)
    with pytest.raises(ConfigError, match="max-elections must be unbounded"):
        TimedRaftModel(config)
    live = liveness_config(config)
    assert live.relative_terms and live.bounds.max_elections is None
    assert TimedRaftModel(live).quotient is shift_terms


# --- lassos, checked independently -----------------------------------------------------------


def max_term(state: tuple) -> int:
    return max(n.server.term for n in state[NODES])


# --- EventuallyLeader ------------------------------------------------------------------------


@pytest.mark.parametrize("timing", [(2, 2), (4, 4)], ids=["2..2", "4..4"])
def test_a_fixed_election_timeout_splits_votes_forever(timing):
    model = election_model(*timing)
    result = check_liveness(model, model.liveness_properties())
    assert result.verdicts["EventuallyLeader"] is Outcome.VIOLATED
    assert result.verdicts["EventuallyCommits"] is Outcome.HOLDS  # no write: no premise
    cex = result.lassos["EventuallyLeader"]
    (prop,) = [p for p in model.liveness_properties() if p.name == "EventuallyLeader"]
    check_lasso(model, cex, prop)
    steps, loop = cex.steps, cex.loop_start
    cycle = steps[loop:-1]
    assert not any(stable_leader(s.state) for s in cycle)
    timeouts = {s.action.node for s in steps[loop + 1:] if isinstance(s.action, Timeout)}
    assert timeouts == {0, 1, 2}  # every node campaigns on every lap
    # The cycle closes only through the quotient: the terms keep growing.
    assert steps[-1].state != steps[loop].state
    assert max_term(steps[-1].state) > max_term(steps[loop].state)
    assert lowest_term(steps[-1].state) > lowest_term(steps[loop].state)


@pytest.mark.parametrize("pre_vote", [False, True], ids=["vote", "pre-vote"])
def test_a_random_election_timeout_elects_a_leader(pre_vote):
    model = election_model(2, 3, pre_vote=pre_vote)
    result = check_liveness(model, model.liveness_properties())
    assert result.verdicts == {"EventuallyLeader": Outcome.HOLDS,
                               "EventuallyCommits": Outcome.HOLDS}
    assert result.outcome is Outcome.HOLDS and not result.lassos
    assert result.graph is not None and result.graph.stop_reason is None
    # The graph has one node per state up to shifting terms: the reachable classes.
    classes = sample(model, breadth=10**9, walks=0, length=0)
    assert result.stats.distinct == len(classes) == result.graph.graph.number_of_nodes()


def test_adversarial_timer_draws_split_votes_forever():
    """Without random draws a scheduler picks every timeout, and ties can repeat forever: the
    lasso takes a draw with an outcome from which the cycle cannot be reached again."""
    model = election_model(2, 3)
    result = check_liveness(model, model.liveness_properties(), draws=False)
    assert result.verdicts["EventuallyLeader"] is Outcome.VIOLATED
    cex = result.lassos["EventuallyLeader"]
    (prop,) = [p for p in model.liveness_properties() if p.name == "EventuallyLeader"]
    check_lasso(model, cex, prop, draws=False)
    with pytest.raises(AssertionError, match="leaves the cycle"):
        check_lasso(model, cex, prop, draws=True)
    assert max_term(cex.steps[-1].state) > max_term(cex.steps[cex.loop_start].state)


# --- EventuallyCommits: a slow leader's disk --------------------------------------------------


@pytest.fixture(scope="module")
def slow_leader():
    """n1's fsync 4 ticks, longer than the election timeout 2..3."""
    model = TimedRaftModel(liveness_config(SLOW_LEADER_DISK.config))
    props = [SLOW_LEADER_COMMITS, FAST_LEADER_COMMITS, *model.liveness_properties()]
    return model, props, check_liveness(model, props)


def test_a_slow_leaders_write_is_never_committed(slow_leader):
    model, props, result = slow_leader
    assert result.verdicts[SLOW_LEADER_COMMITS.name] is Outcome.VIOLATED
    assert result.verdicts["EventuallyCommits"] is Outcome.VIOLATED
    for prop in props:
        if prop.name in result.lassos:
            check_lasso(model, result.lassos[prop.name], prop)
    cex = result.lassos[SLOW_LEADER_COMMITS.name]
    steps = cex.steps
    slow = resolve(SLOW_LEADER_COMMITS, model).p
    first = next(i for i, s in enumerate(steps) if slow(s.state))
    assert not any(write_committed(s.state) for s in steps[first:])
    # The write stays in the slow node's log, uncommitted, while another node leads.
    last = steps[-1].state
    assert last[NODES][0].server.log and not last[COMMITTED]
    assert any(n.server.role == Role.LEADER for n in last[NODES][1:])


def test_a_slow_followers_disk_does_not_stop_commits(slow_leader):
    _, _, result = slow_leader
    assert result.verdicts[FAST_LEADER_COMMITS.name] is Outcome.HOLDS
    assert result.verdicts["EventuallyLeader"] is Outcome.HOLDS
    assert FAST_LEADER_COMMITS.name not in result.lassos


def test_a_short_fsync_commits_even_at_the_leader():
    (claim,) = [c for c in SLOW_LEADER_DISK.claims if c.name == "ShortFsyncCommits"]
    assert claim.config is not None and claim.config.timing.fsync == 1
    model = TimedRaftModel(liveness_config(claim.config))
    result = check_liveness(model, [SLOW_LEADER_COMMITS, FAST_LEADER_COMMITS])
    assert result.verdicts == {SLOW_LEADER_COMMITS.name: Outcome.HOLDS,
                               FAST_LEADER_COMMITS.name: Outcome.HOLDS}


# --- clients that retry their writes (--retry) -------------------------------------------------


def _walk_to_timeout(model: TimedRaftModel) -> tuple:
    """A state where the lone client's write was taken and then timed out, found
    breadth-first."""
    frontier = list(model.initial_states())
    seen = set(frontier)
    while frontier:
        nxt = []
        for state in frontier:
            for action, after, _ in model.successors(state):
                if isinstance(action, act.ClientTimeout) and state[CLIENTS][0].accepted:
                    return after
                if after not in seen and len(seen) < 200_000:
                    seen.add(after)
                    nxt.append(after)
        frontier = nxt
    raise AssertionError("no client timeout reached")


@pytest.mark.parametrize("retry", [False, True])
def test_a_timed_out_write_is_sent_again_only_with_retry(retry):
    config = TimedConfig(spec=SpecConfig(nodes=3, bounds=replace(
        ELECTIONS_ONLY, max_writes=1, max_partitions=1, max_elections=2)), clients=1,
        timing=Timing(election_min=2, election_max=3, heartbeat=1), retry_writes=retry)
    model = TimedRaftModel(config)
    after = _walk_to_timeout(model)
    client = after[CLIENTS][0]
    if not retry:
        assert client.op == IDLE
        return
    assert client.op == WRITE and client.target == -1 and client.value == 1
    waited = next(s for a, s, _ in model.successors(after) if isinstance(a, act.Tick))
    retries = [(a, s) for a, s, _ in model.successors(waited)]
    assert retries and all(isinstance(a, act.ClientRetry) for a, _ in retries)
    assert {a.request for a, _ in retries} == {"write v1"}  # the same value, not a new write
    assert all(s[WRITES] == after[WRITES] for _, s in retries)  # retries are not budgeted
    assert liveness_fairness(retries[0][0]) == "ClientRetry"  # fair: the client's own step
    assert liveness_fairness(act.ClientSend(0, "write v1", 0, "x")) is None
