"""What a judge's requests cost the database: a fixed number of statements, whatever the
length of the judge's list. 200 judges at once multiply every extra round trip (the load
benchmark, docs/bench/load.md); a lazy load per row creeping back in fails here."""

from __future__ import annotations

import re

from sqlalchemy import event

from tests.conftest import csrf_token
from tests.judging.conftest import World
from tests.judging.test_judging_flow import _criteria, _mine

# user, the reading (contest + round + seat + assignment + score + criteria [+ entry]) and
# then: the codes for previous/next and the user's roles for the menu (open); the score
# write and its audit event (autosave); the same, plus the next unscored code (submit).
MOST = {"open": 4, "autosave": 4, "submit": 5}


class _Counter:
    def __init__(self, engine):
        self.n = 0
        event.listen(engine, "before_cursor_execute", self._one)
        self.engine = engine

    def _one(self, *_args):
        self.n += 1

    def close(self):
        event.remove(self.engine, "before_cursor_execute", self._one)


def _costs(client, world, code, token, crit) -> dict[str, int]:
    counter = _Counter(world.app.extensions["db_engine"])
    base = f"/judge/cham-thi/round/1/entries/{code}"
    out = {}
    try:
        counter.n = 0
        page = client.get(base)
        assert page.status_code == 200
        out["open"] = counter.n
        version = re.search(r'name="version" value="([^"]*)"', page.get_data(as_text=True))
        data = {"csrf_token": token, "comment": "ý kiến"}
        if version and version.group(1):
            data["version"] = version.group(1)
        data[f"points-{crit[0][0]}"] = "10"
        counter.n = 0
        saved = client.post(base + "/draft", data=data, headers={"Accept": "application/json"})
        assert saved.status_code == 200, saved.get_data(as_text=True)
        out["autosave"] = counter.n
        data["version"] = str(saved.get_json()["score"]["version"])
        data.update({f"points-{cid}": str(mp - 1) for cid, mp in crit})
        counter.n = 0
        done = client.post(base + "/submit", data=data, headers={"Accept": "application/json"})
        assert done.status_code == 200, done.get_data(as_text=True)
        out["submit"] = counter.n
    finally:
        counter.close()
    return out


def test_a_judge_request_costs_a_fixed_number_of_statements(app, factory, client, judge_login):
    world = World(app, factory, n_entries=16, n_judges=2, readings=1)
    world.open_and_assign()
    judge = judge_login(world, 0)
    mine = _mine(world, judge)
    assert len(mine) >= 6
    crit = _criteria(world)
    token = csrf_token(client, f"/judge/cham-thi/round/1/entries/{mine[0]}")
    first = _costs(client, world, mine[0], token, crit)
    # later in the list, with several readings already scored: the same cost
    for code in mine[1:4]:
        _costs(client, world, code, token, crit)
    later = _costs(client, world, mine[4], token, crit)
    assert first == later, (first, later)
    for kind, most in MOST.items():
        assert first[kind] <= most, (kind, first)
