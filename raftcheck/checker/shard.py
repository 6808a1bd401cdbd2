"""One shard of a search shared among processes.

The search is search.py's, cut in two ways. Each shard *owns* part of the visited set (the
states whose owner key is k modulo N: their fingerprints and parent links, visited.py) and
*holds* part of each level's frontier, which it expands. Every candidate carries its place in
the one-process search order: (rank of its parent in its level, index of the step). A level
goes:

1. expand(): each shard computes the successors of the states it holds, drops those it met in
   this level or the recent ones (its window, visited.RecentLevels: what it found or owns),
   and sends every other shard a batch for the candidates that shard owns, with the
   components the model named meanwhile (model.new_components).
2. decide(batches): each owner looks the candidates others found up in its window, picks the
   new states among those left, checks them against its older levels and closes its level of
   the visited set; it replies to each sender which of its candidates it kept.
3. settle(replies): the new states, in search order, are the next frontier; the shard checks
   their properties in that order (with budgets, decide did both already).
4. ranks: the shards exchange the places of the states they kept (8 bytes a state) and each
   learns the rank of its own in the whole level: the order of the next.
5. moves(), take_moves(): where states stay with their finder, the shards even out the
   frontiers they hold.

Where the model counts no budgets (model.budget_start is None), which states are kept does not
depend on the order: the owner keeps, of each new fingerprint, the candidate with the least
place (the one-process search records its parent), all in numpy, and the states stay with the
shard that found them; only fingerprints, places and parent links travel, 24 bytes a
candidate, and states move only to even out the frontiers. Where the model counts budgets, a
state is skipped when one with no more budget used was kept before it (visited.py): the
candidates then travel whole to their owner, which offers them in place order, exactly the
one-process order, and holds the states it keeps.

Violations are reported with their place in the order; the least one is the one-process
search's. Nothing here knows how batches travel: parallel.py moves them between local
processes, ray_engine.py through Ray's object store.
"""

from __future__ import annotations

import pickle
from bisect import bisect_left
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path
from typing import Any

import numpy as np

from .checkpoint import Checkpoint
from .model import Model, State
from .result import Counterexample, Outcome, SearchResult, Statistics
from .search import CHECK_EVERY, MET_LIMIT, first_violation
from .trace import Entry, rebuild
from .visited import WINDOW, LevelStore, RecentLevels

#: A place in the search order: parent rank << STEP_BITS | index of the step.
STEP_BITS = 16
#: The part of visited.WINDOW each of N shards holds, times N.
WINDOW_PART = 2
#: Frontiers are evened out when one holds more than this share above its part, and more
#: than UNEVEN_SLACK states above it (small frontiers are not worth a move).
UNEVEN = 0.05
UNEVEN_SLACK = 16


@dataclass
class Batch:
    """What one shard sends another: candidates for it to decide on, or states to hold."""

    components: list  # (kind, name, value), oldest first
    places: bytes  # int64 per candidate
    parents: bytes  # int64 per candidate: parent link (index * shards + shard)
    fingerprints: bytes  # int64 per candidate without budgets: hash(state); else empty
    states: bytes  # packed ints (model.state_width per state), a pickled list, or nothing
    count: int
    ranks: bytes = b""  # int64 per state: rank in its level (states moved to even out)


class Candidates:
    """Successors found in one level, column by column, in search order."""

    __slots__ = ("fingerprints", "judged", "numbers", "parents", "places", "states")

    def __init__(self) -> None:
        self.states: list[State] = []
        self.fingerprints: list[int] = []
        self.places: list[int] | np.ndarray = []
        self.parents: list[int] | np.ndarray = []
        # While expand runs: each candidate's number among the successors the shard generated
        # in the level (one append, not a place and a parent link); its places and parents
        # come from them after the loop (Shard._place).
        self.numbers: list[int] = []
        # Without budgets: 0 for each candidate whose step said SAME_VERDICT (not judged again)
        self.judged = bytearray()

    def appends(self) -> tuple:
        return (self.states.append, self.fingerprints.append, self.places.append,
                self.parents.append)


