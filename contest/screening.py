"""Similarity screening services: reference texts, full scans, one-entry checks, the review.

The pure engine (contest.similarity) finds the passages; these functions feed it the
contest's texts and write SimilarityMatch / SimilarityReport rows. They flush, never commit:
the view, CLI command or background job commits.

Names given to the engine: an entry is ``str(entry.id)`` with its category id as category; a
reference is ``str(reference.id)`` (the engine reports it as ``"ref:<id>"``). Every match is
stored in both directions (one row per entry), so an entry's page reads its own rows only.
Flags use each category's ``overlap_threshold`` at the time of the scan.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import random
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Session

from contest import entries as entry_services
from contest.db import insert_or_skip, utcnow
from contest.models import (
    JOB_ACTIVE_SQL,
    JOB_ACTIVE_STATES,
    Category,
    Contest,
    Entry,
    EntryStatus,
    Job,
    ReferenceText,
    SimilarityMatch,
    SimilarityReport,
    User,
)
from contest.problems import Problem, ProblemError
from contest.services import record
from contest.similarity import (
    Config,
    Doc,
    PairMatch,
    ScanResult,
    SimilarityIndex,
    check,
    fingerprint,
    scan_index,
)
from contest.vntext import nfc

SCAN_KIND = "similarity_scan"
# Entries that take part in a scan: a disqualified entry stays, so the evidence against it
# (and the entries it shares passages with) stays visible.
SCANNED = (EntryStatus.submitted, EntryStatus.disqualified)
DECISIONS = ("cleared", "copying", "disqualified")
ACTIVE_JOB_STATES = JOB_ACTIVE_STATES
STALE_AFTER = timedelta(seconds=60)
MAX_ATTEMPTS = 3  # a job interrupted this many times is failed, not resumed again
BATCH = 200  # entries read from the database at a time while indexing

Progress = Callable[[int, int], None]


def _problem(code: str, vi: str, en: str, field: str | None = None, **params) -> ProblemError:
    return ProblemError(Problem(code, vi, en, params, field))


def engine_config() -> Config:
    """The engine settings the platform uses (flags are decided here, per category)."""
    return Config()


def scan_processes() -> int:
    """Processes a full scan may verify pairs with: SCAN_PROCESSES, else the machine's cores.
    Only a scan running on a process's main thread forks (an RQ job, the CLI); a scan in a
    web process's thread stays in one process (similarity.parallel.usable_workers)."""
    raw = os.environ.get("SCAN_PROCESSES", "").strip()
    try:
        wanted = int(raw) if raw else (os.cpu_count() or 1)
    except ValueError:
        wanted = 1
    return max(1, wanted)


def entry_label(entry: Entry) -> str:
    """What the back office calls an entry on these pages: its secret code, else its receipt
    number (neither names the author)."""
    return entry.secret_code or entry.receipt_no


# --------------------------------------------------------------------------- references


def list_references(session: Session, *, contest: Contest) -> list[ReferenceText]:
    return list(
        session.scalars(
            select(ReferenceText)
            .where(ReferenceText.contest_id == contest.id)
            .order_by(ReferenceText.id)
        )
    )


def add_reference(
    session: Session, *, contest: Contest, name: str, text: str, actor: User | None
) -> ReferenceText:
    """Store a published text (already extracted) that entries are compared with."""
    text = nfc(text or "").strip()
    name = (name or "").strip()[:300]
    words = fingerprint(text, engine_config()).words if text else 0
    if words == 0:
        raise _problem(
            "reference_empty",
            "Văn bản tham chiếu trống: hãy dán nội dung hoặc chọn một tệp có chữ.",
            "The reference text is empty: paste its text or choose a file that has text.",
            field="text",
        )
    if not name:
        raise _problem(
            "reference_name_missing",
            "Hãy đặt tên cho văn bản tham chiếu.",
            "Give the reference text a name.",
            field="name",
        )
    sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
    same = session.scalar(
        select(ReferenceText).where(
            ReferenceText.contest_id == contest.id, ReferenceText.sha256 == sha
        )
    )
    if same is not None:
        raise _problem(
            "reference_duplicate",
            "Văn bản này đã có trong danh sách tham chiếu (“{name}”).",
            "This text is already a reference (“{name}”).",
            name=same.name,
        )
    ref = ReferenceText(
        contest_id=contest.id,
        name=name,
        text=text,
        words=words,
        sha256=sha,
        created_by=actor.id if actor else None,
    )
    session.add(ref)
    session.flush()
    record(
        session,
        actor=actor,
        action="similarity.reference_add",
        contest=contest,
        obj=ref,
        after={"name": name, "words": words, "sha256": sha},
    )
    return ref


