"""Background scans: thread runner, persisted progress JSON, a second start, stale jobs resumed
or failed, the RQ path with a burst worker, and the CLI with its progress bar."""

from __future__ import annotations

import random
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from contest import jobs, screening
from contest.db import utcnow
from contest.essaygen import essay
from contest.models import Contest, Job, SimilarityReport
from tests.conftest import csrf_token

BASE = "/manage/nen/similarity"


@pytest.fixture
def contest(factory):
    return factory.contest(slug="nen", state="open")


@pytest.fixture
def two_entries(factory, contest):
    # 350 syllables of a 2,400-syllable source: about 26% of the copier, 15% of the source
    source = essay(random.Random(31), syllables=2400)
    pasted = " ".join(source.split()[:350])
    copier = essay(random.Random(32), syllables=1000) + "\n\n" + pasted
    return factory.entry(contest, text=source), factory.entry(contest, text=copier)


@pytest.fixture
def secretary(factory, contest, login):
    u = factory.user(email="thuky-nen@example.vn", roles=[("nen", "secretary")])
    login(u)
    return u


def _job(session, contest, **values) -> Job:
    values = {"params": {"attempts": 0}, **values}
    job = Job(contest_id=contest.id, kind=screening.SCAN_KIND, **values)
    session.add(job)
    session.commit()
    return job


def _wait(session, job_id: int, seconds: float = 30.0) -> Job:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        session.expire_all()
        job = session.get(Job, job_id)
        if job.state in ("done", "failed"):
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} still {job.state}")


def test_scan_runs_in_a_thread_and_reports_progress(client, secretary, session, two_entries):
    token = csrf_token(client, BASE + "/")
    resp = client.post(BASE + "/scan", data={"csrf_token": token})
    assert resp.status_code == 302
    job_id = session.scalars(select(Job.id)).one()
    job = _wait(session, job_id)
    assert job.state == "done"
    assert job.result == {"entries": 2, "flagged": 1, "matches": 2}
    data = client.get(f"{BASE}/jobs/{job_id}", headers={"Accept": "application/json"}).json
    assert (data["state"], data["percent"], data["finished"]) == ("done", 100, True)
    assert data["done"] == data["total"] > 0
    flagged = [r.flagged for r in session.scalars(select(SimilarityReport).order_by(SimilarityReport.entry_id))]  # fmt: skip
    assert flagged == [False, True]


def test_progress_json_of_a_running_job(client, secretary, session, contest):
    job = _job(session, contest, state="running", done=30, total=120, heartbeat_at=utcnow())
    data = client.get(f"{BASE}/jobs/{job.id}").json
    assert {k: data[k] for k in ("state", "done", "total", "percent", "finished")} == {
        "state": "running",
        "done": 30,
        "total": 120,
        "percent": 25,
        "finished": False,
    }
    html = client.get(BASE + "/").get_data(as_text=True)
    assert f'data-url="{BASE}/jobs/{job.id}"' in html
    assert '<meta http-equiv="refresh" content="5">' in html
    assert 'value="30"' in html


def test_second_start_shows_the_running_job(client, secretary, session, contest):
    job = _job(session, contest, state="running", heartbeat_at=utcnow())
    token = csrf_token(client, BASE + "/")
    resp = client.post(BASE + "/scan", data={"csrf_token": token}, follow_redirects=True)
    assert "Đang có một lượt quét; đây là tiến độ của nó." in resp.get_data(as_text=True)
    assert [j.id for j in session.scalars(select(Job))] == [job.id]


def test_stale_running_job_is_resumed_and_finishes(app, session, contest, two_entries):
    job = _job(
        session,
        contest,
        state="running",
        done=1,
        total=2,
        worker="thread:gone:1:1",
        heartbeat_at=utcnow() - timedelta(minutes=5),
    )
    resumed = screening.recover_stale_jobs(session, contest=session.get(Contest, contest.id))
    session.commit()
    assert [(j.id, j.state, j.params["attempts"], j.message) for j in resumed] == [
        (job.id, "queued", 1, "resumed")
    ]
    factory = app.extensions["db_session_factory"]
    assert jobs.run_job(factory, job.id, worker="test") == "done"
    session.expire_all()
    assert session.get(Job, job.id).result["flagged"] == 1


def test_fresh_running_job_is_left_alone(session, contest):
    job = _job(session, contest, state="running", heartbeat_at=utcnow() - timedelta(seconds=10))
    assert screening.recover_stale_jobs(session) == []
    assert session.get(Job, job.id).state == "running"


