"""The event recorder's correlator: similar events combined after ten, a burst of 25 events per source
and object, then one every five minutes (client-go tools/record/events_cache.go)."""

from __future__ import annotations

import time
from pathlib import Path

from kjob.recorder import AGGREGATE_INTERVAL, COMBINED, SPAM_BURST, Correlator
from kjob.store import Store
from kjob.worker import Worker

GROUP = ("job-controller", "", "Job", "default", "j", "uid-1", "batch/v1", "Normal", "SuccessfulCreate")


def test_the_tenth_similar_message_and_every_later_one_are_combined() -> None:
    correlator = Correlator()
    seen = [correlator.aggregate(GROUP, f"Created pod: p{i}", 100.0) for i in range(12)]
    assert seen[:9] == [None] * 9
    assert seen[9:] == [f"{COMBINED}Created pod: p{i}" for i in (9, 10, 11)]
    # The same message again is no new member of the group; another group starts afresh.
    assert correlator.aggregate((*GROUP[:-1], "SuccessfulDelete"), "Deleted pod: p0", 100.0) is None
    # Ten minutes without one: the group starts over.
    assert correlator.aggregate(GROUP, "Created pod: p12", 100.0 + AGGREGATE_INTERVAL + 1) is None


def test_a_source_may_burst_25_events_about_an_object_then_one_each_five_minutes() -> None:
    correlator = Correlator()
    key = ("kubelet", "node", "Pod", "default", "p", "uid-2", "v1")
    assert [correlator.allow(key, 10.0) for _ in range(SPAM_BURST)] == [True] * SPAM_BURST
    assert not correlator.allow(key, 10.0)
    assert correlator.allow(("kubelet", "node", "Pod", "default", "q", "uid-3", "v1"), 10.0)  # per object
    assert not correlator.allow(key, 10.0 + 299)
    assert correlator.allow(key, 10.0 + 301)
    assert not correlator.allow(key, 10.0 + 302)


def test_a_job_creating_many_pods_records_what_a_cluster_would(tmp_path: Path) -> None:
    """Nine events of their own, then one combined event counting the rest, until the object's burst
    of 25 is spent; what the spam filter drops still counts once an event gets through again."""
    store = Store(tmp_path)
    worker = Worker(store)
    job = {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": "j", "namespace": "default", "uid": "uid-1"},
    }

    def record(i: int, now: float) -> None:
        with store.lock(), store.cached():
            worker.record_event(
                job, "Normal", "SuccessfulCreate", f"Created pod: p{i}", "job-controller", now
            )

    start = time.time()  # an event stamped over an hour ago has expired (the store's EVENT_TTL)
    for i in range(30):
        record(i, start)
    events = sorted(store.list("events"), key=lambda e: e["metadata"]["name"])
    assert [e["message"] for e in events[:9]] == [f"Created pod: p{i}" for i in range(9)]
    assert all(e["count"] == 1 for e in events[:9])
    assert len(events) == 10
    combined = events[9]
    assert combined["message"] == f"{COMBINED}Created pod: p24"  # the 25th event, the last let through
    assert combined["count"] == 16
    record(30, start + 301)
    combined = store.must_get("events", "default", combined["metadata"]["name"])
    assert combined["message"] == f"{COMBINED}Created pod: p30"
    assert combined["count"] == 16 + 5 + 1  # the five dropped ones, and this one
    assert len(store.list("events")) == 10


def test_the_caches_forget_the_least_recently_used_object_first() -> None:
    """client-go's LRU of 4,096 entries: an object whose bucket was just used keeps it (its burst
    spent stays spent); the one unused longest starts afresh, with a full burst."""
    from kjob.recorder import CACHE_ENTRIES

    correlator = Correlator()
    first, second = (("kubelet", "n", "Pod", "default", name, name, "v1") for name in ("a", "b"))
    for key in (first, second):
        for _ in range(SPAM_BURST):
            assert correlator.allow(key, 10.0)
    assert not correlator.allow(first, 10.0)  # spent, and now the most recent of the two
    for i in range(CACHE_ENTRIES - 1):
        correlator.allow(("kubelet", "n", "Pod", "default", f"o{i}", f"o{i}", "v1"), 10.0)
    assert not correlator.allow(first, 10.0)  # kept: used after `second`
    assert correlator.allow(second, 10.0)  # forgotten: a full burst again
