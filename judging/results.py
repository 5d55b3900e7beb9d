"""Results services: gather one round's data, aggregate and rank (pure modules), allocate and
adjust prizes, finalise, reveal, advance entries, and build the report.

Every read that feeds a report happens inside one transaction, so an export taken while
judges are still saving sees one consistent snapshot (REPEATABLE READ on PostgreSQL; SQLite's
read transaction is a snapshot already).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pandas as pd
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from contest import entries as entry_services
from contest.models import (
    Contest,
    ContestState,
    Entry,
    EntryStatus,
    SimilarityReport,
    User,
)
from contest.presets import PRIZE_SCHEMES
from contest.problems import Problem, ProblemError
from contest.services import record, transition_contest
from judging import aggregate, prizes
from judging import export as exporter
from judging.models import Assignment, Award, JudgeSeat, Round, RoundEntry, Score, ScoreStatus
from judging.services import get_round, rounds_of


def _problem(code: str, vi: str, en: str, **params) -> ProblemError:
    return ProblemError(Problem(code, vi, en, params))


def snapshot(session: Session) -> None:
    """Begin the read snapshot every results page and export works in."""
    if session.get_bind().dialect.name == "postgresql":
        # The isolation level applies from the start of a transaction: end the read-only one
        # the request began (loading the signed-in user), then open a REPEATABLE READ one.
        if session.in_transaction():
            session.commit()
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    else:
        # pysqlite starts a transaction only before a write: begin one by hand, so every
        # read of the report comes from one snapshot of the WAL.
        conn = session.connection()
        if not conn.connection.dbapi_connection.in_transaction:
            conn.exec_driver_sql("BEGIN")


def scored_round(session: Session, contest: Contest) -> Round | None:
    """The last round with a submitted score (the results round), or the first round."""
    rounds = rounds_of(session, contest)
    for rnd in reversed(rounds):
        has = session.scalar(
            select(Score.id)
            .join(Assignment)
            .where(Assignment.round_id == rnd.id, Score.status == ScoreStatus.submitted)
            .limit(1)
        )
        if has is not None:
            return rnd
    return rounds[0] if rounds else None


@dataclass
class RoundData:
    rnd: Round
    readings: pd.DataFrame
    criteria: pd.DataFrame
    entries: pd.DataFrame
    judges: dict[int, str]  # user id -> pseudonym
    unscored: list[str]  # codes of entries without any submitted reading


def round_data(
    session: Session, rnd: Round, *, with_identity: bool = False, actor: User | None = None
) -> RoundData:
    """Plain tables for the pure modules. Identity (unit, birth date) only for special prizes,
    read through the vault and recorded in the audit log."""
    entries = list(
        session.scalars(
            select(Entry)
            .join(RoundEntry, RoundEntry.entry_id == Entry.id)
            .where(RoundEntry.round_id == rnd.id)
            .order_by(Entry.id)
        )
    )
    rows = session.execute(
        select(Assignment.entry_id, Assignment.judge_id, Score.points, Score.submitted_at)
        .join(Score, Score.assignment_id == Assignment.id)
        .where(Assignment.round_id == rnd.id, Score.status == ScoreStatus.submitted)
        .order_by(Score.submitted_at, Score.id)
    ).all()
    readings = []
    for entry_id, judge_id, points, _at in rows:
        for cid, value in points.items():
            readings.append(
                {
                    "entry_id": entry_id,
                    "judge_id": judge_id,
                    "criterion_id": int(cid),
                    "points": float(value),
                }
            )
    criteria = pd.DataFrame(
        [
            {
                "criterion_id": c.id,
                "name": c.name,
                "max_points": c.max_points,
                "weight": c.weight,
                "position": c.position,
            }
            for c in rnd.criteria
        ]
    )
    ent_rows = []
    vault = session.info["vault"]
    for e in entries:
        row = {
            "entry_id": e.id,
            "code": e.secret_code or e.receipt_no,
            "title": e.title,
            "category": e.category.name,
            "is_disqualified": e.status == EntryStatus.disqualified,
            "disqualification_reason": e.disqualified_reason,
        }
        if with_identity:
            authors = entry_services.author_identities(vault, e)
            main = authors[0] if authors else {}
            row["unit"] = main.get("unit", "")
            bd = main.get("birth_date") or ""
            row["birth_date"] = dt.date.fromisoformat(bd) if bd else None
        ent_rows.append(row)
    if with_identity and entries:
        record(
            session,
            actor=actor,
            action="identity.read",
            contest=rnd.contest,
            after={"purpose": "special prizes", "entries": len(entries)},
        )
    readings_df = pd.DataFrame(readings, columns=["entry_id", "judge_id", "criterion_id", "points"])
    entries_df = pd.DataFrame(
        ent_rows,
        columns=list(ent_rows[0].keys())
        if ent_rows
        else [
            "entry_id",
            "code",
            "title",
            "category",
            "is_disqualified",
            "disqualification_reason",
        ],
    )
    judges = {
        s.user_id: s.pseudonym
        for s in session.scalars(select(JudgeSeat).where(JudgeSeat.round_id == rnd.id))
    }
    scored = {r[0] for r in rows}
    unscored = [
        e.secret_code or e.receipt_no
        for e in entries
        if e.id not in scored and e.status == EntryStatus.submitted
    ]
    return RoundData(rnd, readings_df, criteria, entries_df, judges, unscored)


@dataclass
class Results:
    data: RoundData
    aggregation: aggregate.Aggregation
    ranking: aggregate.Ranking
    stability: pd.DataFrame
    table: dict[str, list[tuple[str, int]]]
    allocation: prizes.Allocation | None = None
    notices: list[str] = field(default_factory=list)


def prize_table(contest: Contest) -> dict[str, list[tuple[str, int]]]:
    table: dict[str, list[tuple[str, int]]] = {
        c.name: [(code, int(n)) for code, n in c.prize_quotas] for c in contest.categories
    }
    if contest.prize_scheme == "national":
        table[prizes.OVERALL] = [("DB", 1)]
    return table


def compute(
    session: Session,
    *,
    contest: Contest,
    rnd: Round,
    lang: str = "vi",
    with_identity: bool = False,
    actor: User | None = None,
    resamples: int = 200,
) -> Results:
    data = round_data(session, rnd, with_identity=with_identity, actor=actor)
    agg = aggregate.aggregate(
        data.readings,
        data.criteria,
        data.entries,
        method=rnd.method,
        gap=rnd.gap,
        extra_rule=rnd.extra_rule,
    )
    tie_break = [t for t in rnd.tie_break if t == "panel" or t.startswith("criterion:")]
    ranking = aggregate.rank(
        agg,
        data.entries,
        tie_break=[t if t == "panel" else f"criterion:{t.split(':', 1)[1]}" for t in tie_break],
    )
    table = prize_table(contest)
    boundaries = {c.name: prizes.prize_boundaries(table, c.name) for c in contest.categories}
    stability = (
        aggregate.rank_stability(
            agg, ranking, boundaries=boundaries, resamples=resamples, seed=rnd.seed
        )
        if len(data.readings)
        else pd.DataFrame()
    )
    notices = [n.message(lang) for n in agg.notices] + [n.message(lang) for n in ranking.notices]
    return Results(data, agg, ranking, stability, table, notices=notices)


def allocation_for(session: Session, results: Results, *, contest: Contest) -> prizes.Allocation:
    scheme = "national_2024" if contest.prize_scheme == "national" else "local"
    rules = prizes.SPECIAL_PRESETS[scheme]
    if "birth_date" in results.data.entries.columns:
        rules = prizes.SpecialRules(
            reference_date=contest.closes_at.date(),
            young_age_limit=rules.young_age_limit,
            young_count=rules.young_count,
            oldest_youngest=rules.oldest_youngest,
            unit_min_prize=rules.unit_min_prize,
        )
    else:
        rules = prizes.SpecialRules(oldest_youngest=False)
    return prizes.allocate_prizes(results.ranking, results.table, reserve=5, special=rules)


def allocate(session: Session, *, contest: Contest, rnd: Round, actor: User) -> prizes.Allocation:
    """Compute the allocation from the scores and store it as Award rows (replacing an earlier
    allocation that has not been finalised)."""
    if contest.state == ContestState.finalised:
        raise _problem(
            "finalised",
            "Kết quả đã tổng kết: không phân giải lại được.",
            "Results are finalised: prizes cannot be allocated again.",
        )
    results = compute(
        session, contest=contest, rnd=rnd, with_identity=True, actor=actor, resamples=50
    )
    allocation = allocation_for(session, results, contest=contest)
    session.execute(delete(Award).where(Award.contest_id == contest.id))
    n = 0
    for row in allocation.awards.itertuples():
        if row.prize:
            session.add(
                Award(
                    contest_id=contest.id,
                    entry_id=int(row.entry_id),
                    prize=str(row.prize),
                    note=str(row.note or ""),
                )
            )
            n += 1
        elif row.status == "reserve" and pd.notna(row.reserve):
            # The reserve list: next in line if a winner is disqualified; not a prize.
            session.add(
                Award(
                    contest_id=contest.id,
                    entry_id=int(row.entry_id),
                    prize="reserve",
                    note=str(int(row.reserve)),
                )
            )
    for row in allocation.special.itertuples():
        if pd.notna(row.entry_id):
            session.add(
                Award(
                    contest_id=contest.id,
                    entry_id=int(row.entry_id),
                    prize=str(row.prize),
                    special=True,
                    note=str(getattr(row, "detail", "") or ""),
                )
            )
    session.flush()
    record(
        session,
        actor=actor,
        action="prizes.allocate",
        contest=contest,
        after={
            "round": rnd.position,
            "prizes": n,
            "by_prize": dict(Counter(str(p) for p in allocation.awards["prize"].dropna())),
        },
    )
    return allocation


def adjust_prize(
    session: Session,
    *,
    contest: Contest,
    entry_id: int,
    prize: str | None,
    reason: str,
    actor: User,
) -> None:
    """The committee changes one entry's category prize, with a written reason."""
    if not (reason or "").strip():
        raise _problem(
            "reason_missing", "Hãy ghi lý do điều chỉnh giải.", "Write the reason for the change."
        )
    if contest.state == ContestState.finalised:
        raise _problem(
            "finalised",
            "Kết quả đã tổng kết: không điều chỉnh giải được.",
            "Results are finalised: prizes cannot change.",
        )
    codes = {p.code for p in PRIZE_SCHEMES[contest.prize_scheme]}
    if prize and prize not in codes:
        raise _problem("unknown_prize", "Không có giải “{p}”.", "There is no prize “{p}”.", p=prize)
    entry = session.get(Entry, entry_id)
    if entry is None or entry.contest_id != contest.id:
        raise _problem("unknown_entry", "Không có tác phẩm này.", "There is no such entry.")
    if prize and entry.status != EntryStatus.submitted:
        raise _problem(
            "not_eligible",
            "Tác phẩm bị loại hoặc đã rút: không trao giải được.",
            "A disqualified or withdrawn entry cannot get a prize.",
        )
    current = session.scalar(
        select(Award).where(
            Award.contest_id == contest.id, Award.entry_id == entry_id, Award.special.is_(False)
        )
    )
    before = {"prize": current.prize if current else None}
    if current is not None:
        session.delete(current)
        session.flush()
    if prize:
        session.add(
            Award(
                contest_id=contest.id,
                entry_id=entry_id,
                prize=prize,
                adjusted_reason=reason.strip(),
            )
        )
    session.flush()
    record(
        session,
        actor=actor,
        action="prize.adjust",
        contest=contest,
        obj=entry,
        before=before,
        after={"prize": prize},
        note=reason.strip(),
    )


