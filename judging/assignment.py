"""Assign entries to judges for one round: k readings each, conflicts, balanced load.

Pure: plain data in, a :class:`Plan` out, deterministic for a given seed.

How a plan is built (each step is a small function below):

1. *Clean* the existing assignments: locked ones (a score exists, or pinned by the
   secretariat) are never touched; unlocked ones that became invalid (entry gone, judge
   withdrew, conflict, wrong category, too many on one entry) are removed.
2. *Targets*: how many readings of each category each judge should hold, found at the
   level of (category, judge) counts. A water-fill gives a start; augmenting paths through
   shared categories then move readings from any judge to one at least two below it, until
   no such path exists. That is the least sum of squared loads, so judges of the same
   categories end within one reading of each other unless a maximum load or a locked
   reading forbids it.
3. *Fill* each category: entries in a seeded random order; each reading goes to the
   allowed judge furthest below target (so counts land exactly on target, as in the
   Gale-Ryser construction), ties broken by fewest co-readings with the entry's other
   judges, so pairs rotate and each panel's judge graph is connected.
4. *Repair* what conflicts left over: move new readings from judges above target to
   judges below it, and swap readings between entries to join graph components.

Only new readings are moved by the repairs, so an incremental run keeps every valid
assignment unless balance needs a move (see ``rebalance``).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

__all__ = [
    "AssignmentError",
    "EntrySlot",
    "Existing",
    "JudgeSpec",
    "Plan",
    "Problem",
    "greedy_baseline",
    "judge_graph_components",
    "plan_assignments",
]

# Stands for "no maximum load"; larger than any real number of readings.
_NO_CAP = 1 << 40


@dataclass(frozen=True)
class EntrySlot:
    """One entry to be read in this round."""

    entry_id: int
    code: str
    category: str


@dataclass(frozen=True)
class JudgeSpec:
    """One judge of the round; an empty ``categories`` set means every category."""

    judge_id: int
    name: str
    categories: frozenset[str] = frozenset()
    max_load: int | None = None


@dataclass(frozen=True)
class Existing:
    """An assignment already made; ``locked`` means it carries a score or was pinned by hand."""

    entry_id: int
    judge_id: int
    locked: bool = False


# --- errors ---------------------------------------------------------------------------


def _judges_vi(n: int) -> str:
    return f"{n} giám khảo"


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one}" if n == 1 else f"{n} {many}"


def _judges_en(n: int) -> str:
    return _plural(n, "judge", "judges")


def _readings_en(n: int) -> str:
    return _plural(n, "reading", "readings")


_TEMPLATES: dict[str, dict[str, object]] = {
    "invalid_readings": {
        "vi": lambda p: f"Số lượt chấm mỗi tác phẩm phải từ 1 trở lên (đang đặt {p['readings']}).",
        "en": lambda p: (
            f"The number of readings per entry must be at least 1 (it is {p['readings']})."
        ),
    },
    "duplicate_entry": {
        "vi": lambda p: (
            f"Tác phẩm mã số nội bộ {p['entry_id']} xuất hiện hai lần; hãy bỏ bản trùng."
        ),
        "en": lambda p: (
            f"Entry with internal id {p['entry_id']} appears twice; remove the duplicate."
        ),
    },
    "duplicate_judge": {
        "vi": lambda p: (
            f"Giám khảo mã số nội bộ {p['judge_id']} xuất hiện hai lần; hãy bỏ bản trùng."
        ),
        "en": lambda p: (
            f"Judge with internal id {p['judge_id']} appears twice; remove the duplicate."
        ),
    },
    "invalid_max_load": {
        "vi": lambda p: (
            f"Giới hạn số bài của giám khảo {p['judge']} không được âm (đang đặt {p['max_load']})."
        ),
        "en": lambda p: (
            f"The maximum load of judge {p['judge']} cannot be negative (it is {p['max_load']})."
        ),
    },
    "no_judges": {
        "vi": lambda p: (
            f"Hạng mục {p['category']} có {p['entries']} tác phẩm nhưng không có giám khảo nào; "
            "hãy phân công giám khảo cho hạng mục này."
        ),
        "en": lambda p: (
            f"Category {p['category']} has {_plural(p['entries'], 'entry', 'entries')} but no "
            "judges; "
            "assign judges to this category."
        ),
    },
    "too_few_judges": {
        "vi": lambda p: (
            f"Tác phẩm {p['code']} chỉ có {_judges_vi(p['available'])} không xung đột lợi ích "
            f"trong hạng mục {p['category']}, cần {p['needed']}; hãy thêm giám khảo cho hạng mục "
            "hoặc giảm số lượt chấm."
        ),
        "en": lambda p: (
            f"Entry {p['code']} has only {_judges_en(p['available'])} without a conflict in "
            f"category {p['category']}, {p['needed']} are needed; add judges to the category "
            "or lower the number of readings."
        ),
    },
    "category_capacity": {
        "vi": lambda p: (
            f"Hạng mục {p['category']} cần {p['needed']} lượt chấm nhưng các giám khảo của hạng mục "
            f"chỉ nhận được tổng cộng {p['capacity']}; hãy thêm giám khảo hoặc nâng giới hạn số bài."
        ),
        "en": lambda p: (
            f"Category {p['category']} needs {_readings_en(p['needed'])} but its judges can take "
            f"only {p['capacity']} in total; add judges or raise their maximum load."
        ),
    },
    "categories_capacity": {
        "vi": lambda p: (
            f"Các hạng mục {', '.join(p['categories'])} cần tổng cộng {p['needed']} lượt chấm nhưng "
            f"các giám khảo của chúng chỉ nhận được {p['capacity']}; hãy thêm giám khảo hoặc nâng "
            "giới hạn số bài."
        ),
        "en": lambda p: (
            f"Categories {', '.join(p['categories'])} together need {_readings_en(p['needed'])} "
            f"but their judges can take only {p['capacity']} in total; add judges or raise their "
            "maximum load."
        ),
    },
    "entry_unfillable": {
        "vi": lambda p: (
            f"Không tìm được đủ {p['needed']} giám khảo còn nhận bài cho tác phẩm {p['code']} "
            f"(hạng mục {p['category']}); hãy nâng giới hạn số bài hoặc thêm giám khảo."
        ),
        "en": lambda p: (
            f"Could not find {_judges_en(p['needed'])} with spare capacity for entry {p['code']} "
            f"(category {p['category']}); raise the maximum loads or add judges."
        ),
    },
    "infeasible": {
        "vi": lambda p: f"Không thể phân công: {p['count']} vấn đề cần xử lý.",
        "en": lambda p: f"The assignment cannot be made: {p['count']} problem(s) to resolve.",
    },
}


def _format(code: str, params: dict, lang: str) -> str:
    templates = _TEMPLATES[code]
    template = templates["en"] if lang.lower().startswith("en") else templates["vi"]
    return template(params)  # type: ignore[operator]


@dataclass(frozen=True)
class Problem:
    """One reason the plan cannot be made; ``message(lang)`` says it in Vietnamese or English."""

    code: str
    params: dict = field(default_factory=dict)

    def message(self, lang: str = "vi") -> str:
        """Return the problem as a sentence: Vietnamese by default, English for ``"en"``."""
        return _format(self.code, self.params, lang)


class AssignmentError(Exception):
    """Raised when no valid plan exists; ``problems`` lists every reason found, not just one."""

    code = "infeasible"

    def __init__(self, problems: Sequence[Problem]):
        self.problems = list(problems)
        self.params = {"count": len(self.problems)}
        super().__init__(self.message("en"))

    def message(self, lang: str = "vi") -> str:
        """Return a heading sentence followed by one line per problem, in ``lang``."""
        lines = [_format(self.code, self.params, lang)]
        lines += [f"- {p.message(lang)}" for p in self.problems]
        return "\n".join(lines)


# --- the plan -------------------------------------------------------------------------


@dataclass
class Plan:
    """What to change: pairs to add and remove, and every judge's load afterwards.

    ``loads`` holds each judge of the round (zero included) and any withdrawn judge who
    still holds a locked assignment. ``panels`` holds per-category figures computed when the
    plan was made (see :meth:`summary`).
    """

    add: list[tuple[int, int]]
    remove: list[tuple[int, int]]
    loads: dict[int, int]
    panels: dict[str, dict] = field(default_factory=dict)
    kept: int = 0
    locked: int = 0

    def summary(self) -> dict:
        """Counts, and per category panel: judges, min/max load, pairs, graph components."""
        return {
            "added": len(self.add),
            "removed": len(self.remove),
            "kept": self.kept,
            "locked": self.locked,
            "judges": len(self.loads),
            "min_load": min(self.loads.values(), default=0),
            "max_load": max(self.loads.values(), default=0),
            "panels": {name: dict(stats) for name, stats in self.panels.items()},
            "connected_panels": sorted(
                name for name, stats in self.panels.items() if stats["components"] <= 1
            ),
        }


# --- graph helpers --------------------------------------------------------------------


def _pair_arrays(on: list[list[int]], members: Iterable[int]) -> tuple[np.ndarray, np.ndarray]:
    """Every pair of judges reading a common entry among ``members``: two index arrays."""
    heads: list[int] = []
    tails: list[int] = []
    for i in members:
        gs = on[i]
        if len(gs) == 2:  # the common case, kept fast
            heads.append(gs[0])
            tails.append(gs[1])
        elif len(gs) > 2:
            for x in range(len(gs)):
                for y in range(x + 1, len(gs)):
                    heads.append(gs[x])
                    tails.append(gs[y])
    return np.asarray(heads, np.int64), np.asarray(tails, np.int64)


def _labels(n: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Component label of each of n nodes, edges a[t]-b[t] (scipy, no Python loop)."""
    graph = coo_matrix((np.ones(len(a), np.int8), (a, b)), shape=(n, n))
    return connected_components(graph, directed=False)[1]


