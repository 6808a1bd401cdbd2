"""Running a scenario: one exhaustive search for its `never` claims (and the spec's own
properties), one breadth-first search per `can` claim for a shortest witness."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..checker.liveness import check_liveness
from ..checker.observer import ObservedModel
from ..checker.result import Counterexample, Outcome, SearchResult, TraceStep
from ..checker.search import Budget, breadth_first
from ..spec.config import SpecConfig
from ..spec.invariants import PROPERTIES
from ..spec.model import RaftModel
from ..spec.timed.config import TimedConfig, liveness_config
from ..spec.timed.model import TimedRaftModel
from ..spec.timed.properties import TIMED_PROPERTIES
from .catalog import Scenario
from .claims import Claim


@dataclass
class ClaimResult:
    name: str
    kind: str  # never | can | live | lasso
    text: str
    as_claimed: bool
    detail: str  # what the search found, one line
    # the witness (a lasso for a lasso-claim), or the trace that breaks a never- or live-claim
    trace: Counterexample | None = None
    model: RaftModel | TimedRaftModel | None = None  # the trace's model, if not the scenario's
    notes: list[str] = field(default_factory=list)  # what the check says of its bounds

    @property
    def seeks_witness(self) -> bool:
        """A claim that something can happen: its trace is a witness, not a counterexample."""
        return self.kind in ("can", "lasso")


@dataclass
class ScenarioResult:
    scenario: Scenario
    model: RaftModel | TimedRaftModel
    claims: list[ClaimResult] = field(default_factory=list)
    stopped: str | None = None  # a budget ended a search before it could decide
    seconds: float = 0.0  # how long it took (wall clock)

    @property
    def as_claimed(self) -> bool:
        return self.stopped is None and all(c.as_claimed for c in self.claims)

    @property
    def exit_code(self) -> int:
        return 3 if self.stopped else 0 if self.as_claimed else 1

    def model_of(self, claim: ClaimResult) -> RaftModel | TimedRaftModel:
        """The model a claim's trace is a trace of."""
        return claim.model or self.model


def build_model(config: SpecConfig | TimedConfig,
                properties: list[str]) -> RaftModel | TimedRaftModel:
    if isinstance(config, TimedConfig):
        return TimedRaftModel(config, properties)
    return RaftModel(config, properties, exact_network=True)


