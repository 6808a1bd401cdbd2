"""The history picture: one lane per process, bars in real time, the window marked."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from raftcheck import cli
from raftcheck.history import check_history, read_history
from raftcheck.history.picture import LANE_LABEL, MARGIN, render, render_html
from tests.history_notation import history

SVG = "{http://www.w3.org/2000/svg}"
HISTORIES = Path(__file__).parent / "data" / "history"


def _bars(svg: str) -> dict[str, tuple[float, float, str]]:
    """title of each operation's group -> (x, width, class)."""
    root = ET.fromstring(svg)
    out = {}
    for g in root.iter(f"{SVG}g"):
        cls = g.get("class", "")
        if not cls.startswith("op "):
            continue
        title = g.find(f"{SVG}title")
        rect = g.find(f"{SVG}rect")
        assert title is not None and rect is not None
        out[title.text or ""] = (float(rect.get("x", 0)), float(rect.get("width", 0)), cls)
    return out


def test_stale_read_picture_marks_the_window_and_keeps_real_time() -> None:
    verdict = check_history(history("""
        p1 invoke write 1
        p1 ok write 1
        p1 invoke write 2
        p1 ok write 2
        p2 invoke read
        p3 invoke write 3
        p2 ok read 2
        p3 info write 3
        p4 invoke read
        p4 ok read 1
    """))
    svg = render(verdict)
    bars = _bars(svg)
    by_start = {title.split(":")[0]: bar for title, bar in bars.items()}
    assert set(by_start) == {"process p1", "process p2", "process p3", "process p4"}
    lanes = [t.text for t in ET.fromstring(svg).iter(f"{SVG}text")
             if "lane-label" in (t.get("class") or "")]
    assert lanes == ["process p1", "process p2", "process p3", "process p4"]
    classes = {title: bar[2] for title, bar in bars.items()}
    failing = [t for t, c in classes.items() if "failing" in c]
    assert failing == ["process p4: read -> 1 — ok (line 10-11)"]
    window = sorted(t for t, c in classes.items() if "window" in c)
    assert window == ["process p2: read -> 2 — ok (line 6-8)",
                      "process p4: read -> 1 — ok (line 10-11)"]
    # Real time (event order here) left to right: p2's read starts before p4's.
    x = {t: bar[0] for t, bar in bars.items()}
    assert x["process p2: read -> 2 — ok (line 6-8)"] < x["process p4: read -> 1 — ok (line 10-11)"]
    # The timed-out write may act later: a dotted line to the right edge.
    root = ET.fromstring(svg)
    info = [g for g in root.iter(f"{SVG}g") if g.get("class") == "op info"]
    assert len(info) == 1 and info[0].find(f"{SVG}line") is not None


def test_linearizable_picture_marks_nothing(tmp_path: Path) -> None:
    out = tmp_path / "live.svg"
    page = tmp_path / "live.html"
    path = str(HISTORIES / "etcd-live.jsonl")
    assert cli.main(["history", path, "--svg", str(out), "--html", str(page)]) == 0
    svg = out.read_text()
    bars = _bars(svg)
    assert len(bars) == 124  # every operation of the three keys
    assert not any("window" in c for _, _, c in bars.values())
    html = page.read_text()
    assert html.startswith("<!DOCTYPE html>") and "<svg" in html
    assert "LINEARIZABLE: every key&#x27;s history has a linearization" in html


def test_timed_history_bars_are_as_long_as_the_operations() -> None:
    h = read_history(str(HISTORIES / "etcd-stale-read.jsonl"))
    svg = render(check_history(h))
    bars = _bars(svg)
    ops = {op.index: op for op in h.operations}
    left = MARGIN + LANE_LABEL  # the plot's edges
    right = float(ET.fromstring(svg).get("width", 0)) - MARGIN
    durations = {}
    for title, (x, width, _) in bars.items():
        if x <= left + 0.5 or x + width >= right - 0.5:
            continue  # cut at the edge of the range drawn
        line = title.rsplit("(line ", 1)[1].split("-")[0]
        op = next(o for o in ops.values() if str(o.line) == line)
        assert op.complete_time is not None and op.invoke_time is not None
        durations[op.index] = (op.complete_time - op.invoke_time, width)
    # One scale for every bar (above the minimum width of 4 pixels).
    scales = [w / d for d, w in durations.values() if w > 4.5 and d > 0]
    assert len(scales) > 5
    assert max(scales) / min(scales) < 1.01


def test_html_page_holds_the_report() -> None:
    verdict = check_history(read_history(str(HISTORIES / "etcd-stale-read.jsonl")))
    page = render_html(verdict)
    assert "first response no linearization explains: line 103-110" in page
    assert page.count("<svg") == 1
