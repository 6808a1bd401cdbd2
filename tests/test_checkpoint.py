"""explore --checkpoint DIR saves the search at every level; --resume DIR continues it to the
same final counts and verdict as a search that was never stopped."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time

import pytest

from tests.commands import RAFTCHECK

#: The raftcheck profile, 3 servers: 12,831 states, 26 levels (the default's shallower cousin).
SCOPE = ["--max-term", "2", "--max-writes", "1", "--max-dup", "2", "--max-links", "none",
         "--max-restarts", "1", "--max-partitions", "1"]


def explore(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([*RAFTCHECK, "explore", *args, "--json"], capture_output=True,
                          text=True, timeout=timeout)


def statistics(run: subprocess.CompletedProcess) -> tuple:
    out = json.loads(run.stdout)
    stats = out["statistics"]
    cex = out["counterexample"]
    return (out["verdict"], stats["distinct_states"], stats["states_generated"],
            stats["depth"], cex and [step["action"] for step in cex["steps"]])


#: The raft-tla profile, 2 servers: no budget counters, so worker shards hold states they do
#: not own (shard.py) and save whole parent links.
RAFT_TLA = ["--profile", "raft-tla", "--nodes", "2", "--max-term", "3", "--max-log", "1",
            "--max-msgs", "1", "--max-dup", "1", "--no-symmetry"]


@pytest.mark.parametrize("scope, workers, disk", [
    (SCOPE, "1", False), (SCOPE, "2", False), (SCOPE, "1", True), (RAFT_TLA, "2", False)],
    ids=["one-process", "two-workers", "one-process-disk", "two-workers-no-budgets"])
def test_a_stopped_search_resumes_to_the_same_counts(tmp_path, scope, workers, disk):
    """With --disk, the frontier saved is read from its file, and the resumed search keeps its
    next levels in files again."""
    spill = ["--disk", str(tmp_path / "spill")] if disk else []
    spill_again = ["--disk", str(tmp_path / "spill-again")] if disk else []
    whole = explore(*scope, "--workers", workers)
    assert whole.returncode == 0, whole.stderr
    total = json.loads(whole.stdout)["statistics"]["distinct_states"]
    stopped = explore(*scope, "--workers", workers, "--checkpoint", str(tmp_path / "saved"),
                      "--max-states", str(total // 4), *spill)
    assert stopped.returncode == 3, stopped.stderr
    assert json.loads(stopped.stdout)["statistics"]["distinct_states"] < total
    resumed = explore("--resume", str(tmp_path / "saved"), *spill_again)
    assert resumed.returncode == 0, resumed.stderr
    assert statistics(resumed) == statistics(whole)
    assert json.loads(resumed.stdout)["model"] == json.loads(whole.stdout)["model"]


def test_a_disk_frontier_is_saved_as_its_file_and_resumes_with_or_without_disk(tmp_path):
    """A frontier kept in a file (--disk) is saved as that file, not read into memory for a
    pickle (at five servers any-links that was 3.75M states, ~0.7 GB, at every level). It
    resumes into files (the checkpoint's own file is linked, never removed) and into memory."""
    whole = explore(*SCOPE)
    total = json.loads(whole.stdout)["statistics"]["distinct_states"]
    saved = tmp_path / "saved"
    stopped = explore(*SCOPE, "--checkpoint", str(saved), "--max-states", str(total // 3),
                      "--disk", str(tmp_path / "spill"))
    assert stopped.returncode == 3, stopped.stderr
    states = sorted((saved / "shard0").glob("frontier*.states"))
    pickles = sorted((saved / "shard0").glob("frontier*.pickle"))
    assert states and states[-1].stat().st_size > 0
    assert pickles[-1].stat().st_size < states[-1].stat().st_size  # the states are not in it
    copy = tmp_path / "copy"
    shutil.copytree(saved, copy)

    one_level = explore("--resume", str(saved), "--disk", str(tmp_path / "again"),
                        "--max-states", str(total // 3 + 1))
    assert one_level.returncode == 3, one_level.stderr
    assert states[-1].exists()  # the search removed its own link to it, not the file
    into_files = explore("--resume", str(saved), "--disk", str(tmp_path / "again-2"))
    assert statistics(into_files) == statistics(whole)
    into_memory = explore("--resume", str(copy))
    assert statistics(into_memory) == statistics(whole)


def test_a_resumed_search_finds_the_same_shortest_counterexample(tmp_path):
    whole = explore("--mutant", "stale-append-truncates")
    assert whole.returncode == 1, whole.stderr
    stopped = explore("--mutant", "stale-append-truncates", "--checkpoint", str(tmp_path),
                      "--max-states", "800")
    assert stopped.returncode == 3
    resumed = explore("--resume", str(tmp_path))
    assert resumed.returncode == 1, resumed.stderr
    assert statistics(resumed) == statistics(whole)


def test_membership_and_snapshot_flags_are_resumed_with_the_search(tmp_path):
    """The checkpoint keeps the flags that add configurations and snapshots to the state (the
    mutant's own and those given): resumed in two workers, the same shortest counterexample."""
    flags = ["--mutant", "installs-older-snapshot", "--membership", "single", "--workers", "2"]
    whole = explore(*flags)
    assert whole.returncode == 1, whole.stderr
    stopped = explore(*flags, "--checkpoint", str(tmp_path), "--max-states", "5000")
    assert stopped.returncode == 3, stopped.stderr
    resumed = explore("--resume", str(tmp_path))
    assert resumed.returncode == 1, resumed.stderr
    assert statistics(resumed) == statistics(whole)
    model = json.loads(resumed.stdout)["model"]
    assert (model["membership"], model["max_snapshots"]) == ("single", 1)


def test_sigterm_stops_like_ctrl_c_and_the_checkpoint_resumes(tmp_path):
    longer = ["--max-term", "3", "--max-restarts", "0"]  # long enough to be stopped midway
    whole = explore(*longer)
    assert whole.returncode == 0, whole.stderr
    proc = subprocess.Popen([*RAFTCHECK, "explore", *longer, "--checkpoint", str(tmp_path),
                             "--json"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while not (tmp_path / "meta.pickle").exists():  # a level has been saved
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "no checkpoint written in 120 s"
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == 3, err
    assert json.loads(out)["stop_reason"] == "interrupted"
    resumed = explore("--resume", str(tmp_path))
    assert resumed.returncode == 0, resumed.stderr
    assert statistics(resumed) == statistics(whole)


def test_resume_of_a_directory_without_a_checkpoint_is_a_usage_error(tmp_path):
    run = subprocess.run([*RAFTCHECK, "explore", "--resume", str(tmp_path)],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 2
    assert run.stderr.count("\n") == 1 and "no checkpoint here" in run.stderr
    (tmp_path / "meta.pickle").write_bytes(b"junk")
    run = subprocess.run([*RAFTCHECK, "explore", "--resume", str(tmp_path)],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 2 and "not a raftcheck checkpoint" in run.stderr


def test_a_checkpoint_directory_in_use_is_not_overwritten(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    run = subprocess.run([*RAFTCHECK, "explore", *SCOPE, "--checkpoint", str(tmp_path)],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 2 and "not an empty directory" in run.stderr
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_a_checkpoint_on_ray_is_refused_before_the_directory_is_made(tmp_path):
    target = tmp_path / "saved"
    run = subprocess.run([*RAFTCHECK, "explore", *SCOPE, "--engine", "ray", "--checkpoint",
                          str(target)], capture_output=True, text=True, timeout=60)
    assert run.returncode == 2 and "run on the local engine" in run.stderr
    assert run.stderr.count("\n") == 1
    assert not target.exists()
