"""`make serve`: the multi-process stack on this machine, as a deployment would run it.

PostgreSQL (DATABASE_URL), Redis + RQ workers (REDIS_URL) for background jobs, gunicorn with
several workers serving http://127.0.0.1:8000, uploads in UPLOAD_DIR shared by all of them.
The launcher creates the database when missing, applies the migrations, makes sure an
administrator exists, starts the RQ workers and gunicorn, and stops them all together.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB = "postgresql://postgres@127.0.0.1:5432/contest"
DEFAULT_REDIS = "redis://127.0.0.1:6379/0"


def ensure_database(url: str) -> None:
    """CREATE DATABASE when the target does not exist yet (PostgreSQL only)."""
    if not url.startswith(("postgresql", "postgres")):
        return
    import psycopg

    parts = urlsplit(url.replace("postgresql+psycopg://", "postgresql://"))
    name = parts.path.lstrip("/") or "postgres"
    admin_url = urlunsplit((parts.scheme, parts.netloc, "/postgres", "", ""))
    with psycopg.connect(admin_url, autocommit=True, connect_timeout=5) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--bind", default="127.0.0.1:8000")
    p.add_argument("--workers", type=int, default=3, help="gunicorn worker processes")
    p.add_argument("--rq-workers", type=int, default=1)
    args = p.parse_args(argv)
    env = dict(os.environ)
    env.setdefault("DATABASE_URL", DEFAULT_DB)
    env.setdefault("REDIS_URL", DEFAULT_REDIS)
    env.setdefault("UPLOAD_DIR", str(ROOT / "instance" / "uploads"))
    ensure_database(env["DATABASE_URL"])
    bin_dir = Path(sys.executable).parent
    flask = [str(bin_dir / "flask"), "--app", "app"]
    for cmd in (["db-upgrade"], ["ensure-admin"], ["files", "sweep"]):
        subprocess.run([*flask, *cmd], env=env, cwd=ROOT, check=True)
    children = [
        subprocess.Popen([*flask, "jobs", "worker"], env=env, cwd=ROOT)
        for _ in range(args.rq_workers)
    ]
    gunicorn = subprocess.Popen(
        [
            str(bin_dir / "gunicorn"),
            "--workers", str(args.workers),
            "--bind", args.bind,
            "--timeout", "60",
            "--graceful-timeout", "10",
            "--access-logfile", "-",
            "app:create_app()",
        ],
        env=env,
        cwd=ROOT,
    )  # fmt: skip
    children.append(gunicorn)

    def stop(*_):
        for c in children:
            if c.poll() is None:
                c.terminate()
        deadline = time.time() + 15
        for c in children:
            try:
                c.wait(timeout=max(0.1, deadline - time.time()))
            except subprocess.TimeoutExpired:
                c.kill()

    signal.signal(signal.SIGTERM, lambda *_: (stop(), sys.exit(0)))
    signal.signal(signal.SIGINT, lambda *_: (stop(), sys.exit(0)))
    print(
        f"Serving http://{args.bind} (gunicorn x{args.workers}, RQ x{args.rq_workers}); Ctrl+C stops all.",
        flush=True,
    )
    code = gunicorn.wait()
    stop()
    return code


if __name__ == "__main__":
    sys.exit(main())