def delete_reference(
    session: Session, *, contest: Contest, reference: ReferenceText, actor: User | None
) -> None:
    """Remove a reference and the matches found against it (the next scan recounts quotes)."""
    session.execute(delete(SimilarityMatch).where(SimilarityMatch.reference_id == reference.id))
    record(
        session,
        actor=actor,
        action="similarity.reference_delete",
        contest=contest,
        obj=reference,
        before={"name": reference.name, "words": reference.words, "sha256": reference.sha256},
    )
    session.delete(reference)
    session.flush()


# --------------------------------------------------------------------------- scanning


@dataclass(frozen=True)
class ScanSummary:
    """What a scan wrote: entries reported, how many are flagged, matches stored."""

    entries: int
    flagged: int
    matches: int


def _thresholds(session: Session, contest: Contest) -> dict[int, float]:
    return dict(
        session.execute(
            select(Category.id, Category.overlap_threshold).where(Category.contest_id == contest.id)
        ).all()
    )


def build_contest_index(
    session: Session, *, contest: Contest, progress: Progress | None = None, workers: int = 1
) -> tuple[SimilarityIndex, dict[int, str]]:
    """Fingerprint the contest's references and scanned entries, BATCH entries at a time.

    Returns the index and each entry's file fingerprint as read (a report written from this
    index carries it, so an entry replaced meanwhile shows as stale).
    """
    index = SimilarityIndex(dataclasses.replace(engine_config(), workers=workers))
    for ref in list_references(session, contest=contest):
        index.add_reference(Doc(str(ref.id), ref.text))
    scanned = Entry.contest_id == contest.id, Entry.status.in_(SCANNED)
    total = session.scalar(select(func.count()).select_from(Entry).where(*scanned)) or 0
    fingerprints: dict[int, str] = {}
    rows = session.execute(
        select(Entry.id, Entry.text, Entry.category_id, Entry.fingerprint)
        .where(*scanned)
        .order_by(Entry.id)
        .execution_options(yield_per=BATCH)
    )
    for i, (entry_id, text, category_id, fp) in enumerate(rows, 1):
        index.add(Doc(str(entry_id), text or "", str(category_id)))
        fingerprints[entry_id] = fp
        if progress is not None and (i % BATCH == 0 or i == total):
            progress(i, max(total, i))
    return index, fingerprints


def _entry_id(name: str) -> int | None:
    return None if name.startswith("ref:") else int(name)


def _rows_for_pair(contest_id: int, pair: PairMatch, fps: dict[int, str]) -> list[dict]:
    """One row per entry side of an engine pair (two for entry-entry, one for a reference)."""
    a = int(pair.a)
    a_passages = [[p.a_start, p.a_end, p.b_start, p.b_end] for p in pair.passages]
    base = {"contest_id": contest_id, "kind": pair.kind, "score": pair.score}
    if pair.b.startswith("ref:"):
        return [
            base
            | {
                "entry_id": a,
                "other_entry_id": None,
                "reference_id": int(pair.b[4:]),
                "overlap": pair.overlap_a,
                "other_overlap": pair.overlap_b,
                "passages": a_passages,
                "entry_fingerprint": fps.get(a, ""),
            }
        ]
    b = int(pair.b)
    return [
        base
        | {
            "entry_id": a,
            "other_entry_id": b,
            "reference_id": None,
            "overlap": pair.overlap_a,
            "other_overlap": pair.overlap_b,
            "passages": a_passages,
            "entry_fingerprint": fps.get(a, ""),
        },
        base
        | {
            "entry_id": b,
            "other_entry_id": a,
            "reference_id": None,
            "overlap": pair.overlap_b,
            "other_overlap": pair.overlap_a,
            "passages": [[p.b_start, p.b_end, p.a_start, p.a_end] for p in pair.passages],
            "entry_fingerprint": fps.get(b, ""),
        },
    ]


