"""Contestants: submit an entry, confirm it, get a receipt, replace the file, edit, withdraw."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from wtforms.fields.choices import SelectChoice

from contest import entries as entry_services
from contest import mailer, permissions, rules, services
from contest.entries import AuthorInput, Upload
from contest.forms import ConfirmForm, EntryDetailsForm, EntryForm, ReplaceFileForm, WithdrawForm
from contest.models import Category, Contest, Entry, EntryStatus
from contest.problems import ProblemError
from contest.views import identity_vault, locale, me, require, show_problems, upload_store
from contest.web import db

bp = Blueprint("entries", __name__)


def _contest(slug: str) -> Contest:
    contest = services.get_contest(db(), slug)
    if contest is None or not permissions.can_see_contest(current_user, contest):
        abort(404)
    return contest


def _entry(receipt: str) -> Entry:
    entry = entry_services.get_entry_by_receipt(db(), receipt)
    if entry is None:
        abort(404)
    require(permissions.can_view_entry(current_user, entry))
    return entry


def _category_choices(contest: Contest) -> list[SelectChoice]:
    out = []
    for c in contest.categories:
        kind = _("audio/video") if c.kind == "media" else _("written")
        out.append(SelectChoice(str(c.id), f"{c.name} ({kind})"))
    return out


def _authors_from(form: EntryDetailsForm) -> list[AuthorInput]:
    out = []
    for row in form.authors:
        f = row.form
        if not (f.full_name.data or "").strip() and not (f.email.data or "").strip():
            continue  # an empty co-author row
        out.append(
            AuthorInput(
                full_name=(f.full_name.data or "").strip(),
                birth_date=f.birth_date.data,
                position=f.position.data or "",
                unit=f.unit.data or "",
                address=f.address.data or "",
                phone=f.phone.data or "",
                email=f.email.data or "",
                id_number=f.id_number.data or "",
            )
        )
    return out


def _max_authors(contest: Contest) -> int:
    return 1 + max(contest.max_coauthors, contest.max_media_coauthors)


def _upload(field) -> Upload | None:
    storage = field.data
    if storage is None or not getattr(storage, "filename", ""):
        return None
    return Upload(storage.read(), storage.filename)


def _screen(entry: Entry) -> None:
    """Check a new or replaced entry against the whole index: queued for the RQ workers when
    Redis is configured, else at once here. The entry is already committed: a failure is
    logged and left to the next full scan, never lost work."""
    from contest.jobs import check_entry_soon
    from contest.screening import check_entry_now

    if check_entry_soon(current_app._get_current_object(), entry.id) == "rq":
        return
    try:
        check_entry_now(db(), entry=entry)
        db().commit()
    except Exception:  # noqa: BLE001 - screening must not undo a stored submission
        db().rollback()
        current_app.logger.exception("similarity check of %s failed", entry.receipt_no)


def _deadline_state(contest: Contest) -> tuple[bool, int]:
    now = datetime.now(UTC)
    open_now = not rules.check_deadline(
        state=contest.state.value, opens_at=contest.opens_at, closes_at=contest.closes_at, now=now
    )
    return open_now, max(0, int((contest.closes_at - now).total_seconds()))


@bp.route("/contests/<slug>/submit", methods=["GET", "POST"])
@login_required
def new_entry(slug: str):
    contest = _contest(slug)
    if not permissions.can_submit_to(current_user, contest):
        abort(403, _("Judges and secretaries of a contest cannot submit entries to it."))
    form = EntryForm()
    form.category.choices = _category_choices(contest)
    open_now, seconds_left = _deadline_state(contest)
    if request.method == "GET":
        form.form_token.data = secrets.token_urlsafe(24)
        form.authors[0].form.full_name.data = me().full_name
        form.authors[0].form.email.data = me().email
    elif form.add_author.data:
        if len(form.authors) < _max_authors(contest):
            form.authors.append_entry()
        return render_template(
            "entries/new.html",
            form=form,
            contest=contest,
            open_now=open_now,
            seconds_left=seconds_left,
        )
    elif form.validate_on_submit():
        problems_at = None
        if not form.declaration.data:
            form.declaration.errors = [_("You must make the declaration to submit.")]
            problems_at = True
        document = _upload(form.document)
        if document is None:
            form.document.errors = [_("Choose the essay file.")]
            problems_at = True
        category = db().get(Category, int(form.category.data))
        if category is None or category.contest_id != contest.id:
            abort(400)
        if not problems_at:
            try:
                entry = entry_services.create_entry(
                    db(),
                    vault=identity_vault(),
                    store=upload_store(),
                    contest=contest,
                    category=category,
                    owner=me(),
                    title=form.title.data or "",
                    pen_name=form.pen_name.data or "",
                    authors=_authors_from(form),
                    document=document,
                    media=_upload(form.media),
                    form_token=form.form_token.data or None,
                )
            except ProblemError as e:
                show_problems(form, e)
            else:
                return redirect(url_for("entries.show", receipt=entry.receipt_no))
    status = 400 if request.method == "POST" else 200
    return (
        render_template(
            "entries/new.html",
            form=form,
            contest=contest,
            open_now=open_now,
            seconds_left=seconds_left,
        ),
        status,
    )


@bp.get("/my/entries")
@login_required
def mine():
    return render_template("entries/mine.html", entries=entry_services.entries_of(db(), me()))


@bp.get("/entries/<receipt>")
@login_required
def show(receipt: str):
    entry = _entry(receipt)
    open_now, seconds_left = _deadline_state(entry.contest)
    editable = (
        open_now
        and entry.status in (EntryStatus.draft, EntryStatus.submitted)
        and permissions.can_edit_entry(current_user, entry)
    )
    paragraphs = [p for p in entry.text.split("\n\n") if p.strip()][:3]
    return render_template(
        "entries/show.html",
        entry=entry,
        editable=editable,
        open_now=open_now,
        seconds_left=seconds_left,
        paragraphs=paragraphs,
        confirm_form=ConfirmForm(),
        replace_form=ReplaceFileForm(),
        withdraw_form=WithdrawForm(),
        warnings=entry.warnings,
    )


@bp.post("/entries/<receipt>/confirm")
@login_required
def confirm(receipt: str):
    entry = _entry(receipt)
    require(permissions.can_edit_entry(current_user, entry))
    if not ConfirmForm().validate_on_submit():
        abort(400)
    was_draft = entry.status == EntryStatus.draft
    try:
        entry_services.confirm_entry(db(), entry=entry, actor=me())
    except ProblemError as e:
        show_problems(None, e)
        return redirect(url_for("entries.show", receipt=receipt))
    if was_draft:
        db().commit()  # the receipt is sent only for a stored entry
        _screen(entry)
        mailer.send_receipt(current_app, entry, lang=locale())
        flash(_("Your entry is submitted. Keep the receipt."), "success")
    return redirect(url_for("entries.receipt", receipt=receipt))


@bp.get("/entries/<receipt>/receipt")
@login_required
def receipt(receipt: str):
    entry = _entry(receipt)
    if entry.status == EntryStatus.draft:
        return redirect(url_for("entries.show", receipt=receipt))
    return render_template("entries/receipt.html", entry=entry)


@bp.post("/entries/<receipt>/file")
@login_required
def replace_file(receipt: str):
    entry = _entry(receipt)
    require(permissions.can_edit_entry(current_user, entry))
    form = ReplaceFileForm()
    upload = _upload(form.document) if form.validate_on_submit() else None
    if upload is None:
        flash(_("Choose the new file."), "error")
        return redirect(url_for("entries.show", receipt=receipt)), 303
    try:
        doc = entry_services.replace_document(
            db(),
            vault=identity_vault(),
            store=upload_store(),
            entry=entry,
            upload=upload,
            actor=me(),
        )
    except ProblemError as e:
        show_problems(None, e)
        return redirect(url_for("entries.show", receipt=receipt)), 303
    db().commit()
    _screen(entry)
    flash(
        _("The file is replaced (version %(n)s). Earlier versions are kept.", n=doc.version_no),
        "success",
    )
    return redirect(url_for("entries.show", receipt=receipt))


@bp.route("/entries/<receipt>/edit", methods=["GET", "POST"])
@login_required
def edit(receipt: str):
    entry = _entry(receipt)
    require(permissions.can_edit_entry(current_user, entry))
    contest = entry.contest
    form = EntryDetailsForm()
    form.category.choices = _category_choices(contest)
    if request.method == "GET":
        identity = entry_services.author_identities(identity_vault(), entry)
        form = EntryDetailsForm(
            formdata=None,
            data={
                "title": entry.title,
                "category": str(entry.category_id),
                "pen_name": entry_services.entry_details(identity_vault(), entry).get(
                    "pen_name", ""
                ),
                "version": str(entry.version),
                "authors": [
                    {
                        **a,
                        "birth_date": datetime.fromisoformat(a["birth_date"]).date()
                        if a.get("birth_date")
                        else None,
                    }
                    for a in identity
                ],
            },
        )
        form.category.choices = _category_choices(contest)
    elif form.add_author.data:
        if len(form.authors) < _max_authors(contest):
            form.authors.append_entry()
        return render_template("entries/edit.html", form=form, entry=entry)
    elif form.validate_on_submit():
        category = db().get(Category, int(form.category.data))
        try:
            entry_services.update_details(
                db(),
                vault=identity_vault(),
                entry=entry,
                title=form.title.data or "",
                category=category,
                pen_name=form.pen_name.data or "",
                authors=_authors_from(form),
                actor=me(),
                expected_version=int(form.version.data or 0) or None,
            )
        except ProblemError as e:
            show_problems(form, e)
        else:
            flash(_("Saved."), "success")
            return redirect(url_for("entries.show", receipt=receipt))
    status = 400 if request.method == "POST" else 200
    return render_template("entries/edit.html", form=form, entry=entry), status


@bp.post("/entries/<receipt>/withdraw")
@login_required
def withdraw(receipt: str):
    entry = _entry(receipt)
    require(permissions.can_edit_entry(current_user, entry))
    form = WithdrawForm()
    if not form.validate_on_submit():
        flash(_("Tick the box to confirm the withdrawal."), "error")
        return redirect(url_for("entries.show", receipt=receipt)), 303
    try:
        entry_services.withdraw_entry(db(), entry=entry, actor=me())
    except ProblemError as e:
        show_problems(None, e)
        return redirect(url_for("entries.show", receipt=receipt)), 303
    flash(_("The entry is withdrawn."), "success")
    return redirect(url_for("entries.show", receipt=receipt))
