"""Where the members of a test cluster listen, and how links between them are cut.

Two networks:

* :class:`LoopbackNetwork`: every member on 127.0.0.1 with free ports. No partitions: on one
  address a peer connection's packets name only the *listening* member's port (the dialling side
  uses an ephemeral port), so a rule cannot tell which member sent them.
* :class:`NetnsNetwork`: one network namespace per member (``eth0`` = 10.231.0.<i>), each joined
  by a veth pair to a Linux bridge inside a private "switch" namespace (10.231.0.254) from which
  etcdctl runs. Nothing is routed to or from the root namespace. Each member namespace holds an
  nftables table whose input and output chains drop every packet from/to the addresses in a set;
  cutting a link i-j adds j to i's set and i to j's set. Packets are dropped silently in both
  directions (a pulled cable: no RST, no ICMP); established TCP streams stall. Deleting the
  namespaces removes veths, bridge and rules in one go.

See docs/etcd-cluster-harness.md.
"""

from __future__ import annotations

import ctypes
import functools
import http.client
import os
import re
import shutil
import socket
import subprocess
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from itertools import count
from urllib.parse import urlsplit

from raftcheck.harness.errors import EtcdHarnessError, PartitionUnsupported

NETNS_PREFIX = "rcheck"
_NETNS_NAME_RE = re.compile(rf"^{NETNS_PREFIX}(\d+)x\d+(?:n\d+|sw)$")
_serial = count(1)

NFT_TABLE = """\
table inet raftcheck {
    set cut { type ipv4_addr; }
    chain input {
        type filter hook input priority filter; policy accept;
        ip saddr @cut counter drop
    }
    chain output {
        type filter hook output priority filter; policy accept;
        ip daddr @cut counter drop
    }
}
"""

NETNS_HINT = "partitions need root, iproute2 and nftables (apt-get install iproute2 nftables)"
_CLONE_NEWNET = 0x40000000


