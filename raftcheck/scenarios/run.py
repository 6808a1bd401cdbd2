"""Running a scenario: one exhaustive search for its `never` claims (and the spec's own
properties), one breadth-first search per `can` claim for a shortest witness."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..checker.observer import ObservedModel
from ..checker.result import Counterexample, Outcome, SearchResult, TraceStep
from ..checker.search import Budget, breadth_first
from ..spec.invariants import PROPERTIES
from ..spec.model import RaftModel
from ..spec.timed.config import TimedConfig
from ..spec.timed.model import TimedRaftModel
from ..spec.timed.properties import TIMED_PROPERTIES
from .catalog import Scenario


@dataclass
class ClaimResult:
    name: str
    kind: str  # never | can
    text: str
    as_claimed: bool
    detail: str  # what the search found, one line
    trace: Counterexample | None = None  # the witness, or the state that breaks a never-claim


@dataclass
class ScenarioResult:
    scenario: Scenario
    model: RaftModel | TimedRaftModel
    claims: list[ClaimResult] = field(default_factory=list)
    stopped: str | None = None  # a budget ended a search before it could decide

    @property
    def as_claimed(self) -> bool:
        return self.stopped is None and all(c.as_claimed for c in self.claims)

    @property
    def exit_code(self) -> int:
        return 3 if self.stopped else 0 if self.as_claimed else 1


def run_scenario(scenario: Scenario, budget: Budget | None = None) -> ScenarioResult:
    model: RaftModel | TimedRaftModel
    if isinstance(scenario.config, TimedConfig):
        properties = list(scenario.properties or TIMED_PROPERTIES)
        model = TimedRaftModel(scenario.config, properties)
    else:
        properties = list(scenario.properties or PROPERTIES)
        model = RaftModel(scenario.config, properties, exact_network=True)
    # The timed model orders a round's messages by server: it has no symmetry reduction.
    symmetry = not scenario.timed
    out = ScenarioResult(scenario, model)
    never = [c for c in scenario.claims if c.kind == "never"]

    # The never-claims and the spec's properties, in every state of the runs looked at.
    observed = ObservedModel(model, scenario.observer(model, never, witness=False))
    result = breadth_first(observed, symmetry=symmetry, budget=budget,
                           checked=properties + [c.name for c in never])
    if result.outcome is Outcome.STOPPED:
        out.stopped = result.stop_reason
    broken = result.counterexample.property if result.counterexample else None
    stats = result.stats
    for claim in never:
        if broken == claim.name:
            out.claims.append(ClaimResult(claim.name, "never", claim.text, False,
                                          "reachable: see the trace", inner(result)))
        else:
            out.claims.append(ClaimResult(
                claim.name, "never", claim.text, broken is None and not out.stopped,
                f"holds in all {stats.distinct:,} states (depth {stats.depth})"
                if result.outcome is Outcome.HOLDS else "not decided"))
    if broken is not None and broken not in {c.name for c in never}:
        out.claims.append(ClaimResult(broken, "never", TIMED_PROPERTIES[broken].description,
                                      False,
                                      "violated: see the trace", inner(result)))

    for claim in (c for c in scenario.claims if c.kind == "can"):
        witness_model = ObservedModel(model, scenario.observer(model, [claim], witness=True),
                                      check_model=False)
        found = breadth_first(witness_model, symmetry=symmetry, budget=budget)
        if found.outcome is Outcome.VIOLATED:
            out.claims.append(ClaimResult(
                claim.name, "can", claim.text, True,
                f"witness: {found.counterexample.length} steps "  # type: ignore[union-attr]
                f"({found.stats.distinct:,} states searched)", inner(found)))
        else:
            if found.outcome is Outcome.STOPPED:
                out.stopped = found.stop_reason
            out.claims.append(ClaimResult(
                claim.name, "can", claim.text, False,
                f"no witness in all {found.stats.distinct:,} states"
                if found.outcome is Outcome.HOLDS else "not decided"))
    return out


def inner(result: SearchResult) -> Counterexample | None:
    """The trace of an observed search, as a trace of the spec's own states."""
    cex = result.counterexample
    if cex is None:
        return None
    return Counterexample(cex.property, cex.kind,
                          [TraceStep(s.action, s.state[0]) for s in cex.steps])
