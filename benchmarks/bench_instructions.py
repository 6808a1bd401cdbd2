"""Instructions executed, counted by valgrind (not a test: prints numbers, asserts nothing).

    python benchmarks/bench_instructions.py [--against CHECKOUT] [WORKLOAD ...]

A timed before/after comparison is only as good as the machine is steady, and this 2-vCPU VM's
speed drifts by 10 to 20 % from minute to minute even when idle: a gain under ~15 % does not
show in timed runs. valgrind's count of the instructions a run executes (cachegrind without
its cache simulation) does not drift, so this prints that, for this checkout and another one
(``--against``) side by side. It counts work, not time: cache misses and the cost of two
processes sharing the cores are not in it.

Each workload runs in a fresh process of each checkout, with every child followed (worker
processes are counted) and PYTHONHASHSEED=0. A warm workload counts one call after a first
(two runs, with and without the measured call, subtracted). Under valgrind a run is 12 to 50
times slower: the raft-tla second row takes about 4 minutes per engine and checkout.

Workloads:

- raft-tla-1, raft-tla-1-w2: explore, raft-tla profile, 3 servers, no symmetry, bounds
  (MaxTerm, MaxLogLen, MaxMsgs, MaxDup) = (2, 0, 1, 1), one process / two worker processes
- raft-tla-2, raft-tla-2-w2: the same at (2, 1, 1, 1)
- validate-flapping: validate the recorded etcd 3.5 flapping run repeated 80 times (warm)
- validate:DIR: validate a recorded run as it is (warm), e.g. a long harness recording

Default: raft-tla-1, raft-tla-1-w2 and validate-flapping. Needs valgrind (Debian: valgrind).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.longrun import build_long_run  # noqa: E402

FLAPPING = REPO / "tests" / "data" / "etcd" / "3.5-flapping-no-pre-vote"
COPIES = 80

_EXPLORE = """
import sys
sys.path.insert(0, sys.argv[1])
from dataclasses import replace
from raftcheck.checker.parallel import parallel_breadth_first
from raftcheck.checker.search import LevelSearch
from raftcheck.spec.config import SpecConfig, profile_defaults
from raftcheck.spec.model import RaftModel
term, log, msgs, dup = map(int, sys.argv[2].split(","))
config = SpecConfig(nodes=3, profile="raft-tla", bounds=replace(
    profile_defaults("raft-tla"), max_term=term, max_log=log, max_msgs=msgs, max_dup=dup))
workers = int(sys.argv[3])
model = RaftModel(config)
if workers == 1:
    result = LevelSearch(model, symmetry=False).run()
else:
    result = parallel_breadth_first(model, workers=workers, symmetry=False)
print(result.stats.distinct, result.stats.generated, result.stats.depth)
"""

_VALIDATE = """
import sys
sys.path.insert(0, sys.argv[1])
from raftcheck.validate import validate_paths
verdict = validate_paths([sys.argv[2]])
if sys.argv[3] == "measured":
    verdict = validate_paths([sys.argv[2]])
print(verdict.status, verdict.events)
"""

#: workload -> (script, its arguments after the checkout, warm)
WORKLOADS: dict[str, tuple[str, list[str], bool]] = {
    "raft-tla-1": (_EXPLORE, ["2,0,1,1", "1"], False),
    "raft-tla-1-w2": (_EXPLORE, ["2,0,1,1", "2"], False),
    "raft-tla-2": (_EXPLORE, ["2,1,1,1", "1"], False),
    "raft-tla-2-w2": (_EXPLORE, ["2,1,1,1", "2"], False),
    "validate-flapping": (_VALIDATE, ["RUN"], True),
}
DEFAULT = ["raft-tla-1", "raft-tla-1-w2", "validate-flapping"]
RECORDED = "validate:"
"""``validate:DIR`` validates a recorded run as it is (warm), e.g. a harness recording."""


def instructions(script: str, arguments: list[str]) -> tuple[int, str]:
    """(instructions every process of the script executed, what it printed last)."""
    with tempfile.TemporaryDirectory(prefix="raftcheck-cg-") as out:
        done = subprocess.run(
            ["valgrind", "--tool=cachegrind", "--cache-sim=no", "--trace-children=yes",
             f"--cachegrind-out-file={out}/cg.%p", sys.executable, "-c", script, *arguments],
            cwd=tempfile.gettempdir(), capture_output=True, text=True,
            env={**os.environ, "PYTHONHASHSEED": "0"}, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"the workload failed under valgrind:\n{done.stderr[-2000:]}")
        total = 0
        for file in Path(out).glob("cg.*"):
            for line in file.read_text().splitlines():
                if line.startswith("summary:"):
                    total += int(line.split()[1])
        lines = done.stdout.strip().splitlines()
        return total, lines[-1] if lines else ""


def count(workload: str, checkout: Path, run: Path | None) -> tuple[int, str]:
    if workload.startswith(RECORDED):
        run = Path(workload[len(RECORDED):]).resolve()
        workload = "validate-flapping"
    script, arguments, warm = WORKLOADS[workload]
    arguments = [str(run) if a == "RUN" else a for a in arguments]
    if not warm:
        return instructions(script, [str(checkout), *arguments])
    first, _ = instructions(script, [str(checkout), *arguments, "warm-up"])
    both, printed = instructions(script, [str(checkout), *arguments, "measured"])
    return both - first, printed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", type=Path, metavar="CHECKOUT",
                        help="also count another raftcheck checkout (e.g. the main branch)")
    parser.add_argument("workloads", nargs="*", metavar="WORKLOAD",
                        help=f"any of {', '.join(WORKLOADS)}, or {RECORDED}RUN_DIR for a "
                             f"recorded run (default: {', '.join(DEFAULT)})")
    args = parser.parse_args()
    unknown = [w for w in args.workloads if w not in WORKLOADS and not w.startswith(RECORDED)]
    if unknown:
        parser.error(f"unknown workload(s): {', '.join(unknown)}; known: {', '.join(WORKLOADS)}")
    if shutil.which("valgrind") is None:
        parser.error("valgrind is not installed (Debian: apt-get install valgrind)")
    checkouts = [REPO] + ([args.against.resolve()] if args.against else [])
    print(f"{time.strftime('%Y-%m-%d %H:%M %Z')}, Python {sys.version.split()[0]}, "
          "instructions (valgrind cachegrind), every process of the run")
    header = " | ".join(f"{c.name}" for c in checkouts)
    print(f"| workload | {header} |" + (" change |" if args.against else "") + " output |")
    print("|---|" + "---|" * len(checkouts) + ("---|" if args.against else "") + "---|")
    with tempfile.TemporaryDirectory(prefix="raftcheck-bench-") as tmp:
        run = None
        for workload in args.workloads or DEFAULT:
            if workload == "validate-flapping" and run is None:
                run = Path(tmp) / f"flapping-x{COPIES}"
                build_long_run(FLAPPING, run, COPIES)
            counts = [count(workload, checkout, run) for checkout in checkouts]
            cells = " | ".join(f"{n / 1e9:.3f} G" for n, _ in counts)
            change = ""
            if args.against:
                change = f" {counts[0][0] / counts[1][0] - 1:+.1%} |"
            print(f"| {workload} | {cells} |{change} {counts[0][1]} |", flush=True)


if __name__ == "__main__":
    main()
