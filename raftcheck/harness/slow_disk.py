"""A real slow disk for one process: a loop device with an ext4 file system, mounted where a
cluster keeps its data, whose writes can be throttled for one process at a time with the
kernel's block-I/O cgroup (v2 ``io.max``, or v1 ``blkio.throttle``).

Only the throttled process waits: its fsyncs take as long as its share of the device allows,
the rest of the cluster writes at full speed. Device-mapper's ``delay`` target would do the
same per device, but needs the dm driver, which containers often lack (``dmsetup targets``
fails); a loop device and a cgroup need only root.

    with SlowDisk() as disk:
        cluster = EtcdCluster(out, data_dir=disk.mount, ...)
        disk.throttle(pid, write_iops=2)   # every fsync of pid now takes about a second
        disk.release()
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from raftcheck.harness.errors import EtcdHarnessError

CGROUP_ROOT = Path("/sys/fs/cgroup")


class SlowDiskUnsupported(EtcdHarnessError):
    """This machine cannot make a slow disk (not root, no loop device, no block-I/O cgroup)."""


def unavailable_reason() -> str | None:
    """Why a slow disk cannot be made here, or None."""
    if os.geteuid() != 0:
        return "needs root (loop devices, mount, cgroups)"
    for tool in ("losetup", "mkfs.ext4", "mount", "umount"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed"
    if not Path("/dev/loop-control").exists():
        return "no loop devices (/dev/loop-control)"
    if _v2_root() is None and not (CGROUP_ROOT / "blkio").is_dir():
        return "no block-I/O cgroup (v2 io controller or v1 blkio)"
    return None


def _v2_root() -> Path | None:
    """A cgroup v2 hierarchy whose io controller can be enabled, or None."""
    for root in (CGROUP_ROOT, CGROUP_ROOT / "unified"):
        controllers = root / "cgroup.controllers"
        if controllers.exists() and "io" in controllers.read_text().split():
            return root
    return None


class SlowDisk:
    """A loop-mounted file system at ``mount``; ``throttle(pid)`` slows that process's writes
    to it, ``release()`` lifts the limit. Everything is undone on exit."""

    def __init__(self, size_mb: int = 1024) -> None:
        self.size_mb = size_mb
        self._work: Path | None = None
        self.device: str | None = None
        self.mount: Path | None = None
        self.major_minor: str | None = None
        self._cgroup: Path | None = None
        self._v2 = False

    def __enter__(self) -> SlowDisk:
        reason = unavailable_reason()
        if reason:
            raise SlowDiskUnsupported(f"cannot make a slow disk here: {reason}")
        try:
            self._work = Path(tempfile.mkdtemp(prefix="raftcheck-disk-"))
            image = self._work / "disk.img"
            with open(image, "wb") as f:
                f.truncate(self.size_mb * 1024 * 1024)  # sparse
            self.device = _run("losetup", "--find", "--show", str(image)).strip()
            _run("mkfs.ext4", "-q", "-F", self.device)
            self.mount = self._work / "mnt"
            self.mount.mkdir()
            _run("mount", self.device, str(self.mount))
            name = Path(self.device).name
            self.major_minor = (Path("/sys/block") / name / "dev").read_text().strip()
            self._cgroup = self._make_cgroup()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _make_cgroup(self) -> Path:
        root = _v2_root()
        if root is not None:
            self._v2 = True
            subtree = root / "cgroup.subtree_control"
            if "io" not in subtree.read_text().split():
                subtree.write_text("+io")
            group = root / f"raftcheck-slow-disk-{os.getpid()}"
        else:
            group = CGROUP_ROOT / "blkio" / f"raftcheck-slow-disk-{os.getpid()}"
        group.mkdir(exist_ok=True)
        return group

    def throttle(self, pid: int, *, write_iops: int = 2, write_bps: int | None = None) -> None:
        """Move ``pid`` into the throttled group and limit its writes to this disk."""
        assert self._cgroup is not None and self.major_minor is not None
        (self._cgroup / "cgroup.procs").write_text(str(pid))
        if self._v2:
            limits = f"wiops={write_iops}" + (f" wbps={write_bps}" if write_bps else "")
            (self._cgroup / "io.max").write_text(f"{self.major_minor} {limits}")
        else:
            (self._cgroup / "blkio.throttle.write_iops_device").write_text(
                f"{self.major_minor} {write_iops}")
            if write_bps:
                (self._cgroup / "blkio.throttle.write_bps_device").write_text(
                    f"{self.major_minor} {write_bps}")

    def release(self) -> None:
        """Lift the limits (the process stays in the group, unthrottled)."""
        if self._cgroup is None or self.major_minor is None:
            return
        if self._v2:
            (self._cgroup / "io.max").write_text(f"{self.major_minor} wiops=max wbps=max")
        else:
            for name in ("blkio.throttle.write_iops_device", "blkio.throttle.write_bps_device"):
                (self._cgroup / name).write_text(f"{self.major_minor} 0")

    def close(self) -> None:
        self.release()
        if self._cgroup is not None:
            parent = self._cgroup.parent
            for pid in (self._cgroup / "cgroup.procs").read_text().split():
                with contextlib.suppress(OSError):  # one still alive goes back to the parent
                    (parent / "cgroup.procs").write_text(pid)
            with contextlib.suppress(OSError):
                self._cgroup.rmdir()
            self._cgroup = None
        if self.mount is not None and os.path.ismount(self.mount):
            subprocess.run(["umount", "-l", str(self.mount)], check=False,
                           capture_output=True)
        if self.device is not None:
            subprocess.run(["losetup", "-d", self.device], check=False, capture_output=True)
            self.device = None
        if self._work is not None:
            shutil.rmtree(self._work, ignore_errors=True)
            self._work = None


def _run(*argv: str) -> str:
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SlowDiskUnsupported(f"{' '.join(argv)} failed: {done.stderr.strip()}")
    return done.stdout
