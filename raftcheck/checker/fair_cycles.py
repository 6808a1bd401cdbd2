"""Fair cycles in a state graph (state_graph.py), via strongly connected components.

A cycle is a candidate infinite behaviour suffix. It is fair when, for each fairness class c:

- c weakly fair (the default): c is not enabled in every state of the cycle, or some step of
  the cycle is an action of class c (◇□enabled(c) ⇒ □◇taken(c), on a lasso);
- c strongly fair: c is enabled in no state of the cycle, or some step of the cycle is of
  class c (□◇enabled(c) ⇒ □◇taken(c)).

The check is the classic one on SCCs (as TLC and SPIN do it). In an SCC S of the region, let
taken(S) be the classes of the edges inside S. If a weak class is enabled in every state of S
and not in taken(S), no cycle inside S is fair (every such cycle has it enabled throughout and
cannot take it), so S is dropped. If a strong class is enabled somewhere in S but not taken,
a fair cycle must avoid the states where it is enabled: those states are removed and the SCCs
of the rest are examined again. Otherwise one closed walk through S that takes an edge of each
class that must be taken and visits a state where each other class is disabled is a fair cycle.

Random draws (state_graph.py, `draws`): an action that leads from a state to several states
draws one outcome at random, so a behaviour that takes it from that state infinitely often
takes every outcome infinitely often (with probability 1; this is the fairness of Hart, Sharir
and Pnueli for finite probabilistic programs). A cycle inside S may therefore use a draw only
if all its outcomes are in S: the edges reached only through draws with an outcome outside S
are left out of S (`unfair_draws`), and S is split into the components of what remains. What
is left is an end component in the sense of Markov decision processes: a scheduler can keep the
behaviour in it, visiting each of its states infinitely often, with probability 1.

With `stuttering`, every state may also repeat forever (TLA+ semantics), so a single state is
a cycle even without a self-loop; a stutter step takes no class.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Collection, Hashable, Iterable, Iterator

import networkx as nx

#: One step of a walk: (next node, fairness class the step must take, or None for any action).
#: A step to the same node with class STUTTER is a stutter step (no action at all).
WalkStep = tuple[int, Hashable | None]


class _StutterMark:
    def __repr__(self) -> str:
        return "STUTTER"


STUTTER: Hashable = _StutterMark()


def fair_components(graph: nx.DiGraph, region: Collection[int], *,
                    accepting: Collection[int] | None = None,
                    strong: Collection[Hashable] = (),
                    stuttering: bool = False) -> Iterator[frozenset[int]]:
    """The node sets, inside `region` (a set of expanded nodes), each strongly connected and
    holding a fair cycle through all its nodes; with `accepting`, only sets that contain an
    accepting node. Sets come in a deterministic order."""
    strong = frozenset(strong)
    accept = None if accepting is None else frozenset(accepting)
    work = components(graph, region)
    work.reverse()
    while work:
        nodes = work.pop()
        banned = unfair_draws(graph, nodes)
        if banned:
            parts = components(graph, nodes, banned)
            if len(parts) > 1:
                work.extend(reversed(parts))
                continue
        if len(nodes) == 1 and not stuttering:
            (only,) = nodes
            if not graph.has_edge(only, only) or (only, only) in banned:
                continue
        if accept is not None and not nodes & accept:
            continue
        enabled = [graph.nodes[n]["enabled"] for n in nodes]
        taken = _taken(graph, nodes, banned)
        everywhere = frozenset.intersection(*enabled)
        if (everywhere - taken) - strong:
            continue  # a weak class enabled throughout and never taken: no fair cycle here
        unfair = (frozenset.union(*enabled) & strong) - taken
        if not unfair:
            yield nodes
            continue
        rest = [n for n in nodes if not graph.nodes[n]["enabled"] & unfair]
        work.extend(reversed(components(graph, rest)))


def unfair_draws(graph: nx.DiGraph, nodes: frozenset[int]) -> frozenset[tuple[int, int]]:
    """The edges inside nodes that a cycle inside nodes may not use: every action joining their
    states is a random draw with an outcome outside nodes."""
    banned: set[tuple[int, int]] = set()
    for u in nodes:
        draws = graph.nodes[u].get("draws")
        if not draws:
            continue
        kept = {v for outcomes, _ in draws if outcomes <= nodes for v in outcomes}
        for outcomes, _ in draws:
            if outcomes <= nodes:
                continue
            for v in outcomes & nodes:
                if v not in kept and not graph.edges[u, v]["plain"]:
                    banned.add((u, v))
    return frozenset(banned)


def components(graph: nx.DiGraph, nodes: Iterable[int],
               banned: Collection[tuple[int, int]] = ()) -> list[frozenset[int]]:
    """The strongly connected components of the subgraph induced by nodes, without the banned
    edges (Tarjan's algorithm, without recursion). The same as
    networkx.strongly_connected_components on graph.subgraph(nodes), several times faster: a
    subgraph view filters every neighbour lookup. Components come in a deterministic order
    (given the order of nodes)."""
    order = list(nodes)
    inside = set(order)
    succ = graph.succ
    index: dict[int, int] = {}
    low: dict[int, int] = {}
    stack: list[int] = []
    on_stack: set[int] = set()
    found: list[frozenset[int]] = []
    for root in order:
        if root in index:
            continue
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        work = [(root, iter(succ[root]))]
        while work:
            node, successors = work[-1]
            for nxt in successors:
                if nxt not in inside or (banned and (node, nxt) in banned):
                    continue
                if nxt not in index:
                    index[nxt] = low[nxt] = len(index)
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(succ[nxt])))
                    break
                if nxt in on_stack and index[nxt] < low[node]:
                    low[node] = index[nxt]
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    if low[node] < low[parent]:
                        low[parent] = low[node]
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    found.append(frozenset(component))
    return found


def fair_walk(graph: nx.DiGraph, nodes: frozenset[int], start: int, *,
              accepting: Collection[int] | None = None,
              strong: Collection[Hashable] = (),
              stuttering: bool = False) -> list[WalkStep]:
    """A closed walk inside `nodes` (a set from fair_components) from `start` back to it that is
    a fair cycle: it takes an edge of each class that must be taken, visits a state where each
    weak class it does not take is disabled, and visits an accepting node. Greedy: each time
    the nearest unmet goal.

    With draws, the walk is one lap in which each draw came out one way: `nodes` is closed
    under draws (fair_components), so every other outcome stays in it, where a scheduler can
    keep the behaviour; the walk does not take every outcome (that would cover the whole
    component, thousands of steps for a Raft model)."""
    strong = frozenset(strong)
    banned = unfair_draws(graph, nodes)
    goals = _Goals()
    classes = frozenset.union(*(graph.nodes[n]["enabled"] for n in nodes))
    by_class: dict[Hashable, list[tuple[int, int, Hashable]]] = {c: [] for c in classes}
    for u in nodes:
        for v in graph.succ[u]:
            if v in nodes and (u, v) not in banned:
                for c in edge_classes(graph, u, v, nodes):
                    by_class[c].append((u, v, c))
    for c in sorted(classes, key=repr):
        disabled = () if c in strong else [
            n for n in nodes if c not in graph.nodes[n]["enabled"]]
        goals.add(disabled, by_class[c])
    if accepting is not None:
        goals.add(frozenset(nodes) & frozenset(accepting), ())

    walk: list[WalkStep] = []
    here = start
    goals.visit(here)
    while goals.open:
        path, edge = _nearest(graph, nodes, here, goals, banned)
        for node in path[1:]:
            goals.visit(node)
        walk += [(n, None) for n in path[1:]]
        if edge is not None:
            goals.take(path[-1], *edge)
            goals.visit(edge[0])
            walk.append(edge)
        here = walk[-1][0] if walk else here
    if here != start or not walk:
        walk += _back(graph, nodes, here, start, stuttering, banned)
    return walk


class _Goals:
    """What a fair walk still has to meet. A goal is met by visiting one of its nodes or by
    taking one of its edges (u, v, class)."""

    def __init__(self) -> None:
        self.open: set[int] = set()
        self._count = 0
        self._at_node: dict[int, list[int]] = {}
        self._from: dict[int, list[tuple[int, Hashable, int]]] = {}

    def add(self, nodes: Iterable[int], edges: Iterable[tuple[int, int, Hashable]]) -> None:
        self._count += 1
        goal = self._count
        self.open.add(goal)
        for n in nodes:
            self._at_node.setdefault(n, []).append(goal)
        for u, v, c in edges:
            self._from.setdefault(u, []).append((v, c, goal))

    def met_at(self, node: int) -> bool:
        return any(g in self.open for g in self._at_node.get(node, ()))

    def edge_from(self, node: int) -> WalkStep | None:
        return next(((v, c) for v, c, g in self._from.get(node, ()) if g in self.open), None)

    def visit(self, node: int) -> None:
        for g in self._at_node.get(node, ()):
            self.open.discard(g)

    def take(self, u: int, v: int, fairness: Hashable | None) -> None:
        for w, c, g in self._from.get(u, ()):
            if w == v and c == fairness:
                self.open.discard(g)


def shortest_path(graph: nx.DiGraph, sources: Iterable[int], targets: Collection[int],
                  allowed: Collection[int] | None = None,
                  banned: Collection[tuple[int, int]] = ()) -> list[int] | None:
    """A shortest path (as nodes) from any source to any target, through allowed nodes only
    (all nodes when None) and not along banned edges; None when there is none."""
    parent: dict[int, int | None] = {}
    queue: deque[int] = deque()
    for s in sources:
        if s not in parent and (allowed is None or s in allowed):
            parent[s] = None
            queue.append(s)
    while queue:
        node = queue.popleft()
        if node in targets:
            path = [node]
            while parent[path[-1]] is not None:
                path.append(parent[path[-1]])  # type: ignore[arg-type]
            return path[::-1]
        for nxt in graph.successors(node):
            if nxt not in parent and (allowed is None or nxt in allowed) and (
                    not banned or (node, nxt) not in banned):
                parent[nxt] = node
                queue.append(nxt)
    return None


def reaching(graph: nx.DiGraph, targets: Iterable[int], allowed: Collection[int]) -> set[int]:
    """The allowed nodes from which a path through allowed nodes leads to a target."""
    found = {t for t in targets if t in allowed}
    queue = deque(found)
    while queue:
        node = queue.popleft()
        for prev in graph.predecessors(node):
            if prev not in found and prev in allowed:
                found.add(prev)
                queue.append(prev)
    return found


def _taken(graph: nx.DiGraph, nodes: frozenset[int],
           banned: Collection[tuple[int, int]]) -> frozenset[Hashable]:
    taken: set[Hashable] = set()
    for u in nodes:
        for v in graph.adj[u]:
            if v in nodes and (u, v) not in banned:
                taken |= edge_classes(graph, u, v, nodes)
    return frozenset(taken)


def edge_classes(graph: nx.DiGraph, u: int, v: int, nodes: frozenset[int]) -> frozenset:
    """The fairness classes a cycle inside nodes takes along the edge u -> v: those of the
    actions that are not draws, and those of the draws whose outcomes all stay in nodes (a
    cycle that took a draw with an outcome outside would leave, sooner or later)."""
    classes = graph.edges[u, v]["classes"]
    draws = graph.nodes[u].get("draws")
    if not draws:
        return classes
    extra = {c for outcomes, c in draws if c is not None and v in outcomes and outcomes <= nodes}
    return classes | extra if extra else classes


def _nearest(graph: nx.DiGraph, nodes: frozenset[int], here: int, goals: _Goals,
             banned: Collection[tuple[int, int]]) -> tuple[list[int], WalkStep | None]:
    """Breadth-first from here inside nodes to the first node that meets a goal (by being a
    goal node, or by being the source of a goal edge); the path there and the goal edge."""
    parent: dict[int, int | None] = {here: None}
    queue = deque([here])
    while queue:
        node = queue.popleft()
        met = node != here and goals.met_at(node)
        hit = None if met else goals.edge_from(node)
        if met or hit is not None:
            path = [node]
            while parent[path[-1]] is not None:
                path.append(parent[path[-1]])  # type: ignore[arg-type]
            return path[::-1], hit
        for nxt in graph.successors(node):
            if nxt in nodes and nxt not in parent and (node, nxt) not in banned:
                parent[nxt] = node
                queue.append(nxt)
    raise AssertionError("a goal of a fair component is out of reach inside it")


def _back(graph: nx.DiGraph, nodes: frozenset[int], here: int, start: int,
          stuttering: bool, banned: Collection[tuple[int, int]]) -> list[WalkStep]:
    """Steps from here back to start inside nodes, at least one."""
    if here == start and graph.has_edge(start, start) and (start, start) not in banned:
        return [(start, None)]
    firsts = [n for n in graph.successors(here) if n in nodes and (here, n) not in banned]
    path = shortest_path(graph, firsts, {start}, nodes, banned) if firsts else None
    if path is None:
        if here == start and stuttering:
            return [(start, STUTTER)]
        raise AssertionError("no way back to the start of the cycle")
    return [(n, None) for n in path]
