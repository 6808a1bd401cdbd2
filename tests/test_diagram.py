"""Message sequence diagrams (SVG and Mermaid) of traces.

Every expectation is counted here from the trace itself (its actions and its states, read
through the model's public variables), never copied from the diagram code: a lifeline per
server, an arrow per delivery, a cross per drop, a partition mark iff the trace partitions, a
row per step.
"""

from __future__ import annotations

import re
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

from raftcheck.checker.result import Counterexample, TraceStep
from raftcheck.checker.search import breadth_first
from raftcheck.diagrams import diagram_text, write_diagram
from raftcheck.spec.actions import describe_message
from raftcheck.spec.config import Bounds, SpecConfig
from raftcheck.spec.model import RaftModel
from raftcheck.spec.mutants import MUTANTS

SVG = "{http://www.w3.org/2000/svg}"
#: The SVG 1.1 elements a diagram may use (a subset of the SVG 1.1 element list).
SVG11_ELEMENTS = {"svg", "g", "defs", "marker", "title", "desc", "line", "path", "rect",
                  "circle", "text", "tspan", "polyline", "polygon", "ellipse", "use", "style"}
#: SVG 1.1 attributes: core, presentation and the geometry attributes of those elements.
SVG11_ATTRIBUTES = {
    "id", "class", "style", "version", "width", "height", "viewBox", "x", "y", "x1", "y1",
    "x2", "y2", "cx", "cy", "r", "rx", "ry", "d", "points", "transform", "fill", "stroke",
    "stroke-width", "stroke-dasharray", "stroke-linejoin", "stroke-linecap", "opacity",
    "fill-opacity", "stroke-opacity", "font-family", "font-size", "font-weight", "font-style",
    "text-anchor", "marker-end", "marker-start", "refX", "refY", "markerWidth",
    "markerHeight", "markerUnits", "orient", "preserveAspectRatio",
}


# --- traces -----------------------------------------------------------------------------------


def scripted(model: RaftModel, script: list[str]) -> Counterexample:
    """A trace chosen step by step: each step is the first successor whose action starts
    with the given text."""
    state = model.initial_states()[0]
    steps = [TraceStep(None, state)]
    for wanted in script:
        chosen = [(a, s) for a, s, _ in model.successors(state) if str(a).startswith(wanted)]
        assert chosen, f"no step {wanted!r} after step {len(steps) - 1}"
        action, state = chosen[0]
        steps.append(TraceStep(action, state))
    return Counterexample("Witness", "state", steps)


def mutant_trace(name: str) -> tuple[RaftModel, Counterexample]:
    m = MUTANTS[name]
    model = RaftModel(SpecConfig(nodes=m.nodes, profile=m.profile, bounds=Bounds(**m.bounds),
                                 mutant=name, **m.options))
    return model, breadth_first(model, symmetry=True).counterexample


def partition_trace() -> tuple[RaftModel, Counterexample]:
    """An election, a client write, a dropped AppendEntries, a cut with a restart and an
    election on the other side, a heal, and a message that waited through the cut."""
    bounds = Bounds(max_term=3, max_log=2, max_msgs=3, max_dup=2, max_writes=2,
                    max_restarts=1, max_elections=2, max_partitions=1)
    # With MinorityNeverCommits alone, the search keeps cuts (it does not lift them).
    model = RaftModel(SpecConfig(nodes=3, bounds=bounds), ["MinorityNeverCommits"])
    return model, scripted(model, [
        "Timeout(n1)", "RequestVote(n1, n2)", "RequestVote(n1, n3)",
        "HandleRequestVoteRequest(RequestVoteRequest n1->n2",
        "HandleRequestVoteRequest(RequestVoteRequest n1->n3",
        "HandleRequestVoteResponse(RequestVoteResponse n2->n1",
        "ClientRequest(n1", "AppendEntries(n1, n2)", "DropMessage(AppendEntriesRequest n1->n2",
        "AppendEntries(n1, n3)", "Partition({n1}|", "Restart(n1)", "Timeout(n2)",
        "RequestVote(n2, n3)", "HandleRequestVoteRequest(RequestVoteRequest n2->n3", "Heal",
        "HandleAppendEntriesRequest(AppendEntriesRequest n1->n3",
    ])


