"""Token buckets by key, bounded in memory.

Each key (a client address, a person) has a bucket of ``burst`` tokens that refills at
``per_minute`` tokens a minute; a request takes one token, and a request that finds none waits
until one has refilled. A bucket that has refilled completely is the same as no bucket, so it is
dropped: the store holds only the keys seen within the last ``burst / rate`` seconds, and never
more than ``max_keys`` of them (the least recently used goes first). An attacker rotating
addresses therefore costs at most ``max_keys`` small entries, and dropping one only gives that
key a fresh bucket.

The store belongs to one process and is used from its event loop only (no locks); with several
server processes each has its own.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence


class _Bucket:
    __slots__ = ("at", "tokens")

    def __init__(self, tokens: float, at: float) -> None:
        self.tokens = tokens
        self.at = at


class TokenBuckets:
    def __init__(
        self,
        per_minute: int,
        burst: int,
        max_keys: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if per_minute <= 0 or burst < 1 or max_keys < 1:
            raise ValueError("a token bucket needs a positive rate, burst and size")
        self.rate = per_minute / 60.0
        self.burst = float(burst)
        self.max_keys = max_keys
        self._clock = clock
        self._buckets: OrderedDict[Hashable, _Bucket] = OrderedDict()
        #: seconds after which an untouched bucket is full again, whatever it held
        self._refill_seconds = self.burst / self.rate

    def __len__(self) -> int:
        return len(self._buckets)

    def wait(self, key: Hashable) -> float:
        """0.0 if ``key`` has a token, else the seconds until it has one; takes nothing."""
        bucket = self._buckets.get(key)
        if bucket is None:
            return 0.0
        tokens = min(self.burst, bucket.tokens + (self._clock() - bucket.at) * self.rate)
        return 0.0 if tokens >= 1.0 else (1.0 - tokens) / self.rate

    def take(self, key: Hashable) -> float:
        """Take one token for ``key``: 0.0 if there was one, else the seconds until there is."""
        now = self._clock()
        self._drop_idle(now)
        bucket = self._buckets.get(key)
        if bucket is None:
            while len(self._buckets) >= self.max_keys:
                self._buckets.popitem(last=False)
            bucket = _Bucket(self.burst, now)
            self._buckets[key] = bucket
        else:
            bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.at) * self.rate)
            bucket.at = now
            self._buckets.move_to_end(key)
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return 0.0
        return (1.0 - bucket.tokens) / self.rate

    def _drop_idle(self, now: float) -> None:
        # The least recently used come first: drop them while they have refilled completely.
        # Each call drops at most two, which keeps every call cheap and still outpaces the one
        # bucket a call may add.
        for _ in range(2):
            if not self._buckets:
                return
            key, oldest = next(iter(self._buckets.items()))
            if now - oldest.at < self._refill_seconds:
                return
            del self._buckets[key]


def take_all(wanted: Sequence[tuple[TokenBuckets, Hashable]]) -> tuple[int, float]:
    """One token from each of several buckets (a bucket store and its key), or none at all:
    ``(-1, 0.0)`` when every bucket had one and each gave it, else ``(index, seconds)`` of the
    bucket that refills last, and nothing is taken, so a refusal by one limit costs no token of
    another. Checking and taking run without awaiting anything in between: nothing else on the
    event loop takes a token meanwhile."""
    slowest, longest = -1, 0.0
    for index, (buckets, key) in enumerate(wanted):
        seconds = buckets.wait(key)
        if seconds > longest:
            slowest, longest = index, seconds
    if slowest >= 0:
        return slowest, longest
    for buckets, key in wanted:
        buckets.take(key)
    return -1, 0.0