def _set_report(
    session: Session,
    report: SimilarityReport | None,
    *,
    contest_id: int,
    entry_id: int,
    fp: str,
    overlap: float,
    quoted: float,
    status: str,
    threshold: float,
) -> SimilarityReport:
    """Create or update a report; a decision taken on another version of the text is reset
    (the secretariat decided about a text that is no longer the entry's)."""
    if report is None:
        report = SimilarityReport(contest_id=contest_id, entry_id=entry_id)
        session.add(report)
    elif report.entry_fingerprint != fp and report.decision in ("cleared", "copying"):
        report.decision, report.decision_note = "", ""
        report.decided_by, report.decided_at = None, None
    report.overlap = overlap
    report.quoted = quoted
    report.status = status
    report.flagged = status == "ok" and overlap >= threshold
    report.entry_fingerprint = fp
    report.updated_at = utcnow()
    return report


def store_scan(
    session: Session, *, contest: Contest, result: ScanResult, fingerprints: dict[int, str]
) -> ScanSummary:
    """Replace the contest's matches and reports with a scan's result.

    Idempotent: the same result stored twice leaves the same rows (decisions are kept for
    texts that did not change), so a resumed scan ends where an uninterrupted one would.
    """
    thresholds = _thresholds(session, contest)
    session.execute(delete(SimilarityMatch).where(SimilarityMatch.contest_id == contest.id))
    existing = {
        r.entry_id: r
        for r in session.scalars(
            select(SimilarityReport).where(SimilarityReport.contest_id == contest.id)
        )
    }
    categories = dict(
        session.execute(
            select(Entry.id, Entry.category_id).where(Entry.id.in_(list(fingerprints)))
        ).all()
    )
    flagged = 0
    for doc in result.documents:
        entry_id = int(doc.name)
        report = _set_report(
            session,
            existing.pop(entry_id, None),
            contest_id=contest.id,
            entry_id=entry_id,
            fp=fingerprints.get(entry_id, ""),
            overlap=doc.overlap,
            quoted=doc.quoted,
            status=doc.status,
            threshold=thresholds.get(categories.get(entry_id), 0.2),
        )
        flagged += report.flagged
    # Entries no longer scanned (withdrawn) lose their report unless a decision was taken.
    for report in existing.values():
        if not report.decision:
            session.delete(report)
    rows = [row for pair in result.pairs for row in _rows_for_pair(contest.id, pair, fingerprints)]
    if rows:
        session.execute(SimilarityMatch.__table__.insert(), rows)
    session.flush()
    return ScanSummary(len(result.documents), flagged, len(rows))


def scan_contest(
    session: Session, *, contest: Contest, progress: Progress | None = None
) -> ScanSummary:
    """A whole scan in the caller's session (CLI, demo, tests); jobs split it into phases."""
    index, fps = build_contest_index(session, contest=contest, progress=progress)
    result = scan_index(index, progress=progress)
    return store_scan(session, contest=contest, result=result, fingerprints=fps)


# --------------------------------------------------------------------------- one entry


def _syllables(text: str, config: Config) -> int:
    return fingerprint(text, config).words


def _union(spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for s, e in sorted(spans):
        if out and s <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], e))
        else:
            out.append((s, e))
    return out


def _covered(text: str, spans: Iterable[tuple[int, int]], config: Config) -> int:
    """Syllables of ``text`` inside the union of character spans (the engine's unit)."""
    return sum(_syllables(text[s:e], config) for s, e in _union(spans))


def _report_from_rows(session: Session, entry: Entry, thresholds: dict[int, float]) -> None:
    """Recompute an entry's report from its stored match rows (after a one-entry check)."""
    config = engine_config()
    text = nfc(entry.text or "")
    words = _syllables(text, config)
    report = session.scalar(select(SimilarityReport).where(SimilarityReport.entry_id == entry.id))
    status = "empty" if words == 0 else ("too_short" if words < config.min_syllables else "ok")
    copy, quote = [], []
    if status == "ok":
        for kind, passages in session.execute(
            select(SimilarityMatch.kind, SimilarityMatch.passages).where(
                SimilarityMatch.entry_id == entry.id
            )
        ):
            (copy if kind == "copy" else quote).extend((p[0], p[1]) for p in passages)
    copied = _covered(text, copy, config)
    both = _covered(text, copy + quote, config)
    _set_report(
        session,
        report,
        contest_id=entry.contest_id,
        entry_id=entry.id,
        fp=entry.fingerprint,
        overlap=copied / words if words else 0.0,
        quoted=(both - copied) / words if words else 0.0,
        status=status,
        threshold=thresholds.get(entry.category_id, 0.2),
    )


