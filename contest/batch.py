"""Plan a bulk import for the secretariat: a .zip of entry files plus an Excel manifest.

Pure: bytes in, a :class:`BatchPlan` out, no Flask and no database. The web view shows the
plan as a dry run (:func:`plan_report_rows`); the import service writes the entries of a plan
whose ``ok`` is true, all or nothing. Nothing here writes anything.

The manifest (the template comes from :func:`template_xlsx`)
-------------------------------------------------------------
* One row per AUTHOR. Rows with the same "STT" (entry number, a whole number from 1) form one
  entry, in the order their first row appears. A co-author row may leave "STT" empty: it then
  belongs to the entry of the row above, provided its entry columns are empty or repeat it.
* Entry columns, read from the entry's rows (co-author rows may leave them empty; a value
  repeated on another row must agree): "STT", "Tên tệp" (the document in the zip: .docx, .pdf,
  .odt or .txt; the script for audio/video categories), "Tệp âm thanh/video" (mp3/mp4 in the
  zip; required for audio/video categories and refused for written ones), "Tên tác phẩm",
  "Thể loại" (a category's name or code, compared without case, spacing or diacritics),
  "Bút danh" (optional).
* Author columns: "Họ và tên", "Ngày sinh" (an Excel date, text dd/mm/yyyy, or a year yyyy),
  "Chức vụ", "Đơn vị", "Địa chỉ", "Điện thoại", "E-mail", "Số CCCD" (12 digits, or a 9-digit
  CMND), "Vai trò" ("Tác giả" / "Đồng tác giả"; when no row says "Tác giả", the entry's first
  row is the main author).
* Required columns: STT, Tên tệp, Tên tác phẩm, Thể loại, Họ và tên. Headers are matched
  without case, spacing, punctuation or diacritics, and English names are accepted
  (:data:`TEMPLATE_COLUMNS` lists them). The header row is the row among the first ten of a
  sheet that names the most known columns; other columns are ignored.
* Refused: formulas and merged cells in the header or data rows (named by cell), more than
  ``BatchLimits.max_rows`` rows. Fully empty rows and rows whose STT is "Ví dụ" / "Example"
  (the template's examples) are skipped. Text is trimmed and put in NFC.
* Numbers typed into number cells lose leading zeros: a numeric CCCD of 10-11 digits is
  padded to 12, a numeric phone of 9 digits gets its leading 0 back.

Files in the zip are matched to "Tên tệp" by path, then by file name alone when that is
unique, without case and NFC/NFD-insensitively. Zip names without the UTF-8 flag are read as
UTF-8 when valid, else CP437 (Windows 1258 is tried too when matching). ``__MACOSX/``,
dotfiles and Office lock files (``~$...``) are ignored.

Checks: the zip guard (paths, links, encryption, member count, total size, compression
ratio), each entry's file (present, size, type, text extraction with contest.extract, word
limits for written categories), category, media file, co-author count per category kind,
dates, e-mail, CCCD, phone (a notice only), entries per author within the batch (one person
= same e-mail, or same name and birth date), and duplicates by SHA-256 of each file against
``existing_fingerprints`` and inside the batch.

Memory: :func:`plan_batch` reads each entry's files from the zip when it plans that entry
and keeps the bytes only on entries that end up ``ok`` (the import needs them); the bytes of
refused entries are dropped. :func:`read_batch` returns every file and suits small batches.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import re
import stat
import warnings
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from contest.extract import (
    DEFAULT_LIMITS,
    ZIP_ERRORS,
    ExtractionError,
    Limits,
    detect_format,
    extract,
    warning_message,
)
from contest.problems import Problem
from contest.rules import MEDIA_FILE_TYPES, SUPPORTED_FILE_TYPES
from contest.vntext import nfc, strip_diacritics

__all__ = [
    "DEFAULT_BATCH_LIMITS",
    "TEMPLATE_COLUMNS",
    "AuthorRow",
    "BatchError",
    "BatchLimits",
    "BatchPlan",
    "CategoryInfo",
    "ColumnSpec",
    "ContestLimits",
    "PlannedEntry",
    "TemplateError",
    "plan_batch",
    "plan_report_rows",
    "read_batch",
    "report_headers",
    "template_xlsx",
]

MIB = 1024 * 1024
GIB = 1024 * MIB

# ---------------------------------------------------------------- limits


@dataclass(frozen=True)
class CategoryInfo:
    """A contest category as the import sees it."""

    code: str
    name: str
    kind: str = "written"  # "written" | "media"


@dataclass(frozen=True)
class ContestLimits:
    """The contest's rules an import must respect (plain values from the Contest row)."""

    categories: Mapping[str, CategoryInfo]  # by code
    min_words: int = 0
    max_words: int | None = None
    max_coauthors: int = 2
    max_media_coauthors: int = 3
    allowed_file_types: tuple[str, ...] = SUPPORTED_FILE_TYPES
    max_file_bytes: int = 20 * MIB
    max_entries_per_author: int = 2
    max_media_entries_per_author: int = 3
    max_media_bytes: int = 1 * GIB

    @classmethod
    def with_categories(cls, categories: Iterable[CategoryInfo], **settings: Any) -> ContestLimits:
        """Build limits from a list of categories (keyed by their code) and other settings."""
        return cls(categories={c.code: c for c in categories}, **settings)


@dataclass(frozen=True)
class BatchLimits:
    """Caps on the uploaded archive and manifest, checked before anything is parsed."""

    max_members: int = 5_000
    max_total_bytes: int = 2 * GIB  # declared uncompressed total of the zip
    max_ratio: float = 100.0  # declared size / compressed size of any member over 1 MiB
    max_rows: int = 20_000  # data rows of the manifest
    max_manifest_bytes: int = 20 * MIB  # the .xlsx file itself
    max_manifest_uncompressed: int = 200 * MIB  # its parts once unzipped


DEFAULT_BATCH_LIMITS = BatchLimits()
_RATIO_FLOOR = MIB  # small members cannot hurt whatever their ratio
_HEADER_SCAN_ROWS = 10
_HEADER_SCAN_COLUMNS = 200
_LIST_LIMIT = 10  # names shown in one message

# ---------------------------------------------------------------- messages

