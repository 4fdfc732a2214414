"""A byte budget for large answers, per API process (issue 30, item 8): each results page is capped (5·10⁶
values), but three viewers reading maximal pages at once took the process to 1.38 GB, and it kept ~900 MB after.

A page reserves its estimated size from one budget (DSE_RESPONSE_BUDGET_BYTES) before it is read; one that does
not fit waits for the pages ahead of it (up to DSE_WORK_WAIT_S), then is refused with 429 and Retry-After. The
reservation is held until the answer has been sent; then glibc is asked to hand freed memory back to the system
(`malloc_trim`), so the process shrinks again after a burst of large pages.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import math
import threading
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status

# What one value of a page costs while it is built and sent: its database row, a Python object, its column list
# and its JSON text (arrays: the row or Arrow buffer and 8 bytes of float64). Measured order of magnitude, high side.
BYTES_PER_VALUE = {"json": 160, "arrays": 64}


def _malloc_trim() -> None:
    name = ctypes.util.find_library("c")
    libc = ctypes.CDLL(name) if name else None
    trim = getattr(libc, "malloc_trim", None)
    if trim is not None:  # glibc only
        trim(0)


class ByteBudget:
    def __init__(self, total: int, wait_s: float) -> None:
        self.total, self.wait_s = total, wait_s
        self.used = 0
        self._turn = threading.Condition()

    def reserve(self, size: int) -> int:
        """Reserves `size` bytes (at most the whole budget: a page larger than it runs alone); returns what was
        reserved, or raises HTTPException 429 when no room came within wait_s."""
        size = min(size, self.total)
        with self._turn:
            if not self._turn.wait_for(lambda: self.used + size <= self.total, timeout=self.wait_s):
                retry = max(1, math.ceil(self.wait_s))
                raise HTTPException(status.HTTP_429_TOO_MANY_REQUESTS, headers={"Retry-After": str(retry)}, detail=(
                    f"the server is sending {self.used / 2**20:,.0f} MiB of large pages (DSE_RESPONSE_BUDGET_BYTES "
                    f"{self.total / 2**20:,.0f} MiB); retry in {retry} s, or ask for fewer rows or columns"))
            self.used += size
        return size

    def release(self, size: int) -> None:
        with self._turn:
            self.used -= size
            self._turn.notify_all()
        _malloc_trim()


class Reservation:
    """The bytes one request holds of the budget, released when its answer has been sent."""

    def __init__(self, budget: ByteBudget) -> None:
        self.budget = budget
        self.held = 0

    def take(self, values: int, kind: str) -> None:
        self.held += self.budget.reserve(values * BYTES_PER_VALUE[kind])


def response_reservation(request: Request) -> Iterator[Reservation]:
    """A request's reservation; its exit runs after the response is sent (a yield dependency's default scope)."""
    reservation = Reservation(request.app.state.response_budget)
    try:
        yield reservation
    finally:
        if reservation.held:
            reservation.budget.release(reservation.held)


ResponseBudget = Annotated[Reservation, Depends(response_reservation)]


def install(app, total_bytes: int, wait_s: float) -> None:
    app.state.response_budget = ByteBudget(total_bytes, wait_s)