def http_get(url: str, timeout: float) -> bytes:
    """The body of a plain HTTP GET, straight to the host (no proxy from the environment);
    raises OSError on any failure."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=timeout)
    try:
        conn.request("GET", parts.path or "/")
        answer = conn.getresponse()
        body = answer.read()
    except http.client.HTTPException as exc:
        raise OSError(f"GET {url}: {exc}") from exc
    finally:
        conn.close()
    if answer.status != 200:
        raise OSError(f"GET {url}: HTTP {answer.status}")
    return body


def _enter_netns(name: str) -> None:
    """Move the calling thread (only it) into the network namespace ``name``: sockets it opens
    from then on live there. Runs as the initializer of the client thread pool."""
    fd = os.open(f"/run/netns/{name}", os.O_RDONLY)
    try:
        if ctypes.CDLL(None, use_errno=True).setns(fd, _CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), f"setns into {name} failed")
    finally:
        os.close(fd)


@dataclass(frozen=True)
class Endpoint:
    """How one member listens and is reached."""

    host: str
    client_port: int
    peer_port: int

    @property
    def client_url(self) -> str:
        return f"http://{self.host}:{self.client_port}"

    @property
    def peer_url(self) -> str:
        return f"http://{self.host}:{self.peer_port}"


def partition_cuts(names: Sequence[str], groups: Sequence[Sequence[str]]
                   ) -> tuple[list[list[str]], set[frozenset[str]]]:
    """The full list of groups (members named in no group form one more group) and the set of
    links (member pairs) that cross between groups."""
    flat = [n for g in groups for n in g]
    if len(flat) != len(set(flat)):
        raise ValueError(f"a member appears in two groups: {groups}")
    rest = [n for n in names if n not in flat]
    all_groups = [list(g) for g in [*groups, rest] if g]
    cuts = {frozenset((a, b)) for i, ga in enumerate(all_groups)
            for gb in all_groups[i + 1:] for a in ga for b in gb}
    return all_groups, cuts


def _run(argv: list[str], stdin: str | None = None) -> str:
    proc = subprocess.run(
        argv, input=stdin, capture_output=True, text=True, timeout=30, check=False
    )
    if proc.returncode != 0:
        raise EtcdHarnessError(f"`{' '.join(argv)}` failed: {proc.stderr.strip()}")
    return proc.stdout


def free_tcp_ports(n: int, host: str = "127.0.0.1") -> list[int]:
    """``n`` distinct TCP ports that are free on ``host`` right now (the kernel picks them)."""
    socks = []
    try:
        for _ in range(n):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind((host, 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


class LoopbackNetwork:
    """All members on 127.0.0.1, free ports chosen by the kernel. Cannot partition."""

    kind = "loopback"

    def __init__(self) -> None:
        self.endpoints: dict[str, Endpoint] = {}

    def setup(self, names: list[str]) -> None:
        ports = free_tcp_ports(2 * len(names))
        self.endpoints = {
            name: Endpoint("127.0.0.1", ports[2 * i], ports[2 * i + 1])
            for i, name in enumerate(names)
        }

    def member_prefix(self, name: str) -> list[str]:
        return []

    def client_prefix(self) -> list[str]:
        return []

    def http_get(self, url: str, timeout: float) -> bytes:
        """GET ``url`` from where the clients are (here: this process's namespace)."""
        return http_get(url, timeout)

    def set_cuts(self, cuts: Iterable[frozenset[str]]) -> None:
        if any(True for _ in cuts):
            raise PartitionUnsupported(
                "partitions need EtcdCluster(network='netns'): on loopback every member shares "
                "127.0.0.1, so a packet filter cannot tell which member sent a packet"
            )

    def dropped_packets(self) -> dict[str, int]:
        return {}

    def teardown(self) -> None:
        return None

    def describe(self) -> dict[str, object]:
        return {"kind": self.kind, "host": "127.0.0.1"}


class NetnsNetwork:
    """One namespace per member, bridged in a private switch namespace; cuts by nftables."""

    kind = "netns"
    subnet = "10.231.0"

    def __init__(self) -> None:
        tag = f"{NETNS_PREFIX}{os.getpid()}x{next(_serial)}"
        self.switch_ns = f"{tag}sw"
        self._tag = tag
        self.namespaces: dict[str, str] = {}
        self.endpoints: dict[str, Endpoint] = {}
        self._created: list[str] = []
        self._client_threads: ThreadPoolExecutor | None = None

    def setup(self, names: list[str]) -> None:
        reason = netns_unavailable_reason()
        if reason:
            raise PartitionUnsupported(reason)
        cleanup_stale_namespaces()
        try:
            self._setup(names)
        except BaseException:
            self.teardown()
            raise

    def _setup(self, names: list[str]) -> None:
        sw = self.switch_ns
        self._add_ns(sw)
        _run(["ip", "-n", sw, "link", "add", "br0", "type", "bridge"])
        _run(["ip", "-n", sw, "addr", "add", f"{self.subnet}.254/24", "dev", "br0"])
        _run(["ip", "-n", sw, "link", "set", "br0", "up"])
        for i, name in enumerate(names, start=1):
            ns = f"{self._tag}n{i}"
            self._add_ns(ns)
            veth = f"veth{i}"
            _run(["ip", "-n", sw, "link", "add", veth, "type", "veth",
                  "peer", "name", "eth0", "netns", ns])
            _run(["ip", "-n", sw, "link", "set", veth, "master", "br0"])
            _run(["ip", "-n", sw, "link", "set", veth, "up"])
            _run(["ip", "-n", ns, "addr", "add", f"{self.subnet}.{i}/24", "dev", "eth0"])
            _run(["ip", "-n", ns, "link", "set", "eth0", "up"])
            _run(["ip", "-n", ns, "link", "set", "lo", "up"])
            _run(["ip", "netns", "exec", ns, "nft", "-f", "-"], stdin=NFT_TABLE)
            self.namespaces[name] = ns
            self.endpoints[name] = Endpoint(f"{self.subnet}.{i}", 2379, 2380)

    def _add_ns(self, ns: str) -> None:
        _run(["ip", "netns", "add", ns])
        self._created.append(ns)

    def member_prefix(self, name: str) -> list[str]:
        # `ip netns exec` execs the command in place: the child's PID is the member's PID.
        return ["ip", "netns", "exec", self.namespaces[name]]

    def client_prefix(self) -> list[str]:
        return ["ip", "netns", "exec", self.switch_ns]

    def http_get(self, url: str, timeout: float) -> bytes:
        """GET ``url`` from the switch namespace, where the clients are, on a pool of threads
        that entered it (no process per request)."""
        if self._client_threads is None:
            self._client_threads = ThreadPoolExecutor(
                max_workers=4, thread_name_prefix="netns-client", initializer=_enter_netns,
                initargs=(self.switch_ns,))
        return self._client_threads.submit(http_get, url, timeout).result()

    def set_cuts(self, cuts: Iterable[frozenset[str]]) -> None:
        """Make exactly the links in ``cuts`` (pairs of member names) drop all packets."""
        blocked: dict[str, set[str]] = {name: set() for name in self.namespaces}
        for pair in cuts:
            a, b = sorted(pair)
            blocked[a].add(self.endpoints[b].host)
            blocked[b].add(self.endpoints[a].host)
        for name, ns in self.namespaces.items():
            script = "flush set inet raftcheck cut\n"
            if blocked[name]:
                hosts = ", ".join(sorted(blocked[name]))
                script += f"add element inet raftcheck cut {{ {hosts} }}\n"
            _run(["ip", "netns", "exec", ns, "nft", "-f", "-"], stdin=script)

    def dropped_packets(self) -> dict[str, int]:
        """Packets each member's cut rules have dropped so far (input + output)."""
        result = {}
        for name, ns in self.namespaces.items():
            out = _run(["ip", "netns", "exec", ns, "nft", "list", "table", "inet", "raftcheck"])
            result[name] = sum(int(n) for n in re.findall(r"counter packets (\d+)", out))
        return result

    def teardown(self) -> None:
        """Delete every namespace this network created (veths, bridge and rules go with them)."""
        if self._client_threads is not None:  # its threads hold the switch namespace open
            self._client_threads.shutdown(wait=True, cancel_futures=True)
            self._client_threads = None
        errors = []
        for ns in reversed(self._created):
            proc = subprocess.run(["ip", "netns", "del", ns], capture_output=True, text=True,
                                  check=False)
            if proc.returncode != 0 and os.path.exists(f"/run/netns/{ns}"):
                errors.append(f"{ns}: {proc.stderr.strip()}")
        self._created.clear()
        if errors:
            raise EtcdHarnessError("could not delete network namespaces: " + "; ".join(errors))

    def describe(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "switch_netns": self.switch_ns,
            "member_netns": dict(self.namespaces),
            "subnet": f"{self.subnet}.0/24",
            "cut": "nftables set in each member netns, input+output drop",
        }


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def cleanup_stale_namespaces() -> list[str]:
    """Delete namespaces left by a harness process that died before it could clean up.

    Only names of the form ``rcheck<pid>x<n>...`` whose creating process is gone are touched.
    Their etcd members died with the harness (they run with a parent-death signal).
    """
    if not os.path.isdir("/run/netns"):
        return []
    removed = []
    for ns in sorted(os.listdir("/run/netns")):
        match = _NETNS_NAME_RE.match(ns)
        if match and not _pid_alive(int(match.group(1))):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True, check=False)
            removed.append(ns)
    return removed