_MESSAGES: dict[str, tuple[str, str]] = {
    "batch_changed": (
        "Tệp “{name}” trong lô đã khác lúc kiểm tra; hãy kiểm tra (chạy thử) lại.",
        "The file “{name}” in the batch changed since it was checked; run the dry run again.",
    ),
    # the archive
    "not_zip": (
        "Tệp tải lên không phải tệp .zip hợp lệ. Hãy nén các tệp bài dự thi (và bảng kê) thành một tệp .zip rồi tải lên.",
        "The upload is not a valid .zip file. Please put the entry files (and the manifest) into one .zip file and upload it.",
    ),
    "upload_is_workbook": (
        "Tệp tải lên là bảng tính Excel chứ không phải tệp .zip. Hãy tải bảng kê vào ô bảng kê và các tệp bài dự thi trong một tệp .zip.",
        "The upload is an Excel workbook, not a .zip file. Please upload the manifest as the manifest and the entry files in one .zip file.",
    ),
    "zip_empty": (
        "Tệp .zip không chứa tệp nào. Hãy kiểm tra lại tệp nén.",
        "The .zip file holds no files. Please check the archive.",
    ),
    "zip_too_many_members": (
        "Tệp .zip chứa quá nhiều tệp ({count}, tối đa {limit}). Hãy chia thành nhiều đợt nhập.",
        "The .zip file holds too many files ({count}, at most {limit}). Please split it into several batches.",
    ),
    "zip_unsafe_path": (
        "Tệp .zip chứa đường dẫn không an toàn ({members}); tệp không được đọc. Hãy nén lại các tệp từ một thư mục thường.",
        "The .zip file contains unsafe paths ({members}); it was not read. Please zip the files again from an ordinary folder.",
    ),
    "zip_symlink": (
        "Tệp .zip chứa liên kết tượng trưng ({members}); tệp không được đọc. Hãy nén lại các tệp thật.",
        "The .zip file contains symbolic links ({members}); it was not read. Please zip the real files again.",
    ),
    "zip_encrypted": (
        "Tệp .zip có tệp được đặt mật khẩu ({members}). Hãy nén lại không đặt mật khẩu.",
        "The .zip file has password-protected files ({members}). Please zip them again without a password.",
    ),
    "zip_too_large": (
        "Tệp .zip khi giải nén quá lớn ({size_mib} MiB, tối đa {limit_mib} MiB). Hãy chia thành nhiều đợt nhập.",
        "The .zip file expands to too much data ({size_mib} MiB, at most {limit_mib} MiB). Please split it into several batches.",
    ),
    "zip_bomb": (
        "Tệp {member} trong .zip bị nén bất thường (tỉ lệ {ratio}:1, tối đa {limit}:1), dấu hiệu của bom nén; tệp .zip không được đọc.",
        "{member} in the .zip is abnormally compressed (ratio {ratio}:1, at most {limit}:1), the mark of a zip bomb; the .zip was not read.",
    ),
    "zip_duplicate_name": (
        "Tệp .zip có các tệp trùng tên khi không phân biệt hoa thường: {members}. Hãy đổi tên để mỗi tệp có tên riêng.",
        "The .zip file has files whose names differ only in case or accents: {members}. Please rename them so each name is unique.",
    ),
    "member_unreadable": (
        "Tệp “{name}” trong .zip bị hỏng, không giải nén được.",
        "The file “{name}” in the .zip is damaged and cannot be unpacked.",
    ),
    "manifest_missing": (
        "Không tìm thấy bảng kê (.xlsx) trong tệp .zip. Hãy thêm bảng kê theo mẫu hoặc tải bảng kê riêng.",
        "No manifest (.xlsx) was found in the .zip file. Please add the manifest made from the template, or upload it separately.",
    ),
    "manifest_ambiguous": (
        "Tệp .zip có nhiều bảng kê .xlsx ({names}). Hãy chỉ để lại một bảng kê.",
        "The .zip file holds several .xlsx manifests ({names}). Please keep only one.",
    ),
    "manifest_not_xlsx": (
        "Bảng kê {name} không phải tệp Excel .xlsx. Hãy mở bằng Excel, chọn Lưu thành “Excel Workbook (.xlsx)” rồi tải lên.",
        "The manifest {name} is not an Excel .xlsx file. Please open it in Excel, save it as “Excel Workbook (.xlsx)” and upload it.",
    ),
    "manifest_too_large": (
        "Bảng kê {name} quá lớn ({size_mib} MiB, tối đa {limit_mib} MiB). Hãy chia thành nhiều đợt nhập.",
        "The manifest {name} is too large ({size_mib} MiB, at most {limit_mib} MiB). Please split it into several batches.",
    ),
    "manifest_unreadable": (
        "Không đọc được bảng kê {name}: tệp bị hỏng hoặc không phải bảng tính Excel. Hãy mở bằng Excel, lưu lại rồi tải lên.",
        "The manifest {name} cannot be read: it is damaged or not an Excel workbook. Please open it in Excel, save it again and upload it.",
    ),
    "manifest_unsafe": (
        "Bảng kê {name} chứa khai báo XML không được phép (DOCTYPE/ENTITY); tệp có thể độc hại nên không được đọc. Hãy nhập lại dữ liệu vào bảng kê mẫu.",
        "The manifest {name} contains a forbidden XML declaration (DOCTYPE/ENTITY); it may be hostile and was not read. Please copy the data into the template.",
    ),
    "missing_columns": (
        "Bảng kê thiếu cột bắt buộc: {columns_vi}. Hãy dùng bảng kê mẫu và giữ nguyên dòng tiêu đề.",
        "The manifest lacks required columns: {columns_en}. Please use the template and keep its header row.",
    ),
    "duplicate_column": (
        "Bảng kê có cột “{column}” xuất hiện nhiều lần (ô {cells}). Hãy giữ lại một cột.",
        "The manifest has the column “{column}” more than once (cells {cells}). Please keep only one.",
    ),
    "manifest_too_many_rows": (
        "Bảng kê có {rows} dòng dữ liệu (tối đa {limit}). Hãy chia thành nhiều đợt nhập hoặc xoá các dòng trống đã định dạng ở cuối bảng.",
        "The manifest has {rows} data rows (at most {limit}). Please split it into several batches or delete formatted empty rows at its end.",
    ),
    "manifest_empty": (
        "Bảng kê không có dòng dữ liệu nào dưới dòng tiêu đề.",
        "The manifest has no data rows under its header row.",
    ),
    "manifest_formulas": (
        "Bảng kê có {count} ô chứa công thức ({cells}). Hãy sao chép và dán dưới dạng giá trị (Paste Values) rồi tải lên lại.",
        "The manifest has {count} cells with formulas ({cells}). Please copy them and paste as values, then upload again.",
    ),
    "manifest_merged_cells": (
        "Bảng kê có {count} vùng ô bị gộp ({ranges}). Hãy bỏ gộp ô (Unmerge) và điền giá trị vào từng dòng.",
        "The manifest has {count} merged cell ranges ({ranges}). Please unmerge them and fill in every row.",
    ),
    "number_missing": (
        "Dòng {row}: thiếu STT. Hãy ghi số thứ tự tác phẩm cho dòng này.",
        "Row {row}: the entry number (STT) is missing. Please fill it in.",
    ),
    "bad_number": (
        "Ô {cell}: STT “{value}” không phải số nguyên dương.",
        "Cell {cell}: the entry number “{value}” is not a positive whole number.",
    ),
    "files_unused": (
        "{count} tệp trong .zip không có trong bảng kê và sẽ không được nhập: {names}.",
        "{count} files in the .zip are not named in the manifest and will not be imported: {names}.",
    ),
    # an entry
    "value_missing": (
        "Dòng {row}: thiếu “{column_vi}”.",
        "Row {row}: “{column_en}” is missing.",
    ),
    "entry_field_conflict": (
        "Các dòng {rows} của cùng tác phẩm ghi “{column_vi}” khác nhau ({values}). Hãy thống nhất hoặc để trống ở dòng đồng tác giả.",
        "Rows {rows} of the same entry give different “{column_en}” values ({values}). Please make them agree or leave co-author rows empty.",
    ),
    "unknown_category": (
        "Dòng {row}: thể loại “{value}” không có trong cuộc thi (có: {known}).",
        "Row {row}: the category “{value}” is not in this contest (known: {known}).",
    ),
    "category_ambiguous": (
        "Dòng {row}: thể loại “{value}” khớp với nhiều thể loại; hãy ghi mã thể loại.",
        "Row {row}: the category “{value}” matches several categories; please give the category code.",
    ),
    "file_missing": (
        "Dòng {row}: không tìm thấy tệp “{name}” trong .zip.",
        "Row {row}: the file “{name}” is not in the .zip.",
    ),
    "file_ambiguous": (
        "Dòng {row}: tên tệp “{name}” khớp với nhiều tệp trong .zip ({matches}); hãy ghi cả thư mục.",
        "Row {row}: the file name “{name}” matches several files in the .zip ({matches}); please include the folder.",
    ),
    "file_unreadable": (
        "Dòng {row}: tệp “{name}” trong .zip bị hỏng, không giải nén được.",
        "Row {row}: the file “{name}” in the .zip is damaged and cannot be unpacked.",
    ),
    "file_too_large": (
        "Dòng {row}: tệp “{name}” quá lớn ({size_mib} MiB, tối đa {limit_mib} MiB).",
        "Row {row}: the file “{name}” is too large ({size_mib} MiB, at most {limit_mib} MiB).",
    ),
    "file_type_not_allowed": (
        "Dòng {row}: cuộc thi không nhận tệp {format} (“{name}”); chỉ nhận: {allowed}.",
        "Row {row}: this contest does not accept {format} files (“{name}”); it accepts: {allowed}.",
    ),
    "too_few_words": (
        "Dòng {row}: bài có {words} chữ, ít hơn mức tối thiểu {limit} chữ.",
        "Row {row}: the entry has {words} words, fewer than the minimum of {limit}.",
    ),
    "too_many_words": (
        "Dòng {row}: bài có {words} chữ, vượt mức tối đa {limit} chữ.",
        "Row {row}: the entry has {words} words, more than the maximum of {limit}.",
    ),
    "media_missing": (
        "Dòng {row}: thể loại “{category}” cần tệp âm thanh/video (mp3, mp4) kèm kịch bản.",
        "Row {row}: the category “{category}” needs an audio/video file (mp3, mp4) with the script.",
    ),
    "media_unexpected": (
        "Dòng {row}: thể loại “{category}” là bài viết, không nhận tệp âm thanh/video (“{name}”).",
        "Row {row}: “{category}” is a written category and takes no audio/video file (“{name}”).",
    ),
    "media_bad_type": (
        "Dòng {row}: tệp “{name}” không phải tệp mp3 hoặc mp4.",
        "Row {row}: the file “{name}” is not an mp3 or mp4 file.",
    ),
    "too_many_coauthors": (
        "Tác phẩm ở dòng {row} có {count} đồng tác giả; bài viết được tối đa {limit}.",
        "The entry at row {row} has {count} co-authors; a written entry may have at most {limit}.",
    ),
    "too_many_media_coauthors": (
        "Tác phẩm ở dòng {row} có {count} đồng tác giả; tác phẩm âm thanh, video được tối đa {limit}.",
        "The entry at row {row} has {count} co-authors; an audio/video entry may have at most {limit}.",
    ),
    "two_main_authors": (
        "Các dòng {rows} cùng ghi vai trò “Tác giả”; mỗi tác phẩm chỉ có một tác giả chính.",
        "Rows {rows} all say “Author”; an entry has one main author.",
    ),
    "author_repeated": (
        "Tác giả {name} được ghi nhiều lần trong cùng tác phẩm (dòng {rows}).",
        "The author {name} is listed more than once in the same entry (rows {rows}).",
    ),
    "author_name_missing": (
        "Ô {cell}: thiếu họ và tên tác giả.",
        "Cell {cell}: the author's full name is missing.",
    ),
    "bad_date": (
        "Ô {cell}: ngày sinh “{value}” không hợp lệ; hãy ghi dd/mm/yyyy hoặc năm sinh yyyy.",
        "Cell {cell}: the birth date “{value}” is not valid; please write dd/mm/yyyy or a year yyyy.",
    ),
    "birth_date_future": (
        "Ô {cell}: ngày sinh “{value}” ở tương lai.",
        "Cell {cell}: the birth date “{value}” is in the future.",
    ),
    "birth_date_too_early": (
        "Ô {cell}: ngày sinh “{value}” trước năm 1900, có lẽ bị gõ nhầm.",
        "Cell {cell}: the birth date “{value}” is before 1900; it is probably a typing error.",
    ),
    "bad_email": (
        "Ô {cell}: địa chỉ e-mail “{value}” không hợp lệ.",
        "Cell {cell}: the e-mail address “{value}” is not valid.",
    ),
    "bad_id_number": (
        "Ô {cell}: số CCCD “{value}” phải gồm 12 chữ số (hoặc CMND 9 chữ số).",
        "Cell {cell}: the ID number “{value}” must have 12 digits (or 9 for an old ID card).",
    ),
    "bad_role": (
        "Ô {cell}: vai trò “{value}” không hợp lệ; hãy ghi “Tác giả” hoặc “Đồng tác giả”.",
        "Cell {cell}: the role “{value}” is not valid; please write “Tác giả” (author) or “Đồng tác giả” (co-author).",
    ),
    "phone_unusual": (
        "Ô {cell}: số điện thoại “{value}” có dạng bất thường; hãy kiểm tra lại.",
        "Cell {cell}: the phone number “{value}” looks unusual; please check it.",
    ),
    "duplicate_existing": (
        "Dòng {row}: tệp “{name}” trùng với bài đã có (số biên nhận {receipt}).",
        "Row {row}: the file “{name}” is the same as an existing entry (receipt {receipt}).",
    ),
    "duplicate_in_batch": (
        "Dòng {row}: tệp “{name}” trùng với tệp của tác phẩm ở dòng {first_row} trong cùng đợt nhập.",
        "Row {row}: the file “{name}” is the same as the file of the entry at row {first_row} in this batch.",
    ),
    "too_many_written_entries": (
        "Dòng {row}: tác giả {name} đã có {limit} bài viết trong đợt nhập (dòng {rows}); mỗi tác giả được tối đa {limit}.",
        "Row {row}: the author {name} already has {limit} written entries in this batch (rows {rows}); the limit is {limit} per author.",
    ),
    "too_many_media_entries": (
        "Dòng {row}: tác giả {name} đã có {limit} tác phẩm âm thanh, video trong đợt nhập (dòng {rows}); mỗi tác giả được tối đa {limit}.",
        "Row {row}: the author {name} already has {limit} audio/video entries in this batch (rows {rows}); the limit is {limit} per author.",
    ),
    # the template
    "no_categories": (
        "Cuộc thi chưa có thể loại nào; hãy thêm thể loại trước khi tải bảng kê mẫu.",
        "The contest has no categories yet; please add them before downloading the template.",
    ),
}


