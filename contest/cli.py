"""Flask CLI commands of the contest side: `flask --app app <command>`."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from contest import migrate, services
from contest.models import StaffRole
from contest.passwords import generate_password
from contest.problems import ProblemError, cli_language


def _session():
    return current_app.extensions["db_session_factory"]()


def _fail(error: ProblemError) -> None:
    lang = cli_language()
    raise click.ClickException(" ".join(error.messages(lang)))


users_cli = AppGroup("users", help="Staff accounts. / Tài khoản cán bộ.")


@users_cli.command("create")
@click.option("--email", required=True)
@click.option("--name", "full_name", required=True)
@click.option(
    "--role",
    type=click.Choice(["admin", "secretary", "judge"]),
    required=True,
    help="admin, or a per-contest role (with --contest).",
)
@click.option("--contest", "slug", help="The contest's short name, for secretary and judge.")
@click.option("--password", help="Omit to generate a one-time password, printed once.")
def users_create(email: str, full_name: str, role: str, slug: str | None, password: str | None):
    """Create a staff account."""
    vi = cli_language() == "vi"
    if role != "admin" and not slug:
        raise click.UsageError(
            "Vai trò thư ký hoặc giám khảo cần --contest."
            if vi
            else "secretary and judge need --contest."
        )
    generated = password is None
    password = password or generate_password()
    with _session() as s:
        contest = None
        if slug:
            contest = services.get_contest(s, slug)
            if contest is None:
                raise click.ClickException(
                    f"Không có cuộc thi “{slug}”." if vi else f"There is no contest “{slug}”."
                )
        try:
            user = services.create_user(
                s,
                email=email,
                full_name=full_name,
                password=password,
                is_admin=role == "admin",
                must_change_password=generated,
            )
            if contest is not None:
                services.add_membership(
                    s, actor=user, user=user, contest=contest, role=StaffRole(role)
                )
        except ProblemError as e:
            s.rollback()
            _fail(e)
        s.commit()
        click.echo(f"{user.email}")
        if generated:
            click.echo(("Mật khẩu dùng một lần: " if vi else "One-time password: ") + password)


entries_cli = AppGroup("entries", help="Entries. / Bài dự thi.")


@entries_cli.command("import")
@click.argument("batch_path", type=click.Path(exists=True, dir_okay=False))
@click.option("--contest", "slug", required=True, help="The contest's short name.")
@click.option(
    "--manifest",
    type=click.Path(exists=True, dir_okay=False),
    help="The list (.xlsx) when it is not inside the zip.",
)
@click.option("--dry-run", is_flag=True, help="Check only; create nothing.")
def entries_import(batch_path: str, slug: str, manifest: str | None, dry_run: bool):
    """Import a batch (.zip of files + Excel list): all entries or none."""
    from pathlib import Path

    from contest import batch, intake
    from contest.storage import FileStore

    lang = cli_language()
    vi = lang == "vi"
    with _session() as s:
        contest = services.get_contest(s, slug)
        if contest is None:
            raise click.ClickException(
                f"Không có cuộc thi “{slug}”." if vi else f"There is no contest “{slug}”."
            )
        zip_bytes = Path(batch_path).read_bytes()
        manifest_bytes = Path(manifest).read_bytes() if manifest else None
        with click.progressbar(length=1, label="Kiểm tra" if vi else "Checking", file=None) as bar:

            def progress(done: int, total: int) -> None:
                bar.length = max(total, 1)
                bar.update(done - bar.pos)

            plan = intake.plan_import(
                s,
                contest=contest,
                zip_bytes=zip_bytes,
                manifest_bytes=manifest_bytes,
                manifest_name=Path(manifest).name if manifest else None,
                progress=progress,
            )
        for p in plan.problems:
            click.echo(p.message(lang), err=True)
        for row in batch.plan_report_rows(plan, lang):
            line = f"{row['number']:>5}  {row['status']:<12} {row['title'][:50]:<50} {row['words'] or '':>6}"
            click.echo(line + (f"  {row['problems']}" if row["problems"] else ""))
        summary = plan.summary()
        click.echo(
            f"Sẽ tạo {summary['create']}, lỗi {summary['errors']}, trùng {summary['duplicates']}."
            if vi
            else f"Would create {summary['create']}, errors {summary['errors']}, duplicates {summary['duplicates']}."
        )
        if dry_run:
            return
        if not plan.ok:
            raise click.ClickException(
                "Lô còn lỗi: không có gì được tạo."
                if vi
                else "The batch has problems: nothing was created."
            )
        with click.progressbar(
            length=len(plan.entries), label="Nhập" if vi else "Importing"
        ) as bar:
            try:
                row = intake.import_plan(
                    s,
                    vault=current_app.extensions["vault"],
                    store=FileStore(current_app.config["UPLOAD_DIR"]),
                    contest=contest,
                    plan=plan,
                    zip_bytes=zip_bytes,
                    actor=None,
                    progress=lambda d, t: bar.update(1),
                )
            except ProblemError as e:
                s.rollback()
                _fail(e)
        s.commit()
        click.echo(
            f"Đã nhập {row.entries_created} bài."
            if vi
            else f"Imported {row.entries_created} entries."
        )


files_cli = AppGroup("files", help="Stored files. / Tệp đã lưu.")


@files_cli.command("sweep")
@click.option("--grace", default=600, show_default=True, help="Seconds a new file is left alone.")
def files_sweep(grace: int):
    """Remove stored files no entry refers to (left by a crash between write and commit)."""
    from contest.storage import FileStore, sweep_orphans

    with _session() as s:
        removed = sweep_orphans(s, FileStore(current_app.config["UPLOAD_DIR"]), grace_seconds=grace)
    click.echo(f"{len(removed)}")


def register(app: Flask) -> None:
    app.cli.add_command(users_cli)
    app.cli.add_command(entries_cli)
    app.cli.add_command(files_cli)

    @app.cli.command("db-upgrade")
    def db_upgrade():
        """Apply the database migrations (creates the database on first run)."""
        migrate.upgrade(current_app.config["DATABASE_URL"])
        click.echo("Cơ sở dữ liệu đã cập nhật. / Database is up to date.")

    @app.cli.command("ensure-admin")
    def ensure_admin():
        """Create the first administrator when there is none (ADMIN_EMAIL / ADMIN_PASSWORD)."""
        with _session() as s:
            try:
                user, password = services.ensure_admin(
                    s,
                    email=current_app.config.get("ADMIN_EMAIL"),
                    password=current_app.config.get("ADMIN_PASSWORD"),
                )
            except ProblemError as e:
                s.rollback()
                _fail(e)
            s.commit()
        if user is None:
            return
        click.echo("=" * 64)
        click.echo("Đã tạo tài khoản quản trị đầu tiên / First administrator created")
        click.echo(f"  E-mail:   {user.email}")
        if current_app.config.get("ADMIN_PASSWORD"):
            click.echo("  Mật khẩu / Password: (ADMIN_PASSWORD)")
        else:
            click.echo(f"  Mật khẩu dùng một lần / One-time password: {password}")
            click.echo(
                "  (chỉ hiện một lần, đổi ngay khi đăng nhập / shown once, change it at first sign-in)"
            )
        click.echo("=" * 64)
