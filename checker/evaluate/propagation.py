"""Follow each dataset along the flows that carry it, without enumerating paths.

A breadth-first search per dataset whose state is (system, approvals seen on the way). Only
approvals that cover the dataset or an ancestor are tracked, and a state is dropped when the
system was already reached with a subset of its approvals: fewer approvals can only leave more
uncovered, so the smaller set is the one that can still reveal a violation. Cost is linear in
the flows that carry the dataset (times the few approval sets that matter); rings terminate.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from checker.model import Flow

State = tuple[str, frozenset]   # (system id, ids of tracked approvals listed on the path)


@dataclass(slots=True)
class Arrival:
    """The dataset crossing one flow, with the approvals listed on the way there."""

    flow: Flow
    approvals: frozenset
    came_from: State
    reach: "Reach"

    def path(self) -> tuple[str, ...]:
        return (*self.reach.path_to(self.came_from), self.flow.target)

    @property
    def hops(self) -> int:
        return len(self.path()) - 1


class Reach:
    """Where one dataset goes; `arrivals()` yields every flow crossing in breadth-first order."""

    def __init__(self, dataset: str, flows: list[Flow], tracked: frozenset, came_with: dict[str, "Reach"],
                 preferred: frozenset):
        self.dataset = dataset
        self.flows = flows
        self.tracked = tracked
        self.came_with = came_with        # root system -> Reach of the parent dataset that brought the data there
        self.previous: dict[State, tuple[State, Flow] | None] = {}
        self.systems: dict[str, list[frozenset]] = {}
        self.roots = _roots(flows, preferred)

    def arrivals(self):
        outgoing: dict[str, list[Flow]] = {}
        for flow in sorted(self.flows, key=lambda f: f.id):
            outgoing.setdefault(flow.source, []).append(flow)
        queue: deque[State] = deque()
        for root in self.roots:
            state = (root, frozenset())
            self.previous[state] = None
            self.systems[root] = [state[1]]
            queue.append(state)
        tracked = self.tracked
        while queue:
            state = queue.popleft()
            for flow in outgoing.get(state[0], ()):
                seen = state[1] | (tracked & frozenset(flow.approvals)) if tracked else state[1]
                yield Arrival(flow, seen, state, self)
                reached = self.systems.setdefault(flow.target, [])
                if any(earlier <= seen for earlier in reached):
                    continue
                reached.append(seen)
                after = (flow.target, seen)
                self.previous[after] = (state, flow)
                queue.append(after)

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


def _roots(flows: list[Flow], preferred: frozenset) -> list[str]:
    """Where the data starts: systems no flow of it leads into; then, for rings nothing leads into,
    every `preferred` system in them (where the data was collected or its parent data was), else
    every system of the ring (fail closed). No flow is left unreachable."""
    outgoing: dict[str, list[str]] = {}
    for flow in flows:
        outgoing.setdefault(flow.source, []).append(flow.target)
    targets = {flow.target for flow in flows}
    sources = sorted(outgoing)
    reached: set[str] = set()

    def visit(start: str) -> None:
        stack = [start]
        while stack:
            node = stack.pop()
            if node not in reached:
                reached.add(node)
                stack.extend(outgoing.get(node, ()))

    roots = [s for s in sources if s not in targets]
    for root in roots:
        visit(root)
    entries = [s for s in sources if s not in reached and s in preferred]   # every one: naming must not matter
    for entry in entries:
        visit(entry)
    return roots + entries + [s for s in sources if s not in reached]