def _count_components(n: int, present: np.ndarray, a: np.ndarray, b: np.ndarray) -> int:
    """Components among the nodes marked ``present``."""
    return len(np.unique(_labels(n, a, b)[present]))


def _components(groups: Iterable[Sequence[int]]) -> list[set[int]]:
    """Connected groups of nodes (ints), two nodes linked when they share a group."""
    heads: list[int] = []
    tails: list[int] = []
    nodes: list[int] = []
    for group in groups:
        if not group:
            continue
        first = group[0]
        nodes.extend(group)
        for other in group[1:]:
            heads.append(first)
            tails.append(other)
    if not nodes:
        return []
    ids = np.unique(np.asarray(nodes, np.int64))
    where = {int(v): t for t, v in enumerate(ids)}
    a = np.fromiter((where[h] for h in heads), np.int64, len(heads))
    b = np.fromiter((where[t] for t in tails), np.int64, len(tails))
    graph = coo_matrix((np.ones(len(a), np.int8), (a, b)), shape=(len(ids), len(ids)))
    _, labels = connected_components(graph, directed=False)
    comps: dict[int, set[int]] = defaultdict(set)
    for node, label in zip(ids.tolist(), labels.tolist(), strict=True):
        comps[label].add(node)
    return sorted(comps.values(), key=min)


