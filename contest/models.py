"""Typed SQLAlchemy 2.0 models of the contest side: accounts, contests, categories, rubric, audit.

Entries, files, sealed authors, redactions and similarity live here too as their issues land;
judging models (rounds, assignments, scores) live in judging/models.py.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, object_session, relationship

from contest.db import Base, utcnow
from contest.types import UTCDateTime


class ContestState(enum.StrEnum):
    """A contest moves forward through these states; see services.ALLOWED_TRANSITIONS."""

    draft = "draft"
    open = "open"
    closed = "closed"
    judging = "judging"
    finalised = "finalised"


class StaffRole(enum.StrEnum):
    secretary = "secretary"
    judge = "judge"


def _enum(cls: type[enum.Enum], name: str) -> Enum:
    # Stored as plain strings with a CHECK constraint: portable and readable in SQL.
    return Enum(cls, name=name, native_enum=False, length=20, validate_strings=True)


class User(Base):
    """An account. E-mail and name are sealed like author identities (a contestant's account
    would otherwise name the author of their entries); `email_index`, a keyed HMAC, finds the
    account at sign-in without unsealing anything."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email_index: Mapped[str] = mapped_column(String(64), unique=True)
    sealed: Mapped[bytes] = mapped_column(LargeBinary, default=b"")
    password_hash: Mapped[str] = mapped_column(String(255))
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    is_active_account: Mapped[bool] = mapped_column(Boolean, default=True)
    # Bumped when the password changes: part of the login id, so old sessions stop working.
    auth_version: Mapped[int] = mapped_column(Integer, default=1)
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    locale: Mapped[str | None] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )

    # Flask-Login protocol, implemented here so the model needs no Flask import.
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.is_active_account

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return f"{self.id}:{self.auth_version}"

    # The sealed profile, opened with the vault its session was made with (session.info).
    def _profile(self) -> dict[str, str]:
        cached = self.__dict__.get("_profile_cache")
        if cached is None:
            session = object_session(self)
            if session is None or not self.sealed:
                return {"email": "", "full_name": ""}
            cached = session.info["vault"].unseal(self.sealed, context=f"user:{self.id}")
            self.__dict__["_profile_cache"] = cached
        return cached

    def set_profile(self, vault, *, email: str, full_name: str) -> None:
        """Seal e-mail and name (the row must have its id: flush first)."""
        profile = {"email": email, "full_name": full_name}
        self.sealed = vault.seal(profile, context=f"user:{self.id}")
        self.__dict__["_profile_cache"] = profile

    @property
    def email(self) -> str:
        return self._profile()["email"]

    @property
    def full_name(self) -> str:
        return self._profile()["full_name"]

    def roles_in(self, contest_id: int) -> set[StaffRole]:
        return {m.role for m in self.memberships if m.contest_id == contest_id}

    @property
    def is_staff(self) -> bool:
        return self.is_admin or bool(self.memberships)

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email}>"


