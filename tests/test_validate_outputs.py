"""validate's outputs: CLI exit codes and messages, JSON, JUnit XML, the pytest plugin."""

from __future__ import annotations

import importlib.metadata
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from raftcheck.cli import main
from raftcheck.validate import Report, validate_paths
from raftcheck.validate.junit import junit_tree

pytest_plugins = ["pytester"]

DATA = Path(__file__).parent / "data" / "etcd35"
KILL = DATA / "leader-kill"


def test_cli_conforms_text_and_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(KILL)]) == 0
    assert capsys.readouterr().out.startswith("CONFORMS: ")
    assert main(["validate", "--json", str(KILL / "node1.log"), str(KILL / "node2.log"),
                 str(KILL / "node3.log")]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["status"] == "conforms" and report["exit_code"] == 0
    assert report["counts"] == {"conforms": 1}
    (run,) = report["runs"]
    assert run["status"] == "conforms" and run["run"] == str(KILL)
    assert [f["node"] for f in run["files"]] == ["n1", "n2", "n3"]


@pytest.mark.parametrize("content, message", [
    (b"", "empty file"),
    (b"\x00\x01\x02binary", "binary data"),
    (b"hello world\n", "not a recognised Raft log format"),
])
def test_cli_bad_input_is_one_line_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                          content: bytes, message: str) -> None:
    bad = tmp_path / "bad.log"
    bad.write_bytes(content)
    assert main(["validate", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err and str(bad) in err


def test_cli_bad_flags(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "--max-skew", "-1", str(KILL)]) == 2
    assert main(["validate", "--max-skew", "soon", str(KILL)]) == 2
    assert "expected" in capsys.readouterr().err


def test_truncated_json_record_is_reported_not_trusted(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    for f in KILL.glob("node*.log"):
        (logs / f.name).write_text(f.read_text())
    node1 = logs / "node1.log"
    node1.write_text(node1.read_text() + '{"level":"info","ts":"2026-11-28T12:12:49.0Z","logg')
    verdict = validate_paths([logs])
    assert any(p.startswith(f"{node1}:151") for p in verdict.problems)


def test_junit_xml_structure(tmp_path: Path) -> None:
    out = tmp_path / "report.xml"
    assert main(["validate", "--junit", str(out), str(KILL)]) == 0
    suite = ET.parse(out).getroot()
    assert suite.tag == "testsuite"
    assert (suite.get("tests"), suite.get("failures"), suite.get("skipped")) == ("1", "0", "0")
    case = suite.find("testcase")
    assert case is not None and case.find("failure") is None
    assert "CONFORMS" in case.findtext("system-out")


def test_junit_failure_and_skipped() -> None:
    verdict = validate_paths([KILL])
    verdict.status, verdict.rule, verdict.reason = "violates", "ElectionSafety", "x at f:1"
    failure = junit_tree(Report([verdict])).getroot().find("testcase/failure")
    assert failure is not None and failure.get("type") == "ElectionSafety"
    verdict.status = "inconclusive"
    suite = junit_tree(Report([verdict])).getroot()
    assert suite.get("skipped") == "1" and suite.find("testcase/skipped") is not None


def test_pytest_plugin(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(f"""
        def test_good(raft_logs_conform):
            verdict = raft_logs_conform({str(KILL)!r})
            assert verdict.status == "conforms"

        def test_bad(raft_logs_conform, tmp_path):
            log = tmp_path / "node1.log"
            lines = open({str(KILL / "node1.log")!r}).read().splitlines(keepends=True)
            lines[133] = lines[133].replace("at term 3", "at term 1")
            log.write_text("".join(lines))
            raft_logs_conform(str(log))
    """)
    # Installed (pip install -e .), the plugin loads through its pytest11 entry point; from a
    # bare checkout it has to be named.
    installed = any(e.value.startswith("raftcheck.")
                    for e in importlib.metadata.entry_points(group="pytest11"))
    result = pytester.runpytest(*([] if installed else ["-p", "raftcheck.validate.pytest_plugin"]))
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*raft logs do not conform*", "*TermMonotonic*"])
