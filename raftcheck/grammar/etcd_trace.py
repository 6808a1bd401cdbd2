"""etcd-io/raft TLA+ trace (NDJSON, ``tla/example.ndjson``) -> drafts of events.

Each line is a zap record whose ``event`` object is fully structured (name, node id, state,
role, log length, message), so it is decoded with ``json.loads`` and mapped by event name; it
has no free text for a grammar to parse. Node ids are decimal strings ("1", "10").

The ``state`` every record carries is the node's state after the traced step, except for
``Replicate`` (traced in ``appendEntry`` before the entry is appended: the new entry's index is
``log + 1``, ``log + 2`` for a second entry traced with the same ``log``) and ``Commit``
(traced after ``maybeCommit``, whether or not the commit index moved). Each record gives, after
its own event, a ``StateObserved`` of that state (role, term, vote, commit, last index), so
that every state in the trace is checked, not only the step.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from raftcheck.grammar.detect import ETCD_TRACE, mixed_format
from raftcheck.grammar.drafts import Draft, RawId, etcd_decimal_id
from raftcheck.grammar.outcomes import SKIPPED, Bad, Outcome, Parsed
from raftcheck.traces import events as ev

_ROLES = {"StateFollower": "Follower", "StateCandidate": "Candidate",
          "StateLeader": "Leader", "StatePreCandidate": "PreCandidate"}


def _nid(value: Any) -> RawId:
    raw = etcd_decimal_id(str(value), small=True)
    if raw is None:
        raise ValueError("node id 0")
    return raw


def _ids(values: Any) -> tuple[RawId, ...]:
    if not isinstance(values, list):
        raise ValueError("expected a list of node ids")
    return tuple(_nid(v) for v in values)


def _msg_fields(msg: dict[str, Any]) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "log_term": int(msg["logTerm"]), "index": int(msg["index"]),
        "commit": int(msg["commit"]), "entry_count": int(msg["entries"]),
        "reject": bool(msg["reject"]), "reject_hint": int(msg["rejectHint"]),
    }
    vote = etcd_decimal_id(str(msg.get("vote", "0")), small=True)
    if vote is not None:
        fields["vote"] = vote
    return fields


class TraceReader:
    """Reads one TLA+ trace file (every node of a test in one file)."""

    format = ETCD_TRACE

    def __init__(self, path: str) -> None:
        self.path = path
        self.owner: RawId | None = None
        self.time_precision: str | None = "1us"
        self._replicated: dict[str, tuple[int, int]] = {}

    def feed(self, lineno: int, line: str) -> Sequence[Outcome]:
        if not line.startswith("{"):
            if not line.strip():
                return SKIPPED
            error = mixed_format(line, self.format)
            if error is not None:
                return (Bad(lineno, line, error, fatal=True),)
            return (Bad(lineno, line, "not a JSON trace record"),)
        try:
            record = json.loads(line)
        except ValueError:
            return (Bad(lineno, line, "truncated or invalid JSON record"),)
        if not isinstance(record, dict):
            return (Bad(lineno, line, "JSON line is not an object"),)
        event = record.get("event")
        if event is None and record.get("tag") != "trace":
            return SKIPPED  # another zap record of the same run
        if not isinstance(event, dict):
            return (Bad(lineno, line, "trace record without an \"event\" object"),)
        name = event.get("name")
        handler = _HANDLERS.get(name) if isinstance(name, str) else None
        if handler is None:
            return (Bad(lineno, line, f"unrecognised trace event {name!r}"),)
        try:
            drafts = handler(self, event)
            if name not in _NO_STATE_AFTER:
                drafts.append(self._state_after(event))
            ts = record.get("ts")
            when = datetime.fromtimestamp(ts, UTC) if isinstance(ts, int | float) else None
        except (KeyError, TypeError, ValueError) as exc:
            detail = f"missing field {exc}" if isinstance(exc, KeyError) else str(exc)
            return (Bad(lineno, line, f"malformed {name} event: {detail}"),)
        return (Parsed(lineno, line, when, drafts),)

    def stamp(self, line: str) -> datetime | None:
        return None  # (one file holds every node's steps: in its order, not by clock)

    def finish(self) -> Sequence[Outcome]:
        return ()

    # --- events ---------------------------------------------------------------------------
    def _state(self, e: dict[str, Any]) -> tuple[int, RawId | None, int]:
        state = e["state"]
        vote = etcd_decimal_id(str(state["vote"]), small=True)
        return int(state["term"]), vote, int(state["commit"])

    def _state_after(self, e: dict[str, Any]) -> Draft:
        """Every record carries the node's state after its step: nothing goes unchecked."""
        term, vote, commit = self._state(e)
        return Draft(ev.StateObserved, _nid(e["nid"]), {
            "role": _ROLES.get(str(e["role"]), str(e["role"])), "term": term, "vote": vote,
            "commit": commit, "last_index": int(e["log"])})

    def init_state(self, e: dict[str, Any]) -> list[Draft]:
        term, vote, commit = self._state(e)
        voters = _ids(e["conf"][0])
        return [Draft(ev.NodeStarted, _nid(e["nid"]), {
            "term": term, "vote": vote, "commit": commit, "last_index": int(e["log"]),
            "peers": voters})]

    def commit(self, e: dict[str, Any]) -> list[Draft]:
        term, _vote, commit = self._state(e)
        return [Draft(ev.CommitAdvanced, _nid(e["nid"]), {"commit_index": commit, "term": term,
                                                          "last_index": int(e["log"])})]

    def replicate(self, e: dict[str, Any]) -> list[Draft]:
        node = _nid(e["nid"])
        term, _vote, _commit = self._state(e)
        log = int(e["log"])
        last_log, count = self._replicated.get(node.key, (-1, 0))
        count = count + 1 if last_log == log else 1
        self._replicated[node.key] = (log, count)
        index = log + count
        return [Draft(ev.EntriesAppended, node,
                      {"first_index": index, "last_index": index, "term": term})]

    def ready(self, e: dict[str, Any]) -> list[Draft]:
        term, vote, commit = self._state(e)
        return [Draft(ev.StateObserved, _nid(e["nid"]), {
            "role": _ROLES.get(str(e["role"]), str(e["role"])), "term": term,
            "vote": vote, "commit": commit,
            "last_index": int(e["log"])})]

    def apply_conf_change(self, e: dict[str, Any]) -> list[Draft]:
        cc = e.get("prop", {}).get("cc", {})
        voters = _ids(cc["newconf"]) if "newconf" in cc else _ids(e["conf"][0])
        outgoing = _ids(e["conf"][1]) if len(e["conf"]) > 1 else ()
        return [Draft(ev.Membership, _nid(e["nid"]),
                      {"voters": voters, "outgoing_voters": outgoing})]

    def change_conf(self, e: dict[str, Any]) -> list[Draft]:
        changes = e["prop"]["cc"].get("changes", [])
        detail = ", ".join(f"{c.get('action')} {c.get('nid')}" for c in changes)
        return [Draft(ev.ConfigChange, _nid(e["nid"]), {"detail": detail, "appended": True})]


