"""hashicorp/raft logs (go-hclog text and JSON): every message shape, node naming, the corpus.

The lines in the first part are built from hashicorp/raft 1.1.2's log calls with made-up
addresses and values; none is copied from a log. The corpus tests read ../shared/corpus.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from raftcheck.grammar import hclog
from raftcheck.grammar.hclog import is_raft_module
from raftcheck.traces import events as ev
from raftcheck.traces.logfiles import LogError, read_logs

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO.parent / "shared" / "corpus" / "hashicorp-raft-1.1.2"
needs_corpus = pytest.mark.skipif(
    not CORPUS.is_dir(),
    reason=f"the shared log corpus is not at {CORPUS} (tests read it there, never copy it)")

SERVERS = ("[{Suffrage:Voter ID:alpha Address:10.0.0.1:8300} "
           "{Suffrage:Voter ID:beta Address:10.0.0.2:8300} "
           "{Suffrage:Nonvoter ID:gamma Address:10.0.0.3:8300}]")
HEAD = [
    f'initial configuration: index=1 servers="{SERVERS}"',
    'entering follower state: follower="Node at 10.0.0.1:8300 [Follower]" leader=',
]

# (text after "<time> [LEVEL]  raft: ", event kinds, fields of the first event)
SHAPES: list[tuple[str, list[str], dict[str, Any]]] = [
    ('entering follower state: follower="Node at 10.0.0.1:8300 [Follower]" leader=10.0.0.2:8300',
     ["BecameFollower"], {"leader": "n2", "term": None}),
    ("heartbeat timeout reached, starting election: last-leader=10.0.0.2:8300",
     ["ElectionTimeout"], {"last_leader": "n2"}),
    ("heartbeat timeout reached, starting election: last-leader=", ["ElectionTimeout"],
     {"last_leader": None}),
    ("Election timeout reached, restarting election", ["ElectionTimeout"], {}),
    ('entering candidate state: node="Node at 10.0.0.1:8300 [Candidate]" term=7',
     ["BecameCandidate"], {"term": 7}),
    ("votes: needed=2", ["VotesNeeded"], {"needed": 2}),
    ("vote granted: from=beta term=7 tally=2", ["VoteReceived", "VotesTallied"],
     {"voter": "n2", "term": 7, "granted": True}),
    ("election won: tally=2", ["VotesTallied"], {"granted": 2}),
    ('entering leader state: leader="Node at 10.0.0.1:8300 [Leader]"', ["BecameLeader"], {}),
    ("added peer, starting replication: peer=beta", ["ReplicationProgress"],
     {"peer": "n2", "action": "started"}),
    ('pipelining replication: peer="{Voter beta 10.0.0.2:8300}"', ["ReplicationProgress"],
     {"peer": "n2", "action": "pipelining"}),
    ('aborting pipeline replication: peer="{Voter beta 10.0.0.2:8300}"',
     ["ReplicationProgress"], {"action": "pipeline-aborted"}),
    ('failed to start pipeline replication to: peer="{Voter beta 10.0.0.2:8300}" '
     'error="injected fault: link down"', ["ReplicationProgress"],
     {"action": "pipeline-failed", "detail": "injected fault: link down"}),
    ("newer term discovered, fallback to follower", ["TermObserved"],
     {"message_type": "RequestVoteResponse", "term": None}),
    ("lost leadership because received a requestVote with a newer term", ["TermObserved"],
     {"message_type": "RequestVoteRequest"}),
    ('peer has newer term, stopping replication: peer="{Voter beta 10.0.0.2:8300}"',
     ["TermObserved"], {"from_node": "n2", "message_type": "AppendEntriesResponse"}),
    ("duplicate requestVote for same term: term=4", ["VoteCast"],
     {"candidate": None, "term": 4, "granted": False, "reason": "already voted in this term"}),
    ("duplicate requestVote from: candidate=10.0.0.2:8300", ["VoteCast"],
     {"candidate": "n2", "granted": True}),
    ("rejecting vote request since we have a leader: from=10.0.0.2:8300 leader=10.0.0.3:8300",
     ["VoteCast"], {"candidate": "n2", "granted": False,
                    "reason": "we have a leader (10.0.0.3:8300)"}),
    ("rejecting vote request since our last term is greater: candidate=10.0.0.2:8300 "
     "last-term=10 last-candidate-term=8", ["VoteCast"],
     {"candidate": "n2", "last_log_term": 10, "candidate_last_log_term": 8}),
    ("rejecting vote request since our last index is greater: candidate=10.0.0.2:8300 "
     "last-index=30 last-candidate-index=14", ["VoteCast"],
     {"last_log_index": 30, "candidate_last_log_index": 14}),
    ("no known peers, aborting election", ["CampaignSkipped"], {"reason": "no known peers"}),
    ("not part of stable configuration, aborting election", ["CampaignSkipped"], {}),
    ("failed to contact: server-id=beta time=500.886303ms", ["ReplicationProgress"],
     {"peer": "n2", "action": "contact-failed", "detail": "500.886303ms"}),
    ("failed to contact quorum of nodes, stepping down", ["SteppedDown"],
     {"reason": "leader lease: no quorum contacted"}),
    ("new leader elected, stepping down", ["SteppedDown"], {}),
    ('appendEntries rejected, sending older logs: peer="{Voter beta 10.0.0.2:8300}" next=24',
     ["ReplicationProgress"], {"action": "append-rejected", "next": 24}),
    ('failed to get previous log: previous-index=24 last-index=20 error="log not found"',
     ["AppendRejected"], {"index": 24, "local_last_index": 20}),
    ("previous log term mis-match: ours=2 remote=4", ["AppendRejected"],
     {"local_log_term": 2, "log_term": 4}),
    ("clearing log suffix: from=13 to=15", ["LogTruncated"], {"from_index": 13, "to_index": 15}),
    ('failed to appendEntries to: peer="{Voter beta 10.0.0.2:8300}" error="request dropped"',
     ["MessageDropped"], {"type": "AppendEntries", "src": "n1", "dst": "n2",
                          "reason": "request dropped"}),
    ('failed to pipeline appendEntries: peer="{Voter beta 10.0.0.2:8300}" error="closed"',
     ["MessageDropped"], {"type": "AppendEntries", "dst": "n2"}),
    ('failed to heartbeat to: peer=10.0.0.2:8300 error="response dropped"', ["MessageDropped"],
     {"type": "Heartbeat", "dst": "n2"}),
    ('failed to make requestVote RPC: target="{Voter beta 10.0.0.2:8300}" error="link down"',
     ["MessageDropped"], {"type": "RequestVote", "dst": "n2"}),
    ('updating configuration: command=AddStaging server-id=delta server-addr=10.0.0.4:8300 '
     f'servers="{SERVERS}"', ["ConfigChange", "Membership"],
     {"detail": "command=AddStaging server-id=delta server-addr=10.0.0.4:8300"}),
    ("removed peer, stopping replication: peer=beta last-index=18", ["ConfigChange"], {}),
    ("removed ourself, shutting down", ["ConfigChange"], {}),
    ("removed ourself, transitioning to follower", ["ConfigChange"], {}),
    ("starting leadership transfer: id=<nil> address=<nil>", ["LeadershipTransfer"],
     {"action": "start", "transferee": None}),
    ("starting leadership transfer: id=beta address=10.0.0.2:8300", ["LeadershipTransfer"],
     {"transferee": "n2"}),
    ("starting snapshot up to: index=63", ["Snapshot"], {"action": "start", "index": 63}),
    ("snapshot complete up to: index=63", ["Snapshot"], {"action": "complete", "index": 63}),
    ("compacting logs: from=1 to=61", ["Snapshot"], {"action": "compact", "index": 61}),
    ('failed to get log: index=2 error="log not found"', ["Snapshot"],
     {"action": "log-compacted", "index": 2}),
    ('failed to send snapshot to: peer="{Voter beta 10.0.0.2:8300}" error="x"', ["Snapshot"],
     {"action": "send-failed", "peer": "n2"}),
    ('failed to install snapshot: id=2-22-1795860051718 error="failed to connect"', ["Snapshot"],
     {"action": "install-failed"}),
    ('installSnapshot rejected to: peer="{Voter beta 10.0.0.2:8300}"', ["Snapshot"],
     {"action": "rejected"}),
    ("copied to local snapshot: bytes=1795", ["Snapshot"], {"action": "copied"}),
    ("reaping snapshot: path=/var/lib/raft/snapshots/2-22-1795860051718", ["Snapshot"],
     {"action": "reap"}),
    ("creating new snapshot: path=/var/lib/raft/snapshots/6-241-1796608958895.tmp",
     ["Snapshot"], {"action": "create", "term": 6, "index": 241}),
    ("Installed remote snapshot", ["Snapshot"], {"action": "installed"}),
    ("restored from snapshot: id=2-87-1796608935006", ["Snapshot"],
     {"action": "loaded", "term": 2, "index": 87}),
    ("restored from snapshot: id=not-a-file-store-name", ["Snapshot"],
     {"action": "loaded", "term": None, "index": None}),
    ('failed to take snapshot: error="cannot take snapshot now, wait until the configuration '
     'entry at 81 has been applied (have applied 79)"', ["Snapshot"], {"action": "take-failed"}),
    ("no logs to truncate", ["Snapshot"], {"action": "compact"}),
    ("skipping application of old log: index=17", ["Snapshot"],
     {"action": "skip-old-log", "index": 17}),
    ("ignoring installSnapshot request with older term than current term: request-term=2 "
     "current-term=4", ["StaleMessageDropped"],
     {"term": 4, "message_term": 2, "message_type": "InstallSnapshot"}),
]


def _text(rest: str, module: str = "raft", level: str = "INFO") -> str:
    return f"2026-11-28T10:00:31.636Z [{level}] {' ' * (5 - len(level))}{module}: {rest}"


def _fields(event: ev.Event) -> dict[str, Any]:
    return {k: getattr(event, k) for k in event.__dataclass_fields__}


@pytest.mark.parametrize(("rest", "kinds", "fields"), SHAPES, ids=[s[0][:50] for s in SHAPES])
def test_text_message_shape(tmp_path: Path, rest: str, kinds: list[str],
                            fields: dict[str, Any]) -> None:
    path = tmp_path / "node1.log"
    path.write_text("\n".join(_text(r) for r in [*HEAD, rest]) + "\n")
    parsed = read_logs([str(path)])
    assert parsed.problems == []
    events = [e for e in parsed.events if e.source.line == 3]
    assert [e.kind for e in events] == kinds
    got = _fields(events[0])
    assert events[0].node == "n1"
    for name, want in fields.items():
        assert got[name] == want, name


def test_leader_updating_configuration_is_the_new_membership(tmp_path: Path) -> None:
    # hashicorp's leader logs the configuration it appends (after the change): the servers
    # list is what is in force from that line on, voters and non-voters apart.
    path = tmp_path / "node1.log"
    rest = ('updating configuration: command=AddStaging server-id=delta '
            f'server-addr=10.0.0.4:8300 servers="{SERVERS}"')
    path.write_text("\n".join(_text(r) for r in [*HEAD, rest]) + "\n")
    parsed = read_logs([str(path)])
    [membership] = [e for e in parsed.events
                    if e.kind == "Membership" and e.source.line == 3]
    assert set(membership.voters) == {"n1", "n2"}
    assert set(membership.learners) == {"n3"}


def test_head_lines(tmp_path: Path) -> None:
    path = tmp_path / "node1.log"
    path.write_text("\n".join(_text(r) for r in HEAD) + "\n")
    parsed = read_logs([str(path)])
    started, member, follower = parsed.events
    assert isinstance(started, ev.NodeStarted) and started.peers == ("n1", "n2", "n3")
    assert started.term is None and started.commit is None
    assert isinstance(member, ev.Membership)
    assert (member.voters, member.learners) == (("n1", "n2"), ("n3",))
    assert isinstance(follower, ev.BecameFollower) and follower.leader is None
    assert follower.time == datetime(2026, 11, 28, 10, 0, 31, 636000, tzinfo=UTC)
    assert parsed.files[0].time_precision == "1ms"
    assert parsed.node_ids == {"n1": ["alpha", "10.0.0.1:8300"], "n2": ["beta", "10.0.0.2:8300"],
                               "n3": ["gamma", "10.0.0.3:8300"]}


def test_leader_term_comes_from_the_candidacy(tmp_path: Path) -> None:
    lines = [*HEAD,
             'entering candidate state: node="Node at 10.0.0.1:8300 [Candidate]" term=5',
             "election won: tally=2",
             'entering leader state: leader="Node at 10.0.0.1:8300 [Leader]"',
             'entering follower state: follower="Node at 10.0.0.1:8300 [Follower]" leader=',
             'entering leader state: leader="Node at 10.0.0.1:8300 [Leader]"']
    path = tmp_path / "n.log"
    path.write_text("\n".join(_text(r) for r in lines) + "\n")
    parsed = read_logs([str(path)])
    terms = [(e.source.line, getattr(e, "term", "-")) for e in parsed.events
             if e.kind in ("VotesTallied", "BecameLeader")]
    # after a step down the term of a later "entering leader state" is unknown, not guessed
    assert terms == [(4, 5), (5, 5), (7, None)]


def test_other_modules_and_unknown_messages(tmp_path: Path) -> None:
    lines = [_text(HEAD[0]), _text(HEAD[1]),
             _text("accepted connection: local-address=127.0.0.1:1 remote-address=127.0.0.1:2",
                   module="raft.net", level="DEBUG"),
             _text("creating new snapshot: path=/tmp/snap/1-2-3.tmp", module="raft.snapshot"),
             _text("entering follower state: follower=\"Node at 10.0.0.1:8300 [Follower]\" "
                   "leader=", module="agent.server.raft"),
             _text("some consul message", module="agent.server"),
             _text("this message is not one of raft ones: x=1"),
             "a line that is not hclog",
             _text("entering candidate state: term=notanumber")]
    path = tmp_path / "n.log"
    path.write_text("\n".join(lines) + "\n")
    parsed = read_logs([str(path)])
    assert [(e.source.line, e.kind) for e in parsed.events] == [
        (1, "NodeStarted"), (1, "Membership"), (2, "BecameFollower"), (4, "Snapshot"),
        (5, "BecameFollower")]
    assert [(p.line, p.message) for p in parsed.problems] == [
        (7, "unrecognised hashicorp/raft message 'this message is not one of raft ones'"),
        (9, "malformed 'entering candidate state' line: invalid literal for int() with base "
            "10: 'notanumber'"),
    ]
    assert parsed.files[0].skipped == 3


def test_every_handled_message_is_in_the_table() -> None:
    from raftcheck.grammar.hclog import _HANDLERS

    tested = {rest.split(":")[0] for rest, _k, _f in SHAPES} | {h.split(":")[0] for h in HEAD}
    tested |= {"creating new snapshot"}  # in test_other_modules_and_unknown_messages
    assert set(_HANDLERS) - tested == set()


@pytest.mark.parametrize(("module", "raft"), [
    ("raft", True), ("raft.snapshot", True), ("agent.server.raft", True), ("nomad.raft", True),
    ("raft.net", False), ("agent.server", False), ("storage.raft.fsm", False)])
def test_raft_modules(module: str, raft: bool) -> None:
    assert is_raft_module(module) is raft


def _json(message: str, **fields: Any) -> str:
    return json.dumps({"@level": "info", "@message": message, "@module": "raft",
                       "@timestamp": "2026-11-28T10:01:05.274963Z", **fields})


def test_json_lines(tmp_path: Path) -> None:
    servers = SERVERS
    lines = [
        _json("initial configuration", index=1, servers=servers),
        _json("entering follower state", follower={}, leader=""),
        _json("entering candidate state", node={}, term=2),
        _json("vote granted", **{"from": "alpha", "tally": 1, "term": 2}),
        _json("failed to make requestVote RPC",
              target={"Suffrage": 0, "ID": "beta", "Address": "10.0.0.2:8300"},
              error="link down"),
        _json("entering leader state", leader={}),
        '{"@level":"info","@message":"entering fol',
        "not json at all",
    ]
    path = tmp_path / "alpha.log"
    path.write_text("\n".join(lines) + "\n")
    parsed = read_logs([str(path)])
    assert parsed.files[0].format == "hashicorp-hclog-json"
    assert parsed.files[0].time_precision == "1us"
    assert parsed.files[0].node == "n1"   # the file name is a server ID
    kinds = [(e.source.line, e.kind) for e in parsed.events]
    assert kinds == [(1, "NodeStarted"), (1, "Membership"), (2, "BecameFollower"),
                     (3, "BecameCandidate"), (4, "VoteReceived"), (4, "VotesTallied"),
                     (5, "MessageDropped"), (6, "BecameLeader")]
    dropped = parsed.events[6]
    assert isinstance(dropped, ev.MessageDropped)
    assert (dropped.src, dropped.dst, dropped.reason) == ("n1", "n2", "link down")
    assert parsed.events[-1].term == 2  # type: ignore[attr-defined]
    assert [(p.line, p.message) for p in parsed.problems] == [
        (7, "truncated or invalid JSON record")]
    assert parsed.files[0].skipped == 1


def test_json_node_found_by_its_self_vote(tmp_path: Path) -> None:
    lines = [_json("initial configuration", index=1, servers=SERVERS),
             _json("entering candidate state", node={}, term=2),
             _json("vote granted", **{"from": "beta", "tally": 1, "term": 2})]
    path = tmp_path / "server-b.log"
    path.write_text("\n".join(lines) + "\n")
    parsed = read_logs([str(path)])
    assert parsed.problems == []
    own = parsed.files[0].node
    assert own is not None and parsed.node_ids[own] == ["beta", "10.0.0.2:8300"]
    # lines 1-2 were held back until line 3 named the node, then attributed to it
    assert [(e.source.line, e.node) for e in parsed.events][:3] == [(1, own), (1, own), (2, own)]


def test_json_added_voter_named_by_its_file_name(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """A voter added later (AddVoter) starts with no configuration and, never campaigning,
    never votes for itself; in JSON ``Node at`` is ``{}``: its file name is the only sign
    of its node, a server ID the leader's file prints with its address."""
    added = ("[{Suffrage:Voter ID:alpha Address:10.0.0.1:8300} "
             "{Suffrage:Voter ID:beta Address:10.0.0.2:8300}]")
    (tmp_path / "alpha.log").write_text("\n".join([
        _json("initial configuration", index=1,
              servers="[{Suffrage:Voter ID:alpha Address:10.0.0.1:8300}]"),
        _json("updating configuration", command=0, **{"server-id": "beta"},
              servers=added)]) + "\n")
    (tmp_path / "beta.log").write_text("\n".join([
        _json("initial configuration", index=0, servers="[]"),
        _json("entering follower state", follower={}, leader=""),
        _json("failed to get previous log", **{"previous-index": 6, "last-index": 0},
              error="log not found")]) + "\n")
    parsed = read_logs([str(tmp_path)])
    assert parsed.problems == []
    beta = next(f for f in parsed.files if f.path.endswith("beta.log"))
    assert beta.node is not None and parsed.node_ids[beta.node][0] == "beta"
    assert [(e.source.line, e.kind) for e in parsed.events_of(beta.path)] == [
        (1, "NodeStarted"), (1, "Membership"), (2, "BecameFollower"), (3, "AppendRejected")]
    # past the records a reader holds back, the file name is taken at once
    monkeypatch.setattr(hclog, "_HOLD_MAX", 1)
    parsed = read_logs([str(tmp_path)])
    assert parsed.problems == []
    assert [e.source.line for e in parsed.events_of(beta.path)] == [1, 1, 2, 3]


