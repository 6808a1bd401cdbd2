"""One shard of a search shared among processes: the states whose fingerprints it owns.

The search is search.py's, cut by fingerprint: shard k of N keeps (visited.py) the states whose
owner key is k modulo N, and expands its part of each level's frontier. A level goes:

1. expand(): each shard computes the successors of its frontier states and sorts them by owner:
   those it owns stay, the others are packed into one batch per peer, together with the
   components the model named meanwhile (model.new_components) and each candidate's place in
   the search order: (rank of its parent in the frontier, index among the parent's steps).
2. absorb(batches): each shard takes what its peers found for it, orders every candidate of the
   level by that place, and offers them to its visited set in that order: exactly the order of
   the one-process search, so budget subsumption (visited.py), which depends on the order,
   keeps exactly the states the one-process search keeps.
3. ranks: the shards exchange the places of the states they kept (sorted keys, 8 bytes a
   state) and each learns the rank of its own in the whole level: the order of the next.

Violations are reported with their place in the order; the least one is the one-process
search's. Nothing here knows how batches travel: parallel.py moves them between local
processes, ray_engine.py through Ray's object store.
"""

from __future__ import annotations

import pickle
from array import array
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path
from typing import Any

import numpy as np

from .checkpoint import Checkpoint
from .model import Model, State
from .result import Counterexample, Outcome, SearchResult, Statistics
from .search import CHECK_EVERY, MET_LIMIT
from .trace import Entry, rebuild
from .visited import LevelStore

#: A place in the search order: parent rank << STEP_BITS | index of the step.
STEP_BITS = 16
#: Fingerprints remembered per level as met (a cache: forgetting costs time only).
SEEN_LIMIT = 1 << 20


@dataclass
class Batch:
    """What one shard sends another for one level."""

    components: list  # (kind, name, value), oldest first
    places: bytes  # int64 per candidate
    parents: bytes  # int64 per candidate: parent link (index * shards + shard)
    states: bytes  # packed ints (model.state_width per state) or a pickled list
    count: int


@dataclass
class LevelReport:
    """What a shard tells the coordinator at the end of a level."""

    kept: int  # states kept in this level
    generated: int  # successors computed in this level
    frontier: int  # states to expand in the next level
    violation: tuple | None  # (place, property, kind, level, link, last_step) of the least