# Per process: the last few contests' indexes, brought up to date from (id, fingerprint)
# before each check, so a submission costs the new texts only, not a rebuild of all of them.
_INDEXES: OrderedDict[tuple[str, int], tuple[tuple, dict[int, str], SimilarityIndex]] = (
    OrderedDict()
)
_INDEX_LOCK = threading.Lock()
_INDEXES_KEPT = 4


def _synced_index(session: Session, contest: Contest) -> tuple[SimilarityIndex, dict[int, str]]:
    """The contest's index, cached and synced with the database (call with _INDEX_LOCK)."""
    key = (str(session.get_bind().url), contest.id)
    refs = tuple(
        session.execute(
            select(ReferenceText.id, ReferenceText.sha256)
            .where(ReferenceText.contest_id == contest.id)
            .order_by(ReferenceText.id)
        ).all()
    )
    cached = _INDEXES.get(key)
    if cached is None or cached[0] != refs:
        index, fps = build_contest_index(session, contest=contest)
    else:
        _, fps, index = cached
        current = dict(
            session.execute(
                select(Entry.id, Entry.fingerprint).where(
                    Entry.contest_id == contest.id, Entry.status.in_(SCANNED)
                )
            ).all()
        )
        for gone in set(fps) - set(current):
            index.remove(str(gone))
            del fps[gone]
        changed = [i for i, f in current.items() if fps.get(i) != f]
        for entry_id, text, category_id, fp in session.execute(
            select(Entry.id, Entry.text, Entry.category_id, Entry.fingerprint).where(
                Entry.id.in_(changed)
            )
        ):
            index.add(Doc(str(entry_id), text or "", str(category_id)))  # replaces
            fps[entry_id] = fp
    _INDEXES[key] = (refs, fps, index)
    _INDEXES.move_to_end(key)
    while len(_INDEXES) > _INDEXES_KEPT:
        _INDEXES.popitem(last=False)
    return index, fps


def check_entry_now(session: Session, *, entry: Entry) -> SimilarityReport:
    """Check one new or replaced entry against every other scanned entry and the references.

    The contest's index is kept in memory per process and synced from (id, fingerprint)
    before each check: the first check builds it (about 3 ms of CPU per 2,500-syllable entry,
    3 s at 1,000 entries), later ones fingerprint only new or replaced texts and verify the
    candidates (about 0.2 s at 1,000 entries). The entry's old match rows (both directions)
    are replaced, and the reports of the entries it shares passages with are recomputed.
    """
    contest = entry.contest
    session.flush()
    name = str(entry.id)
    doc = Doc(name, entry.text or "", str(entry.category_id))
    with _INDEX_LOCK:
        index, fps = _synced_index(session, contest)
        index.remove(name)  # compared with the others, not with itself
        pairs = check(index, doc)
        if entry.status in SCANNED:
            index.add(doc)
        fps = dict(fps)
    fps[entry.id] = entry.fingerprint
    touched = set(
        session.scalars(
            select(SimilarityMatch.other_entry_id).where(
                SimilarityMatch.entry_id == entry.id, SimilarityMatch.other_entry_id.is_not(None)
            )
        )
    )
    session.execute(
        delete(SimilarityMatch).where(
            or_(SimilarityMatch.entry_id == entry.id, SimilarityMatch.other_entry_id == entry.id)
        )
    )
    rows = [row for pair in pairs for row in _rows_for_pair(contest.id, pair, fps)]
    if rows:
        session.execute(SimilarityMatch.__table__.insert(), rows)
    touched |= {r["entry_id"] for r in rows} - {entry.id}
    thresholds = _thresholds(session, contest)
    _report_from_rows(session, entry, thresholds)
    for other in session.scalars(select(Entry).where(Entry.id.in_(touched))):
        _report_from_rows(session, other, thresholds)
    session.flush()
    return session.scalar(select(SimilarityReport).where(SimilarityReport.entry_id == entry.id))


# --------------------------------------------------------------------------- review


@dataclass(frozen=True)
class ReviewRow:
    """One line of the review list: codes and figures only, never identity or title."""

    entry_id: int
    label: str
    category: str
    overlap: float
    quoted: float
    threshold: float
    flagged: bool
    decision: str
    stale: bool
    entry_status: str