def _problem(code: str, field_: str | None = None, **params: Any) -> Problem:
    vi, en = _MESSAGES[code]
    return Problem(code, vi, en, {k: _plain(v) for k, v in params.items()}, field_)


def _plain(value: Any) -> Any:
    return value if isinstance(value, int | float) else str(value)


def _braces(text: str) -> str:
    """Escape a finished sentence so Problem.message's str.format leaves it alone."""
    return text.replace("{", "{{").replace("}", "}}")


def _extraction_problem(exc: ExtractionError, row: int) -> Problem:
    return Problem(
        "extract_" + exc.code,
        f"Dòng {row}: " + _braces(exc.message("vi")),
        f"Row {row}: " + _braces(exc.message("en")),
        {"row": row, **exc.params},
        "file_name",
    )


class BatchError(Exception):
    """An error raised by this module; ``code`` names it, ``params`` fill the sentence."""

    def __init__(self, code: str, **params: Any) -> None:
        self.code = code
        self.params = {k: _plain(v) for k, v in params.items()}
        super().__init__(self.message("en"))

    def message(self, lang: str = "vi") -> str:
        """Return the error as one sentence in Vietnamese (default) or English."""
        vi, en = _MESSAGES[self.code]
        return (en if str(lang).startswith("en") else vi).format(**self.params)


class TemplateError(BatchError):
    """The template cannot be made (the contest has no categories)."""


# ---------------------------------------------------------------- columns


@dataclass(frozen=True)
class ColumnSpec:
    """One manifest column: its Vietnamese header, English name, and how to fill it."""

    key: str
    vi: str  # the template's header
    en: str  # the English header, accepted on import too
    required: bool
    width: int
    note_vi: str
    note_en: str
    level: str  # "entry" | "author"
    aliases: tuple[str, ...] = ()  # other spellings accepted on import


TEMPLATE_COLUMNS: list[ColumnSpec] = [
    ColumnSpec("number", "STT", "No.", True, 7,
               "Số thứ tự tác phẩm (1, 2, 3...). Các dòng cùng STT là các tác giả của cùng một tác phẩm; dòng đồng tác giả có thể để trống STT nếu nằm ngay dưới.",
               "Entry number (1, 2, 3...). Rows with the same number are the authors of one entry; a co-author row right below may leave it empty.",
               "entry", ("Số thứ tự", "Number", "Entry number", "Entry no")),
    ColumnSpec("file_name", "Tên tệp", "File", True, 28,
               "Tên tệp bài dự thi trong tệp .zip (.docx, .pdf, .odt, .txt); với thể loại âm thanh, video là tệp kịch bản.",
               "Name of the entry's document in the .zip (.docx, .pdf, .odt, .txt); for audio/video categories, the script.",
               "entry", ("Tên file", "Tệp", "File name", "Filename", "Tệp bài dự thi", "Document")),
    ColumnSpec("media_name", "Tệp âm thanh/video", "Media file", False, 24,
               "Chỉ với thể loại âm thanh, video: tên tệp mp3 hoặc mp4 trong tệp .zip.",
               "Audio/video categories only: name of the mp3 or mp4 file in the .zip.",
               "entry", ("Tệp âm thanh", "Tệp video", "Audio/video file", "Audio file", "Video file", "Media")),
    ColumnSpec("title", "Tên tác phẩm", "Title", True, 40,
               "Tên tác phẩm dự thi.", "The entry's title.",
               "entry", ("Tên bài", "Tên bài dự thi", "Tiêu đề", "Tác phẩm", "Work title")),
    ColumnSpec("category", "Thể loại", "Category", True, 18,
               "Chọn trong danh sách (tên hoặc mã thể loại của cuộc thi).",
               "Choose from the list (the name or code of one of the contest's categories).",
               "entry", ("Loại", "Thể loại dự thi")),
    ColumnSpec("pen_name", "Bút danh", "Pen name", False, 16,
               "Không bắt buộc.", "Optional.", "entry", ("Pseudonym",)),
    ColumnSpec("full_name", "Họ và tên", "Full name", True, 24,
               "Họ và tên tác giả của dòng này.", "Full name of this row's author.",
               "author", ("Họ tên", "Tên tác giả", "Họ và tên tác giả", "Name", "Author")),
    ColumnSpec("birth", "Ngày sinh", "Birth date", False, 12,
               "Ô ngày của Excel, hoặc gõ dd/mm/yyyy, hoặc chỉ năm sinh yyyy.",
               "An Excel date, or text dd/mm/yyyy, or the year of birth yyyy.",
               "author", ("Ngày tháng năm sinh", "Năm sinh", "Date of birth", "Birthdate", "Birth year", "DOB")),
    ColumnSpec("position", "Chức vụ", "Position", False, 18, "Không bắt buộc.", "Optional.",
               "author", ("Chức danh", "Job title")),
    ColumnSpec("unit", "Đơn vị", "Unit", False, 24, "Cơ quan, đơn vị công tác.",
               "Employer or organisation.", "author",
               ("Cơ quan", "Đơn vị công tác", "Organisation", "Organization")),
    ColumnSpec("address", "Địa chỉ", "Address", False, 28, "Địa chỉ liên hệ.",
               "Contact address.", "author", ("Địa chỉ liên hệ",)),
    ColumnSpec("phone", "Điện thoại", "Phone", False, 14,
               "Số điện thoại (ô dạng văn bản để giữ số 0 đầu).",
               "Phone number (a text cell keeps the leading 0).",
               "author", ("Số điện thoại", "SĐT", "Telephone", "Phone number", "Tel")),
    ColumnSpec("email", "E-mail", "Email", False, 26, "Địa chỉ thư điện tử.",
               "E-mail address.", "author", ("Thư điện tử", "Địa chỉ email", "E-mail address")),
    ColumnSpec("id_number", "Số CCCD", "ID number", False, 16,
               "Không bắt buộc: 12 chữ số (CMND cũ: 9 chữ số).",
               "Optional: 12 digits (old ID card: 9 digits).",
               "author", ("CCCD", "Số CMND", "CMND", "CCCD/CMND", "Số CCCD/CMND", "Căn cước", "ID card", "National ID")),
    ColumnSpec("role", "Vai trò", "Role", False, 14,
               "“Tác giả” hoặc “Đồng tác giả”; để trống thì dòng đầu của tác phẩm là tác giả chính.",
               "“Tác giả” (author) or “Đồng tác giả” (co-author); if empty, the entry's first row is the main author.",
               "author", ("Vai trò tác giả", "Author role")),
]  # fmt: skip

_COLUMNS_BY_KEY = {c.key: c for c in TEMPLATE_COLUMNS}
_ENTRY_KEYS = tuple(c.key for c in TEMPLATE_COLUMNS if c.level == "entry" and c.key != "number")
_PATH_KEYS = ("file_name", "media_name")  # compared as paths, spacing kept


def _norm_key(text: Any) -> str:
    """Lower-case ASCII letters and digits only: "Tệp âm thanh/video" -> "tepamthanhvideo"."""
    return re.sub(r"[^0-9a-z]+", "", strip_diacritics(nfc(str(text))).casefold())


def _header_index() -> dict[str, str]:
    index: dict[str, str] = {}
    for col in TEMPLATE_COLUMNS:
        for label in (col.vi, col.en, *col.aliases):
            index[_norm_key(label)] = col.key
    return index


_HEADERS = _header_index()
_EXAMPLE_MARKERS = frozenset({"vidu", "example"})
_ROLE_VALUES = {
    "tacgia": "author", "tacgiachinh": "author", "author": "author", "mainauthor": "author",
    "dongtacgia": "coauthor", "coauthor": "coauthor", "dongtg": "coauthor",
}  # fmt: skip

# ---------------------------------------------------------------- data


@dataclass
class AuthorRow:
    """One author of an entry, as read from one manifest row."""

    full_name: str
    birth_date: date | None
    birth_year: int | None
    position: str
    unit: str
    address: str
    phone: str
    email: str
    id_number: str
    role: str  # "author" | "coauthor"
    row: int = 0  # the manifest row it came from


@dataclass
class PlannedEntry:
    """One entry of the batch: what the import would create, and why it cannot (problems)."""

    row_numbers: list[int]
    number: int  # STT
    file_name: str
    media_name: str | None
    title: str
    category_code: str | None
    pen_name: str
    authors: list[AuthorRow]
    category_name: str = ""
    file_bytes: bytes | None = field(default=None, repr=False)
    media_bytes: bytes | None = field(default=None, repr=False)
    sha256: str | None = None
    media_sha256: str | None = None
    words: int | None = None
    text: str | None = field(default=None, repr=False)
    format: str | None = None
    warnings: list[str] = field(default_factory=list)  # extraction warning codes
    hidden_text: list[str] = field(default_factory=list, repr=False)  # for anonymisation
    metadata: dict[str, str] = field(default_factory=dict, repr=False)  # for anonymisation
    problems: list[Problem] = field(default_factory=list)
    notices: list[Problem] = field(default_factory=list)  # shown, never blocking
    duplicate_of: str | None = None  # a receipt number, or "row N" inside the batch
    member_name: str | None = None  # the matched path inside the zip
    media_member_name: str | None = None

    @property
    def ok(self) -> bool:
        """True when nothing stops this entry from being created."""
        return not self.problems

    @property
    def status(self) -> str:
        """ "create", "duplicate" or "error", for the dry-run table."""
        if self.ok:
            return "create"
        return "duplicate" if self.duplicate_of is not None else "error"


