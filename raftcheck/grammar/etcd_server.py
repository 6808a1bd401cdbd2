"""etcd server logs (capnslog text and zap JSON; etcd 3.3-3.5) -> drafts of events.

The envelope is split off here; raft-package messages go through ``etcd_raft.lark``. From the
etcdserver component only the applied-index sample (``start to snapshot (applied: N, ...)`` /
zap ``triggering snapshot``) is read; every other non-raft line is skipped.

Raft lines are: capnslog ``raftYYYY/MM/DD HH:MM:SS LEVEL: msg`` (raft's Go logger, etcd 3.4)
or ``... L | raft: msg`` (etcd <= 3.3); zap records whose ``logger`` is ``raft`` (etcd 3.5)
or whose ``caller`` is in the raft package (``raft/raft.go``, ``raft@v3.5.0/raft.go``,
``etcdserver/zap_raft.go``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import UTC, datetime, tzinfo
from typing import Any

from raftcheck.grammar.detect import ETCD_CAPNSLOG, ETCD_ZAP, mixed_format
from raftcheck.grammar.drafts import Draft, RawId, etcd_id
from raftcheck.grammar.etcd_raft import EtcdRaftMessages
from raftcheck.grammar.outcomes import SKIPPED, Bad, Outcome, Parsed
from raftcheck.grammar.parsers import ParseFailure
from raftcheck.traces import events as ev

_CAPNS_RAFT = re.compile(
    r"raft(\d{4})/(\d\d)/(\d\d) (\d\d):(\d\d):(\d\d) (DEBUG|INFO|WARN|ERROR|PANIC|FATAL): (.*)\Z"
)
_CAPNS_PKG = re.compile(
    r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+) ([A-Z]) \| ([\w./-]+): (.*)\Z"
)
_ZAP_RAFT_CALLER = re.compile(r"(?:^|/)raft(?:@[^/]*)?/|(?:^|/)zap_raft\.go:")
_APPLIED = re.compile(r"start to snapshot \(applied: (\d+), lastsnap: \d+\)")
_MEMBER = re.compile(r"(?:re)?starting member ([0-9a-f]+) in cluster")


class EtcdServerReader:
    """Reads one etcd member's log (capnslog or zap): one file is one node."""

    def __init__(self, path: str, *, zap: bool, assume_tz: tzinfo = UTC) -> None:
        self.path = path
        self.format = ETCD_ZAP if zap else ETCD_CAPNSLOG
        self.time_precision: str | None = None if zap else "1s"
        self.owner: RawId | None = None
        self._zap = zap
        self._tz = assume_tz
        self._messages = EtcdRaftMessages()
        self._last_stamp = ""
        self._last_time: datetime | None = None

    def feed(self, lineno: int, line: str) -> Sequence[Outcome]:
        if self._zap:
            return self._feed_zap(lineno, line)
        return self._feed_capnslog(lineno, line)

    def finish(self) -> Sequence[Outcome]:
        return ()

    # --- capnslog -------------------------------------------------------------------------
    def _feed_capnslog(self, lineno: int, line: str) -> Sequence[Outcome]:
        if line.startswith("raft"):
            m = _CAPNS_RAFT.match(line)
            if m is not None:
                stamp = line[4:23]
                if stamp != self._last_stamp:
                    y, mo, d, h, mi, s = (int(x) for x in m.groups()[:6])
                    self._last_time = datetime(y, mo, d, h, mi, s, tzinfo=self._tz)
                    self._last_stamp = stamp
                return self._raft(lineno, line, m.group(8), self._last_time)
            if line[4:5].isdigit():
                return (Bad(lineno, line, "malformed raft log line (envelope)"),)
            return self._other(lineno, line)
        if line[:1].isdigit():
            m = _CAPNS_PKG.match(line)
            if m is not None:
                stamp, _level, pkg, text = m.groups()
                if pkg == "raft":  # etcd <= 3.3 logged raft through capnslog
                    return self._raft(lineno, line, text, self._pkg_time(stamp))
                if pkg == "etcdserver":
                    return self._etcdserver_text(lineno, line, stamp, text)
                return SKIPPED
        return self._other(lineno, line)

    def _pkg_time(self, stamp: str) -> datetime:
        return datetime.fromisoformat(stamp).replace(tzinfo=self._tz)

    def _etcdserver_text(self, lineno: int, line: str, stamp: str,
                         text: str) -> Sequence[Outcome]:
        m = _APPLIED.match(text)
        if m is not None:
            draft = Draft(ev.Applied, None, {"index": int(m.group(1))})
            return (Parsed(lineno, line, self._pkg_time(stamp), [draft]),)
        if self.owner is None:
            m = _MEMBER.match(text)
            if m is not None:
                self.owner = etcd_id(m.group(1))
        return SKIPPED

    # --- zap ------------------------------------------------------------------------------
    def _feed_zap(self, lineno: int, line: str) -> Sequence[Outcome]:
        if not line.startswith("{"):
            return self._other(lineno, line)
        if self._plainly_other(line):
            return SKIPPED
        try:
            record = json.loads(line)
        except ValueError:
            return (Bad(lineno, line, "truncated or invalid JSON record"),)
        if not isinstance(record, dict):
            return (Bad(lineno, line, "JSON line is not an object"),)
        caller = record.get("caller")
        is_raft = record.get("logger") == "raft" or (
            isinstance(caller, str) and _ZAP_RAFT_CALLER.search(caller) is not None)
        msg = record.get("msg")
        if not is_raft:
            if msg in ("triggering snapshot", "Applying entry") or \
                    (self.owner is None and "local-member-id" in record):
                return self._etcdserver_zap(lineno, line, record)
            return SKIPPED
        if not isinstance(msg, str):
            return (Bad(lineno, line, "raft JSON record without a \"msg\" text"),)
        try:
            when = self._zap_time(record.get("ts"))
        except ValueError:
            return (Bad(lineno, line, f"bad timestamp {record.get('ts')!r}"),)
        return self._raft(lineno, line, msg, when)

    def _plainly_other(self, line: str) -> bool:
        """A complete record (it ends its object, and no other object starts inside it, as
        where a cut-off record is followed by the next one) that is not raft and not read:
        skipped without decoding its JSON. Anything else is decoded, so cut-off records are
        still reported. Every raft record (logger "raft", a caller in the raft package) and
        every record read contains one of the marks below; so does a line that escapes
        characters, which could hide them."""
        return (line.endswith("}") and line.find('{"', 1) == -1
                and not ('"raft"' in line or "raft/" in line or "raft@" in line
                         or "zap_raft.go" in line or "triggering snapshot" in line
                         or "Applying entry" in line or "\\u" in line)
                and (self.owner is not None or "local-member-id" not in line))

    def _zap_time(self, ts: Any) -> datetime | None:
        if isinstance(ts, str):
            if self.time_precision is None:
                frac = ts.split(".", 1)[1] if "." in ts else ""
                digits = len(frac) - len(frac.lstrip("0123456789"))
                self.time_precision = {0: "1s", 3: "1ms", 6: "1us", 9: "1ns"}.get(digits, "1ms")
            when = datetime.fromisoformat(ts)
            return when if when.tzinfo is not None else when.replace(tzinfo=self._tz)
        if isinstance(ts, int | float) and not isinstance(ts, bool):
            self.time_precision = self.time_precision or "1us"
            return datetime.fromtimestamp(ts, UTC)
        return None

    def _etcdserver_zap(self, lineno: int, line: str, record: dict[str, Any]
                        ) -> Sequence[Outcome]:
        member = record.get("local-member-id")
        if self.owner is None and isinstance(member, str):
            self.owner = etcd_id(member)
        index, term = record.get("index"), record.get("term")
        if record.get("msg") == "Applying entry" and isinstance(index, int) and \
                isinstance(term, int) and not isinstance(index | term, bool):
            # etcd 3.5 at debug level: every committed entry, with its term, as it is applied
            try:
                when = self._zap_time(record.get("ts"))
            except ValueError:
                when = None
            return (Parsed(lineno, line, when,
                           [Draft(ev.Applied, None, {"index": index, "term": term})]),)
        applied = record.get("local-member-applied-index")
        if record.get("msg") == "triggering snapshot" and isinstance(applied, int):
            try:
                when = self._zap_time(record.get("ts"))
            except ValueError:
                when = None
            return (Parsed(lineno, line, when, [Draft(ev.Applied, None, {"index": applied})]),)
        return SKIPPED

    # --- shared ---------------------------------------------------------------------------
    def _raft(self, lineno: int, line: str, text: str,
              when: datetime | None) -> Sequence[Outcome]:
        try:
            drafts = self._messages.drafts(text)  # lark parses each message shape once
        except ParseFailure as exc:
            return (Bad(lineno, line, str(exc)),)
        if self.owner is None and drafts[0].node is not None:
            self.owner = drafts[0].node
        return (Parsed(lineno, line, when, drafts),)

    def _other(self, lineno: int, line: str) -> Sequence[Outcome]:
        error = mixed_format(line, self.format)
        if error is not None:
            return (Bad(lineno, line, error, fatal=True),)
        return SKIPPED
