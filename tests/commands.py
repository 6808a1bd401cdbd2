"""Running the raftcheck command as a user does (test-only): a real process of this Python,
which runs this checkout's code when PYTHONPATH points at it."""

from __future__ import annotations

import signal
import subprocess
import sys

RAFTCHECK = [sys.executable, "-m", "raftcheck"]


def run(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([*RAFTCHECK, *args], capture_output=True, text=True, timeout=timeout)


def signalled_once_under_way(args: list[str], sig: signal.Signals, under_way: str, *,
                             started_ignoring: bool = False) -> tuple[int, str, str]:
    """Start raftcheck with args, wait for its first line on stderr (a progress line, which
    must contain under_way), send it sig; its exit code, stdout and stderr. The process is
    killed, by its PID, if it outlives the test. ``started_ignoring``: the process starts with
    sig ignored, as a shell starts a background job with SIGINT; otherwise with its default."""
    disposition = signal.SIG_IGN if started_ignoring else signal.SIG_DFL
    proc = subprocess.Popen([*RAFTCHECK, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, preexec_fn=lambda: signal.signal(sig, disposition))
    try:
        line = proc.stderr.readline()  # type: ignore[union-attr]
        assert under_way in line, line
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return proc.returncode, out, err
