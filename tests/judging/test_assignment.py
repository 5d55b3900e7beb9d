"""Tests for judging.assignment: validity, balance, rotation, incremental plans, messages."""

from __future__ import annotations

import ast
import random
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from judging.assignment import (
    AssignmentError,
    EntrySlot,
    Existing,
    JudgeSpec,
    Plan,
    greedy_baseline,
    judge_graph_components,
    plan_assignments,
)

CATS = ["Báo", "Tạp chí", "Phát thanh", "Truyền hình", "Video clip"]


def _entries(n, cats=("Báo",), start=0):
    return [EntrySlot(i, f"CL-{i:04d}", cats[i % len(cats)]) for i in range(start, start + n)]


def _judges(n, cats=frozenset(), max_load=None, start=100):
    return [JudgeSpec(j, f"GK {j}", frozenset(cats), max_load) for j in range(start, start + n)]


def _apply(existing, plan: Plan) -> dict[tuple[int, int], bool]:
    """Final assignments after the plan: pair -> locked."""
    state: dict[tuple[int, int], bool] = {}
    for ex in existing:
        key = (ex.entry_id, ex.judge_id)
        state[key] = state.get(key, False) or ex.locked
    for pair in plan.remove:
        assert pair in state, f"removes unknown pair {pair}"
        assert not state[pair], f"removes locked pair {pair}"
        del state[pair]
    for pair in plan.add:
        assert pair not in state, f"adds a pair already held {pair}"
        state[pair] = False
    return state


def check_plan(entries, judges, readings, conflicts, existing, plan, *, connected=False):
    """Assert every rule of the issue on a plan; return final loads of active judges."""
    final = _apply(existing, plan)
    entry_by_id = {e.entry_id: e for e in entries}
    judge_by_id = {j.judge_id: j for j in judges}
    conflict_set = set(conflicts)
    assert len(plan.add) == len(set(plan.add))
    assert len(plan.remove) == len(set(plan.remove))
    by_entry = defaultdict(list)
    for (entry_id, judge_id), locked in final.items():
        by_entry[entry_id].append((judge_id, locked))
        if locked:
            continue
        # Every unlocked assignment is fully valid.
        assert entry_id in entry_by_id
        judge = judge_by_id[judge_id]
        category = entry_by_id[entry_id].category
        assert not judge.categories or category in judge.categories
        assert (judge_id, entry_id) not in conflict_set
    for e in entries:
        held = by_entry.get(e.entry_id, [])
        locked_n = sum(1 for _, lk in held if lk)
        assert len(held) == max(readings, locked_n), (e, held)
    loads = Counter(judge_id for (_, judge_id) in final)
    assert plan.loads == {
        **{j.judge_id: loads.get(j.judge_id, 0) for j in judges},
        **{jid: n for jid, n in loads.items() if jid not in judge_by_id},
    }
    locked_load = Counter(jid for (_, jid), lk in final.items() if lk)
    for j in judges:
        if j.max_load is not None:
            assert loads[j.judge_id] <= max(j.max_load, locked_load[j.judge_id])
    # Balance: no unlocked reading could move to a judge of the same categories two below.
    groups = defaultdict(list)
    for j in judges:
        groups[j.categories or frozenset(["*"])].append(j)
    held_by = defaultdict(set)
    for (entry_id, judge_id), lk in final.items():
        if not lk:
            held_by[judge_id].add(entry_id)
    for members in groups.values():
        for u in members:
            for v in members:
                has_room = v.max_load is None or loads[v.judge_id] < v.max_load
                if loads[u.judge_id] - loads[v.judge_id] < 2 or not has_room:
                    continue
                movable = [
                    eid
                    for eid in held_by[u.judge_id]
                    if (eid, v.judge_id) not in final and (v.judge_id, eid) not in conflict_set
                ]
                assert not movable, (u, v, loads[u.judge_id], loads[v.judge_id])
    if connected:
        for category in {e.category for e in entries}:
            pairs = [(eid, jid) for (eid, jid) in final if entry_by_id[eid].category == category]
            assert len(judge_graph_components(pairs)) == 1, category
    return loads