@dataclass
class Shard:
    model: Model
    index: int
    count: int
    symmetry: bool = False
    spill: Path | None = None
    store: LevelStore = field(init=False)

    def __post_init__(self) -> None:
        self.canonical: Callable | None = self.model.canonical if self.symmetry else None
        self.store = LevelStore(self.model, self.spill)
        self.start = self.model.budget_start
        self.lifted = self.model.lifted if self.start is not None else None
        self.width = self.model.state_width
        self.level = 0  # levels complete
        self.frontier: list[State] = []
        self.links: list[int] = []  # each frontier state's index in its level's arrays
        self.ranks: list[int] = []  # each frontier state's rank in the whole level
        self._own: list[tuple] = []  # (place, parent link, state) to offer here, in order
        self._met: set[int] = set()
        self._seen: set[int] = set()  # canonical fingerprints of the level before
        self.generated = 0
        self.violation: tuple | None = None
        self.places: list[int] = []  # the search-order place of each state kept last level
        # the ranks of the last level expanded, and how many steps each state had
        self._expanded: tuple[list[int], list[int]] = ([], [])
        self._pending: list[State] = []  # kept tentatively in this level (visited.py)
        self._pending_places: list[int] = []
        first = next(iter(self.model.initial_states()))
        self.keyed = self.model.shard_key(first) is not None
        self.model.new_components()  # from here on, what this process names is recorded
        self.named: list = []  # components named since the last checkpoint

    def owner(self, state: Any, fingerprint: int) -> int:
        """Which shard keeps a state: by the model's shard_key, else by its fingerprint or,
        where the model has budgets, by its budget-free part, lifted where the model lifts it
        (a state and every state that may cover it must meet in one place)."""
        key = self.model.shard_key(state)
        if key is not None:
            return key % self.count
        if self.start is None:
            return fingerprint % self.count
        lifted = self.lifted(state)  # type: ignore[misc]
        return hash(state[:self.start] if lifted is None else lifted) % self.count

    # --- level 0 ----------------------------------------------------------------------------

    def start_with(self, initial: list[State]) -> LevelReport:
        """Keep the initial states this shard owns (already canonical), then close level 0."""
        self._pending, self._pending_places = [], []
        self._own = [(place, 0, state) for place, state in enumerate(initial)
                     if self.owner(state, hash(state)) == self.index]
        return self.absorb([])

    # --- 1. expand --------------------------------------------------------------------------

    def expand(self, should_stop: Callable[[], bool] | None = None) -> list[Batch | None]:
        """Successors of this shard's frontier: the owned ones offered to the visited set
        (without budgets, where order does not matter, at once; with budgets kept for absorb,
        to be offered in search order), a batch for every other shard (None for this one)."""
        model, canonical, count, me = self.model, self.canonical, self.count, self.index
        successors = model.successors
        start = self.start
        lifted = self.lifted
        # The model's key, where it has one, sends the states its memo tables and verdict
        # cache serve to one shard (and is cheaper than lifting every state).
        shard_key = model.shard_key if self.keyed else None
        store = self.store
        outboxes: list[list[tuple]] = [[] for _ in range(count)]
        self._own = outboxes[me]  # (place, parent link, state) to offer in order
        pending, pending_places = self._pending, self._pending_places = [], []
        met_before, met_now = self._met, set()
        seen_before, seen_now = self._seen, set()
        plain = start is None
        if plain:
            now, older, oldest, add_now, add_fingerprint, add_parent = store.plain_offer()
        generated = 0
        violation = None
        steps_of: list[int] = []
        self._expanded = (self.ranks, steps_of)
        for position, state in enumerate(self.frontier):
            parent = self.links[position] * count + me
            base = self.ranks[position] << STEP_BITS
            steps = successors(state)
            steps_of.append(len(steps))
            for step, (action, successor, broken) in enumerate(steps):
                generated += 1
                if broken:
                    place = base | step
                    if violation is None or place < violation[0]:
                        violation = (place, broken, "transition", self.level - 1, parent,
                                     (action, broken))
                    continue
                if canonical:
                    exact = hash(successor)
                    if exact in met_now or exact in met_before:
                        continue
                    if len(met_now) < MET_LIMIT:
                        met_now.add(exact)
                    successor = canonical(successor)
                fingerprint = hash(successor)
                if fingerprint in seen_now or fingerprint in seen_before:
                    continue  # sent or kept for absorb in this level or the one before
                if shard_key is not None:
                    owner = shard_key(successor) % count
                elif plain:
                    owner = fingerprint % count
                else:
                    up = lifted(successor)  # type: ignore[misc]
                    owner = hash(successor[:start] if up is None else up) % count
                if owner != me:
                    if len(seen_now) < SEEN_LIMIT:
                        seen_now.add(fingerprint)
                    outboxes[owner].append((base | step, parent, successor))
                elif plain:  # offered at once: without budgets the order does not matter
                    if fingerprint in now or fingerprint in older or fingerprint in oldest:
                        continue
                    add_now(fingerprint)  # type: ignore[misc]
                    add_fingerprint(fingerprint)
                    add_parent(parent)
                    pending.append(successor)
                    pending_places.append(base | step)
                else:  # offered in search order in absorb
                    if len(seen_now) < SEEN_LIMIT:
                        seen_now.add(fingerprint)
                    outboxes[me].append((base | step, parent, successor))
            if should_stop is not None and position % CHECK_EVERY == 0 and should_stop():
                break
        self._met, self._seen = met_now, seen_now
        self.generated = generated
        self.violation = violation
        components = model.new_components()
        self.named += components
        return [None if peer == me else self._pack(components, outboxes[peer])
                for peer in range(count)]

    def _pack(self, components: list, candidates: list[tuple]) -> Batch:
        places, parents, states = zip(*candidates, strict=True) if candidates else ((), (), ())
        if self.width is not None:
            packed = np.fromiter(chain.from_iterable(states), dtype=np.int64,
                                 count=len(states) * self.width).tobytes()
        else:
            packed = pickle.dumps(states, protocol=pickle.HIGHEST_PROTOCOL)
        return Batch(components, np.array(places, dtype=np.int64).tobytes(),
                     np.array(parents, dtype=np.int64).tobytes(), packed, len(states))

    def _unpack(self, batch: Batch) -> tuple[list, list, list]:
        if self.width is not None:
            flat = array("q")
            flat.frombytes(batch.states)
            states = list(zip(*[iter(flat.tolist())] * self.width, strict=True))
        else:
            states = pickle.loads(batch.states)
        places, parents = array("q"), array("q")
        places.frombytes(batch.places)
        parents.frombytes(batch.parents)
        return places.tolist(), parents.tolist(), states

    # --- 2. absorb --------------------------------------------------------------------------

    def absorb(self, batches: list[Batch | None]) -> LevelReport:
        """Take the peers' batches for this shard, offer their candidates (in search order
        where order matters), close the level and check the survivors' properties in search
        order."""
        adopt = self.model.adopt
        places, parents, states = (list(part) for part in zip(*self._own, strict=True)) \
            if self._own else ([], [], [])
        for batch in batches:
            if batch is None:
                continue
            for kind, key, value in batch.components:
                adopt(kind, key, value)
            more = self._unpack(batch)
            places += more[0]
            parents += more[1]
            states += more[2]
        self._own = []
        order: Any = range(len(places))
        if self.start is not None:
            order = np.argsort(np.array(places, dtype=np.int64), kind="stable").tolist()
        offer = self.store.offer
        pending, pending_places = self._pending, self._pending_places
        for k in order:
            state = states[k]
            if offer(state, hash(state), parents[k]):
                pending.append(state)
                pending_places.append(places[k])
        self._pending, self._pending_places = [], []
        alive, position = self.store.close_level()
        survivors = alive.nonzero()[0]
        in_order = np.argsort(np.array(pending_places, dtype=np.int64)[survivors],
                              kind="stable")
        links = position[in_order].tolist()
        check_state = self.model.check_state
        frontier: list[State] = []
        self.places = []
        violation = self.violation
        for k in survivors[in_order].tolist():
            state = pending[k]
            place = pending_places[k]
            if violation is None or place < violation[0]:
                broken = check_state(state)
                if broken:
                    link = links[len(frontier)] * self.count + self.index
                    violation = (place, broken, "state", self.level, link, None)
            frontier.append(state)
            self.places.append(place)
        self.violation = violation
        self.level += 1
        self.frontier, self.links = frontier, links
        return LevelReport(len(frontier), self.generated, len(frontier), violation)

    def counts_before(self, place: int, inclusive: bool) -> tuple[int, int]:
        """(states this shard kept in the last level before the place in the search order, or
        at it too where inclusive; successors it generated up to it): what the one-process
        search had counted when it met the violation at that place."""
        kept = int(np.searchsorted(np.array(self.places, dtype=np.int64), place,
                                   side="right" if inclusive else "left"))
        ranks, steps = self._expanded
        rank, step = place >> STEP_BITS, place & ((1 << STEP_BITS) - 1)
        generated = 0
        for parent_rank, count in zip(ranks, steps, strict=False):
            if parent_rank < rank:
                generated += count
            elif parent_rank == rank:
                generated += step + 1
        return kept, generated

    # --- 3. ranks ---------------------------------------------------------------------------

    def kept_places(self) -> np.ndarray:
        """The places of this level's kept states, ascending."""
        return np.array(self.places, dtype=np.int64)

    def set_ranks(self, places_by_shard: list[np.ndarray]) -> None:
        """Each kept state's rank in the whole level, from every shard's kept places."""
        mine = places_by_shard[self.index]
        ranks = np.arange(len(mine), dtype=np.int64)
        for shard, theirs in enumerate(places_by_shard):
            if shard != self.index and len(theirs):
                ranks += np.searchsorted(theirs, mine)
        self.ranks = ranks.tolist()

    # --- checkpoints --------------------------------------------------------------------------

    def save(self, checkpoint: Checkpoint) -> None:
        checkpoint.save_shard(self.index, self.store, self.frontier, self.links, self.ranks,
                              self.named + self.model.new_components())
        self.named = []

    def restore(self, checkpoint: Checkpoint, levels: int, shards: int) -> LevelReport:
        """Continue from the checkpoint: every shard's components, this shard's levels."""
        named = checkpoint.components(shards)
        # A shard's log may name a bag of messages another shard's log names: bags last.
        for kind, key, value in sorted(named, key=lambda c: c[0] == "bag"):
            self.model.adopt(kind, key, value)
        self.frontier, self.links, self.ranks = checkpoint.load_shard(self.index, levels,
                                                                      self.store)
        self.level = levels
        return LevelReport(0, 0, len(self.frontier), None)

    # --- parent links -----------------------------------------------------------------------

    def entry(self, level: int, index: int) -> tuple[int, int, int | None]:
        return self.store.entry(level, index)


