"""Tests for judging.prizes: quotas, ties at boundaries, reserve, special prizes, adjustments."""

from __future__ import annotations

import datetime as dt
import unicodedata

import pandas as pd
import pytest

from judging.aggregate import aggregate, rank
from judging.prizes import (
    ANY_CATEGORY,
    OVERALL,
    PRESETS,
    SPECIAL_PRESETS,
    Adjustment,
    AdjustmentError,
    PrizeTableError,
    SpecialRules,
    age_on,
    allocate_prizes,
    apply_adjustments,
    category_prizes,
    prize_boundaries,
    prize_label,
)

RUBRIC = pd.DataFrame({"criterion_id": ["c"], "name": ["Tổng"], "max_points": [100.0]})
LOCAL = PRESETS["local"]


def ranking_of(scores, **extra):
    """A ranking from {category: [score, ...]}; entry ids/codes are '<category><i>'."""
    rows, ents = [], []
    for category, values in scores.items():
        for i, value in enumerate(values):
            entry_id = f"{category}{i}"
            ents.append({"entry_id": entry_id, "code": entry_id, "category": category})
            if value is not None:
                rows += [(entry_id, "a", "c", value), (entry_id, "b", "c", value)]
    entries = pd.DataFrame(ents)
    for name, values in extra.items():
        entries[name] = values
    readings = pd.DataFrame(rows, columns=["entry_id", "judge_id", "criterion_id", "points"])
    agg = aggregate(readings, RUBRIC, entries)
    return rank(agg, entries)


def prizes_by_code(allocation):
    awards = allocation.awards
    return dict(zip(awards["code"], awards["prize"], strict=True))


def codes(allocation):
    return [n.code for n in allocation.notices]


def test_presets_follow_domain_tables():
    national = PRESETS["national_2024"]
    assert national["Tạp chí"] == [("A", 3), ("B", 6), ("C", 10), ("KK", 20)]
    assert national["Báo (in, điện tử)"] == [("A", 3), ("B", 6), ("C", 10), ("KK", 20)]
    assert national["Phát thanh"] == [("A", 2), ("B", 4), ("C", 6), ("KK", 10)]
    assert national["Truyền hình"] == [("A", 2), ("B", 4), ("C", 6), ("KK", 10)]
    assert national["Video clip"] == [("A", 1), ("B", 2), ("C", 3), ("KK", 6)]
    assert national[OVERALL] == [("DB", 1)]
    assert LOCAL[ANY_CATEGORY] == [("nhat", 1), ("nhi", 2), ("ba", 3), ("kk", 5)]
    assert SPECIAL_PRESETS["local"].unit_min_prize == "nhi"


def test_prize_label_in_both_languages():
    assert prize_label("DB") == "Giải Đặc biệt"
    assert prize_label("nhi", "en") == "Second prize"
    assert prize_label("ZZ") == "ZZ"
    assert prize_label(None) == ""


def test_prize_boundaries_are_cumulative_counts():
    assert prize_boundaries(PRESETS["national_2024"], "Video clip") == [1, 3, 6, 12]
    assert prize_boundaries(LOCAL, "Báo") == [1, 3, 6, 11]
    assert prize_boundaries(PRESETS["national_2024"], "Khác") == []


def test_category_names_match_in_nfc():
    decomposed = unicodedata.normalize("NFD", "Tạp chí")
    assert category_prizes(PRESETS["national_2024"], decomposed) == [
        ("A", 3),
        ("B", 6),
        ("C", 10),
        ("KK", 20),
    ]


def test_allocate_quotas_in_rank_order():
    ranking = ranking_of({"Báo": [95, 90, 85, 80, 75, 70, 65, 60]})
    table = {"Báo": [("nhat", 1), ("nhi", 2), ("ba", 3)]}
    allocation = allocate_prizes(ranking, table, reserve=0)
    assert prizes_by_code(allocation) == {
        "Báo0": "nhat",
        "Báo1": "nhi",
        "Báo2": "nhi",
        "Báo3": "ba",
        "Báo4": "ba",
        "Báo5": "ba",
        "Báo6": None,
        "Báo7": None,
    }
    assert allocation.awards["status"].tolist()[-2:] == ["none", "none"]
    assert allocation.notices == []


