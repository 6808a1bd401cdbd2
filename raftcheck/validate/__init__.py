"""``raftcheck validate``: do real cluster logs show a behaviour of the raftcheck spec?

    verdict = validate_paths(["logs/"])     # one run: read, merge, check; a Verdict
    report = validate_runs(["runs/"])       # every run below runs/, one Verdict each
    report = validate_runs(["runs/"], workers=4)  # the same, four runs at a time
    print(report.status, [v.status for v in report.verdicts])

The engine (engine.py) drives the spec's own actions (raftcheck.spec.server) and properties
(raftcheck.spec.invariants) event by event; docs/validate.md explains the method.
"""

from .engine import ValidateOptions, validate_paths
from .parallel import validate_runs
from .report import Report, Verdict

__all__ = ["Report", "ValidateOptions", "Verdict", "validate_paths", "validate_runs"]