def raft_tla_trace() -> tuple[RaftModel, Counterexample]:
    """raft.tla's profile: a candidate's vote request to itself, a duplicated request, a
    message read twice (UpdateTerm leaves it in the network)."""
    bounds = Bounds(max_term=2, max_log=0, max_msgs=4, max_dup=2, max_writes=None,
                    max_restarts=None, max_elections=None, max_partitions=0)
    model = RaftModel(SpecConfig(nodes=3, profile="raft-tla", bounds=bounds))
    return model, scripted(model, [
        "Timeout(n1)", "RequestVote(n1, n1)", "RequestVote(n1, n2)",
        "DuplicateMessage(RequestVoteRequest n1->n2",
        "HandleRequestVoteRequest(RequestVoteRequest n1->n1",
        "UpdateTerm(RequestVoteRequest n1->n2",
        "HandleRequestVoteRequest(RequestVoteRequest n1->n2",
        "HandleRequestVoteRequest(RequestVoteRequest n1->n2",
        "HandleRequestVoteResponse(RequestVoteResponse n2->n1",
        "HandleRequestVoteResponse(RequestVoteResponse n1->n1",
        "BecomeLeader(n1)", "Restart(n1)",
    ])


TRACES = {
    "double-vote": lambda: mutant_trace("double-vote"),
    "no-step-down": lambda: mutant_trace("no-step-down"),
    # configuration entries in logs, a snapshot installed
    "two-changes-in-flight": lambda: mutant_trace("two-changes-in-flight"),
    "installs-older-snapshot": lambda: mutant_trace("installs-older-snapshot"),
    "partition": partition_trace,
    "raft-tla": raft_tla_trace,
}


@pytest.fixture(scope="module", params=sorted(TRACES))
def trace(request):
    return TRACES[request.param]()


# --- what the trace says, counted from its actions and states ---------------------------------


def actions(cex: Counterexample) -> list:
    return [step.action for step in cex.steps[1:]]


def deliveries(cex: Counterexample) -> list[tuple[int, object]]:
    """(step, action) of every step in which a server handles a message."""
    return [(k, step.action) for k, step in enumerate(cex.steps) if k
            and type(step.action).kind == "message"]


def count_named(cex: Counterexample, name: str) -> int:
    return sum(1 for a in actions(cex) if a.name == name)


def leader_changes(model: RaftModel, cex: Counterexample) -> int:
    """Steps x servers where a server is leader afterwards in a role or term it was not in."""
    changes = 0
    for before, after in zip(cex.steps, cex.steps[1:], strict=False):
        old, new = model.variables(before.state), model.variables(after.state)
        for name, role in new["state"].items():
            if role == "Leader" and (old["state"][name], old["currentTerm"][name]) != (
                    role, new["currentTerm"][name]):
                changes += 1
    return changes


# --- SVG ----------------------------------------------------------------------------------------


def classes(el: ET.Element) -> set[str]:
    return set(el.get("class", "").split())


def groups(root: ET.Element, *wanted: str) -> list[ET.Element]:
    return [g for g in root.iter(f"{SVG}g") if set(wanted) <= classes(g)]


def svg_of(model: RaftModel, cex: Counterexample) -> ET.Element:
    return ET.fromstring(diagram_text("trace.svg", cex, model))


def test_svg_is_svg_1_1_with_a_view_box_and_a_title(trace):
    model, cex = trace
    root = svg_of(model, cex)
    assert root.tag == f"{SVG}svg" and root.get("version") == "1.1"
    x, y, width, height = (float(v) for v in root.get("viewBox").split())
    assert (x, y) == (0, 0) and width > 0 and height > 0
    assert root.find(f"{SVG}title").text
    for el in root.iter():
        assert el.tag.removeprefix(SVG) in SVG11_ELEMENTS, el.tag
        assert set(el.attrib) <= SVG11_ATTRIBUTES, (el.tag, set(el.attrib) - SVG11_ATTRIBUTES)
    markers = {m.get("id") for m in root.iter(f"{SVG}marker")}
    for el in root.iter():
        if el.get("marker-end"):
            assert re.fullmatch(r"url\(#(.+)\)", el.get("marker-end")).group(1) in markers


def test_svg_has_a_lifeline_per_server(trace):
    model, cex = trace
    lifelines = groups(svg_of(model, cex), "lifeline")
    assert len(lifelines) == model.n
    names = [n for g in lifelines for n in [g.find(f"{SVG}title").text.split()[-1]]]
    assert names == list(model.variables(cex.steps[0].state)["currentTerm"])


