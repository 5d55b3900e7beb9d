"""Benchmark judging.assignment against plain greedy, and an incremental re-plan.

    .venv/bin/python bench/bench_assign.py [--quick] [--seed N]

Instance (default): 100,000 entries in 5 categories (35/25/15/15/10 %), 500 judges; each
judge has a main category drawn with the same weights and, for 40 % of them, a second one;
2 readings per entry. Conflicts, all between a judge and an entry of the judge's category:
1 % of entries have one conflicted judge each, and 1 % of judges are each conflicted with
1 % of all entries (drawn from their categories). --quick divides entries and judges by 10.

Each run happens in a forked child so its peak memory (ru_maxrss) is its own; the figure
includes the instance the child inherited, shown separately as "base".
Incremental scenario: the plan is taken as existing with 30 % of it locked (scored), then
1 % more entries arrive late and one judge withdraws.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import random
import resource
import sys
import time
from collections import Counter, defaultdict

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from judging.assignment import (  # noqa: E402
    EntrySlot,
    Existing,
    JudgeSpec,
    greedy_baseline,
    judge_graph_components,
    plan_assignments,
)

CATS = ["Báo", "Tạp chí", "Phát thanh", "Truyền hình", "Video clip"]
WEIGHTS = [35, 25, 15, 15, 10]


def build(n_entries: int, n_judges: int, seed: int):
    rnd = random.Random(seed)
    entries = [EntrySlot(i, f"CL-{i:06d}", rnd.choices(CATS, WEIGHTS)[0]) for i in range(n_entries)]
    judges = []
    for j in range(n_judges):
        cats = {rnd.choices(CATS, WEIGHTS)[0]}
        if rnd.random() < 0.4:
            cats.add(rnd.choice(CATS))
        judges.append(JudgeSpec(10_000 + j, f"GK {j}", frozenset(cats)))
    by_cat = defaultdict(list)
    for j in judges:
        for c in j.categories:
            by_cat[c].append(j.judge_id)
    entries_of = defaultdict(list)
    for e in entries:
        entries_of[e.category].append(e.entry_id)
    conflicts = set()
    for e in rnd.sample(entries, n_entries // 100):
        conflicts.add((rnd.choice(by_cat[e.category]), e.entry_id))
    for j in rnd.sample(judges, max(1, n_judges // 100)):
        pool = [eid for c in sorted(j.categories) for eid in entries_of[c]]
        for eid in rnd.sample(pool, min(len(pool), n_entries // 100)):
            conflicts.add((j.judge_id, eid))
    return entries, judges, sorted(conflicts)


def _child(conn, fn):
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    result = fn()
    elapsed = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    conn.send((elapsed, base / 1024, peak / 1024, result))
    conn.close()


def in_child(fn):
    """Run fn in a forked process; return (seconds, base MB, peak MB, fn's result)."""
    ctx = mp.get_context("fork")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(child, fn))
    proc.start()
    out = parent.recv()
    proc.join()
    return out


