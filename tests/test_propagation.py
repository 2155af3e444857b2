"""A dataset's walk along its flows (evaluate/propagation.py): once, and what it leaves behind."""

from __future__ import annotations

import pytest

from checker.evaluate.propagation import Reach
from checker.load.validation import validate
from checker.model import Flow


def _flow(ident: str, source: str, target: str, approvals: tuple[str, ...] = ()) -> Flow:
    return validate(
        Flow,
        {
            "id": ident,
            "from": source,
            "to": target,
            "datasets": ["d"],
            "approvals": list(approvals),
        },
    )


def _reach() -> Reach:
    flows = [
        _flow("a", "cn", "hk", ("sc",)),
        _flow("b", "hk", "us"),
        _flow("ring1", "de", "fr"),
        _flow("ring2", "fr", "de"),
    ]
    return Reach("d", flows, frozenset({"sc"}), {}, lambda system: system == "fr")


def test_a_walk_yields_every_crossing_once_then_keeps_only_the_way_back():
    reach = _reach()
    crossings = [
        (flow.id, sorted(seen), came_from[0]) for flow, seen, came_from in reach.crossings()
    ]
    assert crossings == [
        ("a", ["sc"], "cn"),
        ("b", ["sc"], "hk"),
        ("ring2", [], "fr"),
        ("ring1", [], "de"),
    ]
    assert reach.roots == ["cn", "fr"]  # the ring nothing leads into starts where `prefer` says
    assert reach.first_path("us") == ("cn", "hk", "us")
    assert reach.first_path("de") == ("fr", "de")


def test_a_second_walk_is_an_error_not_an_empty_one():
    reach = _reach()
    assert len(list(reach.crossings())) == 4
    with pytest.raises(RuntimeError, match="flows carrying d were walked already"):
        reach.crossings()
