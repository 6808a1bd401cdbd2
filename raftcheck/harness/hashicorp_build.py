"""Build ``raftnode``, the Go program that runs one hashicorp/raft node, on first use.

Its sources ship with raftcheck (``raftcheck/harness/hashicorp/raftnode/*.go``). They are built
in GOPATH mode against Go library sources on this machine (Debian installs them under
/usr/share/gocode; no module proxy is needed), into a cache directory:

* ``$RAFTCHECK_CACHE_DIR``, else ``$XDG_CACHE_HOME/raftcheck``, else ``~/.cache/raftcheck``;
  the binary is ``<cache>/hashicorp/raftnode-<digest>``, where the digest covers raftnode's
  sources, the library sources it compiles against and the Go version: any change rebuilds.
* ``$RAFTCHECK_GOPATH`` (colon-separated) replaces /usr/share/gocode, ``$RAFTCHECK_GO`` the
  ``go`` found on PATH.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from raftcheck.harness.errors import HashicorpNotInstalled

SOURCE_DIR = Path(__file__).parent / "hashicorp" / "raftnode"
SYSTEM_GOPATH = "/usr/share/gocode"

# Every Go package raftnode compiles against, and the Debian package that ships it.
GO_PACKAGES: dict[str, str] = {
    "github.com/hashicorp/raft": "golang-github-hashicorp-raft-dev",
    "github.com/hashicorp/raft-boltdb": "golang-github-hashicorp-raft-boltdb-dev",
    "github.com/boltdb/bolt": "golang-github-boltdb-bolt-dev",
    "github.com/hashicorp/go-hclog": "golang-github-hashicorp-go-hclog-dev",
    "github.com/armon/go-metrics": "golang-github-armon-go-metrics-dev",
    "github.com/hashicorp/go-msgpack/codec": "golang-github-hashicorp-go-msgpack-dev",
}
INSTALL_HINT = ("apt-get install golang-go " + " ".join(sorted(set(GO_PACKAGES.values())))
                + " (or run .ci/install-clusters)")


@dataclass(frozen=True)
class RaftnodeBinary:
    """A built raftnode and what it was built from."""

    path: Path
    go_version: str
    raft_version: str
    hclog_version: str
    digest: str


def cache_dir() -> Path:
    explicit = os.environ.get("RAFTCHECK_CACHE_DIR")
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "raftcheck"


def gopath() -> list[Path]:
    return [Path(p) for p in os.environ.get("RAFTCHECK_GOPATH", SYSTEM_GOPATH).split(":") if p]


def find_go() -> Path:
    go = os.environ.get("RAFTCHECK_GO") or shutil.which("go") or "/usr/lib/go/bin/go"
    if not (Path(go).is_file() and os.access(go, os.X_OK)):
        raise HashicorpNotInstalled(f"the Go compiler was not found; {INSTALL_HINT}")
    return Path(go)


def package_dir(import_path: str) -> Path:
    """Where a Go package's sources are in the GOPATH; raise with the install hint if absent."""
    for root in gopath():
        path = root / "src" / import_path
        if any(path.glob("*.go")):
            return path
    package = GO_PACKAGES.get(import_path, import_path)
    raise HashicorpNotInstalled(
        f"Go package {import_path} not found under {':'.join(map(str, gopath()))} "
        f"(Debian package {package}); {INSTALL_HINT}")


def debian_version(package: str) -> str | None:
    """The installed version of a Debian package, or None (not Debian, not installed)."""
    if shutil.which("dpkg-query") is None:
        return None
    proc = subprocess.run(["dpkg-query", "-W", "-f=${Version}", package], capture_output=True,
                          text=True, check=False)
    if proc.returncode != 0:
        return None
    return proc.stdout.strip() or None


def _sources(directory: Path) -> list[Path]:
    return sorted(p for p in directory.glob("*.go") if not p.name.endswith("_test.go"))


def source_digest(go_version: str) -> str:
    """A digest of everything the binary is built from."""
    h = hashlib.sha256(go_version.encode())
    dirs = [SOURCE_DIR, *(package_dir(p) for p in GO_PACKAGES)]
    for directory in dirs:
        for path in _sources(directory):
            h.update(str(path.relative_to(directory.parent)).encode() + b"\0")
            h.update(path.read_bytes())
    return h.hexdigest()[:16]


@contextlib.contextmanager
def _locked(directory: Path) -> Iterator[None]:
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another test process may be building the same binary
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def raftnode_binary() -> RaftnodeBinary:
    """The raftnode binary for the current sources, built now if the cache has none."""
    if not any(SOURCE_DIR.glob("*.go")):
        raise HashicorpNotInstalled(f"raftnode's Go sources are missing from {SOURCE_DIR}")
    go = find_go()
    go_version = subprocess.run([str(go), "version"], capture_output=True, text=True,
                                check=False).stdout.strip()
    digest = source_digest(go_version)
    root = cache_dir() / "hashicorp"
    binary = root / f"raftnode-{digest}"
    with _locked(root):
        if not binary.is_file():
            _build(go, root, binary)
    return RaftnodeBinary(
        binary, go_version,
        debian_version(GO_PACKAGES["github.com/hashicorp/raft"]) or "unknown",
        debian_version(GO_PACKAGES["github.com/hashicorp/go-hclog"]) or "unknown", digest)


def _build(go: Path, root: Path, binary: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GO")}
    env.update(GO111MODULE="off", GOPATH=":".join(map(str, gopath())), CGO_ENABLED="0",
               GOCACHE=str(root / "go-build"), GOFLAGS="")
    with tempfile.TemporaryDirectory(dir=root) as tmp:
        src = Path(tmp) / "raftnode"
        src.mkdir()
        for path in _sources(SOURCE_DIR):  # the package may be installed read-only
            shutil.copy(path, src / path.name)
        out = Path(tmp) / "raftnode.bin"
        proc = subprocess.run([str(go), "build", "-o", str(out), "."], cwd=src, env=env,
                              capture_output=True, text=True, check=False, timeout=600)
        if proc.returncode != 0:
            lines = [ln for ln in proc.stderr.strip().splitlines() if ln.strip()]
            raise HashicorpNotInstalled(
                f"building raftnode failed: {' | '.join(lines[-4:])}; {INSTALL_HINT}")
        out.replace(binary)