def test_allocate_reserve_lists_next_entries():
    ranking = ranking_of({"Báo": [95, 90, 85, 80, 75]})
    allocation = allocate_prizes(ranking, {"Báo": [("nhat", 1), ("nhi", 1)]}, reserve=2)
    assert allocation.awards["reserve"].tolist() == [pd.NA, pd.NA, 1, 2, pd.NA]
    assert allocation.awards["status"].tolist() == ["prize", "prize", "reserve", "reserve", "none"]


def test_allocate_reserve_keeps_tied_group_whole():
    ranking = ranking_of({"Báo": [95, 90, 85, 85, 80]})
    allocation = allocate_prizes(ranking, {"Báo": [("nhat", 2)]}, reserve=1)
    assert allocation.awards["reserve"].tolist() == [pd.NA, pd.NA, 1, 1, pd.NA]


def test_allocate_tie_at_boundary_gives_all_tied_the_prize_and_says_so():
    ranking = ranking_of({"Báo": [95, 90, 90, 80, 70]})
    table = {"Báo": [("nhat", 1), ("nhi", 1), ("ba", 1)]}
    allocation = allocate_prizes(ranking, table, reserve=0)
    assert prizes_by_code(allocation) == {
        "Báo0": "nhat",
        "Báo1": "nhi",
        "Báo2": "nhi",
        "Báo3": "ba",
        "Báo4": None,
    }
    assert allocation.ties == [
        {"category": "Báo", "prize": "nhi", "codes": "Báo1, Báo2", "quota": 1, "awarded": 2}
    ]
    assert [n.message("en") for n in allocation.notices] == [
        "Báo: Second prize exceeds quota by 1 due to a tie (entries Báo1, Báo2)."
    ]
    assert allocation.awards["note"].tolist()[1] == (
        "Báo: Giải Nhì vượt số lượng 1 giải do đồng điểm (các bài Báo1, Báo2)."
    )


def test_allocate_min_score_leaves_prizes_unfilled():
    ranking = ranking_of({"Báo": [95, 70, 49.5, 30]})
    table = {"Báo": [("nhat", 1), ("nhi", 2), ("ba", 1)]}
    allocation = allocate_prizes(ranking, table, reserve=3, min_score=50)
    assert prizes_by_code(allocation) == {"Báo0": "nhat", "Báo1": "nhi", "Báo2": None, "Báo3": None}
    assert allocation.awards["status"].tolist() == [
        "prize",
        "prize",
        "below_min_score",
        "below_min_score",
    ]
    assert [n.message("en") for n in allocation.notices] == [
        "Báo: 2 entries below the minimum score 50 are not considered for prizes.",
        "Báo: 2 prizes not awarded (nhi × 1, ba × 1): only 2 eligible entries.",
    ]


def test_allocate_table_larger_than_entries_allocates_what_exists():
    ranking = ranking_of({"Tạp chí": [80, 70]})
    allocation = allocate_prizes(ranking, PRESETS["national_2024"], reserve=0)
    # The leader takes Đặc biệt; the other entry gets the category's first A.
    assert prizes_by_code(allocation) == {"Tạp chí0": "DB", "Tạp chí1": "A"}
    assert [n.message() for n in allocation.notices] == [
        "Tạp chí: còn 38 giải chưa trao (A × 2, B × 6, C × 10, KK × 20) vì chỉ có 1 bài đủ "
        "điều kiện."
    ]


def test_allocate_special_prize_goes_to_best_category_leader():
    bao = "Báo (in, điện tử)"  # the category's name in the national preset
    ranking = ranking_of({bao: [88, 87, 60], "Video clip": [91, 50]})
    allocation = allocate_prizes(ranking, PRESETS["national_2024"], reserve=0)
    prizes = prizes_by_code(allocation)
    assert prizes["Video clip0"] == "DB"
    assert prizes["Video clip1"] == "A"
    assert (prizes[f"{bao}0"], prizes[f"{bao}1"], prizes[f"{bao}2"]) == ("A", "A", "A")


