"""Many walks: in generations, in one process or in worker processes, reproducible by seed.

Walk number i draws everything from its own generator, seeded by (seed, i): where it starts,
its weights, its steps. Walks run in generations of GENERATION walks; every walk of a
generation sees the milestones (milestones.py) as they were when the generation began, and the
coordinator offers the new candidates in walk order once the whole generation is in. So what
walk i does depends only on the seed and i, never on which process ran it or when: the same
seed and flags give the same walks and the same report, with any number of workers. (A
--time-limit ends the run wherever the clock says, so only how many walks ran can differ.)

When walks of a generation find violations, the first in walk order is the one reported, and
the statistics count the walks up to it: with one worker or several, the same.

Workers are forked processes with their own copy of the model. Each takes chunks of walks from
a shared queue in increasing order and sends back one record per walk; the coordinator counts
distinct states from the fingerprints the records carry (names are content hashes, the same in
every process; checker/model.py).
"""

from __future__ import annotations

import multiprocessing as mp
import queue
import random
import signal
import time
import traceback
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from ..checker.model import Model
from ..checker.result import Outcome
from .milestones import Milestones, Snapshot, Updates
from .ray_pool import RayPool
from .walk import Path, Violation, Walker, WalkOutcome

#: Walks per generation (the milestones change only between generations).
GENERATION = 64
#: Walks a worker takes from the queue at once.
CHUNK = 4
#: Distinct states are counted exactly up to this many, then no longer (memory).
DISTINCT_LIMIT = 20_000_000


@dataclass
class SimulationBudget:
    walks: int | None = None  # stop after this many walks
    seconds: float | None = None  # stop after this much wall time


@dataclass
class SimulationStats:
    walks: int = 0
    steps: int = 0
    distinct: int = 0
    distinct_capped: bool = False  # counting stopped at DISTINCT_LIMIT
    seconds: float = 0.0
    taken: Counter = field(default_factory=Counter)  # action kind -> times taken
    enabled: set = field(default_factory=set)  # action kinds offered somewhere
    from_milestones: int = 0  # walks that started from a milestone
    milestones: int = 0  # milestones kept (all levels)

    @property
    def rate(self) -> float:
        return self.steps / self.seconds if self.seconds > 0 else 0.0

    def to_json(self) -> dict[str, Any]:
        return {"walks": self.walks, "steps": self.steps, "distinct_states": self.distinct,
                "distinct_states_capped": self.distinct_capped,
                "seconds": round(self.seconds, 3), "steps_per_second": round(self.rate, 1),
                "walks_from_milestones": self.from_milestones,
                "milestones_kept": self.milestones}


@dataclass
class Found:
    """The first violation in walk order: which walk, what, and the path that shows it."""

    walk: int
    violation: Violation
    path: Path


@dataclass
class SimulationRun:
    outcome: Outcome  # HOLDS: no violation found (not a proof); VIOLATED; STOPPED: interrupted
    stats: SimulationStats
    found: Found | None
    stop_reason: str  # "walks", "time-limit", "interrupted" or "violation"


@dataclass
class WalkRecord:
    """What the coordinator needs of one walk."""

    index: int
    start: int | None  # milestone id, or None for an initial state
    initial: int
    steps: int
    taken: Counter
    enabled: set
    fingerprints: list
    milestones: list  # (level, fingerprint, own steps, features, new level)
    own: tuple | None  # the walk's own steps, where needed (milestones or a violation)
    violation: Violation | None


def walk_seed(seed: int, index: int) -> str:
    return f"{seed}:{index}"


class WorkerFailed(RuntimeError):
    """A worker process raised; the message holds its traceback."""


