"""A scenario's client load goes on until its history holds acknowledged writes and reads (or
a bounded wait ends), whatever the speed of the machine (harness/background.py)."""

from __future__ import annotations

from types import SimpleNamespace

from raftcheck.harness.background import ClientLoad


class ScriptedCluster:
    """Answers requests as told: the first ``refused`` of each kind fail, the rest succeed."""

    names = ("m1", "m2", "m3")

    def __init__(self, refused: int) -> None:
        self.refused = refused
        self.asked = {"put": 0, "get": 0}

    def _answer(self, kind: str) -> SimpleNamespace:
        self.asked[kind] += 1
        return SimpleNamespace(ok=self.asked[kind] > self.refused)

    def put(self, *args: object, **kwargs: object) -> SimpleNamespace:
        return self._answer("put")

    def get(self, *args: object, **kwargs: object) -> SimpleNamespace:
        return self._answer("get")

    def record_step(self, *args: object, **kwargs: object) -> None:
        pass


def test_the_load_waits_for_acknowledged_writes_and_reads_past_refusals() -> None:
    cluster = ScriptedCluster(refused=20)
    with ClientLoad(cluster, rate=500.0) as load:  # type: ignore[arg-type]
        assert load.wait_for_acknowledged(5, 5, timeout=30.0)
    assert cluster.asked["put"] >= 25 and cluster.asked["get"] >= 25


def test_the_wait_ends_when_the_cluster_acknowledges_nothing() -> None:
    cluster = ScriptedCluster(refused=10**9)
    with ClientLoad(cluster, rate=500.0) as load:  # type: ignore[arg-type]
        assert not load.wait_for_acknowledged(1, 0, timeout=0.5)
    assert cluster.asked["put"] > 0
