"""Services for entries: submission, replacement, edits, withdrawal, identity, release.

`verb(session, *, ...)`: they flush, never commit. Identity goes only into sealed columns; the
blind indexes let the rules count entries per author without unsealing.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from contest import rules
from contest.anonymise import ALPHABET
from contest.extract import Extracted, ExtractionError, Limits, extract
from contest.models import (
    Author,
    Category,
    Contest,
    Entry,
    EntryFile,
    EntryStatus,
    Redaction,
    User,
)
from contest.problems import Problem, ProblemError
from contest.services import record
from contest.storage import FileStore
from contest.vault import Vault

MIB = 1024 * 1024
MEDIA_MAX_BYTES = 60 * MIB
# A file uploaded before the deadline may still be confirmed a little after it: in a
# last-minute rush the upload itself is what arrived in time (measured: 2% of a 1,000-person
# rush uploaded in time but reached the confirm button after the deadline).
CONFIRM_GRACE = timedelta(
    minutes=30
)  # below the request cap; larger media go through the secretariat
ACTIVE = (EntryStatus.draft, EntryStatus.submitted)


@dataclass
class AuthorInput:
    full_name: str
    birth_date: date | None = None
    position: str = ""
    unit: str = ""
    address: str = ""
    phone: str = ""
    email: str = ""
    id_number: str = ""

    def sealed_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["birth_date"] = self.birth_date.isoformat() if self.birth_date else ""
        return {k: (v.strip() if isinstance(v, str) else v) for k, v in d.items()}


@dataclass
class Upload:
    data: bytes
    filename: str


def _problem(code: str, vi: str, en: str, field: str | None = None, **params) -> ProblemError:
    return ProblemError(Problem(code, vi, en, params, field=field))


def new_receipt_no(session: Session) -> str:
    """A public receipt number, random (not a count of entries), easy to read aloud."""
    while True:
        body = "".join(secrets.choice(ALPHABET) for _ in range(8))
        receipt = f"BN-{body[:4]}-{body[4:]}"
        if session.scalar(select(Entry.id).where(Entry.receipt_no == receipt)) is None:
            return receipt


def read_document(contest: Contest, upload: Upload) -> Extracted:
    """Extract the text of an uploaded document, turning extraction errors into problems."""
    if not upload.data:
        raise _problem(
            "empty_upload",
            "Tệp tải lên rỗng (0 byte). Hãy chọn lại tệp bài dự thi.",
            "The uploaded file is empty (0 bytes). Choose the essay file again.",
            field="document",
        )
    limits = Limits(
        max_bytes=contest.max_file_mb * MIB,
        max_zip_members=2000,
        max_uncompressed=100 * MIB,
        max_ratio=100,
        max_seconds=15,
    )
    try:
        return extract(upload.data, upload.filename, limits=limits)
    except ExtractionError as e:
        raise ProblemError(
            Problem(f"extract_{e.code}", e.message("vi"), e.message("en"), field="document")
        ) from e


def _check_document(
    contest: Contest, category: Category, upload: Upload, ex: Extracted, n_authors: int
) -> None:
    media = category.kind == "media"
    problems = rules.check_entry(
        allowed_file_types=contest.allowed_file_types,
        doc_format=ex.format,
        size=len(upload.data),
        max_bytes=contest.max_file_mb * MIB,
        words=ex.words,
        # a script of a radio or TV piece is not held to the essay length limits
        min_words=0 if media else contest.min_words,
        max_words=10**9 if media else contest.max_words,
        n_authors=n_authors,
        max_coauthors=contest.max_media_coauthors if media else contest.max_coauthors,
    )
    if problems:
        raise ProblemError(problems)


def _check_media(category: Category, media: Upload | None) -> str | None:
    if category.kind != "media":
        if media is not None and media.data:
            raise _problem(
                "media_not_expected",
                "Thể loại này là bài viết: không kèm tệp âm thanh/video.",
                "This is a written category: no audio/video file is expected.",
                field="media",
            )
        return None
    if media is None or not media.data:
        raise _problem(
            "media_missing",
            "Thể loại phát thanh/truyền hình cần tệp .mp3 hoặc .mp4 kèm kịch bản.",
            "Radio and television categories need an .mp3 or .mp4 file with the script.",
            field="media",
        )
    fmt = rules.media_format(media.data, media.filename)
    if fmt is None:
        raise _problem(
            "media_type",
            "Tệp âm thanh/video phải là .mp3 hoặc .mp4.",
            "The audio/video file must be an .mp3 or .mp4.",
            field="media",
        )
    if len(media.data) > MEDIA_MAX_BYTES:
        raise _problem(
            "media_too_large",
            "Tệp âm thanh/video vượt {mb} MB; hãy gửi qua Tổ thư ký.",
            "The audio/video file is over {mb} MB; send it through the secretariat.",
            field="media",
            mb=MEDIA_MAX_BYTES // MIB,
        )
    return fmt


def _author_problems(
    session: Session,
    *,
    vault: Vault,
    contest: Contest,
    category: Category,
    authors: Sequence[AuthorInput],
    exclude_entry_id: int | None = None,
) -> list[Problem]:
    problems: list[Problem] = []
    for i, a in enumerate(authors, start=1):
        if not a.full_name.strip():
            problems.append(
                Problem(
                    "author_name_missing",
                    "Tác giả {i}: hãy nhập họ và tên.",
                    "Author {i}: enter the full name.",
                    {"i": i},
                )
            )
        if a.birth_date and (a.birth_date.year < 1900 or a.birth_date > datetime.now(UTC).date()):
            problems.append(
                Problem(
                    "author_birth_date",
                    "Tác giả {i}: ngày sinh không hợp lệ.",
                    "Author {i}: the birth date is not valid.",
                    {"i": i},
                )
            )
        if a.email and ("@" not in a.email or " " in a.email.strip()):
            problems.append(
                Problem(
                    "author_email",
                    "Tác giả {i}: e-mail không hợp lệ.",
                    "Author {i}: the e-mail is not valid.",
                    {"i": i},
                )
            )
    if problems:
        return problems
    kind = category.kind
    limit = (
        contest.max_media_entries_per_author if kind == "media" else contest.max_entries_per_author
    )
    for a in authors:
        key_col, key = _person_key(vault, a)
        q = (
            select(Entry.id, Entry.category_id, Category.kind)
            .join(Author, Author.entry_id == Entry.id)
            .join(Category, Category.id == Entry.category_id)
            .where(
                Entry.contest_id == contest.id,
                Entry.status.in_(ACTIVE),
                Author.replaced_at.is_(None),
                key_col == key,
            )
            .distinct()
        )
        if exclude_entry_id is not None:
            q = q.where(Entry.id != exclude_entry_id)
        rows = session.execute(q).all()
        same_kind = [r for r in rows if r.kind == kind]
        problems += rules.check_author_quota(
            author_name=a.full_name.strip(),
            entries_in_kind=len(same_kind),
            max_in_kind=limit,
            category_taken=any(r.category_id == category.id for r in rows),
            kind=kind,
        )
    return problems


def _person_key(vault: Vault, a: AuthorInput):
    # E-mail identifies a person best; without one, name and birth date together.
    if a.email.strip():
        return Author.email_index, vault.blind_index(a.email, kind="email")
    return Author.name_index, vault.blind_index(a.full_name, kind="name")


def _add_authors(
    session: Session, *, vault: Vault, entry: Entry, authors: Sequence[AuthorInput]
) -> None:
    for pos, a in enumerate(authors):
        row = Author(
            entry=entry,
            position=pos,
            sealed=b"",
            name_index=vault.blind_index(a.full_name, kind="name"),
            unit_index=vault.blind_index(a.unit, kind="unit") if a.unit.strip() else "",
            email_index=vault.blind_index(a.email, kind="email") if a.email.strip() else "",
            id_number_index=vault.blind_index(a.id_number, kind="id_number")
            if a.id_number.strip()
            else "",
        )
        session.add(row)
        session.flush()  # the row id binds the sealed blob to this row
        row.sealed = vault.seal(a.sealed_dict(), context=f"author:{row.id}")


def _add_file(
    session: Session,
    *,
    vault: Vault,
    store: FileStore,
    entry: Entry,
    upload: Upload,
    role: str,
    fmt: str,
    words: int,
    actor: User | None,
) -> EntryFile:
    digest = store.put(session, upload.data)
    version = 1 + sum(1 for f in entry.files if f.role == role)
    f = EntryFile(
        entry=entry,
        role=role,
        version_no=version,
        sha256=digest,
        size=len(upload.data),
        file_format=fmt,
        words=words,
        sealed_name=b"",
        uploaded_by=actor.id if actor else None,
    )
    session.add(f)
    session.flush()
    f.sealed_name = vault.seal({"name": upload.filename}, context=f"file:{f.id}")
    return f


def _seal_entry_details(
    vault: Vault, entry: Entry, *, pen_name: str, ex: Extracted | None, old: dict | None = None
) -> None:
    details = dict(old or {})
    details["pen_name"] = pen_name.strip()
    if ex is not None:
        details["metadata"] = ex.metadata
        details["hidden_text"] = ex.hidden_text
    entry.sealed = vault.seal(details, context=f"entry:{entry.id}")


def entry_details(vault: Vault, entry: Entry) -> dict[str, Any]:
    """The sealed entry-level details (pen name, document metadata, hidden text)."""
    return vault.unseal(entry.sealed, context=f"entry:{entry.id}")


def author_identities(vault: Vault, entry: Entry) -> list[dict[str, Any]]:
    return [vault.unseal(a.sealed, context=f"author:{a.id}") for a in entry.current_authors]


def read_identity(
    session: Session, *, vault: Vault, entry: Entry, actor: User, purpose: str
) -> dict[str, Any]:
    """Unseal an entry's identity for a person allowed to see it; every read is audited."""
    details = entry_details(vault, entry)
    out = {
        "pen_name": details.get("pen_name", ""),
        "authors": author_identities(vault, entry),
        "file_names": [
            vault.unseal(f.sealed_name, context=f"file:{f.id}")["name"] for f in entry.files
        ],
        "metadata": details.get("metadata", {}),
    }
    record(
        session,
        actor=actor,
        action="identity.read",
        contest=entry.contest,
        obj=entry,
        after={"purpose": purpose},
    )
    return out


