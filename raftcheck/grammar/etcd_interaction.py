"""etcd-io/raft interaction transcripts (datadriven ``testdata/*.txt``) -> drafts of events.

A transcript is a series of blocks: comment lines (``#``), a command (``stabilize``,
``deliver-msgs 1``, ...), ``----``, then the output up to a blank line. One file holds every
node. What an output line means depends on where it stands: a message line under a node's
``Ready ... Messages:`` is sent by that node; under ``> 2 receiving messages`` it is received by
node 2; an entry under ``Entries:`` is appended, under ``CommittedEntries:`` applied. This
reader keeps that context; ``etcd_interaction.lark`` parses each record and ``etcd_raft.lark``
the raft log lines (``INFO 1 became leader at term 1``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from lark import Token, Transformer

from raftcheck.grammar.detect import ETCD_INTERACTION
from raftcheck.grammar.drafts import Draft, RawId, etcd_decimal_id, etcd_id
from raftcheck.grammar.etcd_raft import EtcdRaftMessages, role_name
from raftcheck.grammar.outcomes import PENDING, SKIP, SKIPPED, Bad, Outcome, Parsed
from raftcheck.grammar.parsers import ParseFailure, load, parse
from raftcheck.traces import events as ev

_LOG_LINE = re.compile(r"(DEBUG|INFO|WARN|ERROR|PANIC|FATAL) (.*)\Z", re.S)
_QUOTED = re.compile(r'"(?:\\.|[^"\\])*"')
_STORAGE_THREADS = frozenset({"AppendThread", "ApplyThread"})
_MAX_RECORD_LINES = 10_000
"""A multi-line message longer than this (an unclosed "[") is reported, not held on to."""
_MESSAGE_START = re.compile(r"(?:dropped: )?\S+->\S+ Msg")


@dataclass(slots=True)
class _Msg:
    """A message as DescribeMessage prints it."""

    dropped: bool
    src: str
    dst: str
    type: str
    term: int
    fields: dict[str, Any]


class _Transformer(Transformer[Token, Any]):
    """Trees -> ``(tag, value)`` facts; the reader gives them meaning from context."""

    def header_ready(self, c: list[Token]) -> tuple[str, Any]:
        return "header", ("ready", str(c[0]))

    def header_receiving(self, c: list[Token]) -> tuple[str, Any]:
        return "header", ("receiving", str(c[0]))

    def header_append_thread(self, c: list[Token]) -> tuple[str, Any]:
        return "header", ("append-thread", str(c[0]))

    def header_apply_thread(self, c: list[Token]) -> tuple[str, Any]:
        return "header", ("apply-thread", str(c[0]))

    def ready(self, _c: list[Token]) -> tuple[str, Any]:
        return "ready", None

    def empty_ready(self, _c: list[Token]) -> tuple[str, Any]:
        return "ready", None

    def soft_state(self, c: list[Token]) -> tuple[str, Any]:
        return "soft_state", (str(c[0]), str(c[1]))

    def hard_state(self, c: list[Token | None]) -> tuple[str, Any]:
        return "hard_state", (int(c[0]), None if c[1] is None else str(c[1]),
                              None if c[2] is None else int(c[2]))

    def section(self, c: list[Token]) -> tuple[str, Any]:
        return "section", str(c[0]).rstrip(":")

    def entry(self, c: list[Token | None]) -> tuple[str, Any]:
        parts = [t for t in c[3:] if t is not None]
        if parts and parts[0].type == "STRING":
            data = _unquote(str(parts[0]))
        else:
            data = " ".join(str(t) for t in parts)
        return "entry", ev.Entry(index=int(c[1]), term=int(c[0]), kind=str(c[2]), data=data)

    def endpoint(self, c: list[Token]) -> str:
        return str(c[0])

    def message(self, c: list[Any]) -> tuple[str, Any]:
        fields: dict[str, Any] = {"log_term": int(c[5]), "index": int(c[6])}
        for part in c[7:]:
            fields.update(part)
        msg = _Msg(c[0] is not None, c[1], c[2], str(c[3]), int(c[4]), fields)
        return "message", msg

    def part_commit(self, c: list[Token]) -> dict[str, Any]:
        return {"commit": int(c[0])}

    def part_vote(self, c: list[Token]) -> dict[str, Any]:
        return {"vote": etcd_id(str(c[0]), small=True)}

    def part_reject(self, c: list[Token]) -> dict[str, Any]:
        return {"reject": True, "reject_hint": int(c[0])}

    def part_entries(self, c: list[Any]) -> dict[str, Any]:
        entries = tuple(e[1] for e in c if e is not None)
        return {"entries": entries, "entry_count": len(entries)}

    def part_responses(self, c: list[Any]) -> dict[str, Any]:
        return {"responses": tuple(m[1] for m in c)}

    def part_snapshot(self, c: list[Any]) -> dict[str, Any]:
        index, term = c[0]
        return {"snapshot_index": index, "snapshot_term": term}

    def snapshot_body(self, c: list[Any]) -> tuple[int, int]:
        return int(c[0]), int(c[1])

    def conf_state(self, _c: list[Any]) -> None:
        return None

    def ready_snapshot(self, c: list[Any]) -> tuple[str, Any]:
        return "snapshot", c[0]

    def raft_state(self, c: list[Token]) -> tuple[str, Any]:
        return "raft_state", (str(c[0]), str(c[1]), str(c[2]), int(c[3]), str(c[4]))

    def progress(self, c: list[Any]) -> tuple[str, Any]:
        return "progress", (str(c[0]), str(c[1]), int(c[2]), int(c[3]), " ".join(c[4:]))

    def flag(self, c: list[Token]) -> str:
        return str(c[0])

    def flag_pending_snap(self, c: list[Token]) -> str:
        return f"pendingSnap={c[0]}"

    def flag_inflight(self, c: list[Token | None]) -> str:
        return f"inflight={c[0]}" + ("[full]" if c[1] is not None else "")

    def ok(self, _c: list[Token]) -> tuple[str, Any]:
        return "ok", None

    def log_empty(self, c: list[Token]) -> tuple[str, Any]:
        return "log_empty", (int(c[0]), int(c[1]))

    def step_error(self, c: list[Token]) -> tuple[str, Any]:
        return "step_error", f"raft: {c[0]}"

    def proposal_dropped(self, _c: list[Token]) -> tuple[str, Any]:
        return "proposal_dropped", None


def _unquote(text: str) -> str:
    """A Go %q string's value (JSON-compatible escapes; others are kept as printed)."""
    try:
        value = json.loads(text)
    except ValueError:
        return text[1:-1]
    return value if isinstance(value, str) else text[1:-1]


