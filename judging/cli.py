"""Flask CLI commands of the judging side."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from contest import services as contest_services
from contest.problems import cli_language
from judging import services as js

judging_cli = AppGroup("judging", help="Judging. / Chấm thi.")


@judging_cli.command("assign")
@click.option("--contest", "slug", required=True)
@click.option(
    "--round", "position", type=int, required=True, help="1 = sơ khảo, 2 = chung khảo, ..."
)
@click.option("--seed", type=int, default=None, help="Same seed, same assignment.")
@click.option("--dry-run", is_flag=True, help="Show the plan; save nothing.")
def assign(slug: str, position: int, seed: int | None, dry_run: bool):
    """Assign entries to the round's judges (k readings each, no conflicts, balanced)."""
    lang = cli_language()
    vi = lang == "vi"
    with current_app.extensions["db_session_factory"]() as s:
        contest = contest_services.get_contest(s, slug)
        if contest is None:
            raise click.ClickException(
                f"Không có cuộc thi “{slug}”." if vi else f"There is no contest “{slug}”."
            )
        rnd = js.get_round(s, contest, position)
        if rnd is None:
            raise click.ClickException(
                f"Không có vòng {position}." if vi else f"There is no round {position}."
            )
        preview = (
            js.preview_assignments(s, rnd=rnd, seed=seed)
            if dry_run
            else js.apply_assignments(s, rnd=rnd, actor=None, seed=seed)
        )
        if preview.plan is None:
            s.rollback()
            for p in preview.problems:
                click.echo(p.message(lang), err=True)
            raise click.ClickException(
                "Không phân công được." if vi else "The assignment cannot be made."
            )
        summary = preview.plan.summary()
        click.echo(
            f"Thêm {len(preview.plan.add)}, bỏ {len(preview.plan.remove)} lượt chấm; tải mỗi giám khảo từ {summary['min_load']} đến {summary['max_load']}."
            if vi
            else f"Add {len(preview.plan.add)}, remove {len(preview.plan.remove)} readings; loads from {summary['min_load']} to {summary['max_load']}."
        )
        if dry_run:
            s.rollback()
            click.echo("(chạy thử: không lưu)" if vi else "(dry run: nothing saved)")
            return
        s.commit()


results_cli = AppGroup("results", help="Results. / Kết quả.")


@results_cli.command("export")
@click.option("--contest", "slug", required=True)
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, writable=True))
@click.option(
    "--round", "position", type=int, default=None, help="Default: the last round with scores."
)
@click.option("--lang", type=click.Choice(["vi", "en"]), default=None)
@click.option("--csv", "as_csv", is_flag=True, help="A .zip of CSV files instead of the workbook.")
def export(slug: str, output: str, position: int | None, lang: str | None, as_csv: bool):
    """Write the results report (.xlsx, or CSV in a zip) from one consistent snapshot."""
    from pathlib import Path

    from judging import export as exporter
    from judging import results

    lang = lang or cli_language()
    vi = lang == "vi"
    with current_app.extensions["db_session_factory"]() as s:
        contest = contest_services.get_contest(s, slug)
        if contest is None:
            raise click.ClickException(
                f"Không có cuộc thi “{slug}”." if vi else f"There is no contest “{slug}”."
            )
        rnd = js.get_round(s, contest, position) if position else results.scored_round(s, contest)
        if rnd is None:
            raise click.ClickException("Chưa có vòng chấm." if vi else "There is no round yet.")
        report = results.build_report(s, contest=contest, rnd=rnd, lang=lang)
        data = (
            exporter.results_csv_zip(report, lang=lang)
            if as_csv
            else exporter.results_workbook(report, lang=lang)
        )
        s.commit()  # the audit event of an identity read, after a reveal
    Path(output).write_bytes(data)
    click.echo(f"{output}: {len(data)} bytes")


demo_cli = AppGroup("demo", help="Demo data. / Dữ liệu trình diễn.")


@demo_cli.command("load")
def demo_load():
    """Load the demo contest demo-2024 with entries, redactions, similarity flags, judges,
    assignments and scores (idempotent)."""
    from contest import demo
    from contest.storage import FileStore
    from judging.demo import load_judging_demo

    with current_app.extensions["db_session_factory"]() as s:
        made = demo.load_demo(
            s,
            vault=current_app.extensions["vault"],
            store=FileStore(current_app.config["UPLOAD_DIR"]),
        )
        made.update(load_judging_demo(s))
        s.commit()
    click.echo(f"{demo.DEMO_SLUG}: {made}")
    click.echo(f"Tài khoản trình diễn / demo accounts (mật khẩu / password: {demo.DEMO_PASSWORD}):")
    for email, _name, role in demo.DEMO_STAFF:
        click.echo(f"  {email:28} {role.value}")


def register(app: Flask) -> None:
    app.cli.add_command(judging_cli)
    app.cli.add_command(results_cli)
    app.cli.add_command(demo_cli)
