"""Follow each dataset along the flows that carry it, without enumerating paths.

A breadth-first search per dataset whose state is (system, approvals seen on the way). Only
approvals that cover the dataset or an ancestor are tracked, and a state is dropped when the
system was already reached with a subset of its approvals: fewer approvals can only leave more
uncovered, so the smaller set is the one that can still reveal a violation. Cost is linear in
the flows that carry the dataset (times the few approval sets that matter); rings terminate.
"""

from __future__ import annotations

from collections import deque
from typing import Callable, Iterator

from checker.model import Flow

State = tuple[str, frozenset]   # (system id, ids of tracked approvals listed on the path)
Crossing = tuple[Flow, frozenset, State]   # a flow, the approvals seen once across it, where it came from


class Reach:
    """Where one dataset goes; `crossings()` yields every flow crossing in breadth-first order.

    `flows` are the flows that carry the dataset, in id order; `prefer` says which systems of a
    ring nothing leads into the data starts at (see _roots)."""

    def __init__(self, dataset: str, flows: list[Flow], tracked: frozenset, came_with: dict[str, "Reach"],
                 prefer: Callable[[str], bool]):
        self.dataset = dataset
        self.tracked = tracked
        self.came_with = came_with        # root system -> Reach of the parent dataset that brought the data there
        self.previous: dict[State, tuple[State, Flow] | None] = {}
        self.systems: dict[str, list[frozenset]] = {}
        self.outgoing: dict[str, list[Flow]] = {}
        for flow in flows:
            self.outgoing.setdefault(flow.source, []).append(flow)
        self.roots = _roots(self.outgoing, {flow.target for flow in flows}, prefer)

    def crossings(self) -> Iterator[Crossing]:
        outgoing, tracked = self.outgoing, self.tracked
        queue: deque[State] = deque()
        for root in self.roots:
            state = (root, frozenset())
            self.previous[state] = None
            self.systems[root] = [state[1]]
            queue.append(state)
        while queue:
            state = queue.popleft()
            for flow in outgoing.get(state[0], ()):
                seen = state[1] | (tracked & frozenset(flow.approvals)) if tracked else state[1]
                yield flow, seen, state
                reached = self.systems.setdefault(flow.target, [])
                if any(earlier <= seen for earlier in reached):
                    continue
                reached.append(seen)
                after = (flow.target, seen)
                self.previous[after] = (state, flow)
                queue.append(after)
        self.outgoing = {}   # walked: only the way back is kept

    def path_to(self, state: State) -> tuple[str, ...]:
        """Systems from where the data started (through its lineage) to `state`'s system; a loop
        over the parents' reaches rather than recursion, however deep the lineage."""
        backwards: list[str] = []
        reach = self
        while True:
            while state is not None:
                if not backwards or backwards[-1] != state[0]:   # a parent's path ends where ours starts
                    backwards.append(state[0])
                step = reach.previous[state]
                state = step[0] if step else None
            root = backwards[-1]
            parent = reach.came_with.get(root)
            if parent is None:
                return tuple(reversed(backwards))
            reach, state = parent, (root, parent.systems[root][0])

    def first_path(self, system: str) -> tuple[str, ...]:
        return self.path_to((system, self.systems[system][0]))


def _roots(outgoing: dict[str, list[Flow]], targets: set[str], prefer: Callable[[str], bool]) -> list[str]:
    """Where the data starts: systems no flow of it leads into; then, for rings nothing leads into,
    every preferred system in them (where the data was collected or its parent data was), else
    every system of the ring (fail closed). No flow is left unreachable."""
    sources = sorted(outgoing)
    roots = [s for s in sources if s not in targets]
    if len(roots) == len(sources):
        return roots      # no source is also a target: nothing can be left unreached
    reached: set[str] = set()

    def visit(start: str) -> None:
        stack = [start]
        while stack:
            node = stack.pop()
            if node not in reached:
                reached.add(node)
                stack.extend(flow.target for flow in outgoing.get(node, ()))

    for root in roots:
        visit(root)
    entries = [s for s in sources if s not in reached and prefer(s)]   # every one: naming must not matter
    for entry in entries:
        visit(entry)
    return roots + entries + [s for s in sources if s not in reached]
