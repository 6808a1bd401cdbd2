"""``python -m raftcheck.harness record``: one-line errors and exit 2 where it cannot run, before
any etcd process starts. (A real run through the command: tests/test_etcd_scenarios.py.)"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import pytest

from raftcheck.harness import __main__ as harness_main
from raftcheck.harness import record as record_module
from raftcheck.harness.errors import EtcdNotInstalled


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "raftcheck.harness", *args],
                          capture_output=True, text=True, timeout=60, check=False)


def _one_line_error(proc: subprocess.CompletedProcess[str], code: int, text: str) -> None:
    assert proc.returncode == code, proc.stderr
    assert text in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert "Traceback" not in proc.stderr and proc.stdout == ""


def test_usage_errors(tmp_path: Path) -> None:
    _one_line_error(_run("record", "no-such", "--out", str(tmp_path)), 2,
                    "invalid choice: 'no-such'")
    _one_line_error(_run("record", "flapping"), 2, "--out")
    _one_line_error(_run("record", "flapping", "--out", str(tmp_path), "--duration", "0"), 2,
                    "expected a positive time")
    _one_line_error(_run("record", "kill", "--out", str(tmp_path / "k"), "--logger",
                         "capnslog"), 2, "--logger capnslog needs --etcd 3.4")
    _one_line_error(_run("record", "kill", "--out", str(tmp_path / "k"), "--pattern",
                         "one-link"), 2, "--pattern is for the flapping scenario")
    assert not (tmp_path / "k").exists()  # refused before anything was started or written


def test_a_recorded_run_is_not_overwritten_without_force(tmp_path: Path) -> None:
    (tmp_path / "scenario.json").write_text("{}")
    _one_line_error(_run("record", "pause", "--out", str(tmp_path)), 2,
                    "already holds a recorded run; pass --force")
    assert (tmp_path / "scenario.json").read_text() == "{}"
    afile = tmp_path / "file"
    afile.write_text("x")
    _one_line_error(_run("record", "pause", "--out", str(afile)), 2, "is a file, not a folder")


def test_missing_etcd_or_namespaces_exit_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    def no_etcd(**kwargs: object) -> None:
        raise EtcdNotInstalled("etcd 3.4 not found at /usr/bin/etcd; install Debian's etcd")

    monkeypatch.setattr(record_module, "find_etcd_binaries", no_etcd)
    assert harness_main.main(["record", "kill", "--out", str(tmp_path / "a"),
                              "--etcd", "3.4"]) == 2
    err = capsys.readouterr().err
    assert err.strip() == ("raftcheck.harness record: etcd 3.4 not found at /usr/bin/etcd; "
                           "install Debian's etcd")
    monkeypatch.undo()
    monkeypatch.setattr(record_module, "find_etcd_binaries", lambda **kw: object())
    monkeypatch.setattr(record_module, "netns_unavailable_reason",
                        lambda: "not root; partitions need root")
    assert harness_main.main(["record", "flapping", "--out", str(tmp_path / "b")]) == 2
    err = capsys.readouterr().err
    assert "network namespaces, unavailable here: not root" in err
    assert len(err.strip().splitlines()) == 1
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()


def test_list_names_every_scenario() -> None:
    proc = _run("list")
    assert proc.returncode == 0
    listed = [line.split()[0] for line in proc.stdout.splitlines() if not line.startswith(" ")]
    assert listed == sorted(record_module.SCENARIOS)


def test_the_regenerate_command_reproduces_the_options() -> None:
    options = record_module.RecordOptions(version="3.4", logger="capnslog", duration=12.0,
                                          seed=3, pre_vote=False, pattern="leader-links")
    line = record_module.command_line("flapping", Path("out/x"), options)
    assert line == ("python -m raftcheck.harness record flapping --out out/x --etcd 3.4 "
                    "--logger capnslog --duration 12 --seed 3 --pattern leader-links "
                    "--no-pre-vote")
    args = line.split()[3:]  # what argparse makes of it gives the same options back
    parser = argparse.ArgumentParser()
    record_module.register(parser.add_subparsers())
    parsed = parser.parse_args(args)
    again = record_module.RecordOptions(
        version=parsed.version, logger=parsed.logger, debug=parsed.debug, nodes=parsed.nodes,
        duration=parsed.duration, seed=parsed.seed, pre_vote=parsed.pre_vote, load=parsed.load,
        heartbeat_ms=parsed.heartbeat_ms, election_ms=parsed.election_ms,
        pattern=parsed.pattern)
    assert again == options
