"""hashicorp/raft logs (go-hclog text and JSON) -> drafts of events.

The text envelope ``<time> [LEVEL]  <module>: `` is split off with a regular expression; the
rest (message and ``key=value`` fields) goes through ``hclog.lark``, except where no quoted
value holds an escape: regular expressions read those to the same result (``plain_fields``).
A JSON line is decoded with ``json.loads`` and gives the message and fields directly.
Structured values (the server list, ``{Voter node2 127.0.0.1:7002}``, ``Node at <addr>
[Follower]``) are parsed with the grammar's other start rules in both cases (a plain
``{Voter ...}`` by a regular expression too: ``plain_server``). One table then maps each
known message to its drafts.

hashicorp/raft never logs the node's own ID: a file's node is found from ``Node at <address>``
(text) or from the file name matching a server ID, or from the candidate's first granted vote
(its own), or from the transport's ``accepted connection`` (debug level: the local address of a
configured server). A voter added later (AddVoter) logs no configuration of its own, and in
JSON never says ``Node at``: if nothing else named its node, its file name does when it is a
server ID that another file's configuration prints. Terms are mostly absent; ``entering
leader state`` takes the term of the preceding ``entering candidate state`` in the same file
(a leader can only come from that candidacy).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from lark import Lark, Token, Transformer

from raftcheck.grammar import split
from raftcheck.grammar.detect import HCLOG_JSON, HCLOG_TEXT, mixed_format
from raftcheck.grammar.drafts import SELF, Draft, RawId
from raftcheck.grammar.naming import NodeNames
from raftcheck.grammar.outcomes import PENDING, SKIPPED, Bad, Outcome, Parsed
from raftcheck.grammar.parsers import ParseFailure, load, parse
from raftcheck.traces import events as ev

_JSON_TIME = re.compile(r'"@timestamp":\s*"([^"]*)"')
_ENVELOPE = re.compile(
    r"(\d{4}-\d\d-\d\dT[\d:.]+(?:Z|[+-]\d\d:?\d\d)) \[(TRACE|DEBUG|INFO|WARN|ERROR)\]\s+"
    r"([\w.-]+): (.*)\Z"
)
_JSON_META = frozenset({"@level", "@message", "@module", "@timestamp", "@caller"})
# A text line's rest as hclog.lark's start rule reads it where every value is a bare token or
# a quoted string without escapes (all but a few raft lines): the message, then ": key=value
# ..." (tests/test_grammar_hclog.py holds it to lark's answer on every line of the recorded
# runs). A quoted value without a backslash is its text between the quotes.
_KEY, _QUOTED, _BARE = r'[\w.@-]+', r'"[^"\\]*"', r'[^\s"]*'
_PAIR = rf"{_KEY}=(?:{_QUOTED}|{_BARE})"
_PLAIN = re.compile(rf'([^:"=]+?)(?:: ({_PAIR}(?: {_PAIR})*))?\Z')
_FIELD = re.compile(rf'({_KEY})=(?:"([^"\\]*)"|({_BARE}))')
# A raft.Server value ``{Voter node2 127.0.0.1:7002}`` as the grammar's server rule reads it
# (a peer in most replication lines), where neither token is a word the grammar reserves.
_SERVER = re.compile(r"\{(Voter|Nonvoter|Staging) ([^\s{}\[\]]+) ([^\s{}\[\]]*)\}\Z")
_RESERVED = frozenset({"Voter", "Nonvoter", "Staging", "Follower", "Candidate", "Leader",
                       "Shutdown"})
_HOLD_MAX = 10_000
"""Records held back until the file's own node is known (it is usually named by line 2)."""

HCLOG_START = re.compile(r"raft: initial configuration: |raftnode: starting")
"""A line that hashicorp/raft (or this project's raftnode) logs as a server starts: a log whose
lines before its first Raft event hold none began mid-run (older parts rotated away, or cut)."""


