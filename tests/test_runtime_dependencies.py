"""The main command must run with the package's own dependencies: nothing under raftcheck (but
the pytest plugin and the test harness) may import what only the test extras install."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

PROJECT = tomllib.loads((Path(__file__).parent.parent / "pyproject.toml").read_text())["project"]


def module_names(requirements: list[str]) -> set[str]:
    return {re.split(r"[<>=!~ \[]", r, maxsplit=1)[0].replace("-", "_").lower()
            for r in requirements}


def extra(name: str) -> list[str]:
    """An extra's requirements, with the project's own extras it names (raftcheck[ray])
    replaced by theirs."""
    out = []
    for requirement in PROJECT["optional-dependencies"][name]:
        own = re.fullmatch(rf"{PROJECT['name']}\[(\w+)\]", requirement)
        out += extra(own[1]) if own else [requirement]
    return out


# What only the test extras install (an ITF writer imported from there once broke the main
# command on a fresh machine), Ray included: it is an optional extra, imported only by a search
# that asks for it.
TEST_ONLY = (*sorted(module_names(extra("test")) - module_names(PROJECT["dependencies"])),
             "_pytest")


def test_the_package_imports_without_the_test_extras():
    script = textwrap.dedent(f"""
        import importlib, pkgutil, sys
        class Refuse:
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in {TEST_ONLY!r}:
                    raise ImportError("test-only module imported: " + name)
        sys.meta_path.insert(0, Refuse())
        import raftcheck
        for info in pkgutil.walk_packages(raftcheck.__path__, "raftcheck."):
            if info.name.endswith(("pytest_plugin", "__main__")) or info.name.startswith(
                    "raftcheck.harness"):
                continue
            importlib.import_module(info.name)
        from raftcheck.cli import main
        sys.exit(main(["explore", "--show-scope"]))
    """)
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "servers" in run.stdout
