"""--engine ray: the search on a Ray cluster (a local one, started by this test on 127.0.0.1
with two worker CPUs and shut down at its end) agrees with the one-process search."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from raftcheck.checker.result import Outcome
from raftcheck.checker.search import breadth_first
from raftcheck.spec.config import merged_config
from raftcheck.spec.model import RaftModel

ray = pytest.importorskip("ray", reason="Ray is not installed: pip install 'raftcheck[ray]'")
pytestmark = pytest.mark.ray


def counts(result):
    return result.outcome, result.stats.distinct, result.stats.generated, result.stats.depth


def test_equal_counts_on_a_raft_tla_bound(local_ray):
    from raftcheck.checker.ray_engine import ray_breadth_first

    config = merged_config(nodes=2, profile="raft-tla", bounds={"max_term": 3})
    one = breadth_first(RaftModel(config))
    on_ray = ray_breadth_first(RaftModel(config), workers=2)
    assert one.outcome is Outcome.HOLDS
    assert counts(on_ray) == counts(one)


@pytest.mark.parametrize("mutant", ["stale-append-truncates",
                                    "two-changes-in-flight",  # configurations in the state
                                    "snapshot-past-commit"])  # snapshots
def test_a_mutants_shortest_counterexample(local_ray, mutant):
    from raftcheck.checker.ray_engine import ray_breadth_first

    config = merged_config(nodes=None, mutant=mutant)
    one = breadth_first(RaftModel(config), symmetry=True)
    model = RaftModel(config)
    on_ray = ray_breadth_first(model, workers=2, symmetry=True)
    assert on_ray.outcome is Outcome.VIOLATED
    assert counts(on_ray) == counts(one)
    assert [(s.action, s.state) for s in on_ray.counterexample.steps] == \
        [(s.action, s.state) for s in one.counterexample.steps]


def test_the_command_line_runs_on_its_own_local_ray():
    """No cluster given: explore starts a local Ray instance for the search and stops it."""
    args = [sys.executable, "-m", "raftcheck", "explore", "--mutant", "no-step-down",
            "--json"]
    one = subprocess.run(args, capture_output=True, text=True, timeout=120)
    on_ray = subprocess.run([*args, "--engine", "ray", "--workers", "2"],
                            capture_output=True, text=True, timeout=300)
    assert one.returncode == on_ray.returncode == 1, on_ray.stderr[-2000:]
    first, second = json.loads(one.stdout), json.loads(on_ray.stdout)
    assert second["counterexample"] == first["counterexample"]
    assert second["statistics"]["distinct_states"] == first["statistics"]["distinct_states"]


def test_shard_actors_collect_rarely(local_ray):
    """Each actor's process runs the cyclic collector rarely (checker/collector.py): the toy
    model's invariant breaks where it does not."""
    from raftcheck.checker.ray_engine import ray_breadth_first
    from tests.test_collector import Line

    result = ray_breadth_first(Line(), workers=2)
    assert result.outcome is Outcome.HOLDS and result.stats.distinct == 50
