"""Normalised node names: one name (n1, n2, ...) per node across all files of one read.

Rules, in order:
1. Numbers reserved up front: when every single-node file's name holds one number
   (``node3.log``) and those numbers differ, that file's own node is ``n3``.
2. A raw id that asks for a number (etcd-raft transcripts and traces, whose ids are 1, 2, ...)
   gets it when it is free.
3. Every other id gets the smallest free number, in order of first appearance.
Aliases (hashicorp addresses of known server IDs) share their ID's name.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from raftcheck.grammar.drafts import RawId


class Unnamed(LookupError):
    """A raw id that has no name yet (NodeNames.named)."""


@dataclass(slots=True)
class NodeInfo:
    """One normalised node: its name, the raw ids/aliases that map to it, its own log files."""

    name: str
    ids: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)


class NodeNames:
    """Assigns and remembers normalised node names; deterministic for a given input order."""

    def __init__(self) -> None:
        self._by_key: dict[str, str] = {}
        self._aliases: dict[str, str] = {}
        self._reserved: dict[str, int] = {}
        self._used: set[int] = set()
        self.nodes: dict[str, NodeInfo] = {}

    def reserve(self, key: str, number: int) -> None:
        """Reserve ``n<number>`` for raw id ``key`` (rule 1); ignored if taken."""
        if number not in self._used and key not in self._reserved:
            self._reserved[key] = number
            self._used.add(number)

    def alias(self, alias: str, key: str) -> None:
        """Make ``alias`` (e.g. an address) name the same node as ``key``."""
        if alias != key and alias not in self._by_key:
            self._aliases[alias] = key

    def is_aliased(self, key: str) -> bool:
        """Whether some alias names ``key`` (a hashicorp server ID printed with its address
        in a configuration line of any file)."""
        return key in self._aliases.values()

    def canonical(self, key: str) -> str:
        return self._aliases.get(key, key)

    def named(self, raw: RawId) -> str:
        """The name ``raw`` already has; raises Unnamed if it has none yet."""
        found = self._by_key.get(self._aliases.get(raw.key, raw.key))
        if found is None:
            raise Unnamed(raw.key)
        return found

    def name(self, raw: RawId) -> str:
        """The normalised name of a raw id, assigning one on first sight."""
        key = self._aliases.get(raw.key, raw.key)
        found = self._by_key.get(key)
        if found is not None:
            return found
        number = self._reserved.get(key)
        if number is None:
            if raw.number is not None and raw.number not in self._used:
                number = raw.number
            else:
                number = 1
                while number in self._used:
                    number += 1
            self._used.add(number)
        name = f"n{number}"
        self._by_key[key] = name
        info = NodeInfo(name, [key])
        info.ids.extend(a for a, k in self._aliases.items() if k == key)
        self.nodes[name] = info
        return name

    def note_alias_names(self) -> None:
        """Record aliases learned after a node was named in that node's ``ids``."""
        for alias, key in self._aliases.items():
            name = self._by_key.get(key)
            if name is not None and alias not in self.nodes[name].ids:
                self.nodes[name].ids.append(alias)

    def own_file(self, name: str, path: str) -> None:
        if path not in self.nodes[name].files:
            self.nodes[name].files.append(path)