def _unquote(text: str) -> str:
    try:
        value = json.loads(text)
    except ValueError:
        return text[1:-1]
    return value if isinstance(value, str) else text[1:-1]


def plain_fields(rest: str) -> tuple[str, dict[str, str]] | None:
    """The message and fields of a text line's rest where no quoted value holds an escape, as
    the grammar gives them, without the parser (most of the time of a trace-level run); None
    where the grammar must read it."""
    found = _PLAIN.match(rest)
    if found is None:
        return None
    message, pairs = found.groups()
    fields = {key: quoted or bare for key, quoted, bare in _FIELD.findall(pairs)} \
        if pairs else {}
    return message.strip(), fields


def plain_server(text: str) -> tuple[str, str, str] | None:
    """(suffrage, ID, address) of a raft.Server value, as the grammar gives them, without the
    parser; None where the grammar must read it."""
    found = _SERVER.match(text)
    if found is None or not _RESERVED.isdisjoint(found.group(2, 3)):
        return None
    return found.group(1, 2, 3)


class _HclogTransformer(Transformer[Token, Any]):
    def start(self, c: list[Any]) -> tuple[str, dict[str, Any]]:
        fields = dict(f for f in c[1:] if f is not None)
        return str(c[0]).strip(), fields

    def field(self, c: list[Token | None]) -> tuple[str, str]:
        value = c[1]
        if value is None:
            return str(c[0]), ""
        text = str(value)
        return str(c[0]), _unquote(text) if value.type == "STRING" else text

    def servers(self, c: list[Any]) -> list[tuple[str, str, str]]:
        return [s for s in c if s is not None]

    def server_item(self, c: list[Token | None]) -> tuple[str, str, str]:
        return str(c[0]), str(c[1] or ""), str(c[2] or "")

    def server(self, c: list[Token | None]) -> tuple[str, str, str]:
        return str(c[0]), str(c[1]), str(c[2] or "")

    def node_at(self, c: list[Token]) -> tuple[str, str]:
        return str(c[0]), str(c[1])


def _parser() -> Lark:
    return load("hclog", _HclogTransformer(), ["start", "servers", "server", "node_at"])


def is_raft_module(module: str) -> bool:
    """hashicorp/raft's own loggers: ``raft``, ``raft.snapshot`` (also under a prefix such as
    Consul's ``agent.server.raft``); ``raft.net`` (transport chatter) is not Raft state."""
    parts = module.split(".")
    return parts[-1] == "raft" or (len(parts) > 1 and parts[-2:] == ["raft", "snapshot"])


_OWN_WORDS = frozenset({
    "entering follower state", "entering candidate state", "entering leader state",
    "election won", "vote granted", "heartbeat timeout reached, starting election",
    "Election timeout reached, restarting election", "newer term discovered, fallback to "
    "follower", "lost leadership because received a requestVote with a newer term",
    "duplicate requestVote for same term", "rejecting vote request since we have a leader",
    "rejecting vote request since our last term is greater",
    "rejecting vote request since our last index is greater",
    "failed to contact quorum of nodes, stepping down", "peer has newer term, stopping "
    "replication", "appendEntries rejected, sending older logs", "clearing log suffix",
    "added peer, starting replication", "pipelining replication",
    "aborting pipeline replication", "removed ourself, transitioning to follower",
    "initial configuration"})
"""raft's messages that no other module of an application says (not "votes", "updating
configuration", "failed to contact", "restored from snapshot", which other modules may)."""


_GO_POINTER = re.compile(r"0xc[0-9a-f]{6,}")

_LOCAL_ADDRESS = re.compile(r'accepted connection\b.*?local-address"?[=:] ?"?([^\s",]+)')
"""The transport's ``accepted connection`` (debug level) names the file's own address: where
no raft line names the node (a server that joins a cluster, in JSON lines, which print the
node as ``{}``), that says whose log the file is."""


