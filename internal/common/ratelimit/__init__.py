"""Rate limits: at most N events per key in a sliding window, bounded in memory."""

from __future__ import annotations

import math
import time
from collections import OrderedDict, deque

from internal.common.errors import ResourceExhausted


class RateLimiter:
    """At most `limit` hits per key within `window_s` seconds; the keys seen last are kept, up to `max_keys`."""

    def __init__(self, limit: int, window_s: float, max_keys: int = 100_000) -> None:
        self.limit = limit
        self.window_s = window_s
        self._max_keys = max_keys
        self._hits: OrderedDict[str, deque[float]] = OrderedDict()

    def _recent(self, key: str, now: float) -> deque[float]:
        hits = self._hits.get(key)
        if hits is None:
            hits = self._hits[key] = deque()
            if len(self._hits) > self._max_keys:
                self._hits.popitem(last=False)
        else:
            self._hits.move_to_end(key)
        while hits and hits[0] <= now - self.window_s:
            hits.popleft()
        return hits

    def check(self, key: str, what: str) -> None:
        """Raise RESOURCE_EXHAUSTED with the seconds to wait when `key` is over its limit."""
        now = time.monotonic()
        hits = self._recent(key, now)
        if len(hits) >= self.limit:
            wait = max(1, math.ceil(hits[0] + self.window_s - now))
            raise ResourceExhausted(f"too many {what}; try again in {wait} s", retry_after=wait)

    def hit(self, key: str) -> None:
        self._recent(key, time.monotonic()).append(time.monotonic())

    def reset(self, key: str) -> None:
        self._hits.pop(key, None)