def judge_graph_components(assignments: Iterable[tuple[int, int]]) -> list[set[int]]:
    """Split judges into groups linked by reading a common entry.

    ``assignments`` are (entry_id, judge_id) pairs. Two judges are linked when they read the
    same entry; the result lists the connected groups, ordered by their smallest judge id.
    One group means every judge's scale can be compared with every other's.
    """
    by_entry: dict[int, list[int]] = defaultdict(list)
    for entry_id, judge_id in assignments:
        by_entry[entry_id].append(judge_id)
    return _components(by_entry.values())


# --- input handling -------------------------------------------------------------------


@dataclass
class _Instance:
    """Indexed form of the inputs: entries i, categories c and active judges g are ints."""

    entries: list[EntrySlot]
    judges: list[JudgeSpec]
    categories: list[str]
    ent_cat: np.ndarray  # (n,) category index of each entry
    eligible: np.ndarray  # (nc, nj) bool
    cap: np.ndarray  # (nj,) int64 maximum load, _NO_CAP when none
    conflicts_of: dict[int, list[int]]  # entry index -> judge indices
    conflict_keys: np.ndarray  # sorted i * nj + g of every conflict, for vectorised lookups
    judge_index: dict[int, int]
    entry_index: dict[int, int]


def _index(
    entries: Sequence[EntrySlot],
    judges: Sequence[JudgeSpec],
    readings: int,
    conflicts: Iterable[tuple[int, int]],
) -> tuple[_Instance, list[Problem]]:
    problems: list[Problem] = []
    if readings < 1:
        problems.append(Problem("invalid_readings", {"readings": readings}))
    entry_index: dict[int, int] = {}
    for i, e in enumerate(entries):
        if e.entry_id in entry_index:
            problems.append(Problem("duplicate_entry", {"entry_id": e.entry_id}))
        entry_index.setdefault(e.entry_id, i)
    judge_index: dict[int, int] = {}
    for g, j in enumerate(judges):
        if j.judge_id in judge_index:
            problems.append(Problem("duplicate_judge", {"judge_id": j.judge_id}))
        judge_index.setdefault(j.judge_id, g)
        if j.max_load is not None and j.max_load < 0:
            problems.append(Problem("invalid_max_load", {"judge": j.name, "max_load": j.max_load}))
    categories = sorted({e.category for e in entries})
    cat_index = {name: c for c, name in enumerate(categories)}
    ent_cat = np.fromiter((cat_index[e.category] for e in entries), np.int64, len(entries))
    eligible = np.zeros((len(categories), len(judges)), bool)
    for g, j in enumerate(judges):
        if not j.categories:
            eligible[:, g] = True
        for name in j.categories:
            if name in cat_index:
                eligible[cat_index[name], g] = True
    cap = np.fromiter(
        (_NO_CAP if j.max_load is None else max(0, j.max_load) for j in judges),
        np.int64,
        len(judges),
    )
    conflicts_of: dict[int, list[int]] = defaultdict(list)
    for judge_id, entry_id in set(conflicts):
        g = judge_index.get(judge_id)
        i = entry_index.get(entry_id)
        if g is not None and i is not None:
            conflicts_of[i].append(g)
    for lst in conflicts_of.values():
        lst.sort()
    nj = len(judges)
    conflict_keys = np.unique(
        np.fromiter((i * nj + g for i, gs in conflicts_of.items() for g in gs), np.int64)
    )
    inst = _Instance(
        list(entries),
        list(judges),
        categories,
        ent_cat,
        eligible,
        cap,
        dict(conflicts_of),
        conflict_keys,
        judge_index,
        entry_index,
    )
    return inst, problems


@dataclass
class _State:
    """Who reads what while the plan is built."""

    on: list[list[int]]  # entry index -> active judge indices holding it (any status)
    locked_pairs: set[tuple[int, int]]  # (entry index, judge index), active judges only
    locked_count: np.ndarray  # (n,) locked readings per entry, withdrawn judges included
    kept: set[tuple[int, int]]  # unlocked existing pairs still valid
    removed: list[tuple[int, int]]  # (entry_id, judge_id) to remove
    fixed_load: np.ndarray  # (nj,) locked readings per active judge
    outside_locked: dict[int, int]  # withdrawn judge id -> locked readings
    locked_total: int