# --- what the coordinator of the shards does (parallel.py, ray_engine.py) -------------------

def add_up(stats: Statistics, reports: list[LevelReport], level: int) -> tuple[int, tuple | None]:
    """Add the shards' reports of a level to the statistics: (the states to expand next, the
    least violation: the one the one-process search meets first)."""
    stats.distinct += sum(r.kept for r in reports)
    stats.generated += sum(r.generated for r in reports)
    found = [r.violation for r in reports if r.violation is not None]
    frontier = sum(r.frontier for r in reports)
    stats.queue = frontier
    if frontier or found:
        stats.depth = level
    return frontier, min(found, key=lambda v: v[0]) if found else None


def count_to(stats: Statistics, reports: list[LevelReport],
             counts: list[tuple[int, int]]) -> None:
    """The counts the one-process search has when it meets the violation: this level's states
    and steps only up to it (counts: each shard's counts_before)."""
    stats.distinct += sum(kept for kept, _ in counts) - sum(r.kept for r in reports)
    stats.generated += sum(generated for _, generated in counts) - sum(
        r.generated for r in reports)


def sharded_result(model: Model, canonical: Callable | None, checked: list[str],
                   stats: Statistics, violation: tuple | None, reason: str | None,
                   entry: Entry, shards: int) -> SearchResult:
    """The result of a sharded search: the violation's trace rebuilt through entry (each
    shard's parent links), else stopped for the reason, else holds."""
    result = SearchResult(Outcome.HOLDS, stats, checked)
    if violation is not None:
        _, prop, kind, level, link, last_step = violation
        steps = rebuild(model, canonical, entry, shards, level, link, last_step)
        result.outcome = Outcome.VIOLATED
        result.counterexample = Counterexample(prop, kind, steps)
        stats.depth = len(steps)
    elif reason:
        result.outcome, result.stop_reason = Outcome.STOPPED, reason
    else:
        stats.queue = 0
    return result