def create_entry(
    session: Session,
    *,
    vault: Vault,
    store: FileStore,
    contest: Contest,
    category: Category,
    owner: User | None,
    title: str,
    pen_name: str,
    authors: Sequence[AuthorInput],
    document: Upload,
    media: Upload | None = None,
    form_token: str | None = None,
    source: str = "web",
    actor: User | None = None,
    now: datetime | None = None,
    extracted: Extracted | None = None,
    check_deadline: bool = True,
    submit: bool = False,
) -> Entry:
    """Create an entry in draft (the contestant confirms it next). A repeated form token
    returns the entry that token already created: a double-clicked button makes one entry."""
    now = now or datetime.now(UTC)
    if owner is not None and form_token:
        existing = session.scalar(
            select(Entry).where(Entry.owner_id == owner.id, Entry.form_token == form_token)
        )
        if existing is not None:
            return existing
    if category.contest_id != contest.id:
        raise _problem(
            "bad_category",
            "Thể loại không thuộc cuộc thi này.",
            "The category is not part of this contest.",
            field="category",
        )
    if check_deadline:
        problems = rules.check_deadline(
            state=contest.state.value,
            opens_at=contest.opens_at,
            closes_at=contest.closes_at,
            now=now,
        )
        if problems:
            raise ProblemError(problems)
    if not title.strip():
        raise _problem(
            "title_missing", "Hãy nhập tên tác phẩm.", "Enter the essay's title.", field="title"
        )
    ex = extracted or read_document(contest, document)
    _check_document(contest, category, document, ex, len(authors))
    media_fmt = _check_media(category, media)
    problems = _author_problems(
        session, vault=vault, contest=contest, category=category, authors=authors
    )
    if problems:
        raise ProblemError(problems)
    entry = Entry(
        contest=contest,
        category=category,
        owner=owner,
        receipt_no=new_receipt_no(session),
        title=title.strip(),
        # Imported entries arrived in time on paper or by e-mail: submitted at once.
        status=EntryStatus.submitted if submit else EntryStatus.draft,
        submitted_at=now if submit else None,
        # The instant the deadline was checked, not the later flush: "uploaded in time" for
        # the confirmation grace must agree with the check that accepted the upload (the
        # upload rush found one entry accepted at 22:59:59.99 but stamped after 23:00).
        created_at=now,
        source=source,
        form_token=form_token,
        text=ex.text,
        words=ex.words,
        fingerprint="",
        doc_format=ex.format,
        warnings=list(ex.warnings),
        sealed=b"",
    )
    session.add(entry)
    session.flush()
    _seal_entry_details(vault, entry, pen_name=pen_name, ex=ex)
    doc = _add_file(
        session,
        vault=vault,
        store=store,
        entry=entry,
        upload=document,
        role="document",
        fmt=ex.format,
        words=ex.words,
        actor=actor or owner,
    )
    entry.fingerprint = doc.sha256
    if media_fmt and media is not None:
        _add_file(
            session,
            vault=vault,
            store=store,
            entry=entry,
            upload=media,
            role="media",
            fmt=media_fmt,
            words=0,
            actor=actor or owner,
        )
    _add_authors(session, vault=vault, entry=entry, authors=authors)
    session.flush()
    record(
        session,
        actor=actor or owner,
        action="entry.create",
        contest=contest,
        obj=entry,
        after={
            "receipt_no": entry.receipt_no,
            "category": category.code,
            "words": ex.words,
            "source": source,
            "sha256": doc.sha256,
        },
    )
    return entry