def awards_by_entry(session: Session, contest: Contest) -> dict[int, list[Award]]:
    out: dict[int, list[Award]] = {}
    for a in session.scalars(
        select(Award).where(Award.contest_id == contest.id).order_by(Award.id)
    ):
        out.setdefault(a.entry_id, []).append(a)
    return out


def finalise(session: Session, *, contest: Contest, actor: User) -> None:
    """Lock scores and prizes. Refused, with the list, while an entry has no score, waits for
    an extra reading, or prizes have not been allocated."""
    if contest.state != ContestState.judging:
        raise _problem(
            "not_judging",
            "Chỉ tổng kết được khi cuộc thi đang ở giai đoạn chấm.",
            "Only a contest in judging can be finalised.",
        )
    rnd = scored_round(session, contest)
    if rnd is None:
        raise _problem("no_round", "Chưa có vòng chấm nào.", "There is no round yet.")
    data = round_data(session, rnd)
    if data.unscored:
        raise _problem(
            "unscored",
            "Còn {n} tác phẩm chưa có điểm: {codes}.",
            "{n} entries have no score yet: {codes}.",
            n=len(data.unscored),
            codes=", ".join(data.unscored[:30]) + (" …" if len(data.unscored) > 30 else ""),
        )
    drafts = session.scalar(
        select(Score.id)
        .join(Assignment)
        .where(
            Assignment.round_id == rnd.id,
            Assignment.active.is_(True),
            Score.status == ScoreStatus.draft,
        )
        .limit(1)
    )
    if drafts is not None:
        raise _problem(
            "drafts",
            "Còn điểm đang ở dạng nháp trong vòng cuối: hãy để giám khảo nộp hoặc mở lại.",
            "Some scores in the last round are still drafts: have them submitted first.",
        )
    results = compute(session, contest=contest, rnd=rnd, resamples=10)
    pending = results.aggregation.scores.loc[
        results.aggregation.scores["pending_extra"], "code"
    ].tolist()
    if pending:
        raise _problem(
            "pending_extra",
            "Còn tác phẩm chênh lệch điểm chờ chấm thêm: {codes}.",
            "Entries with disagreeing readings still wait for an extra reading: {codes}.",
            codes=", ".join(map(str, pending[:30])),
        )
    if session.scalar(select(Award.id).where(Award.contest_id == contest.id).limit(1)) is None:
        raise _problem(
            "no_prizes",
            "Hãy phân giải trước khi tổng kết.",
            "Allocate the prizes before finalising.",
        )
    transition_contest(session, actor=actor, contest=contest, target="finalised")
    record(
        session,
        actor=actor,
        action="results.finalise",
        contest=contest,
        after={"round": rnd.position},
    )


