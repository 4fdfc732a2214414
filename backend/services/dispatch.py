"""Queue chunk tasks. Called only after the transaction that created the rows has committed."""

from __future__ import annotations

from celery import Celery

RUN_CHUNK_TASK = "dse.run_chunk"


def enqueue_chunks(celery: Celery, queue: str, sweep_id: int, chunk_indices: list[int]) -> int:
    with celery.producer_or_acquire() as producer:
        for index in chunk_indices:
            celery.send_task(RUN_CHUNK_TASK, args=[sweep_id, index], queue=queue, producer=producer)
    return len(chunk_indices)
