"""The event recorder's correlator, as client-go's (tools/record/events_cache.go) runs in every
controller and kubelet: a similar event (the same reason about the same object, another message) is
combined into one after ten of them in ten minutes, and a source may burst 25 events about an object,
then one every five minutes. A job of a thousand pods shows ten `SuccessfulCreate` events, not a
thousand, as on a cluster."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

AGGREGATE_MAX_EVENTS = 10
AGGREGATE_INTERVAL = 600.0
SPAM_BURST = 25
SPAM_QPS = 1.0 / 300.0
CACHE_ENTRIES = 4096
COMBINED = "(combined from similar events): "


class _Lru(OrderedDict[Any, Any]):
    """client-go's caches hold 4,096 entries each, the least recently used going first."""

    def get_recent(self, key: Any) -> Any:
        value = self.get(key)
        if value is not None:
            self.move_to_end(key)
        return value

    def put_recent(self, key: Any, value: Any) -> None:
        """Set a key that get_recent() has just looked up: one it found is the most recent already,
        and a new one goes last."""
        self[key] = value
        if len(self) > CACHE_ENTRIES:
            self.popitem(last=False)


class Correlator:
    """Decides what becomes of a new event: recorded as it is, recorded as the combined event of its
    kind, or dropped as spam."""

    def __init__(self) -> None:
        self.aggregates = _Lru()  # aggregate key -> (messages seen, last time)
        self.buckets = _Lru()  # source and object -> (tokens, last refill)

    def aggregate(self, group: tuple[str, ...], message: str, now: float) -> str | None:
        """EventAggregate: None while fewer than ten messages of the group were seen in ten minutes;
        then the message the combined event carries."""
        record = self.aggregates.get_recent(group)
        if record is None or now - record[1] > AGGREGATE_INTERVAL:
            record = (set(), now)
        messages: set[str] = record[0]
        messages.add(message)
        self.aggregates.put_recent(group, (messages, now))
        if len(messages) < AGGREGATE_MAX_EVENTS:
            return None
        messages.pop()  # the set never grows past the limit
        return COMBINED + message

    def allow(self, source_and_object: tuple[str, ...], now: float) -> bool:
        """The spam filter: a token bucket per source and object, full at first."""
        tokens, last = self.buckets.get_recent(source_and_object) or (float(SPAM_BURST), now)
        tokens = min(float(SPAM_BURST), tokens + (now - last) * SPAM_QPS)
        allowed = tokens >= 1.0
        self.buckets.put_recent(source_and_object, (tokens - 1.0 if allowed else tokens, now))
        return allowed