@functools.cache
def netns_unavailable_reason() -> str | None:
    """None if namespaces, veth, bridge and nftables all work here; else why not (one line)."""
    if os.geteuid() != 0:
        return f"not root; {NETNS_HINT}"
    for tool in ("ip", "nft"):
        if shutil.which(tool) is None:
            return f"`{tool}` not found; {NETNS_HINT}"
    probe = f"{NETNS_PREFIX}{os.getpid()}x0probe"
    steps = [
        ["ip", "netns", "add", probe],
        ["ip", "-n", probe, "link", "add", "br0", "type", "bridge"],
        ["ip", "-n", probe, "link", "add", "v0", "type", "veth", "peer", "name", "v1"],
        ["ip", "-n", probe, "link", "set", "v0", "master", "br0"],
        ["ip", "netns", "exec", probe, "nft", "-f", "-"],
    ]
    try:
        for argv in steps:
            stdin = NFT_TABLE if argv[-1] == "-" else None
            proc = subprocess.run(argv, input=stdin, capture_output=True, text=True,
                                  timeout=30, check=False)
            if proc.returncode != 0:
                return f"`{' '.join(argv)}` failed here: {proc.stderr.strip()}; {NETNS_HINT}"
    finally:
        subprocess.run(["ip", "netns", "del", probe], capture_output=True, check=False)
    return None
