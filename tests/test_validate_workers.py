"""Runs checked by several processes (``validate --workers``): the same verdicts, in the same
order, as one process; a bug met in one run is that run's internal error and the other runs
keep their verdicts; a worker that dies is an internal error (exit 5), never a verdict."""

from __future__ import annotations

import multiprocessing
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from raftcheck.cli import main
from raftcheck.traces import events as ev
from raftcheck.validate import handlers
from raftcheck.validate.parallel import validate_runs
from raftcheck.validate.report import Report

DATA = Path(__file__).parent / "data"
RUNS = {  # run -> its verdict (tests/data's READMEs say why)
    "etcd/3.5-flapping": "conforms",
    "etcd/3.4-kill-capnslog": "conforms",
    "etcd/3.4-force-new-cluster-capnslog": "inconclusive",
    "data-loss/3.5-disk-rollback": "violates",
    "hashicorp/grow-from-one": "conforms",
    "etcd35/leader-kill": "conforms",
}
FORK = "fork" in multiprocessing.get_all_start_methods()


def runs_folder(tmp_path: Path, names: list[str]) -> Path:
    top = tmp_path / "runs"
    for name in names:
        shutil.copytree(DATA / name, top / name)
    return top


def without_seconds(report: Report) -> dict:
    out = report.to_json()
    for run in out["runs"]:
        run.pop("seconds", None)
    return out


@pytest.mark.parametrize("workers", [2, 4])
def test_workers_give_one_process_s_verdicts_in_its_order(tmp_path: Path, workers: int) -> None:
    top = runs_folder(tmp_path, list(RUNS))
    one = validate_runs([top])
    assert {Path(v.run).relative_to(top).as_posix(): v.status for v in one.verdicts} == RUNS
    many = validate_runs([top], workers=workers)
    assert without_seconds(many) == without_seconds(one)


def fail_on(run: str, failure: Callable[[], None], monkeypatch: pytest.MonkeyPatch) -> None:
    """The handler of leader lines fails (``failure``) on the lines of ``run``'s files only."""
    real = handlers.HANDLERS[ev.BecameLeader]

    def handler(w, e, cx):  # type: ignore[no-untyped-def]
        if f"/{run}/" in e.source.path:
            failure()
        return real(w, e, cx)

    monkeypatch.setitem(handlers.HANDLERS, ev.BecameLeader, handler)


def a_bug() -> None:
    raise KeyError("a bug")


@pytest.mark.parametrize("workers", [1, 3])
def test_a_bug_in_one_run_is_its_internal_error_and_the_others_go_on(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        workers: int) -> None:
    if workers > 1 and not FORK:
        pytest.skip("the workers see the patched handler only where they are forked")
    names = ["etcd/3.4-kill-capnslog", "etcd/3.5-flapping", "hashicorp/grow-from-one"]
    top = runs_folder(tmp_path, names)
    fail_on("3.5-flapping", a_bug, monkeypatch)
    report = validate_runs([top], workers=workers)
    assert [Path(v.run).relative_to(top).as_posix() for v in report.verdicts] == names
    assert [v.status for v in report.verdicts] == ["conforms", "internal error", "conforms"]
    broken = report.verdicts[1]
    assert "KeyError: 'a bug' (while checking BecameLeader at " in broken.reason
    assert "3.5-flapping/node" in broken.reason
    assert "a bug in raftcheck, not a verdict about the cluster" in broken.reason
    assert main(["validate", str(top), "--workers", str(workers)]) == 5
    assert "3 runs: conforms 2, internal error 1; exit 5" in capsys.readouterr().out


@pytest.mark.skipif(not FORK, reason="the workers see the patched handler only where forked")
def test_a_worker_that_dies_is_an_internal_error(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
        ) -> None:
    top = runs_folder(tmp_path, ["etcd/3.5-flapping", "etcd/3.4-kill-capnslog"])
    fail_on("3.4-kill-capnslog", lambda: os._exit(9), monkeypatch)
    assert main(["validate", str(top), "--workers", "2"]) == 5
    captured = capsys.readouterr()
    assert captured.out == ""  # no verdict is made up
    assert "internal error" in captured.err
    assert "checking 2 runs in 2 worker processes (one died" in captured.err


def test_workers_must_be_a_number_or_auto(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    top = runs_folder(tmp_path, ["etcd/3.5-flapping", "etcd35/leader-kill"])
    assert main(["validate", str(top), "--workers", "0"]) == 2
    assert "--workers: expected a number >= 1, got 0" in capsys.readouterr().err
    assert main(["validate", str(top), "--workers", "auto"]) == 0
    assert "2 runs: conforms 2; exit 0" in capsys.readouterr().out
