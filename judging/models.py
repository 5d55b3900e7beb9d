"""Typed models of the judging side: rounds, their rubric, judges, conflicts, assignments,
scores, awards. They refer to contest models by foreign key; contest never imports these."""

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
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from contest.db import Base, utcnow
from contest.models import Contest, Entry, User
from contest.types import UTCDateTime


def _enum(cls: type[enum.Enum], name: str) -> Enum:
    return Enum(cls, name=name, native_enum=False, length=20, validate_strings=True)


class RoundState(enum.StrEnum):
    setup = "setup"  # rubric and judges are being prepared
    open = "open"  # judges score
    closed = "closed"  # scoring finished


class Round(Base):
    __tablename__ = "rounds"
    __table_args__ = (
        UniqueConstraint("contest_id", "position"),
        CheckConstraint("readings >= 1", name="readings_pos"),
        CheckConstraint("gap > 0", name="gap_pos"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contest_id: Mapped[int] = mapped_column(ForeignKey("contests.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)  # 1 = sơ khảo, 2 = chung khảo, ...
    name: Mapped[str] = mapped_column(String(120))
    state: Mapped[RoundState] = mapped_column(
        _enum(RoundState, "round_state"), default=RoundState.setup
    )
    readings: Mapped[int] = mapped_column(Integer, default=2)
    # How entries move forward: {"kind": "top_n" | "top_percent" | "threshold", "value": 10}
    advance_rule: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    gap: Mapped[float] = mapped_column(Float, default=20.0)  # disagreement on the 100-point scale
    extra_rule: Mapped[str] = mapped_column(String(20), default="mean_all")  # or third_decides
    method: Mapped[str] = mapped_column(String(20), default="mean")  # mean | trimmed | calibrated
    # Declared before scoring: ["criterion:<id>", ..., "panel"]
    tie_break: Mapped[list[str]] = mapped_column(JSON, default=list)
    seed: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    contest: Mapped[Contest] = relationship()
    criteria: Mapped[list[RoundCriterion]] = relationship(
        back_populates="round", cascade="all, delete-orphan", order_by="RoundCriterion.position"
    )
    seats: Mapped[list[JudgeSeat]] = relationship(
        back_populates="round", cascade="all, delete-orphan"
    )


class RoundCriterion(Base):
    __tablename__ = "round_criteria"
    __table_args__ = (
        CheckConstraint("max_points > 0", name="max_points_pos"),
        CheckConstraint("weight > 0", name="weight_pos"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    guidance: Mapped[str] = mapped_column(Text, default="")
    max_points: Mapped[float] = mapped_column(Float)
    weight: Mapped[float] = mapped_column(Float, default=1.0)
    position: Mapped[int] = mapped_column(Integer, default=0)

    round: Mapped[Round] = relationship(back_populates="criteria")


class RoundEntry(Base):
    """An entry taking part in a round (all released entries in the first; those advanced
    in later ones)."""

    __tablename__ = "round_entries"
    __table_args__ = (UniqueConstraint("round_id", "entry_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), index=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("entries.id"), index=True)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    entry: Mapped[Entry] = relationship()


class JudgeSeat(Base):
    """A judge in a round: the categories they judge (empty = all) and their maximum load."""

    __tablename__ = "judge_seats"
    __table_args__ = (UniqueConstraint("round_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    category_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    max_load: Mapped[int | None] = mapped_column(Integer)
    pseudonym: Mapped[str] = mapped_column(String(20))  # "GK-03": how exports name the judge
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    round: Mapped[Round] = relationship(back_populates="seats")
    user: Mapped[User] = relationship()


class Conflict(Base):
    """A reason a judge must not read an entry (declared or found), with its origin."""

    __tablename__ = "conflicts"

    id: Mapped[int] = mapped_column(primary_key=True)
    contest_id: Mapped[int] = mapped_column(ForeignKey("contests.id"), index=True)
    judge_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    # The entry the conflict is with; a declaration without entries found yet has none.
    entry_id: Mapped[int | None] = mapped_column(ForeignKey("entries.id"), index=True)
    kind: Mapped[str] = mapped_column(
        String(30)
    )  # declared_unit | declared_person | same_unit | same_name | author | recusal
    # A declaration's own text is sealed; its blind index matches authors' indexes.
    declared_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    declared_index: Mapped[str] = mapped_column(String(64), default="", index=True)
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Assignment(Base):
    __tablename__ = "assignments"
    __table_args__ = (UniqueConstraint("round_id", "entry_id", "judge_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), index=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("entries.id"), index=True)
    judge_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    source: Mapped[str] = mapped_column(String(10), default="auto")  # auto | manual | extra
    reason: Mapped[str] = mapped_column(Text, default="")
    pinned: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    round: Mapped[Round] = relationship()
    entry: Mapped[Entry] = relationship()
    judge: Mapped[User] = relationship()
    score: Mapped[Score | None] = relationship(back_populates="assignment", uselist=False)


class ScoreStatus(enum.StrEnum):
    draft = "draft"
    submitted = "submitted"


class Score(Base):
    """One judge's reading of one entry: points per criterion (JSON {criterion_id: points}).
    `version` is checked on every save so two tabs never silently overwrite each other."""

    __tablename__ = "scores"

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignments.id"), unique=True)
    status: Mapped[ScoreStatus] = mapped_column(
        _enum(ScoreStatus, "score_status"), default=ScoreStatus.draft
    )
    points: Mapped[dict[str, float]] = mapped_column(JSON, default=dict)
    comment: Mapped[str] = mapped_column(Text, default="")
    total: Mapped[float | None] = mapped_column(Float)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reopen_requested: Mapped[str] = mapped_column(Text, default="")

    assignment: Mapped[Assignment] = relationship(back_populates="score")

    __mapper_args__ = {"version_id_col": version}


class Award(Base):
    """A prize given to an entry (category prizes and special prizes), with its origin."""

    __tablename__ = "awards"
    __table_args__ = (UniqueConstraint("contest_id", "entry_id", "prize"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contest_id: Mapped[int] = mapped_column(ForeignKey("contests.id"), index=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("entries.id"), index=True)
    prize: Mapped[str] = mapped_column(String(30))
    special: Mapped[bool] = mapped_column(Boolean, default=False)
    note: Mapped[str] = mapped_column(Text, default="")
    adjusted_reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    entry: Mapped[Entry] = relationship()