@dataclass
class BatchPlan:
    """The whole dry run: every entry, batch-level problems and notices, the batch's hash."""

    entries: list[PlannedEntry]
    problems: list[Problem]
    batch_sha256: str
    notices: list[Problem] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when there is no problem anywhere: the import may go ahead."""
        return bool(self.entries) and not self.problems and all(e.ok for e in self.entries)

    def summary(self) -> dict[str, Any]:
        """Counts for the page heading and the audit log."""
        by_category: dict[str, int] = {}
        for e in self.entries:
            if e.category_code is not None:
                by_category[e.category_code] = by_category.get(e.category_code, 0) + 1
        return {
            "entries": len(self.entries),
            "create": sum(e.status == "create" for e in self.entries),
            "errors": sum(e.status == "error" for e in self.entries),
            "duplicates": sum(e.status == "duplicate" for e in self.entries),
            "authors": sum(len(e.authors) for e in self.entries),
            "words": sum(e.words or 0 for e in self.entries),
            "batch_problems": len(self.problems),
            "by_category": by_category,
            "batch_sha256": self.batch_sha256,
            "ok": self.ok,
        }


# ---------------------------------------------------------------- the archive


def _match_key(name: str) -> str:
    return nfc(nfc(name.replace("\\", "/").strip().lstrip("./")).casefold())


def _basename(path: str) -> str:
    return path.rsplit("/", 1)[-1]


@dataclass
class _Member:
    info: zipfile.ZipInfo
    name: str  # decoded, NFC
    keys: tuple[str, ...]  # match keys of every plausible decoding


def _decode_name(info: zipfile.ZipInfo) -> tuple[str, tuple[str, ...]]:
    """The display name and the match keys of a member, trying the encodings Windows uses."""
    if info.flag_bits & 0x800:
        name = nfc(info.filename)
        return name, (_match_key(name),)
    try:
        raw = info.filename.encode("cp437")  # zipfile decoded the raw bytes as CP437
    except UnicodeEncodeError:
        name = nfc(info.filename)
        return name, (_match_key(name),)
    try:
        name = nfc(raw.decode("utf-8"))  # most tools write UTF-8 without setting the flag
    except UnicodeDecodeError:
        name = nfc(info.filename)
    readings = [name]
    with contextlib.suppress(UnicodeDecodeError):
        readings.append(nfc(raw.decode("cp1258")))  # Vietnamese Windows' own code page
    readings.append(nfc(info.filename))
    return name, tuple(dict.fromkeys(_match_key(r) for r in readings))


def _unsafe(name: str) -> bool:
    if "\x00" in name or name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name):
        return True
    return ".." in re.split(r"[\\/]", name)


def _ignored(name: str) -> bool:
    parts = [p for p in name.split("/") if p]
    if not parts:
        return True
    if any(p.startswith(".") or p == "__MACOSX" for p in parts):
        return True
    base = parts[-1]
    return base.startswith("~$") or base.lower() in ("thumbs.db", "desktop.ini")


def _listed(names: Sequence[str]) -> str:
    shown = ", ".join(names[:_LIST_LIMIT])
    return shown + (", …" if len(names) > _LIST_LIMIT else "")


class _Archive:
    """A zip that passed the guard; members are read one at a time, when needed."""

    def __init__(self, zf: zipfile.ZipFile, members: list[_Member]) -> None:
        self.zf = zf
        self.members = members
        self.by_key: dict[str, list[_Member]] = {}
        self.by_base: dict[str, list[_Member]] = {}
        for m in members:
            for key in m.keys:
                self.by_key.setdefault(key, []).append(m)
                base = _basename(key)
                bucket = self.by_base.setdefault(base, [])
                if m not in bucket:
                    bucket.append(m)

    def find(self, name: str) -> tuple[_Member | None, list[_Member]]:
        """The member named ``name`` (by path, else by unique file name) and, when the
        name is ambiguous, every candidate."""
        key = _match_key(name)
        exact = self.by_key.get(key, [])
        if len(exact) == 1:
            return exact[0], []
        if len(exact) > 1:
            return None, exact
        by_base = self.by_base.get(_basename(key), []) if "/" not in key else []
        if len(by_base) == 1:
            return by_base[0], []
        return None, by_base

    def read(self, member: _Member) -> bytes:
        """The member's bytes; raises zipfile.BadZipFile when damaged or larger than declared."""
        size = member.info.file_size
        try:
            with self.zf.open(member.info) as handle:
                data = handle.read(size + 1)
        except ZIP_ERRORS:
            raise zipfile.BadZipFile(member.name) from None
        if len(data) != size:
            raise zipfile.BadZipFile(member.name)
        return data


def _open_archive(data: bytes, limits: BatchLimits) -> tuple[_Archive | None, list[Problem]]:
    """Open and check the uploaded zip; on any problem return no archive."""
    if data[:4] not in (b"PK\x03\x04", b"PK\x05\x06"):
        return None, [_problem("not_zip")]
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except ZIP_ERRORS:
        return None, [_problem("not_zip")]
    members, problems = _checked_members(zf.infolist(), limits)
    if problems:
        zf.close()
        return None, problems
    return _Archive(zf, members), []


def _checked_members(
    infos: list[zipfile.ZipInfo], limits: BatchLimits
) -> tuple[list[_Member], list[Problem]]:
    """The members worth reading, or the problems that refuse the whole archive."""
    names = {i.filename for i in infos}
    if "[Content_Types].xml" in names and "xl/workbook.xml" in names:
        return [], [_problem("upload_is_workbook")]
    if len(infos) > limits.max_members:
        return [], [_problem("zip_too_many_members", count=len(infos), limit=limits.max_members)]
    unsafe, links, encrypted = [], [], []
    total = 0
    for info in infos:
        if _unsafe(info.filename):
            unsafe.append(info.filename)
        elif stat.S_ISLNK(info.external_attr >> 16):
            links.append(info.filename)
        elif info.flag_bits & 0x1:
            encrypted.append(info.filename)
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > _RATIO_FLOOR and ratio > limits.max_ratio:
            return [], [
                _problem(
                    "zip_bomb",
                    member=info.filename,
                    ratio=f"{ratio:.0f}",
                    limit=f"{limits.max_ratio:g}",
                )
            ]
    problems = []
    if unsafe:
        problems.append(_problem("zip_unsafe_path", members=_listed(unsafe)))
    if links:
        problems.append(_problem("zip_symlink", members=_listed(links)))
    if encrypted:
        problems.append(_problem("zip_encrypted", members=_listed(encrypted)))
    if total > limits.max_total_bytes:
        problems.append(
            _problem(
                "zip_too_large",
                size_mib=f"{total / MIB:.1f}",
                limit_mib=f"{limits.max_total_bytes / MIB:g}",
            )
        )
    if problems:
        return [], problems
    members = []
    for info in infos:
        if info.is_dir():
            continue
        name, keys = _decode_name(info)
        if not _ignored(name):
            members.append(_Member(info, name, keys))
    if not members:
        return [], [_problem("zip_empty")]
    seen: dict[str, str] = {}
    clashes: list[str] = []
    for m in members:
        key = m.keys[0]
        if key in seen:
            clashes.extend([seen[key], m.name])
        seen[key] = m.name
    if clashes:
        return [], [_problem("zip_duplicate_name", members=_listed(list(dict.fromkeys(clashes))))]
    return members, []


def _is_manifest_name(name: str) -> bool:
    return name.lower().endswith(".xlsx")


def _split_manifest(
    archive: _Archive, manifest_bytes: bytes | None, manifest_name: str | None
) -> tuple[bytes | None, str, list[_Member], list[Problem]]:
    """Return the manifest bytes and name, the other members, and any problem finding it."""
    if manifest_bytes is not None:
        return manifest_bytes, manifest_name or "manifest.xlsx", archive.members, []
    sheets = [m for m in archive.members if _is_manifest_name(m.name)]
    rest = [m for m in archive.members if m not in sheets]
    if len(sheets) > 1:
        return (
            None,
            "",
            rest,
            [_problem("manifest_ambiguous", names=_listed([m.name for m in sheets]))],
        )
    if not sheets:
        other = [m for m in rest if m.name.lower().endswith((".xls", ".xlsm", ".ods", ".csv"))]
        if len(other) == 1:
            return None, "", rest, [_problem("manifest_not_xlsx", name=other[0].name)]
        return None, "", rest, [_problem("manifest_missing")]
    try:
        data = archive.read(sheets[0])
    except zipfile.BadZipFile:
        return None, "", rest, [_problem("manifest_unreadable", name=sheets[0].name)]
    return data, sheets[0].name, rest, []


def _batch_sha256(zip_bytes: bytes, manifest_bytes: bytes | None) -> str:
    """The zip's SHA-256; with a separate manifest, a hash of both hashes (order fixed)."""
    digest = hashlib.sha256(zip_bytes).hexdigest()
    if manifest_bytes is None:
        return digest
    combined = f"zip:{digest}\nmanifest:{hashlib.sha256(manifest_bytes).hexdigest()}\n"
    return hashlib.sha256(combined.encode()).hexdigest()


def read_batch(
    zip_bytes: bytes,
    *,
    manifest_bytes: bytes | None = None,
    manifest_name: str | None = None,
    limits: BatchLimits = DEFAULT_BATCH_LIMITS,
) -> tuple[dict[str, bytes], bytes, list[Problem]]:
    """Read an uploaded batch safely: its files by (decoded, NFC) path, the manifest bytes, and
    problems. With problems, the files and manifest may be empty.

    Refuses non-zip uploads, unsafe paths, symbolic links, encrypted members, too many
    members, too much data and zip bombs; ignores ``__MACOSX/``, dotfiles and Office lock
    files. Without ``manifest_bytes`` the single .xlsx inside the zip is the manifest.
    Every file is held in memory: :func:`plan_batch` reads lazily instead.
    """
    if manifest_bytes is not None:
        problems = _manifest_name_problems(manifest_bytes, manifest_name, limits)
        if problems:
            return {}, b"", problems
    archive, problems = _open_archive(zip_bytes, limits)
    if archive is None:
        return {}, b"", problems
    with archive.zf:
        data, _name, rest, problems = _split_manifest(archive, manifest_bytes, manifest_name)
        if data is None:
            return {}, b"", problems
        files: dict[str, bytes] = {}
        for m in rest:
            try:
                files[m.name] = archive.read(m)
            except zipfile.BadZipFile:
                problems.append(_problem("member_unreadable", name=m.name))
        return files, data, problems