def test_text_and_json_in_one_file_is_mixed(tmp_path: Path) -> None:
    path = tmp_path / "n.log"
    path.write_text(_text(HEAD[0]) + "\n" + _json("entering follower state") + "\n")
    with pytest.raises(LogError, match=r"n\.log:2: mixed formats in one file: this line is "
                                       r"hashicorp-hclog-json, the file is hashicorp-hclog"):
        read_logs([str(path)])


# --- the corpus ----------------------------------------------------------------------------


@needs_corpus
@pytest.mark.parametrize("name", ["steady-n5", "steady-n5-json", "leader-partition-minority-n3",
                                  "leader-restart-n3"])
def test_corpus_run(name: str) -> None:
    run = CORPUS / name
    scenario = json.loads((run / "scenario.json").read_text())
    parsed = read_logs([str(run)])
    assert parsed.problems == []
    assert sorted(Path(p).name for p, _r in parsed.ignored) == ["harness.log", "scenario.json"]
    for node in scenario["nodes"]:
        name_ = f"n{node['id'].removeprefix('node')}"
        assert parsed.nodes[name_].ids == [node["id"], node["address"]]
    for f in parsed.files:
        assert f.node == f"n{Path(f.path).stem.removeprefix('node')}"
        assert f.lines == f.event_lines and f.skipped == 0
    leaders = sorted(((e.time, e.node, e.term) for e in parsed.events
                      if isinstance(e, ev.BecameLeader)), key=lambda t: (t[0], t[2] or 0))
    want = [(f"n{x['node'].removeprefix('node')}", x["term_approx"])
            for x in scenario["leaders_observed"]]
    assert [(n, t) for _time, n, t in leaders] == want


