"""The secretariat's back office for one contest: entries, identity, bulk import, rọc phách."""

from __future__ import annotations

import hashlib
from pathlib import Path

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select

from contest import batch, intake, permissions
from contest import entries as entry_services
from contest.forms import ActionForm
from contest.models import Contest, Entry, EntryStatus
from contest.problems import ProblemError
from contest.views import (
    contest_entry,
    contest_for,
    identity_vault,
    locale,
    me,
    show_problems,
    upload_store,
)
from contest.web import db

bp = Blueprint("secretariat", __name__, url_prefix="/manage/<slug>")
PAGE = 50


@bp.before_request
@login_required
def _signed_in():
    """Every page here needs a signed-in user; each view checks the contest's back office."""


def _contest(slug: str) -> Contest:
    return contest_for(slug, permissions.can_manage_entries)


@bp.get("/")
def overview(slug: str):
    contest = _contest(slug)
    counts = entry_services.count_entries(db(), contest)
    waiting = db().scalar(
        select(func.count())
        .select_from(Entry)
        .where(
            Entry.contest_id == contest.id,
            Entry.status == EntryStatus.submitted,
            Entry.secret_code.is_(None),
        )
    )
    to_review = db().scalar(
        select(func.count())
        .select_from(Entry)
        .where(
            Entry.contest_id == contest.id,
            Entry.secret_code.is_not(None),
            Entry.redactions_reviewed.is_(False),
            Entry.status == EntryStatus.submitted,
        )
    )
    return render_template(
        "secretariat/overview.html",
        contest=contest,
        counts=counts,
        waiting=waiting,
        to_review=to_review,
        form=ActionForm(),
    )


@bp.get("/entries")
def entry_list(slug: str):
    contest = _contest(slug)
    status = request.args.get("status") or None
    flagged = request.args.get("flagged") == "1"
    try:
        page = max(1, int(request.args.get("page", 1)))
    except ValueError:
        page = 1
    q = select(Entry).where(Entry.contest_id == contest.id).order_by(Entry.id)
    if status in {s.value for s in EntryStatus}:
        q = q.where(Entry.status == EntryStatus(status))
    rows = list(db().scalars(q.offset((page - 1) * PAGE).limit(PAGE + 1)))
    if flagged:
        rows = [e for e in rows if e.author_signals]
    return render_template(
        "secretariat/entries.html",
        contest=contest,
        entries=rows[:PAGE],
        page=page,
        has_next=len(rows) > PAGE,
        status=status,
        flagged=flagged,
    )


@bp.get("/entries/<int:entry_id>")
def entry_detail(slug: str, entry_id: int):
    contest = _contest(slug)
    entry = contest_entry(contest, entry_id)
    identity = None
    if request.args.get("identity") == "1" and permissions.can_read_identity(current_user, contest):
        identity = entry_services.read_identity(
            db(), vault=identity_vault(), entry=entry, actor=me(), purpose="secretariat.view"
        )
    signals = [_signal_text(s) for s in entry.author_signals]
    return render_template(
        "secretariat/entry.html",
        contest=contest,
        entry=entry,
        identity=identity,
        signals=signals,
        form=ActionForm(),
    )


def _signal_text(s: dict) -> str:
    from contest.anonymise import Signal

    sig = Signal(
        s["code"],
        s["start"],
        s["end"],
        s.get("severity", "high"),
        s.get("where", "text"),
        s.get("params", {}),
    )
    return sig.message(locale())


def _segments(entry: Entry) -> list[tuple[str, object]]:
    """The text cut into plain pieces and hidden spans, for the side-by-side review."""
    spans = sorted((r for r in entry.redactions if not r.removed), key=lambda r: r.start)
    out: list[tuple[str, object]] = []
    pos = 0
    for r in spans:
        if r.start < pos:
            continue  # overlapping spans: the earlier one already covers this text
        out.append((entry.text[pos : r.start], None))
        out.append((entry.text[r.start : r.end], r))
        pos = r.end
    out.append((entry.text[pos:], None))
    return out


@bp.route("/entries/<int:entry_id>/redactions", methods=["GET", "POST"])
def redactions(slug: str, entry_id: int):
    contest = _contest(slug)
    entry = contest_entry(contest, entry_id)
    form = ActionForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        action = request.form.get("action")
        try:
            if action == "add":
                n = entry_services.add_redaction_phrase(
                    db(),
                    entry=entry,
                    phrase=request.form.get("phrase", ""),
                    kind=request.form.get("kind", "other"),
                    actor=me(),
                )
                flash(_("%(n)s occurrences hidden.", n=n), "success")
            elif action == "remove":
                entry_services.remove_redaction(
                    db(),
                    entry=entry,
                    redaction_id=int(request.form.get("redaction_id", 0)),
                    actor=me(),
                )
                flash(_("The span is shown again."), "success")
            elif action == "reviewed":
                entry_services.mark_reviewed(db(), entry=entry, actor=me())
                flash(_("Marked as reviewed."), "success")
            elif action == "recompute":
                entry_services.find_redactions(db(), vault=identity_vault(), entry=entry)
                flash(_("The automatic redactions were found again."), "success")
            else:
                abort(400)
        except ProblemError as e:
            show_problems(None, e)
            return redirect(url_for("secretariat.redactions", slug=slug, entry_id=entry_id)), 303
        return redirect(url_for("secretariat.redactions", slug=slug, entry_id=entry_id))
    if entry.redacted_text is None:
        flash(
            _(
                "Release the entries first: redactions are found when entries get their secret code."
            ),
            "info",
        )
    return render_template(
        "secretariat/redactions.html",
        contest=contest,
        entry=entry,
        segments=_segments(entry) if entry.redacted_text is not None else [],
        removed=[r for r in entry.redactions if r.removed],
        signals=[_signal_text(s) for s in entry.author_signals],
        form=form,
        kinds=("name", "pen_name", "unit", "phone", "email", "id_number", "address", "other"),
    )