def reveal(session: Session, *, contest: Contest, actor: User) -> None:
    """The one audited action that opens the identities, only after finalising."""
    if contest.state != ContestState.finalised:
        raise _problem(
            "not_finalised",
            "Chỉ công bố danh tính sau khi đã tổng kết kết quả.",
            "Identities can be revealed only after the results are finalised.",
        )
    if contest.revealed_at is not None:
        return
    contest.revealed_at = datetime.now(UTC)
    session.flush()
    record(
        session,
        actor=actor,
        action="identity.reveal",
        contest=contest,
        after={"revealed_at": contest.revealed_at.isoformat()},
    )


# --------------------------------------------------------------------------- advancing


def advance_preview(session: Session, *, rnd: Round) -> list[dict[str, Any]]:
    """The entries the round's rule moves forward, per category (ties at the cut all go)."""
    rule = rnd.advance_rule or {}
    if not rule:
        return []
    results = compute(session, contest=rnd.contest, rnd=rnd, resamples=10)
    table = results.ranking.table
    table = table[table["status"] == "ranked"]
    out = []
    for category, group in table.groupby("category", sort=False):
        g = group.sort_values("rank")
        if rule["kind"] == "threshold":
            chosen = g[g["score"] >= float(rule["value"])]
        else:
            n = (
                int(rule["value"])
                if rule["kind"] == "top_n"
                else max(1, round(len(g) * float(rule["value"]) / 100))
            )
            cut = g["rank"].iloc[min(n, len(g)) - 1] if len(g) else 0
            chosen = g[g["rank"] <= cut]
        out += [
            {
                "entry_id": int(r.entry_id),
                "code": r.code,
                "category": category,
                "score": float(r.score),
                "rank": int(r.rank),
            }
            for r in chosen.itertuples()
        ]
    return out


