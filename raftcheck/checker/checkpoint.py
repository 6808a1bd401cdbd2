"""A search saved at a level boundary, to be resumed later (explore --checkpoint, --resume).

A checkpoint is what a search holds between two levels (DESIGN.md, "Scale"): per shard, the
visited set's complete levels (visited.py's arrays, one file each, written once: a level never
changes after it is closed), the frontier with its parent links and ranks, and the components
the model named (model.new_components, appended level by level); plus, for the whole search,
the statistics and what is needed to build the same model again. meta.pickle is written last
and renamed into place, so an interrupted save leaves the previous checkpoint whole.
"""

from __future__ import annotations

import os
import pickle
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .frontier import StateFile
from .visited import Level, LevelStore

META = "meta.pickle"
#: 2: a shard's frontier links are whole parent links (index * shards + owner), as shard.py
#: keeps them since states stay with their finder; 1 kept positions in the shard's own level.
#: 3: a frontier kept in a file (--disk) is saved as that file (SavedStates), not pickled.
FORMAT = 3
#: The formats this version reads.
READABLE = frozenset({2, 3})


@dataclass(frozen=True)
class SavedStates:
    """In a shard's frontier pickle, for a frontier kept in a file (frontier.StateFile): the
    file beside it that holds the states, rows of `width` int64."""

    name: str
    width: int


class CheckpointError(ValueError):
    """The directory holds no checkpoint this search can resume; the message says why."""


class Checkpoint:
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def shard_dir(self, shard: int) -> Path:
        path = self.directory / f"shard{shard}"
        path.mkdir(parents=True, exist_ok=True)
        return path

    # --- saving -----------------------------------------------------------------------------

    def save_shard(self, shard: int, store: LevelStore, frontier: list, links: list[int],
                   ranks: list[int], components: list) -> None:
        """Write what the shard holds at a level boundary (the levels not yet written)."""
        path = self.shard_dir(shard)
        for index, level in enumerate(store.levels):
            names = [("fingerprints", level.fingerprints), ("parents", level.parents)]
            if level.used is not None:
                names.append(("used", level.used))
            for name, array in names:
                target = path / f"level{index:05d}-{name}.npy"
                if not target.exists():
                    _atomic(target, lambda f, a=array: np.save(f, a))
        with open(path / "components.pickle", "ab") as log:
            pickle.dump(components, log, protocol=pickle.HIGHEST_PROTOCOL)
        # One frontier file per level: shards save before the coordinator's meta names the
        # level, so the one before stays until a later level is saved everywhere.
        levels = len(store.levels)
        if isinstance(frontier, StateFile):  # --disk: the file itself, never read into memory
            name = f"frontier{levels:05d}.states"
            frontier.save_as(path / f"{name}.tmp")
            os.replace(path / f"{name}.tmp", path / name)
            frontier = SavedStates(name, frontier.width)
        _atomic(path / f"frontier{levels:05d}.pickle", lambda f: pickle.dump(
            (levels, store.lanes, frontier, links, ranks), f, protocol=pickle.HIGHEST_PROTOCOL))
        for old in path.glob("frontier*"):
            if old.name < f"frontier{levels - 2:05d}":
                old.unlink()

    def save_meta(self, meta: dict[str, Any]) -> None:
        _atomic(self.directory / META,
                lambda f: pickle.dump({"format": FORMAT, **meta}, f))

    # --- loading ----------------------------------------------------------------------------

    def meta(self) -> dict[str, Any]:
        path = self.directory / META
        try:
            with open(path, "rb") as f:
                meta = pickle.load(f)
        except FileNotFoundError:
            raise CheckpointError(f"{self.directory}: no checkpoint here ({META} missing)") \
                from None
        except (pickle.UnpicklingError, EOFError, AttributeError, ImportError) as e:
            raise CheckpointError(f"{path}: not a raftcheck checkpoint ({e})") from None
        if not isinstance(meta, dict) or meta.get("format") not in READABLE:
            raise CheckpointError(f"{path}: not a checkpoint of this raftcheck version")
        return meta

    def components(self, shards: int) -> list:
        """Every component any shard named, each shard's in its order."""
        out: list = []
        for shard in range(shards):
            path = self.directory / f"shard{shard}" / "components.pickle"
            if not path.exists():
                continue
            with open(path, "rb") as log:
                while True:
                    try:
                        out += pickle.load(log)
                    except EOFError:
                        break
        return out

    def load_shard(self, shard: int, levels: int, store: LevelStore
                   ) -> tuple[list | StateFile, Any, list[int]]:
        """Restore the shard's visited set into store; (frontier, links, ranks). A frontier
        saved from a file comes back as the checkpoint's file: the caller reads it, or links
        it where it keeps its own (it must not remove it)."""
        path = self.directory / f"shard{shard}"
        try:
            with open(path / f"frontier{levels:05d}.pickle", "rb") as f:
                saved_levels, lanes, frontier, links, ranks = pickle.load(f)
        except FileNotFoundError:
            raise CheckpointError(f"{path}: no frontier saved at level {levels}") from None
        if saved_levels != levels:
            raise CheckpointError(f"{path}: shard saved at level {saved_levels}, the "
                                  f"checkpoint at {levels}")
        restored = []
        for index in range(levels):
            arrays = []
            for name in ("fingerprints", "parents", "used"):
                target = path / f"level{index:05d}-{name}.npy"
                arrays.append(np.load(target) if target.exists() else None)
            restored.append(Level(*arrays))
        store.restore(restored, lanes)
        if isinstance(frontier, SavedStates):
            frontier = StateFile(path / frontier.name, frontier.width, written=True)
        return frontier, links, ranks


def _atomic(path: Path, write: Any) -> None:
    """Write through a temporary file renamed into place."""
    partial = path.with_name(path.name + ".partial")
    with open(partial, "wb") as f:
        write(f)
    os.replace(partial, path)