@needs_corpus
def test_corpus_text_and_json_agree() -> None:
    text = read_logs([str(CORPUS / "steady-n5")])
    js = read_logs([str(CORPUS / "steady-n5-json")])

    def shape(e: ev.Event) -> tuple[Any, ...]:
        skip = {"source", "time"}
        return (Path(e.source.path).name, e.kind,
                tuple((k, getattr(e, k)) for k in e.__dataclass_fields__ if k not in skip))

    assert [shape(e) for e in text.events] == [shape(e) for e in js.events]


@needs_corpus
def test_corpus_partition_lines() -> None:
    run = CORPUS / "leader-partition-minority-n3"
    parsed = read_logs([str(run)])
    by_line = {e.source.line: e for e in parsed.events_of(str(run / "node3.log"))
               if e.kind != "Membership"}
    down = by_line[38]
    assert isinstance(down, ev.SteppedDown) and down.node == "n3"
    assert down.time == datetime(2026, 11, 28, 10, 0, 1, 507000, tzinfo=UTC)
    follower = by_line[66]
    assert isinstance(follower, ev.BecameFollower) and follower.leader == "n2"
    truncated = by_line[70]
    assert isinstance(truncated, ev.LogTruncated)
    assert (truncated.from_index, truncated.to_index) == (13, 15)
    refused = by_line[71]
    assert isinstance(refused, ev.VoteCast)
    assert (refused.candidate, refused.granted, refused.last_log_term,
            refused.candidate_last_log_term) == ("n2", False, 7, 4)