class _Walks:
    """Runs walks by number against a snapshot of the milestones (in any process)."""

    def __init__(self, walker: Walker, seed: int, depth: int) -> None:
        self.walker, self.seed, self.depth = walker, seed, depth
        self.snapshot = Snapshot()
        self.states: dict[int, Any] = {}  # milestone id -> its state, replayed once
        self.seen: set[int] = set()  # fingerprints this process has reported

    def apply(self, updates: Updates) -> None:
        for key in self.snapshot.apply(updates):
            self.states.pop(key, None)

    def run(self, index: int) -> WalkRecord:
        rng = random.Random(walk_seed(self.seed, index))
        chosen = self.snapshot.choose(rng)
        if chosen is None:
            outcome = self.walker.walk(rng, self.depth, known=self.snapshot.features)
            start = None
        else:
            start, path = chosen
            state = self.states.get(start)
            if state is None:
                state = self.states[start] = self.walker.end_state(path)
            outcome = self.walker.walk(rng, self.depth, path, state, self.snapshot.features)
        return self.record(index, start, outcome)

    def record(self, index: int, start: int | None, outcome: WalkOutcome) -> WalkRecord:
        seen = self.seen
        if len(seen) < DISTINCT_LIMIT:
            fresh = [f for f in outcome.fingerprints if f not in seen]
            seen.update(fresh)
        else:
            fresh = outcome.fingerprints
        needed = outcome.milestones or outcome.violation
        assert outcome.start is not None
        return WalkRecord(index, start, outcome.start.initial, outcome.steps, outcome.taken,
                          outcome.enabled, fresh, outcome.milestones,
                          tuple(outcome.own) if needed else None, outcome.violation)


def _worker(walks: _Walks, conn: Any, tasks: Any, results: Any, stop: Any) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the coordinator handles Ctrl-C
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    applied = -1
    try:
        while True:
            task = tasks.get()
            if task is None:
                return
            generation, low, high = task
            while applied < generation:
                applied, updates = conn.recv()
                walks.apply(updates)
            for index in range(low, high):
                if stop.is_set():
                    break
                results.put(walks.run(index))
    except Exception:
        results.put(WorkerFailed(traceback.format_exc()))


class _Pool:
    def __init__(self, walks: _Walks, count: int) -> None:
        context = mp.get_context("fork")
        self.tasks = context.Queue()
        self.results = context.Queue()
        self.stop = context.Event()
        self.pipes = []
        self.processes = []
        for _ in range(count):
            mine, theirs = context.Pipe()
            process = context.Process(target=_worker, daemon=True,
                                      args=(walks, theirs, self.tasks, self.results, self.stop))
            process.start()
            self.pipes.append(mine)
            self.processes.append(process)

    def generation(self, number: int, updates: list, low: int, high: int,
                   deadline: float | None) -> tuple[list[WalkRecord], bool]:
        """Run walks low..high-1; returns their records and whether all came in (the deadline
        or a stop may cut the generation short)."""
        for pipe in self.pipes:
            pipe.send((number, updates))
        for start in range(low, high, CHUNK):
            self.tasks.put((number, start, min(start + CHUNK, high)))
        records: list[WalkRecord] = []
        while len(records) < high - low:
            wait = None if deadline is None else deadline - time.perf_counter()
            if wait is not None and wait <= 0:
                return records, False
            try:
                record = self.results.get(timeout=min(wait, 0.5) if wait is not None else 0.5)
            except queue.Empty:
                if not any(p.is_alive() for p in self.processes):
                    raise WorkerFailed("every worker process ended") from None
                continue
            if isinstance(record, WorkerFailed):
                raise record
            records.append(record)
        return records, True

    def close(self) -> None:
        self.stop.set()
        for _ in self.processes:
            self.tasks.put(None)
        for process in self.processes:
            process.join(timeout=2)
            if process.is_alive():
                process.terminate()
                process.join()


ProgressFn = Callable[[SimulationStats], None]