def _bracket_depth(text: str) -> int:
    bare = _QUOTED.sub("", text)
    return bare.count("[") - bare.count("]")


class InteractionReader:
    """Reads one interaction transcript (all nodes of one test in one file)."""

    format = ETCD_INTERACTION

    def __init__(self, path: str) -> None:
        self.path = path
        self.owner: RawId | None = None
        self.time_precision: str | None = None
        self._parser = load("etcd_interaction", _Transformer())
        self._raft = EtcdRaftMessages(small_ids=True)
        self._mode = "between"
        self._command: list[str] = []
        self._command_line = 0
        self._node: str | None = None
        self._section: str | None = None
        self._sub: str | None = None
        self._last_received: _Msg | None = None
        self._pending: list[str] = []
        self._level = self._shown_level = "info"  # etcd-raft's test logger starts at info
        self._pending_line = 0
        self._depth = 0

    # --- record assembly ------------------------------------------------------------------
    def feed(self, lineno: int, line: str) -> Sequence[Outcome]:
        stripped = line.strip()
        if self._pending:
            continues = self._depth > 0 or stripped.startswith("Snapshot:")
            if continues and stripped and len(self._pending) < _MAX_RECORD_LINES:
                self._pending.append(line)
                self._depth += _bracket_depth(stripped)
                return PENDING
            out = list(self._flush())
            out.extend(self._line(lineno, line, stripped))
            return out
        return self._line(lineno, line, stripped)

    def stamp(self, line: str) -> datetime | None:
        return None  # (a transcript has no clock)

    def finish(self) -> Sequence[Outcome]:
        return self._flush() if self._pending else ()

    def _flush(self) -> Sequence[Outcome]:
        lines, first = self._pending, self._pending_line
        self._pending, self._depth = [], 0
        raw = "\n".join(lines)
        if len(lines) > 1 and _bracket_depth(raw) != 0:
            return (Bad(first, raw, "unterminated multi-line message (missing ']')",
                        lines=len(lines)),)
        text = "\n".join(s.strip() for s in lines)
        return self._record(first, raw, text, len(lines))

    def _line(self, lineno: int, line: str, stripped: str) -> Sequence[Outcome]:
        if self._mode == "between":
            if not stripped or stripped.startswith("#"):
                return SKIPPED
            self._mode, self._command, self._command_line = "command", stripped.split(), lineno
            return SKIPPED
        if self._mode == "command":
            if stripped == "----":
                self._mode = "output"
                self._node = self._command_node()
                self._section = self._sub = None
                self._last_received = None
                return self._command_events()
            self._command.extend(stripped.split())  # arguments on continuation lines
            return SKIPPED
        if not stripped:
            self._mode = "between"
            return SKIPPED
        if _MESSAGE_START.match(stripped) is not None:
            self._pending, self._pending_line = [line], lineno
            self._depth = _bracket_depth(stripped)
            return PENDING
        return self._record(lineno, line, stripped, 1)

    # --- commands -------------------------------------------------------------------------
    def _command_node(self) -> str | None:
        for arg in self._command[1:]:
            if arg.isdigit():
                return arg
        return None

    def _command_events(self) -> Sequence[Outcome]:
        levels = self._level_events()
        out = self._command_drafts()
        if not levels:
            return out
        return (Parsed(self._command_line, " ".join(self._command), None,
                       [*levels, *(d for o in out if isinstance(o, Parsed) for d in o.drafts)]),)

    def _level_events(self) -> list[Draft]:
        """The run's log level for this command's output: ``log-level X`` sets it, an argument
        ``log-level=X`` sets it for one command (and the next command restores it)."""
        name, args = self._command[0], self._command[1:]
        level = self._level
        if name == "log-level" and args:
            level = self._level = args[0].lower()
        for arg in args:
            if arg.startswith("log-level="):
                level = arg.split("=", 1)[1].lower()
        if level == self._shown_level:
            return []
        self._shown_level = level
        return [Draft(ev.LoggingLevel, self._id("1"), {"level": level})]

    def _command_drafts(self) -> Sequence[Outcome]:
        name, args = self._command[0], self._command[1:]
        raw = " ".join(self._command)
        if name == "compact" and len(args) >= 2 and args[1].isdigit() and self._node:
            d = Draft(ev.Snapshot, self._id(self._node), {"action": "compact",
                                                           "index": int(args[1])})
            return (Parsed(self._command_line, raw, None, [d]),)
        if name == "propose-conf-change" and self._node:
            d = Draft(ev.ConfigChange, self._id(self._node),
                      {"detail": "propose-conf-change " + " ".join(args[1:])})
            return (Parsed(self._command_line, raw, None, [d]),)
        return SKIPPED

    # --- records --------------------------------------------------------------------------
    def _id(self, text: str) -> RawId:
        raw = etcd_id(text, small=True)
        if raw is None:
            raise ValueError("node id 0")
        return raw

    def _record(self, lineno: int, raw: str, text: str, lines: int) -> Sequence[Outcome]:
        try:
            m = _LOG_LINE.match(text)
            if m is not None:
                drafts = self._raft.drafts(m.group(2))
                if any(d.node is None for d in drafts):
                    if self._node is None:
                        raise ParseFailure("raft log line without a node id outside a node's "
                                           "section")
                    node = self._id(self._node)
                    drafts = [Draft(d.kind, node, d.fields) if d.node is None else d
                              for d in drafts]
            else:
                tag, value = parse(self._parser, text, "interaction transcript line")
                drafts = self._interpret(tag, value)
        except (ParseFailure, ValueError) as exc:
            return (Bad(lineno, raw, str(exc), lines=lines),)
        if not drafts:
            return (SKIP,) * lines
        return (Parsed(lineno, raw, None, drafts, lines=lines),)

    def _interpret(self, tag: str, value: Any) -> list[Draft]:
        handler = getattr(self, f"_on_{tag}")
        return handler(value)

    def _here(self) -> RawId:
        if self._node is None:
            raise ParseFailure("output line outside a node's section")
        return self._id(self._node)

    def _on_header(self, value: tuple[str, str]) -> list[Draft]:
        self._section, self._node = value
        self._sub = None
        return []

    def _on_ready(self, _value: None) -> list[Draft]:
        self._section, self._sub = "ready", None
        return []

    def _on_section(self, name: str) -> list[Draft]:
        self._sub = name
        if self._section is None:  # single-node output without a "> N ..." header
            command = self._command[0]
            self._section = {"process-append-thread": "append-thread",
                             "process-apply-thread": "apply-thread"}.get(command, "ready")
        return []

    def _on_ok(self, _value: None) -> list[Draft]:
        return []

    def _on_soft_state(self, value: tuple[str, str]) -> list[Draft]:
        lead, state = value
        return [Draft(ev.StateObserved, self._here(),
                      {"role": role_name(state), "leader": etcd_decimal_id(lead, small=True)})]

    def _on_hard_state(self, value: tuple[int, str | None, int | None]) -> list[Draft]:
        term, vote, commit = value
        return [Draft(ev.HardState, self._here(), {
            "term": term, "vote": None if vote is None else etcd_decimal_id(vote, small=True),
            "commit": commit})]

    def _on_entry(self, entry: ev.Entry) -> list[Draft]:
        command = self._command[0]
        if self._section == "ready" and self._sub == "Entries":
            return [Draft(ev.EntriesAppended, self._here(), {
                "first_index": entry.index, "last_index": entry.index, "term": entry.term})]
        if self._section == "ready" and self._sub == "CommittedEntries":
            drafts = [Draft(ev.Applied, self._here(), {"index": entry.index,
                                                        "term": entry.term})]
            if entry.kind.startswith("EntryConfChange"):
                drafts.append(Draft(ev.ConfigChange, self._here(), {
                    "detail": f"applied {entry.kind} {entry.data}".strip()}))
            return drafts
        if command in ("raft-log", "compact"):
            return [Draft(ev.LogObserved, self._here(), {
                "first_index": entry.index, "last_index": entry.index, "term": entry.term})]
        raise ParseFailure("log entry outside Entries:, CommittedEntries: or a raft-log dump")

    def _on_log_empty(self, value: tuple[int, int]) -> list[Draft]:
        return [Draft(ev.LogObserved, self._here(),
                      {"first_index": value[0], "last_index": value[1]})]

    def _on_snapshot(self, value: tuple[int, int]) -> list[Draft]:
        return [Draft(ev.Snapshot, self._here(),
                      {"action": "ready", "index": value[0], "term": value[1]})]

    def _on_raft_state(self, value: tuple[str, str, str, int, str]) -> list[Draft]:
        node, state, _suffrage, term, lead = value
        return [Draft(ev.StateObserved, self._id(node), {
            "role": role_name(state), "term": term,
            "leader": etcd_decimal_id(lead, small=True)})]

    def _on_progress(self, value: tuple[str, str, int, int, str]) -> list[Draft]:
        peer, state, match, nxt, flags = value
        return [Draft(ev.ReplicationProgress, self._here(), {
            "peer": self._id(peer), "action": "status", "state": state, "match": match,
            "next": nxt, "detail": flags})]

    def _on_step_error(self, text: str) -> list[Draft]:
        msg = self._last_received
        if msg is None:
            raise ParseFailure(f"{text!r} without a message being stepped")
        return [Draft(ev.MessageDropped, self._id(msg.dst), {
            "type": msg.type, "src": self._id(msg.src), "dst": self._id(msg.dst),
            "term": msg.term, "reason": text, "fields": msg.fields})]

    def _on_proposal_dropped(self, _value: None) -> list[Draft]:
        return [Draft(ev.RequestDropped, self._here(),
                      {"request": "proposal", "reason": "raft proposal dropped"})]

    def _on_message(self, msg: _Msg) -> list[Draft]:
        if msg.src in _STORAGE_THREADS or msg.dst in _STORAGE_THREADS:
            node = msg.dst if msg.src in _STORAGE_THREADS else msg.src
            return [Draft(ev.FeatureUsed, self._id(node), {
                "feature": "async-storage-writes", "detail": f"{msg.src}->{msg.dst} {msg.type}"})]
        fields = {k: v for k, v in msg.fields.items() if k != "responses"}
        common = {"type": msg.type, "src": self._id(msg.src), "dst": self._id(msg.dst),
                  "term": msg.term, "fields": fields}
        if msg.dropped:
            return [Draft(ev.MessageDropped, self._id(msg.src),
                          {**common, "reason": "dropped by deliver-msgs"})]
        direction = self._direction()
        if direction == "received":
            self._last_received = msg
            return [Draft(ev.MessageReceived, self._id(msg.dst), common)]
        return [Draft(ev.MessageSent, self._id(msg.src), common)]

    def _direction(self) -> str:
        section, sub, command = self._section, self._sub, self._command[0]
        if section == "receiving" or (section is None and command == "deliver-msgs"):
            return "received"
        if section in ("append-thread", "apply-thread") and sub == "Responses":
            return "sent"
        if section == "ready" and sub == "Messages":
            return "sent"
        if section is None and command == "send-snapshot":
            return "sent"
        raise ParseFailure("message line outside Messages:, a receiving section or "
                           "deliver-msgs/send-snapshot output")