@dataclass
class LevelReport:
    """What a shard tells the coordinator at the end of a level."""

    kept: int  # states kept in this level
    generated: int  # successors computed in this level
    frontier: int  # states to expand in the next level
    violation: tuple | None  # (place, property, kind, level, link, last_step) of the least


def _int64(values: Any) -> np.ndarray:
    return np.array(values, dtype=np.int64)


def _column(batches: list[Batch], name: str) -> list[np.ndarray]:
    return [np.frombuffer(getattr(b, name), dtype=np.int64) for b in batches]


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
        # A shard's window holds what it found and what it owns: about 2 / N of each level, so
        # with that part of WINDOW it spans as many levels as one process's.
        self.store = LevelStore(self.model, self.spill, share=min(1.0, WINDOW_PART / self.count))
        self.start = self.model.budget_start
        self.plain = self.start is None  # no budgets: states stay where they are found
        self.lifted = self.model.lifted if self.start is not None else None
        self.width = self.model.state_width
        self.level = 0  # levels complete
        self.frontier: list[State] = []
        self.links: list[int] = []  # each frontier state's parent link (index * N + owner)
        self.ranks: list[int] = []  # each frontier state's rank in the whole level
        self.places: list[int] = []  # each frontier state's place in the search order
        self._found = Candidates()  # this level's candidates (kept, or sent to owners)
        self._routes: list[np.ndarray] = []  # which of _found went to each owner (plain)
        self._columns: dict[str, np.ndarray] = {}  # _found's numbers as arrays (plain)
        self._distinct = True  # no fingerprint twice among _found
        self._met: set[int] = set()
        # The fingerprints this shard met in the recent levels (a cache: forgetting costs time
        # only). Without budgets, the store's window: the states it found and those it owns.
        # With budgets, the exact states it found (an owner then offers every candidate).
        self._known = (self.store.recent_levels if self.plain
                       else RecentLevels(max(WINDOW * WINDOW_PART // self.count, 1)))
        self._found_now: np.ndarray | list = []  # what this level's expand put in _known
        self.generated = 0
        self.violation: tuple | None = None
        self._report: LevelReport | None = None
        self._sizes: list[int] = []  # every shard's part of the frontier (with the ranks)
        # the ranks of the last level expanded, the number of each state's first step, and
        # how many steps there were in all
        self._expanded: tuple[list[int], list[int], int] = ([], [], 0)
        first = next(iter(self.model.initial_states()))
        self.keyed = self.model.shard_key(first) is not None
        self.model.new_components()  # from here on, what this process names is recorded
        self.named: list = []  # components named since the last checkpoint

    def owner(self, state: Any, fingerprint: int) -> int:
        """Which shard owns a state: without budgets, by its fingerprint; with budgets by the
        model's shard_key, else by its budget-free part, lifted where the model lifts it (a
        state and every state that may cover it must meet in one place)."""
        if self.plain:
            return fingerprint % self.count
        key = self.model.shard_key(state)
        if key is not None:
            return key % self.count
        lifted = self.lifted(state)  # type: ignore[misc]
        return hash(state[:self.start] if lifted is None else lifted) % self.count

    # --- level 0 ----------------------------------------------------------------------------

    def initial_level(self, initial: list[State]) -> list[Any]:
        """Level 0: decide on the initial states this shard owns (already canonical); the
        replies are for settle, as decide's."""
        found = self._found = Candidates()
        self._distinct = False
        keep, note_fingerprint, note_place, note_parent = found.appends()
        for place, state in enumerate(initial):
            fingerprint = hash(state)
            if self.owner(state, fingerprint) == self.index:
                keep(state)
                note_fingerprint(fingerprint)
                note_place(place)
                note_parent(0)
        if self.plain:
            self._route(found, [])
        return self.decide([None] * self.count)

    # --- 1. expand --------------------------------------------------------------------------

    def expand(self, should_stop: Callable[[], bool] | None = None) -> list[Batch | None]:
        """Successors of the frontier this shard holds that it has not met in this level or
        the recent ones, each with its place and parent link; a batch for every other shard
        (None for this one) with those it owns."""
        model, canonical, count, me = self.model, self.canonical, self.count, self.index
        successors = model.successors
        start = self.start
        lifted = self.lifted
        plain = self.plain
        # The model's key, where it has one, sends the states its memo tables and verdict
        # cache serve to one shard (and is cheaper than lifting every state).
        shard_key = model.shard_key if self.keyed else None
        # Without budgets every candidate is noted here (its owner is by fingerprint, found
        # after the loop); with budgets, in the box of the shard that owns it.
        boxes = [Candidates() for _ in range(1 if plain else count)]
        appends = [(box.states.append, box.fingerprints.append, box.numbers.append)
                   for box in boxes]
        keep, note_fingerprint, note_number = appends[0]
        judge = boxes[0].judged.append
        met_before, met_now = self._met, set()
        known = self._known.seen
        add_known = known.add
        generated = 0
        violation = None
        firsts: list[int] = []  # the number of each expanded state's first step
        note_first = firsts.append
        for position, state in enumerate(self.frontier):
            note_first(generated)
            for action, successor, broken in successors(state):
                generated += 1
                if broken:
                    place = (self.ranks[position] << STEP_BITS) | (generated - 1 - firsts[-1])
                    if violation is None or place < violation[0]:
                        violation = (place, broken, "transition", self.level - 1,
                                     self.links[position], (action, broken))
                    continue
                if successor is state:
                    continue  # a step that changes nothing (model.py, Model.successors)
                if canonical:
                    exact = hash(successor)
                    if exact in met_now or exact in met_before:
                        continue
                    if len(met_now) < MET_LIMIT:
                        met_now.add(exact)
                    successor = canonical(successor)
                fingerprint = hash(successor)
                # Met before, the same state was found at an earlier place (or kept earlier).
                if fingerprint in known:
                    continue
                add_known(fingerprint)
                if not plain:
                    if shard_key is not None:
                        owner = shard_key(successor) % count
                    else:
                        up = lifted(successor)  # type: ignore[misc]
                        owner = hash(successor[:start] if up is None else up) % count
                    keep, note_fingerprint, note_number = appends[owner]
                keep(successor)
                note_fingerprint(fingerprint)
                note_number(generated)
                if plain:
                    judge(broken is None)
            if should_stop is not None and position % CHECK_EVERY == 0 and should_stop():
                break
        self._expanded = (self.ranks, firsts, generated)
        self._place(boxes, firsts)
        self._met = met_now
        self._distinct = True
        self.generated = generated
        self.violation = violation
        components = self._components()
        if plain:
            batches = self._route(boxes[0], components)
            self._found_now = self._columns["fingerprints"]  # leaves the window with the level
            return batches
        self._known.close(list(chain.from_iterable(box.fingerprints for box in boxes)))
        self._found = boxes[me]
        return [None if peer == me else self._pack(components, boxes[peer])
                for peer in range(count)]

    def _place(self, boxes: list[Candidates], firsts: list[int]) -> None:
        """Each candidate's place in the search order (its parent's rank, its step's index)
        and parent link, from its number among the successors generated (firsts: the number
        of each expanded state's first step)."""
        starts = np.array(firsts, dtype=np.int64)
        ranks = np.array(self.ranks[:len(firsts)], dtype=np.int64)
        links = np.array(self.links[:len(firsts)], dtype=np.int64)
        for box in boxes:
            steps = np.array(box.numbers, dtype=np.int64) - 1  # from 0
            parent = np.searchsorted(starts, steps, side="right") - 1
            box.places = (ranks[parent] << STEP_BITS) | (steps - starts[parent])
            box.parents = links[parent]
            box.numbers = []

    def _components(self) -> list:
        components = self.model.new_components()
        self.named += components
        return components

    def _route(self, found: Candidates, components: list) -> list[Batch | None]:
        """Without budgets: the candidates' fingerprints, places and parent links to their
        owners (the states stay here)."""
        self._found = found
        fingerprints = _int64(found.fingerprints)
        places, parents = _int64(found.places), _int64(found.parents)
        self._columns = {"fingerprints": fingerprints, "places": places, "parents": parents}
        owners = fingerprints % self.count
        self._routes = [np.flatnonzero(owners == k) for k in range(self.count)]
        return [None if k == self.index else Batch(
            components, places[rows].tobytes(), parents[rows].tobytes(),
            fingerprints[rows].tobytes(), b"", len(rows))
            for k, rows in enumerate(self._routes)]

    def _pack(self, components: list, box: Candidates, ranks: list[int] | None = None
              ) -> Batch:
        if self.width is not None:
            packed = _int64(box.states).tobytes()
        else:
            packed = pickle.dumps(box.states, protocol=pickle.HIGHEST_PROTOCOL)
        return Batch(components, _int64(box.places).tobytes(), _int64(box.parents).tobytes(),
                     b"", packed, len(box.states),
                     b"" if ranks is None else _int64(ranks).tobytes())

    def _unpack(self, batches: list[Batch], rows: np.ndarray | None = None) -> list[State]:
        """The states of the batches end to end (all, or those at these rows)."""
        if self.width is None:
            states = list(chain.from_iterable(pickle.loads(b.states) for b in batches))
            return states if rows is None else list(map(states.__getitem__, rows.tolist()))
        packed = np.concatenate([np.frombuffer(b.states, dtype=np.int64) for b in batches]
                                ) if batches else np.empty(0, dtype=np.int64)
        packed = packed.reshape(-1, self.width)
        if rows is not None:
            packed = packed[rows]
        return list(map(tuple, packed.tolist()))

    def _adopt(self, batches: list[Batch | None]) -> None:
        adopt = self.model.adopt
        for batch in batches:
            if batch is not None:
                for kind, key, value in batch.components:
                    adopt(kind, key, value)

    # --- 2. decide --------------------------------------------------------------------------

    def decide(self, batches: list[Batch | None]) -> list[Any]:
        """As owner: of the candidates the shards found for this one (batches[k]: what shard
        k sent; None for this shard), keep the new states and close this level of the
        visited set. Returns replies[k] for shard k's settle (None where it needs none)."""
        self._adopt(batches)
        if not self.plain:
            received = [b for b in batches if b is not None and b.count]
            self._report = self._offer_in_order(self._found, received)
            return [None] * self.count
        return self._keep_first_found(batches)

    def _keep_first_found(self, batches: list[Batch | None]) -> list[Any]:
        """Without budgets the states kept do not depend on the order: of each fingerprint
        among this level's candidates keep the first found (the least place: the one-process
        search records its parent), in one numpy batch. Replies: for each shard, the rows of
        what it sent that are kept, and where each sits in this level's arrays."""
        me = self.index
        mine = self._routes[me]
        # rows numbered source by source: this shard's candidates first, then each peer's
        sources = [me] + [k for k, b in enumerate(batches) if b is not None and b.count]
        parts = [b for b in batches if b is not None and b.count]
        columns = {name: np.concatenate([self._columns[name][mine], *_column(parts, name)])
                   for name in ("fingerprints", "places", "parents")}
        fingerprints, places = columns["fingerprints"], columns["places"]
        # This shard's own candidates are not in its window of recent levels (expand looked);
        # the peers' are looked up there once: those it holds are not new, but for the ones
        # this shard found in this level too, where the least place decides.
        rows = np.arange(len(fingerprints))
        theirs = fingerprints[len(mine):]
        if len(theirs):
            window = self.store.seen
            known = np.fromiter(map(window.__contains__, theirs.tolist()), dtype=bool,
                                count=len(theirs))
            if known.any():
                known[known] = ~np.isin(theirs[known], fingerprints[:len(mine)])
                rows = np.concatenate([rows[:len(mine)], len(mine) + np.flatnonzero(~known)])
        if len(rows) != len(mine) or not self._distinct:
            by_key = np.lexsort((places[rows], fingerprints[rows]))
            first = np.ones(len(by_key), dtype=bool)
            ordered = fingerprints[rows][by_key]
            first[1:] = ordered[1:] != ordered[:-1]
            chosen = rows[np.sort(by_key[first])]
        else:
            chosen = rows  # distinct already
        self.store.keep_batch(fingerprints[chosen], columns["parents"][chosen],
                              self._found_now)
        self._found_now = []
        alive, position = self.store.close_level()
        kept = chosen[alive]
        ends = np.cumsum([len(mine)] + [b.count for b in parts])
        source = np.searchsorted(ends, kept, side="right")
        replies: list[Any] = [None] * self.count
        for slot, shard in enumerate(sources):
            rows = source == slot
            replies[shard] = ((kept[rows] - (ends[slot - 1] if slot else 0)).tobytes(),
                              position[rows].tobytes())
        return replies

    def _offer_in_order(self, own: Candidates, received: list[Batch]) -> LevelReport:
        """With budgets, which states are kept depends on the order (a state is skipped where
        one with no more budget used was kept before it): offer every candidate of the level
        in search order; this shard holds the states it keeps."""
        states = own.states + self._unpack(received)
        places = np.concatenate([_int64(own.places), *_column(received, "places")])
        parents = np.concatenate([_int64(own.parents), *_column(received, "parents")]).tolist()
        offer = self.store.offer
        tentative: list[int] = []
        keep = tentative.append
        for k in np.argsort(places, kind="stable").tolist():
            # (with budgets the store keys a state by its budget-free part, not a fingerprint)
            if offer(states[k], 0, parents[k]):
                keep(k)
        alive, position = self.store.close_level()
        survivors = np.array(tentative, dtype=np.int64)[alive]
        links = position * self.count + self.index
        return self._hold(list(map(states.__getitem__, survivors.tolist())),
                          places[survivors], links)

    # --- 3. settle --------------------------------------------------------------------------

    def settle(self, replies: list[Any]) -> LevelReport:
        """As finder: the states the owners kept (replies[k]: shard k's reply to this one)
        are the next frontier this shard holds, in search order."""
        if not self.plain:
            report, self._report = self._report, None
            return report  # type: ignore[return-value]
        found = self._found
        rows, links = [], []
        for owner, reply in enumerate(replies):
            if reply is None:
                continue
            kept, position = (np.frombuffer(column, dtype=np.int64) for column in reply)
            rows.append(self._routes[owner][kept])
            links.append(position * self.count + owner)
        kept = np.concatenate(rows) if rows else np.empty(0, dtype=np.int64)
        places = self._columns["places"][kept]
        in_order = np.argsort(places, kind="stable")
        kept = kept[in_order]
        link_of = np.concatenate(links)[in_order] if links else kept
        self._found, self._routes, self._columns = Candidates(), [], {}
        kept_list = kept.tolist()
        return self._hold(list(map(found.states.__getitem__, kept_list)), places[in_order],
                          link_of, bytes(map(found.judged.__getitem__, kept_list))
                          if found.judged else None)  # (the initial level: judge all)

    def _hold(self, states: list[State], places: np.ndarray, links: np.ndarray,
              marks: bytes | None = None) -> LevelReport:
        """Take the level's new states (in search order, where places says) as the frontier,
        checking each against the state properties in that order (those marks marks, where
        given: search.first_violation)."""
        violation = self.violation
        places_list = places.tolist()
        links_list = links.tolist()
        before = (len(states) if violation is None
                  else bisect_left(places_list, violation[0]))  # the states before it
        found = first_violation(self.model, states[:before], marks)
        if found is not None:
            at, broken = found
            violation = (places_list[at], broken, "state", self.level, links_list[at], None)
        self.violation = violation
        self.level += 1
        self.frontier, self.places, self.links = states, places_list, links_list
        return LevelReport(len(states), self.generated, len(states), violation)

    def counts_before(self, place: int, inclusive: bool) -> tuple[int, int]:
        """(states this shard holds of the last level before the place in the search order,
        or at it too where inclusive, summed over the shards the level's; successors it
        generated up to it): what the one-process search had counted when it met the
        violation at that place."""
        kept = int(np.searchsorted(np.array(self.places, dtype=np.int64), place,
                                   side="right" if inclusive else "left"))
        ranks, firsts, total = self._expanded
        rank, step = place >> STEP_BITS, place & ((1 << STEP_BITS) - 1)
        generated = 0
        for parent_rank, first, end in zip(ranks, firsts, [*firsts[1:], total], strict=False):
            if parent_rank < rank:
                generated += end - first
            elif parent_rank == rank:
                generated += step + 1
        return kept, generated

    # --- 4. ranks ---------------------------------------------------------------------------

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
        self._sizes = [len(places) for places in places_by_shard]

    # --- 5. even out the frontiers ----------------------------------------------------------

    def moves(self) -> list[Batch | None] | None:
        """Where states stay with the shard that found them: when a shard holds more than
        its part of the frontier (by UNEVEN), the states to send each shard to even it out
        (spread over the search order), else None. Every shard reaches the same plan from
        the sizes that came with the ranks."""
        plan = even_out(self._sizes) if self.plain else []
        if not plan:
            return None
        out: list[Batch | None] = [None] * self.count
        giving = [(to, amount) for source, to, amount in plan if source == self.index]
        if not giving:
            return out
        total = sum(amount for _, amount in giving)
        held = len(self.frontier)
        rows = (np.arange(total, dtype=np.int64) * held) // total  # spread, distinct
        components = self._components()
        start = 0
        for to, amount in giving:
            chunk = rows[start:start + amount].tolist()
            start += amount
            box = Candidates()
            box.states = list(map(self.frontier.__getitem__, chunk))
            box.places = list(map(self.places.__getitem__, chunk))
            box.parents = list(map(self.links.__getitem__, chunk))
            out[to] = self._pack(components, box, list(map(self.ranks.__getitem__, chunk)))
        stays = np.ones(held, dtype=bool)
        stays[rows] = False
        keep = np.flatnonzero(stays).tolist()
        self.frontier = list(map(self.frontier.__getitem__, keep))
        self.places = list(map(self.places.__getitem__, keep))
        self.links = list(map(self.links.__getitem__, keep))
        self.ranks = list(map(self.ranks.__getitem__, keep))
        return out

    def take_moves(self, batches: list[Batch | None]) -> None:
        """Hold the states other shards moved here (batches[k]: from shard k), in rank order
        among this shard's own."""
        arrived = [b for b in batches if b is not None and b.count]
        self._adopt(batches)
        if not arrived:
            return
        states = self.frontier + self._unpack(arrived)
        ranks = np.concatenate([_int64(self.ranks), *_column(arrived, "ranks")])
        order = np.argsort(ranks, kind="stable").tolist()
        places = np.concatenate([_int64(self.places), *_column(arrived, "places")]).tolist()
        links = np.concatenate([_int64(self.links), *_column(arrived, "parents")]).tolist()
        self.frontier = list(map(states.__getitem__, order))
        self.places = list(map(places.__getitem__, order))
        self.links = list(map(links.__getitem__, order))
        self.ranks = ranks[order].tolist()

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


def even_out(sizes: list[int]) -> list[tuple[int, int, int]]:
    """(from, to, how many states) that bring every shard to its part of the frontier, where
    one holds more than UNEVEN (and UNEVEN_SLACK states) above it; else nothing."""
    total, count = sum(sizes), len(sizes)
    part = [total // count + (k < total % count) for k in range(count)]
    if all(size <= share + UNEVEN * share + UNEVEN_SLACK
           for size, share in zip(sizes, part, strict=True)):
        return []
    surplus = [[k, size - share] for k, (size, share) in enumerate(zip(sizes, part, strict=True))
               if size > share]
    plan = []
    for k, (size, share) in enumerate(zip(sizes, part, strict=True)):
        need = share - size
        while need > 0:
            source = surplus[0]
            amount = min(need, source[1])
            plan.append((source[0], k, amount))
            need -= amount
            source[1] -= amount
            if not source[1]:
                surplus.pop(0)
    return plan


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
