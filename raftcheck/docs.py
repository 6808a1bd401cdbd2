"""The ``docs`` sub-command: the manual, which ships inside the package (``raftcheck/manual``,
the project's docs/ folder), so that an installed copy has it too. Help texts point here:
``raftcheck docs validate`` prints docs/validate.md."""

from __future__ import annotations

import argparse
from importlib.resources import as_file, files
from pathlib import Path

from raftcheck import exit_codes
from raftcheck.exit_codes import UsageError


def manual() -> Path:
    """The folder of the manual's pages (.md)."""
    with as_file(files("raftcheck") / "manual") as folder:
        return Path(folder)


def pages() -> dict[str, Path]:
    """Page name (the file name without .md) -> its file."""
    folder = manual()
    return {p.stem: p for p in sorted(folder.glob("*.md"))} if folder.is_dir() else {}


def title(page: Path) -> str:
    for line in page.read_text(encoding="utf-8").splitlines():
        if line.startswith("# "):
            return line[2:].strip()
    return page.stem


def register(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser(
        "docs", help="the manual: list its pages, or print one",
        description="The manual that ships with raftcheck. Without NAME: its pages, with their "
                    "titles and where they are; with NAME: that page's text (Markdown).")
    p.add_argument("name", nargs="?", metavar="NAME",
                   help="a page, e.g. validate, timeline, explore (without NAME: the list)")
    p.set_defaults(run=docs_command)


def docs_command(args: argparse.Namespace) -> int:
    found = pages()
    if not found:
        raise UsageError(f"the manual is missing from this installation ({manual()})")
    if args.name is None:
        width = max(map(len, found))
        for name, page in found.items():
            print(f"{name.ljust(width)}  {title(page)}")
        print(f"\n'raftcheck docs NAME' prints a page; they are in {manual()}")
        return exit_codes.HOLDS
    name = args.name.removesuffix(".md").removeprefix("docs/")
    if name not in found:
        raise UsageError(f"no page {args.name!r} in the manual; 'raftcheck docs' lists them: "
                         f"{', '.join(found)}")
    print(found[name].read_text(encoding="utf-8"), end="")
    return exit_codes.HOLDS