def _clean_existing(
    inst: _Instance, readings: int, existing: Iterable[Existing], rng: np.random.Generator
) -> _State:
    """Keep locked pairs and valid unlocked ones; list the rest for removal."""
    n, nj = len(inst.entries), len(inst.judges)
    merged: dict[tuple[int, int], bool] = {}
    for ex in existing:
        key = (ex.entry_id, ex.judge_id)
        merged[key] = merged.get(key, False) or ex.locked
    on: list[list[int]] = [[] for _ in range(n)]
    locked_pairs: set[tuple[int, int]] = set()
    locked_count = np.zeros(n, np.int64)
    fixed_load = np.zeros(nj, np.int64)
    outside_locked: dict[int, int] = defaultdict(int)
    removed: list[tuple[int, int]] = []
    candidates: dict[int, list[int]] = defaultdict(list)
    pairs = sorted(merged)
    ent = np.fromiter((inst.entry_index.get(e, -1) for e, _ in pairs), np.int64, len(pairs))
    jdg = np.fromiter((inst.judge_index.get(j, -1) for _, j in pairs), np.int64, len(pairs))
    lock = np.fromiter((merged[p] for p in pairs), bool, len(pairs))
    known = (ent >= 0) & (jdg >= 0)
    valid = known.copy()
    valid[known] = inst.eligible[inst.ent_cat[ent[known]], jdg[known]]
    valid &= ~_is_conflict(inst, ent, jdg)
    locked_total = int(lock.sum())
    for t in np.flatnonzero(lock):
        i, g = int(ent[t]), int(jdg[t])
        if g < 0:
            outside_locked[pairs[t][1]] += 1
        else:
            fixed_load[g] += 1
        if i >= 0:
            locked_count[i] += 1
            if g >= 0:
                on[i].append(g)
                locked_pairs.add((i, g))
    for t in np.flatnonzero(~lock & ~valid):
        removed.append(pairs[t])
    for t in np.flatnonzero(~lock & valid):
        candidates[int(ent[t])].append(int(jdg[t]))
    kept: set[tuple[int, int]] = set()
    for i, gs in candidates.items():
        room = max(0, readings - int(locked_count[i]))
        if len(gs) > room:
            # More unlocked readings than the round needs: drop a seeded random few.
            order = rng.permutation(len(gs))
            drop = {gs[t] for t in order[: len(gs) - room]}
            for g in gs:
                if g in drop:
                    removed.append((inst.entries[i].entry_id, inst.judges[g].judge_id))
            gs = [g for g in gs if g not in drop]
        for g in gs:
            on[i].append(g)
            kept.add((i, g))
    return _State(
        on,
        locked_pairs,
        locked_count,
        kept,
        removed,
        fixed_load,
        dict(outside_locked),
        locked_total,
    )


def _is_conflict(inst: _Instance, ent: np.ndarray, jdg: np.ndarray) -> np.ndarray:
    """Vectorised: is judge jdg[t] in conflict with entry ent[t]? (-1 indices: False)."""
    keys = ent * len(inst.judges) + jdg
    hit = np.isin(keys, inst.conflict_keys)
    return hit & (ent >= 0) & (jdg >= 0)


# --- step 2: target counts per (category, judge) ----------------------------------------


def _water_fill(levels: np.ndarray, room: np.ndarray, amount: int, rng) -> np.ndarray:
    """Spread ``amount`` units over judges, lowest level first, each at most ``room``."""
    give = np.zeros(len(levels), np.int64)
    if amount <= 0 or len(levels) == 0:
        return give
    if int(room.sum()) <= amount:
        return room.copy()

    def poured(top: int) -> int:
        return int(np.minimum(np.maximum(top - levels, 0), room).sum())

    lo, hi = int(levels.min()), int(levels.max()) + amount
    while lo < hi:  # smallest level `top` that absorbs the amount
        mid = (lo + hi) // 2
        if poured(mid) >= amount:
            hi = mid
        else:
            lo = mid + 1
    give = np.minimum(np.maximum(lo - 1 - levels, 0), room)
    rest = amount - int(give.sum())
    # The last units go to judges that can still rise to `lo`, in seeded order.
    can = np.flatnonzero((levels + give == lo - 1) & (give < room))
    give[rng.permutation(can)[:rest]] += 1
    return give


def _targets(
    inst: _Instance, state: _State, readings: int, rebalance: bool, rng
) -> tuple[np.ndarray, list[Problem]]:
    """Return x[c, g]: how many unlocked readings of category c judge g should hold."""
    nc, nj = inst.eligible.shape
    flex = np.maximum(readings - state.locked_count, 0)  # unlocked slots per entry
    has_flex = flex > 0
    demand = np.bincount(inst.ent_cat, weights=flex, minlength=nc).astype(np.int64)
    # ub: entries of c that g could still read (not conflicted, not already locked on it).
    flex_entries = np.bincount(inst.ent_cat[has_flex], minlength=nc).astype(np.int64)
    blocked_i, blocked_g = _blocked_pairs(inst, state)
    on_flex = has_flex[blocked_i]
    blocked = np.zeros((nc, nj), np.int64)
    np.add.at(blocked, (inst.ent_cat[blocked_i[on_flex]], blocked_g[on_flex]), 1)
    ub = np.where(inst.eligible, flex_entries[:, None] - blocked, 0)
    kept = np.zeros((nc, nj), np.int64)
    for i, g in state.kept:
        kept[inst.ent_cat[i], g] += 1
    lb = kept.copy() if not rebalance else np.zeros_like(kept)
    x = kept.copy()
    cap_room = np.maximum(inst.cap - state.fixed_load, 0)  # room for unlocked readings

    problems: list[Problem] = []
    panel_size = inst.eligible.sum(1)
    for c in range(nc):
        # Caps only: conflicts are reported per entry, so they are not counted twice here.
        cap_c = int(np.minimum(flex_entries[c], cap_room)[inst.eligible[c]].sum())
        if not inst.eligible[c].any() and demand[c] > 0:
            count = int((inst.ent_cat == c).sum())
            problems.append(
                Problem("no_judges", {"category": inst.categories[c], "entries": count})
            )
        elif demand[c] > cap_c and panel_size[c] >= readings:  # else reported per entry
            problems.append(
                Problem(
                    "category_capacity",
                    {"category": inst.categories[c], "needed": int(demand[c]), "capacity": cap_c},
                )
            )
    problems += _entry_problems(inst, state, readings, flex)
    if problems:
        return x, problems

    pending = demand - x.sum(1)
    # Most constrained categories first: fewer judges leaves fewer choices later.
    for c in sorted(range(nc), key=lambda c: (int(inst.eligible[c].sum()), c)):
        if pending[c] <= 0:
            continue
        load = state.fixed_load + x.sum(0)
        room = np.where(inst.eligible[c], np.minimum(ub[c] - x[c], cap_room - x.sum(0)), 0)
        room = np.maximum(room, 0)
        give = _water_fill(load, room, int(pending[c]), rng)
        x[c] += give
        pending[c] -= int(give.sum())
    stuck = _improve(x, lb, ub, inst.eligible, state.fixed_load, inst.cap, pending)
    if stuck:
        needed = int(demand[stuck].sum())
        others = [c for c in range(nc) if c not in stuck]
        judges = inst.eligible[stuck].any(0)
        spare = cap_room - x[others].sum(0)
        capacity = int(np.minimum(spare, ub[stuck].sum(0))[judges].sum())
        names = [inst.categories[c] for c in stuck]
        problems.append(
            Problem(
                "categories_capacity",
                {"categories": names, "needed": needed, "capacity": capacity},
            )
        )
    return x, problems