def describe(entries, judges, pairs, readings, conflicts):
    """Check validity and measure balance, connectivity and pair coverage of final pairs."""
    cat = {e.entry_id: e.category for e in entries}
    spec = {j.judge_id: j for j in judges}
    conflict_set = set(conflicts)
    by_entry = defaultdict(list)
    for eid, jid in pairs:
        by_entry[eid].append(jid)
    bad = sum(1 for e in entries if len(set(by_entry[e.entry_id])) != readings)
    bad += sum(1 for eid, jid in pairs if (jid, eid) in conflict_set)
    bad += sum(1 for eid, jid in pairs if jid in spec and cat[eid] not in spec[jid].categories)
    load = Counter(jid for _, jid in pairs)
    groups = defaultdict(list)
    for j in judges:
        groups[j.categories].append(load[j.judge_id])
    group_spread = max(max(v) - min(v) for v in groups.values())
    panels = {}
    for c in CATS:
        members = [j.judge_id for j in judges if c in j.categories]
        cat_pairs = [(eid, jid) for eid, jid in pairs if cat[eid] == c]
        co = Counter()
        for eid in {eid for eid, _ in cat_pairs}:
            js = sorted(by_entry[eid])
            for a in range(len(js)):
                for b in range(a + 1, len(js)):
                    co[(js[a], js[b])] += 1
        readers = len({jid for _, jid in cat_pairs})
        panels[c] = {
            "judges": len(members),
            "spread": max(load[j] for j in members) - min(load[j] for j in members),
            "components": len(judge_graph_components(cat_pairs)),
            "pair_coverage": len(co) / max(1, readers * (readers - 1) // 2),
            "max_pair": max(co.values(), default=0),
        }
    return {
        "invalid": bad,
        "global_spread": max(load[j.judge_id] for j in judges)
        - min(load[j.judge_id] for j in judges),
        "group_spread": group_spread,
        "panels": panels,
    }


def show(name, seconds, base, peak, stats):
    print(f"{name}: {seconds:.2f} s, peak RSS {peak:.0f} MB (base {base:.0f} MB)")
    print(
        f"  invalid assignments {stats['invalid']}, max-min load: same-category groups "
        f"{stats['group_spread']}, all judges {stats['global_spread']}"
    )
    for c, p in stats["panels"].items():
        print(
            f"  {c:12s} judges {p['judges']:4d}  max-min {p['spread']:3d}  components "
            f"{p['components']:3d}  pairs covered {p['pair_coverage']:6.1%}  max co-reads "
            f"{p['max_pair']}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10x smaller instance")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    n_entries, n_judges = (10_000, 50) if args.quick else (100_000, 500)
    entries, judges, conflicts = build(n_entries, n_judges, args.seed)
    print(
        f"{n_entries} entries, {n_judges} judges, k=2, {len(conflicts)} conflict pairs, "
        f"{os.cpu_count()} CPUs"
    )

    def planned():
        plan = plan_assignments(entries, judges, readings=2, conflicts=conflicts, seed=args.seed)
        return plan.add

    def greedy():
        plan = greedy_baseline(entries, judges, readings=2, conflicts=conflicts, seed=args.seed)
        return plan.add

    t_plan, base, peak, pairs = in_child(planned)
    show("plan_assignments", t_plan, base, peak, describe(entries, judges, pairs, 2, conflicts))
    t_greedy, base, peak, gpairs = in_child(greedy)
    show("greedy_baseline", t_greedy, base, peak, describe(entries, judges, gpairs, 2, conflicts))
    print(f"time ratio plan/greedy: {t_plan / t_greedy:.2f}")

    # Incremental: 30 % scored, 1 % late entries, one judge withdraws.
    rnd = random.Random(args.seed + 1)
    existing = [Existing(e, j, rnd.random() < 0.3) for e, j in pairs]
    late = [
        EntrySlot(900_000 + t, f"LATE-{t:05d}", rnd.choices(CATS, WEIGHTS)[0])
        for t in range(n_entries // 100)
    ]
    gone = judges[0].judge_id
    remaining = judges[1:]
    held = sum(1 for _, j in pairs if j == gone)
    locked_gone = sum(1 for ex in existing if ex.judge_id == gone and ex.locked)

    def incremental(rebalance):
        def run():
            plan = plan_assignments(
                entries + late,
                remaining,
                readings=2,
                conflicts=conflicts,
                existing=existing,
                seed=args.seed,
                rebalance=rebalance,
            )
            return plan.add, plan.remove

        return run

    print(
        f"incremental: {len(late)} late entries, judge {gone} withdraws holding {held} "
        f"({locked_gone} locked); fewest possible changes: {2 * len(late) + held - locked_gone} "
        f"added, {held - locked_gone} removed"
    )
    for rebalance in (True, False):
        t_inc, base, peak, (add, remove) = in_child(incremental(rebalance))
        final = set(pairs) - set(remove) | set(add)
        active = [p for p in final if p[1] != gone]
        stats = describe(entries + late, remaining, active, 2, conflicts)
        # The withdrawn judge's locked readings stay and count, so those entries are complete.
        stats["invalid"] -= locked_gone
        show(
            f"  rebalance={rebalance}: added {len(add)}, removed {len(remove)}",
            t_inc,
            base,
            peak,
            stats,
        )


if __name__ == "__main__":
    main()
