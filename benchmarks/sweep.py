"""The sweep: every recorded real run validated, and forged copies of each (not a test: prints
what it found, asserts nothing).

    python benchmarks/sweep.py record DIR [--minutes M] [--only NAME ...]
    python benchmarks/sweep.py check OUT.json RUN_OR_FOLDER ... [--no-forge] [--workers N]
    python benchmarks/sweep.py compare OLD.json NEW.json

``record`` runs real clusters with this project's harnesses (etcd 3.5 and 3.4, both log formats,
hashicorp/raft; flapping links for minutes, every fault at once, kills, pauses, partitions with
and without pre-vote, member changes, snapshots) into DIR/<recipe>/, skipping recipes already
recorded, until the time budget is spent. It needs root (network namespaces) and the clusters
that ``.ci/install-clusters`` installs.

``check`` validates every run below the given paths (each run on its own, as ``raftcheck
validate`` does; a run recorded without pre-vote or check-quorum, as its scenario.json says,
with ``--no-pre-vote`` or ``--no-check-quorum``) and, unless ``--no-forge``, forged copies of
each: one line of a real run changed (or added) so that Raft is broken, in ways a bad day or a
bad implementation produces —

- ``term-back``: a line where a node takes a term (follower, candidate, leader) names term 1
  after the node reached term 3 or more (TermMonotonic);
- ``second-leader``: a node's own "became leader" line, copied to a moment where another node
  leads that term, with that term (ElectionSafety, unless the copy breaks a rule sooner);
- ``restart-short``: a restart line whose log ends below a commit index the node itself had
  reached (a restart loses committed entries);
- ``conflict-below-commit``: a follower's conflict ("found conflict at index i", "clearing log
  suffix from=i") moved down to an index the node itself had committed;
- ``vote-twice``: a node's vote in a split election, cast again at once for the other
  candidate of that term (VotedOncePerTerm);
- ``leader-without-quorum``: a candidate that lost its campaign, logged as leader right after
  its candidacy line, with its own vote only, in a log that shows the votes it counts
  (BecomeLeader, or ElectionSafety where another node led that term).

Each forged copy is made again with a node's clock set wrong for a while (``KIND+clock``: a
block of one log's lines stamped 1.5 to 30 s off, then right again), and must still be caught
at its line. And look-alikes of each run, legitimate changes that must not be violations: one
node's log, or every node's, beginning mid-run (rotated), foreign lines in every log (a
panic's dump), such a clock step alone, and a clock that jumps ahead and stays so to its log's
end (inconclusive at worst: a log cannot tell it from a node that stood still).

A forged copy is *caught* when validate answers "violates" at the edited line. The figures are
what a verdict could be trusted for: real runs should conform (or be inconclusive, naming why),
forged copies should be caught at their line. OUT.json keeps every verdict, for ``compare``
(what changed between two sweeps: a run's verdict, a forged copy no longer caught).
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from raftcheck.traces import events as ev  # noqa: E402
from raftcheck.traces.logfiles import LogError, iter_events  # noqa: E402
from raftcheck.validate import ValidateOptions  # noqa: E402
from raftcheck.validate.parallel import usable_cores, validate_each  # noqa: E402
from raftcheck.validate.runs import Run, find_runs  # noqa: E402

ETCD = "raftcheck.harness"
HASHICORP = "raftcheck.harness.hashicorp_scenarios"
RECIPES: dict[str, list[str]] = {
    # name: the harness command's arguments after the module (etcd: record; hashicorp: a scenario)
    "e35-flapping-60s-no-pre-vote": [ETCD, "record", "flapping", "--duration", "60",
                                     "--no-pre-vote", "--seed", "1"],
    "e35-flapping-60s-n5-fast": [ETCD, "record", "flapping", "--duration", "60", "--nodes",
                                 "5", "--heartbeat-ms", "20", "--election-ms", "200",
                                 "--seed", "2"],
    "e34-capnslog-flapping-60s": [ETCD, "record", "flapping", "--etcd", "3.4", "--logger",
                                  "capnslog", "--duration", "60", "--seed", "3"],
    "e34-zap-debug-flapping-30s": [ETCD, "record", "flapping", "--etcd", "3.4", "--debug",
                                   "--duration", "30", "--seed", "4"],
    "e35-chaos-60s-n5": [ETCD, "record", "chaos", "--duration", "60", "--nodes", "5",
                         "--seed", "5"],
    "e34-capnslog-chaos-60s": [ETCD, "record", "chaos", "--etcd", "3.4", "--logger",
                               "capnslog", "--duration", "60", "--seed", "6"],
    "e35-debug-chaos-40s-n7": [ETCD, "record", "chaos", "--debug", "--duration", "40",
                               "--nodes", "7", "--seed", "7"],
    # long and dense (the speed benchmarks' real runs): minutes of elections, 5 to 7 members
    "e34-capnslog-flapping-300s-n5": [ETCD, "record", "flapping", "--etcd", "3.4", "--logger",
                                      "capnslog", "--duration", "300", "--nodes", "5",
                                      "--seed", "11"],
    "e34-zap-flapping-180s-n7": [ETCD, "record", "flapping", "--etcd", "3.4", "--duration",
                                 "180", "--nodes", "7", "--seed", "12"],
    "e35-leader-minority-no-pre-vote": [ETCD, "record", "leader-minority", "--no-pre-vote"],
    "e34-leader-minority": [ETCD, "record", "leader-minority", "--etcd", "3.4"],
    "e35-debug-kill": [ETCD, "record", "kill", "--debug"],
    "e34-capnslog-pause": [ETCD, "record", "pause", "--etcd", "3.4", "--logger", "capnslog"],
    "e35-restart": [ETCD, "record", "restart"],
    "e35-member-replace": [ETCD, "record", "member-replace"],
    "e34-member-grow": [ETCD, "record", "member-grow", "--etcd", "3.4"],
    "e35-member-remove": [ETCD, "record", "member-remove"],
    "e35-snapshot-catchup": [ETCD, "record", "snapshot-catchup"],
    "e35-slow-disk": [ETCD, "record", "slow-disk"],
    "e34-rolling-upgrade": [ETCD, "record", "rolling-upgrade", "--etcd", "3.4"],
    "h-chaos-60s": [HASHICORP, "chaos", "--duration", "60", "--seed", "8"],
    "h-chaos-json-40s-trace": [HASHICORP, "chaos-json", "--duration", "40", "--seed", "9",
                               "--log-level", "trace"],
    "h-flapping-60s-n5": [HASHICORP, "flapping", "--duration", "60", "--nodes", "5",
                          "--seed", "10"],
    "h-grow-from-one": [HASHICORP, "grow-from-one"],
    "h-shrink-then-lose-leader": [HASHICORP, "shrink-then-lose-leader"],
    "h-snapshot-catchup-json": [HASHICORP, "snapshot-catchup-json"],
    "h-leader-partition-minority-info": [HASHICORP, "leader-partition-minority-info"],
    "h-leadership-transfer": [HASHICORP, "leadership-transfer"],
}


# --- record ---------------------------------------------------------------------------------


def record(out: Path, minutes: float, only: list[str]) -> int:
    unknown = sorted(set(only) - set(RECIPES))
    if unknown:
        print(f"unknown recipe {', '.join(unknown)}; known: {', '.join(RECIPES)}",
              file=sys.stderr)
        return 2
    out.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + minutes * 60
    failed = 0
    for name in only or list(RECIPES):
        folder = out / name
        if (folder / "scenario.json").exists():
            continue
        if time.monotonic() > deadline:
            print(f"{name}: not recorded (time budget spent)")
            continue
        module, *args = RECIPES[name]
        command = ([*args, "--out", str(folder)] if module == ETCD
                   else [str(out), *args, "--name", name])
        t0 = time.monotonic()
        done = subprocess.run([sys.executable, "-m", module, *command], cwd=REPO,
                              capture_output=True, text=True)
        took = time.monotonic() - t0
        if done.returncode:
            failed += 1
            tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["(no output)"]
            print(f"{name}: failed (exit {done.returncode}, {took:.0f} s): {tail[0]}")
        else:
            print(f"{name}: recorded in {took:.0f} s")
    return 1 if failed else 0


# --- forged copies ----------------------------------------------------------------------------


@dataclass
class Forgery:
    """One line of a run changed (or added): where, how, and the line validate must blame."""

    id: str
    run: str
    kind: str
    file: str          # the edited file, by name within the forged copy
    line: int          # the line that must be blamed, in the edited file
    before: str | None  # the line's text before (None: an added line)
    after: str
    clock: ClockStep | None = None  # and a node's clock stepped in the copy


@dataclass
class ClockStep:
    """Lines ``first`` to ``last`` of one log stamped ``seconds`` off (negative: behind), as
    a clock set wrong and corrected (an NTP step) writes them."""

    file: str
    first: int
    last: int
    seconds: float


CLOCK_STEPS = (-30.0, -12.0, -1.5, 1.5, 12.0, 30.0)
"""How far a stepped clock is off: within validate's default --max-clock-gap (60 s)."""