class HclogReader:
    """Reads one hashicorp/raft log file (text or JSON lines)."""

    def __init__(self, path: str, names: NodeNames, *, json_lines: bool) -> None:
        self.path = path
        self.format = HCLOG_JSON if json_lines else HCLOG_TEXT
        self.time_precision: str | None = None
        self.owner: RawId | None = None
        self._json = json_lines
        self._names = names
        self._stem = split.stem(path)
        self._addr_to_id: dict[str, str] = {}
        self._candidate_term: int | None = None
        self._awaiting_self_vote = False
        self._held: list[Outcome] = []
        self._raft_modules: set[str] = set()  # other names raft's logger goes by in the file
        self._others: set[str] = set()  # servers the file's lines name as this node's peers

    def _raft_message(self, module: str, message: str) -> bool:
        """Whether a line of another module is raft's: it says one of raft's own messages
        ("election won", "entering leader state"), or its module said one before in this file
        (raft's logger under a name the application chose, or garbled in one line): skipped,
        its step would be lost without a word."""
        if module in self._raft_modules:
            return True
        if message.strip() in _OWN_WORDS and module.split(".")[-1] != "net":
            self._raft_modules.add(module)
            return True
        return False

    # --- lines ----------------------------------------------------------------------------
    def feed(self, lineno: int, line: str) -> Sequence[Outcome]:
        if self._json:
            return self._feed_json(lineno, line)
        return self._feed_text(lineno, line)

    def finish(self) -> Sequence[Outcome]:
        self._own_by_file_name()
        held, self._held = self._held, []
        return held

    def stamp(self, line: str) -> datetime | None:
        found = _JSON_TIME.search(line) if self._json else _ENVELOPE.match(line)
        if found is None:
            return None
        try:
            return self._time(found.group(1))
        except ValueError:
            return None  # (a garbled time: none)

    def _feed_text(self, lineno: int, line: str) -> Sequence[Outcome]:
        m = _ENVELOPE.match(line)
        if m is None:
            return self._other(lineno, line)
        stamp, _level, module, rest = m.groups()
        if not is_raft_module(module) and \
                not self._raft_message(module, rest.partition(":")[0]):
            return self._transport(line)
        plain = plain_fields(rest)
        if plain is not None:
            message, fields = plain
        else:
            try:
                message, fields = parse(_parser(), rest, "hashicorp/raft log line", "start")
            except ParseFailure as exc:
                return (Bad(lineno, line, str(exc)),)
        return self._build(lineno, line, stamp, message, fields)

    def _feed_json(self, lineno: int, line: str) -> Sequence[Outcome]:
        if not line.startswith("{"):
            return self._other(lineno, line)
        try:
            record = json.loads(line)
        except ValueError:
            return (Bad(lineno, line, "truncated or invalid JSON record"),)
        if not isinstance(record, dict) or not isinstance(record.get("@message"), str):
            return (Bad(lineno, line, "JSON record without an hclog \"@message\""),)
        module = str(record.get("@module", ""))
        if not is_raft_module(module) and not self._raft_message(module, record["@message"]):
            return self._transport(line)
        fields = {k: v for k, v in record.items() if k not in _JSON_META}
        return self._build(lineno, line, record.get("@timestamp"), record["@message"], fields)

    def _transport(self, line: str) -> Sequence[Outcome]:
        """A line of another module: skipped; the transport's may name the file's node."""
        if self.owner is None and "accepted connection" in line:
            found = _LOCAL_ADDRESS.search(line)
            address = found.group(1) if found else None
            # (only an address some configuration line names: a bind address such as
            # 0.0.0.0:8300 names no server)
            if address and (server := self._names.canonical(address)) != address:
                self.owner = RawId(server)
        return SKIPPED

    def _other(self, lineno: int, line: str) -> Sequence[Outcome]:
        error = mixed_format(line, self.format)
        if error is not None:
            return (Bad(lineno, line, error, fatal=True),)
        if not self._json and _RAFT_BODY.search(line):  # a raft line whose time is garbled
            return (Bad(lineno, line, "malformed hashicorp/raft line (its time or level)"),)
        return SKIPPED

    def _build(self, lineno: int, line: str, stamp: object, message: str,
               fields: dict[str, Any]) -> Sequence[Outcome]:
        handler = _HANDLERS.get(message)
        if handler is None:
            return (Bad(lineno, line, f"unrecognised hashicorp/raft message {message!r}"),)
        try:
            when = self._time(stamp)
            drafts = handler(self, fields)
        except (ParseFailure, KeyError, ValueError, TypeError) as exc:
            detail = f"missing field {exc}" if isinstance(exc, KeyError) else str(exc)
            return (Bad(lineno, line, f"malformed {message!r} line: {detail}"),)
        if not drafts:
            return SKIPPED
        parsed = Parsed(lineno, line, when, drafts)
        if self.owner is None:
            if len(self._held) < _HOLD_MAX:
                self._held.append(parsed)  # wait for the line that tells the file's own node
                return PENDING
            self._own_by_file_name()
        if self._held:
            held, self._held = self._held, []
            return (*held, parsed)
        return (parsed,)

    def _time(self, stamp: object) -> datetime | None:
        if not isinstance(stamp, str):
            return None
        if self.time_precision is None:
            frac = stamp.split(".", 1)[1] if "." in stamp else ""
            digits = len(frac) - len(frac.lstrip("0123456789"))
            self.time_precision = {0: "1s", 3: "1ms", 6: "1us", 9: "1ns"}.get(digits, "1s")
        when = datetime.fromisoformat(stamp)
        # hclog prints its zone; a time without one (a reformatted log) is read as UTC, so
        # that it compares with the others'
        return when if when.tzinfo is not None else when.replace(tzinfo=UTC)

    def _own_by_file_name(self) -> None:
        """The last resort, once no line named the file's node: the file name, if it is a
        server ID some configuration line of the run prints."""
        if self.owner is None and self._names.is_aliased(self._stem):
            self.owner = RawId(self._stem)

    # --- values ---------------------------------------------------------------------------
    def _learn(self, servers: list[tuple[str, str, str]]) -> None:
        for _suffrage, sid, addr in servers:
            if sid and addr:
                self._addr_to_id[addr] = sid
                self._names.alias(addr, sid)
        if self.owner is None and any(sid == self._stem for _s, sid, _a in servers):
            self.owner = RawId(self._stem)

    def _servers(self, value: Any) -> list[tuple[str, str, str]]:
        if isinstance(value, list):  # a JSON list of server objects
            return [self._server(v) for v in value]
        return list(parse(_parser(), str(value), "server list", "servers"))

    def _server(self, value: Any) -> tuple[str, str, str]:
        if isinstance(value, dict):
            return str(value.get("Suffrage", "")), str(value["ID"]), str(value.get("Address", ""))
        return plain_server(str(value)) or parse(_parser(), str(value), "server", "server")

    def _not_itself(self, peer: RawId | None) -> RawId | None:
        """A server this node replicates to or asks for votes: not itself."""
        if peer is not None:
            self._others.add(peer.key)
        return peer

    def _peer(self, value: Any) -> RawId | None:
        """A peer given as ID, address, raft.Server text or JSON object."""
        if isinstance(value, dict) or (isinstance(value, str) and value.startswith("{")):
            _suffrage, sid, addr = self._server(value)
            if sid and addr:
                self._addr_to_id.setdefault(addr, sid)
                self._names.alias(addr, sid)
            return RawId(sid or addr)
        text = str(value)
        if not text or text == "<nil>" or _GO_POINTER.fullmatch(text):
            return None  # hashicorp 1.1 prints some server IDs as pointers (0xc00015afe0)
        return RawId(self._addr_to_id.get(text, text))

    def _own(self, value: Any) -> None:
        """``Node at <addr> [State]`` names the file's node (text format only)."""
        if self.owner is not None or not isinstance(value, str) or not value:
            return
        addr, _role = parse(_parser(), value, "node", "node_at")
        self.owner = RawId(self._addr_to_id.get(addr, addr))

    def _d(self, kind: type[ev.Event], **fields: Any) -> Draft:
        return Draft(kind, None, fields)

    # --- messages -------------------------------------------------------------------------
    def _initial_configuration(self, f: dict[str, Any]) -> list[Draft]:
        servers = self._servers(f["servers"])
        self._learn(servers)
        self._candidate_term = None
        voters = tuple(RawId(s) for suf, s, _a in servers if suf in ("Voter", "0"))
        others = tuple(RawId(s) for suf, s, _a in servers if suf not in ("Voter", "0"))
        peers = tuple(RawId(s) for _suf, s, _a in servers)
        return [self._d(ev.NodeStarted, peers=peers),
                self._d(ev.Membership, voters=voters, learners=others)]

    def _entering_follower(self, f: dict[str, Any]) -> list[Draft]:
        self._own(f.get("follower"))
        self._candidate_term = None
        return [self._d(ev.BecameFollower, leader=self._peer(f.get("leader", "")))]

    def _entering_candidate(self, f: dict[str, Any]) -> list[Draft]:
        self._own(f.get("node"))
        self._candidate_term = int(f["term"])
        self._awaiting_self_vote = True
        return [self._d(ev.BecameCandidate, term=self._candidate_term)]

    def _entering_leader(self, f: dict[str, Any]) -> list[Draft]:
        self._own(f.get("leader"))
        return [self._d(ev.BecameLeader, term=self._candidate_term)]

    def _vote_granted(self, f: dict[str, Any]) -> list[Draft]:
        voter = self._peer(f["from"])
        if self._awaiting_self_vote and self.owner is None and voter is not None and \
                int(f["tally"]) == 1 and voter.key not in self._others:
            # the first vote a candidate counts is most often its own: it asks the servers
            # before it in its configuration, then persists and counts its own vote; one
            # last of many, on a slow disk, may count another's first (then a server this
            # file named as a peer, or a tally above 1 where its own line was cut, is not it)
            self.owner = voter
        self._awaiting_self_vote = False
        term = int(f["term"])
        return [self._d(ev.VoteReceived, voter=voter, term=term, granted=True),
                self._d(ev.VotesTallied, term=term, granted=int(f["tally"]))]

    def _election_won(self, f: dict[str, Any]) -> list[Draft]:
        return [self._d(ev.VotesTallied, term=self._candidate_term, granted=int(f["tally"]))]

    def _config_change(self, f: dict[str, Any]) -> list[Draft]:
        detail = " ".join(f"{k}={v}" for k, v in f.items() if k != "servers")
        drafts = [self._d(ev.ConfigChange, detail=detail)]
        if "servers" in f:  # the leader uses the new configuration as soon as it appends it
            servers = self._servers(f["servers"])
            self._learn(servers)
            voters = tuple(RawId(s) for suf, s, _a in servers if suf in ("Voter", "0"))
            others = tuple(RawId(s) for suf, s, _a in servers if suf not in ("Voter", "0"))
            drafts.append(self._d(ev.Membership, voters=voters, learners=others))
        return drafts


