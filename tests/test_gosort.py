"""kubectl --sort-by sorts with Go's sort.Sort, which is not stable: rows whose keys tie come out in an
order of its own. golden/gosort/orders.json holds the orders kubectl v1.32.4 (go1.23.8) printed for
`kubectl get events -o name --sort-by=.count`, served lists of events named e0000... in order whose
counts are (i * 7919 + 13) % 101 % distinct, by /work/shared/tools/fakeapi.py."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kjob.gosort import go_sort
from kjob.printers import sort_objects

GOLDEN = json.loads((Path(__file__).parent / "golden" / "gosort" / "orders.json").read_text())["orders"]


def _counts(n: int, distinct: int) -> list[int]:
    return [(i * 7919 + 13) % 101 % distinct for i in range(n)]


@pytest.mark.parametrize("case", sorted(GOLDEN))
def test_ties_come_out_in_the_order_kubectl_prints_them(case: str) -> None:
    n, distinct = map(int, case.split("/"))
    counts = _counts(n, distinct)
    order = go_sort(list(range(n)), lambda i, j: counts[i] < counts[j])
    assert order == GOLDEN[case]
    assert [counts[i] for i in order] == sorted(counts)


def test_sort_by_orders_events_as_kubectl_does() -> None:
    counts = _counts(100, 3)
    events = [{"kind": "Event", "metadata": {"name": f"e{i:04d}"}, "count": c} for i, c in enumerate(counts)]
    names = [e["metadata"]["name"] for e in sort_objects(events, ".count")]
    assert names == [f"e{i:04d}" for i in GOLDEN["100/3"]]
    # More than twelve rows with ties: a stable sort would keep e0001 before e0004, both of count 0.
    assert names != [e["metadata"]["name"] for e in sorted(events, key=lambda e: e["count"])]


def test_any_input_comes_out_sorted_with_every_element_once() -> None:
    """Runs, reversed runs and many ties (pdqsort's pattern breaking, its partition of equal keys):
    sorted, and every element once."""
    keys = [(i * i * 31) % 17 for i in range(500)] + list(range(500, 0, -1))
    order = go_sort(list(range(len(keys))), lambda i, j: keys[i] < keys[j])
    assert sorted(order) == list(range(len(keys)))
    assert [keys[i] for i in order] == sorted(keys)