def test_allocate_excludes_disqualified_with_reason():
    ranking = ranking_of(
        {"Báo": [99, 80, 70]},
        is_disqualified=[True, False, False],
        disqualification_reason=["Lộ thông tin tác giả trong bài", "", ""],
    )
    allocation = allocate_prizes(ranking, LOCAL, reserve=0)
    assert allocation.excluded.to_dict("list") == {
        "entry_id": ["Báo0"],
        "code": ["Báo0"],
        "category": ["Báo"],
        "reason": ["Lộ thông tin tác giả trong bài"],
    }
    assert prizes_by_code(allocation) == {"Báo0": None, "Báo1": "nhat", "Báo2": "nhi"}


def test_allocate_category_without_table_row_is_reported():
    ranking = ranking_of({"Khác": [80]})
    allocation = allocate_prizes(ranking, {"Báo": [("nhat", 1)]})
    assert prizes_by_code(allocation) == {"Khác0": None}
    assert codes(allocation) == ["no_prize_table"]


def test_allocate_without_scores_does_not_crash():
    ranking = ranking_of({"Báo": [None, None]})
    allocation = allocate_prizes(ranking, LOCAL)
    assert allocation.awards["status"].tolist() == ["unscored", "unscored"]
    assert allocation.awards["prize"].tolist() == [None, None]


def test_allocate_pending_winner_is_reported():
    rows = [("e1", "a", "c", 90), ("e1", "b", "c", 60), ("e2", "a", "c", 50), ("e2", "b", "c", 50)]
    readings = pd.DataFrame(rows, columns=["entry_id", "judge_id", "criterion_id", "points"])
    entries = pd.DataFrame({"entry_id": ["e1", "e2"], "code": ["E1", "E2"], "category": "Báo"})
    allocation = allocate_prizes(rank(aggregate(readings, RUBRIC, entries), entries), LOCAL)
    assert [n.message("en") for n in allocation.notices][-1] == (
        "Entries E1 await an extra reading; their prizes are provisional."
    )


def test_allocate_bad_table_raises():
    ranking = ranking_of({"Báo": [80]})
    with pytest.raises(PrizeTableError) as info:
        allocate_prizes(ranking, {"Báo": [("nhat", -1)]})
    assert info.value.code == "bad_table"
    with pytest.raises(PrizeTableError):
        allocate_prizes(ranking, {"Báo": [("nhat", 1), ("nhat", 2)]})


def test_age_on_counts_full_years():
    reference = dt.date(2025, 6, 1)
    assert age_on(dt.date(1995, 6, 2), reference) == 29
    assert age_on("1995-06-01", reference) == 30
    assert age_on(1995, reference) == 30
    assert age_on("02/06/1995", reference) == 29
    assert age_on(dt.datetime(1995, 5, 31, 12, 0), reference) == 30
    assert age_on(None, reference) is None
    assert age_on("không rõ", reference) is None


def special_ranking():
    births = [
        dt.date(1960, 3, 1),
        dt.date(1999, 1, 1),
        dt.date(1985, 5, 5),
        dt.date(2001, 2, 2),
        dt.date(2000, 7, 7),
        None,
    ]
    units = ["Huyện A", "Huyện B", "Huyện A", "Huyện C", "", "Huyện D"]
    return ranking_of({"Báo": [95, 90, 85, 80, 75, 70]}, birth_date=births, unit=units)


def test_special_prizes_young_oldest_youngest_and_units():
    rules = SpecialRules(
        reference_date=dt.date(2025, 1, 1), young_count=1, young_age_limit=30, unit_min_prize="nhi"
    )
    table = {"Báo": [("nhat", 1), ("nhi", 1), ("ba", 1)]}
    allocation = allocate_prizes(special_ranking(), table, reserve=0, special=rules)
    special = allocation.special
    assert special[["prize", "code", "unit", "detail"]].to_dict("list") == {
        # Triển vọng: best author under 30 without a prize (Báo3, 23 years old).
        "prize": ["TV", "oldest", "youngest", "TTXS", "TTXS"],
        "code": ["Báo3", "Báo0", "Báo1", None, None],
        "unit": ["Huyện C", "Huyện A", "Huyện B", "Huyện A", "Huyện B"],
        "detail": ["23", "1960-03-01", "1999-01-01", "Báo0", "Báo1"],
    }
    assert codes(allocation) == ["birth_dates_missing"]


