"""Routing modes of the timed model's clients (spec/timed/routing.py): redirect, cache, proxy;
and the scenario proxy-stale-leader."""

from __future__ import annotations

from dataclasses import replace

import pytest

from raftcheck.checker.result import Outcome
from raftcheck.checker.search import breadth_first
from raftcheck.cli import main
from raftcheck.scenarios.catalog import PROXY_STALE_LEADER
from raftcheck.scenarios.run import run_scenario
from raftcheck.spec import actions as act
from raftcheck.spec.config import Bounds, SpecConfig
from raftcheck.spec.records import NIL, Role
from raftcheck.spec.rules import Rules
from raftcheck.spec.server import initial_server
from raftcheck.spec.timed.config import TimedConfig, Timing, mutant_config
from raftcheck.spec.timed.model import CLIENTS, NODES, PROXY, TimedRaftModel
from raftcheck.spec.timed.records import IDLE
from raftcheck.spec.timed.routing import parse_routing, polled
from tests.oracles.reachable import reachable_steps

SMALL = Bounds(max_term=3, max_log=1, max_msgs=1, max_dup=1, max_writes=1, max_restarts=0,
               max_elections=2, max_partitions=1)
QUICK = Timing(election_min=2, election_max=2, heartbeat=1)


def model(routing: tuple[str, ...], **options) -> TimedRaftModel:
    config = TimedConfig(spec=SpecConfig(nodes=3, bounds=SMALL), timing=QUICK, clients=1,
                         routing=routing, **options)
    return TimedRaftModel(config)


def steps_of(m: TimedRaftModel, limit: int = 60_000):
    return reachable_steps(m, limit)


# --- redirect and cache ---------------------------------------------------------------------


def test_without_redirect_a_follower_refuses_and_the_request_ends():
    refusals = [(before, action, after) for before, action, after in steps_of(model(("cache",)))
                if isinstance(action, act.ClientSend | act.ClientReply)
                and "not the leader" in action.reply]
    assert refusals
    for before, action, after in refusals:
        assert before[NODES][action.node].server.role != Role.LEADER
        assert after[CLIENTS][action.client].op == IDLE
    # With redirect, the same refusals are redirects to the hinted leader.
    redirects = [a for _, a, _ in steps_of(model(("redirect",)))
                 if isinstance(a, act.ClientSend | act.ClientReply) and "redirect to" in a.reply]
    assert redirects
    assert not any("not the leader" in getattr(a, "reply", "")
                   for _, a, _ in steps_of(model(("redirect",))))


def test_only_a_caching_client_remembers_the_leader():
    def remembered(m):
        return {after[CLIENTS][0].cached for _, _, after in steps_of(m)}
    assert remembered(model(("redirect",))) == {NIL}
    assert remembered(model(("cache", "redirect"))) - {NIL}


# --- the proxy ------------------------------------------------------------------------------


def test_a_poll_picks_the_leader_of_the_highest_term_or_keeps_its_choice():
    follower = initial_server(Rules(3))._replace(term=3)
    old = follower._replace(term=2, role=Role.LEADER)
    new = follower._replace(term=3, role=Role.LEADER)
    assert polled(NIL, [old, follower, new]) == 2
    assert polled(NIL, [new, old, follower]) == 0
    assert polled(1, [follower, follower, follower]) == 1


def test_behind_a_proxy_requests_go_only_where_the_proxy_forwards():
    m = model(("proxy",))
    sends = 0
    for before, action, after in steps_of(m):
        if isinstance(action, act.ClientSend):
            sends += 1
            assert action.node == before[PROXY].target != NIL
        if isinstance(action, act.ProxyPoll):
            target = after[PROXY].target
            leaders = [(n.server.term, i) for i, n in enumerate(before[NODES])
                       if n.server.role == Role.LEADER]
            assert target == (max(leaders)[1] if leaders else before[PROXY].target)
    assert sends