TERM_IN_LINE = r"(?:\bat term |\bterm[=:] ?\"?|\"term\": ?){}\b"
TIME_IN_LINE = re.compile(r"(\d{4})([-/])\d{2}[-/]\d{2}([T ])\d{2}:\d{2}:\d{2}(\.\d+)?"
                          r"(Z|[+-]\d{2}:?\d{2})?")


def _with_term(line: str, old: int, new: int) -> str | None:
    """The line with its term ``old`` said as ``new`` (None if the line does not say it)."""
    changed, count = re.subn(TERM_IN_LINE.format(old),
                             lambda m: m.group()[: -len(str(old))] + str(new), line)
    return changed if count else None


def _restamped(line: str, when: datetime) -> str | None:
    """The line with its timestamp changed to ``when``, written the way the line writes it."""
    stamp = TIME_IN_LINE.search(line)
    if stamp is None:
        return None
    _year, sep, middle, fraction, zone = stamp.groups()
    if zone and zone != "Z":
        sign = -1 if zone[0] == "-" else 1
        hours, minutes = int(zone[1:3]), int(zone[-2:])
        when = when.astimezone(timezone(sign * timedelta(hours=hours, minutes=minutes)))
    else:
        when = when.astimezone(UTC)
    text = when.strftime(f"%Y{sep}%m{sep}%d{middle}%H:%M:%S")
    if fraction:
        text += f".{when.microsecond:06d}"[: len(fraction)].ljust(len(fraction), "0")
    text += zone or ""
    return line[: stamp.start()] + text + line[stamp.end():]


