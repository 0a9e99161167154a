"""Failed sign-ins per client address and per user name, in memory (a restart forgets them;
the account lock, which a restart keeps, is in `icsight.governance.accounts`).

A sliding window: at most `limit` failures per `window` seconds for any one key, after which
the key must wait (OWASP Authentication Cheat Sheet, "Protect against automated attacks").
Keys are kept for any name tried, known or not, so being throttled says nothing about which
accounts exist.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

__all__ = ["Throttle"]


class Throttle:
    """Failures per key in the last `window` seconds, for at most `max_keys` keys (the least
    recently failed are forgotten first, so a flood of names cannot exhaust memory)."""

    def __init__(self, limit: int, window: float, clock: Callable[[], float],
                 max_keys: int = 10_000) -> None:
        self.limit, self.window, self.clock, self.max_keys = limit, window, clock, max_keys
        self._failures: dict[str, deque[float]] = {}

    def wait(self, key: str) -> float:
        """Seconds before `key` may try again (0: now)."""
        times = self._recent(key)
        if len(times) < self.limit:
            return 0.0
        return max(0.0, times[len(times) - self.limit] + self.window - self.clock())

    def fail(self, key: str) -> None:
        times = self._recent(key)
        self._failures.pop(key, None)  # re-inserted last: the most recently failed
        times.append(self.clock())
        self._failures[key] = times
        while len(self._failures) > self.max_keys:
            del self._failures[next(iter(self._failures))]

    def reset(self, key: str) -> None:
        self._failures.pop(key, None)

    def _recent(self, key: str) -> deque[float]:
        times = self._failures.get(key, deque())
        cutoff = self.clock() - self.window
        while times and times[0] <= cutoff:
            times.popleft()
        return times
