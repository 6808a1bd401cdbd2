"""A pytest plugin: assert in your own test suite that your cluster's logs conform.

    def test_cluster_survives_failover(raft_logs_conform, tmp_path):
        ...run the cluster, write its logs to tmp_path / "logs"...
        raft_logs_conform(tmp_path / "logs", max_skew=0.2)

``raft_logs_conform(*paths, **options)`` validates and fails the test with the report unless
the verdict is ``conforms`` (``allow_inconclusive=True`` accepts inconclusive too); it returns
the Verdict. Registered through the ``pytest11`` entry point of the raftcheck package.
"""

from __future__ import annotations

import os
from collections.abc import Callable

import pytest

from .engine import ValidateOptions, validate_paths
from .report import CONFORMS, INCONCLUSIVE, Verdict


def assert_logs_conform(*paths: str | os.PathLike[str], allow_inconclusive: bool = False,
                        **options: object) -> Verdict:
    """Validate ``paths``; fail the current test (pytest.fail) unless they conform."""
    verdict = validate_paths(paths, ValidateOptions(**options))  # type: ignore[arg-type]
    accepted = {CONFORMS, INCONCLUSIVE} if allow_inconclusive else {CONFORMS}
    if verdict.status not in accepted:
        pytest.fail("raft logs do not conform:\n" + "\n".join(verdict.lines()), pytrace=False)
    return verdict


@pytest.fixture
def raft_logs_conform() -> Callable[..., Verdict]:
    """The assertion ``raft_logs_conform(*paths, allow_inconclusive=False, max_skew=...)``."""
    return assert_logs_conform
