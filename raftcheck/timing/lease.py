"""Can a Raft lease read be stale? A z3 model over all real-valued clock behaviours.

The scenario and the argument for why it is complete are in docs/lease.md. In short: n1 is the
old leader and starts a heartbeat round at real time 0; a quorum (n1 included) acknowledges it;
n1's lease runs for `lease` on n1's clock from the round's start. n2 becomes leader of a later
term with a quorum of votes and commits a write; a read n1 serves after that commit is stale.
A follower that acknowledged n1 grants no vote until its election timeout has passed on its own
clock since it heard the heartbeat. Every clock runs at a rate within [1 - drift, 1 + drift] of
real time. Each node's clock matters over a single interval only (n1: round start to read; a
voter: heartbeat to vote), and the local time a clock can measure over a real interval d is
exactly [(1 - drift) d, (1 + drift) d], so one linear variable per node stands for every clock,
and the question stays in linear real arithmetic, which z3 decides exactly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Literal

import z3

from ..spec.quorum import quorum_size

#: Relative step above the largest safe lease at which the boundary is confirmed as unsafe.
ABOVE_BOUNDARY = Fraction(1, 10**6)
MAX_NODES = 99

Number = int | float | str | Fraction
EventKind = Literal["round-start", "heartbeat", "ack", "isolated", "vote", "elected", "commit",
                    "read"]


class LeaseInputError(ValueError):
    """A lease question that makes no sense (negative time, drift >= 1, ...)."""


def exact(value: Number, name: str) -> Fraction:
    """A number as an exact fraction; floats and strings by their decimal text (0.01 is 1/100)."""
    try:
        if isinstance(value, float):
            return Fraction(repr(value))
        return Fraction(value)
    except (ValueError, TypeError, ZeroDivisionError):
        raise LeaseInputError(f"{name}: expected a number, got {value!r}") from None


def name(index: int) -> str:
    return f"n{index + 1}"


@dataclass(frozen=True)
class LeaseQuestion:
    """Timing parameters, all in one time unit of the user's choice; drift is a rate (0.01 = 1%).

    The election timeout is randomised in [election_min, election_max]; nodes is the cluster
    size (the answer does not depend on it for nodes >= 3; see docs/lease.md).
    """

    election_min: Fraction
    election_max: Fraction
    heartbeat: Fraction
    lease: Fraction
    drift: Fraction
    nodes: int = 3

    @classmethod
    def of(cls, election_min: Number, election_max: Number | None = None, *,
           heartbeat: Number, lease: Number, drift: Number, nodes: int = 3) -> LeaseQuestion:
        """Build and validate a question from ints, floats, decimal strings or fractions."""
        low = exact(election_min, "election timeout")
        high = low if election_max is None else exact(election_max, "election timeout maximum")
        question = cls(low, high, exact(heartbeat, "heartbeat"), exact(lease, "lease"),
                       exact(drift, "drift"), nodes)
        question.validate()
        return question

    def validate(self) -> None:
        if self.election_min <= 0:
            raise LeaseInputError(f"election timeout must be > 0, got {show(self.election_min)}")
        if self.election_max < self.election_min:
            raise LeaseInputError(
                f"election timeout range {show(self.election_min)},{show(self.election_max)} "
                "is empty: give MIN,MAX with MIN <= MAX")
        if self.heartbeat <= 0:
            raise LeaseInputError(f"heartbeat must be > 0, got {show(self.heartbeat)}")
        if self.heartbeat >= self.election_min:
            raise LeaseInputError(
                f"heartbeat {show(self.heartbeat)} must be shorter than the minimum election "
                f"timeout {show(self.election_min)}, or followers time out between heartbeats")
        if self.lease <= 0:
            raise LeaseInputError(f"lease must be > 0, got {show(self.lease)}")
        if not 0 <= self.drift < 1:
            raise LeaseInputError(f"drift must be in [0, 1) (a clock rate bound such as 0.01), "
                                  f"got {show(self.drift)}")
        if self.nodes < 3:
            raise LeaseInputError(
                f"nodes must be at least 3, got {self.nodes}: with fewer, every quorum holds the "
                "old leader, which steps down before voting, so no other leader can commit")
        if self.nodes > MAX_NODES:
            raise LeaseInputError(f"nodes must be at most {MAX_NODES}, got {self.nodes} (the "
                                  "answer is the same for every cluster of 3 or more)")

    @property
    def slowest(self) -> Fraction:
        return 1 - self.drift

    @property
    def fastest(self) -> Fraction:
        return 1 + self.drift

    def with_lease(self, lease: Fraction) -> LeaseQuestion:
        return LeaseQuestion(self.election_min, self.election_max, self.heartbeat, lease,
                             self.drift, self.nodes)


@dataclass(frozen=True)
class Event:
    """One step of a stale-read timeline. local is the acting node's clock at that real time."""

    real: Fraction
    node: str
    local: Fraction
    kind: EventKind
    what: str