def test_the_messages_only_raft_says_are_messages_the_reader_reads() -> None:
    """A line of another module is raft's when it says one of these (hclog._OWN_WORDS): each
    must be a message the reader has a handler for, word for word, or it never matches."""
    assert hclog._OWN_WORDS.issubset(hclog._HANDLERS)
    assert not hclog._OWN_WORDS & {"votes", "updating configuration", "failed to contact",
                                   "restored from snapshot"}


# --- the fast path for plain lines ----------------------------------------------------------

DATA = REPO / "tests" / "data"


def _text_rests() -> list[str]:
    """The rest (after the envelope) of every hclog text line recorded in tests/data and the
    corpus: real raft, raftnode and transport lines."""
    rests = []
    for root in (DATA, CORPUS):
        for path in sorted(root.rglob("*.log")) if root.exists() else ():
            for line in path.read_text(errors="replace").splitlines():
                found = hclog._ENVELOPE.match(line)
                if found is not None:
                    rests.append(found.group(4))
    return rests


def _by_grammar(rest: str) -> tuple[str, dict[str, Any]] | None:
    try:
        return hclog.parse(hclog._parser(), rest, "line", "start")
    except hclog.ParseFailure:
        return None


def test_plain_lines_read_without_the_parser_as_the_grammar_reads_them() -> None:
    """Every recorded text line that the fast path takes gives the grammar's message and
    fields (quoted values, configurations and 'Node at ...' among them: no recorded line
    quotes a backslash); a quoted value with an escape goes to the grammar."""
    rests = _text_rests()
    assert len(rests) > 5000  # (not vacuous: the recorded hashicorp runs' text lines)
    taken = [rest for rest in rests if hclog.plain_fields(rest) is not None]
    assert len(taken) == len(rests)
    assert sum('="' in rest for rest in taken) > 1000  # (quoted values among them)
    for rest in taken:
        assert hclog.plain_fields(rest) == _by_grammar(rest), rest
    assert hclog.plain_fields('entering leader state: leader="Node at a:1 [Leader]"') == \
        ("entering leader state", {"leader": "Node at a:1 [Leader]"})
    escaped = r'failed to decode: error="unexpected \"}\" at 4"'
    assert hclog.plain_fields(escaped) is None
    assert _by_grammar(escaped) == ("failed to decode", {"error": 'unexpected "}" at 4'})


