"""Liveness under fairness, on toy models that have nothing to do with Raft.

Every lasso is checked against the definitions, independently of the checker: each step is a
step of the model, the last step returns to the loop's first state, the cycle breaks the
property, and the cycle is fair (computed here from the model's successors).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import networkx as nx
import pydot
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from itf_py.itf import trace_from_json

from raftcheck.checker.export import trace_json, write_trace
from raftcheck.checker.fair_cycles import components
from raftcheck.checker.lasso import Stutter
from raftcheck.checker.liveness import LivenessError, check_liveness, no_fairness
from raftcheck.checker.model import Model
from raftcheck.checker.properties import (
    Kind,
    PropertyError,
    always_eventually,
    eventually_always,
    leads_to,
    parse_property,
)
from raftcheck.checker.report import LOOP_MARK, counterexample_lines, liveness_verdict_lines
from raftcheck.checker.result import Counterexample, Outcome
from raftcheck.checker.search import Budget
from tests.oracles.lasso import check_lasso

# --- toy models ------------------------------------------------------------------------------


@dataclass
class Counter(Model):
    """n in 0..size-1. "inc" adds one (mod size when wrap, else it stops at size-1, where
    "hold" repeats it); "idle" at idle_at stays; "reset" from reset_from goes back to 0.
    Only inc and hold are fair (class "inc"), if the caller asks for fairness."""

    size: int = 4
    wrap: bool = True
    idle_at: int | None = None
    reset_from: int | None = None

    def initial_states(self):
        return [(0,)]

    def successors(self, state):
        (n,) = state
        out = []
        if n + 1 < self.size or self.wrap:
            out.append(("inc", ((n + 1) % self.size,), None))
        else:
            out.append(("hold", state, None))
        if n == self.idle_at:
            out.append(("idle", state, None))
        if n == self.reset_from:
            out.append(("reset", (0,), None))
        return out

    def check_state(self, state):
        return None

    def variables(self, state):
        return {"n": state[0]}

    def summary(self, state):
        return {"n": str(state[0])}

    def fairness_class(self, action):
        return "inc" if action in ("inc", "hold") else None

    def predicates(self):
        return {"Zero": lambda s: s[0] == 0, "Top": lambda s: s[0] == self.size - 1,
                "One": lambda s: s[0] == 1, "Three": lambda s: s[0] == 3}


@dataclass
class Mutex(Model):
    """Two processes, each idle -> waiting -> critical -> idle. With `turn`, a process may
    enter only on its turn and hands the turn over on leaving (alternation); without, it may
    enter whenever the other is not critical (a test-and-set lock). Fairness class: the
    process."""

    turn: bool = False

    def initial_states(self):
        return [("idle", "idle", 0)]

    def successors(self, state):
        out = []
        for i in (0, 1):
            pc, other, turn = state[i], state[1 - i], state[2]
            if pc == "idle":
                nxt, new_turn = "waiting", turn
            elif pc == "waiting" and other != "critical" and (not self.turn or turn == i):
                nxt, new_turn = "critical", turn
            elif pc == "critical":
                nxt, new_turn = "idle", (1 - i if self.turn else turn)
            else:
                continue
            pcs = [state[0], state[1]]
            pcs[i] = nxt
            out.append(((f"p{i}", nxt), (pcs[0], pcs[1], new_turn), None))
        return out

    def check_state(self, state):
        return None

    def variables(self, state):
        return {"p0": state[0], "p1": state[1], "turn": state[2]}

    def fairness_class(self, action):
        return action[0]


def waiting(i):
    return lambda s: s[i] == "waiting"


def critical(i):
    return lambda s: s[i] == "critical"


@dataclass
class Channel(Model):
    """A sender must get `count` messages across a link. "transmit" gets the next one
    through (fair class "link"). The network may lose a transmission: with `drop`, the lost
    message leaves the channel and the sender must "send" it again (so delivery is enabled only
    now and then); without, a loss is a failed attempt that leaves everything as it was (so
    delivery stays enabled). "done" repeats the final state."""

    count: int = 2
    drop: bool = False

    def initial_states(self):
        return [(0, not self.drop)]  # (delivered, message in the channel)

    def successors(self, state):
        delivered, in_channel = state
        if delivered == self.count:
            return [("done", state, None)]
        if not in_channel:
            return [("send", (delivered, True), None)]
        after = (delivered + 1, not self.drop)
        return [("transmit", after, None),
                ("lose", (delivered, False) if self.drop else state, None)]

    def check_state(self, state):
        return None

    def variables(self, state):
        return {"delivered": state[0], "in_channel": state[1]}

    def fairness_class(self, action):
        return {"transmit": "link", "send": "sender"}.get(action)


def all_delivered(model):
    return lambda s: s[0] == model.count


@dataclass
class Network(Model):
    """A partition comes and goes (not fair); while healed, a leader may be elected (fair);
    a partition deposes it; "tick" lets time pass in any state (not fair)."""

    def initial_states(self):
        return [(True, False)]  # (healed, leader)

    def successors(self, state):
        healed, leader = state
        out = [("tick", state, None)]
        if healed:
            out.append(("partition", (False, False), None))
            if not leader:
                out.append(("elect", (True, True), None))
        else:
            out.append(("heal", (True, leader), None))
        return out

    def check_state(self, state):
        return None

    def variables(self, state):
        return {"healed": state[0], "leader": state[1]}

    def fairness_class(self, action):
        return "elect" if action == "elect" else None

    def predicates(self):
        return {"Healed": lambda s: s[0], "Leader": lambda s: s[1]}


@dataclass
class Baton(Model):
    """Two runners pass a baton; the holder may also finish (to "done"). Swapping the runners'
    names maps the model to itself, and canonical() says so; the fairness classes (the runners)
    are renamed with it. The concrete cycle pass, pass, ... takes both classes, so it is fair
    and never finishes: "eventually done" fails. On the symmetry-reduced graph the same cycle is
    a self-loop taking one class while the other is enabled: judged unfair there, it would hide
    the violation."""

    def initial_states(self):
        return [(1, 0)]  # (runner 0 holds the baton, runner 1 holds it); (0, 0) is done

    def successors(self, state):
        if state == (0, 0):
            return [("rest", state, None)]
        holder = 0 if state[0] else 1
        other = (0, 1) if holder == 0 else (1, 0)
        return [((f"pass{holder}", holder), other, None), ((f"finish{1 - holder}", 1 - holder),
                                                          (0, 0), None)]

    def check_state(self, state):
        return None

    def variables(self, state):
        return {"baton": list(state)}

    def canonical(self, state):
        raise AssertionError("liveness must not reduce by symmetry")

    def fairness_class(self, action):
        return action[1] if isinstance(action, tuple) else None


@dataclass
class Coin(Model):
    """A process flips a coin until it comes up heads (done). With escape=False the coin has two
    tails, each back to trying, and never heads."""

    escape: bool = True

    def initial_states(self):
        return [("trying",)]

    def successors(self, state):
        if state == ("trying",):
            if self.escape:
                return [("flip", ("trying",), None), ("flip", ("done",), None)]
            return [("flip", ("tails-a",), None), ("flip", ("tails-b",), None)]
        if state in (("tails-a",), ("tails-b",)):
            return [("again", ("trying",), None)]
        return [("rest", state, None)]

    def check_state(self, state):
        return None

    def variables(self, state):
        return {"coin": state[0]}

    def fairness_class(self, action):
        return action


@dataclass
class Escape(Model):
    """From 0 and from 1 a fair draw D goes to the other or to 2 (absorbing); an unfair P also
    goes 0 -> 1, and a fair B goes 1 -> 0. The cycle 0 -> 1 -> 0 is fair only if the draw's
    class may count on the edge 0 -> 1 although the draw also leads out."""

    def initial_states(self):
        return [(0,)]

    def successors(self, state):
        (n,) = state
        if n == 0:
            return [("P", (1,), None), ("D", (1,), None), ("D", (2,), None)]
        if n == 1:
            return [("B", (0,), None), ("D", (0,), None), ("D", (2,), None)]
        return [("rest", state, None)]

    def check_state(self, state):
        return None

    def variables(self, state):
        return {"n": state[0]}

    def fairness_class(self, action):
        return None if action == "P" else action


@dataclass
class Ladder(Model):
    """A climber goes up one rung, rests, and climbs again, forever: the rung grows without
    bound, but the futures depend on the phase only, which quotient() says."""

    def initial_states(self):
        return [(0, "resting")]

    def successors(self, state):
        rung, phase = state
        if phase == "resting":
            return [("climb", (rung + 1, "climbed"), None)]
        return [("rest", (rung, "resting"), None)]

    def check_state(self, state):
        return None

    def variables(self, state):
        return {"rung": state[0], "phase": state[1]}

    def fairness_class(self, action):
        return action

    def quotient(self, state):
        return state[1]


def violated(result, name):
    assert result.verdicts[name] is Outcome.VIOLATED, result.verdicts
    assert result.outcome is Outcome.VIOLATED
    return result.lassos[name]


def holds(result, name):
    assert result.verdicts[name] is Outcome.HOLDS, result.verdicts
    assert name not in result.lassos


# --- eventually always ---------------------------------------------------------------------


def test_eventually_always_fails_on_a_wrapping_counter():
    model = Counter(size=4, wrap=True)
    prop = eventually_always("StaysZero", lambda s: s[0] == 0)
    cex = violated(check_liveness(model, [prop]), "StaysZero")
    check_lasso(model, cex, prop)
    assert cex.loop_start == 0 and cex.length == 4  # 0 1 2 3 0: no shorter lasso


def test_eventually_always_holds_on_a_saturating_counter_with_fairness():
    model = Counter(size=4, wrap=False, idle_at=1)
    prop = eventually_always("ReachesTop", lambda s: s[0] == 3)
    holds(check_liveness(model, [prop]), "ReachesTop")
    # without fairness, the counter may idle at 1 forever
    cex = violated(check_liveness(model, [prop], fairness_class=no_fairness), "ReachesTop")
    check_lasso(model, cex, prop, classify=no_fairness)
    assert cex.steps[-1].action == "idle"


# --- always eventually ---------------------------------------------------------------------


def test_always_eventually_fails_without_fairness_and_holds_with_it():
    model = Counter(size=4, wrap=True, idle_at=2)
    prop = always_eventually("ZeroAgain", lambda s: s[0] == 0)
    unfair = check_liveness(model, [prop], fairness_class=no_fairness)
    cex = violated(unfair, "ZeroAgain")
    check_lasso(model, cex, prop, classify=no_fairness)
    assert [s.state for s in cex.steps] == [(0,), (1,), (2,), (2,)]
    holds(check_liveness(model, [prop]), "ZeroAgain")  # the model's weak fairness on inc


def test_always_eventually_fails_when_a_fair_cycle_avoids_it():
    model = Counter(size=5, wrap=True, reset_from=2)
    prop = always_eventually("SeesFour", lambda s: s[0] == 4)
    cex = violated(check_liveness(model, [prop]), "SeesFour")
    check_lasso(model, cex, prop)  # inc is taken on the cycle 0 1 2 0: fair, still no 4


# --- leads to ------------------------------------------------------------------------------


def test_leads_to_fails_when_a_reset_skips_the_goal_even_with_fairness():
    model = Counter(size=4, wrap=True, reset_from=2)
    prop = leads_to("OneThenThree", lambda s: s[0] == 1, lambda s: s[0] == 3)
    result = check_liveness(model, [prop])
    cex = violated(result, "OneThenThree")
    check_lasso(model, cex, prop)
    assert any("premise holds at step 1" in note for note in result.notes)


def test_leads_to_holds_without_the_reset():
    model = Counter(size=4, wrap=True)
    prop = leads_to("OneThenThree", lambda s: s[0] == 1, lambda s: s[0] == 3)
    holds(check_liveness(model, [prop]), "OneThenThree")


def test_mutex_by_turns_needs_fairness_when_processes_may_stop():
    model = Mutex(turn=True)
    prop = leads_to("Enters", waiting(1), critical(1))
    # the other process may sit idle with the turn forever: a stutter without fairness
    cex = violated(check_liveness(model, [prop], fairness_class=no_fairness, stuttering=True),
                   "Enters")
    check_lasso(model, cex, prop, classify=no_fairness)
    assert isinstance(cex.steps[-1].action, Stutter)
    holds(check_liveness(model, [prop], stuttering=True), "Enters")


def test_lock_starves_a_process_under_weak_fairness_but_not_strong():
    model = Mutex(turn=False)
    prop = leads_to("Enters", waiting(0), critical(0))
    cex = violated(check_liveness(model, [prop]), "Enters")
    check_lasso(model, cex, prop)  # p1 loops; p0 may enter only while p1 is not critical
    holds(check_liveness(model, [prop], strong={"p0", "p1"}), "Enters")
    cex = violated(check_liveness(model, [prop], strong={"p1"}), "Enters")
    check_lasso(model, cex, prop, strong={"p1"})


def test_channel_loses_forever_unless_the_link_is_weakly_fair():
    model = Channel(count=2, drop=False)
    prop = always_eventually("AllDelivered", all_delivered(model))
    cex = violated(check_liveness(model, [prop], fairness_class=no_fairness), "AllDelivered")
    check_lasso(model, cex, prop, classify=no_fairness)
    assert cex.steps[-1].action == "lose"
    holds(check_liveness(model, [prop]), "AllDelivered")


def test_channel_that_drops_needs_strong_fairness():
    model = Channel(count=2, drop=True)
    prop = always_eventually("AllDelivered", all_delivered(model))
    cex = violated(check_liveness(model, [prop]), "AllDelivered")
    check_lasso(model, cex, prop)  # send, lose, send, lose: transmit enabled only half the time
    holds(check_liveness(model, [prop], strong={"link"}), "AllDelivered")


# --- assumptions, names, several properties --------------------------------------------------


def test_assumption_restricts_the_cycle_to_where_it_holds():
    model = Network()
    plain = parse_property("EventuallyLeader", "<>[] Leader")
    healed = parse_property("EventuallyLeaderOnceHealed", "<>[] Leader assuming Healed")
    result = check_liveness(model, [plain, healed])
    cex = violated(result, "EventuallyLeader")
    check_lasso(model, cex, eventually_always("x", lambda s: s[1]))
    holds(result, "EventuallyLeaderOnceHealed")
    assert result.counterexample is cex


def test_leads_to_with_an_assumption_and_negated_names():
    model = Network()
    prop = parse_property("Recovers", "!Leader ~> Leader assuming Healed")
    assert prop.kind is Kind.LEADS_TO and prop.assume == "Healed"
    for text in ("<>[] Leader", "[]<> !Healed assuming Leader", "!Leader ~> Leader"):
        again = parse_property("Again", parse_property("Again", text).formula())
        assert again == parse_property("Again", text)
    holds(check_liveness(model, [prop]), "Recovers")
    cex = violated(check_liveness(model, [parse_property("Recovers", "!Leader ~> Leader")]),
                   "Recovers")
    check_lasso(model, cex, leads_to("x", lambda s: not s[1], lambda s: s[1]))


def test_model_predicates_by_name_and_bad_names():
    model = Counter(size=4, wrap=True, reset_from=2)
    result = check_liveness(model, [leads_to("ByName", "One", "Three"),
                                    always_eventually("Zero", "Zero")])
    assert result.verdicts == {"ByName": Outcome.VIOLATED, "Zero": Outcome.HOLDS}
    with pytest.raises(PropertyError, match="no predicate 'Nope'"):
        check_liveness(model, [always_eventually("Bad", "Nope")])
    with pytest.raises(PropertyError):
        parse_property("Bad", "<> P")
    with pytest.raises(LivenessError):
        check_liveness(model, [always_eventually("Z", "Zero"), eventually_always("Z", "Zero")])


# --- budgets, symmetry, deadlocks ------------------------------------------------------------


def test_budget_stops_the_graph_and_no_verdict_is_claimed():
    model = Counter(size=10_000, wrap=True)
    prop = always_eventually("ZeroAgain", "Zero")
    result = check_liveness(model, [prop], budget=Budget(max_states=50))
    assert result.outcome is Outcome.STOPPED and result.stop_reason == "max-states"
    assert result.verdicts == {"ZeroAgain": Outcome.STOPPED}
    assert result.stats.distinct < 10_000
    result = check_liveness(model, [prop], budget=Budget(max_depth=20))
    assert result.outcome is Outcome.STOPPED and result.stop_reason == "max-depth"


def test_a_violation_in_a_partial_graph_is_genuine():
    model = Counter(size=10_000, wrap=True, idle_at=3)
    prop = always_eventually("ZeroAgain", lambda s: s[0] == 0)
    result = check_liveness(model, [prop], fairness_class=no_fairness,
                            budget=Budget(max_depth=20))
    assert result.stop_reason == "max-depth"
    cex = violated(result, "ZeroAgain")
    check_lasso(model, cex, prop, classify=no_fairness)


def test_symmetry_is_refused_and_states_are_explored_concretely():
    model = Baton()
    prop = always_eventually("Done", lambda s: s == (0, 0))
    with pytest.raises(LivenessError, match="symmetry"):
        check_liveness(model, [prop], symmetry=True)
    result = check_liveness(model, [prop])  # canonical() would raise if it were called
    cex = violated(result, "Done")
    check_lasso(model, cex, prop)
    assert {s.action[1] for s in cex.steps[cex.loop_start + 1:]} == {0, 1}
    assert result.stats.distinct == 3


def test_deadlocks_are_noted_and_stuttering_makes_them_behaviours():
    @dataclass
    class Stops(Counter):
        def successors(self, state):
            return [] if state[0] == 2 else super().successors(state)

    model = Stops(size=4, wrap=True)
    prop = always_eventually("ZeroAgain", lambda s: s[0] == 0)
    result = check_liveness(model, [prop])
    holds(result, "ZeroAgain")
    assert any("no successor" in note for note in result.notes)
    cex = violated(check_liveness(model, [prop], stuttering=True), "ZeroAgain")
    check_lasso(model, cex, prop)
    assert cex.steps[-1].state == (2,) and isinstance(cex.steps[-1].action, Stutter)


# --- output ------------------------------------------------------------------------------------


def test_lasso_text_marks_where_the_loop_starts():
    model = Counter(size=4, wrap=True, reset_from=2)
    result = check_liveness(model, [leads_to("OneThenThree", "One", "Three")])
    cex = result.counterexample
    lines = counterexample_lines(cex, model.summary)
    assert "lasso" in lines[0]
    marker = lines.index(LOOP_MARK)
    step_line = next(i for i, line in enumerate(lines) if line.startswith(f"{cex.loop_start:3d}"))
    assert marker > step_line  # under the step whose state the cycle starts from
    assert f"loops back to step {cex.loop_start}" in lines[-1]
    verdict = liveness_verdict_lines(result)
    assert verdict[0].startswith("VIOLATED: OneThenThree")


def test_lasso_exports_keep_the_loop(tmp_path: Path):
    model = Counter(size=4, wrap=True, idle_at=2)
    result = check_liveness(model, [always_eventually("ZeroAgain", "Zero")],
                            fairness_class=no_fairness)
    cex = result.counterexample
    loop, length = cex.loop_start, cex.length

    data = trace_json(cex, model)
    assert data["loop_start"] == loop and len(data["steps"]) == length + 1
    json.dumps(data)

    path = tmp_path / "t.itf.json"
    write_trace(path, cex, model, "test")
    itf = trace_from_json(json.loads(path.read_text()))
    assert itf.loop == loop and len(itf.states) == length  # the return step is the loop itself
    assert itf.states[loop].values["n"] == cex.steps[-1].state[0]
    assert itf.meta["loop-action"] == str(cex.steps[-1].action)

    path = tmp_path / "t.graphml"
    write_trace(path, cex, model, "test")
    graph = nx.read_graphml(path)
    assert graph.number_of_nodes() == length and graph.number_of_edges() == length
    back = [(a, b) for a, b, d in graph.edges(data=True) if d.get("loop_back")]
    assert back == [(f"s{length - 1}", f"s{loop}")]
    assert not nx.is_directed_acyclic_graph(graph)

    path = tmp_path / "t.dot"
    write_trace(path, cex, model, "test")
    (dot,) = pydot.graph_from_dot_file(str(path))
    assert len(dot.get_edges()) == length
    assert any("dashed" in str(e.get("style")) for e in dot.get_edges())


def test_safety_counterexamples_are_exported_as_before():
    cex = Counterexample("P", "state", violated(
        check_liveness(Counter(), [eventually_always("Z", "Zero")]), "Z").steps[:3])
    data = trace_json(cex, Counter())
    assert "loop_start" not in data
    lines = counterexample_lines(cex, Counter().summary)
    assert lines[0].startswith("Shortest counterexample") and LOOP_MARK not in lines


# --- the pieces ------------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 12), st.integers(0, 12)), max_size=40),
       st.sets(st.integers(0, 12)))
def test_components_agree_with_networkx(edges, removed):
    graph = nx.DiGraph()
    graph.add_nodes_from(range(13))
    graph.add_edges_from(edges)
    nodes = [n for n in graph if n not in removed]
    ours = components(graph, nodes)
    theirs = nx.strongly_connected_components(graph.subgraph(nodes))
    assert sorted(map(sorted, ours)) == sorted(map(sorted, theirs))


def test_the_lasso_check_in_these_tests_can_fail():
    model = Channel(count=2, drop=False)
    prop = always_eventually("AllDelivered", all_delivered(model))
    cex = violated(check_liveness(model, [prop], fairness_class=no_fairness), "AllDelivered")
    with pytest.raises(AssertionError, match="weak class link"):
        check_lasso(model, cex, prop)  # losing forever is unfair once the link is fair
    with pytest.raises(AssertionError):
        check_lasso(model, cex, always_eventually("Any", lambda s: True),
                    classify=no_fairness)


# --- random draws and quotients ----------------------------------------------------------------


def test_a_coin_that_can_come_up_heads_does_so_only_if_draws_are_random():
    model = Coin(escape=True)
    prop = eventually_always("Done", lambda s: s == ("done",))
    cex = violated(check_liveness(model, [prop]), "Done")  # tails forever is weakly fair
    check_lasso(model, cex, prop)
    assert [s.state for s in cex.steps] == [("trying",), ("trying",)]
    holds(check_liveness(model, [prop], draws=True), "Done")


def test_a_coin_with_two_tails_fails_even_with_random_draws():
    model = Coin(escape=False)
    prop = always_eventually("Done", lambda s: s == ("done",))
    cex = violated(check_liveness(model, [prop], draws=True), "Done")
    check_lasso(model, cex, prop, draws=True)  # the other tail leads back to the cycle too


def test_a_draw_that_leads_out_does_not_count_as_taken_on_a_cycle():
    model = Escape()
    prop = eventually_always("Escapes", lambda s: s == (2,))
    holds(check_liveness(model, [prop], draws=True), "Escapes")
    cex = violated(check_liveness(model, [prop]), "Escapes")  # draws adversarial: 0 1 0 ...
    check_lasso(model, cex, prop)


def test_the_draw_check_in_these_tests_can_fail():
    model = Coin(escape=True)
    prop = eventually_always("Done", lambda s: s == ("done",))
    cex = violated(check_liveness(model, [prop]), "Done")  # tails forever, draws not random
    with pytest.raises(AssertionError, match="has an outcome that leaves the cycle"):
        check_lasso(model, cex, always_eventually("Done", lambda s: s == ("done",)),
                    draws=True)


def test_a_quotient_closes_a_cycle_whose_values_grow_and_the_lasso_shows_them_growing():
    model = Ladder()
    prop = eventually_always("Resting", lambda s: s[1] == "resting")
    result = check_liveness(model, [prop])
    assert result.stats.distinct == 2
    cex = violated(result, "Resting")
    check_lasso(model, cex, prop)
    assert [s.state[0] for s in cex.steps] == [0, 1, 1]
    assert cex.steps[-1].state != cex.steps[cex.loop_start].state  # equal up to the quotient
    holds(check_liveness(model, [eventually_always("Any", lambda s: True)]), "Any")
