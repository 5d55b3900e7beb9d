"""A judging world: an open contest with released entries, two rounds, judges seated."""

from __future__ import annotations

import pytest

from contest.entries import AuthorInput


class World:
    def __init__(self, app, factory, *, n_entries=6, n_judges=3, readings=2, author_units=None):
        from contest import entries, services
        from judging import services as js

        self.app = app
        self.contest = factory.contest(slug="cham-thi", state="open")
        self.admin = factory.user(email="qt@example.vn", admin=True)
        self.secretary = factory.user(email="tk@example.vn", roles=[("cham-thi", "secretary")])
        self.entries = []
        for i in range(n_entries):
            unit = (author_units or {}).get(i, f"Đơn vị số {i}")
            author = AuthorInput(
                full_name=f"Tác Giả Thứ {i}",
                unit=unit,
                email=f"tacgia{i}@example.vn",
                phone=f"09{i:08d}",
            )
            self.entries.append(
                factory.entry(self.contest, category=i % 2, authors=[author], seed=100 + i)
            )
        Session = app.extensions["db_session_factory"]
        with Session() as s:
            c = services.get_contest(s, "cham-thi")
            admin = s.get(type(self.admin), self.admin.id)
            entries.release_entries(s, vault=app.extensions["vault"], contest=c, actor=admin)
            rounds = js.ensure_default_rounds(s, contest=c, actor=admin)
            rounds[0].readings = readings
            self.judges = []
            for j in range(n_judges):
                seat, _token = js.invite_judge(
                    s,
                    rnd=rounds[0],
                    actor=admin,
                    email=f"gk{j}@example.vn",
                    full_name=f"Giám Khảo {j}",
                )
                self.judges.append(seat.user_id)
            s.commit()
        self.password_of = {}
        # judges get a known password for the login helper
        from contest.models import User
        from contest.passwords import hash_password

        with Session() as s:
            for uid in self.judges:
                u = s.get(User, uid)
                u.password_hash = hash_password("mat-khau-dai-1")
            s.commit()

    def session(self):
        return self.app.extensions["db_session_factory"]()

    def open_and_assign(self, seed=1):
        from contest import services
        from judging import services as js

        with self.session() as s:
            c = services.get_contest(s, "cham-thi")
            rnd = js.get_round(s, c, 1)
            js.set_round_state(s, rnd=rnd, actor=None, state="open")
            preview = js.apply_assignments(s, rnd=rnd, actor=None, seed=seed)
            assert preview.plan is not None, [p.message("en") for p in preview.problems]
            s.commit()

    def assignments(self):
        from sqlalchemy import select

        from judging.models import Assignment

        with self.session() as s:
            return [
                (a.entry_id, a.judge_id, a.entry.secret_code)
                for a in s.scalars(select(Assignment).where(Assignment.active.is_(True)))
            ]


@pytest.fixture
def world(app, factory):
    return World(app, factory)


@pytest.fixture
def judge_login(client):
    from tests.conftest import csrf_token

    def _login(world, index=0, c=None):
        c = c or client
        from contest.models import User

        with world.session() as s:
            email = s.get(User, world.judges[index]).email
        r = c.post(
            "/login",
            data={"email": email, "password": "mat-khau-dai-1", "csrf_token": csrf_token(c)},
        )
        assert r.status_code == 302
        return world.judges[index]

    return _login
