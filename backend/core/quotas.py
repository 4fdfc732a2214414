"""Quotas on work, not only on requests: synchronous work (a simulation, a mapping landscape, a calibration, a
point's recompute) runs in the API process's own threads, and four of the heaviest calibrations once kept a core
busy for half a minute while the per-minute request limit admitted far more.

So each user (or address) runs at most `per_user` such requests at once, and everyone together at most `total`
(by default one fewer than the cores, so one stays free for reads); a request beyond waits for a turn, up to
`wait_s`. And each user spends at most `seconds_per_minute` seconds of such work in any 60 s. Past these: 429 with
Retry-After. Time is counted from admission to the handler's return: the request's own wall time, which for this
CPU-bound work is its CPU time (or more, when it had to share the core).
"""

from __future__ import annotations

import math
import os
import threading
import time
from collections import deque
from collections.abc import Iterator

from fastapi import HTTPException, Request, status

from backend.core.limits import client_key

WINDOW_S = 60.0
# Requests that may wait for a turn, per user and in all; more are refused at once. A waiting request holds one of
# the threadpool's 40 threads, so these leave most of them to reads; a browser sends at most 6 at once per host.
WAITING_PER_USER = 12
WAITING_TOTAL = 16


class QuotaExceeded(Exception):
    def __init__(self, retry_s: float, detail: str) -> None:
        super().__init__(detail)
        self.retry_s = retry_s


class WorkQuota:
    def __init__(self, per_user: int, total: int, seconds_per_minute: float, wait_s: float) -> None:
        self.per_user, self.total = per_user, total
        self.seconds_per_minute, self.wait_s = seconds_per_minute, wait_s
        self._turn = threading.Condition()
        self._running: dict[str, int] = {}
        self._waiting: dict[str, int] = {}
        self._spent: dict[str, deque[tuple[float, float]]] = {}

    def _spent_in_window(self, key: str, now: float) -> tuple[float, float]:
        """(seconds spent by `key` in the last minute, seconds until enough of it ages out to allow one more)."""
        spent = self._spent.setdefault(key, deque())
        while spent and spent[0][0] <= now - WINDOW_S:
            spent.popleft()
        total = sum(seconds for _, seconds in spent)
        over, retry = total - self.seconds_per_minute, 0.0
        for finished, seconds in spent:
            if over < 0:
                break
            over -= seconds
            retry = finished + WINDOW_S - now
        return total, retry

    def _free(self, key: str) -> bool:
        return self._running.get(key, 0) < self.per_user and sum(self._running.values()) < self.total

    def acquire(self, key: str) -> None:
        """A turn for `key` (waiting up to wait_s), or QuotaExceeded."""
        with self._turn:
            spent, retry = self._spent_in_window(key, time.monotonic())
            if spent >= self.seconds_per_minute:
                raise QuotaExceeded(retry, f"{spent:.0f} s of simulation work in the last minute, the most one user "
                                    f"may spend ({self.seconds_per_minute:g} s, DSE_WORK_SECONDS_PER_MINUTE)")
            if not self._free(key) and (self._waiting.get(key, 0) >= WAITING_PER_USER
                                        or sum(self._waiting.values()) >= WAITING_TOTAL):
                raise QuotaExceeded(self.wait_s, "too many simulation requests are waiting for a turn")
            self._waiting[key] = self._waiting.get(key, 0) + 1
            try:
                if not self._turn.wait_for(lambda: self._free(key), timeout=self.wait_s):
                    mine = self._running.get(key, 0)
                    raise QuotaExceeded(self.wait_s, (
                        f"{mine} simulation requests of yours are running (at most {self.per_user} at once, "
                        "DSE_WORK_PER_USER)") if mine >= self.per_user else (
                        f"the server runs {self.total} simulation requests at once (DSE_WORK_TOTAL); all are busy"))
            finally:
                self._waiting[key] -= 1
                if not self._waiting[key]:
                    del self._waiting[key]
            self._running[key] = self._running.get(key, 0) + 1

    def release(self, key: str, seconds: float) -> None:
        with self._turn:
            self._running[key] -= 1
            if not self._running[key]:
                del self._running[key]
            self._spent.setdefault(key, deque()).append((time.monotonic(), seconds))
            self._turn.notify_all()


def default_total() -> int:
    """One fewer than the cores this process may use, so one core stays free for reads; at least one."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, cores - 1)


def heavy_work(request: Request) -> Iterator[None]:
    """A request dependency for synchronous simulation work (declare it with scope="function", after the one that
    signs the request in): a turn under the quota, held until the handler returns, its time charged to the user."""
    quota: WorkQuota = request.app.state.work_quota
    key = client_key(request)
    try:
        quota.acquire(key)
    except QuotaExceeded as error:
        retry = max(1, math.ceil(error.retry_s))
        raise HTTPException(status.HTTP_429_TOO_MANY_REQUESTS, headers={"Retry-After": str(retry)},
                            detail=f"{error}; retry in {retry} s") from None
    started = time.monotonic()
    try:
        yield
    finally:
        quota.release(key, time.monotonic() - started)


def install(app, per_user: int, total: int | None, seconds_per_minute: float, wait_s: float) -> None:
    app.state.work_quota = WorkQuota(per_user, total or default_total(), seconds_per_minute, wait_s)