def _blocked_pairs(inst: _Instance, state: _State) -> tuple[np.ndarray, np.ndarray]:
    """(entry, judge) index pairs that cannot take a new reading: conflicts and locked, once."""
    nj = len(inst.judges)
    locked = np.fromiter((i * nj + g for i, g in state.locked_pairs), np.int64)
    keys = np.union1d(inst.conflict_keys, locked)
    return keys // max(nj, 1), keys % max(nj, 1)


def _entry_problems(inst: _Instance, state: _State, readings: int, flex) -> list[Problem]:
    problems = []
    panel_size = inst.eligible.sum(1)
    blocked_i, blocked_g = _blocked_pairs(inst, state)
    counts = inst.eligible[inst.ent_cat[blocked_i], blocked_g]
    blocked = np.bincount(blocked_i[counts], minlength=len(inst.entries))
    free_all = panel_size[inst.ent_cat] - blocked
    short = np.flatnonzero((flex > 0) & (free_all < flex) & (panel_size[inst.ent_cat] > 0))
    for i in short:  # empty categories are reported once, not per entry
        e = inst.entries[i]
        params = {
            "code": e.code,
            "category": e.category,
            "available": int(free_all[i]) + int(state.locked_count[i]),
            "needed": readings,
        }
        problems.append(Problem("too_few_judges", params))
    return problems


def _improve(x, lb, ub, eligible, fixed, cap, pending) -> list[int]:
    """Move units along augmenting paths until loads are as even as the bounds allow.

    A path starts at a judge shedding a unit of category a0 (or at unplaced demand), passes
    through judges that take a unit of one category and shed one of another, and ends at a
    judge taking a unit. Loads change only at the two ends, so a path from load Lu to Lv with
    Lu >= Lv + 2 lowers the sum of squares; none left means the loads are optimal.
    Returns the categories whose demand could not be placed (empty when all fits).
    """
    nc, nj = x.shape
    inf = np.iinfo(np.int64).max // 4
    for _ in range(20 * nj + 20 * nc + 1000):
        load = fixed + x.sum(0)
        donor = x > lb
        passes = eligible & (x < ub)
        takes = passes & (load < cap)[None, :]
        donor_load = np.where(donor, load[None, :], -1)
        top = donor_load.max(1) if nj else np.full(nc, -1)
        src = donor_load.argmax(1) if nj else np.zeros(nc, np.int64)
        top = np.where(pending > 0, inf, top)
        pred: list[tuple[int, int] | None] = [None] * nc
        for _ in range(nc):  # Bellman-Ford on categories, maximising the source load
            changed = False
            for a in range(nc):
                for b in range(nc):
                    if a == b or top[b] <= top[a]:
                        continue
                    via = np.flatnonzero(passes[b] & donor[a])
                    if len(via):
                        top[a], pred[a], changed = top[b], (b, int(via[0])), True
            if not changed:
                break
        best_gap, best = 1, None
        for a in range(nc):
            cand = np.flatnonzero(takes[a])
            if not len(cand) or top[a] < 0:
                continue
            v = int(cand[np.argmin(load[cand])])
            gap = top[a] - load[v]
            if gap > best_gap:
                best_gap, best = gap, (a, v)
        if best is None:
            return [c for c in range(nc) if top[c] == inf] if (pending > 0).any() else []
        a, v = best
        steps = []  # (category, judge, +1/-1)
        steps.append((a, v, +1))
        cur = a
        for _ in range(nc + 1):
            if pred[cur] is None:
                break
            b, w = pred[cur]
            steps += [(cur, w, -1), (b, w, +1)]
            cur = b
        root = cur
        from_pending = pending[root] > 0
        if not from_pending:
            u = int(src[root])
            steps.append((root, u, -1))
            amount = (int(load[u]) - int(load[v])) // 2
        else:
            amount = int(pending[root])
        amount = min(amount, int(cap[v] - load[v]))
        for c, g, sign in steps:
            amount = min(amount, int(ub[c, g] - x[c, g]) if sign > 0 else int(x[c, g] - lb[c, g]))
        amount = max(amount, 1)
        trial = x.copy()
        for c, g, sign in steps:
            trial[c, g] += sign * amount
        if pred[cur] is not None or (trial < lb).any() or (trial > ub).any():
            # A judge met twice on one path; rare, and the entry-level repair covers it.
            return [c for c in range(nc) if pending[c] > 0]
        x[:] = trial
        if from_pending:
            pending[root] -= amount
    return [c for c in range(nc) if pending[c] > 0]


# --- step 3 and 4: entry-level fill and repairs -----------------------------------------


