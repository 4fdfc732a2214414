"""Queue chunk tasks. Called only after the transaction that created the rows has committed."""

from __future__ import annotations

from celery import Celery

RUN_CHUNK_TASK = "dse.run_chunk"
SEARCH_STEP_TASK = "dse.search_step"


def enqueue_chunks(celery: Celery, queue: str, sweep_id: int, chunk_indices: list[int]) -> int:
    with celery.producer_or_acquire() as producer:
        for index in chunk_indices:
            celery.send_task(RUN_CHUNK_TASK, args=[sweep_id, index], queue=queue, producer=producer)
    return len(chunk_indices)


def enqueue_search_step(celery: Celery, queue: str, sweep_id: int) -> None:
    """The driver of a `search` sweep: tells the last batch, asks the next (workers.search.search_step)."""
    celery.send_task(SEARCH_STEP_TASK, args=[sweep_id], queue=queue)


def start_sweep(celery: Celery, queue: str, sweep_id: int, strategy: str, chunk_count: int) -> None:
    """Queues a created sweep's work: all its chunks, or a search's first step (which asks the first batch)."""
    if strategy == "search":
        enqueue_search_step(celery, queue, sweep_id)
    else:
        enqueue_chunks(celery, queue, sweep_id, list(range(chunk_count)))