def test_svg_has_an_arrow_per_delivery_from_sender_to_recipient(trace):
    model, cex = trace
    root = svg_of(model, cex)
    arrows = groups(root, "message", "delivered")
    assert len(arrows) == len(deliveries(cex))
    x_of = {g.find(f"{SVG}title").text.split()[-1]: float(g.find(f"{SVG}line").get("x1"))
            for g in groups(root, "lifeline")}
    titles = [g.find(f"{SVG}title").text for g in arrows]
    for k, action in deliveries(cex):
        m = action.message
        matching = [g for g, t in zip(arrows, titles, strict=True)
                    if t.startswith(describe_message(m)) and f"delivered at step {k}" in t]
        assert len(matching) == 1, (k, describe_message(m))
        shape = matching[0].find(f"{SVG}line")
        if shape is None:
            assert m.src == m.dst  # a message to oneself is a loop, not a line
            continue
        src, dst = f"n{m.src + 1}", f"n{m.dst + 1}"
        assert float(shape.get("x1")) == pytest.approx(x_of[src], abs=0.1)
        assert float(shape.get("x2")) == pytest.approx(x_of[dst], abs=3)
        assert float(shape.get("y2")) > float(shape.get("y1"))  # time runs down


def test_svg_marks_drops_partitions_heals_restarts_and_client_requests(trace):
    model, cex = trace
    root = svg_of(model, cex)
    assert len(groups(root, "message", "dropped")) == count_named(cex, "DropMessage")
    assert len(groups(root, "network", "partition")) == count_named(cex, "Partition")
    assert len(groups(root, "network", "heal")) == count_named(cex, "Heal")
    assert len(groups(root, "network", "duplicate")) == count_named(cex, "DuplicateMessage")
    assert len(groups(root, "note", "restart")) == count_named(cex, "Restart")
    assert len(groups(root, "note", "client")) == count_named(cex, "ClientRequest")
    assert len(groups(root, "note", "leader")) == leader_changes(model, cex)
    if count_named(cex, "Partition"):
        assert groups(root, "cut")  # the sides are shaded while the network is cut


def test_svg_numbers_every_step_in_order(trace):
    model, cex = trace
    root = svg_of(model, cex)
    numbers = [t.text for t in root.iter(f"{SVG}text") if "step-number" in classes(t)]
    assert numbers == [str(k) for k in range(len(cex.steps))]
    labels = [t.text for t in root.iter(f"{SVG}text") if "step-label" in classes(t)]
    for label, action in zip(labels[1:], actions(cex), strict=True):
        assert label.startswith(action.name)


def test_svg_says_what_the_counterexample_breaks():
    model, cex = mutant_trace("double-vote")
    text = " ".join(t.text or "" for t in svg_of(model, cex).iter(f"{SVG}text"))
    assert cex.property in text


# --- Mermaid ------------------------------------------------------------------------------------


def mermaid_lines(model: RaftModel, cex: Counterexample) -> list[str]:
    return [line.strip() for line in diagram_text("trace.mmd", cex, model).splitlines()]


def test_mermaid_has_the_header_and_a_participant_per_server(trace):
    model, cex = trace
    lines = mermaid_lines(model, cex)
    assert lines[0] == "sequenceDiagram"
    participants = [line.split()[1] for line in lines if line.startswith("participant ")]
    assert participants == list(model.variables(cex.steps[0].state)["currentTerm"])


def test_mermaid_has_an_arrow_line_per_delivery_and_per_drop(trace):
    model, cex = trace
    lines = mermaid_lines(model, cex)
    delivered = [line for line in lines if re.match(r"^n\d+->>n\d+: ", line)]
    dropped = [line for line in lines if re.match(r"^n\d+-xn\d+: ", line)]
    assert len(delivered) == len(deliveries(cex))
    assert len(dropped) == count_named(cex, "DropMessage")
    for k, action in deliveries(cex):
        m = action.message
        assert any(line.startswith(f"n{m.src + 1}->>n{m.dst + 1}: ")
                   and re.search(rf"\[\d+→{k}\]", line) for line in delivered)


def test_mermaid_mentions_every_step_and_balances_its_blocks(trace):
    model, cex = trace
    lines = mermaid_lines(model, cex)
    mentioned = set()
    for line in lines:
        mentioned.update(int(k) for k in re.findall(r"^Note over [^:]+: (\d+) ", line))
        mentioned.update(int(k) for k in re.findall(r"\[(\d+)→(?:\d+)?\]", line))
        mentioned.update(int(k) for k in re.findall(r"\[\d+→(\d+)\]", line))
    assert mentioned == set(range(len(cex.steps)))
    opened = sum(1 for line in lines if line.startswith("rect "))
    assert opened == count_named(cex, "Partition")
    assert opened == sum(1 for line in lines if line == "end")
    assert not any(";" in line or "#" in line for line in lines)