@bp.post("/release")
def release(slug: str):
    contest = _contest(slug)
    if not ActionForm().validate_on_submit():
        abort(400)
    n = entry_services.release_entries(db(), vault=identity_vault(), contest=contest, actor=me())
    flash(_("%(n)s entries received their secret code and their redactions.", n=n), "success")
    return redirect(url_for("secretariat.overview", slug=slug))


@bp.post("/entries/<int:entry_id>/disqualify")
def disqualify(slug: str, entry_id: int):
    contest = _contest(slug)
    entry = contest_entry(contest, entry_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    reason = (request.form.get("reason") or "").strip()
    try:
        entry_services.disqualify_entry(db(), entry=entry, reason=reason, actor=me())
    except ProblemError as e:
        show_problems(None, e)
        return redirect(url_for("secretariat.entry_detail", slug=slug, entry_id=entry_id)), 303
    flash(_("The entry is disqualified."), "success")
    return redirect(url_for("secretariat.entry_detail", slug=slug, entry_id=entry_id))


# --------------------------------------------------------------------------- import


def _batch_dir() -> Path:
    d = Path(current_app.config["UPLOAD_DIR"]) / "batches"
    d.mkdir(parents=True, exist_ok=True)
    return d


@bp.get("/import/template.xlsx")
def import_template(slug: str):
    contest = _contest(slug)
    data = batch.template_xlsx(categories=[c.name for c in contest.categories], lang=locale())
    return Response(
        data,
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={
            "Content-Disposition": f'attachment; filename="mau-danh-sach-{contest.slug}.xlsx"'
        },
    )


@bp.route("/import", methods=["GET", "POST"])
def import_batch(slug: str):
    contest = _contest(slug)
    form = ActionForm()
    if request.method == "GET":
        return render_template(
            "secretariat/import.html", contest=contest, form=form, plan=None, rows=[]
        )
    if not form.validate_on_submit():
        abort(400)
    zip_file = request.files.get("batch")
    manifest = request.files.get("manifest")
    if zip_file is None or not zip_file.filename:
        flash(_("Choose the .zip file of the batch."), "error")
        return render_template(
            "secretariat/import.html", contest=contest, form=form, plan=None, rows=[]
        ), 400
    zip_bytes = zip_file.read()
    manifest_bytes = manifest.read() if manifest is not None and manifest.filename else None
    plan = intake.plan_import(
        db(),
        contest=contest,
        zip_bytes=zip_bytes,
        manifest_bytes=manifest_bytes,
        manifest_name=manifest.filename if manifest_bytes else None,
    )
    # Keep the uploaded batch until it is imported, so "import" does not ask for it again.
    key = hashlib.sha256(zip_bytes + (manifest_bytes or b"")).hexdigest()
    (_batch_dir() / f"{key}.zip").write_bytes(zip_bytes)
    if manifest_bytes:
        (_batch_dir() / f"{key}.xlsx").write_bytes(manifest_bytes)
    return render_template(
        "secretariat/import.html",
        contest=contest,
        form=form,
        plan=plan,
        rows=batch.plan_report_rows(plan, locale()),
        batch_problems=[p.message(locale()) for p in plan.problems],
        key=key,
        summary=plan.summary(),
    ), (200 if plan.ok else 422)


@bp.post("/import/confirm")
def import_confirm(slug: str):
    contest = _contest(slug)
    if not ActionForm().validate_on_submit():
        abort(400)
    key = request.form.get("key", "")
    if len(key) != 64 or not all(c in "0123456789abcdef" for c in key):
        abort(400)
    zip_path = _batch_dir() / f"{key}.zip"
    if not zip_path.exists():
        flash(_("The uploaded batch is no longer here; upload it again."), "error")
        return redirect(url_for("secretariat.import_batch", slug=slug)), 303
    manifest_path = _batch_dir() / f"{key}.xlsx"
    manifest_bytes = manifest_path.read_bytes() if manifest_path.exists() else None
    plan = intake.plan_import(
        db(),
        contest=contest,
        zip_bytes=zip_path.read_bytes(),
        manifest_bytes=manifest_bytes,
        manifest_name="manifest.xlsx" if manifest_bytes else None,
        extract_text=False,
    )
    try:
        row = intake.import_plan(
            db(),
            vault=identity_vault(),
            store=upload_store(),
            contest=contest,
            plan=plan,
            zip_bytes=zip_path.read_bytes(),
            actor=me(),
        )
    except ProblemError as e:
        show_problems(None, e)
        return redirect(url_for("secretariat.import_batch", slug=slug)), 303
    db().commit()
    zip_path.unlink(missing_ok=True)
    manifest_path.unlink(missing_ok=True)
    # The new entries are screened against the whole contest by a background scan.
    from contest import jobs, screening

    job, created = screening.start_scan(db(), contest=contest, actor=me())
    db().commit()
    if created:
        jobs.dispatch(current_app._get_current_object(), job.id)
    flash(_("%(n)s entries imported.", n=row.entries_created), "success")
    return redirect(url_for("secretariat.entry_list", slug=slug))
