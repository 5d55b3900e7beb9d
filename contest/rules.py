"""Pure rules about contest settings and rubrics. One place for each rule."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from contest.extract import SUPPORTED_FORMATS
from contest.presets import RUBRIC_TOTAL
from contest.problems import Problem

# One place for the formats: what the extraction module can read.
SUPPORTED_FILE_TYPES = SUPPORTED_FORMATS
MEDIA_FILE_TYPES = ("mp3", "mp4")
SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,58}[a-z0-9])?$")

# The life of a contest: forward through the states, with two safe ways back
# (re-open a closed contest to extend the deadline; close again from judging before
# any result is final). Finalised is terminal.
ALLOWED_TRANSITIONS: dict[str, tuple[str, ...]] = {
    "draft": ("open",),
    "open": ("closed",),
    "closed": ("open", "judging"),
    "judging": ("closed", "finalised"),
    "finalised": (),
}


def check_transition(current: str, target: str) -> list[Problem]:
    if target in ALLOWED_TRANSITIONS.get(current, ()):
        return []
    return [
        Problem(
            "bad_transition",
            "Không thể chuyển cuộc thi từ trạng thái “{current}” sang “{target}”.",
            "A contest cannot move from “{current}” to “{target}”.",
            {"current": current, "target": target},
        )
    ]


def check_contest_settings(s: Mapping[str, Any]) -> list[Problem]:
    """Validate the editable settings of a contest (a dict of plain values)."""
    problems: list[Problem] = []
    slug = s.get("slug")
    if slug is not None and not SLUG_RE.match(slug):
        problems.append(
            Problem(
                "bad_slug",
                "Mã rút gọn chỉ gồm chữ thường không dấu, chữ số và dấu gạch ngang (tối đa 60 ký tự).",
                "The short name may contain only lowercase letters, digits and hyphens (at most 60).",
                field="slug",
            )
        )
    if not (s.get("title") or "").strip():
        problems.append(
            Problem(
                "title_missing",
                "Hãy nhập tên cuộc thi.",
                "Enter the contest's title.",
                field="title",
            )
        )
    opens, closes = s.get("opens_at"), s.get("closes_at")
    if isinstance(opens, datetime) and isinstance(closes, datetime) and closes <= opens:
        problems.append(
            Problem(
                "closes_before_opens",
                "Thời hạn nhận bài phải sau thời điểm mở cuộc thi.",
                "The closing time must be after the opening time.",
                field="closes_at",
            )
        )
    lo, hi = s.get("min_words"), s.get("max_words")
    if lo is not None and lo < 0:
        problems.append(
            Problem(
                "min_words_negative",
                "Số chữ tối thiểu không được âm.",
                "The minimum word count cannot be negative.",
                field="min_words",
            )
        )
    if hi is not None and hi <= 0:
        problems.append(
            Problem(
                "max_words_nonpositive",
                "Số chữ tối đa phải lớn hơn 0.",
                "The maximum word count must be above 0.",
                field="max_words",
            )
        )
    elif lo is not None and hi is not None and hi <= lo:
        problems.append(
            Problem(
                "max_words_le_min",
                "Số chữ tối đa ({hi}) phải lớn hơn số chữ tối thiểu ({lo}).",
                "The maximum word count ({hi}) must be greater than the minimum ({lo}).",
                {"hi": hi, "lo": lo},
                field="max_words",
            )
        )
    types = s.get("allowed_file_types")
    if types is not None:
        unknown = [t for t in types if t not in SUPPORTED_FILE_TYPES]
        if not types:
            problems.append(
                Problem(
                    "no_file_types",
                    "Hãy chọn ít nhất một loại tệp được nộp.",
                    "Choose at least one allowed file type.",
                    field="allowed_file_types",
                )
            )
        elif unknown:
            problems.append(
                Problem(
                    "unknown_file_types",
                    "Loại tệp không hỗ trợ: {types}.",
                    "Unsupported file types: {types}.",
                    {"types": ", ".join(unknown)},
                    field="allowed_file_types",
                )
            )
    for key, vi, en in (
        (
            "max_entries_per_author",
            "Số bài tối đa mỗi tác giả phải từ 1 đến 20.",
            "Entries per author must be between 1 and 20.",
        ),
        (
            "max_file_mb",
            "Dung lượng tệp tối đa phải từ 1 đến 50 MB.",
            "The maximum file size must be between 1 and 50 MB.",
        ),
    ):
        v = s.get(key)
        hi_limit = 50 if key == "max_file_mb" else 20
        if v is not None and not (1 <= v <= hi_limit):
            problems.append(Problem(f"{key}_range", vi, en, field=key))
    co = s.get("max_coauthors")
    if co is not None and not (0 <= co <= 10):
        problems.append(
            Problem(
                "max_coauthors_range",
                "Số đồng tác giả tối đa phải từ 0 đến 10.",
                "Co-authors per entry must be between 0 and 10.",
                field="max_coauthors",
            )
        )
    return problems


def check_rubric(
    criteria: Sequence[Mapping[str, Any]], *, total: float = RUBRIC_TOTAL
) -> list[Problem]:
    """A valid rubric: at least one criterion, unique non-empty names, every maximum and weight
    above zero, and a weighted maximum (sum of max_points × weight) equal to the scale (100),
    so that totals, the 20-point disagreement rule and the 70-point cut-off mean the same thing
    in every contest."""
    problems: list[Problem] = []
    if not criteria:
        return [
            Problem(
                "rubric_empty",
                "Thang điểm cần ít nhất một tiêu chí.",
                "The rubric needs at least one criterion.",
            )
        ]
    seen: set[str] = set()
    weighted = 0.0
    for i, c in enumerate(criteria, start=1):
        name = (c.get("name") or "").strip()
        if not name:
            problems.append(
                Problem(
                    "criterion_name_missing",
                    "Tiêu chí {i}: hãy nhập tên.",
                    "Criterion {i}: enter a name.",
                    {"i": i},
                )
            )
        elif name.casefold() in seen:
            problems.append(
                Problem(
                    "criterion_name_duplicate",
                    "Tiêu chí “{name}” bị trùng tên.",
                    "The criterion “{name}” appears twice.",
                    {"name": name},
                )
            )
        seen.add(name.casefold())
        mp, w = c.get("max_points"), c.get("weight", 1.0)
        if mp is None or mp <= 0:
            problems.append(
                Problem(
                    "criterion_max_nonpositive",
                    "Tiêu chí {i}: điểm tối đa phải lớn hơn 0.",
                    "Criterion {i}: the maximum points must be above 0.",
                    {"i": i},
                )
            )
        if w is None or w <= 0:
            problems.append(
                Problem(
                    "criterion_weight_nonpositive",
                    "Tiêu chí {i}: hệ số phải lớn hơn 0.",
                    "Criterion {i}: the weight must be above 0.",
                    {"i": i},
                )
            )
        if mp and w and mp > 0 and w > 0:
            weighted += mp * w
    if not problems and abs(weighted - total) > 0.01:
        problems.append(
            Problem(
                "rubric_total",
                "Tổng điểm tối đa có hệ số là {got:g}; thang điểm phải cộng lại đúng {total:g} điểm.",
                "The rubric's weighted maximum is {got:g}; it must add up to exactly {total:g} points.",
                {"got": round(weighted, 2), "total": total},
            )
        )
    return problems


MEDIA_SIGNATURES = {
    "mp3": (b"ID3", b"\xff\xfb", b"\xff\xf3", b"\xff\xf2"),
}


def media_format(data: bytes, filename: str) -> str | None:
    """ "mp3" or "mp4" when the bytes really are one (by signature), else None."""
    if data[4:8] == b"ftyp":
        return "mp4"
    if any(data.startswith(sig) for sig in MEDIA_SIGNATURES["mp3"]):
        return "mp3"
    return None


def check_deadline(
    *, state: str, opens_at: datetime, closes_at: datetime, now: datetime
) -> list[Problem]:
    """Contestants may submit, replace, edit or withdraw only while the contest is open."""
    if state == "open" and opens_at <= now < closes_at:
        return []
    if now >= closes_at or state in ("closed", "judging", "finalised"):
        return [
            Problem(
                "deadline_passed",
                "Đã hết hạn nhận bài: bài dự thi không thể nộp hay sửa nữa.",
                "The deadline has passed: entries can no longer be submitted or changed.",
            )
        ]
    return [
        Problem(
            "not_open",
            "Cuộc thi chưa mở nhận bài.",
            "The contest is not accepting entries yet.",
        )
    ]


def check_entry(
    *,
    allowed_file_types: Sequence[str],
    doc_format: str,
    size: int,
    max_bytes: int,
    words: int,
    min_words: int,
    max_words: int,
    n_authors: int,
    max_coauthors: int,
) -> list[Problem]:
    """The limits an entry's document and author list must meet (DOMAIN.md)."""
    problems: list[Problem] = []
    if doc_format not in allowed_file_types:
        problems.append(
            Problem(
                "type_not_allowed",
                "Cuộc thi này không nhận tệp .{fmt}; chỉ nhận: {allowed}.",
                "This contest does not accept .{fmt} files; it accepts: {allowed}.",
                {"fmt": doc_format, "allowed": ", ".join("." + t for t in allowed_file_types)},
                field="document",
            )
        )
    if size > max_bytes:
        problems.append(
            Problem(
                "file_too_large",
                "Tệp nặng {mb:.1f} MB, vượt giới hạn {limit} MB.",
                "The file is {mb:.1f} MB, over the {limit} MB limit.",
                {"mb": size / 1048576, "limit": max_bytes // 1048576},
                field="document",
            )
        )
    if words < min_words:
        problems.append(
            Problem(
                "too_few_words",
                "Bài có {words} chữ, ít hơn mức tối thiểu {min} chữ.",
                "The essay has {words} words, fewer than the minimum of {min}.",
                {"words": words, "min": min_words},
                field="document",
            )
        )
    if words > max_words:
        problems.append(
            Problem(
                "too_many_words",
                "Bài có {words} chữ, vượt mức tối đa {max} chữ.",
                "The essay has {words} words, more than the maximum of {max}.",
                {"words": words, "max": max_words},
                field="document",
            )
        )
    if n_authors < 1:
        problems.append(
            Problem("no_author", "Cần ít nhất một tác giả.", "At least one author is needed.")
        )
    elif n_authors - 1 > max_coauthors:
        problems.append(
            Problem(
                "too_many_coauthors",
                "Tác phẩm có {n} đồng tác giả; thể lệ cho phép tối đa {max}.",
                "The entry has {n} co-authors; the rules allow at most {max}.",
                {"n": n_authors - 1, "max": max_coauthors},
            )
        )
    return problems


def check_author_quota(
    *, author_name: str, entries_in_kind: int, max_in_kind: int, category_taken: bool, kind: str
) -> list[Problem]:
    """Entries per author: at most `max_in_kind` of a kind, and one per written category."""
    problems: list[Problem] = []
    if entries_in_kind >= max_in_kind:
        problems.append(
            Problem(
                "author_quota",
                "Tác giả {name} đã có {n} tác phẩm; thể lệ cho phép tối đa {max}.",
                "The author {name} already has {n} entries; the rules allow at most {max}.",
                {"name": author_name, "n": entries_in_kind, "max": max_in_kind},
            )
        )
    elif category_taken and kind == "written":
        problems.append(
            Problem(
                "author_category_taken",
                "Tác giả {name} đã có tác phẩm ở thể loại này; mỗi thể loại chỉ một tác phẩm.",
                "The author {name} already has an entry in this category; one per category.",
                {"name": author_name},
            )
        )
    return problems