@dataclass(frozen=True)
class Timeline:
    """A concrete behaviour from the z3 model in which the old leader serves a stale read.

    Every clock reads 0 at real time 0 (the round's start) and runs at a constant rate; this
    loses no behaviour (see the module docstring).
    """

    events: tuple[Event, ...]
    rates: dict[str, Fraction]
    timeouts: dict[str, Fraction]
    old_leader: str
    new_leader: str
    acknowledged: tuple[str, ...]
    voters: tuple[str, ...]

    def first(self, kind: EventKind, node: str | None = None) -> Event:
        return next(e for e in self.events if e.kind == kind and node in (None, e.node))


@dataclass(frozen=True)
class LeaseVerdict:
    """The answer for one LeaseQuestion.

    safe: no clock behaviour within the drift bound lets the old leader serve a read after the
    new leader committed. largest_safe_lease is z3's optimum (the least local time the old
    leader's clock can show at the new leader's earliest commit); closed_form is the same
    bound solved by hand, election_min * (1 - drift) / (1 + drift). boundary_confirmed is None
    when not checked, else whether z3 found the largest safe lease safe and a lease
    ABOVE_BOUNDARY (relative) above it unsafe.
    """

    question: LeaseQuestion
    safe: bool
    inequality: str
    largest_safe_lease: Fraction
    closed_form: Fraction
    boundary_confirmed: bool | None
    timeline: Timeline | None
    notes: tuple[str, ...] = field(default=())

    @property
    def agrees(self) -> bool:
        """z3's verdict, its optimum and the boundary check all match the closed form."""
        return (self.safe == (self.question.lease <= self.closed_form)
                and self.largest_safe_lease == self.closed_form
                and self.boundary_confirmed is not False)


def closed_form_lease(election_min: Fraction, drift: Fraction) -> Fraction:
    """Largest safe lease: a fast follower times out after election_min / (1 + drift) real time,
    during which a slow leader's clock advances only (1 - drift) times as much."""
    return election_min * (1 - drift) / (1 + drift)


def show(value: Fraction) -> str:
    """A fraction for people: an integer, a short decimal, or rounded to 4 places with '~'."""
    if value.denominator == 1:
        return str(value.numerator)
    rounded = round(value, 4)
    text = f"{float(rounded):.4f}".rstrip("0").rstrip(".")
    return text if rounded == value else f"~{text}"


INEQUALITY = "lease <= election_min * (1 - drift) / (1 + drift)"


def inequality_text(question: LeaseQuestion, bound: Fraction) -> str:
    """The safe condition with the question's numbers, e.g. 'holds: 140 <= 150 * 0.99 / 1.01 =
    ~147.0297' ('~' marks a rounded value)."""
    holds = question.lease <= bound
    return (f"{INEQUALITY} {'holds' if holds else 'fails'}: "
            f"{show(question.lease)} {'<=' if holds else '>'} {show(question.election_min)} * "
            f"{show(question.slowest)} / {show(question.fastest)} = {show(bound)}")