class _Filler:
    """Entry-level state shared by the fill and the repairs of one plan."""

    def __init__(
        self, inst: _Instance, state: _State, readings: int, rng, rebalance: bool = True
    ) -> None:
        self.inst, self.state, self.rng, self.rebalance = inst, state, rng, rebalance
        self.on = state.on
        self.new: set[tuple[int, int]] = set()
        self.new_of: list[list[int]] = [[] for _ in inst.judges]
        self.removed_now: list[tuple[int, int]] = []
        self.short: dict[int, int] = {}
        self.flex = np.maximum(readings - state.locked_count, 0)
        held = np.zeros(len(inst.judges), np.int64)
        self.kept_of: list[set[int]] = [set() for _ in inst.judges]
        self.kept_on = np.zeros(len(inst.entries), np.int64)  # kept readings per entry
        for i, g in state.kept:
            held[g] += 1
            self.kept_of[g].add(i)
            self.kept_on[i] += 1
        self.load = state.fixed_load + held
        self.room = inst.cap - self.load

    def allowed(self, i: int, g: int) -> bool:
        return g not in self.on[i] and g not in self.inst.conflicts_of.get(i, ())

    def place(self, i: int, g: int) -> None:
        self.on[i].append(g)
        self.new.add((i, g))
        self.new_of[g].append(i)
        self.load[g] += 1
        self.room[g] -= 1

    def unplace(self, i: int, g: int) -> None:
        self.on[i].remove(g)
        self.new.discard((i, g))
        self.new_of[g].remove(i)
        self.load[g] -= 1
        self.room[g] += 1

    def move(self, i: int, src: int, dst: int) -> None:
        self.unplace(i, src)
        self.place(i, dst)

    def release_kept(self, x: np.ndarray) -> np.ndarray:
        """Remove kept readings above target; return the quota of new readings per (c, g)."""
        inst = self.inst
        by_cell: dict[tuple[int, int], list[int]] = defaultdict(list)
        for i, g in sorted(self.state.kept):
            by_cell[(int(inst.ent_cat[i]), g)].append(i)
        quota = x.copy()
        touched: set[int] = set()
        for (c, g), items in sorted(by_cell.items()):
            extra = len(items) - int(x[c, g])
            if extra > 0:
                # Prefer entries not yet touched: an entry that loses two readings may be
                # left with only over-target judges to choose from.
                order = [items[t] for t in self.rng.permutation(len(items))]
                order.sort(key=lambda i: i in touched)
                for i in order[:extra]:
                    self.release(i, g)
                    touched.add(i)
            quota[c, g] -= min(len(items), int(x[c, g]))
        return quota

    def release(self, i: int, g: int) -> None:
        """Remove a kept (unlocked, existing) reading."""
        self.on[i].remove(g)
        self.state.kept.discard((i, g))
        self.kept_of[g].discard(i)
        self.kept_on[i] -= 1
        self.load[g] -= 1
        self.room[g] += 1
        self.removed_now.append((self.inst.entries[i].entry_id, self.inst.judges[g].judge_id))

    def movable_of(self, g: int) -> list[int]:
        """Entries whose reading by g the repairs may move: new ones, kept ones on rebalance."""
        if not self.rebalance:
            return list(self.new_of[g])
        return self.new_of[g] + sorted(self.kept_of[g])

    def move_any(self, i: int, src: int, dst: int) -> None:
        if (i, src) in self.new:
            self.unplace(i, src)
        else:
            self.release(i, src)
        self.place(i, dst)

    def fill_category(self, c: int, quota_row: np.ndarray) -> None:
        """Give each entry of category c its missing readings; see the module docstring."""
        inst, on = self.inst, self.on
        panel = np.flatnonzero(inst.eligible[c])
        m = len(panel)
        members = np.flatnonzero(inst.ent_cat == c)
        need_all = self.flex[members] - self.kept_on[members]
        todo = members[need_all > 0]
        need = dict(zip(todo.tolist(), need_all[need_all > 0].tolist(), strict=True))
        if m == 0 or not len(todo):
            return
        pos_arr = np.full(len(inst.judges), -1, np.int64)
        pos_arr[panel] = np.arange(m)
        pos = pos_arr.tolist()
        r = quota_row[panel].astype(np.float64)
        # co[p, q]: entries p and q already read together, to rotate pairs.
        co = np.zeros((m, m), np.float64)
        a, b = _pair_arrays(on, members)
        pa, pb = pos_arr[a], pos_arr[b]
        both = (pa >= 0) & (pb >= 0)
        np.add.at(co, (pa[both], pb[both]), 1)
        np.add.at(co, (pb[both], pa[both]), 1)
        room = self.room[panel].copy()
        weight = float(len(members) * 8 + 8)  # above any co-reading count
        conflicts_of = inst.conflicts_of
        rng = self.rng
        for i in rng.permutation(todo).tolist():
            present = [pos[g] for g in on[i] if pos[g] >= 0]
            banned = present + [pos[g] for g in conflicts_of.get(i, ()) if pos[g] >= 0]
            rowsum = co[present].sum(0) if present else np.zeros(m)
            noise = rng.random(m)
            chosen: list[int] = []
            for _ in range(need[i]):
                score = r * weight - rowsum + noise
                score[banned] = -math.inf
                p = int(score.argmax())
                if score[p] == -math.inf:
                    break
                if r[p] <= 0 and room[p] <= 0:
                    # Targets exhausted: fall back to any allowed judge with capacity left.
                    score[room <= 0] = -math.inf
                    p = int(score.argmax())
                    if score[p] == -math.inf:
                        break
                chosen.append(p)
                banned.append(p)
                r[p] -= 1
                room[p] -= 1
                rowsum += co[p]
            for p in chosen:
                for q in present:
                    co[p, q] += 1
                    co[q, p] += 1
                present.append(p)
                self.place(i, int(panel[p]))
            if len(chosen) < need[i]:
                self.short[i] = need[i] - len(chosen)
        self._settle_quota(c, panel, r)
        self._fill_short(c, panel)

    def _settle_quota(self, c: int, panel: np.ndarray, r: np.ndarray) -> None:
        """Move new readings from judges above their target to judges below it."""
        ent_cat = self.inst.ent_cat
        under = [int(p) for p in np.flatnonzero(r > 0)]
        for p in np.flatnonzero(r < 0):
            g = int(panel[p])
            for i in [i for i in self.new_of[g] if ent_cat[i] == c]:
                if r[p] >= 0 or not under:
                    break
                for q in under:
                    h = int(panel[q])
                    if self.allowed(i, h):
                        self.move(i, g, h)
                        r[p] += 1
                        r[q] -= 1
                        if r[q] <= 0:
                            under.remove(q)
                        break

    def _fill_short(self, c: int, panel: np.ndarray) -> None:
        """Complete entries left short: free a judge by moving one of its new readings."""
        ent_cat = self.inst.ent_cat
        for i in sorted(self.short):
            while self.short[i] > 0:
                done = False
                for g in (int(g) for g in panel):
                    if not self.allowed(i, g):
                        continue
                    if self.room[g] > 0:
                        self.place(i, g)
                        done = True
                        break
                    for f in [f for f in self.new_of[g] if ent_cat[f] == c]:
                        h = next(
                            (int(h) for h in panel if self.room[h] > 0 and self.allowed(f, int(h))),
                            None,
                        )
                        if h is not None:
                            self.move(f, g, h)
                            self.place(i, g)
                            done = True
                            break
                    if done:
                        break
                if not done:
                    break
                self.short[i] -= 1
        self.short = {i: s for i, s in self.short.items() if s > 0}

    def even_out(self) -> None:
        """Last resort for balance: single moves inside a category panel, highest to lowest."""
        inst = self.inst
        for _ in range(10 * len(inst.judges) + 10):
            moved = False
            for c in range(len(inst.categories)):
                panel = np.flatnonzero(inst.eligible[c])
                if len(panel) < 2:
                    continue
                takers = panel[self.room[panel] > 0]
                if not len(takers):
                    continue
                v = int(takers[np.argmin(self.load[takers])])
                for u in panel[np.argsort(-self.load[panel], kind="stable")]:
                    u = int(u)
                    if self.load[u] - self.load[v] < 2:
                        break
                    item = next(
                        (
                            i
                            for i in self.movable_of(u)
                            if inst.ent_cat[i] == c and self.allowed(i, v)
                        ),
                        None,
                    )
                    if item is not None:
                        self.move_any(item, u, v)
                        moved = True
                        break
            if not moved:
                return

    def connect(self, c: int, tries: int = 40) -> None:
        """Swap new readings between entries of two graph components to join them."""
        inst, on = self.inst, self.on
        members = np.flatnonzero(inst.ent_cat == c).tolist()
        nj = len(inst.judges)
        present = np.zeros(nj, bool)
        present[[g for i in members for g in on[i]]] = True
        if _count_components(nj, present, *_pair_arrays(on, members)) <= 1:
            return  # the usual case, checked without building sets
        comps = _components(on[i] for i in members)
        for _ in range(tries):
            if len(comps) <= 1:
                return
            where = {g: t for t, comp in enumerate(comps) for g in comp}
            movable: dict[int, list[tuple[int, int]]] = defaultdict(list)
            for i in members:
                if len(on[i]) >= 2:
                    for g in on[i]:
                        if (i, g) in self.new:
                            movable[where[g]].append((i, g))
            side_a = movable.get(0, [])
            side_b = [item for t in range(1, len(comps)) for item in movable.get(t, [])]
            if not side_a or not side_b:
                return
            i1, a2 = side_a[int(self.rng.integers(len(side_a)))]
            for t in self.rng.permutation(len(side_b))[:50]:
                i2, b2 = side_b[int(t)]
                if i1 != i2 and self.allowed(i2, a2) and self.allowed(i1, b2):
                    self.move(i1, a2, b2)
                    self.move(i2, b2, a2)
                    fresh = _components(on[i] for i in members)
                    if len(fresh) < len(comps):
                        comps = fresh
                        break
                    # The swapped edge was a bridge inside a component: undo.
                    self.move(i1, b2, a2)
                    self.move(i2, a2, b2)


