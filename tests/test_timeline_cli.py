"""The `raftcheck timeline` command: its outputs (terminal, JSON, HTML), refused input, and
clock skew found and corrected on a real run whose clock the test moves by a known amount."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from raftcheck.timeline import build_timeline

DATA = Path(__file__).resolve().parent / "data"
KILL = DATA / "etcd" / "3.5-kill"
FLAPPING = DATA / "etcd" / "3.5-flapping-no-pre-vote"
RFC3339 = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z\Z")


def run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "raftcheck", "timeline", *args],
                          capture_output=True, text=True, timeout=120, env=env)


def test_terminal_view_is_plain_text_when_piped() -> None:
    done = run(str(KILL))
    assert done.returncode == 0, done.stderr
    assert "\x1b[" not in done.stdout
    scenario = json.loads((KILL / "scenario.json").read_text())
    victim = scenario["facts"]["rounds"][0]["victim"]
    assert f"leader-killed: {victim}, the leader, killed or crashed" in done.stdout
    lanes = [line for line in done.stdout.splitlines() if line.lstrip().startswith(f"{victim} ")]
    assert len(lanes) == 1 and "L" in lanes[0] and "x" in lanes[0]
    assert re.search(r"^ *no leader +#", done.stdout, re.M)


def test_json_names_leaders_as_the_logs_do_in_rfc3339_utc() -> None:
    done = run(str(FLAPPING), "--json")
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    scenario = json.loads((FLAPPING / "scenario.json").read_text())
    names = set(scenario["members"])
    assert out["elections"] and all(e["leader"] in names for e in out["elections"])
    for e in out["elections"]:
        assert isinstance(e["term"], int) and RFC3339.match(e["at"])
    last = scenario["facts"] if "leader_after" in scenario["facts"] else scenario["steps"][-2]
    assert (out["elections"][-1]["leader"], out["elections"][-1]["term"]) == (
        last["leader_after"], last["term_after"])
    for w in out["leaderless"]:
        if w["end"] is None:
            continue
        start = datetime.fromisoformat(w["start"])
        end = datetime.fromisoformat(w["end"])
        assert w["seconds"] == pytest.approx((end - start).total_seconds(), abs=1e-6)
    kinds = {d["kind"] for d in out["diagnosis"]}
    assert {"election-storm", "node-cut-off"} <= kinds
    assert all(d["evidence"] for d in out["diagnosis"])
    assert all(re.match(r".+\.log:\d+\Z", s) for d in out["diagnosis"] for s in d["evidence"])


def test_html_is_one_self_contained_page_with_a_swimlane(tmp_path: Path) -> None:
    page = tmp_path / "kill.html"
    done = run(str(KILL), "--html", str(page))
    assert done.returncode == 0, done.stderr
    assert f"wrote {page}" in done.stderr
    text = page.read_text()
    assert not re.search(r"""(src|href)=['"]?(https?:|//)""", text)  # nothing fetched
    svg = ET.fromstring(text[text.index("<svg"):text.index("</svg>") + 6])
    ns = "{http://www.w3.org/2000/svg}"
    t = build_timeline([KILL])
    assert len([r for r in svg.iter(f"{ns}rect")
                if any((r.findtext(f"{ns}title") or "").startswith(f"{t.name(s.node)} "
                                                                  f"{s.role}")
                       for s in t.spans)]) == len(t.spans)  # one band per role span
    tips = [p.findtext(f"{ns}title") or "" for p in svg.iter(f"{ns}path")]
    for w in t.warnings:  # every warning is a marker whose tooltip is its log line
        assert any(w.source.raw[:200] in tip for tip in tips)
    for e in t.elections:
        assert any(tip.startswith(f"term {e.term}: {t.name(e.leader)} elected") for tip in tips)
    shaded = [r for r in svg.iter(f"{ns}rect") if r.get("fill") == "#c62828"]
    assert len(shaded) == len([w for w in t.windows if not w.startup])
    assert "<h2>Diagnosis</h2>" in text and "<h2>Terms</h2>" in text


def test_several_runs_are_refused_with_a_hint() -> None:
    done = run(str(KILL), str(FLAPPING))
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1
    assert "2 runs" in done.stderr and "one run per call" in done.stderr


def test_html_into_a_missing_folder_is_refused_before_reading(tmp_path: Path) -> None:
    done = run(str(KILL), "--html", str(tmp_path / "nowhere" / "t.html"))
    assert done.returncode == 2 and "no such directory" in done.stderr
    assert done.stdout == ""


def test_logs_without_clock_are_refused(tmp_path: Path) -> None:
    transcript = Path("/work/shared/corpus/etcd-raft-interaction/async_storage_writes.txt")
    if not transcript.exists():
        pytest.skip(f"the shared corpus is not at {transcript.parent}")
    done = run(str(transcript))
    assert done.returncode == 2 and "no timestamps" in done.stderr


def _shift_zap(path: Path, seconds: float) -> None:
    lines = []
    for line in path.read_text().splitlines():
        if line.startswith("{"):
            record = json.loads(line)
            when = datetime.fromisoformat(record["ts"]) + timedelta(seconds=seconds)
            record["ts"] = when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + \
                f"{when.microsecond // 1000:03d}Z"
            line = json.dumps(record, separators=(",", ":"))
        lines.append(line)
    path.write_text("\n".join(lines) + "\n")


@pytest.mark.parametrize("shift", [2.0, -1.5])
def test_a_skewed_clock_is_found_and_corrected(tmp_path: Path, shift: float) -> None:
    copy = tmp_path / "run"
    shutil.copytree(KILL, copy)
    _shift_zap(copy / "node2.log", shift)
    truth, skewed = build_timeline([KILL]), build_timeline([copy])
    assert not [f for f in truth.findings if f.kind == "clock-skew"]
    found = [f for f in skewed.findings if f.kind == "clock-skew"]
    assert len(found) == 1 and "node2" in [skewed.name(n) for n in found[0].nodes]
    ahead = "node2" if shift > 0 else "node1"
    assert found[0].title.startswith(f"Clock skew: {ahead}'s clock is at least")
    (skew,) = [s for s in skewed.skews if skewed.name(s.node) == "node2"]
    assert abs(skew.applied - shift) < 0.01 and skew.low <= shift <= skew.high
    assert [(e.leader, e.term) for e in skewed.elections] == [
        (e.leader, e.term) for e in truth.elections]
    for a, b in zip(skewed.windows, truth.windows, strict=True):
        assert abs((a.seconds or 0) - (b.seconds or 0)) < 0.01


def test_the_same_logs_give_the_same_timeline_whatever_the_hash_seed() -> None:
    outputs = set()
    for seed in ("1", "2", "3"):
        done = subprocess.run([sys.executable, "-m", "raftcheck", "timeline", str(FLAPPING),
                               "--json"], capture_output=True, text=True, timeout=120,
                              env={**os.environ, "PYTHONHASHSEED": seed})
        assert done.returncode == 0, done.stderr
        outputs.add(done.stdout)
    assert len(outputs) == 1