def review_rows(
    session: Session, *, contest: Contest, only_flagged: bool = True
) -> list[ReviewRow]:
    """Reports of the contest, highest overlap first; flagged against the current thresholds."""
    q = (
        select(SimilarityReport, Entry, Category)
        .join(Entry, Entry.id == SimilarityReport.entry_id)
        .join(Category, Category.id == Entry.category_id)
        .where(SimilarityReport.contest_id == contest.id)
        .order_by(SimilarityReport.overlap.desc(), Entry.id)
    )
    out = []
    for report, entry, category in session.execute(q):
        flagged = report.status == "ok" and report.overlap >= category.overlap_threshold
        if only_flagged and not flagged and not report.decision:
            continue
        out.append(
            ReviewRow(
                entry_id=entry.id,
                label=entry_label(entry),
                category=category.name,
                overlap=report.overlap,
                quoted=report.quoted,
                threshold=category.overlap_threshold,
                flagged=flagged,
                decision=report.decision,
                stale=report.entry_fingerprint != entry.fingerprint,
                entry_status=entry.status.value,
            )
        )
    return out


def report_of(session: Session, entry: Entry) -> SimilarityReport | None:
    return session.scalar(select(SimilarityReport).where(SimilarityReport.entry_id == entry.id))


def matches_of(session: Session, entry: Entry) -> list[SimilarityMatch]:
    """The entry's matches, strongest first."""
    return list(
        session.scalars(
            select(SimilarityMatch)
            .where(SimilarityMatch.entry_id == entry.id)
            .order_by(SimilarityMatch.overlap.desc(), SimilarityMatch.id)
        )
    )


def highlight(text: str, spans: Iterable[tuple[int, int, str]]) -> list[tuple[str, str | None]]:
    """Cut ``text`` into pieces marked "copy", "quotation" or None (copy wins where both
    cover a piece); offsets outside the text are clipped."""
    n = len(text)
    cuts = {0, n}
    clipped = []
    for s, e, kind in spans:
        s, e = max(0, min(int(s), n)), max(0, min(int(e), n))
        if e > s:
            clipped.append((s, e, kind))
            cuts.update((s, e))
    points = sorted(cuts)
    out: list[tuple[str, str | None]] = []
    for lo, hi in zip(points, points[1:], strict=False):
        kinds = {k for s, e, k in clipped if s <= lo and hi <= e}
        kind = "copy" if "copy" in kinds else ("quotation" if kinds else None)
        if out and out[-1][1] == kind:
            out[-1] = (out[-1][0] + text[lo:hi], kind)
        else:
            out.append((text[lo:hi], kind))
    return out


def decide(
    session: Session, *, entry: Entry, decision: str, note: str, actor: User
) -> SimilarityReport:
    """Record the secretariat's decision on an entry's similarity report (audited).

    "disqualified" disqualifies the entry with the note as reason, so it leaves the ranking.
    """
    note = (note or "").strip()
    if decision not in DECISIONS:
        raise _problem(
            "decision_unknown",
            "Hãy chọn một quyết định: không sao chép, có sao chép, hoặc loại tác phẩm.",
            "Choose a decision: cleared, copying confirmed, or disqualified.",
            field="decision",
        )
    report = report_of(session, entry)
    if report is None:
        raise _problem(
            "report_missing",
            "Tác phẩm này chưa được quét trùng lặp; hãy chạy quét trước.",
            "This entry has not been scanned yet; run a scan first.",
        )
    if decision != "cleared" and not note:
        raise _problem(
            "decision_note_missing",
            "Hãy ghi chú lý do của quyết định.",
            "Write a note with the reason for the decision.",
            field="note",
        )
    before = {"decision": report.decision, "note": report.decision_note}
    if decision == "disqualified" and entry.status != EntryStatus.disqualified:
        entry_services.disqualify_entry(session, entry=entry, reason=note, actor=actor)
    report.decision = decision
    report.decision_note = note
    report.decided_by = actor.id
    report.decided_at = utcnow()
    session.flush()
    record(
        session,
        actor=actor,
        action="similarity.decision",
        contest=entry.contest,
        obj=entry,
        before=before,
        after={"decision": decision, "note": note, "overlap": round(report.overlap, 4)},
    )
    return report


# --------------------------------------------------------------------------- jobs


def active_scan(session: Session, *, contest: Contest) -> Job | None:
    return session.scalar(
        select(Job)
        .where(
            Job.contest_id == contest.id,
            Job.kind == SCAN_KIND,
            Job.state.in_(ACTIVE_JOB_STATES),
        )
        .order_by(Job.id.desc())
    )


def latest_scan(session: Session, *, contest: Contest) -> Job | None:
    return session.scalar(
        select(Job)
        .where(Job.contest_id == contest.id, Job.kind == SCAN_KIND)
        .order_by(Job.id.desc())
    )


