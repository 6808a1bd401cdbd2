"""The sweep (benchmarks/sweep.py): its forged copies of real runs break Raft where it says, so
validate must catch each at the edited line; its look-alikes stay legitimate; compare names a
change between two sweeps."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))

import sweep  # noqa: E402

DATA = REPO / "tests" / "data"
RUNS = [DATA / "etcd" / "3.5-flapping", DATA / "etcd" / "3.4-flapping-capnslog",
        DATA / "hashicorp" / "chaos", DATA / "logs" / "etcd-3.5" / "leader-kill-zap-debug"]


@pytest.fixture(scope="module")
def swept(tmp_path_factory: pytest.TempPathFactory) -> dict:
    out = tmp_path_factory.mktemp("sweep") / "sweep.json"
    assert sweep.check(out, RUNS, forging=True, workers=1) == 0
    return json.loads(out.read_text())


def test_real_runs_conform(swept: dict) -> None:
    assert {Path(name).name: v["status"] for name, v in swept["runs"].items()} == \
        {run.name: "conforms" for run in RUNS}


def test_every_forged_copy_is_caught_at_its_line(swept: dict) -> None:
    kinds = {f["kind"] for f in swept["forged"].values()}
    assert {"term-back", "second-leader", "vote-twice", "leader-without-quorum"} <= kinds
    # and each again with a node's clock set wrong for a while (lines stamped off, then right)
    assert {f"{kind}+clock" for kind in kinds if "+" not in kind} <= kinds
    assert all((f["clock"] is not None) == f["kind"].endswith("+clock")
               for f in swept["forged"].values())
    for forgery in swept["forged"].values():
        assert forgery["status"] == "violates", forgery
        assert forgery["location"] == f"{forgery['id']}/{forgery['file']}:{forgery['line']}"
        assert forgery["caught"]


def test_a_forged_line_says_what_its_kind_says(swept: dict) -> None:
    for f in swept["forged"].values():
        if f["kind"] == "term-back":
            assert f["after"] != f["before"] and (" term 1" in f["after"] or "term=1" in f["after"])
        if f["kind"] in ("second-leader", "leader-without-quorum"):
            assert f["before"] is None
            assert "became leader" in f["after"] or "entering leader state" in f["after"]


def test_look_alikes_are_no_violations(swept: dict) -> None:
    assert len(swept["look-alikes"]) == len(sweep.LOOK_ALIKES) * len(RUNS)
    steps = [a["clock"] for a in swept["look-alikes"].values() if a["kind"] == "clock-step"]
    assert len(steps) == len(RUNS) and all(s["seconds"] in sweep.CLOCK_STEPS for s in steps)
    for kind, ahead in (("clock-jump", True), ("clock-back", False)):
        copies = [a for a in swept["look-alikes"].values() if a["kind"] == kind]
        assert len(copies) == len(RUNS)
        for copy in copies:  # (from a line on to the end of its log, ahead or behind)
            clock = copy["clock"]
            path = Path(copy["run"]) / clock["file"]
            assert (clock["seconds"] > 0) == ahead
            assert clock["last"] == len(path.read_bytes().splitlines()) > clock["first"]
    assert all(a["status"] != "violates" for a in swept["look-alikes"].values())


def test_compare_names_what_changed(swept: dict, tmp_path: Path,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    old, new = tmp_path / "old.json", tmp_path / "new.json"
    old.write_text(json.dumps(swept))
    changed = json.loads(json.dumps(swept))
    name = sorted(changed["runs"])[0]
    changed["runs"][name].update(status="violates", rule="TermMonotonic", location="x:1")
    forged = sorted(changed["forged"])[0]
    changed["forged"][forged]["caught"] = False
    new.write_text(json.dumps(changed))
    sweep.compare(old, old)
    assert capsys.readouterr().out.startswith("0 changed")
    sweep.compare(old, new)
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"run {name}: ('conforms', None, None) -> ('violates', 'TermMonotonic', 'x:1')"
    assert out[1].startswith(f"forged {changed['forged'][forged]['kind']} of ")
    assert out[-1].startswith("2 changed")


def test_compare_tells_the_draws_of_a_look_alike_apart(
        swept: dict, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Several clock draws of a run share its run and kind: each is compared with its own."""
    before, after = (json.loads(json.dumps(swept)) for _ in range(2))
    look = next(a for a in swept["look-alikes"].values() if a["kind"] == "clock-step")
    draw = {**look, "id": f"{look['id']}-1"}
    for sweep_, first, second in ((before, "conforms", "violates"),
                                  (after, "violates", "conforms")):
        sweep_["look-alikes"][look["id"]] = {**look, "status": first}
        sweep_["look-alikes"][draw["id"]] = {**draw, "status": second}
    old, new = tmp_path / "old.json", tmp_path / "new.json"
    old.write_text(json.dumps(before))
    new.write_text(json.dumps(after))
    sweep.compare(old, new)
    out = capsys.readouterr().out.splitlines()
    assert sorted(out[:2]) == sorted([
        f"look-alike clock-step of {look['run']}: conforms -> violates ({look['rule']} "
        f"{look['location']})",
        f"look-alike clock-step-1 of {look['run']}: violates -> conforms ({look['rule']} "
        f"{look['location']})"])
    assert out[-1].startswith("2 changed")