def test_a_write_acknowledged_before_commit_is_lost_even_through_the_proxy():
    """The properties are checked through the proxy: a broken spec is still caught."""
    config = replace(mutant_config("ack-before-commit"), routing=("proxy",))
    result = breadth_first(TimedRaftModel(config))
    assert result.outcome is Outcome.VIOLATED
    assert result.counterexample.property in ("AckedWriteNeverLost", "MinorityNoAck")
    assert any(isinstance(s.action, act.ProxyPoll) for s in result.counterexample.steps)


def test_read_index_through_the_proxy_holds_every_property():
    config = replace(mutant_config("read-index-no-heartbeat", broken=False), routing=("proxy",))
    assert breadth_first(TimedRaftModel(config)).outcome is Outcome.HOLDS


@pytest.mark.parametrize("flags, message", [
    (["--routing", "proxy,cache"], "talk only to it"),
    (["--routing", "carrier-pigeon"], "unknown routing mode"),
    (["--routing", "proxy", "--proxy-poll", "0"], "--proxy-poll"),
])
def test_bad_routing_is_one_line_and_exit_2(flags, message, capsys):
    assert main(["explore", "--time", *flags]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


def test_routing_names_are_parsed_in_any_order():
    assert parse_routing("redirect, cache") == parse_routing("cache,redirect")
    assert parse_routing("proxy,redirect") == ("proxy", "redirect")


# --- proxy-stale-leader ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def proxy_stale_leader():
    return run_scenario(PROXY_STALE_LEADER)


def test_proxy_stale_leader_as_claimed(proxy_stale_leader):
    result = proxy_stale_leader
    assert result.as_claimed and result.exit_code == 0
    assert {c.name: c.as_claimed for c in result.claims} == {
        "StaleLeaderAcks": True, "FailsUntilPollThenAcks": True}


def test_proxy_stale_leader_witness_fails_at_the_old_leader_until_a_poll(proxy_stale_leader):
    witness = next(c for c in proxy_stale_leader.claims if c.kind == "can").trace
    steps = witness.steps
    cut = next(k for k, s in enumerate(steps) if isinstance(s.action, act.Partition))
    old = steps[cut].state[PROXY].target
    assert steps[cut].state[NODES][old].server.role == Role.LEADER
    moved = next(k for k in range(cut, len(steps)) if steps[k].state[PROXY].target != old)
    assert isinstance(steps[moved].action, act.ProxyPoll)
    # A write the proxy forwarded to the old leader between the cut and the poll...
    sent = [k for k in range(cut, moved) if isinstance(steps[k].action, act.ClientSend)
            and steps[k].action.node == old and steps[k].action.request.startswith("write")]
    assert sent
    client = steps[sent[0]].action.client
    # ...ends in a timeout or an error, never an acknowledgement.
    ends = [s.action for s in steps[sent[0]:] if getattr(s.action, "client", None) == client
            and (isinstance(s.action, act.ClientTimeout) or "error" in s.action.reply
                 or s.action.reply.startswith("ok"))]
    assert ends and not getattr(ends[0], "reply", "").startswith("ok")
    acked = [s.action for s in steps[moved:] if "ok" in getattr(s.action, "reply", "")]
    assert acked and all(a.node != old for a in acked)
    assert not any(isinstance(s.action, act.Heal) for s in steps)


def test_proxy_stale_leader_never_claim_fails_when_the_old_leader_acks_early():
    """With a leader that acknowledges writes before a quorum stores them, the cut-off leader
    the proxy still forwards to acknowledges one: the never-claim is reached."""
    config = replace(PROXY_STALE_LEADER.config,
                     spec=replace(PROXY_STALE_LEADER.config.spec, mutant="ack-before-commit"))
    never = [c for c in PROXY_STALE_LEADER.claims if c.kind == "never"]
    result = run_scenario(replace(PROXY_STALE_LEADER, config=config, claims=tuple(never),
                                  properties=("ElectionSafety",)))
    (claim,) = result.claims
    assert claim.name == "StaleLeaderAcks" and not claim.as_claimed and result.exit_code == 1
    steps = claim.trace.steps
    cut = next(k for k, s in enumerate(steps) if isinstance(s.action, act.Partition))
    last = steps[-1].action
    assert last.reply.startswith("ok") and last.node == steps[cut].state[PROXY].target