Handler = Callable[[HclogReader, dict[str, Any]], list[Draft]]


def _rejecting_vote(reason: str) -> Handler:
    def handler(r: HclogReader, f: dict[str, Any]) -> list[Draft]:
        extra: dict[str, Any] = {}
        if "last-term" in f:
            extra = {"last_log_term": int(f["last-term"]),
                     "candidate_last_log_term": int(f["last-candidate-term"])}
        if "last-index" in f:
            extra = {"last_log_index": int(f["last-index"]),
                     "candidate_last_log_index": int(f["last-candidate-index"])}
        text = f"{reason} ({f['leader']})" if "leader" in f else reason
        cand = r._peer(f.get("candidate", f.get("from", "")))
        return [r._d(ev.VoteCast, candidate=cand, granted=False, reason=text, **extra)]
    return handler


def _dropped(kind: str) -> Handler:
    def handler(r: HclogReader, f: dict[str, Any]) -> list[Draft]:
        dst = r._not_itself(r._peer(f.get("peer", f.get("target", ""))))
        return [r._d(ev.MessageDropped, type=kind, src=SELF, dst=dst,
                     reason=str(f.get("error", "")))]
    return handler


def _progress(action: str) -> Handler:
    def handler(r: HclogReader, f: dict[str, Any]) -> list[Draft]:
        peer = r._not_itself(r._peer(f.get("peer", f.get("server-id", ""))))
        nxt = int(f["next"]) if "next" in f else None
        detail = str(f.get("error", f.get("time", "")))
        return [r._d(ev.ReplicationProgress, peer=peer, action=action, next=nxt, detail=detail)]
    return handler