def test_special_young_prize_needs_reference_date_but_oldest_youngest_do_not():
    allocation = allocate_prizes(special_ranking(), LOCAL, special=SpecialRules(young_count=2))
    assert codes(allocation) == [
        "prizes_unfilled",
        "birth_dates_missing",
        "reference_date_required",
    ]
    assert allocation.notices[1].message("en") == (
        "1 entries lack the author's birth date and are left out of age-based prizes."
    )
    assert allocation.special[["prize", "code"]].to_dict("list") == {
        "prize": ["oldest", "youngest"],
        "code": ["Báo0", "Báo3"],
    }


def test_special_unknown_unit_threshold_raises():
    with pytest.raises(PrizeTableError) as info:
        allocate_prizes(special_ranking(), LOCAL, special=SpecialRules(unit_min_prize="B"))
    assert info.value.message("en") == (
        "Prize B is not in the prize table; valid prizes: nhat, nhi, ba, kk."
    )


def test_adjustment_requires_reason():
    allocation = allocate_prizes(ranking_of({"Báo": [90, 80]}), LOCAL)
    with pytest.raises(AdjustmentError) as info:
        apply_adjustments(allocation, [Adjustment("Báo1", "nhat", "   ")])
    assert info.value.code == "reason_required"
    assert info.value.message() == "Điều chỉnh giải của bài Báo1 cần ghi rõ lý do."


def test_adjustment_unknown_entry_or_prize_raise():
    allocation = allocate_prizes(ranking_of({"Báo": [90, 80]}), LOCAL)
    with pytest.raises(AdjustmentError) as info:
        apply_adjustments(allocation, [{"entry_id": "zz", "prize": None, "reason": "x"}])
    assert info.value.code == "unknown_entry"
    with pytest.raises(AdjustmentError) as info:
        apply_adjustments(allocation, [{"entry_id": "Báo0", "prize": "A", "reason": "x"}])
    assert info.value.code == "unknown_prize"


def test_adjustment_for_disqualified_entry_raises():
    ranking = ranking_of({"Báo": [90, 80]}, is_disqualified=[True, False])
    allocation = allocate_prizes(ranking, LOCAL)
    with pytest.raises(AdjustmentError) as info:
        apply_adjustments(allocation, [Adjustment("Báo0", "nhat", "Hội đồng quyết định")])
    assert info.value.code == "entry_not_eligible"


def test_adjustments_apply_on_top_and_recompute_special():
    ranking = ranking_of({"Báo": [95, 90, 85, 80]}, unit=["U1", "U2", "U3", "U4"])
    rules = SpecialRules(unit_min_prize="nhat")
    table = {"Báo": [("nhat", 1), ("nhi", 1)]}
    allocation = allocate_prizes(ranking, table, reserve=1, special=rules)
    adjusted = apply_adjustments(
        allocation,
        [
            Adjustment("Báo2", "nhat", "Hội đồng nâng giải"),
            Adjustment("Báo1", None, "Vi phạm quy chế phát hiện sau"),
        ],
    )
    assert prizes_by_code(adjusted) == {"Báo0": "nhat", "Báo1": None, "Báo2": "nhat", "Báo3": None}
    awards = adjusted.awards
    assert awards["status"].tolist() == ["prize", "none", "prize", "none"]
    assert awards["adjusted"].tolist() == [False, True, True, False]
    assert awards["note"].tolist()[1:3] == ["Vi phạm quy chế phát hiện sau", "Hội đồng nâng giải"]
    assert adjusted.special["unit"].tolist() == ["U1", "U3"]
    assert [n.message("en") for n in adjusted.notices] == [
        "Báo: after adjustments, First prize has 2 awards, above its quota of 1."
    ]
    assert len(adjusted.adjustments) == 2
    # The original allocation is untouched.
    assert prizes_by_code(allocation)["Báo2"] is None
    assert allocation.special["unit"].tolist() == ["U1"]