def rational(number: z3.ExprRef) -> Fraction:
    if z3.is_int_value(number):
        return Fraction(number.as_long())
    if z3.is_rational_value(number):
        return Fraction(number.numerator_as_long(), number.denominator_as_long())
    raise RuntimeError(f"z3 gave {number}, not a rational number")


def value(model: z3.ModelRef, term: z3.ArithRef) -> Fraction:
    return rational(model.eval(term, model_completion=True))


class Scenario:
    """The z3 variables and constraints of one question, without the lease itself.

    Node 0 is the old leader, node 1 the new leader; the others are followers. Real time 0 is
    the start of the old leader's heartbeat round whose lease serves the read.
    """

    def __init__(self, question: LeaseQuestion) -> None:
        self.question = question
        n = question.nodes
        real = z3.RealVal
        slow, fast = real(question.slowest), real(question.fastest)
        self.acked = [z3.Bool(f"acked_{name(i)}") for i in range(n)]
        self.votes = [z3.Bool(f"votes_{name(i)}") for i in range(n)]
        self.heard = [z3.Real(f"heard_{name(i)}") for i in range(n)]
        self.ack_back = [z3.Real(f"ack_back_{name(i)}") for i in range(n)]
        self.voted = [z3.Real(f"voted_{name(i)}") for i in range(n)]
        self.timeout = [z3.Real(f"timeout_{name(i)}") for i in range(n)]
        self.waited = [z3.Real(f"waited_{name(i)}") for i in range(n)]
        self.elected = z3.Real("elected")
        self.commit = z3.Real("commit")
        self.constraints: list[z3.BoolRef] = []
        add = self.constraints.append

        def counted(flags: list[z3.BoolRef]) -> z3.ArithRef:
            return z3.Sum([z3.If(f, 1, 0) for f in flags])

        # The old leader counts itself in its round's quorum; a candidate votes for itself.
        add(self.acked[0])
        add(self.heard[0] == 0)
        add(self.ack_back[0] == 0)
        add(self.votes[1])
        add(counted(self.acked) >= quorum_size(n))
        add(counted(self.votes) >= quorum_size(n))
        for i in range(n):
            add(self.timeout[i] >= real(question.election_min))
            add(self.timeout[i] <= real(question.election_max))
            add(self.heard[i] >= 0)
            add(self.ack_back[i] >= self.heard[i])
            add(z3.Implies(self.votes[i], self.elected >= self.voted[i]))
            # Votes answer the candidate's RequestVote, sent once it has voted for itself.
            add(z3.Implies(self.votes[i], self.voted[i] >= self.voted[1]))
            if i == 0:
                continue
            # A follower that acknowledged and then votes in the new term must have let its
            # election timeout pass on its own clock since the heartbeat; a follower that voted
            # first would have rejected the old leader's heartbeat, so the order is fixed.
            span = self.voted[i] - self.heard[i]
            add(z3.Implies(z3.And(self.acked[i], self.votes[i]), z3.And(
                span >= 0, self.waited[i] >= slow * span, self.waited[i] <= fast * span,
                self.waited[i] >= self.timeout[i])))
        add(self.commit >= self.elected)
        # Nodes n3.. are interchangeable: order them by role (acknowledged first, then voters)
        # so that z3 need not refute every permutation; without this, unsat proofs grow
        # exponentially with the cluster size.
        role = [2 * z3.If(self.acked[i], 1, 0) + z3.If(self.votes[i], 1, 0) for i in range(n)]
        for i in range(2, n - 1):
            add(role[i] >= role[i + 1])

    def leader_elapsed(self, until: z3.ArithRef, name_: str) -> tuple[z3.ArithRef,
                                                                       list[z3.BoolRef]]:
        """A variable for the old leader's local time elapsed from real 0 to `until`, with the
        constraints that the old leader is still leader then and has the acks it counted."""
        n = self.question.nodes
        elapsed = z3.Real(name_)
        slow, fast = z3.RealVal(self.question.slowest), z3.RealVal(self.question.fastest)
        facts = [until >= 0, elapsed >= slow * until, elapsed <= fast * until]
        # A leader that grants a vote for a later term has stepped down first.
        facts.append(z3.Implies(self.votes[0], until < self.voted[0]))
        facts += [z3.Implies(self.acked[i], until >= self.ack_back[i]) for i in range(1, n)]
        return elapsed, facts