def _snapshot(action: str) -> Handler:
    def handler(r: HclogReader, f: dict[str, Any]) -> list[Draft]:
        index = f.get("index", f.get("to"))
        peer = r._peer(f["peer"]) if "peer" in f else None
        return [r._d(ev.Snapshot, action=action, peer=peer,
                     index=None if index is None else int(index))]
    return handler


_RAFT_BODY = re.compile(r"\[(?:TRACE|DEBUG|INFO|WARN|ERROR)\]\s+raft: ")
"""What follows the time in a raft line of hclog's text format (a line that does not parse as
an hclog line but holds this is a raft line garbled, not another program's)."""

_SNAPSHOT_ID = re.compile(r"(\d+)-(\d+)-\d+(?:\.tmp)?")
"""A snapshot's name as hashicorp/raft's file store makes it: term, index, milliseconds (and
``.tmp`` while it is written)."""


def _named_snapshot(action: str, field: str) -> Handler:
    """A line naming a snapshot by its file store name (``id=2-87-1796608935006``, or a
    ``path=`` ending in it): the term and index of its last entry, where the name has them."""
    def handler(r: HclogReader, f: dict[str, Any]) -> list[Draft]:
        name = str(f.get(field, "")).rsplit("/", 1)[-1]
        found = _SNAPSHOT_ID.fullmatch(name)
        if found is None:
            return [r._d(ev.Snapshot, action=action)]
        return [r._d(ev.Snapshot, action=action, term=int(found.group(1)),
                     index=int(found.group(2)))]
    return handler