@given(st.text(alphabet='ab:= ."-\\', max_size=24))
def test_the_fast_path_never_reads_a_line_otherwise_than_the_grammar(rest: str) -> None:
    """Fuzzed rests of the characters that matter: where the fast path answers, the grammar
    answers the same (and where the grammar refuses a line, so does the fast path)."""
    plain = hclog.plain_fields(rest)
    if plain is not None:
        assert plain == _by_grammar(rest)


@given(st.text(alphabet="ab .-\u00e9", min_size=1, max_size=8),
       st.lists(st.tuples(st.text(alphabet="ab.@-_", min_size=1, max_size=4), st.booleans(),
                          st.text(alphabet='ab :=."-{}[]\\\t\u00e9,', max_size=8)),
                max_size=4))
def test_fielded_rests_are_read_by_the_fast_path_as_the_grammar_reads_them(
        message: str, fields: list[tuple[str, bool, str]]) -> None:
    """A message and fields, each value quoted (any text but a quote) or bare (no space nor
    quote): the fast path reads it (a quoted backslash aside), as the grammar does."""
    pairs = [f'{key}="{text.replace(chr(34), "")}"' if quoted else
             f'{key}={text.replace(" ", "").replace(chr(9), "").replace(chr(34), "")}'
             for key, quoted, text in fields]
    rest = message + (": " + " ".join(pairs) if pairs else "")
    plain = hclog.plain_fields(rest)
    assert plain is not None or "\\" in rest
    if plain is not None:
        assert plain == _by_grammar(rest)


