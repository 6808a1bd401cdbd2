"""A pytest plugin: assert in your own test suite that your cluster's logs conform.

    def test_cluster_survives_failover(raft_logs_conform, tmp_path):
        ...run the cluster, write its logs to tmp_path / "logs"...
        raft_logs_conform(tmp_path / "logs", max_skew=0.2)

``raft_logs_conform(*paths, **options)`` validates every run in ``paths`` and fails the test
with the report unless each conforms (``allow_inconclusive=True`` accepts inconclusive too); it
returns the Verdict of a single run, or the Report of several. Registered through the
``pytest11`` entry point of the raftcheck package.
"""

from __future__ import annotations

import os
from collections.abc import Callable

import pytest

from .engine import ValidateOptions
from .parallel import validate_runs
from .report import CONFORMS, INCONCLUSIVE, Report, Verdict


def assert_logs_conform(*paths: str | os.PathLike[str], allow_inconclusive: bool = False,
                        **options: object) -> Verdict | Report:
    """Validate ``paths``; fail the current test (pytest.fail) unless every run conforms."""
    report = validate_runs(paths, ValidateOptions(**options))  # type: ignore[arg-type]
    accepted = {CONFORMS, INCONCLUSIVE} if allow_inconclusive else {CONFORMS}
    if any(v.status not in accepted for v in report.verdicts):
        pytest.fail("raft logs do not conform:\n" + "\n".join(report.lines()), pytrace=False)
    return report.verdicts[0] if len(report.verdicts) == 1 else report


@pytest.fixture
def raft_logs_conform() -> Callable[..., Verdict | Report]:
    """The assertion ``raft_logs_conform(*paths, allow_inconclusive=False, max_skew=...)``."""
    return assert_logs_conform