def _panel_stats(inst: _Instance, on: list[list[int]], load: np.ndarray) -> dict[str, dict]:
    stats: dict[str, dict] = {}
    nj = len(inst.judges)
    for c, name in enumerate(inst.categories):
        panel = np.flatnonzero(inst.eligible[c])
        members = np.flatnonzero(inst.ent_cat == c).tolist()
        flat = [g for i in members for g in on[i]]
        in_cat = np.bincount(np.asarray(flat, np.int64), minlength=nj)
        a, b = _pair_arrays(on, members)
        keys = np.minimum(a, b) * nj + np.maximum(a, b)
        _, counts = np.unique(keys, return_counts=True)
        readers = int((in_cat > 0).sum())
        stats[name] = {
            "entries": len(members),
            "judges": len(panel),
            "min_load": int(load[panel].min()) if len(panel) else 0,
            "max_load": int(load[panel].max()) if len(panel) else 0,
            "min_in_category": int(in_cat[panel].min()) if len(panel) else 0,
            "max_in_category": int(in_cat[panel].max()) if len(panel) else 0,
            "components": _count_components(nj, in_cat > 0, a, b),
            "distinct_pairs": len(counts),
            "possible_pairs": readers * (readers - 1) // 2,
            "max_pair_count": int(counts.max()) if len(counts) else 0,
        }
    return stats


