"""A spec's data flows laid out by dlc itself and drawn as SVG (for the HTML report).

Systems are boxes grouped by country, countries are placed in columns by how far downstream they
are (their distance along the flows from a country nothing flows into), and each column is
ordered after the columns before it, so most arrows run left to right; arrows pass under the
boxes, so every name stays readable. Past
MAX_SYSTEMS systems one box per system is unreadable: the diagram then shows one box per country
and one arrow per pair of countries, with the number of flows it stands for. Same spec, same
picture: every order is fixed and every coordinate an integer.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from html import escape

from checker.text import clean, plural

MAX_SYSTEMS = 50
NODE_W, COLUMN_GAP, ROW_GAP, GROUP_GAP, PAD, HEAD, MARGIN = 200, 120, 10, 18, 10, 26, 12
CHAR_W = 7  # about the width of a 12 px sans-serif character, to shorten long labels
GREY, RED = "#4b5563", "#b91c1c"


@dataclass
class Node:
    key: str
    lines: list[str]  # the label, one or two lines
    tip: str  # the full name, shown on hover
    bad: bool
    x: int = 0
    y: int = 0
    height: int = 34


@dataclass
class Group:
    label: str
    members: list[str]  # node keys
    boxed: bool  # a country box around its systems (not in the per-country summary)
    x: int = 0
    y: int = 0
    width: int = 0
    height: int = 0


@dataclass
class Edge:
    source: str
    target: str
    tip: str
    bad: bool
    weight: float = 1.5
    label: str = ""  # written at the arrow's middle (the per-country summary's counts)


@dataclass
class Diagram:
    caption: str
    nodes: dict[str, Node]
    groups: list[Group]
    edges: list[Edge]
    table_noun: str  # what one row of the text alternative is ("flow", "country pair")
    table_columns: tuple[str, ...]
    rows: Sequence[tuple[str, ...]] = field(default_factory=list)
    width: int = 0
    height: int = 0

    def svg(self, ident: str) -> str:
        out = [
            f'<svg id="{ident}" class="diagram" role="img" aria-labelledby="{ident}-t {ident}-d" '
            f'width="{self.width}" height="{self.height}" viewBox="0 0 {self.width} {self.height}" '
            'font-family="system-ui,sans-serif" font-size="12">',
            f'<title id="{ident}-t">Data flows</title>',
            f'<desc id="{ident}-d">{_e(self.caption)}</desc>',
            "<defs>",
            *[
                f'<marker id="{ident}-{name}" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="10" '
                f'markerHeight="10" markerUnits="userSpaceOnUse" orient="auto"><path d="M0,0L10,5L0,10z" fill="{color}"/></marker>'
                for name, color in (("arrow", GREY), ("arrow-bad", RED))
            ],
            "</defs>",
        ]
        for group in self.groups:
            if group.boxed:
                out += [
                    f'<g class="country"><rect x="{group.x}" y="{group.y}" width="{group.width}" '
                    f'height="{group.height}" rx="6" fill="#f1f5f9" stroke="#94a3b8"/>',
                    f'<text x="{group.x + PAD}" y="{group.y + 17}" font-weight="600" fill="#1e293b">'
                    f"{_e(_fit(group.label, group.width - 2 * PAD))}</text></g>",
                ]
        curves = self._curves()
        for edge in sorted(
            self.edges, key=lambda e: e.bad
        ):  # violating flows over the others, under the boxes
            color, marker = (RED, "arrow-bad") if edge.bad else (GREY, "arrow")
            curve, (x, y) = curves[id(edge)]
            out.append(
                f'<path class="flow{" bad" if edge.bad else ""}" d="{curve}" fill="none" '
                f'stroke="{color}" stroke-width="{edge.weight:g}" stroke-opacity="{1 if edge.bad else 0.7}" '
                f'marker-end="url(#{ident}-{marker})"><title>{_e(edge.tip)}</title></path>'
            )
            if edge.label:
                out.append(
                    f'<text x="{x}" y="{y - 6}" text-anchor="middle" fill="{color}" stroke="#fff" '
                    f'stroke-width="4" paint-order="stroke">{_e(edge.label)}</text>'
                )
        for node in self.nodes.values():
            stroke, fill, width = (RED, "#fef2f2", 2.5) if node.bad else (GREY, "#ffffff", 1)
            out.append(
                f'<g class="node{" bad" if node.bad else ""}" data-id="{_e(node.key)}"><title>{_e(node.tip)}</title>'
                f'<rect x="{node.x}" y="{node.y}" width="{NODE_W}" height="{node.height}" rx="4" '
                f'fill="{fill}" stroke="{stroke}" stroke-width="{width}"/>'
            )
            for i, line in enumerate(node.lines):
                out.append(
                    f'<text x="{node.x + 8}" y="{node.y + 21 + 16 * i}" fill="#111827">'
                    f"{_e(_fit(line, NODE_W - 16))}</text>"
                )
            out.append("</g>")
        return "\n".join(out + ["</svg>"])

    def _curves(self) -> dict[int, tuple[str, tuple[int, int]]]:
        """Each edge (by id) as a cubic curve, and the curve's middle, from side to side: rightwards into the left side of a
        later column, round the right side within a column, leftwards into the right side of an
        earlier one. The ends meeting one side of a node are spread along it, in the order of
        where their other ends are, so arrows neither share a point nor cross there."""
        ends: dict[
            tuple[str, str], list[tuple[int, int, int]]
        ] = {}  # (node, side) -> (other y, edge, end)
        sides = {}
        for number, edge in enumerate(self.edges):
            a, b = self.nodes[edge.source], self.nodes[edge.target]
            start, end = (
                ("right", "left")
                if b.x > a.x
                else ("right", "right")
                if b.x == a.x
                else ("left", "right")
            )
            sides[number] = (start, end)
            ends.setdefault((edge.source, start), []).append((b.y, number, 0))
            ends.setdefault((edge.target, end), []).append((a.y, number, 1))
        points: dict[tuple[int, int], tuple[int, int]] = {}
        for (key, side), attached in ends.items():
            node = self.nodes[key]
            x = node.x + (NODE_W if side == "right" else 0)
            for slot, (_, number, tip) in enumerate(sorted(attached)):
                points[number, tip] = (x, node.y + (slot + 1) * node.height // (len(attached) + 1))
        curves = {}
        for number, edge in enumerate(self.edges):
            (sx, sy), (ex, ey) = points[number, 0], points[number, 1]
            start, end = sides[number]
            if start == end:  # within a column: out and back round the right
                bend = 40 + min(abs(ey - sy) // 4, COLUMN_GAP - 50)
                c1, c2 = sx + bend, ex + bend
            else:
                bend = max(40, abs(ex - sx) // 2) * (1 if start == "right" else -1)
                c1, c2 = sx + bend, ex - bend
            middle = ((sx + 3 * c1 + 3 * c2 + ex) // 8, (sy + ey) // 2)
            curves[id(edge)] = (f"M{sx},{sy}C{c1},{sy} {c2},{ey} {ex},{ey}", middle)
        return curves


def layout(
    spec,
    countries: dict[str, str],
    bad_flows: set[str],
    bad_systems: set[str],
    country_name=lambda code: code,
) -> Diagram:
    """The diagram of `spec`: one box per system up to MAX_SYSTEMS, else one per country."""
    systems: dict[str, None] = {}
    for system_id in [s.id for s in spec.systems] + [
        e for f in spec.flows for e in (f.source, f.target)
    ]:
        systems.setdefault(system_id)
    country = {s: countries.get(s) or "unknown" for s in systems}
    named = {
        code: code if code == "unknown" else f"{code} · {country_name(code)}"
        for code in set(country.values())
    }
    if len(systems) <= MAX_SYSTEMS:
        diagram = _by_system(spec, list(systems), country, named, bad_flows, bad_systems)
    else:
        diagram = _by_country(spec, list(systems), country, named, bad_flows, bad_systems)
    _place(diagram)
    return diagram


def _by_system(spec, systems, country, named, bad_flows, bad_systems) -> Diagram:
    nodes = {s: Node(s, [s], f"{s} ({named[country[s]]})", s in bad_systems) for s in systems}
    pairs: dict[tuple[str, str], list] = {}
    for flow in spec.flows:
        pairs.setdefault((flow.source, flow.target), []).append(flow)
    edges = [
        Edge(
            a,
            b,
            f"{_names([f.id for f in flows])}: {a} → {b}",
            any(f.id in bad_flows for f in flows),
        )
        for (a, b), flows in pairs.items()
    ]
    groups = [
        Group(named[code], members, boxed=True)
        for code, members in _grouped(systems, country).items()
    ]
    bad = sum(f.id in bad_flows for f in spec.flows)
    rows = [
        (
            f.id,
            f"{f.source} ({country[f.source]})",
            f"{f.target} ({country[f.target]})",
            "violation" if f.id in bad_flows else "",
        )
        for f in spec.flows
    ]
    caption = (
        f"{plural(len(systems), 'system')} in {plural(len(groups), 'country', 'countries')}, "
        f"{plural(len(spec.flows), 'flow')} ({bad} with a violation)."
    )
    return Diagram(caption, nodes, groups, edges, "flow", ("Flow", "From", "To", "Finding"), rows)


def _by_country(spec, systems, country, named, bad_flows, bad_systems) -> Diagram:
    members = _grouped(systems, country)
    inner: dict[str, int] = {}  # country -> flows within it
    inner_bad: set[str] = set()  # countries with a violating flow within them
    pairs: dict[tuple[str, str], list[int]] = {}  # (from, to) -> [flows, violating flows]
    for flow in spec.flows:
        a, b = country[flow.source], country[flow.target]
        if a == b:
            inner[a] = inner.get(a, 0) + 1
            if flow.id in bad_flows:
                inner_bad.add(a)
            continue
        counts = pairs.setdefault((a, b), [0, 0])
        counts[0] += 1
        counts[1] += flow.id in bad_flows
    nodes = {}
    for code, ids in members.items():
        bad = code in inner_bad or any(s in bad_systems for s in ids)
        nodes[code] = Node(
            code,
            [
                named[code],
                f"{plural(len(ids), 'system')}, {plural(inner.get(code, 0), 'flow')} within",
            ],
            f"{named[code]}: {plural(len(ids), 'system')}, {plural(inner.get(code, 0), 'flow')} "
            "within the country",
            bad,
            height=48,
        )
    edges = [
        Edge(
            a,
            b,
            f"{named[a]} → {named[b]}: {plural(n, 'flow')}, {violating:,} with a violation",
            violating > 0,
            round(1.5 + min(4.5, math.log10(n) * 1.5), 1),
            plural(n, "flow") + (f", {violating:,} violating" if violating else ""),
        )
        for (a, b), (n, violating) in pairs.items()
    ]
    groups = [Group(named[code], [code], boxed=False) for code in members]
    rows = [
        (named[a], named[b], f"{n:,}", f"{violating:,}")
        for (a, b), (n, violating) in sorted(pairs.items())
    ]
    caption = (
        f"{plural(len(systems), 'system')} are too many to draw one by one (more than {MAX_SYSTEMS}): "
        f"each box is one of {plural(len(members), 'country', 'countries')}, each arrow all the flows "
        "from one country to another, drawn wider the more there are; "
        f"{plural(len(spec.flows), 'flow')} in all, {sum(v for _, v in pairs.values()):,} across a border "
        "with a violation."
    )
    return Diagram(
        caption,
        nodes,
        groups,
        edges,
        "country pair",
        ("From", "To", "Flows", "With a violation"),
        rows,
    )


def _grouped(systems: list[str], country: dict[str, str]) -> dict[str, list[str]]:
    groups: dict[str, list[str]] = {}
    for system_id in systems:
        groups.setdefault(country[system_id], []).append(system_id)
    return dict(sorted(groups.items()))


def _place(diagram: Diagram) -> None:
    """Columns of groups by downstream depth; within a column, groups in the order of where their
    upstream groups sit (a barycentre), members by their own depth."""
    group_of = {key: i for i, group in enumerate(diagram.groups) for key in group.members}
    node_rank = _ranks(list(diagram.nodes), {(e.source, e.target) for e in diagram.edges})
    group_edges = {(group_of[e.source], group_of[e.target]) for e in diagram.edges}
    group_rank = _ranks(list(range(len(diagram.groups))), group_edges)
    columns: dict[int, list[int]] = {}
    for index in range(len(diagram.groups)):
        columns.setdefault(group_rank[index], []).append(index)
    centre: dict[int, float] = {}
    height = 0
    for column_number, rank in enumerate(sorted(columns)):

        def upstream(index: int) -> float:
            ys = [centre[a] for a, b in group_edges if b == index and a in centre]
            return sum(ys) / len(ys) if ys else math.inf

        y = MARGIN
        for index in sorted(columns[rank], key=lambda i: (upstream(i), diagram.groups[i].label)):
            group = diagram.groups[index]
            group.members.sort(key=lambda key: node_rank[key])  # stable: spec order within a depth
            inset = PAD if group.boxed else 0
            group.x, group.y = MARGIN + column_number * (NODE_W + 2 * PAD + COLUMN_GAP), y
            node_y = y + (HEAD if group.boxed else 0)
            for key in group.members:
                node = diagram.nodes[key]
                node.x, node.y = group.x + inset, node_y
                node_y += node.height + ROW_GAP
            group.width = NODE_W + 2 * inset
            group.height = node_y - ROW_GAP - y + inset
            centre[index] = y + group.height / 2
            y += group.height + GROUP_GAP
        height = max(height, y - GROUP_GAP + MARGIN)
    diagram.width = MARGIN * 2 + max(1, len(columns)) * (NODE_W + 2 * PAD + COLUMN_GAP) - COLUMN_GAP
    diagram.height = max(height, 2 * MARGIN)


def _ranks(keys: list, edges: set[tuple]) -> dict:
    """Each key's depth: its distance along `edges` from the nearest source (a key nothing flows
    into). Where a cycle leaves no source, the key that sends the most more than it receives is
    taken as one. Shallower than the longest path, so dense, cyclic flows do not spread over a
    row of columns."""
    successors: dict = {key: [] for key in keys}
    incoming = dict.fromkeys(keys, 0)
    for a, b in edges:
        if a != b:
            successors[a].append(b)
            incoming[b] += 1
    position = {key: i for i, key in enumerate(keys)}
    for following in successors.values():
        following.sort(key=position.__getitem__)
    rank: dict = {}
    frontier = [key for key in keys if not incoming[key]]
    while len(rank) < len(keys):
        if not frontier:
            left = [key for key in keys if key not in rank]
            frontier = [max(left, key=lambda k: (len(successors[k]) - incoming[k], -position[k]))]
        for key in frontier:
            rank.setdefault(key, 0)
        while frontier:
            reached = []
            for key in frontier:
                for following in successors[key]:
                    if following not in rank:
                        rank[following] = rank[key] + 1
                        reached.append(following)
            frontier = reached
    return rank


def _names(ids: list[str], shown: int = 5) -> str:
    head = ", ".join(ids[:shown])
    return head + (f" and {len(ids) - shown} more" if len(ids) > shown else "")


def _fit(text: str, width: int) -> str:
    most = max(4, width // CHAR_W)
    return text if len(text) <= most else text[: most - 1] + "…"


def _e(text: object) -> str:
    return escape(clean(text))
