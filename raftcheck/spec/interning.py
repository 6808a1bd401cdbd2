"""Interning: every distinct component value (a server's variables, a message, a bag of messages)
is stored once and named by its content fingerprint.

A global state is then a short tuple of such names, cheap to hash, compare and keep in a queue,
and the spec can memoise its per-server transitions by name. Names are content hashes, not
counters, so they are the same in every run and every process.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Generic, TypeVar

V = TypeVar("V", bound=Hashable)


class FingerprintCollision(RuntimeError):
    """Two different component values hashed alike (about 1 in 2^64 per pair): never merged."""


class Interner(Generic[V]):
    __slots__ = ("journal", "kind", "values")

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.values: dict[int, V] = {}
        # Where new values are recorded (kind, name, value), oldest first, for other processes
        # to adopt (see RaftModel.new_components); None: not recorded.
        self.journal: list | None = None

    def intern(self, value: V) -> int:
        key = hash(value)
        known = self.values.get(key)
        if known is None:
            self.values[key] = value
            if self.journal is not None:
                self.journal.append((self.kind, key, value))
        elif known != value:
            raise FingerprintCollision(f"two different {self.kind} values share hash {key}")
        return key

    def retain(self, keys: set[int]) -> None:
        """Forget every value whose name is not in keys (named again, it gets the same name)."""
        self.values = {key: value for key, value in self.values.items() if key in keys}

    def __getitem__(self, key: int) -> V:
        return self.values[key]

    def __len__(self) -> int:
        return len(self.values)
