"""Fan per-document and per-pair work out to forked worker processes, results in input order.

Why fork: the workers need the built index (hundreds of MB at 100,000 essays). A forked child
shares the parent's pages copy-on-write, so nothing is pickled but each task's small input and
output. Forking is only safe from the main thread (a lock held by another thread at the moment
of the fork stays locked in the child), so :func:`usable_workers` falls back to one process
(today's in-process path) on other threads and where fork does not exist.
"""

from __future__ import annotations

import gc
import multiprocessing
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

__all__ = ["chunks", "forked_pool", "state", "usable_workers"]

_STATE: Any = None


def usable_workers(workers: int) -> int:
    """Return how many processes may really be used: ``workers``, or 1 when forking is unsafe."""
    if workers <= 1:
        return 1
    if "fork" not in multiprocessing.get_all_start_methods():
        return 1
    if threading.current_thread() is not threading.main_thread():
        return 1
    return workers


def state() -> Any:
    """Return the object handed to :func:`forked_pool` (in a worker: its forked copy)."""
    return _STATE


def _init() -> None:
    # The inherited objects never die in a worker: freezing them keeps the collector from
    # writing to (and so copying) every page that holds a container.
    gc.freeze()


@contextmanager
def forked_pool(workers: int, shared: Any) -> Iterator[multiprocessing.pool.Pool]:
    """Yield a pool of ``workers`` forked processes that see ``shared`` through :func:`state`.

    ``shared`` is the parent's object at the moment of the fork; later changes in the parent are
    not seen. The pool is closed (or, on an error, terminated) on exit.
    """
    global _STATE
    _STATE = shared
    pool = multiprocessing.get_context("fork").Pool(workers, initializer=_init)
    try:
        yield pool
    except BaseException:
        pool.terminate()
        raise
    else:
        pool.close()
    finally:
        pool.join()
        _STATE = None


def chunks(items: list, workers: int, most: int) -> list[list]:
    """Split ``items`` into contiguous chunks: about 8 per worker, at most ``most`` items each."""
    size = max(1, min(most, -(-len(items) // (8 * workers))))
    return [items[i : i + size] for i in range(0, len(items), size)]