def start_scan(session: Session, *, contest: Contest, actor: User | None) -> tuple[Job, bool]:
    """Queue a full scan; when one is already queued or running, return it instead.

    Returns (job, created). The caller commits, then hands the job to contest.jobs.dispatch.
    """
    running = active_scan(session, contest=contest)
    if running is not None:
        return running, False
    # Check-then-insert alone lets two simultaneous clicks both insert: the partial unique
    # index (models.Job) makes the second insert a no-op, and that click gets the first job.
    new_id = session.scalar(
        insert_or_skip(session, Job)
        .values(
            contest_id=contest.id,
            kind=SCAN_KIND,
            state="queued",
            params={"attempts": 0},
            result={},
            created_by=actor.id if actor else None,
        )
        .on_conflict_do_nothing(
            index_elements=[Job.contest_id, Job.kind], index_where=sql_text(JOB_ACTIVE_SQL)
        )
        .returning(Job.id)
    )
    if new_id is None:
        return active_scan(session, contest=contest), False
    job = session.get(Job, new_id)
    record(session, actor=actor, action="similarity.scan_start", contest=contest, obj=job)
    return job, True


def _aware(at: datetime | None) -> datetime | None:
    if at is not None and at.tzinfo is None:
        return at.replace(tzinfo=UTC)
    return at


def recover_stale_jobs(
    session: Session,
    *,
    contest: Contest | None = None,
    now: datetime | None = None,
    stale_after: timedelta = STALE_AFTER,
) -> list[Job]:
    """Find scans whose worker stopped beating (a restart, a killed worker) and either queue
    them again (returned: the caller dispatches them after committing) or, after
    MAX_ATTEMPTS interruptions, mark them failed with a message that says what to do."""
    now = now or utcnow()
    q = select(Job).where(Job.kind == SCAN_KIND, Job.state.in_(ACTIVE_JOB_STATES))
    if contest is not None:
        q = q.where(Job.contest_id == contest.id)
    resumed = []
    for job in session.scalars(q):
        last = _aware(job.heartbeat_at) or _aware(job.created_at)
        if last is None or now - last < stale_after:
            continue
        attempts = int((job.params or {}).get("attempts", 0)) + 1
        if attempts >= MAX_ATTEMPTS:
            job.state = "failed"
            job.finished_at = now
            job.message = "interrupted"
            job.params = {**(job.params or {}), "attempts": attempts}
            continue
        # A resumed scan starts its computation again (deterministic: same result) and
        # replaces the rows in one transaction, so nothing half-written is ever visible.
        job.state = "queued"
        job.done = 0
        job.worker = ""
        job.heartbeat_at = now
        job.message = "resumed"
        job.params = {**(job.params or {}), "attempts": attempts}
        resumed.append(job)
    session.flush()
    return resumed


def claim_job(session: Session, *, job_id: int, worker: str) -> bool:
    """Take a queued job for this worker; False when another worker has it or it ended."""
    result = session.execute(
        update(Job)
        .where(Job.id == job_id, Job.state == "queued")
        .values(state="running", worker=worker[:100], heartbeat_at=utcnow())
    )
    return result.rowcount == 1


def job_progress(job: Job) -> dict:
    """The JSON the progress bar polls (no text: the page holds the sentences)."""
    percent = int(100 * job.done / job.total) if job.total else 0
    if job.state == "done":
        percent = 100
    return {
        "id": job.id,
        "state": job.state,
        "done": job.done,
        "total": job.total,
        "percent": percent,
        "message": job.message,
        "finished": job.state in ("done", "failed"),
        "result": job.result or {},
    }


# --------------------------------------------------------------------------- demo

DEMO_REFERENCE_NAME = "Bài báo gốc (trình diễn)"


def load_demo_similarity(session: Session, *, contest: Contest, actor: User | None) -> ScanSummary:
    """Add the demo's reference text (once) and run a synchronous scan of the contest."""
    have = session.scalar(
        select(ReferenceText).where(
            ReferenceText.contest_id == contest.id, ReferenceText.name == DEMO_REFERENCE_NAME
        )
    )
    if have is None:
        from contest.essaygen import essay

        add_reference(
            session,
            contest=contest,
            name=DEMO_REFERENCE_NAME,
            text=essay(random.Random(2024), syllables=2500),
            actor=actor,
        )
    return scan_contest(session, contest=contest)