def test_job_interrupted_too_often_fails_with_a_message(client, secretary, session, contest):
    job = _job(
        session,
        contest,
        state="running",
        params={"attempts": screening.MAX_ATTEMPTS - 1},
        heartbeat_at=utcnow() - timedelta(minutes=5),
    )
    html = client.get(BASE + "/").get_data(as_text=True)
    session.expire_all()
    job = session.get(Job, job.id)
    assert (job.state, job.message) == ("failed", "interrupted")
    assert "bị gián đoạn nhiều lần" in html


def test_page_open_resumes_a_stale_job(client, secretary, session, contest, two_entries):
    job = _job(session, contest, state="running", heartbeat_at=utcnow() - timedelta(minutes=2))
    client.get(BASE + "/")
    assert _wait(session, job.id).state == "done"


def test_run_job_skips_a_job_that_is_not_queued(app, session, contest):
    job = _job(session, contest, state="done")
    assert jobs.run_job(app.extensions["db_session_factory"], job.id, worker="w") == "skipped"


def test_failing_scan_is_marked_failed(app, session, contest, two_entries, monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(screening, "store_scan", boom)
    job = _job(session, contest, state="queued")
    assert jobs.run_job(app.extensions["db_session_factory"], job.id, worker="w") == "failed"
    session.expire_all()
    assert (session.get(Job, job.id).state, session.get(Job, job.id).message) == (
        "failed",
        "error",
    )
    assert session.scalars(select(SimilarityReport)).all() == []


REDIS_URL = "redis://127.0.0.1:6379/15"


@pytest.fixture
def redis_queue():
    try:
        from rq import Queue

        conn = jobs.redis_connection(REDIS_URL)
        conn.ping()
    except Exception as e:  # noqa: BLE001 - any reason means "no Redis here"
        pytest.skip(f"RQ tests: Redis not reachable at {REDIS_URL} ({type(e).__name__})")
    queue = Queue(jobs.QUEUE, connection=conn)
    queue.empty()
    yield queue
    queue.empty()


def test_rq_path_with_a_burst_worker(app, session, contest, two_entries, redis_queue):
    from rq import SimpleWorker

    app.config["REDIS_URL"] = REDIS_URL
    with app.app_context():
        job, created = screening.start_scan(
            session, contest=session.get(Contest, contest.id), actor=None
        )
        session.commit()
        assert created and jobs.dispatch(app, job.id) == "rq"
        assert redis_queue.count == 1
        SimpleWorker([redis_queue], connection=redis_queue.connection).work(burst=True)
    session.expire_all()
    done = session.get(Job, job.id)
    assert (done.state, done.result["flagged"]) == ("done", 1)
    assert done.worker.startswith("rq:")


def test_cli_scan_prints_the_result(runner, contest, two_entries, session):
    result = runner.invoke(args=["similarity", "scan", "--contest", "nen"], env={"LANGUAGE": "en"})
    assert result.exit_code == 0, result.output
    assert "Compared 2 entries; 1 flagged; 2 matches stored." in result.output
    assert session.scalars(select(Job.state)).all() == ["done"]


def test_cli_scan_refuses_an_unknown_contest(runner):
    result = runner.invoke(
        args=["similarity", "scan", "--contest", "khong-co"], env={"LANGUAGE": "en"}
    )
    assert result.exit_code == 1
    assert "There is no contest “khong-co”." in result.output


def test_two_simultaneous_scan_starts_make_one_job(app, contest, monkeypatch):
    """Two workers both see "no scan running" and both insert: the second insert is a no-op
    on the partial unique index and that click is given the first job. A finished scan
    frees the slot for the next one."""
    Session = app.extensions["db_session_factory"]
    with Session() as first:
        job, created = screening.start_scan(
            first, contest=first.get(Contest, contest.id), actor=None
        )
        first.commit()
        assert created
        first_id = job.id
    real_active = screening.active_scan
    calls = []

    def check_before_the_first_insert(session, *, contest):
        calls.append(1)
        return None if len(calls) == 1 else real_active(session, contest=contest)

    monkeypatch.setattr(screening, "active_scan", check_before_the_first_insert)
    with Session() as second:
        again, created = screening.start_scan(
            second, contest=second.get(Contest, contest.id), actor=None
        )
        second.commit()
        assert (again.id, created) == (first_id, False)
        assert second.scalar(select(func.count()).select_from(Job)) == 1
        done = second.get(Job, first_id)
        done.state = "done"
        second.commit()
        nxt, created = screening.start_scan(
            second, contest=second.get(Contest, contest.id), actor=None
        )
        second.commit()
        assert created and nxt.id != first_id


def test_a_job_on_a_main_thread_verifies_with_several_processes(
    app, session, factory, contest, monkeypatch
):
    """An RQ job or the CLI runs the scan on its process's main thread: with SCAN_PROCESSES=2
    the pairs are verified by two forked processes, and the stored result is the one a
    single process finds."""
    from contest.similarity import engine

    source = essay(random.Random(41), syllables=2400).split()
    factory.entry(contest, text=" ".join(source))
    for i, start in enumerate((0, 600, 1200)):  # three essays each pasting a part of it
        own = essay(random.Random(50 + i), syllables=1000)
        factory.entry(contest, text=own + "\n\n" + " ".join(source[start : start + 400]))

    pools = []
    real_pool = engine.forked_pool

    def counting_pool(workers, shared):
        pools.append(workers)
        return real_pool(workers, shared)

    monkeypatch.setattr(engine, "forked_pool", counting_pool)
    monkeypatch.setenv("SCAN_PROCESSES", "2")
    factory = app.extensions["db_session_factory"]
    job = _job(session, contest, state="queued")
    assert jobs.run_job(factory, job.id, worker="w") == "done"
    assert pools and set(pools) == {2}
    session.expire_all()
    forked = session.get(Job, job.id).result
    monkeypatch.setenv("SCAN_PROCESSES", "1")
    pools.clear()
    again = _job(session, contest, state="queued")
    assert jobs.run_job(factory, again.id, worker="w") == "done"
    assert pools == []
    session.expire_all()
    assert session.get(Job, again.id).result == forked
    assert forked["flagged"] == 4  # the three copiers and the source (half of it pasted)


def test_scan_processes_setting(monkeypatch):
    monkeypatch.setenv("SCAN_PROCESSES", "3")
    assert screening.scan_processes() == 3
    monkeypatch.setenv("SCAN_PROCESSES", "không")
    assert screening.scan_processes() == 1
    monkeypatch.setenv("SCAN_PROCESSES", "0")
    assert screening.scan_processes() == 1


def test_with_redis_a_new_entry_is_checked_by_the_rq_worker(
    app, session, contest, two_entries, redis_queue
):
    """With REDIS_URL the copy check of a new entry is queued, not done in the request; the
    RQ worker's check stores the same report the request would have."""
    from rq import SimpleWorker

    from contest.models import Entry

    _source, copier = two_entries
    app.config["REDIS_URL"] = REDIS_URL
    with app.app_context():
        assert jobs.check_entry_soon(app, copier.id) == "rq"
        assert redis_queue.count == 1
        assert session.scalars(select(SimilarityReport)).all() == []
        SimpleWorker([redis_queue], connection=redis_queue.connection).work(burst=True)
    session.expire_all()
    queued = session.scalar(select(SimilarityReport).where(SimilarityReport.entry_id == copier.id))
    assert queued is not None and queued.flagged
    inline = screening.check_entry_now(session, entry=session.get(Entry, copier.id))
    assert (inline.overlap, inline.flagged) == (queued.overlap, queued.flagged)


def test_with_redis_unreachable_the_check_is_done_now(app, contest, two_entries):
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"  # nothing listens there
    assert jobs.check_entry_soon(app, two_entries[1].id) == "now"
    app.config["REDIS_URL"] = None
    assert jobs.check_entry_soon(app, two_entries[1].id) == "now"


def test_confirming_with_redis_queues_the_check(
    app, client, factory, contest, session, login, redis_queue
):
    """The contestant's confirmation queues the check instead of running it."""
    from contest.models import Entry
    from tests.contest.test_entries import _submit

    app.config["REDIS_URL"] = REDIS_URL
    login(factory.user(email="thisinh-nen@example.vn"))
    receipt = _submit(client, contest)
    entry = session.scalar(select(Entry).where(Entry.receipt_no == receipt))
    assert entry.status.value == "submitted"
    assert redis_queue.count == 1
    assert redis_queue.jobs[0].args == (entry.id,)
    assert session.scalars(select(SimilarityReport)).all() == []