def _one(kind: type[ev.Event], **fields: Any) -> Handler:
    def handler(r: HclogReader, _f: dict[str, Any]) -> list[Draft]:
        return [r._d(kind, **fields)]
    return handler


_HANDLERS: dict[str, Handler] = {
    "initial configuration": HclogReader._initial_configuration,
    "entering follower state": HclogReader._entering_follower,
    "entering candidate state": HclogReader._entering_candidate,
    "entering leader state": HclogReader._entering_leader,
    "heartbeat timeout reached, starting election":
        lambda r, f: [r._d(ev.ElectionTimeout, last_leader=r._peer(f.get("last-leader", "")))],
    "Election timeout reached, restarting election": _one(ev.ElectionTimeout),
    "votes": lambda r, f: [r._d(ev.VotesNeeded, needed=int(f["needed"]))],
    "vote granted": HclogReader._vote_granted,
    "election won": HclogReader._election_won,
    "newer term discovered, fallback to follower":
        _one(ev.TermObserved, message_type="RequestVoteResponse"),
    "lost leadership because received a requestVote with a newer term":
        _one(ev.TermObserved, message_type="RequestVoteRequest"),
    "peer has newer term, stopping replication":
        lambda r, f: [r._d(ev.TermObserved, from_node=r._peer(f["peer"]),
                           message_type="AppendEntriesResponse")],
    "duplicate requestVote for same term":
        lambda r, f: [r._d(ev.VoteCast, candidate=None, term=int(f["term"]), granted=False,
                           reason="already voted in this term")],
    "duplicate requestVote from":
        lambda r, f: [r._d(ev.VoteCast, candidate=r._peer(f["candidate"]), granted=True,
                           reason="repeat of the vote already cast")],
    "rejecting vote request since we have a leader":
        _rejecting_vote("we have a leader"),
    "rejecting vote request since our last term is greater":
        _rejecting_vote("our last term is greater"),
    "rejecting vote request since our last index is greater":
        _rejecting_vote("our last index is greater"),
    "no known peers, aborting election": _one(ev.CampaignSkipped, reason="no known peers"),
    "not part of stable configuration, aborting election":
        _one(ev.CampaignSkipped, reason="not part of stable configuration"),
    "failed to contact quorum of nodes, stepping down":
        _one(ev.SteppedDown, reason="leader lease: no quorum contacted"),
    "new leader elected, stepping down": _one(ev.SteppedDown, reason="new leader elected"),
    "failed to contact": _progress("contact-failed"),
    "added peer, starting replication": _progress("started"),
    "pipelining replication": _progress("pipelining"),
    "aborting pipeline replication": _progress("pipeline-aborted"),
    "failed to start pipeline replication to":
        _progress("pipeline-failed"),
    "appendEntries rejected, sending older logs":
        _progress("append-rejected"),
    "failed to get previous log":
        lambda r, f: [r._d(ev.AppendRejected, index=int(f["previous-index"]),
                           local_last_index=int(f["last-index"]))],
    "previous log term mis-match":
        lambda r, f: [r._d(ev.AppendRejected, local_log_term=int(f["ours"]),
                           log_term=int(f["remote"]))],
    "clearing log suffix":
        lambda r, f: [r._d(ev.LogTruncated, from_index=int(f["from"]), to_index=int(f["to"]))],
    "failed to appendEntries to": _dropped("AppendEntries"),
    "failed to pipeline appendEntries": _dropped("AppendEntries"),
    "failed to heartbeat to": _dropped("Heartbeat"),
    "failed to make requestVote RPC": _dropped("RequestVote"),
    "updating configuration": HclogReader._config_change,
    "removed peer, stopping replication": HclogReader._config_change,
    "removed ourself, shutting down": HclogReader._config_change,
    "removed ourself, transitioning to follower": HclogReader._config_change,
    "starting leadership transfer":
        lambda r, f: [r._d(ev.LeadershipTransfer, action="start",
                           transferee=r._peer(f.get("id", "")))],
    "starting snapshot up to": _snapshot("start"),
    "failed to take snapshot": _snapshot("take-failed"),
    # a server starting restores the state machine from its latest snapshot
    "restored from snapshot": _named_snapshot("loaded", "id"),
    "snapshot complete up to": _snapshot("complete"),
    # its own snapshot of applied entries, or one a leader is installing on it
    "creating new snapshot": _named_snapshot("create", "path"),
    "reaping snapshot": _snapshot("reap"),
    "compacting logs": _snapshot("compact"),
    "no logs to truncate": _snapshot("compact"),
    "failed to get log": _snapshot("log-compacted"),
    "failed to send snapshot to": _snapshot("send-failed"),
    "failed to install snapshot": _snapshot("install-failed"),
    "installSnapshot rejected to": _snapshot("rejected"),
    "copied to local snapshot": _snapshot("copied"),
    "Installed remote snapshot": _snapshot("installed"),
    "skipping application of old log": _snapshot("skip-old-log"),
    "ignoring installSnapshot request with older term than current term":
        lambda r, f: [r._d(ev.StaleMessageDropped, term=int(f["current-term"]),
                           message_term=int(f["request-term"]),
                           message_type="InstallSnapshot")],
}