def _editable(entry: Entry, now: datetime) -> None:
    if entry.status not in ACTIVE:
        raise _problem(
            "not_editable",
            "Tác phẩm đã rút hoặc bị loại: không sửa được.",
            "The entry was withdrawn or disqualified: it cannot be changed.",
        )
    problems = rules.check_deadline(
        state=entry.contest.state.value,
        opens_at=entry.contest.opens_at,
        closes_at=entry.contest.closes_at,
        now=now,
    )
    if problems:
        raise ProblemError(problems)


def confirm_entry(
    session: Session, *, entry: Entry, actor: User, now: datetime | None = None
) -> Entry:
    now = now or datetime.now(UTC)
    if entry.status == EntryStatus.submitted:
        return entry  # a second click on "submit" changes nothing
    contest = entry.contest
    uploaded_in_time = entry.created_at is not None and entry.created_at < contest.closes_at
    in_grace = contest.closes_at <= now < contest.closes_at + CONFIRM_GRACE
    if not (
        entry.status == EntryStatus.draft
        and uploaded_in_time
        and in_grace
        and contest.state.value in ("open", "closed")
    ):
        _editable(entry, now)
    entry.status = EntryStatus.submitted
    entry.submitted_at = now
    session.flush()
    record(
        session,
        actor=actor,
        action="entry.submit",
        contest=entry.contest,
        obj=entry,
        after={"receipt_no": entry.receipt_no},
    )
    return entry