# ---------------------------------------------------------------- the manifest


def _manifest_name_problems(data: bytes, name: str | None, limits: BatchLimits) -> list[Problem]:
    shown = name or "manifest"
    if name is not None and not _is_manifest_name(name):
        return [_problem("manifest_not_xlsx", name=shown)]
    if not data.startswith(b"PK\x03\x04"):
        return [_problem("manifest_not_xlsx", name=shown)]
    if len(data) > limits.max_manifest_bytes:
        return [
            _problem(
                "manifest_too_large",
                name=shown,
                size_mib=f"{len(data) / MIB:.1f}",
                limit_mib=f"{limits.max_manifest_bytes / MIB:g}",
            )
        ]
    return []


@dataclass
class _Cell:
    value: Any
    ref: str  # "D7"


@dataclass
class _Row:
    row: int
    cells: dict[str, _Cell]

    def text(self, key: str) -> str:
        cell = self.cells.get(key)
        return _text(cell.value, key) if cell is not None else ""

    def ref(self, key: str) -> str:
        cell = self.cells.get(key)
        return cell.ref if cell is not None else f"?{self.row}"


def _text(value: Any, key: str) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = nfc(str(value)).strip()
    # File names keep their inner spacing; everything else has its spaces collapsed.
    return text if key in _PATH_KEYS else " ".join(text.split())


@dataclass
class _Manifest:
    rows: list[_Row]
    problems: list[Problem]
    ignored_columns: list[str]


_FORBIDDEN_XML = (b"<!DOCTYPE", b"<!ENTITY")