def advance(session: Session, *, rnd: Round, actor: User) -> int:
    nxt = get_round(session, rnd.contest, rnd.position + 1)
    if nxt is None:
        raise _problem("no_next_round", "Không có vòng sau.", "There is no next round.")
    chosen = advance_preview(session, rnd=rnd)
    have = set(session.scalars(select(RoundEntry.entry_id).where(RoundEntry.round_id == nxt.id)))
    added = [c for c in chosen if c["entry_id"] not in have]
    for c in added:
        session.add(RoundEntry(round_id=nxt.id, entry_id=c["entry_id"]))
    session.flush()
    record(
        session,
        actor=actor,
        action="round.advance",
        contest=rnd.contest,
        obj=rnd,
        after={
            "to_round": nxt.position,
            "entries": len(added),
            "codes": [c["code"] for c in added],
        },
    )
    return len(added)


# --------------------------------------------------------------------------- report


def build_report(
    session: Session, *, contest: Contest, rnd: Round, lang: str = "vi", actor: User | None = None
) -> exporter.ResultsReport:
    """The report's tables, from one snapshot; identities only after the reveal (audited)."""
    snapshot(session)
    revealed = contest.revealed_at is not None
    results = compute(session, contest=contest, rnd=rnd, lang=lang, resamples=50)
    data = results.data
    awards = awards_by_entry(session, contest)
    scores = results.aggregation.scores.set_index("entry_id")
    stab = results.stability.set_index("entry_id") if len(results.stability) else None
    ranking = results.ranking.table.copy()
    ranking["mean"] = ranking["entry_id"].map(scores["mean"])
    ranking["calibrated"] = ranking["entry_id"].map(scores["calibrated"])
    ranking["final"] = ranking["score"]
    ranking["prize"] = ranking["entry_id"].map(
        lambda e: next((a.prize for a in awards.get(e, []) if not a.special), None)
    )
    ranking["prize_note"] = ranking["entry_id"].map(
        lambda e: "; ".join(filter(None, [a.adjusted_reason or a.note for a in awards.get(e, [])]))
    )
    ranking["too_close"] = ranking["entry_id"].map(
        lambda e: (
            bool(stab.loc[e, "too_close_to_call"])
            if stab is not None and e in stab.index
            else False
        )
    )
    ranking["rank"] = ranking["rank"].astype("Float64")
    ranking = ranking.sort_values(["category", "rank"], na_position="last", kind="stable")
    if revealed:
        vault = session.info["vault"]
        ents = {
            e.id: e
            for e in session.scalars(
                select(Entry).where(Entry.id.in_([int(x) for x in ranking["entry_id"]]))
            )
        }
        names, pens, units = [], [], []
        for eid in ranking["entry_id"]:
            e = ents[int(eid)]
            authors = entry_services.author_identities(vault, e)
            names.append(", ".join(a.get("full_name", "") for a in authors))
            units.append(authors[0].get("unit", "") if authors else "")
            pens.append(entry_services.entry_details(vault, e).get("pen_name", ""))
        ranking["authors"], ranking["pen_name"], ranking["unit"] = names, pens, units
        record(
            session,
            actor=actor,
            action="identity.read",
            contest=contest,
            after={"purpose": "export", "entries": len(ranking)},
        )
    crit_names = {c.id: c.name for c in rnd.criteria}
    totals = (
        aggregate.weighted_totals(data.readings, data.criteria)
        if len(data.readings)
        else pd.DataFrame(columns=["entry_id", "judge_id", "total"])
    )
    total_of = {(r.entry_id, r.judge_id): r.total for r in totals.itertuples()}
    code_of = (
        dict(zip(data.entries["entry_id"], data.entries["code"], strict=True))
        if len(data.entries)
        else {}
    )
    cat_of = (
        dict(zip(data.entries["entry_id"], data.entries["category"], strict=True))
        if len(data.entries)
        else {}
    )
    readings = pd.DataFrame(
        [
            {
                "code": code_of[r.entry_id],
                "category": cat_of[r.entry_id],
                "judge": data.judges.get(r.judge_id, f"GK-{r.judge_id}"),
                "criterion": crit_names.get(r.criterion_id, str(r.criterion_id)),
                "points": r.points,
                "total": round(total_of.get((r.entry_id, r.judge_id), float("nan")), 2),
            }
            for r in data.readings.itertuples()
        ],
        columns=["code", "category", "judge", "criterion", "points", "total"],
    )
    sc = results.aggregation.scores
    dis = sc[sc["disagreement"]]
    disagreements = pd.DataFrame(
        [
            {
                "code": r.code,
                "category": r.category,
                "gap": float(r.spread),
                "status": "pending" if r.pending_extra else "resolved",
            }
            for r in dis.itertuples()
        ],
        columns=["code", "category", "gap", "status"],
    )
    reports = session.execute(
        select(SimilarityReport, Entry)
        .join(Entry, Entry.id == SimilarityReport.entry_id)
        .where(SimilarityReport.contest_id == contest.id)
    ).all()
    copying = pd.DataFrame(
        [
            {
                "code": e.secret_code or e.receipt_no,
                "category": e.category.name,
                "overlap": rep.overlap,
                "decision": rep.decision or ("flagged" if rep.flagged else "ok"),
                "note": rep.decision_note,
            }
            for rep, e in reports
            if rep.flagged or rep.decision
        ],
        columns=["code", "category", "overlap", "decision", "note"],
    )
    by_category = (
        data.entries.groupby("category").size().rename("entries").reset_index()
        if len(data.entries)
        else pd.DataFrame()
    )
    prize_counts = Counter(a.prize for lst in awards.values() for a in lst)
    stats = {
        "by_category": by_category,
        "prizes": pd.DataFrame(
            [{"prize": p, "count": n} for p, n in sorted(prize_counts.items())],
            columns=["prize", "count"],
        ),
        "judges": results.aggregation.judge_stats.reset_index()
        .rename(columns={"judge_id": "judge"})
        .assign(judge=lambda d: d["judge"].map(lambda j: data.judges.get(j, j)))
        if len(results.aggregation.judge_stats)
        else pd.DataFrame(),
        "agreement": pd.DataFrame(
            [
                {"measure": "ICC(1)", "value": results.aggregation.agreement.icc1},
                {"measure": "Krippendorff alpha", "value": results.aggregation.agreement.alpha},
            ],
        ),
    }
    en = lang.startswith("en")
    settings = [
        (("Cuộc thi", "Contest"), contest.title),
        (("Vòng", "Round"), rnd.name),
        (("Cách tính điểm", "Scoring method"), rnd.method),
        (("Độ lệch phải chấm thêm", "Disagreement gap"), rnd.gap),
        (("Cách tính lượt chấm thêm", "Extra reading rule"), rnd.extra_rule),
        (("Thứ tự phân định đồng điểm", "Tie-break order"), ", ".join(rnd.tie_break) or "—"),
        (
            ("Hiệu chỉnh: số lượt tối thiểu, hệ số co", "Calibration: minimum readings, shrinkage"),
            "5, 5.0",
        ),
        (
            ("Đã tổng kết", "Finalised"),
            ("có" if not en else "yes")
            if contest.state == ContestState.finalised
            else ("chưa" if not en else "no"),
        ),
        (
            ("Đã công bố danh tính", "Identities revealed"),
            ("có" if not en else "yes") if revealed else ("chưa" if not en else "no"),
        ),
    ]
    labels = {p.code: (p.label, p.label_en) for p in PRIZE_SCHEMES[contest.prize_scheme]}
    labels.update(
        {k: (v["vi"], v["en"]) for k, v in prizes.PRIZE_LABELS.items() if k not in labels}
    )
    return exporter.ResultsReport(
        contest_title=contest.title,
        round_name=rnd.name,
        revealed=revealed,
        finalised=contest.state == ContestState.finalised,
        ranking=ranking,
        readings=readings,
        disagreements=disagreements,
        copying=copying,
        statistics=stats,
        settings=settings,
        criteria=[c.name for c in rnd.criteria],
        prize_labels=labels,
        exported_at=datetime.now(UTC).replace(tzinfo=None),
    )
