"""Background work with persisted progress: a similarity scan runs in a daemon thread of the
app process, or on an RQ worker when REDIS_URL is set. Either way the Job row holds the truth
(state, done/total, heartbeat), so a page reload, a second app server or a restart sees it.

A job is claimed with a conditional UPDATE (queued -> running), so a job dispatched twice runs
once; a small ticker thread writes progress and the heartbeat through its own session every
few seconds, independent of how long one step of the engine takes. A job whose heartbeat
stops is found by screening.recover_stale_jobs and queued again (or failed).
"""

from __future__ import annotations

import dataclasses
import logging
import os
import socket
import threading
from collections.abc import Callable

from flask import Flask
from sqlalchemy import update
from sqlalchemy.orm import sessionmaker

from contest import screening
from contest.db import utcnow
from contest.models import Contest, Job
from contest.similarity import scan_index

log = logging.getLogger(__name__)

QUEUE = "contest"
JOB_TIMEOUT = 6 * 3600  # seconds an RQ worker lets one scan run
BEAT_SECONDS = 2.0


def worker_name(kind: str) -> str:
    return f"{kind}:{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


class _Beat:
    """Writes the latest progress and a heartbeat every `interval` seconds from a thread."""

    def __init__(self, factory: sessionmaker, job_id: int, worker: str, interval: float):
        self.factory, self.job_id, self.worker, self.interval = factory, job_id, worker, interval
        self.done, self.total = 0, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"beat-{job_id}", daemon=True)
        self.listener: Callable[[int, int], None] | None = None

    def update(self, done: int, total: int) -> None:
        self.done, self.total = done, total
        if self.listener is not None:
            self.listener(done, total)

    def write(self) -> None:
        with self.factory() as s:
            # Only while this worker owns the job: a superseded worker writes nothing.
            s.execute(
                update(Job)
                .where(Job.id == self.job_id, Job.worker == self.worker, Job.state == "running")
                .values(done=self.done, total=self.total, heartbeat_at=utcnow())
            )
            s.commit()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.write()
            except Exception:  # noqa: BLE001 - a missed beat is retried at the next tick
                log.warning("job %s: heartbeat not written", self.job_id, exc_info=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join()


def run_job(
    factory: sessionmaker,
    job_id: int,
    *,
    worker: str,
    beat_seconds: float = BEAT_SECONDS,
    on_progress: Callable[[int, int], None] | None = None,
) -> str:
    """Run a queued similarity scan to its end; returns the final state ("done", "failed",
    or "skipped" when the job was not queued: another worker has it, or it ended)."""
    with factory() as s:
        claimed = screening.claim_job(s, job_id=job_id, worker=worker)
        s.commit()
    if not claimed:
        return "skipped"
    beat = _Beat(factory, job_id, worker, beat_seconds)
    beat.listener = on_progress
    beat.start()
    try:
        with factory() as s:
            job = s.get(Job, job_id)
            contest = s.get(Contest, job.contest_id)
            index, fps = screening.build_contest_index(
                s, contest=contest, progress=beat.update, workers=screening.scan_processes()
            )
            s.rollback()  # end the reading transaction; the write below starts afresh
            result = scan_index(index, progress=beat.update)
            beat.stop()
            job = s.get(Job, job_id)
            if job.state != "running" or job.worker != worker:
                log.info("job %s: taken over by %s, result dropped", job_id, job.worker)
                return "skipped"
            summary = screening.store_scan(
                s, contest=s.get(Contest, job.contest_id), result=result, fingerprints=fps
            )
            total = max(beat.total, beat.done, 1)
            job.state, job.done, job.total = "done", total, total
            job.message = ""
            job.result = dataclasses.asdict(summary)
            job.heartbeat_at = job.finished_at = utcnow()
            s.commit()
            return "done"
    except Exception:
        log.exception("job %s failed", job_id)
        beat.stop()
        with factory() as s:
            job = s.get(Job, job_id)
            if job is not None and job.worker == worker:
                job.state, job.message = "failed", "error"
                job.finished_at = utcnow()
                s.commit()
        return "failed"
    finally:
        beat.stop()


def _thread_main(app: Flask, job_id: int) -> None:
    run_job(app.extensions["db_session_factory"], job_id, worker=worker_name("thread"))


def redis_connection(url: str):
    from redis import Redis

    return Redis.from_url(url, socket_connect_timeout=2)


def _enqueue(app: Flask, function: str, arg: int, timeout: int) -> bool:
    """Queue `function(arg)` for the RQ workers; False without REDIS_URL or when Redis does
    not answer (the caller then does the work itself). One Redis client per app and URL: a
    connection per call would cost every confirmation of a deadline rush a TCP connect."""
    url = app.config.get("REDIS_URL")
    if not url:
        return False
    try:
        from rq import Queue

        cached = app.extensions.get("rq_queue")
        if cached is None or cached[0] != url:
            cached = (url, Queue(QUEUE, connection=redis_connection(url)))
            app.extensions["rq_queue"] = cached
        cached[1].enqueue(function, arg, job_timeout=timeout)
        return True
    except Exception:  # noqa: BLE001 - Redis down: the work still gets done here
        log.warning("%s(%s): Redis unreachable, done here instead", function, arg, exc_info=True)
        return False


def dispatch(app: Flask, job_id: int) -> str:
    """Start a committed, queued job: on RQ when REDIS_URL is set, else in a daemon thread.
    Returns "rq" or "thread"."""
    if _enqueue(app, "contest.jobs.run_rq_job", job_id, JOB_TIMEOUT):
        return "rq"
    thread = threading.Thread(
        target=_thread_main, args=(app, job_id), name=f"job-{job_id}", daemon=True
    )
    # Kept so a shutdown (or a test's teardown) can wait for in-process jobs to finish.
    app.extensions.setdefault("job_threads", []).append(thread)
    thread.start()
    return "thread"


ENTRY_CHECK_TIMEOUT = 600  # seconds an RQ worker lets one entry's copy check run


def check_entry_soon(app: Flask, entry_id: int) -> str:
    """The copy check of a new or replaced (committed) entry. With REDIS_URL it is queued for
    the RQ workers, which each keep one similarity index in memory across checks; the web
    processes then keep none, and the contestant does not wait for the check (at a deadline
    rush it was most of an upload's database time: docs/bench/load.md). Without Redis, or
    when Redis does not answer, the caller checks now. Returns "rq" or "now"."""
    if _enqueue(app, "contest.jobs.run_entry_check", entry_id, ENTRY_CHECK_TIMEOUT):
        return "rq"
    return "now"


def run_entry_check(entry_id: int) -> str:
    """The RQ entry point of check_entry_soon. A failure is logged and left to the next full
    scan, as in the request (the entry itself is stored either way)."""
    from contest.models import Entry

    factory = _rq_app().extensions["db_session_factory"]
    with factory() as s:
        entry = s.get(Entry, entry_id)
        if entry is None:
            return "gone"
        screening.check_entry_now(s, entry=entry)
        s.commit()
    return "checked"


def _rq_app() -> Flask:
    """The app of an RQ job: `flask --app app jobs worker` provides its context; a plain
    `rq worker` builds the app from the environment."""
    from flask import current_app, has_app_context

    if has_app_context():
        return current_app._get_current_object()
    from app import create_app

    return create_app()


def wait_for_threads(app: Flask, timeout: float = 60.0) -> None:
    """Wait for the in-process job threads this app started (bounded)."""
    for thread in app.extensions.get("job_threads", []):
        thread.join(timeout)


def run_rq_job(job_id: int) -> str:
    """The RQ entry point: runs in `flask --app app jobs worker` (app context present), or in
    a plain `rq worker`, which builds the app from the environment."""
    return run_job(_rq_app().extensions["db_session_factory"], job_id, worker=worker_name("rq"))


def resume_stale(app: Flask, *, contest: Contest | None = None) -> list[int]:
    """Queue again (and dispatch) the scans whose worker stopped; fail those interrupted too
    often. Returns the ids dispatched."""
    factory = app.extensions["db_session_factory"]
    with factory() as s:
        c = s.get(Contest, contest.id) if contest is not None else None
        ids = [j.id for j in screening.recover_stale_jobs(s, contest=c)]
        s.commit()
    for job_id in ids:
        dispatch(app, job_id)
    return ids
