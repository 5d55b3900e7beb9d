"""The secretariat's similarity screening: reference texts, full scans with a progress bar,
the review list by severity and the side-by-side view with decisions."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import login_required

from contest import jobs, permissions, screening
from contest.extract import ExtractionError, extract
from contest.forms import ActionForm
from contest.models import Contest, Entry, Job, ReferenceText
from contest.problems import ProblemError
from contest.views import (
    contest_entry,
    contest_for,
    locale,
    me,
    show_problems,
)
from contest.vntext import nfc
from contest.web import db

bp = Blueprint("screening", __name__, url_prefix="/manage/<slug>/similarity")


@bp.before_request
@login_required
def _signed_in():
    """Every page here needs a signed-in user; each view checks the contest's back office."""


def _contest(slug: str) -> Contest:
    return contest_for(slug, permissions.can_manage_entries)


def _app():
    return current_app._get_current_object()


def job_message(job: Job | None) -> str:
    """The sentence shown for a job's state (the row stores a code, not text)."""
    if job is None:
        return _("No scan has been run yet.")
    if job.state == "queued":
        if job.message == "resumed":
            return _("The scan was interrupted and has been queued again; it starts over.")
        return _("The scan is waiting to start.")
    if job.state == "running":
        return _(
            "The scan is running: %(done)s of %(total)s steps.", done=job.done, total=job.total
        )
    if job.state == "failed":
        if job.message == "interrupted":
            return _(
                "The scan was interrupted several times and has stopped. "
                "Start it again; if it stops again, ask the technical team to check the worker."
            )
        return _(
            "The scan stopped because of an error; nothing of it was saved. "
            "Start it again; if it fails again, ask the technical team."
        )
    result = job.result or {}
    return _(
        "The last scan compared %(entries)s entries and flagged %(flagged)s.",
        entries=result.get("entries", 0),
        flagged=result.get("flagged", 0),
    )


@bp.get("/")
def index(slug: str):
    contest = _contest(slug)
    # Opening the page is when an interrupted scan is noticed (heartbeat older than 60 s).
    jobs.resume_stale(_app(), contest=contest)
    job = screening.latest_scan(db(), contest=contest)
    running = job is not None and job.state in screening.ACTIVE_JOB_STATES
    return render_template(
        "screening/index.html",
        contest=contest,
        job=job,
        running=running,
        job_text=job_message(job),
        references=screening.list_references(db(), contest=contest),
        rows=screening.review_rows(db(), contest=contest),
        form=ActionForm(),
    )


@bp.post("/scan")
def start_scan(slug: str):
    contest = _contest(slug)
    if not ActionForm().validate_on_submit():
        abort(400)
    job, created = screening.start_scan(db(), contest=contest, actor=me())
    db().commit()
    if created:
        jobs.dispatch(_app(), job.id)
        flash(_("The scan has started."), "success")
    else:
        flash(_("A scan is already running; here is its progress."), "info")
    return redirect(url_for("screening.index", slug=slug))


@bp.get("/jobs/<int:job_id>")
def job_status(slug: str, job_id: int):
    contest = _contest(slug)
    job = db().get(Job, job_id)
    if job is None or job.contest_id != contest.id:
        abort(404)
    data = screening.job_progress(job)
    data["text"] = job_message(job)
    return jsonify(data)


@bp.post("/references")
def add_reference(slug: str):
    contest = _contest(slug)
    if not ActionForm().validate_on_submit():
        abort(400)
    name = (request.form.get("name") or "").strip()
    text = request.form.get("text") or ""
    upload = request.files.get("file")
    if upload is not None and upload.filename:
        try:
            text = extract(upload.read(), upload.filename).text
        except ExtractionError as e:
            flash(_("The file could not be read: %(reason)s", reason=e.message(locale())), "error")
            return redirect(url_for("screening.index", slug=slug)), 303
        name = name or upload.filename
    try:
        ref = screening.add_reference(db(), contest=contest, name=name, text=text, actor=me())
    except ProblemError as e:
        show_problems(None, e)
        return redirect(url_for("screening.index", slug=slug)), 303
    flash(
        _(
            "The reference text “%(name)s” was added (%(words)s syllables). "
            "Run a scan to compare the entries with it.",
            name=ref.name,
            words=ref.words,
        ),
        "success",
    )
    return redirect(url_for("screening.index", slug=slug))


@bp.post("/references/<int:ref_id>/delete")
def delete_reference(slug: str, ref_id: int):
    contest = _contest(slug)
    if not ActionForm().validate_on_submit():
        abort(400)
    ref = db().get(ReferenceText, ref_id)
    if ref is None or ref.contest_id != contest.id:
        abort(404)
    screening.delete_reference(db(), contest=contest, reference=ref, actor=me())
    flash(_("The reference text was deleted. Run a scan to update the reports."), "success")
    return redirect(url_for("screening.index", slug=slug))


def _other_side(match):
    """(label, text, stale) of the other side of a match: an entry or a reference."""
    if match.reference_id is not None:
        ref = db().get(ReferenceText, match.reference_id)
        return (_("Reference: %(name)s", name=ref.name), ref.text, False) if ref else None
    other = db().get(Entry, match.other_entry_id)
    if other is None:
        return None
    report = screening.report_of(db(), other)
    stale = report is not None and report.entry_fingerprint != other.fingerprint
    return screening.entry_label(other), nfc(other.text or ""), stale


@bp.get("/entries/<int:entry_id>")
def review(slug: str, entry_id: int):
    contest = _contest(slug)
    entry = contest_entry(contest, entry_id)
    report = screening.report_of(db(), entry)
    matches = screening.matches_of(db(), entry)
    try:
        chosen_id = int(request.args.get("match", 0))
    except ValueError:
        chosen_id = 0
    chosen = next((m for m in matches if m.id == chosen_id), matches[0] if matches else None)
    text = nfc(entry.text or "")
    left = screening.highlight(text, [(p[0], p[1], m.kind) for m in matches for p in m.passages])
    other = _other_side(chosen) if chosen is not None else None
    right = (
        screening.highlight(other[1], [(p[2], p[3], chosen.kind) for p in chosen.passages])
        if other
        else []
    )
    rows = []
    for m in matches:
        side = _other_side(m)
        rows.append({"match": m, "label": side[0] if side else "?"})
    return render_template(
        "screening/review.html",
        contest=contest,
        entry=entry,
        label=screening.entry_label(entry),
        report=report,
        stale=report is not None and report.entry_fingerprint != entry.fingerprint,
        threshold=entry.category.overlap_threshold,
        rows=rows,
        chosen=chosen,
        left=left,
        right=right,
        other_label=other[0] if other else "",
        other_stale=other[2] if other else False,
        decisions=screening.DECISIONS,
        form=ActionForm(),
    )


@bp.post("/entries/<int:entry_id>/decision")
def decide(slug: str, entry_id: int):
    contest = _contest(slug)
    entry = contest_entry(contest, entry_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        screening.decide(
            db(),
            entry=entry,
            decision=request.form.get("decision", ""),
            note=request.form.get("note", ""),
            actor=me(),
        )
    except ProblemError as e:
        show_problems(None, e)
        return redirect(url_for("screening.review", slug=slug, entry_id=entry_id)), 303
    flash(_("The decision was recorded."), "success")
    return redirect(url_for("screening.review", slug=slug, entry_id=entry_id))
