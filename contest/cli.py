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


def register(app: Flask) -> None:
    app.cli.add_command(users_cli)

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

    from contest import demo

    app.cli.add_command(demo.demo_cli)