def stale_read(question: LeaseQuestion, *, lease_used_at_most: Fraction | None = None
               ) -> Timeline | None:
    """A behaviour in which the old leader serves a lease read after the new leader committed,
    or None when no clock behaviour within the drift bound allows one.

    lease_used_at_most further asks for a read by that local time on the old leader's clock,
    which only serves to spread a witness out so that its steps are apart when printed.
    """
    scenario = Scenario(question)
    read = z3.Real("read")
    elapsed, facts = scenario.leader_elapsed(read, "lease_used")
    solver = z3.Solver()
    solver.add(*scenario.constraints, *facts)
    solver.add(read > scenario.commit, elapsed < z3.RealVal(question.lease))
    if lease_used_at_most is not None:
        solver.add(elapsed <= z3.RealVal(lease_used_at_most))
    if solver.check() != z3.sat:
        return None
    return timeline(scenario, solver.model(), read, elapsed)


def optimum_lease(question: LeaseQuestion) -> Fraction:
    """The least local time the old leader's clock can show at the new leader's commit: every
    lease up to it is safe and every longer one is not (docs/lease.md)."""
    scenario = Scenario(question)
    elapsed, facts = scenario.leader_elapsed(scenario.commit, "leader_clock_at_commit")
    opt = z3.Optimize()
    opt.add(*scenario.constraints, *facts)
    goal = opt.minimize(elapsed)
    if opt.check() != z3.sat:
        raise RuntimeError("the lease scenario has no behaviour at all: a bug in the model")
    return rational(opt.lower(goal))


def check_lease(question: LeaseQuestion, *, confirm_boundary: bool = True) -> LeaseVerdict:
    """Decide whether a lease read can be stale, and find the largest safe lease.

    With confirm_boundary, z3 also checks the largest safe lease (must be safe) and a lease
    ABOVE_BOUNDARY above it (must be unsafe); a grid sweep can turn it off for speed.
    """
    question.validate()
    found = stale_read(question)
    best = optimum_lease(question)
    if found is not None and question.lease > best:
        found = stale_read(question, lease_used_at_most=(question.lease + best) / 2) or found
    confirmed = None
    if confirm_boundary:
        above = best * (1 + ABOVE_BOUNDARY)
        confirmed = (stale_read(question.with_lease(best)) is None
                     and stale_read(question.with_lease(above)) is not None)
    closed = closed_form_lease(question.election_min, question.drift)
    return LeaseVerdict(question=question, safe=found is None,
                        inequality=inequality_text(question, closed), largest_safe_lease=best,
                        closed_form=closed, boundary_confirmed=confirmed, timeline=found,
                        notes=notes(question, closed))


def notes(question: LeaseQuestion, bound: Fraction) -> tuple[str, ...]:
    """Where the heartbeat interval matters: not to safety, but to liveness and usefulness."""
    out = []
    if question.election_max > question.election_min:
        out.append(f"only the minimum election timeout {show(question.election_min)} matters: "
                   "a follower may draw it, so the maximum cannot make a lease safer")
    # A slow leader's heartbeat gap vs a fast follower's timeout: the same bound as the lease.
    if question.heartbeat >= bound:
        out.append(f"heartbeat {show(question.heartbeat)} >= {show(bound)}: a leader with a "
                   "slow clock can leave a fast-clocked follower without a heartbeat for its "
                   "whole election timeout, causing elections with no fault at all")
    if question.lease <= question.heartbeat:
        out.append(f"lease {show(question.lease)} <= heartbeat {show(question.heartbeat)}: the "
                   "lease runs out before the next round renews it, so some reads need ReadIndex")
    return tuple(out)


