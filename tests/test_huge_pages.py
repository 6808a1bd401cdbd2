"""explore started as a program starts again with glibc's huge-page tunable (huge_pages.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from raftcheck import cli, huge_pages
from raftcheck.huge_pages import TUNABLE, environment_with_huge_pages

MADVISE = "always [madvise] never\n"
GLIBC = ("glibc", "2.36")


def test_the_tunable_is_asked_for_where_the_kernel_gives_huge_pages_on_request():
    env = environment_with_huge_pages({"PATH": "/bin"}, MADVISE, GLIBC)
    assert env == {"PATH": "/bin", "GLIBC_TUNABLES": TUNABLE}


@pytest.mark.parametrize("environ, policy, libc", [
    ({}, "[always] madvise never\n", GLIBC),  # huge pages come anyway
    ({}, "always madvise [never]\n", GLIBC),  # never any
    ({}, None, GLIBC),  # no THP in this kernel
    ({}, MADVISE, ("glibc", "2.31")),  # a glibc without the tunable
    ({}, MADVISE, ("", "")),  # musl, or not known
    ({"GLIBC_TUNABLES": "glibc.malloc.check=3"}, MADVISE, GLIBC),  # the user's own
    ({"RAFTCHECK_HUGE_PAGES": "0"}, MADVISE, GLIBC),  # turned off
], ids=["always", "never", "no-thp", "old-glibc", "not-glibc", "user-tunables", "opt-out"])
def test_nothing_is_done_where_it_would_change_nothing_or_the_user_said_so(environ, policy,
                                                                          libc):
    assert environment_with_huge_pages(environ, policy, libc) is None


class Started(Exception):
    pass


@pytest.fixture
def exec_recorded(monkeypatch, tmp_path):
    """os.execve recorded instead of run, on a kernel and libc that give huge pages."""
    calls = []

    def execve(path, args, env):
        calls.append((path, args, env))
        raise Started

    monkeypatch.setattr(os, "execve", execve)
    policy = tmp_path / "enabled"
    policy.write_text(MADVISE)
    monkeypatch.setattr(huge_pages, "THP_POLICY", policy)
    monkeypatch.setattr(huge_pages.platform, "libc_ver", lambda: GLIBC)
    monkeypatch.setattr(huge_pages.sys, "platform", "linux")
    monkeypatch.delenv("GLIBC_TUNABLES", raising=False)
    monkeypatch.delenv("RAFTCHECK_HUGE_PAGES", raising=False)
    return calls


def test_explore_as_a_program_starts_again_with_the_tunable(exec_recorded, monkeypatch):
    monkeypatch.setattr(sys, "argv", ["raftcheck", "explore", "--nodes", "3"])
    with pytest.raises(Started):
        cli.main()
    (path, args, env), = exec_recorded
    assert path == sys.executable and args == [sys.executable, *sys.orig_argv[1:]]
    assert env["GLIBC_TUNABLES"] == TUNABLE


def test_other_commands_and_callers_in_the_same_process_do_not(exec_recorded, monkeypatch,
                                                               capsys):
    monkeypatch.setattr(sys, "argv", ["raftcheck", "validate", "--help"])
    with pytest.raises(SystemExit):
        cli.main()
    assert cli.main(["explore", "--profile", "raft-tla", "--max-term", "1", "--max-log", "0",
                     "--json"]) == 0
    assert exec_recorded == []


@pytest.mark.skipif(environment_with_huge_pages(
    os.environ, huge_pages.THP_POLICY.read_text() if huge_pages.THP_POLICY.exists() else None,
    huge_pages.platform.libc_ver()) is None, reason="this machine gives no huge pages on request")
def test_the_search_runs_with_the_tunable_and_finds_what_it_finds_without():
    """Started again, the same PID searches with the tunable in its environment, and finds the
    same as with RAFTCHECK_HUGE_PAGES=0."""
    command = [sys.executable, "-m", "raftcheck", "explore", "--profile", "raft-tla",
               "--mutant", "double-vote", "--json"]
    probe = ("import os, runpy, sys; sys.argv = ['raftcheck'] + sys.argv[1:]; "
             "print(os.environ.get('GLIBC_TUNABLES'), file=sys.stderr); "
             "runpy.run_module('raftcheck', run_name='__main__')")
    env = {k: v for k, v in os.environ.items() if k != "GLIBC_TUNABLES"}
    started = subprocess.run([sys.executable, "-c", probe, *command[3:]], env=env,
                             capture_output=True, text=True, timeout=120)
    plain = subprocess.run(command, env={**env, "RAFTCHECK_HUGE_PAGES": "0"},
                           capture_output=True, text=True, timeout=120)
    assert started.returncode == plain.returncode == 1
    assert started.stderr.splitlines()[:2] == ["None", TUNABLE]
    assert _counts(started.stdout) == _counts(plain.stdout)


def _counts(report: str) -> tuple:
    data = json.loads(report)
    stats = data["statistics"]
    return (data["verdict"], stats["distinct_states"], stats["states_generated"],
            data["counterexample"])
