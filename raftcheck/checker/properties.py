"""Liveness properties: named temporal formulas over state predicates.

Three forms, each with an optional assumption A that holds "from some point on" (◇□A: e.g. the
network is healed and stays healed). A property is checked as (◇□A) ⇒ formula:

- eventually always P   ◇□P   violated by a fair behaviour that, with A from some point on,
                               is in a ¬P state infinitely often;
- always eventually P   □◇P   violated by one that from some point on is always in A ∧ ¬P;
- P leads to Q          P ~> Q violated by one that reaches a P state, is never in a Q state
                               from there on, and is in A from some point on.

Predicates are callables on states, or names that the model resolves through its optional
`predicates()` mapping (name -> callable), so a spec can publish "Healed", "LeaderExists", ... and
a caller can write `leads_to("EventuallyCommits", "WritePending", "WriteCommitted",
assume="Healed")` or `parse_property("EventuallyCommits", "WritePending ~> WriteCommitted
assuming Healed")`. A leading "!" negates a named predicate.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

Predicate = Callable[[Any], bool]
PredicateRef = Predicate | str


class Kind(StrEnum):
    EVENTUALLY_ALWAYS = "eventually always"  # ◇□P
    ALWAYS_EVENTUALLY = "always eventually"  # □◇P
    LEADS_TO = "leads to"  # P ~> Q


class PropertyError(ValueError):
    """A property names a predicate the model does not have, or cannot be parsed."""


@dataclass(frozen=True)
class LivenessProperty:
    name: str
    kind: Kind
    p: PredicateRef
    q: PredicateRef | None = None  # only for LEADS_TO
    assume: PredicateRef | None = None  # ◇□assume is assumed; None: no assumption

    def __post_init__(self) -> None:
        if (self.kind is Kind.LEADS_TO) != (self.q is not None):
            raise PropertyError(f"{self.name}: Q is given exactly for 'leads to'")

    def formula(self) -> str:
        """The property in the syntax parse_property reads (callables by their __name__)."""
        p, q = _label(self.p), _label(self.q)
        text = {Kind.EVENTUALLY_ALWAYS: f"<>[] {p}", Kind.ALWAYS_EVENTUALLY: f"[]<> {p}",
                Kind.LEADS_TO: f"{p} ~> {q}"}[self.kind]
        return text if self.assume is None else f"{text} assuming {_label(self.assume)}"


def eventually_always(name: str, p: PredicateRef, *,
                      assume: PredicateRef | None = None) -> LivenessProperty:
    return LivenessProperty(name, Kind.EVENTUALLY_ALWAYS, p, assume=assume)


def always_eventually(name: str, p: PredicateRef, *,
                      assume: PredicateRef | None = None) -> LivenessProperty:
    return LivenessProperty(name, Kind.ALWAYS_EVENTUALLY, p, assume=assume)


def leads_to(name: str, p: PredicateRef, q: PredicateRef, *,
             assume: PredicateRef | None = None) -> LivenessProperty:
    return LivenessProperty(name, Kind.LEADS_TO, p, q, assume=assume)


_NAME = r"!?[A-Za-z_][\w.]*"
_SYNTAX = re.compile(
    rf"\s*(?:(?P<ea><>\[\]|\[\]<>)\s*(?P<p>{_NAME})|(?P<lp>{_NAME})\s*~>\s*(?P<lq>{_NAME}))"
    rf"\s*(?:assuming\s+(?P<a>{_NAME}))?\s*$")


def parse_property(name: str, text: str) -> LivenessProperty:
    """"<>[] P", "[]<> P" or "P ~> Q", each optionally followed by "assuming A"; P, Q and A
    name predicates (a leading "!" negates one)."""
    match = _SYNTAX.match(text)
    if match is None:
        raise PropertyError(f"{name}: cannot read {text!r}; write '<>[] P', '[]<> P' or "
                            "'P ~> Q', optionally followed by 'assuming A'")
    assume = match["a"]
    if match["ea"] == "<>[]":
        return eventually_always(name, match["p"], assume=assume)
    if match["ea"] == "[]<>":
        return always_eventually(name, match["p"], assume=assume)
    return leads_to(name, match["lp"], match["lq"], assume=assume)


def resolve(prop: LivenessProperty, model: Any) -> LivenessProperty:
    """The property with every predicate name replaced by the model's callable."""
    table: Mapping[str, Predicate] = model.predicates()

    def one(ref: PredicateRef | None) -> Predicate | None:
        if ref is None or callable(ref):
            return ref
        negate = ref.startswith("!")
        key = ref[1:] if negate else ref
        if key not in table:
            known = ", ".join(sorted(table)) or "none"
            raise PropertyError(f"{prop.name}: the model has no predicate {key!r} "
                                f"(it has: {known})")
        base = table[key]
        return (lambda state: not base(state)) if negate else base

    return replace(prop, p=one(prop.p), q=one(prop.q), assume=one(prop.assume))


def _label(ref: PredicateRef | None) -> str:
    if ref is None or isinstance(ref, str):
        return str(ref)
    return getattr(ref, "__name__", "P")
