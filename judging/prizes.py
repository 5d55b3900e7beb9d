"""Prize allocation from a ranking: quotas per category, ties, reserve list, special prizes.

Pure module: a ``Ranking`` (judging.aggregate) and a prize table in, an ``Allocation`` out.

A prize table maps a category name to its prizes, best first: ``[(prize_code, count), ...]``.
Two keys are special: ``OVERALL`` holds prizes chosen across categories (the national Đặc
biệt), ``ANY_CATEGORY`` ("*") applies to every category without its own row.

Choices (documented here because the organisers' rules leave them open):

- One prize per entry. Đặc biệt is chosen first among the category leaders (best score across
  categories, on the common 100-point scale); the winner leaves its category, whose prizes
  then go to the next entries.
- A tie at a prize boundary is never cut: every tied entry gets the better prize, and a notice
  says the quota is exceeded by k because of the tie; the prizes below keep their full counts
  (the total grows by k). The panel can instead break the tie before allocation with
  ``panel_order`` in ``rank``, or afterwards with ``apply_adjustments``.
- The reserve list is the next ``reserve`` eligible entries after the last prize of the
  category (a tied group at its end is kept whole).
- With ``min_score`` no entry below it gets a prize or a reserve place; unfilled prizes are
  reported, never given to lower entries.
- Special prizes are honours on top of the prize table: Triển vọng goes to the best young
  authors (age under the limit at the reference date) among eligible entries without a prize;
  oldest and youngest author are chosen among prize winners; Tập thể xuất sắc lists the units
  with at least one prize at or above a threshold (B nationally, Nhì locally).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from contest import presets
from contest.vntext import nfc
from judging.aggregate import TIE_DECIMALS, Localised, Notice, Ranking

__all__ = [
    "ANY_CATEGORY",
    "OVERALL",
    "PRESETS",
    "PRIZE_LABELS",
    "SPECIAL_PRESETS",
    "Adjustment",
    "AdjustmentError",
    "Allocation",
    "PrizeError",
    "PrizeNotice",
    "PrizeTableError",
    "SpecialRules",
    "age_on",
    "allocate_prizes",
    "apply_adjustments",
    "category_prizes",
    "prize_boundaries",
    "prize_label",
]

OVERALL = "__overall__"
ANY_CATEGORY = "*"

# The prize tables of contest.presets (the categories' quotas from DOMAIN.md), keyed by the
# category names a contest created from those presets has. A contest's own quotas (edited per
# contest) are what the results use; these are the defaults, for tests and benchmarks.
PRESETS: dict[str, dict[str, list[tuple[str, int]]]] = {
    # national 2024: per category A/B/C/KK plus one Đặc biệt overall.
    "national_2024": {
        **{c.name: list(c.national_quotas) for c in presets.CATEGORIES},
        OVERALL: [("DB", presets.NATIONAL_SPECIAL_OVERALL)],
    },
    "local": {ANY_CATEGORY: list(presets.CATEGORIES[0].local_quotas)},
}

PRIZE_LABELS: dict[str, dict[str, str]] = {
    code: {"vi": vi, "en": en} for code, (vi, en) in presets.prize_labels().items()
}

_TEMPLATES: dict[str, dict[str, str]] = {
    "bad_table": {
        "vi": "Bảng giải của {category} không hợp lệ: cần danh sách (mã giải, số lượng ≥ 0) "
        "với mã giải không trùng nhau.",
        "en": "The prize table of {category} is invalid: it needs (prize code, count >= 0) "
        "pairs with distinct codes.",
    },
    "bad_parameter": {
        "vi": "Giá trị của {name} không hợp lệ: {value}. Giá trị được phép: {allowed}.",
        "en": "Invalid value for {name}: {value}. Allowed: {allowed}.",
    },
    "unknown_prize": {
        "vi": "Giải {prize} không có trong bảng giải; các giải hợp lệ: {allowed}.",
        "en": "Prize {prize} is not in the prize table; valid prizes: {allowed}.",
    },
    "reason_required": {
        "vi": "Điều chỉnh giải của bài {entry_id} cần ghi rõ lý do.",
        "en": "The prize adjustment for entry {entry_id} needs a reason.",
    },
    "unknown_entry": {
        "vi": "Bài {entry_id} không có trong kết quả xếp giải.",
        "en": "Entry {entry_id} is not in the prize allocation.",
    },
    "entry_not_eligible": {
        "vi": "Bài {entry_id} ({status}) không thể nhận giải; hãy xử lý trạng thái của bài trước.",
        "en": "Entry {entry_id} ({status}) cannot receive a prize; resolve its status first.",
    },
    "tie_exceeds_quota": {
        "vi": "{category}: {label} vượt số lượng {extra} giải do đồng điểm (các bài {codes}).",
        "en": "{category}: {label} exceeds quota by {extra} due to a tie (entries {codes}).",
    },
    "overall_tie_exceeds_quota": {
        "vi": "{label} vượt số lượng {extra} giải do đồng điểm (các bài {codes}).",
        "en": "{label} exceeds quota by {extra} due to a tie (entries {codes}).",
    },
    "prizes_unfilled": {
        "vi": "{category}: còn {unfilled} giải chưa trao ({prizes}) vì chỉ có {eligible} bài "
        "đủ điều kiện.",
        "en": "{category}: {unfilled} prizes not awarded ({prizes}): only {eligible} eligible "
        "entries.",
    },
    "below_min_score": {
        "vi": "{category}: {count} bài dưới điểm sàn {min_score} không được xét giải.",
        "en": "{category}: {count} entries below the minimum score {min_score} are not "
        "considered for prizes.",
    },
    "no_prize_table": {
        "vi": "Thể loại {category} không có trong bảng giải; chưa trao giải cho thể loại này.",
        "en": "Category {category} is not in the prize table; no prizes were given in it.",
    },
    "winners_pending": {
        "vi": "Các bài {codes} đang chờ chấm lần ba; kết quả giải chưa chắc chắn.",
        "en": "Entries {codes} await an extra reading; their prizes are provisional.",
    },
    "reference_date_required": {
        "vi": "Cần ngày tham chiếu của cuộc thi để xét giải theo tuổi tác giả.",
        "en": "The contest's reference date is needed for age-based prizes.",
    },
    "birth_dates_missing": {
        "vi": "{count} bài thiếu ngày sinh tác giả nên không được xét giải theo tuổi.",
        "en": "{count} entries lack the author's birth date and are left out of age-based prizes.",
    },
    "quota_exceeded_after_adjustment": {
        "vi": "{category}: sau điều chỉnh, {label} có {awarded} giải, vượt số lượng {quota}.",
        "en": "{category}: after adjustments, {label} has {awarded} awards, above its quota "
        "of {quota}.",
    },
}


class _PrizeMessages(Localised):
    """Templates of this module; a ``prize`` parameter also gives ``{label}`` in the language."""

    templates: ClassVar[dict[str, dict[str, str]]] = _TEMPLATES

    def message(self, lang: str = "vi") -> str:
        """The sentence for a person, in Vietnamese (default) or English (``lang`` "en...")."""
        lang = "en" if str(lang).lower().startswith("en") else "vi"
        params = dict(self.params)
        if "prize" in params:
            params.setdefault("label", prize_label(params["prize"], lang))
        return self.templates[self.code][lang].format(**params)


class PrizeError(_PrizeMessages, ValueError):
    """Base error of this module: ``code``, ``params`` and ``message(lang)``."""

    def __init__(self, code: str, **params: Any) -> None:
        self.code = code
        self.params = params
        super().__init__(self.message("en"))


class PrizeTableError(PrizeError):
    """The prize table or an allocation option is malformed."""


class AdjustmentError(PrizeError):
    """A manual prize adjustment cannot be applied (no reason, unknown entry or prize)."""


@dataclass(frozen=True)
class PrizeNotice(_PrizeMessages, Notice):
    """A notice about prizes (quota exceeded by a tie, prizes unfilled, ...)."""


@dataclass(frozen=True)
class SpecialRules:
    """Special prizes: ``reference_date`` for ages; ``young_count`` Triển vọng prizes for
    authors younger than ``young_age_limit`` (0 = none); ``oldest_youngest`` names the oldest
    and youngest prize-winning authors; ``unit_min_prize`` (e.g. "B") lists units with at least
    one prize at or above it as Tập thể xuất sắc (None = none)."""

    reference_date: dt.date | None = None
    young_age_limit: int = 30
    young_count: int = 0
    oldest_youngest: bool = True
    unit_min_prize: str | None = None


SPECIAL_PRESETS: dict[str, SpecialRules] = {
    "national_2024": SpecialRules(unit_min_prize="B"),
    "local": SpecialRules(unit_min_prize="nhi"),
}


@dataclass(frozen=True)
class Adjustment:
    """A manual change on top of the allocation: ``prize`` (a code, or None to remove) and a
    non-empty ``reason`` (kept in the awards table and the audit trail)."""

    entry_id: Any
    prize: str | None
    reason: str


@dataclass(frozen=True)
class Allocation:
    """Result of ``allocate_prizes``.

    ``awards``: one row per entry of the ranking: entry_id, code, title, category, rank, score,
    tied, status ("prize", "reserve", "none", "below_min_score", "disqualified", "unscored"),
    prize (code or None), reserve (position in the reserve list, <NA> otherwise), pending_extra,
    adjusted, note, then unit / birth_date / disqualification_reason when the ranking has them.
    ``special``: prize, entry_id, code, unit, detail (one row per special award; Tập thể rows
    carry the unit and the codes of its qualifying entries).
    ``ties``: one dict per tie at a boundary: category, prize, codes, quota, awarded.
    ``excluded``: disqualified entries: entry_id, code, category, reason.
    ``quotas``: category -> [(prize, count)] as applied; ``prize_order``: all codes, best first.
    """

    awards: pd.DataFrame
    special: pd.DataFrame
    ties: list[dict[str, Any]]
    excluded: pd.DataFrame
    notices: list[Notice]
    quotas: dict[Any, list[tuple[str, int]]]
    prize_order: tuple[str, ...]
    rules: SpecialRules
    adjustments: tuple[Adjustment, ...] = field(default=())


def prize_label(code: str | None, lang: str = "vi") -> str:
    """The human label of a prize code in Vietnamese (default) or English; unknown codes are
    returned as they are, None as an empty string."""
    if code is None:
        return ""
    labels = PRIZE_LABELS.get(code)
    if labels is None:
        return str(code)
    return labels["en" if str(lang).lower().startswith("en") else "vi"]


def _check_prizes(category: Any, prizes: Any) -> list[tuple[str, int]]:
    pairs: list[tuple[str, int]] = []
    try:
        for code, count in prizes:
            if isinstance(count, bool) or not isinstance(count, (int, np.integer)) or count < 0:
                raise PrizeTableError("bad_table", category=category)
            pairs.append((str(code), int(count)))
    except (TypeError, ValueError) as exc:
        raise PrizeTableError("bad_table", category=category) from exc
    if len({code for code, _ in pairs}) != len(pairs):
        raise PrizeTableError("bad_table", category=category)
    return pairs


def category_prizes(table: Mapping[Any, Any], category: Any) -> list[tuple[str, int]] | None:
    """The prizes of ``category`` (best first) from ``table``: its own row (names compared in
    NFC), else the ``ANY_CATEGORY`` row, else None."""
    wanted = nfc(str(category))
    for key, prizes in table.items():
        if key not in (OVERALL, ANY_CATEGORY) and nfc(str(key)) == wanted:
            return _check_prizes(category, prizes)
    if ANY_CATEGORY in table:
        return _check_prizes(category, table[ANY_CATEGORY])
    return None


def prize_boundaries(table: Mapping[Any, Any], category: Any) -> list[int]:
    """Last rank of each prize band of ``category`` (cumulative counts), e.g. national Tạp chí
    [3, 9, 19, 39]: the cut points ``rank_stability`` checks."""
    prizes = category_prizes(table, category) or []
    return [int(c) for c in np.cumsum([count for _, count in prizes]) if c > 0]


def _birth_text(value: Any) -> str | None:
    if value is None or value is pd.NaT or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        # A birth year alone counts as 1 January of that year.
        return f"{int(value):04d}-01-01"
    return str(value).strip()


def _birth_dates(values: pd.Series) -> pd.Series:
    """Birth dates as datetime64 (NaT when unknown). Accepts dates, datetimes, ISO text
    (YYYY-MM-DD, or YYYY alone), Vietnamese DD/MM/YYYY text and years as integers."""
    text = pd.Series([_birth_text(v) for v in values], index=values.index, dtype=object)
    iso = pd.to_datetime(text, format="ISO8601", errors="coerce")
    return iso.fillna(pd.to_datetime(text, format="%d/%m/%Y", errors="coerce"))


def _ages(born: pd.Series, reference: dt.date) -> pd.Series:
    """Full years on ``reference`` (float, NaN when the birth date is unknown)."""
    month, day = born.dt.month, born.dt.day
    before = (month > reference.month) | ((month == reference.month) & (day > reference.day))
    return (reference.year - born.dt.year - before.astype(float)).astype(float)


def age_on(birth: Any, reference: dt.date) -> int | None:
    """Full years of age on ``reference`` for a birth date (date, datetime, ISO or DD/MM/YYYY
    text, or a year alone, taken as 1 January); None when unknown."""
    age = _ages(_birth_dates(pd.Series([birth], dtype=object)), reference).iloc[0]
    return None if np.isnan(age) else int(age)


def _take_with_ties(candidates: pd.DataFrame, count: int, key: str) -> pd.DataFrame:
    """The first ``count`` rows by descending ``key``, plus any rows tied with the last one."""
    if count <= 0 or len(candidates) == 0:
        return candidates.iloc[:0]
    ordered = candidates.assign(_key=candidates[key].round(TIE_DECIMALS)).sort_values(
        ["_key", "code"], ascending=[False, True], kind="stable"
    )
    if len(ordered) <= count:
        return ordered.drop(columns="_key")
    cut = ordered["_key"].iloc[count - 1]
    return ordered[ordered["_key"] >= cut].drop(columns="_key")


def _special(awards: pd.DataFrame, rules: SpecialRules, prize_order: Sequence[str]) -> tuple:
    rows: list[dict[str, Any]] = []
    notices: list[Notice] = []
    winners = awards[awards["prize"].notna()]
    considered = awards["status"].isin(["prize", "reserve", "none"])
    if "birth_date" in awards.columns and (rules.young_count > 0 or rules.oldest_youngest):
        born = _birth_dates(awards["birth_date"])
        # Entries whose missing birth date matters: candidates for Triển vọng, or winners.
        relevant = considered if rules.young_count > 0 else awards["prize"].notna()
        missing = int((relevant & born.isna()).sum())
        if missing:
            notices.append(PrizeNotice("birth_dates_missing", {"count": missing}))
        if rules.young_count > 0 and rules.reference_date is None:
            notices.append(PrizeNotice("reference_date_required"))
        elif rules.young_count > 0:
            ages = _ages(born, rules.reference_date)
            young = awards[considered & awards["prize"].isna() & (ages < rules.young_age_limit)]
            for _, row in _take_with_ties(young, rules.young_count, "score").iterrows():
                rows.append(_special_row("TV", row, f"{int(ages[row.name])}"))
        dated = born[winners.index].dropna() if rules.oldest_youngest else born.iloc[:0]
        if len(dated):
            for prize, target in (("oldest", dated.min()), ("youngest", dated.max())):
                for idx in dated.index[dated == target]:
                    rows.append(_special_row(prize, awards.loc[idx], target.date().isoformat()))
    elif rules.young_count > 0:
        notices.append(PrizeNotice("birth_dates_missing", {"count": int(considered.sum())}))
    if rules.unit_min_prize is not None and "unit" in awards.columns:
        limit = prize_order.index(rules.unit_min_prize)
        good = set(prize_order[: limit + 1])
        qualifying = winners[winners["prize"].isin(good) & winners["unit"].notna()]
        qualifying = qualifying[qualifying["unit"].astype(str).str.strip() != ""]
        for unit, group in sorted(qualifying.groupby("unit"), key=lambda kv: str(kv[0])):
            rows.append(
                {
                    "prize": "TTXS",
                    "entry_id": None,
                    "code": None,
                    "unit": unit,
                    "detail": ", ".join(str(c) for c in sorted(group["code"])),
                }
            )
    columns = ["prize", "entry_id", "code", "unit", "detail"]
    # object columns keep None as None (pandas would infer strings with NaN).
    special = pd.DataFrame({c: pd.Series([row[c] for row in rows], dtype=object) for c in columns})
    return special, notices


def _special_row(prize: str, row: pd.Series, detail: str) -> dict[str, Any]:
    return {
        "prize": prize,
        "entry_id": row["entry_id"],
        "code": row["code"],
        "unit": row["unit"] if "unit" in row.index else None,
        "detail": detail,
    }


def _prize_order(table: Mapping[Any, Any]) -> tuple[str, ...]:
    order: list[str] = []
    keys = [OVERALL] if OVERALL in table else []
    keys += [k for k in table if k != OVERALL]
    for key in keys:
        for code, _ in _check_prizes(key, table[key]):
            if code not in order:
                order.append(code)
    return tuple(order)


def allocate_prizes(
    ranking: Ranking,
    table: Mapping[Any, Sequence[tuple[str, int]]],
    *,
    reserve: int = 5,
    min_score: float | None = None,
    special: SpecialRules | None = None,
) -> Allocation:
    """Allocate prizes per category from ``ranking`` (``judging.aggregate.rank``) and ``table``
    (e.g. ``PRESETS["national_2024"]``), following the choices in the module docstring:
    ties at a boundary all get the better prize (quota exceeded, with a notice), a reserve list
    of ``reserve`` entries, no prize or reserve place below ``min_score``, disqualified entries
    listed in ``excluded`` with their reason, special prizes from ``special``."""
    if not (isinstance(reserve, int) and reserve >= 0):
        raise PrizeTableError("bad_parameter", name="reserve", value=reserve, allowed=">= 0")
    rules = special or SpecialRules()
    prize_order = _prize_order(table)
    if rules.unit_min_prize is not None and rules.unit_min_prize not in prize_order:
        raise PrizeTableError(
            "unknown_prize", prize=rules.unit_min_prize, allowed=", ".join(prize_order)
        )
    src = ranking.table.reset_index(drop=True)
    n = len(src)
    # Work on plain numpy columns (positions = row numbers) and build the frame once at the
    # end: item assignment into pandas string columns costs a validation pass each time.
    status = src["status"].to_numpy(dtype=object).copy()
    prize = np.full(n, None, dtype=object)
    reserve_pos = np.full(n, np.nan)
    note = np.full(n, "", dtype=object)
    category_of = src["category"].to_numpy(dtype=object)
    code_of = src["code"].to_numpy(dtype=object)
    rank_of = src["rank"].to_numpy(dtype=float, na_value=np.nan)
    score = src["score"].to_numpy(float)

    notices: list[Notice] = []
    ties: list[dict[str, Any]] = []
    ranked = status == "ranked"
    eligible = ranked.copy()
    if min_score is not None:
        eligible &= np.round(score, TIE_DECIMALS) >= min_score
        below = ranked & ~eligible
        status[below] = "below_min_score"
        for category in pd.unique(category_of[below]):
            count = int((below & (category_of == category)).sum())
            notices.append(
                PrizeNotice(
                    "below_min_score",
                    {"category": category, "count": count, "min_score": min_score},
                )
            )
    status[eligible] = "none"

    def award(rows: np.ndarray, code: str) -> None:
        prize[rows] = code
        status[rows] = "prize"

    def note_tie(category: Any, code: str, group: np.ndarray, quota: int, given: int) -> None:
        extra = given - quota
        codes = ", ".join(str(c) for c in code_of[group])
        ties.append(
            {"category": category, "prize": code, "codes": codes, "quota": quota, "awarded": given}
        )
        params = {"prize": code, "extra": extra, "codes": codes}
        if category == OVERALL:
            notice = PrizeNotice("overall_tie_exceeds_quota", params)
        else:
            notice = PrizeNotice("tie_exceeds_quota", {**params, "category": category})
        notices.append(notice)
        note[group] = notice.message("vi")

    # Đặc biệt first, among the category leaders.
    quotas: dict[Any, list[tuple[str, int]]] = {}
    if OVERALL in table:
        overall = _check_prizes(OVERALL, table[OVERALL])
        quotas[OVERALL] = overall
        pool = pd.DataFrame(
            {"category": category_of, "rank": rank_of, "score": score, "code": code_of}
        )[eligible]
        leaders = pool[pool["rank"] == pool.groupby("category")["rank"].transform("min")]
        for code, count in overall:
            chosen = _take_with_ties(leaders[status[leaders.index] == "none"], count, "score")
            if len(chosen):
                award(chosen.index.to_numpy(), code)
                if len(chosen) > count:
                    note_tie(OVERALL, code, chosen.index.to_numpy(), count, len(chosen))

    for category in pd.unique(category_of):
        prizes = category_prizes(table, category)
        if prizes is None:
            notices.append(PrizeNotice("no_prize_table", {"category": category}))
            continue
        quotas[category] = prizes
        members = np.flatnonzero((category_of == category) & (status == "none"))
        members = members[np.lexsort((code_of[members].astype(str), rank_of[members]))]
        ranks = rank_of[members]
        # Tie groups as slices of the sorted members: only the groups that get a prize or a
        # reserve place are touched, whatever the size of the category.
        bounds = np.r_[np.flatnonzero(np.r_[True, ranks[1:] != ranks[:-1]]), len(ranks)]
        n_groups = len(bounds) - 1 if len(ranks) else 0
        slots = [(code, count) for code, count in prizes if count > 0]
        level, left, gi = 0, slots[0][1] if slots else 0, 0
        while gi < n_groups and level < len(slots):
            group = members[bounds[gi] : bounds[gi + 1]]
            code, quota = slots[level]
            if left == 0:
                level += 1
                left = slots[level][1] if level < len(slots) else 0
                continue
            award(group, code)
            if len(group) > left:
                note_tie(category, code, group, quota, quota - left + len(group))
                left = 0
            else:
                left -= len(group)
            gi += 1
        given = pd.Series(prize[members]).value_counts()
        unfilled = [(code, count - int(given.get(code, 0))) for code, count in slots]
        unfilled = [(code, k) for code, k in unfilled if k > 0]
        if unfilled:
            notices.append(
                PrizeNotice(
                    "prizes_unfilled",
                    {
                        "category": category,
                        "unfilled": sum(k for _, k in unfilled),
                        "prizes": ", ".join(f"{code} × {k}" for code, k in unfilled),
                        "eligible": len(members),
                    },
                )
            )
        position = 0
        while gi < n_groups and position < reserve:
            group = members[bounds[gi] : bounds[gi + 1]]
            reserve_pos[group] = position + 1
            status[group] = "reserve"
            position += len(group)
            gi += 1

    awards = src[["entry_id", "code", "title", "category", "rank", "score", "tied"]].copy()
    awards["status"] = pd.Series(status, dtype=object)
    awards["prize"] = pd.Series(prize, dtype=object)
    awards["reserve"] = pd.Series(reserve_pos).astype("Int64")
    awards["pending_extra"] = src["pending_extra"].to_numpy(bool)
    awards["adjusted"] = False
    awards["note"] = pd.Series(note, dtype=object)
    for column in ("unit", "birth_date", "disqualification_reason"):
        if column in src.columns:
            awards[column] = src[column].to_numpy()

    pending = awards[(awards["status"].isin(["prize", "reserve"])) & awards["pending_extra"]]
    if len(pending):
        codes = ", ".join(str(c) for c in pending["code"])
        notices.append(PrizeNotice("winners_pending", {"codes": codes}))

    disq = awards[awards["status"] == "disqualified"]
    reasons = (
        disq["disqualification_reason"].fillna("").astype(str)
        if "disqualification_reason" in disq.columns
        else pd.Series([""] * len(disq), index=disq.index, dtype=object)
    )
    excluded = pd.DataFrame(
        {
            "entry_id": disq["entry_id"].to_numpy(),
            "code": disq["code"].to_numpy(),
            "category": disq["category"].to_numpy(),
            "reason": reasons.to_numpy(dtype=object),
        }
    )
    special_table, special_notices = _special(awards, rules, prize_order)
    return Allocation(
        awards=awards,
        special=special_table,
        ties=ties,
        excluded=excluded,
        notices=notices + special_notices,
        quotas=quotas,
        prize_order=prize_order,
        rules=rules,
    )


def apply_adjustments(
    allocation: Allocation, adjustments: Iterable[Adjustment | Mapping[str, Any]]
) -> Allocation:
    """Return a new allocation with manual changes applied in order (the input is unchanged).

    Each adjustment gives entry_id, the new prize code (or None to remove a prize) and a
    non-empty reason; raises ``AdjustmentError`` for a missing reason, an unknown entry or
    prize, or a prize for a disqualified or unscored entry. Special prizes are recomputed and
    a notice reports any quota now exceeded.
    """
    awards = allocation.awards.copy()
    index = pd.Index(awards["entry_id"])
    done: list[Adjustment] = list(allocation.adjustments)
    for raw in adjustments:
        adj = raw if isinstance(raw, Adjustment) else Adjustment(**dict(raw))
        reason = str(adj.reason or "").strip()
        if not reason:
            raise AdjustmentError("reason_required", entry_id=adj.entry_id)
        pos = index.get_indexer([adj.entry_id])[0]
        if pos < 0:
            raise AdjustmentError("unknown_entry", entry_id=adj.entry_id)
        if adj.prize is not None and adj.prize not in allocation.prize_order:
            raise AdjustmentError(
                "unknown_prize", prize=adj.prize, allowed=", ".join(allocation.prize_order)
            )
        status = awards.at[pos, "status"]
        if adj.prize is not None and status in ("disqualified", "unscored"):
            raise AdjustmentError("entry_not_eligible", entry_id=adj.entry_id, status=status)
        awards.at[pos, "prize"] = adj.prize
        if adj.prize is not None:
            awards.at[pos, "status"] = "prize"
            awards.at[pos, "reserve"] = pd.NA
        elif status == "prize":
            awards.at[pos, "status"] = "none"
        awards.at[pos, "adjusted"] = True
        awards.at[pos, "note"] = reason
        done.append(Adjustment(adj.entry_id, adj.prize, reason))

    notices = [n for n in allocation.notices if n.code not in ("quota_exceeded_after_adjustment",)]
    before = allocation.awards
    for category, prizes in allocation.quotas.items():
        here = awards if category == OVERALL else awards[awards["category"] == category]
        was = before if category == OVERALL else before[before["category"] == category]
        for code, quota in prizes:
            given = int((here["prize"] == code).sum())
            # Ties already exceeded some quotas at allocation (and said so): report only growth.
            if given > max(quota, int((was["prize"] == code).sum())):
                notices.append(
                    PrizeNotice(
                        "quota_exceeded_after_adjustment",
                        {
                            "category": category,
                            "prize": code,
                            "awarded": given,
                            "quota": quota,
                        },
                    )
                )
    special_table, special_notices = _special(awards, allocation.rules, allocation.prize_order)
    special_codes = {"reference_date_required", "birth_dates_missing"}
    notices = [n for n in notices if n.code not in special_codes] + special_notices
    return replace(
        allocation,
        awards=awards,
        special=special_table,
        notices=notices,
        adjustments=tuple(done),
    )
