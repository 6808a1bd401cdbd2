"""Shared pytest configuration."""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "etcd: runs a real etcd cluster on this machine (needs etcd binaries; .ci/install-etcd)",
    )
    config.addinivalue_line(
        "markers",
        "hashicorp: runs a real hashicorp/raft cluster on this machine (needs Go and the "
        "hashicorp/raft Go sources; .ci/install-clusters)",
    )
    config.addinivalue_line(
        "markers",
        "ray: starts a local Ray instance on 127.0.0.1 (needs pip install 'raftcheck[ray]')",
    )


EXTERNAL = ("etcd", "hashicorp", "ray")
"""Markers of tests that run real clusters or a Ray instance: with pytest-xdist
(``-n auto --dist loadgroup``) they all run on one worker, one at a time, so two clusters
never compete for the machine while their timeouts run; the model checks run beside them."""


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if any(item.get_closest_marker(name) for name in EXTERNAL):
            item.add_marker(pytest.mark.xdist_group("clusters"))


@pytest.fixture(scope="module")
def local_ray():
    """A local Ray instance on 127.0.0.1 with 2 CPUs for one test module's tests (mark them
    ``ray``), shut down after them."""
    ray = pytest.importorskip("ray", reason="Ray is not installed: pip install 'raftcheck[ray]'")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
             _node_ip_address="127.0.0.1", logging_level="ERROR")
    try:
        yield
    finally:
        ray.shutdown()