def replace_document(
    session: Session,
    *,
    vault: Vault,
    store: FileStore,
    entry: Entry,
    upload: Upload,
    actor: User,
    now: datetime | None = None,
) -> EntryFile:
    """A new version of the document; the old versions are kept."""
    now = now or datetime.now(UTC)
    _editable(entry, now)
    ex = read_document(entry.contest, upload)
    _check_document(entry.contest, entry.category, upload, ex, len(entry.current_authors))
    before = {"sha256": entry.fingerprint, "words": entry.words}
    doc = _add_file(
        session,
        vault=vault,
        store=store,
        entry=entry,
        upload=upload,
        role="document",
        fmt=ex.format,
        words=ex.words,
        actor=actor,
    )
    entry.text = ex.text
    entry.words = ex.words
    entry.doc_format = ex.format
    entry.warnings = list(ex.warnings)
    entry.fingerprint = doc.sha256
    # a replaced text needs its redactions found and reviewed again
    entry.redacted_text = None
    entry.redactions_reviewed = False
    for r in entry.redactions:
        r.removed = True
    _seal_entry_details(
        vault, entry, pen_name=entry_details(vault, entry).get("pen_name", ""), ex=ex
    )
    session.flush()
    record(
        session,
        actor=actor,
        action="entry.replace_file",
        contest=entry.contest,
        obj=entry,
        before=before,
        after={"sha256": doc.sha256, "words": ex.words, "version": doc.version_no},
    )
    return doc


