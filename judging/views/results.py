"""Results for the secretariat and the committee: rankings, disagreements, prizes, finalise,
reveal, advance, statistics, the printable list and the report downloads."""

from __future__ import annotations

import math

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from contest.forms import ActionForm
from contest.problems import ProblemError
from contest.views import contest_for, locale, me, require, show_problems
from contest.web import db
from judging import export as exporter
from judging import permissions, results
from judging import services as js
from judging.prizes import prize_label

bp = Blueprint("results", __name__, url_prefix="/manage/<slug>/results")


@bp.before_request
@login_required
def _signed_in():
    """Every page here needs a signed-in user."""


def _contest(slug: str):
    return contest_for(slug, permissions.can_view_results)


def _round(contest):
    position = request.values.get("round", type=int)
    rnd = js.get_round(db(), contest, position) if position else results.scored_round(db(), contest)
    if rnd is None:
        abort(404, _("There is no round yet: create the rounds first."))
    return rnd


def _checked() -> None:
    if not ActionForm().validate_on_submit():
        abort(400)


def _award_label(award) -> str:
    if award.prize == "reserve":
        return _("Reserve %(n)s", n=award.note)
    return prize_label(award.prize, locale())


def _num(v):
    return None if v is None or (isinstance(v, float) and math.isnan(v)) else v


@bp.get("/")
def overview(slug: str):
    contest = _contest(slug)
    rnd = _round(contest)
    results.snapshot(db())
    res = results.compute(db(), contest=contest, rnd=rnd, lang=locale())
    awards = results.awards_by_entry(db(), contest)
    waiting = js.waiting_extra(db(), rnd=rnd)
    scores = res.aggregation.scores.set_index("entry_id")
    stab = res.stability.set_index("entry_id") if len(res.stability) else None
    categories: dict[str, list[dict]] = {}
    for r in res.ranking.table.sort_values(
        ["rank"], na_position="last", kind="stable"
    ).itertuples():
        s = scores.loc[r.entry_id] if r.entry_id in scores.index else None
        categories.setdefault(r.category, []).append(
            {
                "entry_id": int(r.entry_id),
                "code": r.code,
                "rank": None
                if r.rank is None
                or (isinstance(r.rank, float) and math.isnan(r.rank))
                or str(r.rank) == "<NA>"
                else int(r.rank),
                "tied": bool(r.tied) if str(r.tied) != "<NA>" else False,
                "status": r.status,
                "n": int(r.n_readings),
                "mean": _num(s["mean"]) if s is not None else None,
                "trimmed": _num(s["trimmed"]) if s is not None else None,
                "calibrated": _num(s["calibrated"]) if s is not None else None,
                "final": _num(r.score),
                "disagreement": bool(s["disagreement"]) if s is not None else False,
                "pending": bool(r.pending_extra) and int(r.entry_id) not in waiting,
                "waiting": int(r.entry_id) in waiting,
                "too_close": bool(stab.loc[r.entry_id, "too_close_to_call"])
                if stab is not None and r.entry_id in stab.index
                else False,
                "rank_range": (
                    int(stab.loc[r.entry_id, "rank_low"]),
                    int(stab.loc[r.entry_id, "rank_high"]),
                )
                if stab is not None
                and r.entry_id in stab.index
                and not math.isnan(stab.loc[r.entry_id, "rank_low"])
                else None,
                "prizes": [_award_label(a) for a in awards.get(int(r.entry_id), [])],
                "reason": r.disqualification_reason if r.status == "disqualified" else "",
            }
        )
    codes = [
        (p.code, prize_label(p.code, locale())) for p in results.PRIZE_SCHEMES[contest.prize_scheme]
    ]
    return render_template(
        "results/overview.html",
        contest=contest,
        rnd=rnd,
        rounds=js.rounds_of(db(), contest),
        categories=categories,
        notices=res.notices,
        unscored=res.data.unscored,
        codes=codes,
        form=ActionForm(),
        can_finalise=permissions.can_finalise(current_user, contest),
        can_reveal=permissions.can_reveal(current_user, contest),
        has_awards=bool(awards),
    )


def _act(slug: str, fn, ok_message: str):
    contest = _contest(slug)
    _checked()
    try:
        fn(contest)
    except ProblemError as e:
        show_problems(None, e)
        return redirect(
            url_for("results.overview", slug=slug, round=request.values.get("round"))
        ), 303
    flash(ok_message, "success")
    return redirect(url_for("results.overview", slug=slug, round=request.values.get("round")))


@bp.post("/extra/<int:entry_id>")
def extra_reading(slug: str, entry_id: int):
    def fn(contest):
        js.add_extra_reading(db(), rnd=_round(contest), entry_id=entry_id, actor=me())

    return _act(slug, fn, _("An extra reading is assigned."))


