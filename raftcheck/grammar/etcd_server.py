"""etcd server logs (capnslog text and zap JSON; etcd 3.3-3.5) -> drafts of events.

The envelope is split off here; raft-package messages go through ``etcd_raft.lark``. Of the
server's own lines, three sorts are read: the applied-index sample (``start to snapshot
(applied: N, ...)`` / zap ``triggering snapshot``); the start-up banner (member name, heartbeat
and election timeout, pre-vote: one ServerConfig event once the member's id is known); and the
warnings in WARNINGS / CAPNSLOG_WARNINGS (slow fsync, late heartbeats, lost and unreachable peers,
clock drift, a stop: ServerWarning events). Every other non-raft line is skipped.

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

from raftcheck.grammar.detect import ETCD_CAPNSLOG, ETCD_ZAP, foreign_format, mixed_format
from raftcheck.grammar.drafts import Draft, RawId, etcd_id, go_seconds
from raftcheck.grammar.etcd_raft import EtcdRaftMessages
from raftcheck.grammar.outcomes import SKIPPED, Bad, Outcome, Parsed
from raftcheck.grammar.parsers import ParseFailure
from raftcheck.traces import events as ev

# (raft's default logger labels every level but a panic: "raft2026/12/06 23:29:39 tocommit(67)
# is out of range ...")
_CAPNS_RAFT = re.compile(
    r"raft(\d{4})/(\d\d)/(\d\d) (\d\d):(\d\d):(\d\d) (?:(DEBUG|INFO|WARN|ERROR|PANIC|FATAL): )?"
    r"(.*)\Z"
)
_CAPNS_PKG = re.compile(
    r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+) ([A-Z]) \| ([\w./-]+): (.*)\Z"
)
_ZAP_TS = re.compile(r'"ts":\s*(?:"([^"]*)"|(-?\d[\d.eE+-]*))')
_ZAP_RAFT_CALLER = re.compile(r"(?:^|/)raft(?:@[^/]*)?/|(?:^|/)zap_raft\.go:")
_APPLIED = re.compile(r"start to snapshot \(applied: (\d+), lastsnap: \d+\)")
_FORCED = re.compile(r"forcing restart of member ([0-9a-f]+) in cluster [0-9a-f]+ at commit "
                     r"index \d+")
FORCED_ZAP = "forcing restart member"
FORCE_NEW_CLUSTER = "force-new-cluster"
"""A member restarted with --force-new-cluster: it rewrote the cluster's membership to itself
alone, without a quorum (disaster recovery); what follows is outside the model."""
_MEMBER = re.compile(r"(?:re)?starting member ([0-9a-f]+) in cluster")

SERVER_START = re.compile(
    r'embed: name = |etcdmain: etcd Version|"msg":"starting an etcd server"|"msg":"Running: "'
    r'|(?:re)?starting (?:local )?member|forcing restart|newRaft ')
"""A line that etcd logs as its server starts (banner, member, raft's own start): a log whose
lines before its first Raft event hold none began mid-run (the parts before were rotated away,
or cut)."""
_BANNER = re.compile(r"(name|heartbeat|election) = (.*)\Z")

WARNINGS: dict[str, tuple[str, str | None, str | None]] = {
    # zap message: (kind, the field naming the peer, the field holding the duration)
    "slow fdatasync": ("slow-fsync", None, "took"),
    "leader failed to send out heartbeat on time; took too long, leader is overloaded likely "
    "from slow disk": ("heartbeat-late", "to", "exceeded-duration"),
    "apply request took too long": ("slow-apply", None, "took"),
    "waiting for ReadIndex response took too long, retrying": ("slow-read-index", None, None),
    "timed out waiting for read index response (local node might have slow network)":
        ("slow-read-index", None, None),
    "prober detected unhealthy status": ("peer-unhealthy", "remote-peer-id", None),
    "prober found high clock drift": ("clock-drift", "remote-peer-id", "clock-drift"),
    "lost TCP streaming connection with remote peer": ("peer-lost", "remote-peer-id", None),
    "peer became inactive (message send to peer failed)": ("peer-lost", "peer-id", None),
    "peer became active": ("peer-active", "peer-id", None),
    "failed to reach the peer URL": ("peer-unreachable", "remote-member-id", None),
    "received signal; shutting down": ("stopping", None, None),
}
"""etcd's zap warnings (etcd 3.4 and 3.5 print the same messages) read as ServerWarning."""

_WARNING_DETAIL = ("error", "took", "exceeded-duration", "clock-drift", "rtt", "signal",
                   "round-tripper-name", "prefix", "request", "expected-duration")

CAPNSLOG_WARNINGS: dict[str, list[tuple[re.Pattern[str], str]]] = {
    # capnslog package: (pattern with the peer as group "peer" and the duration as "took", kind)
    "wal": [(re.compile(r"sync duration of (?P<took>\S+), expected less than"), "slow-fsync")],
    "etcdserver": [
        (re.compile(r"failed to send out heartbeat on time \(exceeded the \S+ timeout for "
                    r"(?P<took>\S+), to (?P<peer>[0-9a-f]+)\)"), "heartbeat-late"),
        (re.compile(r".*took too long \((?P<took>[^)]+)\) to execute\Z"), "slow-apply"),
        (re.compile(r"waiting for ReadIndex response took too long|timed out waiting for read "
                    r"index response"), "slow-read-index"),
        (re.compile(r"failed to reach the peerURL\(\S+\) of member (?P<peer>[0-9a-f]+)"),
         "peer-unreachable"),
    ],
    "rafthttp": [
        (re.compile(r"health check for peer (?P<peer>[0-9a-f]+) could not connect"),
         "peer-unhealthy"),
        (re.compile(r"the clock difference against peer (?P<peer>[0-9a-f]+) is too high "
                    r"\[(?P<took>\S+) >"), "clock-drift"),
        (re.compile(r"lost the TCP streaming connection with peer (?P<peer>[0-9a-f]+)"),
         "peer-lost"),
        (re.compile(r"peer (?P<peer>[0-9a-f]+) became inactive"), "peer-lost"),
        (re.compile(r"peer (?P<peer>[0-9a-f]+) became active"), "peer-active"),
        (re.compile(r"failed to dial (?P<peer>[0-9a-f]+) on stream"), "peer-unreachable"),
    ],
    "osutil": [(re.compile(r"received \w+ signal, shutting down"), "stopping")],
}
"""etcd's capnslog warnings (etcd 3.4 and older) read as ServerWarning."""

_ZAP_RAFT_RECORD = re.compile(
    r'\{"level":"[a-z]+","ts":"([^"\\\x00-\x1f]*)","logger":"raft",'
    r'"caller":"[^"\\\x00-\x1f]*","msg":"([^"\\\x00-\x1f]*)"\}\Z')
"""etcd 3.5's raft record exactly as zap writes it, with no escape in any value: the match is
the record's JSON decoded (logger raft; ts and msg as written), so json.loads is spared."""
_ZAP_RAFT_LAYOUT = re.compile(
    r'\{"level":"[a-z]+","ts":"([^"]*)","logger":"raft","caller":"[^"]*","msg":"([^"]*)"\}\Z')
"""_ZAP_RAFT_RECORD without its test of every character of the values (most of its cost): a
line it matches that is ASCII and holds no _ESCAPED byte is matched by _ZAP_RAFT_RECORD with
the same groups (outside the values the layout is literal text)."""
_ESCAPED = bytes(ord('"') if b < 32 or b == ord("\\") else b for b in range(256))
"""A byte table that changes what zap escapes in a JSON string (control characters and the
backslash) into a quote, and leaves every other byte: a line's bytes translated by it are the
same bytes exactly when they hold none."""

_ZAP_READ = frozenset({"triggering snapshot", "Applying entry", "starting an etcd server",
                       FORCED_ZAP, *WARNINGS})
"""The messages of the zap records read that are not raft's (see _plainly_other)."""
_ZAP_RAFT_MARKS = ('"raft"', "raft/", "raft@", "zap_raft.go")
"""Texts of which one is in every raft record: its logger, or its caller in the raft package."""


_SCAN = json.JSONDecoder().scan_once


def _json_record(line: str) -> Any:
    """``json.loads(line)`` for a line that starts with ``{``, without its Python layers
    (a zap record is one JSON value that fills its line: the scanner's end is the line's)."""
    try:
        value, end = _SCAN(line, 0)
    except StopIteration:
        return json.loads(line)  # raises the same error
    return value if end == len(line) else json.loads(line)


_SERVER_RECORDS = frozenset({"triggering snapshot", "Applying entry", "starting local member",
                             "restarting local member"})
"""etcdserver's records read whatever comes before them (the others that name the member are
read only while it is not known, or its start-up banner waits for it)."""


class EtcdServerReader:
    """Reads one etcd member's log (capnslog or zap): one file is one node."""

    def __init__(self, path: str, *, zap: bool, assume_tz: tzinfo = UTC,
                 skim: frozenset[type[ev.Event]] = frozenset()) -> None:
        """``skim``: event kinds of which the caller reads only the nodes named (see
        ``LogStream``): their drafts carry only the fields that name nodes."""
        self.path = path
        self._skim_warnings = ev.ServerWarning in skim
        self.format = ETCD_ZAP if zap else ETCD_CAPNSLOG
        self.time_precision: str | None = None if zap else "1s"
        self.owner: RawId | None = None
        self._zap = zap
        self._tz = assume_tz
        self._messages = EtcdRaftMessages()
        # drafts(), as a shapes.Filled where the text's shape is learnt (drafts built when read)
        self._learnt = self._messages.memo.lazy
        # The last timestamp read (capnslog's or zap's) and its time: lines come in bursts
        # of one millisecond.
        self._last_stamp: str | None = None
        self._last_time: datetime | None = None
        self._banner: dict[str, Any] = {}  # the start-up banner, until the member id is known
        self._banner_line: tuple[int, str, datetime | None] | None = None
        self.feed = self._feed_zap if zap else self._feed_capnslog  # type: ignore[method-assign]

    def feed(self, lineno: int, line: str) -> Sequence[Outcome]:
        # (replaced in __init__ by the format's own method: one call less per line)
        if self._zap:
            return self._feed_zap(lineno, line)
        return self._feed_capnslog(lineno, line)

    def finish(self) -> Sequence[Outcome]:
        return ()

    def stamp(self, line: str) -> datetime | None:
        try:
            if self._zap:
                found = _ZAP_TS.search(line)
                if found is None:
                    return None
                stamp = found.group(1)
                return self._zap_time(stamp if stamp is not None else float(found.group(2)))
            if (m := _CAPNS_RAFT.match(line)) is not None:
                return self._raft_time(m)
            if (m := _CAPNS_PKG.match(line)) is not None:
                return self._pkg_time(m.group(1))
        except (ValueError, OverflowError, OSError):
            pass  # (a garbled time: none)
        return None

    # --- capnslog -------------------------------------------------------------------------
    def _feed_capnslog(self, lineno: int, line: str) -> Sequence[Outcome]:
        if line.startswith("raft"):
            m = _CAPNS_RAFT.match(line)
            if m is not None:
                stamp = line[4:23]
                if stamp != self._last_stamp:
                    self._last_time, self._last_stamp = self._raft_time(m), stamp
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
                if pkg == "embed":
                    return self._banner_text(lineno, line, stamp, text)
                if pkg in CAPNSLOG_WARNINGS:
                    return self._warning_text(lineno, line, stamp, pkg, text)
                return SKIPPED
        return self._other(lineno, line)

    def _raft_time(self, m: re.Match) -> datetime:
        """The time of a capnslog raft line (``_CAPNS_RAFT``'s match): whole seconds."""
        return datetime(*(int(x) for x in m.groups()[:6]), tzinfo=self._tz)

    def _pkg_time(self, stamp: str) -> datetime:
        return datetime.fromisoformat(stamp).replace(tzinfo=self._tz)

    def _etcdserver_text(self, lineno: int, line: str, stamp: str,
                         text: str) -> Sequence[Outcome]:
        m = _APPLIED.match(text)
        if m is not None:
            draft = Draft(ev.Applied, None, {"index": int(m.group(1))})
            return (Parsed(lineno, line, self._pkg_time(stamp), [draft]),)
        m = _FORCED.match(text)
        if m is not None:
            return self._forced(lineno, line, self._pkg_time(stamp), m.group(1), text)
        m = _MEMBER.match(text)
        if m is not None:
            self._own_member(m.group(1))
            return self._config(lineno, line, self._pkg_time(stamp))
        return self._warning_text(lineno, line, stamp, "etcdserver", text)

    def _banner_text(self, lineno: int, line: str, stamp: str, text: str) -> Sequence[Outcome]:
        """``embed: name = node1``, ``heartbeat = 100ms``, ``election = 1000ms``: kept until
        the member line names the node (ServerConfig)."""
        m = _BANNER.match(text)
        if m is not None:
            key, value = m.groups()
            if key == "name":
                self._banner = {"name": value.strip()}
                self._banner_line = (lineno, line, self._pkg_time(stamp))
            else:
                took = go_seconds(value.strip())
                if took is not None:
                    self._banner[f"{key}_ms"] = round(took * 1000)
        return SKIPPED

    def _warning_text(self, lineno: int, line: str, stamp: str, pkg: str,
                      text: str) -> Sequence[Outcome]:
        for pattern, kind in CAPNSLOG_WARNINGS[pkg]:
            m = pattern.match(text)
            if m is None:
                continue
            found = m.groupdict()
            if self._skim_warnings:
                fields: dict[str, Any] = {"peer": etcd_id(found["peer"])} \
                    if found.get("peer") else {}
                return (Parsed(lineno, line, self._pkg_time(stamp),
                               [Draft(ev.ServerWarning, None, fields)]),)
            fields = {"warning": kind, "detail": text}
            if found.get("peer"):
                fields["peer"] = etcd_id(found["peer"])
            if found.get("took"):
                fields["seconds"] = go_seconds(found["took"])
            return (Parsed(lineno, line, self._pkg_time(stamp),
                           [Draft(ev.ServerWarning, None, fields)]),)
        return SKIPPED

    def _config(self, lineno: int, line: str, when: datetime | None) -> Sequence[Outcome]:
        """The banner kept since the server started, now that its member id is known."""
        if not self._banner:
            return SKIPPED
        banner, self._banner = self._banner, {}
        at = self._banner_line or (lineno, line, when)
        self._banner_line = None
        return (Parsed(at[0], at[1], at[2], [Draft(ev.ServerConfig, None, banner)]),)

    # --- zap ------------------------------------------------------------------------------
    def _feed_zap(self, lineno: int, line: str) -> Sequence[Outcome]:
        if line[:1] != "{":  # (startswith parses its arguments: ten times what this costs)
            return self._other(lineno, line)
        # the text the expression needs, looked for first: most records are not raft's
        plain = _ZAP_RAFT_LAYOUT.match(line) if '"logger":"raft",' in line else None
        if plain is not None and not (line.isascii() and (
                raw := line.encode()).translate(_ESCAPED) == raw):
            plain = _ZAP_RAFT_RECORD.match(line)  # (C loops: a byte at a time, not a regex)
        if plain is not None:
            ts, msg = plain.groups()
            if ts == self._last_stamp:  # _zap_time's own shortcut, without its call
                when = self._last_time
            else:
                try:
                    when = self._zap_time(ts)
                except ValueError:
                    return (Bad(lineno, line, f"bad timestamp {ts!r}"),)
            return self._raft(lineno, line, msg, when)
        if self._plainly_other(line):
            return SKIPPED
        try:
            record = _json_record(line)
        except ValueError:
            return (Bad(lineno, line, "truncated or invalid JSON record"),)
        if not isinstance(record, dict):
            return (Bad(lineno, line, "JSON line is not an object"),)
        caller = record.get("caller")
        is_raft = record.get("logger") == "raft" or (
            isinstance(caller, str) and "raft" in caller  # in every match: a quick no
            and _ZAP_RAFT_CALLER.search(caller) is not None)
        msg = record.get("msg")
        if not is_raft:
            if not isinstance(msg, str):  # (no server record of ours: etcd's are text)
                return SKIPPED
            if msg == FORCED_ZAP:
                try:
                    when = self._zap_time(record.get("ts"))
                except ValueError:
                    when = None
                return self._forced(lineno, line, when, record.get("local-member-id"),
                                    f"{msg} at commit index {record.get('commit-index')}")
            if msg in _SERVER_RECORDS or (
                    (self._banner or self.owner is None) and "local-member-id" in record):
                return self._etcdserver_zap(lineno, line, record)
            if msg in WARNINGS:
                return self._warning_zap(lineno, line, record, msg)
            if msg == "starting an etcd server":
                return self._banner_zap(lineno, line, record)
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
        still reported. The first ``"msg":"`` starts the record's message (inside a JSON
        string every quote is escaped, so no value can hold that text); a message cut short at
        an escaped quote ends in a backslash, which no message read has. Every record read that
        is not raft's has one of a few messages, and every raft record one of the raft marks,
        unless escapes spell them otherwise (``\\u0072aft``, ``raft\\/``): those are decoded."""
        # (partition, `in` and ==, not find() or endswith(): those parse their arguments, at a
        # cost above that of the copies)
        before, found, after = line.partition('"msg":"')
        if not found:
            return False
        msg, quote, _ = after.partition('"')
        if (msg if quote else after[:-1]) in _ZAP_READ:  # (unended: as find's -1 would cut)
            return False  # (looked at first: the records read, warnings mostly, stop here)
        if line[-1:] != "}" or ("{" in line[1:] and '{"' in line[1:]) or (
                "\\" in line and ("\\u" in line or "\\/" in line)):
            return False  # (a brace alone is looked for first: most records have none inside)
        # zap writes level, time, logger and caller before the message: where the caller is
        # there, only they can make it raft's (a field after it may hold a URL with /raft/)
        head = before + found
        if '"caller":"' not in head:
            head = line
        if "raft" in head:  # in every mark
            for mark in _ZAP_RAFT_MARKS:
                if mark in head:
                    return False
        return (self.owner is not None and not self._banner) or "local-member-id" not in line

    def _zap_time(self, ts: Any) -> datetime | None:
        if isinstance(ts, str):
            if self.time_precision is None:
                frac = ts.split(".", 1)[1] if "." in ts else ""
                digits = len(frac) - len(frac.lstrip("0123456789"))
                self.time_precision = {0: "1s", 3: "1ms", 6: "1us", 9: "1ns"}.get(digits, "1ms")
            if ts == self._last_stamp:
                return self._last_time
            when = datetime.fromisoformat(ts)
            when = when if when.tzinfo is not None else when.replace(tzinfo=self._tz)
            self._last_stamp, self._last_time = ts, when
            return when
        if isinstance(ts, int | float) and not isinstance(ts, bool):
            self.time_precision = self.time_precision or "1us"
            return datetime.fromtimestamp(ts, UTC)
        return None

    def _when(self, record: dict[str, Any]) -> datetime | None:
        try:
            return self._zap_time(record.get("ts"))
        except ValueError:
            return None

    def _banner_zap(self, lineno: int, line: str, record: dict[str, Any]) -> Sequence[Outcome]:
        """``starting an etcd server``: kept until the member's id is known (ServerConfig)."""
        banner: dict[str, Any] = {}
        if isinstance(record.get("name"), str):
            banner["name"] = record["name"]
        for key, field in (("heartbeat_ms", "heartbeat-interval"),
                           ("election_ms", "election-timeout")):
            took = go_seconds(record.get(field))
            if took is not None:
                banner[key] = round(took * 1000)
        if isinstance(record.get("pre-vote"), bool):
            banner["pre_vote"] = record["pre-vote"]
        self._banner = banner
        self._banner_line = (lineno, line, self._when(record))
        if self.owner is not None and record.get("member-initialized") is True:
            return self._config(lineno, line, None)  # a restart: the member is known
        return SKIPPED

    def _warning_zap(self, lineno: int, line: str, record: dict[str, Any],
                     msg: str) -> Sequence[Outcome]:
        kind, peer_field, took_field = WARNINGS[msg]
        peer = record.get(peer_field) if peer_field else None
        if self._skim_warnings:
            skimmed = {"peer": etcd_id(peer)} if isinstance(peer, str) else {}
            return (Parsed(lineno, line, self._when(record),
                           [Draft(ev.ServerWarning, None, skimmed)]),)
        fields: dict[str, Any] = {"warning": kind}
        if isinstance(peer, str):
            fields["peer"] = etcd_id(peer)
        if took_field:
            fields["seconds"] = go_seconds(record.get(took_field))
        error = record.get("error")
        if kind == "peer-lost" and isinstance(error, str) and "failed to dial" in error:
            fields["warning"] = "peer-unreachable"
        extra = "; ".join(f"{k}={record[k]}" for k in _WARNING_DETAIL if k in record)
        fields["detail"] = f"{msg} ({extra})" if extra else msg
        return (Parsed(lineno, line, self._when(record), [Draft(ev.ServerWarning, None, fields)]),)

    def _etcdserver_zap(self, lineno: int, line: str, record: dict[str, Any]
                        ) -> Sequence[Outcome]:
        member = record.get("local-member-id")
        self._own_member(member)
        if isinstance(member, str) and self._banner and record.get("msg") in (
                "starting local member", "restarting local member"):
            return self._config(lineno, line, None)
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
    def _own_member(self, member: object) -> None:
        """A record naming the local member (its start, or etcdserver's records): the file's
        member from here on. A member replaced under its name (removed, its data wiped, added
        again: a new ID) logs on in the same file, and raft's lines that name no member are
        the new one's."""
        if isinstance(member, str):
            self.owner = etcd_id(member) or self.owner

    def _forced(self, lineno: int, line: str, when: datetime | None, member: object,
                detail: str) -> Sequence[Outcome]:
        """A start with --force-new-cluster: a start like any (the banner kept since the server
        started, now that the member is known), and a feature outside the model."""
        self._own_member(member)
        started = self._config(lineno, line, when)
        draft = Draft(ev.FeatureUsed, None, {"feature": FORCE_NEW_CLUSTER, "detail": detail})
        forced = Parsed(lineno, line, when, [draft])
        return (forced,) if started is SKIPPED else (*started, forced)

    def _raft(self, lineno: int, line: str, text: str,
              when: datetime | None) -> Sequence[Outcome]:
        try:
            drafts = self._learnt(text)  # lark parses each message shape once
        except ParseFailure as exc:
            return (Bad(lineno, line, str(exc)),)
        if self.owner is None and drafts[0].node is not None:
            self.owner = drafts[0].node
        return (Parsed(lineno, line, when, drafts),)

    def _other(self, lineno: int, line: str) -> Sequence[Outcome]:
        """A line the file's own format does not read: a line of the other etcd format is read
        as such (a member restarted by an etcd of another version, a rolling upgrade from 3.4's
        text log to 3.5's JSON or back, logs on to the same file: journald); a line of another
        implementation's format is bad input; anything else is skipped."""
        other = foreign_format(line, self.format)
        if other == ETCD_ZAP and self.format == ETCD_CAPNSLOG:
            return self._feed_zap(lineno, line)
        if other == ETCD_CAPNSLOG and self.format == ETCD_ZAP:
            self.time_precision = "1s"
            return self._feed_capnslog(lineno, line)
        if other is not None:
            return (Bad(lineno, line, mixed_format(line, self.format) or "", fatal=True),)
        return SKIPPED