def _random_instance(rnd: random.Random):
    n = rnd.randint(1, 120)
    nj = rnd.randint(3, 14)
    cats = CATS[: rnd.randint(1, 4)]
    readings = rnd.randint(1, 3)
    entries = [EntrySlot(i, f"CL-{i:04d}", rnd.choice(cats)) for i in range(n)]
    judges = []
    for j in range(nj):
        mine = (
            frozenset()
            if rnd.random() < 0.2
            else frozenset(rnd.sample(cats, min(len(cats), rnd.randint(1, 2))))
        )
        cap = rnd.randint(n // 3, n) if rnd.random() < 0.2 else None
        judges.append(JudgeSpec(100 + j, f"GK {j}", mine, cap))
    conflicts = {(rnd.randrange(100, 100 + nj), rnd.randrange(n)) for _ in range(n // 10)}
    return entries, judges, readings, sorted(conflicts)


def test_plan_small_panel_exact_loads_and_rotation():
    entries = _entries(6)
    judges = _judges(4)
    plan = plan_assignments(entries, judges, readings=2, seed=1)
    assert plan.loads == {100: 3, 101: 3, 102: 3, 103: 3}
    assert plan.remove == []
    assert len(plan.add) == 12
    pairs = Counter()
    by_entry = defaultdict(list)
    for eid, jid in plan.add:
        by_entry[eid].append(jid)
    for jids in by_entry.values():
        pairs[tuple(sorted(jids))] += 1
    # 6 entries, 4 judges: every one of the 6 pairs once (full rotation).
    assert sorted(pairs.values()) == [1, 1, 1, 1, 1, 1]
    check_plan(entries, judges, 2, [], [], plan, connected=True)


def test_plan_random_instances_satisfy_every_rule():
    rnd = random.Random(20260501)
    solved = 0
    for _ in range(120):
        entries, judges, readings, conflicts = _random_instance(rnd)
        try:
            plan = plan_assignments(entries, judges, readings=readings, conflicts=conflicts, seed=7)
        except AssignmentError as err:
            assert err.problems
            continue
        check_plan(entries, judges, readings, conflicts, [], plan)
        solved += 1
    assert solved >= 60


def test_plan_connected_panels_when_entries_are_plenty():
    rnd = random.Random(5)
    for seed in range(15):
        judges = [
            JudgeSpec(100 + j, f"GK {j}", frozenset(rnd.sample(CATS[:3], rnd.randint(1, 2))))
            for j in range(12)
        ]
        entries = [EntrySlot(i, f"CL-{i:04d}", CATS[i % 3]) for i in range(150)]
        conflicts = sorted({(rnd.randrange(100, 112), rnd.randrange(150)) for _ in range(15)})
        plan = plan_assignments(entries, judges, readings=2, conflicts=conflicts, seed=seed)
        check_plan(entries, judges, 2, conflicts, [], plan, connected=True)
        assert plan.summary()["connected_panels"] == ["Báo", "Phát thanh", "Tạp chí"]


def test_plan_same_seed_same_plan_other_seed_differs():
    entries = _entries(40, ("Báo", "Tạp chí"))
    judges = _judges(6)
    a = plan_assignments(entries, judges, readings=2, seed=11)
    b = plan_assignments(entries, judges, readings=2, seed=11)
    c = plan_assignments(entries, judges, readings=2, seed=12)
    assert a.add == b.add
    assert a.add != c.add


def test_plan_avoids_conflicts_and_uses_only_category_judges():
    entries = _entries(10, ("Báo", "Tạp chí"))
    judges = _judges(3, {"Báo"}) + _judges(3, {"Tạp chí"}, start=200)
    conflicts = [(100, 0), (101, 2), (200, 1)]
    plan = plan_assignments(entries, judges, readings=2, conflicts=conflicts, seed=0)
    for eid, jid in plan.add:
        assert (jid < 200) == (eid % 2 == 0)
        assert (jid, eid) not in conflicts
    by_entry = defaultdict(set)
    for eid, jid in plan.add:
        by_entry[eid].add(jid)
    assert by_entry[0] == {101, 102}
    assert by_entry[2] == {100, 102}
    assert by_entry[1] == {201, 202}
    check_plan(entries, judges, 2, conflicts, [], plan)


def test_plan_judge_without_categories_judges_every_category():
    entries = _entries(4, ("Báo", "Video clip"))
    judges = [JudgeSpec(1, "A", frozenset()), JudgeSpec(2, "B", frozenset({"Báo"}))]
    plan = plan_assignments(entries, judges, readings=1, seed=0)
    # Judge 1 alone can read Video clip; Báo goes to judge 2 for balance.
    assert plan.add == [(0, 2), (1, 1), (2, 2), (3, 1)]


def test_plan_respects_max_load_and_balances_the_rest():
    entries = _entries(10)
    judges = [JudgeSpec(1, "A", frozenset(), 2)] + _judges(3)
    plan = plan_assignments(entries, judges, readings=2, seed=3)
    assert plan.loads == {1: 2, 100: 6, 101: 6, 102: 6}


def test_plan_spreads_load_across_shared_categories():
    # Báo has 3 judges of its own and 2 shared with Tạp chí; Tạp chí has 20 entries.
    entries = [EntrySlot(i, f"B{i}", "Báo") for i in range(10)] + [
        EntrySlot(100 + i, f"T{i}", "Tạp chí") for i in range(20)
    ]
    judges = _judges(3, {"Báo"}, start=1) + _judges(2, {"Báo", "Tạp chí"}, start=10)
    plan = plan_assignments(entries, judges, readings=1, seed=0)
    # 30 readings; the two shared judges must take all 20 Tạp chí, so they carry 10 each.
    assert sorted(plan.loads.values()) == [3, 3, 4, 10, 10]
    assert plan.loads[10] == 10 and plan.loads[11] == 10


def test_plan_too_few_judges_says_why_in_both_languages():
    entries = [EntrySlot(7, "CL-7KQ3", "Báo")]
    judges = _judges(2, {"Báo"})
    with pytest.raises(AssignmentError) as info:
        plan_assignments(entries, judges, readings=2, conflicts=[(100, 7)])
    (problem,) = info.value.problems
    assert problem.code == "too_few_judges"
    assert problem.params == {"code": "CL-7KQ3", "category": "Báo", "available": 1, "needed": 2}
    assert problem.message("en") == (
        "Entry CL-7KQ3 has only 1 judge without a conflict in category Báo, 2 are needed; "
        "add judges to the category or lower the number of readings."
    )
    assert problem.message() == (
        "Tác phẩm CL-7KQ3 chỉ có 1 giám khảo không xung đột lợi ích trong hạng mục Báo, cần 2; "
        "hãy thêm giám khảo cho hạng mục hoặc giảm số lượt chấm."
    )


def test_plan_category_capacity_reported():
    entries = _entries(120)
    judges = _judges(4, {"Báo"}, max_load=50)
    with pytest.raises(AssignmentError) as info:
        plan_assignments(entries, judges, readings=2)
    (problem,) = info.value.problems
    assert problem.params == {"category": "Báo", "needed": 240, "capacity": 200}
    assert problem.message("en") == (
        "Category Báo needs 240 readings but its judges can take only 200 in total; "
        "add judges or raise their maximum load."
    )


def test_plan_collects_every_problem():
    entries = [
        EntrySlot(1, "A1", "Báo"),
        EntrySlot(2, "A2", "Báo"),
        EntrySlot(3, "V1", "Video clip"),
    ]
    judges = _judges(2, {"Báo"})
    with pytest.raises(AssignmentError) as info:
        plan_assignments(entries, judges, readings=2, conflicts=[(100, 1), (101, 2)])
    codes = [
        (p.code, p.params.get("code") or p.params.get("category")) for p in info.value.problems
    ]
    assert codes == [
        ("no_judges", "Video clip"),
        ("too_few_judges", "A1"),
        ("too_few_judges", "A2"),
    ]
    assert info.value.message("en").splitlines()[0] == (
        "The assignment cannot be made: 3 problem(s) to resolve."
    )
    assert info.value.message().splitlines()[0] == "Không thể phân công: 3 vấn đề cần xử lý."


def test_plan_joint_capacity_of_shared_judges_reported():
    entries = [EntrySlot(i, f"B{i}", "Báo") for i in range(3)] + [
        EntrySlot(10 + i, f"T{i}", "Tạp chí") for i in range(3)
    ]
    judges = [
        JudgeSpec(1, "A", frozenset({"Báo", "Tạp chí"}), 1),
        JudgeSpec(2, "B", frozenset({"Báo"}), 2),
        JudgeSpec(3, "C", frozenset({"Tạp chí"}), 2),
    ]
    with pytest.raises(AssignmentError) as info:
        plan_assignments(entries, judges, readings=1)
    (problem,) = info.value.problems
    assert problem.code == "categories_capacity"
    assert problem.params == {"categories": ["Báo", "Tạp chí"], "needed": 6, "capacity": 5}


def test_plan_invalid_input_reported():
    entries = [EntrySlot(1, "A", "Báo"), EntrySlot(1, "B", "Báo")]
    judges = [JudgeSpec(5, "X", frozenset(), -1), JudgeSpec(5, "Y")]
    with pytest.raises(AssignmentError) as info:
        plan_assignments(entries, judges, readings=0)
    assert [p.code for p in info.value.problems] == [
        "invalid_readings",
        "duplicate_entry",
        "invalid_max_load",
        "duplicate_judge",
    ]
    assert info.value.problems[2].message("en") == (
        "The maximum load of judge X cannot be negative (it is -1)."
    )


def _as_existing(plan: Plan, locked=frozenset()):
    return [Existing(e, j, (e, j) in locked) for e, j in plan.add]


def test_plan_late_entry_only_adds_its_readings():
    entries = _entries(30, ("Báo", "Tạp chí"))
    judges = _judges(5)
    first = plan_assignments(entries, judges, readings=2, seed=2)
    existing = _as_existing(first)
    late = entries + [EntrySlot(500, "LATE", "Báo")]
    plan = plan_assignments(late, judges, readings=2, existing=existing, seed=2)
    assert plan.remove == []
    assert [e for e, _ in plan.add] == [500, 500]
    loads = check_plan(late, judges, 2, [], existing, plan)
    assert sorted(loads.values()) == [12, 12, 12, 13, 13]


def test_plan_withdrawn_judge_moves_only_unlocked_readings():
    entries = _entries(20)
    judges = _judges(5)
    first = plan_assignments(entries, judges, readings=2, seed=4)
    gone = 104
    held = sorted((e, j) for e, j in first.add if j == gone)
    locked = {held[0], first.add[0]}
    existing = _as_existing(first, locked)
    remaining = [j for j in judges if j.judge_id != gone]
    plan = plan_assignments(entries, remaining, readings=2, existing=existing, seed=4)
    assert plan.remove == held[1:]
    assert len(plan.add) == len(held) - 1
    assert {e for e, _ in plan.add} == {e for e, _ in held[1:]}
    loads = check_plan(entries, remaining, 2, [], existing, plan)
    assert plan.loads[gone] == 1
    assert sorted(loads[j.judge_id] for j in remaining) == [9, 10, 10, 10]


def test_plan_new_judge_takes_a_share_with_rebalance_only():
    entries = _entries(40)
    judges = _judges(4)
    first = plan_assignments(entries, judges, readings=2, seed=1)
    existing = _as_existing(first, locked=set(first.add[:10]))
    more = judges + [JudgeSpec(999, "New", frozenset())]
    plan = plan_assignments(entries, more, readings=2, existing=existing, seed=1)
    loads = check_plan(entries, more, 2, [], existing, plan)
    assert sorted(loads.values()) == [16, 16, 16, 16, 16]
    assert len(plan.remove) == 16
    assert {j for _, j in plan.add} == {999}
    assert not set(plan.remove) & set(first.add[:10])
    kept = plan_assignments(entries, more, readings=2, existing=existing, seed=1, rebalance=False)
    assert kept.remove == [] and kept.add == []
    assert kept.loads[999] == 0


def test_plan_removes_invalid_and_surplus_unlocked_keeps_pinned():
    entries = _entries(4)
    judges = _judges(4)
    existing = [
        Existing(0, 100),
        Existing(0, 101),
        Existing(0, 102),  # surplus third reading
        Existing(1, 100, locked=True),  # pinned, kept even with a conflict
        Existing(2, 101),  # now conflicted: must go
        Existing(99, 103),  # entry withdrawn
        Existing(98, 777, locked=True),  # scored by a judge who left, entry withdrawn
    ]
    conflicts = [(100, 1), (101, 2)]
    plan = plan_assignments(entries, judges, readings=2, conflicts=conflicts, existing=existing)
    assert (2, 101) in plan.remove and (99, 103) in plan.remove
    assert len([p for p in plan.remove if p[0] == 0]) == 1
    assert plan.summary()["locked"] == 2
    assert plan.loads[777] == 1
    check_plan(entries, judges, 2, conflicts, existing, plan)


def test_plan_locked_surplus_counts_towards_readings():
    entries = _entries(1)
    judges = _judges(4)
    existing = [Existing(0, 100, True), Existing(0, 101, True), Existing(0, 102, True)]
    plan = plan_assignments(entries, judges, readings=2, existing=existing)
    assert plan.add == [] and plan.remove == []
    assert plan.loads == {100: 1, 101: 1, 102: 1, 103: 0}


def test_plan_summary_reports_panels():
    entries = _entries(12, ("Báo", "Tạp chí"))
    judges = _judges(3, {"Báo"}) + _judges(3, {"Tạp chí"}, start=200)
    summary = plan_assignments(entries, judges, readings=2, seed=0).summary()
    assert summary["added"] == 24
    assert summary["min_load"] == 4 and summary["max_load"] == 4
    assert summary["panels"]["Báo"] == {
        "entries": 6,
        "judges": 3,
        "min_load": 4,
        "max_load": 4,
        "min_in_category": 4,
        "max_in_category": 4,
        "components": 1,
        "distinct_pairs": 3,
        "possible_pairs": 3,
        "max_pair_count": 2,
    }
    assert summary["connected_panels"] == ["Báo", "Tạp chí"]


def test_judge_graph_components_groups_by_shared_entries():
    pairs = [(1, 10), (1, 11), (2, 11), (2, 12), (3, 20), (3, 21), (4, 30)]
    assert judge_graph_components(pairs) == [{10, 11, 12}, {20, 21}, {30}]
    assert judge_graph_components([]) == []


def test_greedy_baseline_valid_but_repeats_pairs():
    entries = _entries(60)
    judges = _judges(6)
    base = greedy_baseline(entries, judges, readings=2, seed=0)
    check_plan(entries, judges, 2, [], [], base)
    plan = plan_assignments(entries, judges, readings=2, seed=0)
    assert base.summary()["panels"]["Báo"]["distinct_pairs"] == 3
    assert plan.summary()["panels"]["Báo"]["distinct_pairs"] == 15


def test_greedy_baseline_reports_unfillable_entry():
    with pytest.raises(AssignmentError) as info:
        greedy_baseline(_entries(1), _judges(1), readings=2)
    assert info.value.problems[0].message("en") == (
        "Could not find 2 judges with spare capacity for entry CL-0000 (category Báo); "
        "raise the maximum loads or add judges."
    )


def test_assignment_module_imports_neither_flask_nor_sqlalchemy():
    source = Path(__file__).parents[2] / "judging" / "assignment.py"
    tree = ast.parse(source.read_text(encoding="utf-8"))
    roots = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            roots.add(node.module.split(".")[0])
    assert roots == {"__future__", "collections", "dataclasses", "math", "numpy", "scipy"}


def test_plan_random_incremental_changes_satisfy_every_rule():
    rnd = random.Random(77)
    checked = 0
    for round_no in range(60):
        entries, judges, readings, conflicts = _random_instance(rnd)
        try:
            first = plan_assignments(entries, judges, readings=readings, conflicts=conflicts)
        except AssignmentError:
            continue
        locked = {pair for pair in first.add if rnd.random() < 0.3}
        existing = _as_existing(first, locked)
        # A judge leaves, one joins, late entries arrive, new conflicts are declared.
        judges2 = [j for j in judges if j.judge_id != judges[0].judge_id]
        judges2.append(JudgeSpec(900, "New", frozenset(rnd.sample(CATS[:2], 1))))
        late = [EntrySlot(5000 + t, f"LATE{t}", CATS[t % 2]) for t in range(rnd.randint(0, 12))]
        entries2 = entries + late
        conflicts2 = sorted(
            set(conflicts) | {(rnd.choice(judges2).judge_id, rnd.choice(entries2).entry_id)}
        )
        try:
            plan = plan_assignments(
                entries2,
                judges2,
                readings=readings,
                conflicts=conflicts2,
                existing=existing,
                seed=round_no,
            )
        except AssignmentError as err:
            assert err.problems
            continue
        check_plan(entries2, judges2, readings, conflicts2, existing, plan)
        # Nothing valid is removed except to rebalance; locked pairs never.
        assert not set(plan.remove) & locked
        checked += 1
    assert checked >= 30


def test_plan_balances_through_a_chain_of_shared_categories():
    # Judge 1 reads only A, 4 only C; 2 reads A and B, 3 reads B and C. Evening 1 with 3
    # needs a B reading to pass from 3 to 2 and an A reading from 2 to 1.
    entries = (
        [EntrySlot(i, f"A{i}", "A") for i in range(30)]
        + [EntrySlot(100 + i, f"B{i}", "B") for i in range(30)]
        + [EntrySlot(200 + i, f"C{i}", "C") for i in range(6)]
    )
    judges = [
        JudgeSpec(1, "J1", frozenset({"A"})),
        JudgeSpec(2, "J2", frozenset({"A", "B"})),
        JudgeSpec(3, "J3", frozenset({"B", "C"})),
        JudgeSpec(4, "J4", frozenset({"C"})),
    ]
    plan = plan_assignments(entries, judges, readings=1, seed=0)
    assert plan.loads == {1: 20, 2: 20, 3: 20, 4: 6}
    check_plan(entries, judges, 1, [], [], plan)


def test_plan_more_readings_than_judges_reported_per_entry_only():
    entries = _entries(2)
    with pytest.raises(AssignmentError) as info:
        plan_assignments(entries, _judges(2), readings=3)
    assert [p.code for p in info.value.problems] == ["too_few_judges", "too_few_judges"]
    assert info.value.problems[1].message("en") == (
        "Entry CL-0001 has only 2 judges without a conflict in category Báo, 3 are needed; "
        "add judges to the category or lower the number of readings."
    )


def test_plan_frees_a_judge_when_an_entry_is_left_short():
    # A and B may each read one entry; B is in conflict with entry 0. Whichever order the
    # seed gives, entry 0 must end with A and entry 1 with B.
    entries = _entries(2)
    judges = [JudgeSpec(1, "A", frozenset(), 1), JudgeSpec(2, "B", frozenset(), 1)]
    for seed in range(10):
        plan = plan_assignments(entries, judges, readings=1, conflicts=[(2, 0)], seed=seed)
        assert plan.add == [(0, 1), (1, 2)]


def test_connect_swaps_readings_to_join_two_components():
    import numpy as np

    from judging import assignment as mod

    entries = _entries(4)
    judges = _judges(4)
    inst, problems = mod._index(entries, judges, 2, [])
    assert problems == []
    rng = np.random.default_rng(0)
    state = mod._clean_existing(inst, 2, [], rng)
    filler = mod._Filler(inst, state, 2, rng)
    for i, pair in enumerate([(0, 1), (0, 1), (2, 3), (2, 3)]):
        for g in pair:
            filler.place(i, g)
    assert len(mod._components(filler.on)) == 2
    filler.connect(0)
    assert len(mod._components(filler.on)) == 1
    assert filler.load.tolist() == [2, 2, 2, 2]
    assert sorted(len(set(gs)) for gs in filler.on) == [2, 2, 2, 2]


def test_plan_moves_readings_back_to_target_after_a_late_conflict():
    # Whenever the entry in conflict with A comes last, B has to take it beyond its target
    # and hand another entry back to A.
    entries = _entries(4)
    judges = [JudgeSpec(1, "A"), JudgeSpec(2, "B")]
    for seed in range(20):
        plan = plan_assignments(entries, judges, readings=1, conflicts=[(1, 3)], seed=seed)
        assert plan.loads == {1: 2, 2: 2}
        assert (3, 2) in plan.add


def test_even_out_moves_new_readings_from_high_to_low():
    import numpy as np

    from judging import assignment as mod

    entries = _entries(6)
    judges = _judges(3)
    inst, _ = mod._index(entries, judges, 1, [(102, 0)])
    rng = np.random.default_rng(0)
    filler = mod._Filler(inst, mod._clean_existing(inst, 1, [], rng), 1, rng)
    for i in range(6):
        filler.place(i, 0 if i < 5 else 1)
    filler.even_out()
    assert filler.load.tolist() == [2, 2, 2]
    assert 2 not in filler.on[0]  # the conflict still holds


def test_plan_category_without_judges_says_so_once():
    entries = [EntrySlot(1, "V1", "Video clip"), EntrySlot(2, "V2", "Video clip")]
    with pytest.raises(AssignmentError) as info:
        plan_assignments(entries, _judges(3, {"Báo"}), readings=2)
    (problem,) = info.value.problems
    assert problem.message("en") == (
        "Category Video clip has 2 entries but no judges; assign judges to this category."
    )
    assert problem.message("vi") == (
        "Hạng mục Video clip có 2 tác phẩm nhưng không có giám khảo nào; "
        "hãy phân công giám khảo cho hạng mục này."
    )
