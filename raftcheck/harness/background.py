"""Work that runs beside a scenario on background threads, recorded into scenario.json:
client load (the history a linearizability checker reads) and periodic status samples (the
leaders and terms the cluster reported while faults were being injected).

Both are context managers; leaving the ``with`` block stops the threads and waits for them.
"""

from __future__ import annotations

import random
import threading
import time
from types import TracebackType
from typing import TYPE_CHECKING, Self

from raftcheck.harness.etcdctl import MemberStatus
from raftcheck.harness.scenario import leader_of

if TYPE_CHECKING:
    from raftcheck.harness.etcd_cluster import EtcdCluster


class _Worker:
    """Threads that run until stopped; a context manager."""

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self.errors: list[BaseException] = []

    def _spawn(self, target, name: str) -> None:  # type: ignore[no-untyped-def]
        def guarded() -> None:
            try:
                target()
            except BaseException as exc:  # surfaced by stop(); a thread must not die silently
                self.errors.append(exc)

        thread = threading.Thread(target=guarded, name=name, daemon=True)
        self._threads.append(thread)
        thread.start()

    def start(self) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=30)
        if self.errors:
            raise self.errors[0]

    def _wait(self, seconds: float) -> bool:
        """Sleep up to ``seconds``; True if stop() was called meanwhile."""
        return self._stop.wait(max(0.0, seconds))

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()


class ClientLoad(_Worker):
    """``clients`` sequential clients, each on its own thread issuing one request at a time:
    puts of unique values (``<client>.<n>``) and linearizable gets over ``keys`` shared keys,
    each through one member picked at random among the configuration's members (a killed one
    refuses, a paused or cut-off one times out: both are part of the history), at about
    ``rate`` requests per second per client. Every request is recorded with its client, invoke
    and complete times, outcome and the value read (scenario.json ``writes``/``reads``)."""

    def __init__(self, cluster: EtcdCluster, *, clients: int = 2, keys: int = 3,
                 rate: float = 4.0, read_fraction: float = 0.5, seed: int = 0,
                 timeout: float = 1.0, prefix: str = "/load/") -> None:
        super().__init__()
        if clients < 1 or keys < 1 or rate <= 0:
            raise ValueError("clients and keys must be >= 1 and rate > 0")
        self.cluster, self.clients, self.keys, self.rate = cluster, clients, keys, rate
        self.read_fraction, self.seed, self.timeout, self.prefix = (
            read_fraction, seed, timeout, prefix)
        self._acknowledged = {"writes": 0, "reads": 0}
        self._changed = threading.Condition()

    def wait_for_acknowledged(self, writes: int, reads: int, timeout: float) -> bool:
        """Wait until at least ``writes`` writes and ``reads`` reads were acknowledged since
        the load started (a history with something to check, however slowly a loaded machine
        let the cluster answer), or ``timeout`` seconds; True if they were."""
        def enough() -> bool:
            done = self._acknowledged
            return done["writes"] >= writes and done["reads"] >= reads

        with self._changed:
            return self._changed.wait_for(enough, timeout)

    def start(self) -> None:
        self.cluster.record_step(
            "load-start", clients=[f"c{i}" for i in range(1, self.clients + 1)],
            keys=[f"{self.prefix}k{k}" for k in range(self.keys)], rate_per_client=self.rate,
            read_fraction=self.read_fraction, timeout_s=self.timeout, seed=self.seed)
        for i in range(1, self.clients + 1):
            rng = random.Random(f"{self.seed}/c{i}")
            self._spawn(lambda i=i, rng=rng: self._client(f"c{i}", rng), f"load-c{i}")

    def stop(self) -> None:
        try:
            super().stop()
        finally:
            self.cluster.record_step("load-stop")

    def _client(self, client: str, rng: random.Random) -> None:
        written = 0
        while not self._stop.is_set():
            t0 = time.monotonic()
            key = f"{self.prefix}k{rng.randrange(self.keys)}"
            endpoint = rng.choice(list(self.cluster.names))
            if rng.random() < self.read_fraction:
                kind = "reads"
                result = self.cluster.get(key, endpoint, timeout=self.timeout, client=client)
            else:
                kind = "writes"
                written += 1
                result = self.cluster.put(key, f"{client}.{written}", endpoint,
                                          timeout=self.timeout, client=client)
            if result.ok:
                with self._changed:
                    self._acknowledged[kind] += 1
                    self._changed.notify_all()
            pause = rng.uniform(0.5, 1.5) / self.rate - (time.monotonic() - t0)
            if self._wait(pause):
                return


class StatusSampler(_Worker):
    """Every ``every`` seconds, ``endpoint status`` of each member, recorded as a status sample
    labelled ``label``; ``latest`` is the last answer and ``leader`` the leader it showed."""

    def __init__(self, cluster: EtcdCluster, every: float = 1.0, label: str = "sample") -> None:
        super().__init__()
        self.cluster, self.every, self.label = cluster, every, label
        self.latest: dict[str, MemberStatus | None] = {}
        self.samples = 0

    @property
    def leader(self) -> str | None:
        return leader_of(self.latest)[0]

    def start(self) -> None:
        self.latest = self.cluster.sample_status(self.label)
        self._spawn(self._loop, f"sampler-{self.label}")

    def _loop(self) -> None:
        while not self._wait(self.every):
            self.latest = self.cluster.sample_status(self.label)
            self.samples += 1
