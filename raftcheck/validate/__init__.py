"""``raftcheck validate``: do real cluster logs show a behaviour of the raftcheck spec?

    verdict = validate_paths(["logs/"])     # read, merge, check; a Verdict
    print(verdict.status, verdict.reason)

The engine (engine.py) drives the spec's own actions (raftcheck.spec.server) and properties
(raftcheck.spec.invariants) event by event; docs/validate.md explains the method.
"""

from .engine import ValidateOptions, validate_paths
from .report import Verdict

__all__ = ["ValidateOptions", "Verdict", "validate_paths"]