class Contest(Base):
    __tablename__ = "contests"
    __table_args__ = (
        CheckConstraint("closes_at > opens_at", name="closes_after_opens"),
        CheckConstraint("min_words >= 0", name="min_words_nonneg"),
        CheckConstraint("max_words > min_words", name="max_words_gt_min"),
        CheckConstraint("max_entries_per_author >= 1", name="entries_per_author_pos"),
        CheckConstraint("max_coauthors >= 0", name="coauthors_nonneg"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    rules: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[ContestState] = mapped_column(
        _enum(ContestState, "contest_state"), default=ContestState.draft
    )
    opens_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Display zone; every stored time is UTC.
    timezone: Mapped[str] = mapped_column(String(40), default="Asia/Ho_Chi_Minh")
    min_words: Mapped[int] = mapped_column(Integer, default=0)
    max_words: Mapped[int] = mapped_column(Integer)
    allowed_file_types: Mapped[list[str]] = mapped_column(JSON, default=list)
    max_file_mb: Mapped[int] = mapped_column(Integer, default=20)
    max_entries_per_author: Mapped[int] = mapped_column(Integer, default=2)
    max_media_entries_per_author: Mapped[int] = mapped_column(Integer, default=3)
    max_coauthors: Mapped[int] = mapped_column(Integer, default=2)
    max_media_coauthors: Mapped[int] = mapped_column(Integer, default=3)
    prize_scheme: Mapped[str] = mapped_column(String(30), default="local")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # Optimistic locking: two administrators editing at once cannot silently overwrite.
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    # Set once, by the audited reveal after results are finalised.
    revealed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    categories: Mapped[list[Category]] = relationship(
        back_populates="contest", cascade="all, delete-orphan", order_by="Category.position"
    )
    criteria: Mapped[list[Criterion]] = relationship(
        back_populates="contest", cascade="all, delete-orphan", order_by="Criterion.position"
    )
    memberships: Mapped[list[Membership]] = relationship(
        back_populates="contest", cascade="all, delete-orphan"
    )

    __mapper_args__ = {"version_id_col": version}

    def __repr__(self) -> str:
        return f"<Contest {self.slug} {self.state}>"


class Category(Base):
    __tablename__ = "categories"
    __table_args__ = (
        UniqueConstraint("contest_id", "code"),
        CheckConstraint(
            "overlap_threshold > 0 AND overlap_threshold <= 1", name="overlap_threshold_range"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contest_id: Mapped[int] = mapped_column(ForeignKey("contests.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(30))
    name: Mapped[str] = mapped_column(String(120))
    # "written" entries are documents; "media" entries are mp3/mp4 with a script document.
    kind: Mapped[str] = mapped_column(String(10), default="written")
    position: Mapped[int] = mapped_column(Integer, default=0)
    overlap_threshold: Mapped[float] = mapped_column(Float, default=0.2)
    # Ordered prize quotas, e.g. [["A", 3], ["B", 6], ["C", 10], ["KK", 20]].
    prize_quotas: Mapped[list[Any]] = mapped_column(JSON, default=list)

    contest: Mapped[Contest] = relationship(back_populates="categories")


class Criterion(Base):
    """A rubric criterion of the contest; rounds start from this rubric."""

    __tablename__ = "criteria"
    __table_args__ = (
        CheckConstraint("max_points > 0", name="max_points_pos"),
        CheckConstraint("weight > 0", name="weight_pos"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contest_id: Mapped[int] = mapped_column(ForeignKey("contests.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    guidance: Mapped[str] = mapped_column(Text, default="")
    max_points: Mapped[float] = mapped_column(Float)
    weight: Mapped[float] = mapped_column(Float, default=1.0)
    position: Mapped[int] = mapped_column(Integer, default=0)

    contest: Mapped[Contest] = relationship(back_populates="criteria")


class Membership(Base):
    """A staff role of a user in one contest (secretary or judge)."""

    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("user_id", "contest_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    contest_id: Mapped[int] = mapped_column(ForeignKey("contests.id", ondelete="CASCADE"))
    role: Mapped[StaffRole] = mapped_column(_enum(StaffRole, "staff_role"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship(back_populates="memberships")
    contest: Mapped[Contest] = relationship(back_populates="memberships")


class AuditEvent(Base):
    """Append-only: database triggers (see the migration) refuse UPDATE and DELETE."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    # No ON DELETE actions: users and contests are deactivated, never deleted, and a
    # cascade would have to UPDATE rows the triggers keep immutable.
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    contest_id: Mapped[int | None] = mapped_column(ForeignKey("contests.id"), index=True)
    action: Mapped[str] = mapped_column(String(60))
    object_type: Mapped[str] = mapped_column(String(40), default="")
    object_id: Mapped[str] = mapped_column(String(40), default="")
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    note: Mapped[str] = mapped_column(Text, default="")

    actor: Mapped[User | None] = relationship()


# --------------------------------------------------------------------------- entries


class EntryStatus(enum.StrEnum):
    draft = "draft"  # uploaded, not yet confirmed by the contestant
    submitted = "submitted"
    withdrawn = "withdrawn"
    disqualified = "disqualified"


class Entry(Base):
    """An essay in a contest. Identity lives only in sealed columns and in Author rows;
    judges never receive this object, only judging's anonymised view of it."""

    __tablename__ = "entries"
    __table_args__ = (
        UniqueConstraint("contest_id", "secret_code"),
        UniqueConstraint("owner_id", "form_token"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contest_id: Mapped[int] = mapped_column(ForeignKey("contests.id"), index=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    # Public number on the receipt; not the secret code judges see.
    receipt_no: Mapped[str] = mapped_column(String(20), unique=True)
    secret_code: Mapped[str | None] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(500))
    status: Mapped[EntryStatus] = mapped_column(
        _enum(EntryStatus, "entry_status"), default=EntryStatus.draft, index=True
    )
    source: Mapped[str] = mapped_column(String(10), default="web")
    # The form's one-time token: a double-clicked submit finds the entry it already made.
    form_token: Mapped[str | None] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text, default="")
    words: Mapped[int] = mapped_column(Integer, default=0)
    fingerprint: Mapped[str] = mapped_column(String(64), index=True)
    doc_format: Mapped[str] = mapped_column(String(10))
    warnings: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Sealed JSON: pen name, document metadata, headers/footers/comments (for anonymisation).
    sealed: Mapped[bytes] = mapped_column(LargeBinary)
    redacted_text: Mapped[str | None] = mapped_column(Text)
    redactions_reviewed: Mapped[bool] = mapped_column(Boolean, default=False)
    # Codes of signals that the work itself shows author details (rules eliminate those).
    author_signals: Mapped[list[Any]] = mapped_column(JSON, default=list)
    disqualified_reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    contest: Mapped[Contest] = relationship()
    category: Mapped[Category] = relationship()
    owner: Mapped[User | None] = relationship()
    files: Mapped[list[EntryFile]] = relationship(
        back_populates="entry", cascade="all, delete-orphan", order_by="EntryFile.id"
    )
    authors: Mapped[list[Author]] = relationship(
        back_populates="entry", cascade="all, delete-orphan", order_by="Author.id"
    )
    redactions: Mapped[list[Redaction]] = relationship(
        back_populates="entry", cascade="all, delete-orphan", order_by="Redaction.start"
    )

    __mapper_args__ = {"version_id_col": version}

    @property
    def current_authors(self) -> list[Author]:
        return sorted((a for a in self.authors if a.replaced_at is None), key=lambda a: a.position)

    def current_file(self, role: str = "document") -> EntryFile | None:
        files = [f for f in self.files if f.role == role]
        return files[-1] if files else None


class EntryFile(Base):
    """One uploaded version of a file. Every version is kept; the bytes live in the
    content-addressed store under UPLOAD_DIR, named by their SHA-256."""

    __tablename__ = "entry_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("entries.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(10), default="document")  # document | media
    version_no: Mapped[int] = mapped_column(Integer, default=1)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(Integer)
    file_format: Mapped[str] = mapped_column(String(10))
    words: Mapped[int] = mapped_column(Integer, default=0)
    # The original file name often carries the author's name: sealed like identity.
    sealed_name: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    uploaded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    entry: Mapped[Entry] = relationship(back_populates="files")


class Author(Base):
    """An author or co-author. Every identity field is inside `sealed`; the blind indexes
    (keyed HMACs) let the platform count entries per author and find conflicts without
    unsealing anything."""

    __tablename__ = "authors"

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("entries.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)  # 0 = main author
    sealed: Mapped[bytes] = mapped_column(LargeBinary)
    name_index: Mapped[str] = mapped_column(String(64), index=True)
    unit_index: Mapped[str] = mapped_column(String(64), default="", index=True)
    email_index: Mapped[str] = mapped_column(String(64), default="", index=True)
    id_number_index: Mapped[str] = mapped_column(String(64), default="")
    replaced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    entry: Mapped[Entry] = relationship(back_populates="authors")


class Redaction(Base):
    """A span of the entry's text hidden from judges. Removing one keeps the row (removed=True)
    so the review history stays visible."""

    __tablename__ = "redactions"
    __table_args__ = (CheckConstraint("end_offset > start_offset", name="span_nonempty"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("entries.id", ondelete="CASCADE"), index=True)
    start: Mapped[int] = mapped_column("start_offset", Integer)
    end: Mapped[int] = mapped_column("end_offset", Integer)
    kind: Mapped[str] = mapped_column(String(20), default="other")
    source: Mapped[str] = mapped_column(String(10), default="auto")  # auto | manual
    removed: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    entry: Mapped[Entry] = relationship(back_populates="redactions")


class ImportBatch(Base):
    """A bulk import; the same batch (same bytes) imported twice is refused the second time."""

    __tablename__ = "import_batches"
    __table_args__ = (UniqueConstraint("contest_id", "sha256"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contest_id: Mapped[int] = mapped_column(ForeignKey("contests.id"), index=True)
    sha256: Mapped[str] = mapped_column(String(64))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    entries_created: Mapped[int] = mapped_column(Integer, default=0)
    report: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class LoginToken(Base):
    """A one-time sign-in link for an invited judge; only its hash is stored."""

    __tablename__ = "login_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


# --------------------------------------------------------------------------- similarity


class ReferenceText(Base):
    """A published text entries are compared with (the source article, press, earlier winners).
    Quoting it in quotation marks is expected and is not copying."""

    __tablename__ = "reference_texts"

    id: Mapped[int] = mapped_column(primary_key=True)
    contest_id: Mapped[int] = mapped_column(ForeignKey("contests.id"), index=True)
    name: Mapped[str] = mapped_column(String(300))
    text: Mapped[str] = mapped_column(Text)
    words: Mapped[int] = mapped_column(Integer, default=0)
    sha256: Mapped[str] = mapped_column(String(64), default="")
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SimilarityMatch(Base):
    """A verified match between an entry and another entry or a reference text."""

    __tablename__ = "similarity_matches"

    id: Mapped[int] = mapped_column(primary_key=True)
    contest_id: Mapped[int] = mapped_column(ForeignKey("contests.id"), index=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("entries.id"), index=True)
    other_entry_id: Mapped[int | None] = mapped_column(ForeignKey("entries.id"), index=True)
    reference_id: Mapped[int | None] = mapped_column(ForeignKey("reference_texts.id"))
    kind: Mapped[str] = mapped_column(String(12))  # copy | quotation
    score: Mapped[float] = mapped_column(Float)
    overlap: Mapped[float] = mapped_column(Float)  # share of this entry covered by the match
    other_overlap: Mapped[float] = mapped_column(Float)
    # [[a_start, a_end, b_start, b_end], ...] character offsets into each text
    passages: Mapped[list[Any]] = mapped_column(JSON, default=list)
    # The fingerprint of the entry's text when found: a replaced file makes the row stale.
    entry_fingerprint: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SimilarityReport(Base):
    """Per entry: its similarity index and the secretariat's decision."""

    __tablename__ = "similarity_reports"
    __table_args__ = (UniqueConstraint("entry_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contest_id: Mapped[int] = mapped_column(ForeignKey("contests.id"), index=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("entries.id"))
    overlap: Mapped[float] = mapped_column(Float, default=0.0)  # share found elsewhere (copy)
    quoted: Mapped[float] = mapped_column(Float, default=0.0)  # share quoted from references
    flagged: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    status: Mapped[str] = mapped_column(String(12), default="ok")  # ok | too_short | empty
    # "" (not decided) | cleared | copying | disqualified
    decision: Mapped[str] = mapped_column(String(20), default="")
    decision_note: Mapped[str] = mapped_column(Text, default="")
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    entry_fingerprint: Mapped[str] = mapped_column(String(64), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# The states in which a job holds its (contest, kind) slot; SQL for the partial index.
JOB_ACTIVE_STATES = ("queued", "running")
JOB_ACTIVE_SQL = "state IN ('queued', 'running')"


class Job(Base):
    """Background work with persisted progress, so a reload or a restart sees the same truth:
    it resumes from `done` or reports a clear failure."""

    __tablename__ = "jobs"
    __table_args__ = (
        # At most one queued or running job of a kind per contest: two clicks on "scan" at
        # the same instant (two workers) make one job, since the insert is
        # ON CONFLICT DO NOTHING on this index (screening.start_scan).
        Index(
            "uq_jobs_one_active",
            "contest_id",
            "kind",
            unique=True,
            sqlite_where=text(JOB_ACTIVE_SQL),
            postgresql_where=text(JOB_ACTIVE_SQL),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contest_id: Mapped[int | None] = mapped_column(ForeignKey("contests.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))  # similarity_scan | import | export
    # queued | running | done | failed
    state: Mapped[str] = mapped_column(String(12), default="queued")
    done: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int] = mapped_column(Integer, default=0)
    message: Mapped[str] = mapped_column(Text, default="")
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    result: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    worker: Mapped[str] = mapped_column(String(100), default="")
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
