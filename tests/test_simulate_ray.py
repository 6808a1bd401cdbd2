"""simulate --engine ray: the walks on Ray actors (a local Ray instance started by this test on
127.0.0.1 with two worker CPUs, shut down at its end) find what worker processes find, walk for
walk: the same seed gives the same violation, path and statistics."""

from __future__ import annotations

import subprocess
import sys

import pytest

from raftcheck.checker.result import Outcome
from raftcheck.simulate.coverage import model_kinds
from raftcheck.simulate.engine import SimulationBudget, simulate
from raftcheck.spec.config import merged_config
from raftcheck.spec.model import RaftModel

ray = pytest.importorskip("ray", reason="Ray is not installed: pip install 'raftcheck[ray]'")
pytestmark = pytest.mark.ray


def walked(config, **how):
    model = RaftModel(config, exact_network=True)
    return simulate(model, seed=how.pop("seed"), depth=60, kinds=model_kinds(config), **how)


def same_statistics(one, other) -> None:
    a, b = one.stats, other.stats
    assert (a.walks, a.steps, a.distinct, a.taken, a.from_milestones, a.milestones) == \
        (b.walks, b.steps, b.distinct, b.taken, b.from_milestones, b.milestones)


def test_a_mutant_is_found_by_the_same_walk_as_with_worker_processes(local_ray):
    config = merged_config(nodes=None, mutant="stale-append-truncates")
    budget = SimulationBudget(walks=2000)
    processes = walked(config, seed=1, budget=budget, workers=2)
    on_ray = walked(config, seed=1, budget=budget, workers=2, engine="ray")
    assert processes.outcome is on_ray.outcome is Outcome.VIOLATED
    assert on_ray.found.walk == processes.found.walk
    assert on_ray.found.violation == processes.found.violation
    assert on_ray.found.path == processes.found.path
    same_statistics(processes, on_ray)


def test_a_run_without_a_violation_walks_the_same_on_ray(local_ray):
    """Several generations, so the milestones travel to the actors and are walked from."""
    config = merged_config(nodes=3)
    budget = SimulationBudget(walks=300)
    processes = walked(config, seed=5, budget=budget, workers=2)
    on_ray = walked(config, seed=5, budget=budget, workers=2, engine="ray")
    assert processes.outcome is on_ray.outcome is Outcome.HOLDS
    assert on_ray.stats.from_milestones > 0
    same_statistics(processes, on_ray)


def without_timing(text: str) -> list[str]:
    return [line for line in text.splitlines()
            if not line.lstrip().startswith(("wall time", "rate"))]


def test_the_command_line_runs_on_its_own_local_ray():
    """No cluster given: simulate starts a local Ray instance for the walks and stops it; the
    report is the one worker processes give (but for saying where the walks ran)."""
    args = [sys.executable, "-m", "raftcheck", "simulate", "--mutant", "no-consistency-check",
            "--seed", "1", "--walks", "3000", "--workers", "2"]
    processes = subprocess.run(args, capture_output=True, text=True, timeout=300)
    on_ray = subprocess.run([*args, "--engine", "ray"], capture_output=True, text=True,
                            timeout=600)
    assert processes.returncode == on_ray.returncode == 1, on_ray.stderr[-2000:]
    assert without_timing(on_ray.stdout.replace(" on Ray", "").replace(" --engine ray", "")) \
        == without_timing(processes.stdout)


def test_an_address_without_the_ray_engine_is_refused():
    out = subprocess.run([sys.executable, "-m", "raftcheck", "simulate", "--address",
                          "127.0.0.1:6379", "--walks", "1"], capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 2
    assert "--address names a Ray cluster" in out.stderr