Handler = Callable[[TraceReader, dict[str, Any]], list[Draft]]


def _become(kind: type[ev.Event]) -> Handler:
    def handler(r: TraceReader, e: dict[str, Any]) -> list[Draft]:
        term, _vote, _commit = r._state(e)
        return [Draft(kind, _nid(e["nid"]), {"term": term})]
    return handler


def _message(sent: bool) -> Handler:
    def handler(_r: TraceReader, e: dict[str, Any]) -> list[Draft]:
        msg = e["msg"]
        src, dst = _nid(msg["from"]), _nid(msg["to"])
        kind = ev.MessageSent if sent else ev.MessageReceived
        return [Draft(kind, src if sent else dst, {
            "type": str(msg["type"]), "src": src, "dst": dst, "term": int(msg["term"]),
            "fields": _msg_fields(msg)})]
    return handler


_R = TraceReader
_NO_STATE_AFTER = frozenset({
    "Ready",  # it is itself the state
    "Replicate",  # traced before the entry is appended
    "InitState",  # the start line carries the same state
})
_HANDLERS: dict[str, Handler] = {
    "InitState": _R.init_state,
    "BecomeFollower": _become(ev.BecameFollower),
    "BecomePreCandidate": _become(ev.BecamePreCandidate),
    "BecomeCandidate": _become(ev.BecameCandidate),
    "BecomeLeader": _become(ev.BecameLeader),
    "SendRequestVoteRequest": _message(True),
    "SendRequestVoteResponse": _message(True),
    "SendAppendEntriesRequest": _message(True),
    "SendAppendEntriesResponse": _message(True),
    "ReceiveRequestVoteRequest": _message(False),
    "ReceiveRequestVoteResponse": _message(False),
    "ReceiveAppendEntriesRequest": _message(False),
    "ReceiveAppendEntriesResponse": _message(False),
    "Commit": _R.commit,
    "Replicate": _R.replicate,
    "Ready": _R.ready,
    "ApplyConfChange": _R.apply_conf_change,
    "ChangeConf": _R.change_conf,
}
