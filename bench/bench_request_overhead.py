"""What the web stack adds to a judge's autosave: one autosave through Flask's full stack
(test client: Werkzeug, Flask-Login, CSRF, Babel, the limiter, the request boundary) against
the same work as plain service calls in a session (load the user, `judging.scoring.load`,
`save_draft`, commit), and against that same work done as before judging.scoring (mapped
objects and the unit of work: the baseline), interleaved in one process on a throwaway
PostgreSQL database, CPU time per autosave (median of 8 blocks of 60). No network and no gunicorn: those come on top.

    .venv/bin/python bench/bench_request_overhead.py
"""

import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.chdir(ROOT)

import load_judges as lj  # noqa: E402


def main() -> int:
    tmp = Path(tempfile.mkdtemp())
    env = lj.environment(tmp, sqlite=False, db_name=f"contest_ab_{os.getpid()}")
    os.environ.update(env)
    app = None
    try:
        lj.prepare_database(env)
        from app import create_app

        app = create_app()
        world = lj.build_world(app, n_entries=200, n_judges=10, readings=2, seed=3)
        sessions = lj.forge_sessions(app, world.judges)
        lj.analyze(env)
        from contest.models import User
        from contest.services import record
        from judging import scoring
        from judging import services as js

        F = app.extensions["db_session_factory"]
        client = app.test_client()
        judge = world.judges[0]
        code = world.codes[judge][0]
        cookie, token = sessions[judge]
        client.set_cookie("session", cookie, domain="localhost")
        crit = world.criteria
        url = f"/judge/{lj.SLUG}/round/1/entries/{code}/draft"
        rng = random.Random(1)
        version = [None]

        def via_flask():
            pts = lj._points(rng, crit, complete=False)
            data = {"csrf_token": token, "comment": str(rng.random())}
            if version[0] is not None:
                data["version"] = str(version[0])
            data.update({f"points-{k}": str(v) for k, v in pts.items()})
            r = client.post(
                url,
                data=data,
                headers={"User-Agent": lj.USER_AGENT, "Accept": "application/json"},
                environ_base={"REMOTE_ADDR": "127.0.0.1"},
            )
            assert r.status_code == 200, r.get_data(as_text=True)[:300]
            version[0] = r.get_json()["score"]["version"]

        def direct():
            pts = lj._points(rng, crit, complete=False)
            with F() as s:
                user = s.get(User, judge)
                found = scoring.load(s, slug=lj.SLUG, position=1, judge_id=user.id, code=code)
                score = scoring.save_draft(
                    s,
                    found.target,
                    raw_points={str(k): str(v) for k, v in pts.items()},
                    comment=str(rng.random()),
                    expected_version=version[0],
                    actor_id=user.id,
                )
                s.commit()
                version[0] = score.version

        def orm_objects():
            """The same autosave as the services wrote it before judging.scoring (kept here
            as the baseline): the reading as mapped objects, the score changed on its mapped
            object, flushed, and the audit event added through the unit of work."""
            pts = lj._points(rng, crit, complete=False)
            with F() as s:
                user = s.get(User, judge)
                r = js.reading(s, slug=lj.SLUG, position=1, judge=user, code=code)
                score = r.assignment.score
                if version[0] is not None and score.version != version[0]:
                    raise SystemExit("stale in the baseline")
                points, problems = scoring.parse_points(
                    r.rnd.criteria, {str(k): str(v) for k, v in pts.items()}, complete=False
                )
                before = scoring.snapshot(score)
                score.points = points
                score.comment = str(rng.random())
                score.total = scoring.weighted_total(r.rnd.criteria, points)
                score.updated_at = datetime.now(UTC)
                s.flush()
                record(s, actor=user, action="score.draft", contest=r.contest, obj=score,
                       before=before, after=scoring.snapshot(score))  # fmt: skip
                s.commit()
                version[0] = score.version

        kinds = {
            "full Flask stack": via_flask,
            "service calls only": direct,
            "the same as ORM objects (before judging.scoring)": orm_objects,
        }
        for fn in kinds.values():
            fn()
            fn()
        res = {name: [] for name in kinds}
        for _rep in range(8):
            for name, fn in kinds.items():
                t = time.process_time()
                for _ in range(60):
                    fn()
                res[name].append((time.process_time() - t) / 60 * 1000)
        for k, v in res.items():
            print(f"{k:50s} {statistics.median(v):.2f} ms CPU per autosave (min {min(v):.2f})")
        a, b, c = (statistics.median(v) for v in res.values())
        print(f"Flask/Werkzeug/extensions share of an autosave: {(a - b) / a * 100:.0f}%")
        print(f"service calls, statements / ORM objects: {b / c:.2f}")
    finally:
        if app is not None:
            app.extensions["db_engine"].dispose()
        lj.drop_database(env)
    return 0


if __name__ == "__main__":
    sys.exit(main())