def _make_plan(inst: _Instance, state: _State, filler: _Filler) -> Plan:
    judge_ids = [j.judge_id for j in inst.judges]
    add = {(inst.entries[i].entry_id, judge_ids[g]) for i, g in filler.new}
    remove = set(state.removed) | set(filler.removed_now)
    both = add & remove  # removed then chosen again: no change at all
    loads = {judge_ids[g]: int(filler.load[g]) for g in range(len(judge_ids))}
    for judge_id, count in state.outside_locked.items():
        loads[judge_id] = count
    return Plan(
        add=sorted(add - both),
        remove=sorted(remove - both),
        loads=loads,
        panels=_panel_stats(inst, filler.on, filler.load),
        kept=len(state.kept) + len(both),
        locked=state.locked_total,
    )


def plan_assignments(
    entries: Sequence[EntrySlot],
    judges: Sequence[JudgeSpec],
    *,
    readings: int,
    conflicts: Iterable[tuple[int, int]] = (),
    existing: Iterable[Existing] = (),
    seed: int = 0,
    rebalance: bool = True,
) -> Plan:
    """Plan which judge reads which entry; raise :class:`AssignmentError` when impossible.

    Every entry gets ``readings`` distinct judges of its category (a judge whose
    ``categories`` is empty judges every category), none of them in ``conflicts`` (pairs of
    (judge_id, entry_id)), none above its ``max_load``. Loads are as even as these rules
    allow: judges eligible for the same categories end within one reading of each other
    unless a maximum load or a locked reading prevents it. Pairs of judges rotate so each
    category's judge graph is connected whenever the numbers allow.

    ``existing`` assignments are the current state. Locked ones (a score, even a draft, or
    pinned by hand) are never removed, count towards the entry's readings and towards the
    judge's load, even when the judge is no longer in ``judges``; to have such a reading
    replaced, pass it unlocked. Unlocked ones are kept while valid; those of withdrawn
    judges, removed entries, new conflicts or surplus readings are removed. With
    ``rebalance`` (the default) a valid unlocked assignment is also moved when that is
    needed to keep loads within one of each other (for example when a judge joins);
    with ``rebalance=False`` only new readings are placed.

    The same inputs and ``seed`` always give the same plan.
    """
    rng = np.random.default_rng(seed)
    inst, problems = _index(entries, judges, readings, conflicts)
    if problems:
        raise AssignmentError(problems)
    state = _clean_existing(inst, readings, existing, rng)
    x, problems = _targets(inst, state, readings, rebalance, rng)
    if problems:
        raise AssignmentError(problems)
    filler = _Filler(inst, state, readings, rng, rebalance)
    quota = filler.release_kept(x)
    for c in range(len(inst.categories)):
        filler.fill_category(c, quota[c])
    filler.even_out()
    if readings >= 2:
        for c in range(len(inst.categories)):
            filler.connect(c)
    if filler.short:
        raise AssignmentError(
            [
                Problem(
                    "entry_unfillable",
                    {
                        "code": inst.entries[i].code,
                        "category": inst.entries[i].category,
                        "needed": int(filler.flex[i]),
                    },
                )
                for i in sorted(filler.short)
            ]
        )
    return _make_plan(inst, state, filler)


def greedy_baseline(
    entries: Sequence[EntrySlot],
    judges: Sequence[JudgeSpec],
    *,
    readings: int,
    conflicts: Iterable[tuple[int, int]] = (),
    seed: int = 0,
) -> Plan:
    """Plain greedy for comparison: each entry, in seeded order, takes its least-loaded judges.

    Ties go to the lower judge index; no targets, no pair rotation, no repair. Existing
    assignments are not supported. Raises :class:`AssignmentError` when an entry cannot be
    filled at the moment it is reached.
    """
    rng = np.random.default_rng(seed)
    inst, problems = _index(entries, judges, readings, conflicts)
    if problems:
        raise AssignmentError(problems)
    state = _clean_existing(inst, readings, (), rng)
    filler = _Filler(inst, state, readings, rng)
    panels = [np.flatnonzero(inst.eligible[c]) for c in range(len(inst.categories))]
    pos = np.full(inst.eligible.shape, -1, np.int64)
    for c, panel in enumerate(panels):
        pos[c, panel] = np.arange(len(panel))
    for i in rng.permutation(len(inst.entries)):
        i = int(i)
        c = int(inst.ent_cat[i])
        panel = panels[c]
        cost = filler.load[panel].astype(np.float64)
        cost[filler.room[panel] <= 0] = math.inf
        for g in inst.conflicts_of.get(i, ()):
            if pos[c, g] >= 0:
                cost[pos[c, g]] = math.inf
        picks = np.argsort(cost, kind="stable")[:readings]
        if len(picks) < readings or not np.isfinite(cost[picks]).all():
            e = inst.entries[i]
            problems.append(
                Problem(
                    "entry_unfillable", {"code": e.code, "category": e.category, "needed": readings}
                )
            )
            continue
        for p in picks:
            filler.place(i, int(panel[p]))
    if problems:
        raise AssignmentError(problems)
    return _make_plan(inst, state, filler)