# --- files and the command ----------------------------------------------------------------------


def test_write_diagram_refuses_an_unknown_suffix_and_an_unwritable_path(tmp_path):
    from raftcheck.checker.export import ExportError

    model, cex = mutant_trace("double-vote")
    with pytest.raises(ExportError, match="unknown diagram format"):
        write_diagram(tmp_path / "trace.png", cex, model)
    with pytest.raises(ExportError, match="cannot write"):
        write_diagram(tmp_path / "missing" / "trace.svg", cex, model)
    assert not list(tmp_path.iterdir())


def explore(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "raftcheck", "explore", *args],
                          capture_output=True, text=True, timeout=120)


def test_explore_writes_svg_and_mermaid_diagrams_of_a_counterexample(tmp_path):
    svg, mmd = tmp_path / "cex.svg", tmp_path / "cex.mmd"
    for path in (svg, mmd):
        out = explore("--mutant", "no-step-down", "--diagram", str(path))
        assert out.returncode == 1, out.stderr
    model, cex = mutant_trace("no-step-down")  # the same search, so the same trace
    root = ET.parse(svg).getroot()
    assert len(groups(root, "lifeline")) == model.n
    assert len(groups(root, "message", "delivered")) == len(deliveries(cex))
    assert "no-step-down" in root.find(f"{SVG}desc").text  # the scope, as the text report says
    lines = mmd.read_text().splitlines()
    assert lines[0] == "sequenceDiagram"
    assert sum(1 for line in lines if "->>" in line) == len(deliveries(cex))


@pytest.mark.parametrize("name", ["cex.png", "cex.svg.txt", "cex"])
def test_explore_refuses_an_unknown_diagram_suffix_before_searching(tmp_path, name):
    out = explore("--mutant", "no-step-down", "--diagram", str(tmp_path / name))
    assert out.returncode == 2
    assert out.stderr.count("\n") == 1 and "--diagram" in out.stderr
    assert out.stdout == ""  # refused before the search started
    assert not list(tmp_path.iterdir())


def test_explore_writes_no_diagram_when_the_properties_hold(tmp_path):
    path = tmp_path / "none.svg"
    out = explore("--max-term", "2", "--max-log", "0", "--max-msgs", "1", "--max-writes", "0",
                  "--max-restarts", "0", "--max-partitions", "0", "--diagram", str(path))
    assert out.returncode == 0
    assert not path.exists() and "nothing written" in out.stderr


# --- a lasso (a liveness counterexample) --------------------------------------------------------


def lasso_trace() -> tuple[RaftModel, Counterexample]:
    """n1 is elected and takes a write; then forever it sends the entry and the network drops
    it: the last step returns to the state of the step before the cycle."""
    if "loop_start" not in Counterexample.__dataclass_fields__:
        pytest.skip("this checker has no lassos")
    bounds = Bounds(max_term=2, max_log=1, max_msgs=2, max_writes=1, max_restarts=0,
                    max_partitions=0)
    model = RaftModel(SpecConfig(nodes=3, bounds=bounds))
    cex = scripted(model, [
        "Timeout(n1)", "RequestVote(n1, n2)", "HandleRequestVoteRequest(RequestVoteRequest n1->n2",
        "HandleRequestVoteResponse(RequestVoteResponse n2->n1", "ClientRequest(n1",
        "AppendEntries(n1, n2)", "DropMessage(AppendEntriesRequest n1->n2",
    ])
    loop = len(cex.steps) - 3
    assert cex.steps[-1].state == cex.steps[loop].state
    return model, Counterexample("EventuallyCommits", "lasso", cex.steps, loop_start=loop)


def test_svg_brackets_the_cycle_of_a_lasso():
    model, cex = lasso_trace()
    root = svg_of(model, cex)
    (cycle,) = groups(root, "cycle")
    assert f"{cex.loop_start + 1} to {cex.length}" in cycle.find(f"{SVG}title").text
    assert len(groups(root, "message", "dropped")) == 1


def test_mermaid_puts_the_cycle_of_a_lasso_in_a_loop_block():
    model, cex = lasso_trace()
    lines = mermaid_lines(model, cex)
    (start,) = [k for k, line in enumerate(lines) if line.startswith("loop ")]
    assert lines[start - 1].startswith(f"Note over n1: {cex.loop_start} ")  # the write
    assert lines.count("end") == 1