def update_details(
    session: Session,
    *,
    vault: Vault,
    entry: Entry,
    title: str,
    category: Category,
    pen_name: str,
    authors: Sequence[AuthorInput],
    actor: User,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> Entry:
    now = now or datetime.now(UTC)
    if expected_version is not None and expected_version != entry.version:
        raise _problem(
            "stale",
            "Tác phẩm vừa được sửa ở nơi khác. Hãy tải lại trang rồi sửa lại.",
            "The entry was just changed elsewhere. Reload the page and edit again.",
        )
    _editable(entry, now)
    if not title.strip():
        raise _problem(
            "title_missing", "Hãy nhập tên tác phẩm.", "Enter the essay's title.", field="title"
        )
    if category.contest_id != entry.contest_id:
        raise _problem(
            "bad_category",
            "Thể loại không thuộc cuộc thi này.",
            "The category is not part of this contest.",
            field="category",
        )
    if category.kind != entry.category.kind:
        raise _problem(
            "category_kind",
            "Không thể chuyển giữa bài viết và tác phẩm phát thanh/truyền hình; hãy rút và nộp lại.",
            "An entry cannot move between written and audio/video categories; withdraw it and submit again.",
            field="category",
        )
    media = category.kind == "media"
    limit = entry.contest.max_media_coauthors if media else entry.contest.max_coauthors
    if len(authors) - 1 > limit:
        raise _problem(
            "too_many_coauthors",
            "Tác phẩm có {n} đồng tác giả; thể lệ cho phép tối đa {max}.",
            "The entry has {n} co-authors; the rules allow at most {max}.",
            n=len(authors) - 1,
            max=limit,
        )
    problems = _author_problems(
        session,
        vault=vault,
        contest=entry.contest,
        category=category,
        authors=authors,
        exclude_entry_id=entry.id,
    )
    if problems:
        raise ProblemError(problems)
    before = {
        "title": entry.title,
        "category": entry.category.code,
        "authors": len(entry.current_authors),
    }
    entry.title = title.strip()
    entry.category = category
    _seal_entry_details(vault, entry, pen_name=pen_name, ex=None, old=entry_details(vault, entry))
    for a in entry.current_authors:
        a.replaced_at = now  # the previous version is kept, sealed
    _add_authors(session, vault=vault, entry=entry, authors=authors)
    entry.updated_at = now
    session.flush()
    record(
        session,
        actor=actor,
        action="entry.update",
        contest=entry.contest,
        obj=entry,
        before=before,
        after={"title": entry.title, "category": category.code, "authors": len(authors)},
    )
    return entry


def withdraw_entry(
    session: Session, *, entry: Entry, actor: User, now: datetime | None = None
) -> Entry:
    now = now or datetime.now(UTC)
    _editable(entry, now)
    before = entry.status.value
    entry.status = EntryStatus.withdrawn
    entry.withdrawn_at = now
    session.flush()
    record(
        session,
        actor=actor,
        action="entry.withdraw",
        contest=entry.contest,
        obj=entry,
        before={"status": before},
        after={"status": "withdrawn"},
    )
    return entry


def entries_of(session: Session, owner: User) -> list[Entry]:
    return list(
        session.scalars(
            select(Entry).where(Entry.owner_id == owner.id).order_by(Entry.created_at.desc())
        )
    )


def get_entry_by_receipt(session: Session, receipt_no: str) -> Entry | None:
    return session.scalar(select(Entry).where(Entry.receipt_no == receipt_no))


def count_entries(session: Session, contest: Contest) -> dict[str, int]:
    rows = session.execute(
        select(Entry.status, func.count())
        .where(Entry.contest_id == contest.id)
        .group_by(Entry.status)
    ).all()
    return {status.value: n for status, n in rows}


# --------------------------------------------------------------------------- rọc phách


@dataclass(frozen=True)
class AnonymisedEntry:
    """All a judge may ever receive about an entry: no file, name, metadata or identity."""

    entry_id: int
    code: str
    category: str
    text: str
    words: int


def anonymised_view(entry: Entry) -> AnonymisedEntry:
    if entry.secret_code is None or entry.redacted_text is None:
        raise _problem(
            "not_released",
            "Tác phẩm chưa được rọc phách.",
            "The entry has not been anonymised yet.",
        )
    return AnonymisedEntry(
        entry_id=entry.id,
        code=entry.secret_code,
        category=entry.category.name,
        text=entry.redacted_text,
        words=entry.words,
    )


def _identities(vault: Vault, entry: Entry) -> list:
    from contest.anonymise import Identity

    pen_name = entry_details(vault, entry).get("pen_name", "")
    out = []
    for i, a in enumerate(author_identities(vault, entry)):
        out.append(
            Identity(
                full_name=a.get("full_name", ""),
                pen_name=pen_name if i == 0 else "",
                birth_date=a.get("birth_date", ""),
                position=a.get("position", ""),
                unit=a.get("unit", ""),
                address=a.get("address", ""),
                phone=a.get("phone", ""),
                email=a.get("email", ""),
                id_number=a.get("id_number", ""),
            )
        )
    return out


def find_redactions(session: Session, *, vault: Vault, entry: Entry) -> None:
    """(Re)compute the automatic redactions and the author-details signals of an entry."""
    from contest.anonymise import author_details_signals, find_identity_spans

    identities = _identities(vault, entry)
    details = entry_details(vault, entry)
    spans = find_identity_spans(entry.text, identities)
    for r in entry.redactions:
        if r.source == "auto":
            r.removed = True
    for s in spans:
        entry.redactions.append(Redaction(start=s.start, end=s.end, kind=s.kind, source="auto"))
    signals = author_details_signals(
        entry.text,
        details.get("hidden_text", []),
        details.get("metadata", {}),
        identities=identities,
    )
    entry.author_signals = [
        {
            "code": s.code,
            "start": s.start,
            "end": s.end,
            "severity": s.severity,
            "where": s.where,
            "params": dict(s.params),
        }
        for s in signals
    ]
    _apply_redactions(entry)


def _apply_redactions(entry: Entry) -> None:
    from contest.anonymise import Span, redact

    spans = [Span(r.start, r.end, r.kind, r.source) for r in entry.redactions if not r.removed]
    entry.redacted_text = redact(entry.text, spans)


def release_entries(
    session: Session, *, vault: Vault, contest: Contest, actor: User, rng=None
) -> int:
    """Give every submitted entry without one a secret code and its redactions (rọc phách)."""
    from contest.anonymise import generate_codes

    entries = list(
        session.scalars(
            select(Entry)
            .where(
                Entry.contest_id == contest.id,
                Entry.status == EntryStatus.submitted,
                Entry.secret_code.is_(None),
            )
            .order_by(Entry.id)
        )
    )
    if not entries:
        return 0
    taken = set(
        session.scalars(
            select(Entry.secret_code).where(
                Entry.contest_id == contest.id, Entry.secret_code.is_not(None)
            )
        )
    )
    codes = generate_codes(len(entries), existing=taken, prefix="CL", rng=rng)
    now = datetime.now(UTC)
    for entry, code in zip(entries, codes, strict=True):
        entry.secret_code = code
        entry.released_at = now
        find_redactions(session, vault=vault, entry=entry)
    session.flush()
    record(
        session,
        actor=actor,
        action="entries.release",
        contest=contest,
        after={"count": len(entries)},
    )
    return len(entries)


def add_redaction(
    session: Session, *, entry: Entry, start: int, end: int, kind: str, actor: User
) -> Redaction:
    if not (0 <= start < end <= len(entry.text)):
        raise _problem("bad_span", "Đoạn cần ẩn không hợp lệ.", "The span to hide is not valid.")
    r = Redaction(start=start, end=end, kind=kind, source="manual", created_by=actor.id)
    entry.redactions.append(r)
    _apply_redactions(entry)
    session.flush()
    record(
        session,
        actor=actor,
        action="redaction.add",
        contest=entry.contest,
        obj=entry,
        after={"start": start, "end": end, "kind": kind},
    )
    return r


def add_redaction_phrase(
    session: Session, *, entry: Entry, phrase: str, kind: str, actor: User
) -> int:
    """Hide every occurrence of a phrase the secretary typed (case-insensitive)."""
    from contest.vntext import nfc

    phrase = nfc(phrase.strip())
    if len(phrase) < 2:
        raise _problem(
            "phrase_short",
            "Hãy nhập cụm từ cần ẩn (ít nhất 2 ký tự).",
            "Enter the phrase to hide (at least 2 characters).",
            field="phrase",
        )
    hay = entry.text.casefold()
    needle = phrase.casefold()
    found = 0
    pos = hay.find(needle)
    while pos != -1:
        entry.redactions.append(
            Redaction(
                start=pos, end=pos + len(phrase), kind=kind, source="manual", created_by=actor.id
            )
        )
        found += 1
        pos = hay.find(needle, pos + len(phrase))
    if not found:
        raise _problem(
            "phrase_not_found",
            "Không tìm thấy cụm từ này trong bài.",
            "This phrase does not occur in the essay.",
            field="phrase",
        )
    _apply_redactions(entry)
    session.flush()
    record(
        session,
        actor=actor,
        action="redaction.add",
        contest=entry.contest,
        obj=entry,
        after={"occurrences": found, "kind": kind},
    )
    return found


def remove_redaction(session: Session, *, entry: Entry, redaction_id: int, actor: User) -> None:
    r = next((r for r in entry.redactions if r.id == redaction_id and not r.removed), None)
    if r is None:
        raise _problem("no_redaction", "Không có đoạn ẩn này.", "There is no such hidden span.")
    r.removed = True
    _apply_redactions(entry)
    session.flush()
    record(
        session,
        actor=actor,
        action="redaction.remove",
        contest=entry.contest,
        obj=entry,
        before={"start": r.start, "end": r.end, "kind": r.kind},
    )


def mark_reviewed(session: Session, *, entry: Entry, actor: User) -> None:
    entry.redactions_reviewed = True
    session.flush()
    record(session, actor=actor, action="redaction.reviewed", contest=entry.contest, obj=entry)


def disqualify_entry(session: Session, *, entry: Entry, reason: str, actor: User) -> None:
    """Rule breaches found at screening (author details in the work, copying...)."""
    if not reason.strip():
        raise _problem(
            "reason_missing",
            "Hãy ghi lý do loại tác phẩm.",
            "Write the reason for disqualifying the entry.",
            field="reason",
        )
    if entry.status != EntryStatus.submitted:
        raise _problem(
            "not_submitted",
            "Chỉ loại được tác phẩm đã nộp.",
            "Only a submitted entry can be disqualified.",
        )
    entry.status = EntryStatus.disqualified
    entry.disqualified_reason = reason.strip()
    session.flush()
    record(
        session,
        actor=actor,
        action="entry.disqualify",
        contest=entry.contest,
        obj=entry,
        before={"status": "submitted"},
        after={"status": "disqualified", "reason": reason.strip()},
    )