def _shifted(line: str, seconds: float) -> str | None:
    """The line with its timestamp ``seconds`` later (None if the line has none)."""
    stamp = TIME_IN_LINE.search(line)
    if stamp is None:
        return None
    text = stamp.group().replace("/", "-")
    when = datetime.fromisoformat(text)
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)  # (the readers take such times as UTC, too)
    return _restamped(line, when + timedelta(seconds=seconds))


def _clock_step(files: list[Path], rng: random.Random, *, to_end: bool = False,
                back: bool = False, wide: bool = False) -> ClockStep | None:
    """A block of one log from a line 20 to 50 % of the way in stamped off by one of
    CLOCK_STEPS: up to 30 % of the log further, then right again (a step, either way), or to
    its end (``to_end``: a jump ahead, or with ``back`` a clock set back). ``wide``: from a
    line 10 to 90 % of the way in, off by 1.2 to 45 s (a draw beyond the first,
    --clock-draws)."""
    path = rng.choice(files)
    count = len(path.read_bytes().splitlines())
    if count < 20:
        return None
    first = rng.randint(count // 10, count * 9 // 10) if wide else \
        rng.randint(count * 2 // 10, count * 5 // 10)

    def off() -> float:
        return rng.choice((-1, 1)) * round(rng.uniform(1.2, 45.0), 2) if wide else \
            rng.choice(CLOCK_STEPS)

    if to_end:
        return ClockStep(path.name, first, count, -abs(off()) if back else abs(off()))
    last = rng.randint(first, max(first, min(count - 3, first + count * 3 // 10)))
    return ClockStep(path.name, first, last, off())


def _apply_clock_step(folder: Path, step: ClockStep) -> None:
    path = folder / step.file
    lines = path.read_text(errors="surrogateescape").splitlines(keepends=True)
    for k in range(step.first - 1, step.last):
        body = lines[k].rstrip("\r\n")
        moved = _shifted(body, step.seconds)
        if moved is not None:
            lines[k] = moved + lines[k][len(body):]
    path.write_text("".join(lines), errors="surrogateescape")


def _events(run: Run) -> tuple[list[ev.Event], dict[str, list[str]]]:
    """The run's events, and each node's raw ids (as its lines write it)."""
    try:
        stream = iter_events([path for path, _fmt in run.files])
        events = list(stream)
        return events, {name: list(info.ids) for name, info in stream.nodes.items()}
    except (LogError, OSError):
        return [], {}


def _rng(run: Run, kind: str) -> random.Random:
    return random.Random(zlib.crc32(f"{Path(run.name).name}/{kind}".encode()))


def forge_term_back(run: Run, events: list[ev.Event],
                    _ids: dict[str, list[str]]) -> Forgery | None:
    reached: dict[str, int] = {}
    eligible = []
    for e in events:
        term = getattr(e, "term", None)
        if not isinstance(term, int):
            continue
        if (isinstance(e, (ev.BecameFollower, ev.BecameCandidate, ev.BecameLeader))
                and reached.get(e.node, 0) >= 3 and "\n" not in e.source.raw):
            eligible.append(e)
        reached[e.node] = max(reached.get(e.node, 0), term)
    rng = _rng(run, "term-back")
    for e in rng.sample(eligible, len(eligible)):
        after = _with_term(e.source.raw, e.term, 1)
        if after is not None:
            return Forgery("", run.name, "term-back", Path(e.source.path).name, e.source.line,
                           e.source.raw, after)
    return None


def forge_second_leader(run: Run, events: list[ev.Event],
                        _ids: dict[str, list[str]]) -> Forgery | None:
    leaders = [e for e in events if isinstance(e, ev.BecameLeader) and e.term
               and e.time is not None and "\n" not in e.source.raw]
    own = {e.node: e for e in leaders}
    rng = _rng(run, "second-leader")
    for first in rng.sample(leaders, len(leaders)):
        others = [n for n in own if n != first.node]
        if not others:
            continue
        other = own[rng.choice(sorted(others))]
        copied = _with_term(other.source.raw, other.term, first.term) if (
            other.term != first.term) else other.source.raw
        # placed after the other node's last line at or before the first leader's
        before = [e for e in events if e.node == other.node and e.time is not None
                  and e.time <= first.time and e.source.path == other.source.path]
        if copied is None or not before:
            continue
        anchor = before[-1]
        copied = _restamped(copied, anchor.time)
        if copied is None or "\n" in anchor.source.raw:
            continue
        return Forgery("", run.name, "second-leader", Path(anchor.source.path).name,
                       anchor.source.line + 1, None, copied)
    return None


LEADER_OF_CANDIDATE = (
    (re.compile(r"became candidate at term"), "became leader at term"),  # etcd, both formats
    (re.compile(r'entering candidate state: node="([^"]*) \[Candidate\]" term=\d+'),
     r'entering leader state: leader="\1 [Leader]"'),  # hclog text
    (re.compile(r'"@message":"entering candidate state"(.*),"node":\{\},"term":\d+\}'),
     r'"@message":"entering leader state"\1,"leader":{}}'),  # hclog JSON
)
"""A node's candidacy line written as its becoming leader, in each format's words."""


def forge_leader_without_quorum(run: Run, events: list[ev.Event],
                                _ids: dict[str, list[str]]) -> Forgery | None:
    """A candidate that lost its campaign (its next role is not leader) logged as leader at
    once, with only its own vote; only where its log shows the votes it counts, and while
    every node's log shows its steps (after its role is shown, before its log ends), so that
    no unlogged vote could have made it leader."""
    counts = {e.source.path for e in events if isinstance(e, ev.VoteReceived) and e.granted}
    roles = [e for e in events if isinstance(e, (ev.BecameCandidate, ev.BecameLeader,
                                                 ev.BecameFollower))]
    shown: dict[str, datetime | None] = {}  # each log's first line showing its node's role
    last: dict[str, datetime] = {}  # and its last line's time
    for e in roles:
        shown.setdefault(e.source.path, e.time)
    for e in events:
        if e.time is not None:
            last[e.source.path] = e.time
    if not shown or set(shown) != set(last) or None in shown.values():
        return None  # (a log that never shows its node's role: its votes may be unlogged)
    begun = max(t for t in shown.values() if t is not None)
    ended = min(last.values())  # (after it, another node's votes may be unlogged)
    lost: list[tuple[int, ev.Event]] = []  # (its place among the roles, the candidacy)
    campaign: dict[str, tuple[int, ev.Event]] = {}  # each log's candidacy, until its next role
    for k, e in enumerate(roles):
        open_campaign = campaign.pop(e.source.path, None)
        if open_campaign is not None and not isinstance(e, ev.BecameLeader):
            lost.append(open_campaign)
        if isinstance(e, ev.BecameCandidate) and e.source.path in counts and \
                "\n" not in e.source.raw and e.time is not None and begun < e.time < ended:
            campaign[e.source.path] = (k, e)
    eligible = [e for _k, e in sorted(lost, key=lambda c: c[0])]
    rng = _rng(run, "leader-without-quorum")
    for e in rng.sample(eligible, len(eligible)):
        for pattern, replacement in LEADER_OF_CANDIDATE:
            line, count = pattern.subn(replacement, e.source.raw)
            if count:
                return Forgery("", run.name, "leader-without-quorum", Path(e.source.path).name,
                               e.source.line + 1, None, line)
    return None


def _note_commit(commit: dict[str, int], e: ev.Event) -> None:
    """The highest commit index each node's own lines have shown so far."""
    value = (e.commit_index if isinstance(e, ev.CommitAdvanced)
             else getattr(e, "commit", None) if isinstance(e, (ev.HardState, ev.NodeStarted))
             else None)
    if isinstance(value, int):
        commit[e.node] = max(commit.get(e.node, 0), value)


def forge_restart_short(run: Run, events: list[ev.Event],
                        _ids: dict[str, list[str]]) -> Forgery | None:
    commit: dict[str, int] = {}
    started: set[str] = set()
    eligible = []
    for e in events:
        if isinstance(e, ev.NodeStarted):
            if (e.node in started and commit.get(e.node, 0) >= 2 and e.last_index is not None
                    and e.last_index >= commit[e.node] and "\n" not in e.source.raw):
                eligible.append((e, commit[e.node]))
            started.add(e.node)
        _note_commit(commit, e)
    rng = _rng(run, "restart-short")
    for e, reached in rng.sample(eligible, len(eligible)):
        short = reached - 1
        after, count = re.subn(rf"\blastindex: {e.last_index}\b", f"lastindex: {short}",
                               e.source.raw)
        if not count:
            continue
        if e.commit is not None and e.commit > short:
            after = re.sub(rf"\bcommit: {e.commit}\b", f"commit: {short}", after)
        return Forgery("", run.name, "restart-short", Path(e.source.path).name, e.source.line,
                       e.source.raw, after)
    return None


def forge_conflict_below_commit(run: Run, events: list[ev.Event],
                                _ids: dict[str, list[str]]) -> Forgery | None:
    commit: dict[str, int] = {}
    eligible = []
    for e in events:
        if isinstance(e, ev.LogTruncated) and commit.get(e.node, 0) >= 1 and \
                e.from_index > commit[e.node] and "\n" not in e.source.raw:
            eligible.append((e, commit[e.node]))
        _note_commit(commit, e)
    rng = _rng(run, "conflict-below-commit")
    for e, reached in rng.sample(eligible, len(eligible)):
        after, count = re.subn(rf"(\bat index |\bfrom[=:] ?\"?){e.from_index}\b",
                               lambda m, at=reached: f"{m.group(1)}{at}", e.source.raw)
        if count == 1:
            return Forgery("", run.name, "conflict-below-commit", Path(e.source.path).name,
                           e.source.line, e.source.raw, after)
    return None


def forge_vote_twice(run: Run, events: list[ev.Event], ids: dict[str, list[str]]
                     ) -> Forgery | None:
    campaigns: dict[int, set[str]] = {}
    for e in events:
        if isinstance(e, ev.BecameCandidate) and e.term:
            campaigns.setdefault(e.term, set()).add(e.node)
    votes = [e for e in events if isinstance(e, ev.VoteCast) and e.granted and not e.prevote
             and e.candidate and e.term and "\n" not in e.source.raw
             and len(campaigns.get(e.term, ())) > 1]
    rng = _rng(run, "vote-twice")
    for vote in rng.sample(votes, len(votes)):
        other = sorted(campaigns[vote.term] - {vote.candidate, vote.node})
        for raw in ids.get(vote.candidate, []):
            if not other or len(raw) < 2:
                continue
            found = re.search(rf"\bfor {re.escape(raw)}\b", vote.source.raw)
            replacement = next((r for r in ids.get(rng.choice(other), []) if len(r) >= 2), None)
            if found is None or replacement is None:
                continue
            after = (vote.source.raw[:found.start()] + f"for {replacement}"
                     + vote.source.raw[found.end():])
            return Forgery("", run.name, "vote-twice", Path(vote.source.path).name,
                           vote.source.line + 1, None, after)
    return None


FORGERS = (forge_term_back, forge_second_leader, forge_restart_short,
           forge_conflict_below_commit, forge_vote_twice, forge_leader_without_quorum)


def forge(runs: list[Run], into: Path) -> list[Forgery]:
    """Forged copies of the runs (those that conform), each in a folder of its own under
    ``into``."""
    made: list[Forgery] = []
    for number, run in enumerate(runs):
        if run.error or run.windows:
            continue
        events, ids = _events(run)
        for forger in FORGERS:
            forgery = forger(run, events, ids)
            if forgery is None:
                continue
            forgery.id = f"{number:04d}-{forgery.kind}"
            folder = _copy_run(run, into / forgery.id)
            _apply(folder / forgery.file, forgery)
            made.append(forgery)
            step = _clock_step([Path(p) for p, _fmt in run.files], _rng(run, forgery.kind))
            if step is None:
                continue
            stepped = Forgery(f"{forgery.id}-clock", run.name, f"{forgery.kind}+clock",
                              forgery.file, forgery.line, forgery.before, forgery.after, step)
            shutil.copytree(folder, into / stepped.id)
            _apply_clock_step(into / stepped.id, step)
            made.append(stepped)
    return made


def _copy_run(run: Run, folder: Path) -> Path:
    """The run's logs and settings, as they are, in a new folder (returned)."""
    folder.mkdir()
    for path, _fmt in run.files:
        shutil.copy(path, folder / Path(path).name)
    _copy_settings(run, folder)
    return folder


def _copy_settings(run: Run, folder: Path) -> None:
    meta = Path(run.files[0][0]).parent / "scenario.json"
    if meta.is_file():
        shutil.copy(meta, folder / meta.name)


@dataclass
class LookAlike:
    """A legitimate change to a run (its logs' beginnings rotated away, foreign lines in
    them): no violation may appear. ``cuts``: file name -> the first line kept (or, for
    noise, the line the foreign lines go before)."""

    id: str
    run: str
    kind: str
    cuts: dict[str, int]
    clock: ClockStep | None = None


LOOK_ALIKES = ("cut-one", "cut-all", "noise", "clock-step", "clock-jump", "clock-back")
"""cut-one: one node's log begins at a random line of its first 60 % (older parts rotated
away); cut-all: every node's log does; noise: every log has, at a random line, what else a
process prints into it (a Go panic's goroutine dump, a shell's message, a blank line);
clock-step: a block of lines in the middle of one log stamped off by up to 30 s (a clock set
wrong, and corrected); clock-jump: one log's lines from a point 20 to 50 % of the way in to its
end stamped up to 30 s later (a clock that jumped ahead and was not corrected); clock-back: the
same stamped up to 30 s earlier (a clock set back, and left so)."""

CLOCK_KINDS = ("clock-step", "clock-jump", "clock-back")

NOISE = b"goroutine 1 [running]:\nmain.main()\n\t/src/main.go:42 +0x1d\n\n" \
    b"/bin/sh: 1: cannot create /var/run/x.pid: Permission denied\n"


def look_alikes(runs: list[Run], into: Path, clock_draws: int = 1) -> list[LookAlike]:
    """The look-alikes of each run: one of each kind, and ``clock_draws`` of each clock kind
    (those beyond the first drawn wider: _clock_step)."""
    made: list[LookAlike] = []
    for number, run in enumerate(runs):
        files = [Path(path) for path, _fmt in run.files]
        if run.error or run.windows or len(files) < 2:
            continue
        for kind in LOOK_ALIKES:
            rng = _rng(run, kind)
            if kind in CLOCK_KINDS:
                for draw in range(clock_draws):
                    rng = _rng(run, kind if draw == 0 else f"{kind}-{draw}")
                    step = _clock_step(files, rng, to_end=kind != "clock-step",
                                       back=kind == "clock-back", wide=draw > 0)
                    if step is not None:
                        look = LookAlike(f"{number:04d}-{kind}" + (f"-{draw}" if draw else ""),
                                         run.name, kind, {}, step)
                        _apply_clock_step(_copy_run(run, into / look.id), step)
                        made.append(look)
                continue
            chosen = [rng.choice(files)] if kind == "cut-one" else files
            cuts = {}  # file -> the first line kept (cut), or the line noise goes before
            for path in chosen:
                count = len(path.read_bytes().splitlines())
                if count > 10:
                    cuts[path.name] = rng.randint(2, max(2, count * 6 // 10))
            if not cuts:
                continue
            look = LookAlike(f"{number:04d}-{kind}", run.name, kind, cuts)
            folder = into / look.id
            folder.mkdir()
            for path in files:
                lines = path.read_bytes().splitlines(keepends=True)
                at = cuts.get(path.name, 1)
                if kind == "noise":
                    lines[at - 1:at - 1] = [NOISE]
                else:
                    lines = lines[at - 1:]
                (folder / path.name).write_bytes(b"".join(lines))
            _copy_settings(run, folder)
            made.append(look)
    return made


def _apply(path: Path, forgery: Forgery) -> None:
    lines = path.read_text(errors="surrogateescape").splitlines(keepends=True)
    if forgery.before is None:
        lines.insert(forgery.line - 1, forgery.after + "\n")
    else:
        assert lines[forgery.line - 1].rstrip("\r\n") == forgery.before, (path, forgery.line)
        lines[forgery.line - 1] = forgery.after + "\n"
    path.write_text("".join(lines), errors="surrogateescape")


# --- check ------------------------------------------------------------------------------------


def _options(run: Run) -> ValidateOptions:
    """What the harness recorded of the cluster's settings (scenario.json beside the logs):
    a cluster run without pre-vote or check-quorum is checked with --no-pre-vote or
    --no-check-quorum, so that a pre-candidate or a leader stepping down is a violation."""
    if not run.files:
        return ValidateOptions()
    meta = Path(run.files[0][0]).parent / "scenario.json"
    try:
        facts = json.loads(meta.read_text())
    except (OSError, ValueError):
        return ValidateOptions()
    return ValidateOptions(pre_vote=facts.get("pre_vote") is not False,
                           check_quorum=facts.get("check_quorum") is not False)


def _verdicts(paths: list[Path], workers: int) -> Iterator[tuple[str, dict]]:
    groups: dict[ValidateOptions, list[Run]] = {}
    for run in find_runs(paths):
        groups.setdefault(_options(run), []).append(run)
    for options, runs in groups.items():
        flags = [f for f, on in (("--no-pre-vote", not options.pre_vote),
                                 ("--no-check-quorum", not options.check_quorum)) if on]
        for v in validate_each(runs, options, workers):
            yield v.run, {"status": v.status, "rule": v.rule, "location": v.location,
                          "reason": v.reason, "events": v.events, "flags": flags}


def check(out: Path, paths: list[Path], forging: bool, workers: int,
          clock_draws: int = 1) -> int:
    t0 = time.monotonic()
    paths = [p.resolve() for p in paths]  # (runs are named by path: the same in every sweep)
    runs = find_runs(paths)
    real = dict(_verdicts(paths, workers))
    forged: dict[str, dict] = {}
    alike: dict[str, dict] = {}
    if forging:
        with tempfile.TemporaryDirectory(prefix="sweep-") as tmp:
            made = forge([r for r in runs if real.get(r.name, {}).get("status") == "conforms"],
                         Path(tmp))
            by_folder = {f.id: f for f in made}
            for run_name, verdict in _verdicts([Path(tmp)], workers) if made else ():
                forgery = by_folder[Path(run_name).relative_to(tmp).parts[0]]
                blamed = f"{Path(tmp) / forgery.id / forgery.file}:{forgery.line}"
                forged[forgery.id] = {**asdict(forgery), **verdict,
                                      "location": _relative(verdict["location"], tmp),
                                      "caught": verdict["status"] == "violates"
                                      and verdict["location"] == blamed}
        with tempfile.TemporaryDirectory(prefix="sweep-") as tmp:
            looks = look_alikes([r for r in runs
                                 if real.get(r.name, {}).get("status") == "conforms"], Path(tmp),
                                clock_draws)
            by_folder = {look.id: look for look in looks}
            for run_name, verdict in _verdicts([Path(tmp)], workers) if looks else ():
                look = by_folder[Path(run_name).relative_to(tmp).parts[0]]
                alike[look.id] = {**asdict(look), **verdict,
                                  "location": _relative(verdict["location"], tmp)}
    took = time.monotonic() - t0
    out.write_text(json.dumps({"paths": [str(p) for p in paths], "seconds": round(took, 1),
                               "runs": real, "forged": forged, "look-alikes": alike},
                              indent=1))
    _summary(real, forged, alike, took)
    return 0


def _relative(location: str | None, tmp: str) -> str | None:
    return location[len(tmp) + 1:] if location and location.startswith(tmp) else location


def _summary(real: dict[str, dict], forged: dict[str, dict], alike: dict[str, dict],
             took: float) -> None:
    statuses = Counter(v["status"] for v in real.values())
    print(f"{len(real)} real runs in {took:.0f} s: "
          + ", ".join(f"{n} {s}" for s, n in sorted(statuses.items())))
    for name, v in sorted(real.items()):
        if v["status"] != "conforms":
            print(f"  {v['status']:12} {name}: {v['rule'] or ''} {v['location'] or ''} "
                  f"{v['reason']}")
    kinds = sorted({f["kind"] for f in forged.values()})
    for kind in kinds:
        these = [f for f in forged.values() if f["kind"] == kind]
        caught = sum(f["caught"] for f in these)
        rules = Counter(f["rule"] for f in these if f["caught"])
        print(f"forged {kind}: {caught}/{len(these)} caught at the edited line "
              f"({', '.join(f'{r} {n}' for r, n in rules.most_common())})")
        for f in these:
            if not f["caught"]:
                print(f"  missed {f['id']} {f['run']} {f['file']}:{f['line']}: {f['status']} "
                      f"{f['rule'] or ''} {f['location'] or ''}")
    for kind in LOOK_ALIKES:
        these = [a for a in alike.values() if a["kind"] == kind]
        if not these:
            continue
        statuses = Counter(a["status"] for a in these)
        print(f"look-alike {kind}: {len(these)} copies, "
              + ", ".join(f"{n} {s}" for s, n in sorted(statuses.items()))
              + f"; false alarms: {statuses['violates']}")
        for a in these:
            if a["status"] == "violates":
                how = f"clock {a['clock']}" if a.get("clock") else f"cut {a['cuts']}"
                print(f"  false alarm {a['id']} {a['run']} {how}: {a['rule']} "
                      f"{a['location']}")


def _outcome(verdict: dict | None) -> tuple | None:
    return None if verdict is None else (verdict["status"], verdict["rule"], verdict["location"])


def _look_key(look: dict) -> tuple[str, str]:
    """A look-alike as two sweeps both know it: its run, and its kind and draw (its id less
    the run's number, which moves as runs are added)."""
    return look["run"], look["id"].partition("-")[2]


def compare(old_path: Path, new_path: Path) -> int:
    old, new = (json.loads(p.read_text()) for p in (old_path, new_path))
    changed = 0
    for name in sorted(set(old["runs"]) | set(new["runs"])):
        a, b = (_outcome(sweep["runs"].get(name)) for sweep in (old, new))
        if a != b:
            changed += 1
            print(f"run {name}: {a} -> {b}")
    same_forgery = {(f["run"], f["kind"]): f for f in old["forged"].values()}
    for f in new["forged"].values():
        before = same_forgery.get((f["run"], f["kind"]))
        if before is not None and before["caught"] != f["caught"]:
            changed += 1
            print(f"forged {f['kind']} of {f['run']}: caught {before['caught']} -> "
                  f"{f['caught']} ({f['status']} {f['rule']} {f['location']})")
    same_look = {_look_key(a): a for a in old.get("look-alikes", {}).values()}
    for a in new.get("look-alikes", {}).values():
        before = same_look.get(_look_key(a))
        if before is not None and (before["status"] == "violates") != (a["status"] == "violates"):
            changed += 1
            print(f"look-alike {a['id'].partition('-')[2]} of {a['run']}: {before['status']} "
                  f"-> {a['status']} ({a['rule']} {a['location']})")
    print(f"{changed} changed; runs {len(old['runs'])} -> {len(new['runs'])}, forged "
          f"{sum(f['caught'] for f in old['forged'].values())}/{len(old['forged'])} -> "
          f"{sum(f['caught'] for f in new['forged'].values())}/{len(new['forged'])} caught")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    p = commands.add_parser("record", help="record real runs with the harnesses")
    p.add_argument("out", type=Path)
    p.add_argument("--minutes", type=float, default=60.0, help="time budget (default 60)")
    p.add_argument("--only", nargs="+", default=[], metavar="RECIPE",
                   help=f"recipes to record (default all: {', '.join(RECIPES)})")
    p = commands.add_parser("check", help="validate runs and forged copies of them")
    p.add_argument("out", type=Path, help="JSON file for every verdict")
    p.add_argument("paths", type=Path, nargs="+")
    p.add_argument("--no-forge", action="store_true")
    p.add_argument("--workers", type=int, default=usable_cores())
    p.add_argument("--clock-draws", type=int, default=1, metavar="N",
                   help="copies of each run with a clock stepped or jumped (default 1; those "
                   "beyond the first drawn wider: 1.2 to 45 s, 10 to 90 %% of the way in)")
    p = commands.add_parser("compare", help="what changed between two sweeps")
    p.add_argument("old", type=Path)
    p.add_argument("new", type=Path)
    args = parser.parse_args(argv)
    if args.command == "record":
        return record(args.out, args.minutes, args.only)
    if args.command == "check":
        return check(args.out, args.paths, not args.no_forge, args.workers, args.clock_draws)
    return compare(args.old, args.new)


if __name__ == "__main__":
    raise SystemExit(main())