def timeline(scenario: Scenario, model: z3.ModelRef, read: z3.ArithRef,
             elapsed: z3.ArithRef) -> Timeline:
    q = scenario.question
    n = q.nodes
    acked = [i for i in range(n) if z3.is_true(model.eval(scenario.acked[i], True))]
    voters = [i for i in range(n) if z3.is_true(model.eval(scenario.votes[i], True))]
    heard = {i: value(model, scenario.heard[i]) for i in acked}
    voted = {i: value(model, scenario.voted[i]) for i in voters}
    back = {i: value(model, scenario.ack_back[i]) for i in acked}
    t_read = value(model, read)
    rates = {name(i): Fraction(1) for i in range(n)}
    # One constant rate per node reproduces the local time z3 chose over its one interval.
    if t_read > 0:
        rates[name(0)] = value(model, elapsed) / t_read
    for i in acked:
        if i in voters and i != 0 and voted[i] > heard[i]:
            rates[name(i)] = value(model, scenario.waited[i]) / (voted[i] - heard[i])
    timeouts = {name(i): value(model, scenario.timeout[i]) for i in range(n)}
    t_elected, t_commit = value(model, scenario.elected), value(model, scenario.commit)
    old, new = name(0), name(1)

    def at(i: int, real: Fraction, kind: EventKind, what: str) -> Event:
        return Event(real, name(i), rates[name(i)] * real, kind, what)

    lease_end = q.lease
    events = [at(0, Fraction(0), "round-start",
                 f"{old} (leader) starts a heartbeat round: lease until local {show(lease_end)}")]
    for i in acked[1:]:
        events.append(at(i, heard[i], "heartbeat",
                         f"{name(i)} gets the heartbeat and acknowledges; its election timer "
                         f"({show(timeouts[name(i)])}) restarts"))
        events.append(at(0, back[i], "ack", f"{old} receives {name(i)}'s acknowledgement"))
    last_ack = max(back.values())
    events.append(at(0, last_ack, "isolated",
                     f"{old} holds acks from {{{', '.join(name(i) for i in acked)}}}, a quorum; "
                     f"from here on nothing it sends arrives"))
    for i in voters:
        if i in acked:
            since = f"{show(rates[name(i)] * (voted[i] - heard[i]))} since the heartbeat"
            why = f"its timeout {show(timeouts[name(i)])} has passed ({since})"
        else:
            why = f"it did not acknowledge {old}'s round"
        who = "votes for itself" if i == 1 else f"grants its vote to {new}"
        events.append(at(i, voted[i], "vote", f"{name(i)} {who}: {why}"))
    events.append(at(1, t_elected, "elected",
                     f"{new} becomes leader of a later term with votes from "
                     f"{{{', '.join(name(i) for i in voters)}}}"))
    events.append(at(1, t_commit, "commit", f"{new} commits a write w"))
    used = rates[old] * t_read
    events.append(at(0, t_read, "read",
                     f"{old} serves a lease read ({show(lease_end - used)} of its lease left): "
                     f"stale, it misses w"))
    order = {kind: k for k, kind in enumerate(
        ("round-start", "heartbeat", "ack", "isolated", "vote", "elected", "commit", "read"))}
    events.sort(key=lambda e: (e.real, order[e.kind]))
    return Timeline(events=tuple(events), rates=rates, timeouts=timeouts, old_leader=old,
                    new_leader=new, acknowledged=tuple(name(i) for i in acked),
                    voters=tuple(name(i) for i in voters))
