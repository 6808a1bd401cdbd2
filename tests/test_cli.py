"""The raftcheck command as a user runs it: a real process, real files, a real terminal."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import re
import select
import signal
import struct
import sys
import termios
import time
from pathlib import Path

import networkx as nx
import pydot
import pytest
from itf_py.itf import trace_from_json

from raftcheck.cli import main
from raftcheck.spec.invariants import PROPERTIES
from raftcheck.spec.mutants import MUTANTS
from tests.commands import RAFTCHECK, run, signalled_once_under_way

SMALL = ["--nodes", "3", "--max-term", "2", "--max-log", "0", "--max-msgs", "1",
         "--max-writes", "0", "--max-restarts", "0", "--max-partitions", "0"]
DOUBLE_VOTE = ["--mutant", "double-vote", "--max-msgs", "2", *SMALL[:-6], "--max-writes", "0",
               "--max-restarts", "0", "--max-partitions", "0"]
LARGE = ["--nodes", "5", "--progress"]  # the default 5-server scope: minutes, not seconds




def test_lists_every_invariant_with_its_definition():
    out = run("explore", "--list-invariants")
    assert out.returncode == 0
    for name, prop in PROPERTIES.items():
        assert f"{name} ({prop.kind})" in out.stdout
    assert "minority" in out.stdout.lower()


def test_lists_every_mutant():
    out = run("explore", "--list-mutants")
    assert out.returncode == 0
    assert all(name in out.stdout for name in MUTANTS)


@pytest.mark.parametrize("args, words", [
    (["--nodes", "0"], "--nodes"),
    (["--nodes", "9"], "--nodes"),
    (["--max-term", "0"], "--max-term"),
    (["--max-dup", "0"], "--max-dup"),
    (["--max-msgs", "-1"], "--max-msgs"),
    (["--max-log", "two"], "--max-log"),
    (["--bogus"], "--bogus"),
    (["--invariant", "Nope"], "Nope"),
    (["--mutant", "nope"], "nope"),
    (["--profile", "raft-tla", "--max-partitions", "1"], "partitions"),
    (["--profile", "raft-tla", "--max-writes", "1"], "--max-writes"),
    (["--values", "2"], "--values"),
    (["--out", "trace.txt"], "trace.txt"),
    (["--graph", "trace.png"], "trace.png"),
    (["--time-limit", "soon"], "--time-limit"),
    (["--liveness", "--max-elections", "2"], "--max-elections"),
    (["--liveness", "--invariant", "ElectionSafety"], "ElectionSafety"),
    (["--liveness", "--symmetry"], "--liveness"),
    (["--max-links", "0"], "--max-links"),
    (["--time", "--max-links", "1"], "--max-links"),
    (["--profile", "raft-tla", "--max-links", "1"], "--max-links"),
])
def test_bad_flags_give_one_line_and_exit_2(args, words):
    out = run("explore", *args)
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    assert lines[0].startswith("raftcheck: error:") and words in lines[0]
    assert "Traceback" not in out.stderr and out.stdout == ""


def test_none_lifts_a_bound_that_has_a_default():
    """'none' is a value, not the absence of the flag: it replaces the default bound."""
    out = run("explore", "--max-writes", "none", "--show-scope")
    assert out.returncode == 0, out.stderr
    assert "max-writes none" in out.stdout
    assert "max-writes 2" in run("explore", "--show-scope").stdout
    five = run("explore", "--nodes", "5", "--max-links", "none", "--show-scope")
    assert five.returncode == 0, five.stderr
    assert "max-links" not in five.stdout and "max-msgs 2" in five.stdout  # any pairs: unlisted
    live = run("explore", "--liveness", "--max-restarts", "none", "--show-scope")
    assert "max-restarts none" in live.stdout  # not the liveness default of 0
    raft_tla = run("explore", "--profile", "raft-tla", "--max-writes", "none", "--show-scope")
    assert raft_tla.returncode == 0, raft_tla.stderr  # raft.tla's own setting


def test_five_servers_default_to_two_messages_on_one_link():
    out = run("explore", "--nodes", "5", "--show-scope")
    assert out.returncode == 0, out.stderr
    assert "max-msgs 2" in out.stdout and "max-links 1" in out.stdout


def test_holds_prints_the_verdict_and_statistics():
    out = run("explore", *SMALL)
    assert out.returncode == 0, out.stderr
    assert "HOLDS" in out.stdout
    for label in ("distinct states", "states generated", "depth", "wall time", "rate",
                  "collision chance"):
        assert label in out.stdout
    assert "max-term 2" in out.stdout  # the scope is stated


def test_violation_prints_a_trace_and_writes_every_format(tmp_path: Path):
    files = {name: tmp_path / name for name in
             ("t.json", "t.itf.json", "t.graphml", "t.dot")}
    out = run("explore", *DOUBLE_VOTE, "--out", str(files["t.json"]),
              "--graph", str(files["t.graphml"]))
    assert out.returncode == 1, out.stderr
    assert "VIOLATED: VotedOncePerTerm" in out.stdout
    assert "Shortest counterexample (4 steps)" in out.stdout
    assert "HandleRequestVoteRequest" in out.stdout
    trace = json.loads(files["t.json"].read_text())
    assert trace["property"] == "VotedOncePerTerm" and trace["length"] == 4
    assert len(trace["steps"]) == 5 and trace["steps"][0]["action"] is None
    assert trace["steps"][-1]["action"]["action"] == "HandleRequestVoteRequest"
    graph = nx.read_graphml(files["t.graphml"])
    assert graph.number_of_nodes() == 5 and graph.number_of_edges() == 4
    assert nx.is_directed_acyclic_graph(graph)

    run("explore", *DOUBLE_VOTE, "--out", str(files["t.itf.json"]),
        "--graph", str(files["t.dot"]))
    itf = trace_from_json(json.loads(files["t.itf.json"].read_text()))
    assert len(itf.states) == 5
    assert "currentTerm" in itf.vars and "votedFor" in itf.vars
    # the voter switched its vote within term 2: the violation, visible in the ITF values
    before, after = itf.states[-2].values, itf.states[-1].values
    switched = [n for n in after["votedFor"]
                if before["votedFor"][n] != "Nil" and after["votedFor"][n] != before["votedFor"][n]]
    assert len(switched) == 1 and after["currentTerm"][switched[0]] == 2
    (dot,) = pydot.graph_from_dot_file(str(files["t.dot"]))
    assert len(dot.get_edges()) == 4
    # drawn legibly: small boxes named by step, the state and the step's changes as tooltips,
    # the violating state in red
    nodes = {n.get_name(): n for n in dot.get_nodes() if n.get_name().startswith("s")}
    assert [nodes[f"s{k}"].get("label").strip('"') for k in range(5)] == \
        ["0", "1", "2", "3", "4"]
    assert "n1.term = " in nodes["s0"].get("tooltip")
    assert nodes["s4"].get("fillcolor").strip('"') == "#c62828"
    assert all(n.get("fillcolor") is None for k, n in nodes.items() if k != "s4")
    assert all(" -> " in e.get("tooltip") for e in dot.get_edges())


def test_json_result_for_machines():
    out = run("explore", *DOUBLE_VOTE, "--json")
    assert out.returncode == 1
    result = json.loads(out.stdout)
    assert result["verdict"] == "violated" and result["exit_code"] == 1
    assert result["model"]["mutant"] == "double-vote"
    assert result["counterexample"]["property"] == "VotedOncePerTerm"
    assert result["statistics"]["distinct_states"] > 0


def test_the_main_job_reorders_and_ends_with_holds():
    """The README's first command, to the end (about two minutes): five servers, two messages
    on one link, every property holds, exit 0."""
    out = run("explore", "--nodes", "5", "--json", timeout=900)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["verdict"] == "holds"
    bounds = result["model"]["bounds"]
    assert bounds["max_msgs"] == 2 and bounds["max_links"] == 1
    assert bounds["max_restarts"] >= 1 and bounds["max_partitions"] >= 1
    assert bounds["max_writes"] >= 1 and bounds["max_term"] >= 3
    assert result["statistics"]["queue"] == 0
    # what a HOLDS here cannot speak for is said with it
    assert any("one client write" in limit for limit in result["scope_limits"])


def test_state_budget_stops_with_partial_statistics():
    out = run("explore", *LARGE, "--max-states", "2000", "--no-progress")
    assert out.returncode == 3
    assert "STOPPED" in out.stdout and "--max-states" in out.stdout
    assert "distinct states" in out.stdout


def test_time_budget_stops():
    started = time.monotonic()
    out = run("explore", *LARGE, "--time-limit", "2", "--no-progress")
    assert out.returncode == 3
    assert "--time-limit" in out.stdout
    assert time.monotonic() - started < 60


@pytest.mark.parametrize("started_ignoring", [False, True], ids=["foreground", "background"])
def test_ctrl_c_prints_partial_statistics_and_exits_3(started_ignoring: bool):
    # a background job of a shell (a CI script's) starts with SIGINT ignored: kill -INT must
    # still stop the search
    code, out, err = signalled_once_under_way(["explore", *LARGE], signal.SIGINT,
                                              under_way="states",
                                              started_ignoring=started_ignoring)
    assert code == 3, err
    assert "STOPPED: interrupted" in out
    assert "distinct states" in out


ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def test_progress_is_live_on_a_narrow_terminal_and_the_verdict_coloured():
    pid, fd = pty.fork()
    if pid == 0:  # the child: raftcheck on a real terminal 40 columns wide
        fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 40, 0, 0))
        env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "COLUMNS")}
        os.execve(sys.executable, [*RAFTCHECK, "explore", "--nodes", "5", "--time-limit", "3"],
                  {**env, "TERM": "xterm-256color"})
    output = b""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 1)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            output += chunk
    _, status = os.waitpid(pid, 0)
    text = output.decode(errors="replace")
    assert os.waitstatus_to_exitcode(status) == 3
    assert "\r\x1b[2K" in text  # the progress line is redrawn in place
    shown = [piece for piece in re.split(r"[\r\n]", ANSI.sub("", text)) if "queue" in piece]
    assert shown, text
    # cropped to the terminal's width, never wrapped into a trail of lines
    assert all(len(piece) <= 40 for piece in shown), shown
    assert any(piece.endswith("…") for piece in shown), shown
    assert re.search(r"\x1b\[[0-9;]+mSTOPPED:", text), text[-400:]


def test_verdict_is_plain_when_piped():
    out = run("explore", *SMALL)
    assert out.returncode == 0, out.stderr
    assert "\x1b" not in out.stdout and "HOLDS:" in out.stdout


# --- explore --liveness ---------------------------------------------------------------------------

QUIET = ["--liveness", "--clients", "0", "--max-writes", "0", "--max-restarts", "0",
         "--max-partitions", "0"]


def test_liveness_holds_with_random_timeouts():
    out = run("explore", *QUIET)
    assert out.returncode == 0, out.stderr
    assert "HOLDS" in out.stdout and "election timeout 2..3" in out.stdout
    assert "EventuallyLeader   holds" in out.stdout
    assert "random draws" in out.stdout  # the fairness is stated


def test_liveness_violated_with_a_fixed_timeout_is_a_lasso_in_every_format(tmp_path: Path):
    trace = tmp_path / "lasso.json"
    graph = tmp_path / "lasso.graphml"
    out = run("explore", *QUIET, "--election-timeout", "2", "--invariant", "EventuallyLeader",
              "--out", str(trace), "--graph", str(graph))
    assert out.returncode == 1, out.stderr
    assert "VIOLATED: EventuallyLeader" in out.stdout
    assert "the cycle starts here" in out.stdout and "Timeout(n" in out.stdout
    assert "every term raised" in out.stdout  # split votes forever: terms grow along the cycle
    saved = json.loads(trace.read_text())
    assert saved["loop_start"] is not None and saved["loop_start"] < len(saved["steps"]) - 1
    g = nx.read_graphml(graph)
    assert any(d.get("loop_back") for _, _, d in g.edges(data=True))


def test_liveness_json():
    out = run("explore", *QUIET, "--election-timeout", "2", "--json")
    assert out.returncode == 1, out.stderr
    result = json.loads(out.stdout)
    assert result["liveness"] == {"EventuallyLeader": "violated", "EventuallyCommits": "holds"}
    assert result["model"]["bounds"]["max_elections"] is None


@pytest.mark.parametrize("flag", ["--workers", "--max-states", "--time-limit"])
def test_zero_budgets_and_workers_are_refused_before_anything_is_printed(
        flag: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explore", flag, "0"]) == 2
    out, err = capsys.readouterr()
    assert out == ""  # no header before the error
    assert err.startswith(f"raftcheck: error: argument {flag}: expected a ") and \
        err.count("\n") == 1
