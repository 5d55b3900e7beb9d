"""The secretariat's bulk import: plan (dry run) and the all-or-nothing import itself."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from contest import batch
from contest.entries import AuthorInput, Upload, create_entry
from contest.extract import Extracted, ExtractionError
from contest.models import Contest, Entry, EntryStatus, ImportBatch, User
from contest.problems import Problem, ProblemError
from contest.services import record
from contest.storage import FileStore
from contest.vault import Vault

MIB = 1024 * 1024


def contest_limits(contest: Contest) -> batch.ContestLimits:
    return batch.ContestLimits.with_categories(
        [batch.CategoryInfo(code=c.code, name=c.name, kind=c.kind) for c in contest.categories],
        min_words=contest.min_words,
        max_words=contest.max_words,
        max_coauthors=contest.max_coauthors,
        max_media_coauthors=contest.max_media_coauthors,
        allowed_file_types=tuple(contest.allowed_file_types),
        max_file_bytes=contest.max_file_mb * MIB,
        max_entries_per_author=contest.max_entries_per_author,
        max_media_entries_per_author=contest.max_media_entries_per_author,
    )


def existing_fingerprints(session: Session, contest: Contest) -> dict[str, str]:
    rows = session.execute(
        select(Entry.fingerprint, Entry.receipt_no).where(
            Entry.contest_id == contest.id, Entry.status != EntryStatus.withdrawn
        )
    )
    return {fp: receipt for fp, receipt in rows}


def plan_import(
    session: Session,
    *,
    contest: Contest,
    zip_bytes: bytes,
    manifest_bytes: bytes | None = None,
    manifest_name: str | None = None,
    progress: Callable[[int, int], None] | None = None,
    extract_text: bool = True,
) -> batch.BatchPlan:
    """The dry run: nothing is written. The plan keeps no file bytes or texts (memory stays
    flat with the batch size); the import reads each entry again from the zip.

    The confirm step re-plans with ``extract_text=False`` (hashes, types, rows, duplicates):
    the import extracts each text once more anyway, and create_entry checks its word limits,
    so a text that changed in between aborts the whole import instead of slipping through."""
    plan = batch.plan_batch(
        zip_bytes,
        limits=contest_limits(contest),
        existing_fingerprints=existing_fingerprints(session, contest),
        manifest_bytes=manifest_bytes,
        manifest_name=manifest_name,
        progress=progress,
        keep_content=False,
        extract_text=extract_text,
    )
    previous = session.scalar(
        select(ImportBatch).where(
            ImportBatch.contest_id == contest.id, ImportBatch.sha256 == plan.batch_sha256
        )
    )
    if previous is not None:
        plan.problems.append(
            Problem(
                "batch_already_imported",
                "Lô này đã được nhập lúc {at}: không tạo lại gì.",
                "This batch was already imported at {at}: nothing is created again.",
                {"at": previous.created_at.strftime("%d/%m/%Y %H:%M UTC")},
            )
        )
    return plan


def _create_one(
    session: Session,
    *,
    vault: Vault,
    store: FileStore,
    contest: Contest,
    category,
    planned: batch.PlannedEntry,
    actor: User | None,
) -> None:
    p = planned
    ex = Extracted(
        text=p.text or "",
        words=p.words or 0,
        format=p.format or "txt",
        metadata=dict(p.metadata),
        hidden_text=list(p.hidden_text),
        warnings=list(p.warnings),
    )
    media = Upload(p.media_bytes, p.media_name or "") if p.media_bytes else None
    entry = create_entry(
        session,
        vault=vault,
        store=store,
        contest=contest,
        category=category,
        owner=None,
        title=p.title,
        pen_name=p.pen_name,
        authors=[_author(a) for a in p.authors],
        document=Upload(p.file_bytes or b"", p.file_name),
        media=media,
        source="import",
        actor=actor,
        extracted=ex,
        check_deadline=False,
        submit=True,
    )
    session.flush()
    # Let the stored entry go: the session would otherwise keep every text of the batch.
    session.expunge(entry)


def _author(a: batch.AuthorRow) -> AuthorInput:
    birth = a.birth_date
    if birth is None and a.birth_year:
        birth = date(a.birth_year, 1, 1)
    return AuthorInput(
        full_name=a.full_name,
        birth_date=birth,
        position=a.position,
        unit=a.unit,
        address=a.address,
        phone=a.phone,
        email=a.email,
        id_number=a.id_number,
    )


def import_plan(
    session: Session,
    *,
    vault: Vault,
    store: FileStore,
    contest: Contest,
    plan: batch.BatchPlan,
    zip_bytes: bytes,
    actor: User | None,
    progress: Callable[[int, int], None] | None = None,
) -> ImportBatch:
    """Create every planned entry, or none: refuses a plan with any problem. Entries are read
    from the zip one at a time and let go once flushed; the caller commits once at the end,
    so a failure halfway leaves nothing (files included)."""
    if not plan.ok:
        problems = list(plan.problems) or [
            Problem(
                "batch_has_problems",
                "Lô còn lỗi ở {n} dòng: hãy sửa rồi nhập lại. Không có gì được tạo.",
                "The batch still has problems in {n} rows: fix them and import again. Nothing was created.",
                {"n": sum(1 for e in plan.entries if not e.ok)},
            )
        ]
        raise ProblemError(problems)
    categories = {c.code: c for c in contest.categories}
    total = len(plan.entries)
    limits = contest_limits(contest)
    try:
        with batch.open_contents(zip_bytes, limits=limits) as contents:
            for i, p in enumerate(plan.entries, start=1):
                contents.load(p)
                _create_one(
                    session,
                    vault=vault,
                    store=store,
                    contest=contest,
                    category=categories[p.category_code],
                    planned=p,
                    actor=actor,
                )
                contents.release(p)
                if progress:
                    progress(i, total)
    except (batch.BatchError, ExtractionError) as e:
        raise ProblemError(Problem("batch_changed", e.message("vi"), e.message("en"))) from e
    row = ImportBatch(
        contest_id=contest.id,
        sha256=plan.batch_sha256,
        created_by=actor.id if actor else None,
        entries_created=total,
        report=plan.summary(),
    )
    session.add(row)
    session.flush()
    record(
        session,
        actor=actor,
        action="entries.import",
        contest=contest,
        obj=row,
        after={"entries": total, "sha256": plan.batch_sha256},
    )
    return row