def simulate(model: Model, *, seed: int, depth: int, budget: SimulationBudget,
             workers: int = 1, kinds: Iterable[str] = (), progress: ProgressFn | None = None,
             progress_every: float = 1.0, generation: int = GENERATION,
             engine: str = "local", address: str | None = None) -> SimulationRun:
    """Walk the model until a violation, the budget, or an interrupt. engine "local": in
    this process, or in `workers` forked processes; "ray": in `workers` actors on the Ray
    cluster at address (None: a local Ray instance started for the run; ray_pool.py)."""
    if budget.walks is None and budget.seconds is None:
        raise ValueError("a simulation needs a budget: walks or seconds")
    stats = SimulationStats()
    walker = Walker(model, kinds)
    distinct: set[int] = set()
    milestones = Milestones(seed)
    local = _Walks(walker, seed, depth)

    def finish(outcome: Outcome, reason: str, found: Found | None = None) -> SimulationRun:
        stats.seconds = time.perf_counter() - started
        stats.distinct = len(distinct)
        stats.milestones = sum(len(kept) for kept in local.snapshot.pools.values())
        if progress:
            progress(stats)
        return SimulationRun(outcome, stats, found, reason)

    started = time.perf_counter()
    initial = walker.initial_violation()
    if initial is not None:
        index, violation = initial
        return finish(Outcome.VIOLATED, "violation", Found(0, violation, Path(index)))
    pool: _Pool | RayPool | None = None
    if engine == "ray":
        pool = RayPool(local, workers, CHUNK, address)
        started = time.perf_counter()  # the clock starts once the cluster is up
    elif workers > 1:
        pool = _Pool(local, workers)
    deadline = None if budget.seconds is None else started + budget.seconds
    next_report = started + progress_every
    try:
        number = 0
        low = 0
        while budget.walks is None or low < budget.walks:
            high = low + generation if budget.walks is None else min(low + generation,
                                                                     budget.walks)
            updates = milestones.updates()
            if pool is None:
                local.apply(updates)
                records, complete = _run_here(local, low, high, deadline)
            else:
                records, complete = pool.generation(number, updates, low, high, deadline)
                local.apply(updates)
            records.sort(key=lambda r: r.index)
            for record in records:
                _count(stats, distinct, record)
                if record.violation is not None:
                    found = Found(record.index, record.violation, _full_path(local, record))
                    return finish(Outcome.VIOLATED, "violation", found)
                for level, fingerprint, own_steps, features, sample in record.milestones:
                    milestones.offer(level, fingerprint, features,
                                     _full_path(local, record, own_steps), sample)
            if not complete:
                return finish(Outcome.HOLDS, "time-limit")
            low, number = high, number + 1
            now = time.perf_counter()
            if progress and now >= next_report:
                stats.seconds = now - started
                stats.distinct = len(distinct)
                progress(stats)
                next_report = now + progress_every
        return finish(Outcome.HOLDS, "walks")
    except KeyboardInterrupt:
        return finish(Outcome.STOPPED, "interrupted")
    finally:
        if pool is not None:
            pool.close()


def _run_here(walks: _Walks, low: int, high: int,
              deadline: float | None) -> tuple[list[WalkRecord], bool]:
    records = []
    for index in range(low, high):
        if deadline is not None and time.perf_counter() >= deadline:
            return records, False
        records.append(walks.run(index))
    return records, True


def _count(stats: SimulationStats, distinct: set, record: WalkRecord) -> None:
    stats.walks += 1
    stats.steps += record.steps
    stats.taken.update(record.taken)
    stats.enabled.update(record.enabled)
    stats.from_milestones += record.start is not None
    if len(distinct) < DISTINCT_LIMIT:
        distinct.update(record.fingerprints)
    else:
        stats.distinct_capped = True


def _full_path(walks: _Walks, record: WalkRecord, own_steps: int | None = None) -> Path:
    assert record.own is not None
    start = (walks.snapshot.paths[record.start].steps if record.start is not None else ())
    own = record.own if own_steps is None else record.own[:own_steps]
    return Path(record.initial, start + own)