def _by_server_rule(text: str) -> tuple[str, str, str] | None:
    try:
        return hclog.parse(hclog._parser(), text, "server", "server")
    except hclog.ParseFailure:
        return None


def test_recorded_servers_read_without_the_parser_as_the_grammar_reads_them() -> None:
    """Every raft.Server value of the recorded text lines (``peer="{Voter node2 a:1}"``, the
    peer of most replication lines) is read by the fast path, to the grammar's answer."""
    values = [v for rest in _text_rests() for v in re.findall(r'"(\{[^"]*\})"', rest)]
    assert len(values) > 500  # (not vacuous)
    for value in values:
        assert hclog.plain_server(value) == _by_server_rule(value) is not None, value


@given(st.sampled_from(["Voter", "Nonvoter", "Staging", "Leader", "voter"]),
       st.text(alphabet="ab:.{}[] \tLeader", max_size=8),
       st.text(alphabet="ab:.{}[] 1Voter", max_size=8))
def test_a_server_is_read_by_the_fast_path_only_as_the_grammar_reads_it(
        suffrage: str, sid: str, addr: str) -> None:
    """Generated raft.Server values, odd ones among them (reserved words as tokens, brackets,
    spaces): where the fast path answers, the grammar answers the same; where the grammar
    refuses a value, so does the fast path."""
    text = f"{{{suffrage} {sid} {addr}}}"
    plain = hclog.plain_server(text)
    if plain is not None:
        assert plain == _by_server_rule(text)
    if _by_server_rule(text) is None:
        assert plain is None
