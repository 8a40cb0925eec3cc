"""Admission control: how many sequences generate at once, and who waits, is refused or times out.

At most `capacity` sequences (`serve.batch_size`; a request with `n` answers takes `n`) are
with the engine at once: that bounds memory (KV caches) and keeps the decoding batch at the
size mlx-lm's `BatchGenerator` was built for. Further requests wait here, first come first
served, so the server's state stays small and visible (`/health` shows `running`, `queued`):

- at most `max_queue` requests wait; the next one is refused at once (`Overloaded` -> HTTP 429
  with `Retry-After`) instead of waiting without bound;
- a request that waited `queue_timeout_s` without getting a slot gives up (`QueueTimeout` ->
  HTTP 503);
- after `close()` (server shutdown) waiting and new requests get `Closed` (HTTP 503).

Runs on the event loop only (no locks): `slot()` is an async context manager around one
request's generation. Tested through the HTTP API (tests/test_serve_lifecycle.py).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import math
import time
from dataclasses import dataclass, field


class Overloaded(Exception):
    """The queue is full; `retry_after` is a guess, in whole seconds, of when a slot frees."""

    def __init__(self, retry_after: int, queued: int):
        super().__init__(f"{queued} requests are already waiting")
        self.retry_after = retry_after
        self.queued = queued


class QueueTimeout(Exception):
    """The request waited `waited_s` for a slot without getting one."""

    def __init__(self, waited_s: float, retry_after: int):
        super().__init__(f"waited {waited_s:.1f} s for a generation slot")
        self.waited_s = waited_s
        self.retry_after = retry_after


class Closed(Exception):
    """The server is shutting down and admits nothing more."""


@dataclass
class Admission:
    """Slots for `capacity` sequences, a queue of at most `max_queue` waiting requests.

    Args:
        capacity: Most sequences generating at once (all models together).
        max_queue: Most requests waiting for a slot; one more is `Overloaded`.
        queue_timeout_s: Longest wait for a slot before `QueueTimeout`.
    """

    capacity: int
    max_queue: int
    queue_timeout_s: float
    closed: bool = False
    _free: int = field(init=False)
    _waiters: collections.deque = field(init=False, default_factory=collections.deque)
    # How long recent requests held their slot: the basis of Retry-After.
    _held_s: collections.deque = field(init=False,
                                       default_factory=lambda: collections.deque(maxlen=32))

    def __post_init__(self):
        if self.capacity < 1 or self.max_queue < 0 or self.queue_timeout_s <= 0:
            raise ValueError(f"bad admission limits: capacity {self.capacity}, max_queue "
                             f"{self.max_queue}, queue_timeout_s {self.queue_timeout_s}")
        self._free = self.capacity

    @property
    def running(self) -> int:
        """Sequences holding a slot now."""
        return self.capacity - self._free

    @property
    def queued(self) -> int:
        return sum(1 for _, future in self._waiters if not future.done())

    @contextlib.asynccontextmanager
    async def slot(self, n: int = 1):
        """Hold `n` sequence slots for the body of the `async with` (1 <= n <= capacity)."""
        await self._acquire(n)
        start = time.monotonic()
        try:
            yield
        finally:
            self._held_s.append(time.monotonic() - start)
            self._release(n)

    def close(self) -> None:
        """Refuse new requests and fail every waiting one with `Closed`."""
        self.closed = True
        while self._waiters:
            _, future = self._waiters.popleft()
            if not future.done():
                future.set_exception(Closed())

    def retry_after(self) -> int:
        """Seconds until a place is likely free: a typical slot time per wave of the queue."""
        if not self._held_s:
            return 1
        typical = sorted(self._held_s)[len(self._held_s) // 2]
        waves = (self.queued + 1) / self.capacity
        return max(1, min(600, math.ceil(typical * waves)))

    async def _acquire(self, n: int) -> None:
        if self.closed:
            raise Closed()
        if not 1 <= n <= self.capacity:
            raise ValueError(f"a request needs 1..{self.capacity} slots, not {n}")
        if self.queued == 0 and self._free >= n:
            self._free -= n
            return
        if self.queued >= self.max_queue:
            raise Overloaded(self.retry_after(), self.queued)
        future = asyncio.get_running_loop().create_future()
        entry = (n, future)
        self._waiters.append(entry)
        start = time.monotonic()
        try:
            await asyncio.wait_for(future, self.queue_timeout_s)
        except asyncio.TimeoutError:
            self._forget(entry)
            raise QueueTimeout(time.monotonic() - start, self.retry_after()) from None
        except asyncio.CancelledError:  # the client went away while waiting
            if future.done() and not future.cancelled() and future.exception() is None:
                self._release(n)  # granted at the very moment it left: hand the slots on
            else:
                self._forget(entry)
            raise

    def _forget(self, entry: tuple) -> None:
        entry[1].cancel()
        with contextlib.suppress(ValueError):
            self._waiters.remove(entry)
        self._grant()  # a smaller request behind it may fit now

    def _release(self, n: int) -> None:
        self._free += n
        self._grant()

    def _grant(self) -> None:
        """Wake waiters in arrival order while the first one's slots are free."""
        while self._waiters:
            n, future = self._waiters[0]
            if future.done():  # gave up or closed
                self._waiters.popleft()
                continue
            if n > self._free:
                return
            self._waiters.popleft()
            self._free -= n
            future.set_result(None)