def _declares_entities(part: bytes) -> bool:
    """True when an XML part declares a DOCTYPE or ENTITY, in UTF-8 or UTF-16."""
    if any(marker in part for marker in _FORBIDDEN_XML):
        return True
    if part[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in part[:4]:
        text = part.decode("utf-16", errors="ignore")
        return "<!DOCTYPE" in text or "<!ENTITY" in text
    return False


def _workbook_container_problems(data: bytes, name: str, limits: BatchLimits) -> list[Problem]:
    """Check the .xlsx container before openpyxl sees it: a workbook, within the size caps,
    and no DOCTYPE/ENTITY in any XML part (openpyxl's lxml path accepts them silently)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = zf.infolist()
            if "xl/workbook.xml" not in {i.filename for i in infos}:
                return [_problem("manifest_not_xlsx", name=name)]
            total = sum(i.file_size for i in infos)
            if len(infos) > limits.max_members or total > limits.max_manifest_uncompressed:
                return [
                    _problem(
                        "manifest_too_large",
                        name=name,
                        size_mib=f"{total / MIB:.1f}",
                        limit_mib=f"{limits.max_manifest_uncompressed / MIB:g}",
                    )
                ]
            for info in infos:
                if info.filename.lower().endswith((".xml", ".rels", ".vml")):
                    with zf.open(info) as handle:
                        part = handle.read(info.file_size + 1)
                    if _declares_entities(part):
                        return [_problem("manifest_unsafe", name=name)]
    except ZIP_ERRORS:
        return [_problem("manifest_unreadable", name=name)]
    return []


def _load_manifest(data: bytes, name: str, limits: BatchLimits) -> _Manifest:
    """Parse the manifest's header and data rows; problems stop at the first fatal one."""
    problems = _manifest_name_problems(data, name, limits)
    if problems:
        return _Manifest([], problems, [])
    problems = _workbook_container_problems(data, name, limits)
    if problems:
        return _Manifest([], problems, [])
    from openpyxl import load_workbook  # imported here: only imports pay for it

    try:
        # openpyxl warns about harmless extensions; the caller's warning filters must not
        # turn those into failures.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            wb = load_workbook(io.BytesIO(data), read_only=False, data_only=False, keep_links=False)
    except Exception:  # openpyxl raises many types on damaged files; all mean "unreadable"
        return _Manifest([], [_problem("manifest_unreadable", name=name)], [])
    try:
        return _read_sheet(wb, limits)
    finally:
        wb.close()


@dataclass
class _Header:
    ws: Any
    row: int
    columns: dict[int, str]  # column index -> key (the first of duplicates)
    cells: dict[str, list[str]]  # key -> header cells naming it
    unknown: list[str]  # headers not recognised, ignored


def _find_header(wb: Any) -> _Header | None:
    """The visible sheet's row (among its first ten) that names the most known columns."""
    best: _Header | None = None
    for ws in wb.worksheets:
        if ws.sheet_state != "visible":
            continue
        for r in range(1, min(ws.max_row, _HEADER_SCAN_ROWS) + 1):
            found = _Header(ws, r, {}, {}, [])
            for c in range(1, min(ws.max_column, _HEADER_SCAN_COLUMNS) + 1):
                cell = ws.cell(row=r, column=c)
                if cell.value is None or cell.data_type == "f":
                    continue
                key = _HEADERS.get(_norm_key(cell.value))
                if key is None:
                    found.unknown.append(nfc(str(cell.value)).strip())
                    continue
                if key not in found.cells:
                    found.columns[c] = key
                found.cells.setdefault(key, []).append(cell.coordinate)
            if best is None or len(found.cells) > len(best.cells):
                best = found
    # One known name is not a header row (the instructions sheet names one per row).
    return best if best is not None and len(best.cells) >= 2 else None


def _missing_columns(present: Iterable[str]) -> Problem:
    missing = [c for c in TEMPLATE_COLUMNS if c.required and c.key not in set(present)]
    return _problem(
        "missing_columns",
        columns_vi=", ".join(f"“{c.vi}”" for c in missing),
        columns_en=", ".join(f"“{c.vi}” ({c.en})" for c in missing),
    )


def _read_sheet(wb: Any, limits: BatchLimits) -> _Manifest:
    header = _find_header(wb)
    if header is None:
        return _Manifest([], [_missing_columns(())], [])
    ws, header_row, mapping, unknown = header.ws, header.row, header.columns, header.unknown
    if any(c.required and c.key not in header.cells for c in TEMPLATE_COLUMNS):
        return _Manifest([], [_missing_columns(header.cells)], unknown)
    problems: list[Problem] = [
        _problem("duplicate_column", column=_COLUMNS_BY_KEY[key].vi, cells=", ".join(refs))
        for key, refs in header.cells.items()
        if len(refs) > 1
    ]
    data_rows = ws.max_row - header_row
    if data_rows > limits.max_rows:
        return _Manifest(
            [], [_problem("manifest_too_many_rows", rows=data_rows, limit=limits.max_rows)], unknown
        )
    merged = [
        str(rng)
        for rng in sorted(ws.merged_cells.ranges, key=lambda g: (g.min_row, g.min_col))
        if rng.max_row >= header_row
    ]
    if merged:
        problems.append(
            _problem("manifest_merged_cells", count=len(merged), ranges=_listed(merged))
        )
    formulas: list[str] = []
    rows: list[_Row] = []
    for r in range(header_row + 1, ws.max_row + 1):
        cells: dict[str, _Cell] = {}
        for col, key in mapping.items():
            cell = ws.cell(row=r, column=col)
            value = cell.value
            if cell.data_type == "f":
                formulas.append(cell.coordinate)
                value = None  # a formula's text is not data
            if isinstance(value, str) and not value.strip():
                value = None
            cells[key] = _Cell(value, cell.coordinate)
        if all(c.value is None for c in cells.values()):
            continue
        rows.append(_Row(r, cells))
    if formulas:
        problems.append(_problem("manifest_formulas", count=len(formulas), cells=_listed(formulas)))
    return _Manifest(rows, problems, unknown)


# ---------------------------------------------------------------- values


_DMY_RE = re.compile(r"^(\d{1,2})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{4})$")
_ISO_RE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_YEAR_RE = re.compile(r"^(\d{4})$")
_EMAIL_RE = re.compile(r"^[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>.]{2,}$")
_PHONE_RE = re.compile(r"^(?:0\d{9,10}|\+84\d{9,10})$")


def _parse_birth(value: Any) -> tuple[date | None, int | None, bool]:
    """(date, year, valid) from an Excel date, a dd/mm/yyyy or ISO text, or a year."""
    if value is None:
        return None, None, True
    if isinstance(value, datetime):
        return value.date(), value.year, True
    if isinstance(value, date):
        return value, value.year, True
    if isinstance(value, bool):
        return None, None, False
    if isinstance(value, int | float):
        if float(value).is_integer() and 1000 <= value <= 9999:
            return None, int(value), True
        return None, None, False
    text = nfc(str(value)).strip()
    for regex, order in ((_DMY_RE, (3, 2, 1)), (_ISO_RE, (1, 2, 3))):
        m = regex.match(text)
        if m:
            try:
                d = date(int(m.group(order[0])), int(m.group(order[1])), int(m.group(order[2])))
            except ValueError:
                return None, None, False
            return d, d.year, True
    m = _YEAR_RE.match(text)
    if m:
        return None, int(m.group(1)), True
    return None, None, False


def _shown(value: Any) -> str:
    if isinstance(value, datetime | date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _digits_from_number(value: Any, lengths: dict[int, int]) -> str | None:
    """A number cell lost its leading zeros: pad it back to the expected length."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if not float(value).is_integer():
        return None
    digits = str(int(value))
    return digits.zfill(lengths.get(len(digits), len(digits)))


def _author(row: _Row, today: date, problems: list[Problem], notices: list[Problem]) -> AuthorRow:
    """Read and check one author row; problems and notices are appended."""
    name = row.text("full_name")
    if not name:
        problems.append(_problem("author_name_missing", "full_name", cell=row.ref("full_name")))
    birth_cell = row.cells.get("birth")
    raw_birth = birth_cell.value if birth_cell is not None else None
    birth_date, birth_year, valid = _parse_birth(raw_birth)
    if not valid:
        problems.append(
            _problem("bad_date", "birth", cell=row.ref("birth"), value=_shown(raw_birth))
        )
    elif birth_year is not None:
        if (birth_date or date(birth_year, 1, 1)) > today:
            problems.append(
                _problem(
                    "birth_date_future", "birth", cell=row.ref("birth"), value=_shown(raw_birth)
                )
            )
        elif birth_year < 1900:
            problems.append(
                _problem(
                    "birth_date_too_early", "birth", cell=row.ref("birth"), value=_shown(raw_birth)
                )
            )
    email = row.text("email")
    if email and not _EMAIL_RE.match(email):
        problems.append(_problem("bad_email", "email", cell=row.ref("email"), value=email))
    id_cell = row.cells.get("id_number")
    id_number = _digits_from_number(id_cell.value if id_cell else None, {10: 12, 11: 12, 8: 9})
    if id_number is None:
        id_number = re.sub(r"[\s.\-]", "", row.text("id_number"))
    if id_number and not (id_number.isdigit() and len(id_number) in (9, 12)):
        problems.append(
            _problem(
                "bad_id_number", "id_number", cell=row.ref("id_number"), value=row.text("id_number")
            )
        )
    phone_cell = row.cells.get("phone")
    phone = _digits_from_number(phone_cell.value if phone_cell else None, {9: 10, 10: 11})
    if phone is None:
        phone = row.text("phone")
    if phone and not _PHONE_RE.match(re.sub(r"[\s.\-()]", "", phone)):
        notices.append(_problem("phone_unusual", "phone", cell=row.ref("phone"), value=phone))
    role_text = row.text("role")
    role = _ROLE_VALUES.get(_norm_key(role_text)) if role_text else ""
    if role is None:
        problems.append(_problem("bad_role", "role", cell=row.ref("role"), value=role_text))
        role = ""
    return AuthorRow(
        full_name=name,
        birth_date=birth_date,
        birth_year=birth_year,
        position=row.text("position"),
        unit=row.text("unit"),
        address=row.text("address"),
        phone=phone,
        email=email,
        id_number=id_number,
        role=role,
        row=row.row,
    )


def _rows_label(rows: Sequence[int]) -> str:
    """[5, 6, 7, 9] -> "5–7, 9"."""
    parts: list[str] = []
    ordered = sorted(set(rows))
    start = prev = ordered[0] if ordered else 0
    for r in [*ordered[1:], None]:
        if r is not None and r == prev + 1:
            prev = r
            continue
        parts.append(str(start) if start == prev else f"{start}–{prev}")
        if r is not None:
            start = prev = r
    return ", ".join(parts) if ordered else ""


# ---------------------------------------------------------------- grouping rows into entries


@dataclass
class _Group:
    number: int
    rows: list[_Row]


def _same(a: str, b: str, key: str) -> bool:
    if key in _PATH_KEYS:
        return _match_key(a) == _match_key(b)
    return " ".join(a.casefold().split()) == " ".join(b.casefold().split())


def _group_rows(rows: list[_Row]) -> tuple[list[_Group], list[Problem]]:
    """Rows with the same STT form one entry; an STT-less row joins the entry above it."""
    groups: dict[int, _Group] = {}
    problems: list[Problem] = []
    previous: _Group | None = None
    for row in rows:
        cell = row.cells["number"]
        raw = cell.value
        if raw is not None and _norm_key(raw) in _EXAMPLE_MARKERS:
            continue  # the template's example rows
        if raw is None:
            joins = previous is not None and all(
                not row.text(k) or _same(row.text(k), _first_value(previous, k), k)
                for k in _ENTRY_KEYS
            )
            if joins and previous is not None:
                previous.rows.append(row)
            else:
                problems.append(_problem("number_missing", "number", row=row.row))
            continue
        number = _parse_number(raw)
        if number is None:
            problems.append(_problem("bad_number", "number", cell=cell.ref, value=_shown(raw)))
            previous = None
            continue
        group = groups.get(number)
        if group is None:
            group = groups[number] = _Group(number, [])
        group.rows.append(row)
        previous = group
    return list(groups.values()), problems


def _parse_number(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float) and float(value).is_integer() and value >= 1:
        return int(value)
    if isinstance(value, str) and value.strip().isdigit() and int(value.strip()) >= 1:
        return int(value.strip())
    return None


def _first_value(group: _Group, key: str) -> str:
    for row in group.rows:
        value = row.text(key)
        if value:
            return value
    return ""


# ---------------------------------------------------------------- categories


def _category_index(categories: Mapping[str, CategoryInfo]) -> dict[str, str | None]:
    """Normalised code or name -> code; None where two categories share a spelling."""
    index: dict[str, str | None] = {}
    for info in categories.values():
        for label in dict.fromkeys((info.code, info.name)):
            key = _norm_key(label)
            if key in index and index[key] != info.code:
                index[key] = None
            else:
                index[key] = info.code
    return index


# ---------------------------------------------------------------- planning


_MEDIA_SIGNATURES = {
    "mp3": lambda d: d[:3] == b"ID3" or (len(d) > 1 and d[0] == 0xFF and d[1] & 0xE0 == 0xE0),
    "mp4": lambda d: d[4:8] == b"ftyp",
}


def _kind(limits: ContestLimits, code: str | None) -> str:
    info = limits.categories.get(code) if code else None
    return info.kind if info is not None else "written"


def _plan_entry(
    group: _Group,
    archive: _Archive,
    limits: ContestLimits,
    categories: dict[str, str | None],
    today: date,
    used: set[str],
    extract_text: bool,
) -> PlannedEntry:
    first = group.rows[0].row
    problems: list[Problem] = []
    notices: list[Problem] = []
    values: dict[str, str] = {}
    for key in _ENTRY_KEYS:
        found = [(row.row, row.text(key)) for row in group.rows if row.text(key)]
        values[key] = found[0][1] if found else ""
        distinct: list[str] = []
        for _, v in found:
            if not any(_same(v, d, key) for d in distinct):
                distinct.append(v)
        if len(distinct) > 1:
            col = _COLUMNS_BY_KEY[key]
            problems.append(
                _problem(
                    "entry_field_conflict",
                    key,
                    column_vi=col.vi,
                    column_en=col.en,
                    rows=_rows_label([r for r, _ in found]),
                    values=" / ".join(f"“{d}”" for d in distinct),
                )
            )
    for key in ("file_name", "title", "category"):
        if not values[key]:
            col = _COLUMNS_BY_KEY[key]
            problems.append(
                _problem("value_missing", key, row=first, column_vi=col.vi, column_en=col.en)
            )
    category_code: str | None = None
    if values["category"]:
        key = _norm_key(values["category"])
        if key in categories and categories[key] is None:
            problems.append(
                _problem("category_ambiguous", "category", row=first, value=values["category"])
            )
        elif key in categories:
            category_code = categories[key]
        else:
            known = ", ".join(c.name for c in limits.categories.values())
            problems.append(
                _problem(
                    "unknown_category", "category", row=first, value=values["category"], known=known
                )
            )
    kind = _kind(limits, category_code)

    authors = [_author(row, today, problems, notices) for row in group.rows]
    mains = [a for a in authors if a.role == "author"]
    if len(mains) > 1:
        problems.append(
            _problem("two_main_authors", "role", rows=_rows_label([a.row for a in mains]))
        )
    main = mains[0] if mains else authors[0]
    authors = [main] + [a for a in authors if a is not main]
    for a in authors:
        a.role = "author" if a is main else "coauthor"
    coauthors = len(authors) - 1
    co_limit = limits.max_media_coauthors if kind == "media" else limits.max_coauthors
    if coauthors > co_limit:
        code = "too_many_media_coauthors" if kind == "media" else "too_many_coauthors"
        problems.append(_problem(code, "full_name", row=first, count=coauthors, limit=co_limit))
    seen_people: dict[str, list[int]] = {}
    for a in authors:
        for key in _person_keys(a):
            seen_people.setdefault(key, []).append(a.row)
    repeated = {tuple(rows): key for key, rows in seen_people.items() if len(rows) > 1}
    for rows in repeated:
        name = next(a.full_name for a in authors if a.row == rows[0])
        problems.append(_problem("author_repeated", "full_name", name=name, rows=_rows_label(rows)))

    entry = PlannedEntry(
        row_numbers=[row.row for row in group.rows],
        number=group.number,
        file_name=values["file_name"],
        media_name=values["media_name"] or None,
        title=values["title"],
        category_code=category_code,
        category_name=limits.categories[category_code].name if category_code else "",
        pen_name=values["pen_name"],
        authors=authors,
        problems=problems,
        notices=notices,
    )
    if values["file_name"]:
        _plan_document(entry, archive, limits, kind, first, used, extract_text)
    _plan_media(entry, archive, limits, kind, category_code, first, used)
    return entry


def _locate(
    entry: PlannedEntry, archive: _Archive, name: str, row: int, key: str
) -> _Member | None:
    member, candidates = archive.find(name)
    if member is None and candidates:
        matches = _listed([m.name for m in candidates])
        entry.problems.append(_problem("file_ambiguous", key, row=row, name=name, matches=matches))
    elif member is None:
        entry.problems.append(_problem("file_missing", key, row=row, name=name))
    return member


def _read(
    entry: PlannedEntry, archive: _Archive, member: _Member, row: int, key: str
) -> bytes | None:
    try:
        return archive.read(member)
    except zipfile.BadZipFile:
        entry.problems.append(_problem("file_unreadable", key, row=row, name=member.name))
        return None


def _plan_document(
    entry: PlannedEntry,
    archive: _Archive,
    limits: ContestLimits,
    kind: str,
    row: int,
    used: set[str],
    extract_text: bool,
) -> None:
    member = _locate(entry, archive, entry.file_name, row, "file_name")
    if member is None:
        return
    used.add(member.name)
    entry.member_name = member.name
    if member.info.file_size > limits.max_file_bytes:
        entry.problems.append(
            _problem(
                "file_too_large",
                "file_name",
                row=row,
                name=member.name,
                size_mib=f"{member.info.file_size / MIB:.1f}",
                limit_mib=f"{limits.max_file_bytes / MIB:g}",
            )
        )
        return
    data = _read(entry, archive, member, row, "file_name")
    if data is None:
        return
    entry.file_bytes = data
    entry.sha256 = hashlib.sha256(data).hexdigest()
    base = _basename(member.name)
    try:
        if extract_text:
            result = extract(data, base, limits=_extract_limits(limits))
            entry.format, entry.text, entry.words = result.format, result.text, result.words
            entry.warnings = list(result.warnings)
            entry.hidden_text, entry.metadata = list(result.hidden_text), dict(result.metadata)
        else:
            entry.format = detect_format(data, base)
    except ExtractionError as exc:
        entry.problems.append(_extraction_problem(exc, row))
        return
    if entry.format not in limits.allowed_file_types:
        entry.problems.append(
            _problem(
                "file_type_not_allowed",
                "file_name",
                row=row,
                name=member.name,
                format=entry.format.upper(),
                allowed=", ".join(t.upper() for t in limits.allowed_file_types),
            )
        )
    if kind == "written" and entry.words is not None:
        if entry.words < limits.min_words:
            entry.problems.append(
                _problem(
                    "too_few_words", "file_name", row=row, words=entry.words, limit=limits.min_words
                )
            )
        elif limits.max_words is not None and entry.words > limits.max_words:
            entry.problems.append(
                _problem(
                    "too_many_words",
                    "file_name",
                    row=row,
                    words=entry.words,
                    limit=limits.max_words,
                )
            )


def _extract_limits(limits: ContestLimits) -> Limits:
    return replace(DEFAULT_LIMITS, max_bytes=limits.max_file_bytes)


def _plan_media(
    entry: PlannedEntry,
    archive: _Archive,
    limits: ContestLimits,
    kind: str,
    category_code: str | None,
    row: int,
    used: set[str],
) -> None:
    category = limits.categories[category_code].name if category_code else ""
    if entry.media_name is None:
        if kind == "media":
            entry.problems.append(
                _problem("media_missing", "media_name", row=row, category=category)
            )
        return
    if category_code is not None and kind != "media":
        entry.problems.append(
            _problem(
                "media_unexpected", "media_name", row=row, name=entry.media_name, category=category
            )
        )
        return
    member = _locate(entry, archive, entry.media_name, row, "media_name")
    if member is None:
        return
    used.add(member.name)
    entry.media_member_name = member.name
    ext = member.name.rsplit(".", 1)[-1].lower() if "." in member.name else ""
    if ext not in MEDIA_FILE_TYPES:
        entry.problems.append(_problem("media_bad_type", "media_name", row=row, name=member.name))
        return
    if member.info.file_size > limits.max_media_bytes:
        entry.problems.append(
            _problem(
                "file_too_large",
                "media_name",
                row=row,
                name=member.name,
                size_mib=f"{member.info.file_size / MIB:.1f}",
                limit_mib=f"{limits.max_media_bytes / MIB:g}",
            )
        )
        return
    data = _read(entry, archive, member, row, "media_name")
    if data is None:
        return
    if not _MEDIA_SIGNATURES[ext](data[:16]):
        entry.problems.append(_problem("media_bad_type", "media_name", row=row, name=member.name))
        return
    entry.media_bytes = data
    entry.media_sha256 = hashlib.sha256(data).hexdigest()


def _person_keys(author: AuthorRow) -> list[str]:
    """What identifies a person across entries: the e-mail, or name plus birth date/year."""
    keys = []
    if author.email:
        keys.append("e:" + author.email.casefold())
    birth = author.birth_date.isoformat() if author.birth_date else author.birth_year
    if author.full_name and birth:
        keys.append(f"n:{_norm_key(author.full_name)}|{birth}")
    return keys


def _check_duplicates(entries: list[PlannedEntry], existing: Mapping[str, str]) -> None:
    first_by_sha: dict[str, PlannedEntry] = {}
    for entry in entries:
        files = [
            (entry.sha256, entry.member_name, "file_name"),
            (entry.media_sha256, entry.media_member_name, "media_name"),
        ]
        for sha, name, key in files:
            if sha is None:
                continue
            row = entry.row_numbers[0]
            if sha in existing:
                entry.duplicate_of = entry.duplicate_of or existing[sha]
                entry.problems.append(
                    _problem("duplicate_existing", key, row=row, name=name, receipt=existing[sha])
                )
            elif sha in first_by_sha and first_by_sha[sha] is not entry:
                first_row = first_by_sha[sha].row_numbers[0]
                entry.duplicate_of = entry.duplicate_of or f"row {first_row}"
                entry.problems.append(
                    _problem("duplicate_in_batch", key, row=row, name=name, first_row=first_row)
                )
            else:
                first_by_sha.setdefault(sha, entry)


def _check_entries_per_author(entries: list[PlannedEntry], limits: ContestLimits) -> None:
    """Mark the entries beyond each person's limit (per category kind), in manifest order."""
    parent: dict[str, str] = {}

    def find(key: str) -> str:
        while parent.setdefault(key, key) != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    for entry in entries:
        for a in entry.authors:
            keys = _person_keys(a)
            for other in keys[1:]:
                parent[find(other)] = find(keys[0])
    counted: dict[tuple[str, str], list[PlannedEntry]] = {}
    for entry in entries:
        kind = _kind(limits, entry.category_code)
        people = {find(k[0]): a for a in entry.authors if (k := _person_keys(a))}
        for person, author in people.items():
            earlier = counted.setdefault((person, kind), [])
            limit = (
                limits.max_media_entries_per_author
                if kind == "media"
                else limits.max_entries_per_author
            )
            if len(earlier) >= limit:
                code = "too_many_media_entries" if kind == "media" else "too_many_written_entries"
                entry.problems.append(
                    _problem(
                        code,
                        "full_name",
                        row=entry.row_numbers[0],
                        name=author.full_name,
                        limit=limit,
                        rows=_rows_label([e.row_numbers[0] for e in earlier]),
                    )
                )
            else:
                earlier.append(entry)


def plan_batch(
    zip_bytes: bytes,
    *,
    limits: ContestLimits,
    existing_fingerprints: Mapping[str, str] | None = None,
    manifest_bytes: bytes | None = None,
    manifest_name: str | None = None,
    progress: Callable[[int, int], None] | None = None,
    extract_text: bool = True,
    today: date | None = None,
    batch_limits: BatchLimits = DEFAULT_BATCH_LIMITS,
    keep_content: bool = True,
) -> BatchPlan:
    """Check a batch and say, entry by entry, what the import would create and what stops it.

    With ``keep_content=False`` no entry keeps its file bytes or text (only hashes, word counts,
    formats and warnings), so memory does not grow with the batch; the import then reads each
    entry again with :func:`open_contents` and :meth:`BatchContents.load`.

    ``existing_fingerprints`` maps the SHA-256 of files already in the contest to their
    receipt numbers. ``progress(done, total)`` is called after each entry. With
    ``extract_text=False`` only file types are checked (no text, no word limits).
    ``today`` (default: the current date) bounds birth dates. Deterministic for fixed inputs.
    """
    today = today or date.today()
    existing = existing_fingerprints or {}
    sha = _batch_sha256(zip_bytes, manifest_bytes)
    if manifest_bytes is not None:
        early = _manifest_name_problems(manifest_bytes, manifest_name, batch_limits)
        if early:
            return BatchPlan([], early, sha)
    archive, problems = _open_archive(zip_bytes, batch_limits)
    if archive is None:
        return BatchPlan([], problems, sha)
    with archive.zf:
        data, name, documents, problems = _split_manifest(archive, manifest_bytes, manifest_name)
        if data is None:
            return BatchPlan([], problems, sha)
        manifest = _load_manifest(data, name, batch_limits)
        groups, group_problems = _group_rows(manifest.rows)
        problems = manifest.problems + group_problems
        if not groups and not problems:
            problems.append(_problem("manifest_empty"))
        categories = _category_index(limits.categories)
        used: set[str] = set()
        entries = []
        for done, group in enumerate(groups, start=1):
            planned = _plan_entry(group, archive, limits, categories, today, used, extract_text)
            if not keep_content:
                _drop_content(planned)
            entries.append(planned)
            if progress is not None:
                progress(done, len(groups))
    _check_duplicates(entries, existing)
    _check_entries_per_author(entries, limits)
    for entry in entries:
        if not entry.ok:
            # Only entries that will be created need their bytes; drop the rest early.
            entry.file_bytes = entry.media_bytes = None
    notices = []
    unused = [m.name for m in documents if m.name not in used]
    if entries and unused:
        notices.append(_problem("files_unused", count=len(unused), names=_listed(unused)))
    return BatchPlan(entries, problems, sha, notices, manifest.ignored_columns)


def _drop_content(entry: PlannedEntry) -> None:
    entry.file_bytes = entry.media_bytes = entry.text = None
    entry.hidden_text, entry.metadata = [], {}


class BatchContents:
    """The files of a checked batch, read one entry at a time for the import."""

    def __init__(self, archive: _Archive, limits: ContestLimits) -> None:
        self._archive = archive
        self._limits = limits

    def _bytes(self, name: str, sha256: str | None) -> bytes:
        member, _candidates = self._archive.find(name)
        data = self._archive.read(member) if member is not None else b""
        if member is None or hashlib.sha256(data).hexdigest() != sha256:
            raise BatchError("batch_changed", name=name)
        return data

    def load(self, entry: PlannedEntry) -> PlannedEntry:
        """Fill ``entry`` with its bytes and text again (checked against the planned hashes)."""
        data = self._bytes(entry.member_name or entry.file_name, entry.sha256)
        result = extract(
            data,
            _basename(entry.member_name or entry.file_name),
            limits=_extract_limits(self._limits),
        )
        entry.file_bytes, entry.text, entry.words = data, result.text, result.words
        entry.format, entry.warnings = result.format, list(result.warnings)
        entry.hidden_text, entry.metadata = list(result.hidden_text), dict(result.metadata)
        if entry.media_member_name:
            entry.media_bytes = self._bytes(entry.media_member_name, entry.media_sha256)
        return entry

    def release(self, entry: PlannedEntry) -> None:
        """Forget the entry's bytes and text once it is stored."""
        _drop_content(entry)


@contextlib.contextmanager
def open_contents(
    zip_bytes: bytes, *, limits: ContestLimits, batch_limits: BatchLimits = DEFAULT_BATCH_LIMITS
) -> Iterator[BatchContents]:
    """Open a batch already planned, to read its entries one by one (same guards as planning)."""
    archive, problems = _open_archive(zip_bytes, batch_limits)
    if archive is None:
        raise BatchError(
            "batch_changed", name=problems[0].params.get("name", "zip") if problems else "zip"
        )
    with archive.zf:
        yield BatchContents(archive, limits)


# ---------------------------------------------------------------- the dry-run table

_REPORT_HEADERS = {
    "number": ("STT", "No."),
    "rows": ("Dòng", "Rows"),
    "title": ("Tên tác phẩm", "Title"),
    "category": ("Thể loại", "Category"),
    "authors": ("Số tác giả", "Authors"),
    "words": ("Số chữ", "Words"),
    "status": ("Trạng thái", "Status"),
    "problems": ("Vấn đề", "Problems"),
    "notes": ("Lưu ý", "Notes"),
}
_STATUS_LABELS = {
    "create": ("sẽ tạo", "will be created"),
    "error": ("lỗi", "error"),
    "duplicate": ("trùng", "duplicate"),
}


def _lang_index(lang: str) -> int:
    return 1 if str(lang).startswith("en") else 0


def report_headers(lang: str = "vi") -> dict[str, str]:
    """Column labels for :func:`plan_report_rows`'s keys, in Vietnamese or English."""
    i = _lang_index(lang)
    return {key: labels[i] for key, labels in _REPORT_HEADERS.items()}


def plan_report_rows(plan: BatchPlan, lang: str = "vi") -> list[dict[str, Any]]:
    """One dict per entry for the dry-run table (keys as in :func:`report_headers`, plus
    ``status_code``): STT, manifest rows, title, category name, number of authors, words,
    status ("sẽ tạo" / "lỗi" / "trùng"), the problems and notices as sentences."""
    i = _lang_index(lang)
    out = []
    for e in plan.entries:
        notes = [p.message(lang) for p in e.notices] + [
            warning_message(w, lang) for w in e.warnings
        ]
        out.append(
            {
                "number": e.number,
                "rows": _rows_label(e.row_numbers),
                "title": e.title,
                "category": e.category_name,
                "authors": len(e.authors),
                "words": e.words,
                "status": _STATUS_LABELS[e.status][i],
                "status_code": e.status,
                "problems": " ".join(p.message(lang) for p in e.problems),
                "notes": " ".join(notes),
            }
        )
    return out


# ---------------------------------------------------------------- the template

_TEMPLATE_TEXT = {
    "vi": {
        "data_sheet": "Danh sách",
        "help_sheet": "Hướng dẫn",
        "list_sheet": "Danh mục",
        "example": "Ví dụ",
        "title": "Hướng dẫn điền bảng kê nhập bài dự thi",
        "rules": (
            "Mỗi dòng là một tác giả. Các dòng cùng STT là các tác giả của cùng một tác phẩm; "
            "dòng đồng tác giả nằm ngay dưới có thể để trống STT và các cột của tác phẩm.",
            "Nén bảng kê này cùng các tệp bài dự thi (và tệp âm thanh/video) vào một tệp .zip. "
            "Tên ghi ở cột “Tên tệp” phải trùng tên tệp trong .zip (không phân biệt chữ hoa, "
            "chữ thường); tệp nằm trong thư mục con thì ghi cả thư mục nếu có hai tệp cùng tên.",
            "Thể loại âm thanh, video: ghi tệp kịch bản ở cột “Tên tệp” và tệp mp3/mp4 ở cột "
            "“Tệp âm thanh/video”. Thể loại bài viết: để trống cột “Tệp âm thanh/video”.",
            "Không dùng công thức, không gộp ô; giữ nguyên dòng tiêu đề. Tên cột tiếng Anh "
            "hoặc không dấu cũng được chấp nhận.",
            "Ngày sinh: ô ngày của Excel, hoặc gõ dd/mm/yyyy, hoặc chỉ năm sinh yyyy.",
            "Các dòng có STT “Ví dụ” được bỏ qua khi nhập; có thể xoá.",
            "Nhập thử (kiểm tra) trước: hệ thống liệt kê từng dòng sẽ tạo và mọi lỗi; khi còn "
            "lỗi thì không bài nào được nhập. Nhập lại cùng đợt không tạo bài trùng.",
        ),
        "categories": "Thể loại của cuộc thi: {names}.",
        "table": ("Cột", "Bắt buộc", "Cách điền"),
        "yes": "Có",
        "no": "Không",
        "roles": ("Tác giả", "Đồng tác giả"),
    },
    "en": {
        "data_sheet": "Entries",
        "help_sheet": "Instructions",
        "list_sheet": "Lists",
        "example": "Example",
        "title": "How to fill in the import manifest",
        "rules": (
            "One row per author. Rows with the same No. are the authors of one entry; a "
            "co-author row right below may leave the No. and the entry's columns empty.",
            "Zip this manifest together with the entry files (and audio/video files). The name "
            "in the “File” column must match the file's name in the .zip (case does not "
            "matter); give the folder too when two files share a name.",
            "Audio/video categories: the script goes in “File” and the mp3/mp4 in “Media "
            "file”. Written categories: leave “Media file” empty.",
            "No formulas, no merged cells; keep the header row. Vietnamese column names are "
            "accepted too.",
            "Birth date: an Excel date, or text dd/mm/yyyy, or just the year yyyy.",
            "Rows whose No. is “Example” are skipped on import; they may be deleted.",
            "Run the dry run first: it lists every row to be created and every problem; while "
            "any problem remains nothing is imported. Importing the same batch again creates "
            "no duplicates.",
        ),
        "categories": "The contest's categories: {names}.",
        "table": ("Column", "Required", "How to fill it in"),
        "yes": "Yes",
        "no": "No",
        "roles": ("Tác giả", "Đồng tác giả"),  # the values stay Vietnamese; English is accepted
    },
}
_TEMPLATE_DATA_ROWS = 2000  # rows that carry the drop-down lists


def _example_rows(category: str, marker: str, roles: tuple[str, str]) -> list[list[Any]]:
    main = {
        "number": marker,
        "file_name": "bai-du-thi-01.docx",
        "title": "Giữ vững nền tảng tư tưởng của Đảng trong thời đại số",
        "category": category,
        "pen_name": "Minh An",
        "full_name": "Nguyễn Văn An",
        "birth": date(1985, 3, 12),
        "position": "Chuyên viên",
        "unit": "Ban Tuyên giáo Huyện uỷ",
        "address": "Số 1 đường Trần Phú",
        "phone": "0912345678",
        "email": "nguyenvanan@example.vn",
        "role": roles[0],
    }
    coauthor = {
        "number": marker,
        "full_name": "Trần Thị Bình",
        "birth": "1990",
        "unit": "Trường THPT Lê Lợi",
        "role": roles[1],
    }
    return [[row.get(c.key) for c in TEMPLATE_COLUMNS] for row in (main, coauthor)]


def template_xlsx(*, categories: Sequence[str], lang: str = "vi") -> bytes:
    """The downloadable manifest template: a data sheet (bold frozen header, column widths,
    drop-down lists for "Thể loại" and "Vai trò", text cells for phone and CCCD, two example
    rows) and an instructions sheet explaining every column. Raises :class:`TemplateError`
    when ``categories`` is empty."""
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    names = [nfc(str(c)).strip() for c in categories if str(c).strip()]
    if not names:
        raise TemplateError("no_categories")
    en = str(lang).startswith("en")
    t = _TEMPLATE_TEXT["en" if en else "vi"]
    wb = Workbook()
    ws = wb.active
    ws.title = t["data_sheet"]
    ws.append([c.en if en else c.vi for c in TEMPLATE_COLUMNS])
    header_fill = PatternFill("solid", fgColor="DDEBF7")
    letters = {}
    for i, col in enumerate(TEMPLATE_COLUMNS, start=1):
        letter = letters[col.key] = get_column_letter(i)
        cell = ws.cell(row=1, column=i)
        cell.font = Font(bold=True)
        cell.fill = header_fill
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        cell.comment = Comment(col.note_en if en else col.note_vi, "")
        ws.column_dimensions[letter].width = col.width
    ws.freeze_panes = "A2"
    example_font = Font(italic=True, color="808080")
    for values in _example_rows(names[0], t["example"], t["roles"]):
        ws.append(values)
        for cell in ws[ws.max_row]:
            cell.font = example_font
    last = _TEMPLATE_DATA_ROWS + 1
    # Column styles, not styled cells: empty styled cells would push rows added by other
    # tools (and the sheet's max_row) below them.
    for key, number_format in (("phone", "@"), ("id_number", "@"), ("birth", "DD/MM/YYYY")):
        ws.column_dimensions[letters[key]].number_format = number_format

    lists = wb.create_sheet(t["list_sheet"])
    for i, name in enumerate(names, start=1):
        lists.cell(row=i, column=1, value=name)
    for i, role in enumerate(t["roles"], start=1):
        lists.cell(row=i, column=2, value=role)
    lists.sheet_state = "hidden"
    quoted = "'" + t["list_sheet"].replace("'", "''") + "'"
    for key, formula in (
        ("category", f"{quoted}!$A$1:$A${len(names)}"),
        ("role", f"{quoted}!$B$1:$B$2"),
    ):
        # Typed values outside the list are allowed: codes and English names are accepted.
        dv = DataValidation(type="list", formula1=formula, allow_blank=True, showErrorMessage=False)
        dv.add(f"{letters[key]}2:{letters[key]}{last}")
        ws.add_data_validation(dv)

    help_ws = wb.create_sheet(t["help_sheet"])
    help_ws.append([t["title"]])
    help_ws["A1"].font = Font(bold=True, size=14)
    for rule in t["rules"]:
        help_ws.append([f"• {rule}"])
    help_ws.append([t["categories"].format(names=", ".join(names))])
    help_ws.append([])
    help_ws.append(list(t["table"]))
    for cell in help_ws[help_ws.max_row]:
        cell.font = Font(bold=True)
        cell.fill = header_fill
    for col in TEMPLATE_COLUMNS:
        help_ws.append(
            [
                col.en if en else col.vi,
                t["yes"] if col.required else t["no"],
                col.note_en if en else col.note_vi,
            ]
        )
    help_ws.column_dimensions["A"].width = 22
    help_ws.column_dimensions["B"].width = 10
    help_ws.column_dimensions["C"].width = 100
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
