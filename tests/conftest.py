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