def run_scenario(scenario: Scenario, budget: Budget | None = None) -> ScenarioResult:
    never = [c for c in scenario.claims if c.kind == "never"]
    all_properties = TIMED_PROPERTIES if scenario.timed else PROPERTIES
    properties = list(scenario.properties or all_properties)
    # A never-claim about a property the spec checks on steps: the model checks it.
    properties += [c.step_property for c in never
                   if c.step_property and c.step_property not in properties]
    model = build_model(scenario.config, properties)
    # The timed model orders a round's messages by server: it has no symmetry reduction.
    symmetry = not scenario.timed
    out = ScenarioResult(scenario, model)

    # The never-claims and the spec's properties, in every state of the runs looked at.
    observed = ObservedModel(model, scenario.observer(model, never, witness=False))
    result = breadth_first(observed, symmetry=symmetry, budget=budget,
                           checked=properties + [c.name for c in never if not c.step_property])
    if result.outcome is Outcome.STOPPED:
        out.stopped = result.stop_reason
    broken = result.counterexample.property if result.counterexample else None
    stats = result.stats
    for claim in never:
        if broken is not None and broken in (claim.name, claim.step_property):
            out.claims.append(ClaimResult(claim.name, "never", claim.text, False,
                                          "reachable: see the trace", inner(result)))
        else:
            out.claims.append(ClaimResult(
                claim.name, "never", claim.text, broken is None and not out.stopped,
                f"holds in all {stats.distinct:,} states (depth {stats.depth})"
                if result.outcome is Outcome.HOLDS else "not decided"))
    if broken is not None and broken not in {n for c in never for n in (c.name, c.step_property)}:
        out.claims.append(ClaimResult(broken, "never", all_properties[broken].description,
                                      False,
                                      "violated: see the trace", inner(result)))

    for claim in (c for c in scenario.claims if c.kind == "can"):
        claim_model = model
        if claim.config is not None or claim.step_property:
            # Its own model: its config, and for a claim about steps only that property, so
            # that the search stops at the first step breaking it.
            claim_model = build_model(claim.config or scenario.config,
                                      [claim.step_property] if claim.step_property
                                      else properties)
        witness_model = ObservedModel(claim_model,
                                      scenario.observer(claim_model, [claim], witness=True),
                                      check_model=False)
        found = breadth_first(witness_model, symmetry=symmetry, budget=budget)
        reached = found.counterexample.property if found.counterexample else None
        trace_model = None if claim_model is model else claim_model
        if reached is not None and reached in (claim.name, claim.step_property):
            out.claims.append(ClaimResult(
                claim.name, "can", claim.text, True,
                f"witness: {found.counterexample.length} steps "  # type: ignore[union-attr]
                f"({found.stats.distinct:,} states searched)",
                inner(found), trace_model))
        elif reached is not None:  # a step broke another property of the spec first
            out.claims.append(ClaimResult(
                claim.name, "can", claim.text, False,
                f"not decided: {reached} broken first (see the trace)", inner(found),
                trace_model))
        else:
            if found.outcome is Outcome.STOPPED:
                out.stopped = found.stop_reason
            out.claims.append(ClaimResult(
                claim.name, "can", claim.text, False,
                f"no witness in all {found.stats.distinct:,} states"
                if found.outcome is Outcome.HOLDS else "not decided"))

    for claim in (c for c in scenario.claims if c.is_liveness):
        verdict = check_liveness_claim(claim, scenario, budget)
        if verdict.stopped:
            out.stopped = verdict.stopped
        out.claims.append(verdict.result)
    return out


@dataclass
class _LivenessVerdict:
    result: ClaimResult
    stopped: str | None


def check_liveness_claim(claim: Claim, scenario: Scenario,
                         budget: Budget | None) -> _LivenessVerdict:
    """A live or lasso claim, on the timed model with relative terms (its own config or the
    scenario's)."""
    config = claim.config or scenario.config
    assert isinstance(config, TimedConfig) and claim.liveness is not None
    model = TimedRaftModel(liveness_config(config))
    result = check_liveness(model, [claim.liveness], budget=budget)
    outcome = result.verdicts[claim.liveness.name]
    states = f"{result.stats.distinct:,} states"
    lasso = result.lassos.get(claim.liveness.name)
    notes = [n for n in result.notes if "premise holds" not in n]
    if outcome is Outcome.STOPPED:
        return _LivenessVerdict(ClaimResult(claim.name, claim.kind, claim.text, False,
                                            "not decided", None, model, notes),
                                result.stop_reason)
    if lasso is not None:
        cycle = lasso.length - (lasso.loop_start or 0)
        detail = (f"a fair behaviour breaks it: a lasso of {lasso.loop_start} steps, then "
                  f"{cycle} repeated forever ({states})")
        return _LivenessVerdict(ClaimResult(claim.name, claim.kind, claim.text,
                                            claim.kind == "lasso", detail, lasso, model, notes),
                                None)
    return _LivenessVerdict(ClaimResult(claim.name, claim.kind, claim.text,
                                        claim.kind == "live",
                                        f"every fair behaviour has it ({states})", None, model,
                                        notes), None)


def inner(result: SearchResult) -> Counterexample | None:
    """The trace of an observed search, as a trace of the spec's own states."""
    cex = result.counterexample
    if cex is None:
        return None
    return Counterexample(cex.property, cex.kind,
                          [TraceStep(s.action, s.state[0]) for s in cex.steps])
