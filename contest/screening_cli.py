"""CLI of the similarity screening: `flask --app app similarity scan --contest SLUG` and
`flask --app app jobs worker` (an RQ worker with the app context, when REDIS_URL is set)."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from contest import jobs, screening, services
from contest.problems import cli_language

similarity_cli = AppGroup("similarity", help="Similarity screening. / Quét trùng lặp.")
jobs_cli = AppGroup("jobs", help="Background jobs. / Tác vụ chạy nền.")


def _say(vi: str, en: str) -> str:
    return en if cli_language() == "en" else vi


@similarity_cli.command("scan")
@click.option("--contest", "slug", required=True, help="The contest's short name.")
def scan(slug: str):
    """Scan every entry of a contest here and now, with a progress bar (the web page shows
    the same job)."""
    factory = current_app.extensions["db_session_factory"]
    with factory() as s:
        contest = services.get_contest(s, slug)
        if contest is None:
            raise click.ClickException(
                _say(f"Không có cuộc thi “{slug}”.", f"There is no contest “{slug}”.")
            )
        job, created = screening.start_scan(s, contest=contest, actor=None)
        s.commit()
        job_id = job.id
    if not created:
        raise click.ClickException(
            _say(
                f"Một lượt quét đang chạy (tác vụ {job_id}); hãy chờ nó kết thúc.",
                f"A scan is already running (job {job_id}); wait for it to end.",
            )
        )
    with click.progressbar(length=1, label=_say("Đang quét", "Scanning")) as bar:
        seen = {"done": 0}

        def progress(done: int, total: int) -> None:
            bar.length = max(total, 1)
            bar.update(done - seen["done"])
            seen["done"] = done

        state = jobs.run_job(factory, job_id, worker=jobs.worker_name("cli"), on_progress=progress)
    with factory() as s:
        from contest.models import Job

        job = s.get(Job, job_id)
        if state != "done":
            raise click.ClickException(
                _say("Lượt quét thất bại; xem nhật ký.", "The scan failed; see the log.")
            )
        result = job.result
    click.echo(
        _say(
            f"Đã so sánh {result['entries']} tác phẩm; {result['flagged']} bị gắn cờ; "
            f"{result['matches']} đoạn trùng được lưu.",
            f"Compared {result['entries']} entries; {result['flagged']} flagged; "
            f"{result['matches']} matches stored.",
        )
    )


@jobs_cli.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
def worker(burst: bool):
    """Run an RQ worker for the platform's jobs, inside the app (needs REDIS_URL)."""
    url = current_app.config.get("REDIS_URL")
    if not url:
        raise click.ClickException(
            _say(
                "Chưa đặt REDIS_URL: không có hàng đợi; các tác vụ chạy trong tiến trình web.",
                "REDIS_URL is not set: there is no queue; jobs run inside the web process.",
            )
        )
    from rq import Queue, SimpleWorker

    app = current_app._get_current_object()
    resumed = jobs.resume_stale(app)
    if resumed:
        click.echo(_say(f"Chạy lại các tác vụ: {resumed}", f"Resumed jobs: {resumed}"))
    connection = jobs.redis_connection(url)
    SimpleWorker([Queue(jobs.QUEUE, connection=connection)], connection=connection).work(
        burst=burst
    )


def register(app: Flask) -> None:
    app.cli.add_command(similarity_cli)
    app.cli.add_command(jobs_cli)
