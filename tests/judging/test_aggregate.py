"""Tests for judging.aggregate: small hand-computed rounds, exact values."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from judging.aggregate import (
    AggregationError,
    InputError,
    aggregate,
    agreement,
    rank,
    rank_stability,
    weighted_totals,
)

ONE_CRITERION = pd.DataFrame(
    {
        "criterion_id": ["c"],
        "name": ["Tổng"],
        "max_points": [100.0],
        "weight": [1.0],
        "position": [1],
    }
)
TWO_CRITERIA = pd.DataFrame(
    {
        "criterion_id": ["c1", "c2"],
        "name": ["Tính Đảng", "Hình thức"],
        "max_points": [60.0, 40.0],
        "weight": [1.0, 1.0],
        "position": [1, 2],
    }
)


def entries_for(ids, category="Tạp chí", **extra):
    """Entries frame: codes are the ids prefixed with 'M'."""
    frame = pd.DataFrame(
        {"entry_id": ids, "code": [f"M{i}" for i in ids], "title": "", "category": category}
    )
    for name, values in extra.items():
        frame[name] = values
    return frame


def single(*readings):
    """Readings on the one-criterion rubric from (entry_id, judge_id, points) triples."""
    return pd.DataFrame(
        [(e, j, "c", p) for e, j, p in readings],
        columns=["entry_id", "judge_id", "criterion_id", "points"],
    )


def scores_of(agg):
    return agg.scores.set_index("entry_id")


# ---------------------------------------------------------------- weighted totals


def test_weighted_totals_weights_and_scale_to_100():
    criteria = pd.DataFrame(
        {"criterion_id": ["a", "b"], "name": "", "max_points": [10, 20], "weight": [2.0, 1.0]}
    )
    readings = pd.DataFrame(
        {
            "entry_id": [1, 1, 1, 1],
            "judge_id": ["x", "x", "y", "y"],
            "criterion_id": ["a", "b", "a", "b"],
            "points": [5, 10, 10, 20],
        }
    )
    totals = weighted_totals(readings, criteria)
    # weighted maximum 10*2 + 20*1 = 40; x: raw 5*2 + 10 = 20 -> 50.0; y: raw 40 -> 100.0
    assert totals.to_dict("list") == {
        "entry_id": [1, 1],
        "judge_id": ["x", "y"],
        "raw": [20.0, 40.0],
        "total": [50.0, 100.0],
        "sequence": [0.0, 1.0],
    }


def test_weighted_totals_missing_weight_column_defaults_to_one():
    criteria = TWO_CRITERIA.drop(columns="weight")
    readings = pd.DataFrame(
        {"entry_id": [1, 1], "judge_id": "x", "criterion_id": ["c1", "c2"], "points": [30, 15]}
    )
    assert weighted_totals(readings, criteria)["total"].tolist() == [45.0]


def test_weighted_totals_unknown_criterion_raises_in_both_languages():
    readings = single((1, "x", 50)).assign(criterion_id="zz")
    with pytest.raises(InputError) as info:
        weighted_totals(readings, ONE_CRITERION)
    assert info.value.code == "unknown_criterion"
    assert info.value.message() == "Có điểm thuộc tiêu chí không có trong thang điểm: zz."
    assert info.value.message("en") == "Some scores refer to criteria not in the rubric: zz."


def test_weighted_totals_points_above_maximum_raise():
    with pytest.raises(InputError) as info:
        weighted_totals(single((1, "x", 100.5)), ONE_CRITERION)
    assert info.value.code == "points_out_of_range"
    assert info.value.params["max_points"] == 100.0


def test_weighted_totals_incomplete_reading_raises():
    readings = pd.DataFrame(
        {"entry_id": [1], "judge_id": ["x"], "criterion_id": ["c1"], "points": [30]}
    )
    with pytest.raises(InputError) as info:
        weighted_totals(readings, TWO_CRITERIA)
    assert info.value.code == "incomplete_reading"
    assert info.value.message("en") == (
        "Judge x has not scored all 2 criteria of entry 1 (found 1)."
    )


def test_weighted_totals_duplicate_score_raises():
    with pytest.raises(InputError) as info:
        weighted_totals(single((1, "x", 50), (1, "x", 60)), ONE_CRITERION)
    assert info.value.code == "duplicate_score"


def test_weighted_totals_bad_rubric_raises():
    criteria = ONE_CRITERION.assign(weight=0.0)
    with pytest.raises(AggregationError) as info:
        weighted_totals(single((1, "x", 50)), criteria)
    assert info.value.code == "bad_rubric"


def test_weighted_totals_sequence_column_orders_readings():
    readings = single((1, "x", 50), (1, "y", 70)).assign(sequence=[2, 1])
    assert weighted_totals(readings, ONE_CRITERION)["sequence"].tolist() == [2.0, 1.0]


# ---------------------------------------------------------------- per-entry scores


def test_aggregate_mean_trimmed_and_counts():
    readings = single(
        (1, "a", 80), (1, "b", 60), (2, "a", 50), (2, "b", 70), (2, "c", 90), (2, "d", 60)
    )
    agg = aggregate(readings, ONE_CRITERION, entries_for([1, 2]))
    s = scores_of(agg)
    assert s["n_readings"].tolist() == [2, 4]
    assert s["mean"].tolist() == [70.0, 67.5]
    # entry 1: fewer than three readings -> plain mean; entry 2: drop 90 and 50 -> (70+60)/2
    assert s["trimmed"].tolist() == [70.0, 65.0]
    assert s["spread"].tolist() == [20.0, 40.0]


def test_aggregate_trimmed_method_sets_final_and_counts():
    readings = single((1, "a", 50), (1, "b", 55), (1, "c", 90))
    agg = aggregate(readings, ONE_CRITERION, entries_for([1]), method="trimmed")
    assert scores_of(agg).loc[1, "final"] == 55.0
    assert agg.readings["counts"].tolist() == [False, True, False]


@pytest.mark.parametrize(
    ("second", "flagged"),
    [(60.01, False), (60.0, True), (59.99, True)],
    ids=["19.99", "20", "20.01"],
)
def test_aggregate_disagreement_at_gap_boundary(second, flagged):
    agg = aggregate(single((1, "a", 80), (1, "b", second)), ONE_CRITERION, entries_for([1]))
    s = scores_of(agg)
    assert bool(s.loc[1, "disagreement"]) is flagged
    assert bool(s.loc[1, "pending_extra"]) is flagged


def test_aggregate_gap_is_configurable():
    readings = single((1, "a", 80), (1, "b", 65))
    agg = aggregate(readings, ONE_CRITERION, entries_for([1]), gap=15)
    assert bool(scores_of(agg).loc[1, "disagreement"]) is True


def test_aggregate_gap_tolerates_float_noise_of_weighted_totals():
    criteria = pd.DataFrame(
        {"criterion_id": ["a"], "name": "", "max_points": [10.0], "weight": 3.3}
    )
    readings = pd.DataFrame(
        {"entry_id": [1, 1], "judge_id": ["x", "y"], "criterion_id": "a", "points": [8.5, 6.5]}
    )
    agg = aggregate(readings, criteria, entries_for([1]))
    assert bool(scores_of(agg).loc[1, "disagreement"]) is True


def test_aggregate_pending_extra_reported_as_notice():
    readings = single((1, "a", 90), (1, "b", 60), (2, "a", 70), (2, "b", 72))
    agg = aggregate(readings, ONE_CRITERION, entries_for([1, 2]))
    assert [n.code for n in agg.notices] == [
        "too_few_readings",
        "too_few_readings",
        "pending_extra",
    ]
    assert agg.notices[2].message("en") == (
        "1 entries whose two readings differ by 20 points or more await an extra reading "
        "(for example: M1)."
    )


def test_aggregate_mean_all_rule_averages_every_reading():
    readings = single((1, "a", 90), (1, "b", 60), (1, "c", 78))
    agg = aggregate(readings, ONE_CRITERION, entries_for([1]), extra_rule="mean_all")
    s = scores_of(agg)
    assert s.loc[1, "final"] == 76.0
    assert bool(s.loc[1, "disagreement"]) is True
    assert bool(s.loc[1, "pending_extra"]) is False


def test_aggregate_third_decides_uses_third_and_closer_reading():
    readings = single((1, "a", 90), (1, "b", 60), (1, "c", 78))
    agg = aggregate(readings, ONE_CRITERION, entries_for([1]), extra_rule="third_decides")
    # 78 is 12 from 90 and 18 from 60: final = (78 + 90) / 2
    assert scores_of(agg).loc[1, "final"] == 84.0
    assert scores_of(agg).loc[1, "mean"] == 76.0
    assert agg.readings["counts"].tolist() == [True, False, True]


def test_aggregate_third_decides_midway_third_gives_the_third():
    readings = single((1, "a", 90), (1, "b", 60), (1, "c", 75))
    agg = aggregate(readings, ONE_CRITERION, entries_for([1]), extra_rule="third_decides")
    assert scores_of(agg).loc[1, "final"] == 75.0


def test_aggregate_third_decides_without_dispute_is_plain_mean():
    readings = single((1, "a", 70), (1, "b", 60), (1, "c", 95))
    agg = aggregate(readings, ONE_CRITERION, entries_for([1]), extra_rule="third_decides")
    assert scores_of(agg).loc[1, "final"] == 75.0


def test_aggregate_third_decides_ignores_fourth_reading_with_notice():
    readings = single((1, "a", 90), (1, "b", 60), (1, "c", 78), (1, "d", 10))
    agg = aggregate(readings, ONE_CRITERION, entries_for([1]), extra_rule="third_decides")
    assert scores_of(agg).loc[1, "final"] == 84.0
    assert agg.notices[-1].code == "extra_readings_ignored"


def test_aggregate_sequence_decides_which_readings_are_first():
    # By sequence the readings are 60, 78, 90: the first two differ by 18, no dispute.
    readings = single((1, "a", 90), (1, "b", 60), (1, "c", 78)).assign(sequence=[3, 1, 2])
    agg = aggregate(readings, ONE_CRITERION, entries_for([1]), extra_rule="third_decides")
    assert bool(scores_of(agg).loc[1, "disagreement"]) is False
    assert scores_of(agg).loc[1, "final"] == 76.0


def test_aggregate_no_readings_gives_empty_scores_and_notice():
    agg = aggregate(single(), ONE_CRITERION, entries_for([1, 2]), method="calibrated", bins=4)
    assert agg.histograms.edges == [0.0, 25.0, 50.0, 75.0, 100.0]
    s = scores_of(agg)
    assert s["n_readings"].tolist() == [0, 0]
    assert s["final"].isna().tolist() == [True, True]
    assert [n.code for n in agg.notices] == ["no_readings"]
    assert len(agg.judge_stats) == 0
    assert agg.agreement.icc1 is None


def test_aggregate_single_reading_entry_is_scored_with_notice():
    readings = single((1, "a", 64), (2, "a", 70), (2, "b", 72))
    agg = aggregate(readings, ONE_CRITERION, entries_for([1, 2]), min_readings_for_calibration=1)
    s = scores_of(agg)
    assert s.loc[1, "final"] == 64.0
    assert bool(s.loc[1, "disagreement"]) is False
    assert agg.notices[-1].message() == "1 bài mới có một lượt chấm (ví dụ: M1)."


def test_aggregate_unknown_entry_raises():
    with pytest.raises(InputError) as info:
        aggregate(single((9, "a", 50)), ONE_CRITERION, entries_for([1]))
    assert info.value.code == "unknown_entry"


def test_aggregate_bad_method_raises_with_vietnamese_message():
    with pytest.raises(InputError) as info:
        aggregate(single((1, "a", 50)), ONE_CRITERION, entries_for([1]), method="median")
    assert info.value.message() == (
        "Giá trị của method không hợp lệ: median. Giá trị được phép: mean, trimmed, calibrated."
    )


def test_aggregate_missing_entry_columns_raise():
    with pytest.raises(InputError) as info:
        aggregate(single((1, "a", 50)), ONE_CRITERION, entries_for([1]).drop(columns="code"))
    assert info.value.message("en") == "Table entries is missing columns: code."


# ---------------------------------------------------------------- calibration


def rotation_design(quality, bias, noise=None):
    """Entry i read by judges i % 3 and (i + 1) % 3; total = quality + bias (+ noise)."""
    rows = []
    for i, q in enumerate(quality):
        for k, judge in enumerate((i % 3, (i + 1) % 3)):
            extra = 0.0 if noise is None else noise[2 * i + k]
            rows.append((i, f"j{judge}", q + bias[judge] + extra))
    return single(*rows)


QUALITY = [60.0, 72.0, 55.0, 80.0, 66.0, 70.0, 58.0, 75.0, 62.0, 68.0, 77.0, 64.0]


def test_calibration_recovers_planted_bias_without_noise():
    readings = rotation_design(QUALITY, [0.0, 0.0, 10.0])
    agg = aggregate(
        readings, ONE_CRITERION, entries_for(list(range(12))), method="calibrated", shrinkage=0
    )
    bias = agg.judge_stats.set_index("judge_id")["bias"]
    # Centred so the reading-weighted mean bias is 0 (each judge reads 8 entries).
    assert bias.round(4).tolist() == [round(-10 / 3, 4), round(-10 / 3, 4), round(20 / 3, 4)]
    calibrated = scores_of(agg)["calibrated"].to_numpy()
    assert np.round(calibrated - np.array(QUALITY), 4).tolist() == [round(10 / 3, 4)] * 12
    assert agg.judge_stats["calibrated"].tolist() == [True, True, True]


def test_calibration_recovers_planted_bias_with_noise():
    rng = np.random.default_rng(7)
    n_entries, n_judges = 400, 20
    bias = np.zeros(n_judges)
    bias[3] = 10.0
    first = rng.integers(0, n_judges, n_entries)
    second = (first + rng.integers(1, n_judges, n_entries)) % n_judges
    quality = rng.uniform(40, 80, n_entries)
    rows = []
    for e in range(n_entries):
        for j in (first[e], second[e]):
            rows.append((e, f"j{j:02d}", quality[e] + bias[j] + rng.normal(0, 3)))
    ents = entries_for(list(range(n_entries)))
    agg = aggregate(single(*rows), ONE_CRITERION, ents, method="calibrated", shrinkage=0)
    estimate = agg.judge_stats.set_index("judge_id")["bias"]
    planted = estimate["j03"] - estimate.drop("j03").mean()
    assert abs(planted - 10.0) < 1.5
    # The default ridge (5) shrinks by about m / (m + 5), m = n_j / 2 with two readings.
    shrunk = aggregate(single(*rows), ONE_CRITERION, ents, method="calibrated")
    n_j = int(agg.judge_stats.set_index("judge_id").loc["j03", "n_readings"])
    ratio = shrunk.judge_stats.set_index("judge_id").loc["j03", "bias"] / estimate["j03"]
    assert abs(ratio - (n_j / 2) / (n_j / 2 + 5)) < 0.05


def test_calibration_matches_direct_ridge_least_squares():
    noise = np.random.default_rng(3).normal(0, 2, 24)
    readings = rotation_design(QUALITY, [0.0, -4.0, 6.0], noise)
    agg = aggregate(
        readings, ONE_CRITERION, entries_for(list(range(12))), method="calibrated", shrinkage=5
    )
    # Independent solution: y = Q e + B b with ridge rows sqrt(5) * I on b.
    y = readings["points"].to_numpy(float)
    e = readings["entry_id"].to_numpy()
    j = readings["judge_id"].str[1].astype(int).to_numpy()
    design = np.zeros((24 + 3, 12 + 3))
    design[np.arange(24), e] = 1
    design[np.arange(24), 12 + j] = 1
    design[24 + np.arange(3), 12 + np.arange(3)] = np.sqrt(5)
    solution = np.linalg.lstsq(design, np.r_[y, np.zeros(3)], rcond=None)[0]
    expected = solution[12:] - solution[12:].mean()  # equal reading counts: weighted = plain
    assert np.allclose(agg.judge_stats["bias"].to_numpy(), expected, atol=1e-9)


def test_calibration_shrinkage_pulls_biases_towards_zero():
    readings = rotation_design(QUALITY, [0.0, 0.0, 10.0])
    ids = entries_for(list(range(12)))
    loose = aggregate(readings, ONE_CRITERION, ids, method="calibrated", shrinkage=0)
    tight = aggregate(readings, ONE_CRITERION, ids, method="calibrated", shrinkage=40)
    assert tight.judge_stats["bias"].abs().max() < 0.5 * loose.judge_stats["bias"].abs().max()


def test_calibration_judge_with_few_readings_uses_raw_scores_and_says_so():
    readings = rotation_design(QUALITY, [0.0, 0.0, 10.0])
    readings = pd.concat([readings, single((0, "j9", 90.0), (1, "j9", 90.0))], ignore_index=True)
    agg = aggregate(readings, ONE_CRITERION, entries_for(list(range(12))), method="calibrated")
    stats = agg.judge_stats.set_index("judge_id")
    assert stats.loc["j9", "bias"] == 0.0
    assert bool(stats.loc["j9", "calibrated"]) is False
    assert [n.message("en") for n in agg.notices if n.code == "too_few_readings"] == [
        "judge j9 has too few readings for calibration (2 < 5); raw scores used."
    ]


def test_calibration_disconnected_judge_groups_are_centred_separately():
    # Judges a/b read entries 0-5, judges c/d read entries 6-11: two groups, one notice.
    rows = []
    for e in range(6):
        rows += [(e, "a", 60.0 + e), (e, "b", 70.0 + e)]
    for e in range(6, 12):
        rows += [(e, "c", 40.0 + e), (e, "d", 40.0 + e)]
    agg = aggregate(
        single(*rows), ONE_CRITERION, entries_for(list(range(12))), method="calibrated", shrinkage=0
    )
    stats = agg.judge_stats.set_index("judge_id")
    assert stats["bias"].round(4).tolist() == [-5.0, 5.0, 0.0, 0.0]
    assert stats["group"].tolist() == [0, 0, 1, 1]
    assert [n.code for n in agg.notices] == ["judge_groups"]
    # Group means are preserved: calibrated equals the raw mean per entry here.
    s = scores_of(agg)
    assert np.allclose(s["calibrated"], s["mean"])


# ---------------------------------------------------------------- panel statistics


def test_agreement_hand_computed_icc_and_alpha():
    totals = pd.DataFrame({"entry_id": [1, 1, 2, 2, 3], "total": [1.0, 3.0, 5.0, 7.0, 9.0]})
    result = agreement(totals)
    # MSB 16, MSW 2, n0 2 -> ICC (16 - 2) / (16 + 2); alpha 1 - 4 / (160 / 12)
    assert round(result.icc1, 12) == round(14 / 18, 12)
    assert round(result.alpha, 12) == 0.7
    assert (result.n_entries, result.n_readings, result.level) == (2, 4, "good")
    assert result.hint("en") == "Agreement is good (0.75 – 0.9)."


def test_agreement_poor_gives_discussion_hint():
    totals = pd.DataFrame({"entry_id": [1, 1, 2, 2], "total": [40.0, 80.0, 80.0, 40.0]})
    result = agreement(totals)
    assert result.level == "poor"
    assert result.hint() == (
        "Mức đồng thuận thấp (< 0,5): Hội đồng nên thảo luận lại cách hiểu các tiêu chí."
    )
    assert result.hint("en") == "Agreement is poor (< 0.5): the panel should discuss the criteria."


def test_agreement_perfect_panel_is_one():
    readings = single((1, "a", 50), (1, "b", 50), (2, "a", 70), (2, "b", 70))
    agg = aggregate(readings, ONE_CRITERION, entries_for([1, 2]))
    assert (agg.agreement.icc1, agg.agreement.alpha, agg.agreement.level) == (1.0, 1.0, "excellent")


def test_judge_stats_count_mean_sd():
    readings = single((1, "a", 50), (2, "a", 70), (3, "a", 60), (1, "b", 55))
    agg = aggregate(readings, ONE_CRITERION, entries_for([1, 2, 3]))
    stats = agg.judge_stats.set_index("judge_id")
    assert stats["n_readings"].tolist() == [3, 1]
    assert stats["mean"].tolist() == [60.0, 55.0]
    assert stats.loc["a", "sd"] == 10.0
    assert np.isnan(stats.loc["b", "sd"])


def test_histograms_bin_counts_per_judge_and_category():
    readings = single((1, "a", 5), (2, "a", 95), (3, "a", 100), (1, "b", 15), (4, "b", 55))
    ents = entries_for([1, 2, 3, 4], category=["X", "X", "Y", "Y"])
    agg = aggregate(readings, ONE_CRITERION, ents, bins=5, min_readings_for_calibration=1)
    h = agg.histograms
    assert h.edges == [0.0, 20.0, 40.0, 60.0, 80.0, 100.0]
    assert h.by_judge == {"a": [1, 0, 0, 0, 2], "b": [1, 0, 1, 0, 0]}
    # finals: 1 -> 10, 2 -> 95 (X); 3 -> 100, 4 -> 55 (Y)
    assert h.by_category == {"X": [1, 0, 0, 0, 1], "Y": [0, 0, 1, 0, 1]}


# ---------------------------------------------------------------- ranking


def two_criteria_readings(rows):
    """(entry_id, judge_id, c1, c2) -> criterion rows on TWO_CRITERIA."""
    out = []
    for e, j, p1, p2 in rows:
        out += [(e, j, "c1", p1), (e, j, "c2", p2)]
    return pd.DataFrame(out, columns=["entry_id", "judge_id", "criterion_id", "points"])


def test_rank_competition_ranking_shows_ties():
    readings = single((1, "a", 90), (2, "a", 80), (3, "a", 80), (4, "a", 70))
    ents = entries_for([1, 2, 3, 4])
    ranking = rank(aggregate(readings, ONE_CRITERION, ents), ents)
    t = ranking.table
    assert t["code"].tolist() == ["M1", "M2", "M3", "M4"]
    assert t["rank"].tolist() == [1, 2, 2, 4]
    assert t["tied"].tolist() == [False, True, True, False]
    assert t["decided_by"].tolist() == [None, "score", None, "score"]


def test_rank_tie_break_by_criterion_resolves_tie():
    # Both entries total 80; entry 2 has more on c1 (mean weighted points 50 vs 45).
    readings = two_criteria_readings([(1, "a", 45, 35), (2, "a", 50, 30), (3, "a", 40, 30)])
    ents = entries_for([1, 2, 3])
    agg = aggregate(readings, TWO_CRITERIA, ents)
    t = rank(agg, ents, tie_break=["criterion:c1"]).table
    assert t["code"].tolist() == ["M2", "M1", "M3"]
    assert t["rank"].tolist() == [1, 2, 3]
    assert t["tied"].tolist() == [False, False, False]
    assert t["decided_by"].tolist() == [None, "criterion:c1", "score"]


def test_rank_panel_order_resolves_only_complete_groups():
    readings = single((1, "a", 80), (2, "a", 80), (3, "a", 70), (4, "a", 70), (5, "a", 70))
    ents = entries_for([1, 2, 3, 4, 5])
    agg = aggregate(readings, ONE_CRITERION, ents)
    ranking = rank(agg, ents, tie_break=["panel"], panel_order={2: 1, 1: 2, 3: 1})
    t = ranking.table
    assert t["code"].tolist() == ["M2", "M1", "M3", "M4", "M5"]
    assert t["rank"].tolist() == [1, 2, 3, 3, 3]
    assert t["tied"].tolist() == [False, False, True, True, True]
    assert [n.message("en") for n in ranking.notices] == [
        "Category Tạp chí: 1 tied group(s) remain because the panel has not ordered every "
        "member (highest group: M3, M4, M5)."
    ]


def test_rank_disqualified_and_unscored_entries_have_no_rank():
    readings = single((1, "a", 80), (2, "a", 90))
    ents = entries_for(
        [1, 2, 3],
        is_disqualified=[False, True, False],
        disqualification_reason=["", "sao chép", ""],
    )
    ranking = rank(aggregate(readings, ONE_CRITERION, ents), ents)
    t = ranking.table.set_index("entry_id")
    assert t["status"].tolist() == ["ranked", "disqualified", "unscored"]
    assert t["rank"].tolist() == [1, pd.NA, pd.NA]
    assert t.loc[2, "disqualification_reason"] == "sao chép"
    assert [n.code for n in ranking.notices] == ["unscored_entries"]


def test_rank_per_category_restarts_at_one():
    readings = single((1, "a", 60), (2, "a", 90), (3, "a", 70))
    ents = entries_for([1, 2, 3], category=["Báo", "Tạp chí", "Báo"])
    t = rank(aggregate(readings, ONE_CRITERION, ents), ents).table
    assert list(zip(t["category"], t["code"], t["rank"], strict=True)) == [
        ("Báo", "M3", 1),
        ("Báo", "M1", 2),
        ("Tạp chí", "M2", 1),
    ]


def test_rank_unknown_tie_break_rule_raises():
    ents = entries_for([1])
    agg = aggregate(single((1, "a", 60)), ONE_CRITERION, ents)
    with pytest.raises(InputError) as info:
        rank(agg, ents, tie_break=["criterion:nope"])
    assert info.value.code == "bad_tie_break"


def test_rank_without_readings_ranks_nothing():
    ents = entries_for([1, 2])
    ranking = rank(aggregate(single(), ONE_CRITERION, ents), ents)
    assert ranking.table["status"].tolist() == ["unscored", "unscored"]


# ---------------------------------------------------------------- rank stability


def stability_round():
    readings = single(
        (1, "a", 70), (1, "b", 80), (2, "a", 74), (2, "b", 76), (3, "a", 40), (3, "b", 40)
    )
    ents = entries_for([1, 2, 3])
    agg = aggregate(readings, ONE_CRITERION, ents)
    return agg, rank(agg, ents)


def test_rank_stability_marks_close_entries_at_boundary():
    agg, ranking = stability_round()
    result = rank_stability(agg, ranking, boundaries=[1], resamples=200, seed=1)
    assert result["code"].tolist() == ["M1", "M2", "M3"]
    assert result["rank_low"].tolist() == [1, 1, 3]
    assert result["rank_high"].tolist() == [2, 2, 3]
    assert result["too_close_to_call"].tolist() == [True, True, False]


def test_rank_stability_is_deterministic_for_a_seed():
    agg, ranking = stability_round()
    first = rank_stability(agg, ranking, boundaries={"Tạp chí": [2]}, seed=5)
    second = rank_stability(agg, ranking, boundaries={"Tạp chí": [2]}, seed=5)
    pd.testing.assert_frame_equal(first, second)
    assert first["too_close_to_call"].tolist() == [False, False, False]


def test_rank_stability_tie_straddling_boundary_is_too_close():
    readings = single((1, "a", 80), (2, "a", 80), (3, "a", 60))
    ents = entries_for([1, 2, 3])
    agg = aggregate(readings, ONE_CRITERION, ents)
    result = rank_stability(agg, rank(agg, ents), boundaries=[1], seed=0)
    assert result["too_close_to_call"].tolist() == [True, True, False]


def test_rank_stability_calibrated_adds_bias_noise():
    noise = np.random.default_rng(3).normal(0, 2, 24)
    readings = rotation_design(QUALITY, [0.0, -4.0, 6.0], noise)
    ents = entries_for(list(range(12)))
    agg = aggregate(readings, ONE_CRITERION, ents, method="calibrated")
    result = rank_stability(agg, rank(agg, ents), resamples=50, seed=0)
    assert (agg.judge_stats["bias_se"] > 0).all()
    assert (result["rank_low"] <= result["rank"]).all()
    assert (result["rank"] <= result["rank_high"]).all()


def test_rank_stability_bad_level_raises():
    agg, ranking = stability_round()
    with pytest.raises(InputError) as info:
        rank_stability(agg, ranking, level=1.5)
    assert info.value.code == "bad_parameter"


def test_calibration_single_judge_keeps_raw_scores():
    readings = single((1, "a", 50), (2, "a", 60), (3, "a", 70), (4, "a", 80), (5, "a", 90))
    agg = aggregate(readings, ONE_CRITERION, entries_for([1, 2, 3, 4, 5]), method="calibrated")
    assert scores_of(agg)["final"].tolist() == [50.0, 60.0, 70.0, 80.0, 90.0]
    assert agg.judge_stats["bias"].tolist() == [0.0]


def test_rank_stability_without_ranked_entries_is_empty():
    ents = entries_for([1, 2])
    agg = aggregate(single(), ONE_CRITERION, ents)
    result = rank_stability(agg, rank(agg, ents), boundaries=[1])
    assert result.columns.tolist() == [
        "entry_id",
        "code",
        "category",
        "rank",
        "rank_low",
        "rank_high",
        "too_close_to_call",
    ]
    assert len(result) == 0


def test_pure_modules_import_neither_flask_nor_sqlalchemy():
    code = (
        "import sys, judging.aggregate, judging.prizes; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('flask', 'sqlalchemy')))"
    )
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "[]"


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 11), st.sampled_from(["a", "b", "c"]), st.integers(0, 20)),
        min_size=1,
        max_size=30,
        unique_by=lambda t: (t[0], t[1]),
    )
)
def test_rank_property_competition_ranks_and_finals_within_readings(rows):
    readings = single(*[(e, j, 5 * p) for e, j, p in rows])
    ents = entries_for(list(range(12)), category=["X", "Y"] * 6)
    agg = aggregate(readings, ONE_CRITERION, ents, extra_rule="third_decides")
    s = scores_of(agg)
    by_entry = readings.groupby("entry_id")["points"]
    scored = s[s["n_readings"] > 0]
    assert (scored["final"] >= by_entry.min().reindex(scored.index) - 1e-9).all()
    assert (scored["final"] <= by_entry.max().reindex(scored.index) + 1e-9).all()
    t = rank(agg, ents).table
    t = t[t["status"] == "ranked"]
    for _, group in t.groupby("category"):
        better = [(group["score"] > x + 1e-9).sum() + 1 for x in group["score"]]
        assert group["rank"].tolist() == better
