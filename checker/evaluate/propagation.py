"""Follow each dataset along the flows that carry it, without enumerating paths.

A breadth-first search per dataset whose state is (system, approvals seen on the way). Only
approvals that cover the dataset or an ancestor are tracked, and a state is dropped when the
system was already reached with a subset of its approvals: fewer approvals can only leave more
uncovered, so the smaller set is the one that can still reveal a violation. Cost is linear in
the flows that carry the dataset (times the few approval sets that matter); rings terminate.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator

from checker.model import Flow

State = tuple[str, frozenset]  # (system id, ids of tracked approvals listed on the path)
Crossing = tuple[
    Flow, frozenset, State | None
]  # a flow, the approvals seen once across it, where it came from


class Reach:
    """Where one dataset goes: `crossings()` yields every flow crossing in breadth-first order,
    once, and leaves behind only the way back (`previous`, `systems`, `roots`) that paths are read
    from. A second walk would find every system reached already and yield nothing, so it is an error.

    `flows` are the flows that carry the dataset, in id order; `prefer` says at which systems of a
    ring nothing leads into the data starts (where it was collected or its parent data was)."""

    def __init__(
        self,
        dataset: str,
        flows: list[Flow],
        tracked: frozenset,
        came_with: dict[str, Reach],
        prefer: Callable[[str], bool],
    ):
        self.dataset = dataset
        self.tracked = tracked
        self.came_with = (
            came_with  # root system -> Reach of the parent dataset that brought the data there
        )
        self.previous: dict[State, tuple[State, Flow] | None] = {}
        self.systems: dict[str, list[frozenset]] = {}
        outgoing: dict[str, list[Flow]] = {}
        for flow in flows:
            outgoing.setdefault(flow.source, []).append(flow)
        targets = {flow.target for flow in flows}
        self.roots = [source for source in sorted(outgoing) if source not in targets]
        # the walk holds the flows, not the Reach: they are let go when it ends
        self._walk: Iterator[Crossing] | None = self._breadth_first(outgoing, prefer)

    def crossings(self) -> Iterator[Crossing]:
        walk, self._walk = self._walk, None
        if walk is None:
            raise RuntimeError(f"the flows carrying {self.dataset} were walked already")
        return walk

    def _breadth_first(
        self, outgoing: dict[str, list[Flow]], prefer: Callable[[str], bool]
    ) -> Iterator[Crossing]:
        """From the systems no flow of the dataset leads into; if that leaves flows uncrossed (a
        ring nothing leads into), on from every preferred system of such rings, then from every
        system still not reached (fail closed): no flow is left out, and naming never matters."""
        tracked, systems, previous = self.tracked, self.systems, self.previous
        queue: deque[State] = deque(self._start(self.roots))
        while True:
            while queue:
                state = queue.popleft()
                for flow in outgoing.get(state[0], ()):
                    seen = state[1]
                    if tracked and flow.approvals and not tracked.isdisjoint(flow.approvals):
                        seen = seen.union(tracked.intersection(flow.approvals))
                    yield flow, seen, state
                    reached = systems.get(flow.target)
                    if reached is None:
                        systems[flow.target] = [seen]
                    elif any(earlier <= seen for earlier in reached):
                        continue
                    else:
                        reached.append(seen)
                    after = (flow.target, seen)
                    previous[after] = (state, flow)
                    queue.append(after)
            unreached = sorted(outgoing.keys() - systems.keys())
            if not unreached:
                return
            entries = [system for system in unreached if prefer(system)] or unreached
            self.roots += entries
            queue.extend(self._start(entries))

    def _start(self, systems: list[str]) -> list[State]:
        for system in systems:
            self.previous[(system, _NOTHING)] = None
            self.systems[system] = [_NOTHING]
        return [(system, _NOTHING) for system in systems]

    def path_to(self, state: State) -> tuple[str, ...]:
        """Systems from where the data started (through its lineage) to `state`'s system; a loop
        over the parents' reaches rather than recursion, however deep the lineage."""
        backwards: list[str] = []
        reach = self
        at: State | None = state  # walked back to the start, where it becomes None
        while True:
            while at is not None:
                if (
                    not backwards or backwards[-1] != at[0]
                ):  # a parent's path ends where ours starts
                    backwards.append(at[0])
                step = reach.previous[at]
                at = step[0] if step else None
            root = backwards[-1]
            parent = reach.came_with.get(root)
            if parent is None:
                return tuple(reversed(backwards))
            reach, at = parent, (root, parent.systems[root][0])

    def first_path(self, system: str) -> tuple[str, ...]:
        return self.path_to((system, self.systems[system][0]))


_NOTHING: frozenset = frozenset()