@bp.post("/allocate")
def allocate(slug: str):
    return _act(
        slug,
        lambda c: results.allocate(db(), contest=c, rnd=_round(c), actor=me()),
        _("Prizes are allocated from the scores."),
    )


@bp.post("/adjust")
def adjust(slug: str):
    def fn(contest):
        results.adjust_prize(
            db(),
            contest=contest,
            entry_id=request.form.get("entry_id", type=int) or 0,
            prize=request.form.get("prize") or None,
            reason=request.form.get("reason", ""),
            actor=me(),
        )

    return _act(slug, fn, _("The prize is changed; the reason is in the audit log."))


@bp.post("/finalise")
def finalise(slug: str):
    contest = _contest(slug)
    require(permissions.can_finalise(current_user, contest))
    return _act(
        slug,
        lambda c: results.finalise(db(), contest=c, actor=me()),
        _("Results are finalised: scores and prizes are locked."),
    )


@bp.post("/reveal")
def reveal(slug: str):
    contest = _contest(slug)
    require(permissions.can_reveal(current_user, contest))
    return _act(
        slug, lambda c: results.reveal(db(), contest=c, actor=me()), _("Identities are revealed.")
    )


@bp.route("/advance", methods=["GET", "POST"])
def advance(slug: str):
    contest = _contest(slug)
    rnd = _round(contest)
    if request.method == "POST":
        _checked()
        try:
            n = results.advance(db(), rnd=rnd, actor=me())
        except ProblemError as e:
            show_problems(None, e)
            return redirect(url_for("results.advance", slug=slug, round=rnd.position)), 303
        flash(_("%(n)s entries move to the next round.", n=n), "success")
        return redirect(url_for("results.overview", slug=slug, round=rnd.position))
    chosen = results.advance_preview(db(), rnd=rnd)
    return render_template(
        "results/advance.html", contest=contest, rnd=rnd, chosen=chosen, form=ActionForm()
    )


@bp.get("/statistics")
def statistics(slug: str):
    contest = _contest(slug)
    rnd = _round(contest)
    res = results.compute(db(), contest=contest, rnd=rnd, lang=locale(), resamples=10)
    agg = res.aggregation
    judges = []
    for jid, row in agg.judge_stats.iterrows():
        judges.append(
            {
                "name": res.data.judges.get(jid, jid),
                "n": int(row["n_readings"]),
                "mean": _num(row["mean"]),
                "sd": _num(row["sd"]),
                "bias": _num(row["bias"]),
            }
        )
    hist = agg.histograms

    def bars(counts):
        top = max(counts) if counts and max(counts) else 1
        return [{"h": round(60 * c / top, 1), "n": c} for c in counts]

    return render_template(
        "results/statistics.html",
        contest=contest,
        rnd=rnd,
        judges=judges,
        agreement=agg.agreement,
        hint=agg.agreement.hint(locale()) if agg.agreement.level else "",
        edges=hist.edges,
        by_judge={res.data.judges.get(k, k): bars(v) for k, v in hist.by_judge.items()},
        by_category={k: bars(v) for k, v in hist.by_category.items()},
    )


@bp.get("/print")
def printable(slug: str):
    """The official announcement list: prize winners per category (names only after reveal)."""
    contest = _contest(slug)
    rnd = _round(contest)
    report = results.build_report(db(), contest=contest, rnd=rnd, lang=locale(), actor=me())
    rows = report.ranking[report.ranking["prize"].notna()]
    groups: dict[str, list[dict]] = {}
    for r in rows.itertuples():
        groups.setdefault(r.category, []).append(
            {
                "prize": prize_label(r.prize, locale()),
                "code": r.code,
                "title": r.title,
                "score": _num(r.final),
                "authors": getattr(r, "authors", ""),
                "unit": getattr(r, "unit", ""),
                "pen_name": getattr(r, "pen_name", ""),
            }
        )
    return render_template(
        "results/print.html", contest=contest, rnd=rnd, groups=groups, revealed=report.revealed
    )


@bp.get("/report.xlsx")
def export_xlsx(slug: str):
    contest = _contest(slug)
    rnd = _round(contest)
    lang = request.args.get("lang") or locale()
    data = exporter.results_workbook(
        results.build_report(db(), contest=contest, rnd=rnd, lang=lang, actor=me()), lang=lang
    )
    return Response(
        data,
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="ket-qua-{contest.slug}.xlsx"'},
    )


@bp.get("/report-csv.zip")
def export_csv(slug: str):
    contest = _contest(slug)
    rnd = _round(contest)
    lang = request.args.get("lang") or locale()
    data = exporter.results_csv_zip(
        results.build_report(db(), contest=contest, rnd=rnd, lang=lang, actor=me()), lang=lang
    )
    return Response(
        data,
        mimetype="application/zip",
        headers={"Content-Disposition": f'attachment; filename="ket-qua-{contest.slug}-csv.zip"'},
    )
