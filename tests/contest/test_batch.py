"""contest.batch: the pure planning of a secretariat bulk import (zip + Excel manifest)."""

from __future__ import annotations

import hashlib
import io
import stat
import string
import unicodedata
import zipfile
from datetime import date, datetime

import pytest
from openpyxl import Workbook, load_workbook

from contest import batch
from contest.batch import (
    TEMPLATE_COLUMNS,
    AuthorRow,
    BatchLimits,
    CategoryInfo,
    ContestLimits,
    TemplateError,
    plan_batch,
    plan_report_rows,
    read_batch,
    report_headers,
    template_xlsx,
)
from tests.contest.docfactory import make_docx, with_encrypted_flag

TODAY = date(2025, 6, 1)
LIMITS = ContestLimits.with_categories(
    [
        CategoryInfo("tap-chi", "Tạp chí"),
        CategoryInfo("bao", "Báo (in, điện tử)"),
        CategoryInfo("video-clip", "Video clip", "media"),
    ],
    min_words=5,
    max_words=50,
    max_coauthors=2,
    max_media_coauthors=3,
    max_entries_per_author=2,
    max_media_entries_per_author=3,
)
KEYS = [c.key for c in TEMPLATE_COLUMNS]
VI_HEADERS = [c.vi for c in TEMPLATE_COLUMNS]
MP4 = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 64


# ---------------------------------------------------------------- helpers


def essay(seed: int, words: int = 10) -> bytes:
    """A .txt essay of exactly ``words`` words, different for each seed."""
    return " ".join(["bài", str(seed), *["chữ"] * (words - 2)]).encode()


def row(number, file=None, title=None, category=None, name=None, **more) -> dict:
    return {
        "number": number,
        "file_name": file,
        "title": title,
        "category": category,
        "full_name": name,
        **more,
    }


def sheet(rows: list, headers: list[str] = VI_HEADERS, *, above: list | None = None) -> bytes:
    """A manifest: optional rows above the header, the header, then ``rows`` (dicts keyed
    by column key in template order, or plain lists)."""
    wb = Workbook()
    ws = wb.active
    for line in above or []:
        ws.append(line)
    ws.append(headers)
    for r in rows:
        ws.append([r.get(k) for k in KEYS] if isinstance(r, dict) else r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def zip_of(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return buf.getvalue()


def raw_name_zip(raw_name: bytes, data: bytes, extra: dict[str, bytes]) -> bytes:
    """A zip whose member name is ``raw_name`` verbatim, without the UTF-8 flag (as old
    Windows tools write it): written under an ASCII placeholder, then patched in place."""
    placeholder = ("q" * len(raw_name)).encode()
    blob = zip_of({placeholder.decode(): data, **extra})
    assert blob.count(placeholder) == 2  # local header and central directory
    return blob.replace(placeholder, raw_name)


def plan(files: dict[str, bytes], rows: list, **kwargs) -> batch.BatchPlan:
    kwargs.setdefault("limits", LIMITS)
    kwargs.setdefault("today", TODAY)
    return plan_batch(zip_of({"bang-ke.xlsx": sheet(rows), **files}), **kwargs)


def codes(problems) -> list[str]:
    return [p.code for p in problems]


def one_entry_plan(**author) -> batch.BatchPlan:
    return plan({"a.txt": essay(1)}, [row(1, "a.txt", "Tiêu đề", "Tạp chí", "Nguyễn An", **author)])


# ---------------------------------------------------------------- the template


def fill_template(template: bytes, rows: list[list]) -> bytes:
    wb = load_workbook(io.BytesIO(template))
    ws = wb[wb.sheetnames[0]]
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_template_round_trip_plans_exact_entries_and_authors():
    template = template_xlsx(categories=["Tạp chí", "Báo (in, điện tử)", "Video clip"])
    manifest = fill_template(
        template,
        [
            [1, "Bài 1.docx", None, "Bảo vệ nền tảng", "Tạp chí", "Minh An", "Nguyễn Văn An",
             datetime(1980, 1, 2), "Chuyên viên", "Ban Tuyên giáo", "Số 1 Trần Phú",
             "0912 345 678", "an@example.vn", "001080012345", "Tác giả"],
            [1, None, None, None, None, None, "Lê Thị Bình", "12/05/1990", None, "Trường A",
             None, None, None, None, "Đồng tác giả"],
            [2, "bai-2.txt", None, "Phản bác luận điệu", "bao in dien tu", None, "Trần Văn Cường",
             1975],
        ],
    )  # fmt: skip
    docx = make_docx(["Chúng ta bảo vệ nền tảng tư tưởng của Đảng bằng lý lẽ và chứng cứ."])
    blob = zip_of({"bang-ke.xlsx": manifest, "Bài 1.docx": docx, "bai-2.txt": essay(2, 12)})

    result = plan_batch(blob, limits=LIMITS, today=TODAY)

    assert result.problems == []
    assert result.ok is True
    first, second = result.entries
    assert (first.number, first.row_numbers, first.title, first.category_code) == (
        1,
        [4, 5],
        "Bảo vệ nền tảng",
        "tap-chi",
    )
    assert (first.file_name, first.pen_name, first.format, first.words) == (
        "Bài 1.docx",
        "Minh An",
        "docx",
        16,
    )
    assert first.authors == [
        AuthorRow("Nguyễn Văn An", date(1980, 1, 2), 1980, "Chuyên viên", "Ban Tuyên giáo",
                  "Số 1 Trần Phú", "0912 345 678", "an@example.vn", "001080012345", "author", 4),
        AuthorRow("Lê Thị Bình", date(1990, 5, 12), 1990, "", "Trường A", "", "", "", "",
                  "coauthor", 5),
    ]  # fmt: skip
    assert first.file_bytes == docx
    assert first.sha256 == hashlib.sha256(docx).hexdigest()
    assert (second.number, second.row_numbers, second.category_code, second.words) == (
        2,
        [6],
        "bao",
        12,
    )
    assert second.authors == [
        AuthorRow("Trần Văn Cường", None, 1975, "", "", "", "", "", "", "author", 6)
    ]
    assert plan_report_rows(result) == [
        {"number": 1, "rows": "4–5", "title": "Bảo vệ nền tảng", "category": "Tạp chí",
         "authors": 2, "words": 16, "status": "sẽ tạo", "status_code": "create",
         "problems": "", "notes": ""},
        {"number": 2, "rows": "6", "title": "Phản bác luận điệu",
         "category": "Báo (in, điện tử)", "authors": 1, "words": 12, "status": "sẽ tạo",
         "status_code": "create", "problems": "", "notes": ""},
    ]  # fmt: skip
    assert result.summary()["create"] == 2


def test_template_sheet_has_bold_frozen_header_lists_and_instructions():
    wb = load_workbook(io.BytesIO(template_xlsx(categories=["Tạp chí", "Báo"])))

    assert wb.sheetnames == ["Danh sách", "Danh mục", "Hướng dẫn"]
    ws = wb["Danh sách"]
    assert [c.value for c in ws[1]] == VI_HEADERS
    assert all(c.font.b for c in ws[1])
    assert ws.freeze_panes == "A2"
    assert ws.column_dimensions["D"].width == 40
    assert [c.value for c in ws["A"][1:3]] == ["Ví dụ", "Ví dụ"]
    formulas = sorted(dv.formula1 for dv in ws.data_validations.dataValidation)
    assert formulas == ["'Danh mục'!$A$1:$A$2", "'Danh mục'!$B$1:$B$2"]
    lists = wb["Danh mục"]
    assert lists.sheet_state == "hidden"
    assert [c.value for c in lists["A"]] == ["Tạp chí", "Báo"]
    help_rows = [r[0] for r in wb["Hướng dẫn"].iter_rows(values_only=True)]
    assert help_rows[0] == "Hướng dẫn điền bảng kê nhập bài dự thi"
    assert "Thể loại của cuộc thi: Tạp chí, Báo." in help_rows
    assert help_rows[-len(TEMPLATE_COLUMNS) :] == VI_HEADERS


def test_template_english_has_english_headers_and_instructions():
    wb = load_workbook(io.BytesIO(template_xlsx(categories=["Tạp chí"], lang="en")))

    assert wb.sheetnames == ["Entries", "Lists", "Instructions"]
    assert [c.value for c in wb["Entries"][1]] == [c.en for c in TEMPLATE_COLUMNS]
    assert wb["Entries"]["A2"].value == "Example"


def test_template_without_categories_raises_template_error():
    with pytest.raises(TemplateError) as info:
        template_xlsx(categories=[" "])

    assert info.value.code == "no_categories"
    assert info.value.message("en") == (
        "The contest has no categories yet; please add them before downloading the template."
    )
    assert info.value.message().startswith("Cuộc thi chưa có thể loại nào")


def test_template_example_rows_only_give_manifest_empty():
    blob = zip_of({"m.xlsx": template_xlsx(categories=["Tạp chí"]), "a.txt": essay(1)})

    result = plan_batch(blob, limits=LIMITS, today=TODAY)

    assert codes(result.problems) == ["manifest_empty"]
    assert result.entries == []
    assert result.ok is False


# ---------------------------------------------------------------- headers


def test_headers_english_aliases_accepted():
    headers = ["No.", "File", "Title", "Category", "Full name", "Birth date", "Email", "Role"]
    rows = [[1, "a.txt", "Title one", "bao", "Nguyen An", "1980", "an@x.vn", "Author"]]
    blob = zip_of({"m.xlsx": sheet(rows, headers), "a.txt": essay(1)})

    result = plan_batch(blob, limits=LIMITS, today=TODAY)

    assert result.ok is True
    entry = result.entries[0]
    assert (entry.title, entry.category_code) == ("Title one", "bao")
    assert entry.authors[0].email == "an@x.vn"
    assert entry.authors[0].birth_year == 1980


def test_headers_without_diacritics_case_or_spacing_accepted_and_unknown_ignored():
    headers = ["stt", "TEN  TEP", "ten tac pham", "The loai", "ho va ten", "Ghi chú"]
    rows = [[1, "a.txt", "Tiêu đề", "TẠP CHÍ", "An", "x"]]
    blob = zip_of({"m.xlsx": sheet(rows, headers), "a.txt": essay(1)})

    result = plan_batch(blob, limits=LIMITS, today=TODAY)

    assert result.ok is True
    assert result.entries[0].category_code == "tap-chi"
    assert result.ignored_columns == ["Ghi chú"]


def test_header_row_found_below_a_title_line():
    rows = [row(1, "a.txt", "Tiêu đề", "tap-chi", "An")]
    manifest = sheet(rows, above=[["DANH SÁCH BÀI DỰ THI ĐỢT 1"], []])

    result = plan_batch(zip_of({"m.xlsx": manifest, "a.txt": essay(1)}), limits=LIMITS)

    assert result.ok is True
    assert result.entries[0].row_numbers == [4]


def test_header_aliases_name_one_column_each():
    seen: dict[str, str] = {}
    for col in TEMPLATE_COLUMNS:
        for label in (col.vi, col.en, *col.aliases):
            key = batch._norm_key(label)
            assert seen.setdefault(key, col.key) == col.key, label


def test_manifest_missing_columns_names_them_and_checks_nothing_else():
    rows = [[1, "a.txt", "An"]]
    blob = zip_of({"m.xlsx": sheet(rows, ["STT", "Tên tệp", "Họ và tên"]), "a.txt": essay(1)})

    result = plan_batch(blob, limits=LIMITS)

    assert codes(result.problems) == ["missing_columns"]
    assert result.problems[0].message() == (
        "Bảng kê thiếu cột bắt buộc: “Tên tác phẩm”, “Thể loại”. "
        "Hãy dùng bảng kê mẫu và giữ nguyên dòng tiêu đề."
    )
    assert result.problems[0].message("en") == (
        "The manifest lacks required columns: “Tên tác phẩm” (Title), “Thể loại” (Category). "
        "Please use the template and keep its header row."
    )
    assert result.entries == []


def test_manifest_without_any_header_row_lacks_every_required_column():
    blob = zip_of({"m.xlsx": sheet([[1, 2]], ["a", "b"]), "a.txt": essay(1)})

    result = plan_batch(blob, limits=LIMITS)

    assert codes(result.problems) == ["missing_columns"]
    assert result.problems[0].params["columns_vi"] == (
        "“STT”, “Tên tệp”, “Tên tác phẩm”, “Thể loại”, “Họ và tên”"
    )


def test_manifest_duplicate_column_reported():
    headers = [*VI_HEADERS[:5], "Họ và tên", "Họ tên"]
    rows = [[1, "a.txt", None, "T", "Tạp chí", "An", "An"]]
    blob = zip_of({"m.xlsx": sheet(rows, headers), "a.txt": essay(1)})

    result = plan_batch(blob, limits=LIMITS, today=TODAY)

    assert codes(result.problems) == ["duplicate_column"]
    assert result.problems[0].params == {"column": "Họ và tên", "cells": "F1, G1"}
    assert result.ok is False


# ---------------------------------------------------------------- bad manifests


def manifest_with(edit) -> bytes:
    wb = load_workbook(io.BytesIO(sheet([row(1, "a.txt", "T", "Tạp chí", "An")])))
    edit(wb.active)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_manifest_merged_cells_reported_with_range():
    def merge(ws):
        ws.append([None, None, None, None, None, None, "Bình"])
        ws.merge_cells("A2:A3")

    result = plan_batch(zip_of({"m.xlsx": manifest_with(merge), "a.txt": essay(1)}), limits=LIMITS)

    assert codes(result.problems) == ["manifest_merged_cells"]
    assert result.problems[0].params == {"count": 1, "ranges": "A2:A3"}
    assert result.ok is False


def test_manifest_formula_reported_with_cell_and_not_read_as_data():
    def formula(ws):
        ws["E2"] = '="Tạp" & " chí"'

    result = plan_batch(
        zip_of({"m.xlsx": manifest_with(formula), "a.txt": essay(1)}), limits=LIMITS, today=TODAY
    )

    assert codes(result.problems) == ["manifest_formulas"]
    assert result.problems[0].params == {"count": 1, "cells": "E2"}
    assert codes(result.entries[0].problems) == ["value_missing"]
    assert result.entries[0].problems[0].params["column_vi"] == "Thể loại"


def test_manifest_too_many_rows_refused():
    rows = [row(i, f"{i}.txt", "T", "Tạp chí", f"Tác giả {i}") for i in range(1, 6)]
    blob = zip_of({"m.xlsx": sheet(rows), "1.txt": essay(1)})

    result = plan_batch(blob, limits=LIMITS, batch_limits=BatchLimits(max_rows=4))

    assert codes(result.problems) == ["manifest_too_many_rows"]
    assert result.problems[0].params == {"rows": 5, "limit": 4}


def test_manifest_not_xlsx_separate_upload():
    blob = zip_of({"a.txt": essay(1)})

    result = plan_batch(
        blob, limits=LIMITS, manifest_bytes=b"\xd0\xcf\x11\xe0", manifest_name="m.xls"
    )

    assert codes(result.problems) == ["manifest_not_xlsx"]
    assert result.problems[0].params == {"name": "m.xls"}


def test_manifest_csv_inside_zip_is_not_xlsx():
    result = plan_batch(zip_of({"m.csv": b"STT;File", "a.txt": essay(1)}), limits=LIMITS)

    assert codes(result.problems) == ["manifest_not_xlsx"]


def test_manifest_missing_from_zip():
    result = plan_batch(zip_of({"a.txt": essay(1)}), limits=LIMITS)

    assert codes(result.problems) == ["manifest_missing"]


def test_two_manifests_in_zip_are_ambiguous():
    m = sheet([row(1, "a.txt", "T", "Tạp chí", "An")])
    result = plan_batch(zip_of({"a.xlsx": m, "b.xlsx": m, "a.txt": essay(1)}), limits=LIMITS)

    assert codes(result.problems) == ["manifest_ambiguous"]
    assert result.problems[0].params == {"names": "a.xlsx, b.xlsx"}


def test_damaged_manifest_unreadable():
    broken = zip_of({"xl/workbook.xml": b"<not xml", "[Content_Types].xml": b"<x/>"})

    result = plan_batch(
        zip_of({"a.txt": essay(1)}), limits=LIMITS, manifest_bytes=broken, manifest_name="m.xlsx"
    )

    assert codes(result.problems) == ["manifest_unreadable"]


def test_office_lock_file_is_not_a_second_manifest():
    m = sheet([row(1, "a.txt", "T", "Tạp chí", "An")])
    blob = zip_of({"m.xlsx": m, "~$m.xlsx": b"lock", "a.txt": essay(1)})

    assert plan_batch(blob, limits=LIMITS, today=TODAY).ok is True


def test_separate_manifest_upload_plans_and_hashes_both():
    m = sheet([row(1, "a.txt", "T", "Tạp chí", "An")])
    files = zip_of({"a.txt": essay(1)})

    result = plan_batch(files, limits=LIMITS, manifest_bytes=m, manifest_name="m.xlsx", today=TODAY)

    assert result.ok is True
    assert result.batch_sha256 != hashlib.sha256(files).hexdigest()
    assert result.batch_sha256 == batch._batch_sha256(files, m)


# ---------------------------------------------------------------- bad archives


def test_non_zip_upload_refused():
    result = plan_batch(b"%PDF-1.7 not a zip", limits=LIMITS)

    assert codes(result.problems) == ["not_zip"]
    assert result.entries == []
    assert result.ok is False


def test_workbook_uploaded_as_the_zip_is_named():
    result = plan_batch(sheet([row(1, "a.txt", "T", "Tạp chí", "An")]), limits=LIMITS)

    assert codes(result.problems) == ["upload_is_workbook"]


def test_empty_zip_refused():
    empty = zip_of({})
    only_junk = zip_of({"__MACOSX/._a.txt": b"x", ".DS_Store": b"x", "dir/": b""})

    assert codes(plan_batch(empty, limits=LIMITS).problems) == ["zip_empty"]
    assert codes(plan_batch(only_junk, limits=LIMITS).problems) == ["zip_empty"]


def test_zip_with_parent_path_refused():
    blob = zip_of({"m.xlsx": sheet([]), "../../x.txt": b"x", "/etc/y.txt": b"y"})

    result = plan_batch(blob, limits=LIMITS)

    assert codes(result.problems) == ["zip_unsafe_path"]
    assert result.problems[0].params == {"members": "../../x.txt, /etc/y.txt"}


def test_zip_with_symlink_refused():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        link = zipfile.ZipInfo("a.txt")
        link.create_system = 3
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(link, "/etc/passwd")

    result = plan_batch(buf.getvalue(), limits=LIMITS)

    assert codes(result.problems) == ["zip_symlink"]


def test_zip_with_encrypted_member_refused():
    blob = with_encrypted_flag(zip_of({"a.txt": essay(1)}), "a.txt")

    result = plan_batch(blob, limits=LIMITS)

    assert codes(result.problems) == ["zip_encrypted"]


def test_zip_bomb_refused():
    blob = zip_of({"bomb.txt": b"\0" * (4 * 1024 * 1024)})

    result = plan_batch(blob, limits=LIMITS)

    assert codes(result.problems) == ["zip_bomb"]
    assert result.problems[0].params["member"] == "bomb.txt"


def test_zip_total_size_and_member_count_capped():
    blob = zip_of({"a.txt": essay(1), "b.txt": essay(2)})

    too_big = plan_batch(blob, limits=LIMITS, batch_limits=BatchLimits(max_total_bytes=30))
    too_many = plan_batch(blob, limits=LIMITS, batch_limits=BatchLimits(max_members=1))

    assert codes(too_big.problems) == ["zip_too_large"]
    assert codes(too_many.problems) == ["zip_too_many_members"]
    assert too_many.problems[0].params == {"count": 2, "limit": 1}


def test_zip_names_differing_only_in_case_refused():
    result = plan_batch(zip_of({"A.txt": b"1", "a.txt": b"2"}), limits=LIMITS)

    assert codes(result.problems) == ["zip_duplicate_name"]


# ---------------------------------------------------------------- file names


def test_cp437_file_name_matched():
    raw = "Bài.txt".encode("cp437")  # b"B\x85i.txt": not UTF-8
    m = sheet([row(1, "bài.txt", "T", "Tạp chí", "An")])
    blob = raw_name_zip(raw, essay(1), {"m.xlsx": m})

    result = plan_batch(blob, limits=LIMITS, today=TODAY)

    assert result.ok is True
    assert result.entries[0].member_name == "Bài.txt"


def test_utf8_name_without_flag_and_nfd_manifest_matched():
    raw = "Bài một.txt".encode()
    nfd = unicodedata.normalize("NFD", "BÀI MỘT.txt")
    blob = raw_name_zip(raw, essay(1), {"m.xlsx": sheet([row(1, nfd, "T", "Tạp chí", "An")])})

    result = plan_batch(blob, limits=LIMITS, today=TODAY)

    assert result.ok is True
    assert result.entries[0].member_name == "Bài một.txt"


def test_cp1258_file_name_matched():
    raw = "Bài viê\u0301t.txt".encode("cp1258")  # Windows-1258 writes tones as combining marks
    m = sheet([row(1, "Bài viết.txt", "T", "Tạp chí", "An")])

    result = plan_batch(raw_name_zip(raw, essay(1), {"m.xlsx": m}), limits=LIMITS, today=TODAY)

    assert result.ok is True


def test_file_in_folder_matched_by_name_and_ambiguous_when_two():
    rows = [row(1, "a.txt", "T", "Tạp chí", "An")]
    one = plan({"dot1/a.txt": essay(1)}, rows)
    two = plan({"x/a.txt": essay(1), "y/a.txt": essay(2)}, rows)

    assert one.entries[0].member_name == "dot1/a.txt"
    assert codes(two.entries[0].problems) == ["file_ambiguous"]
    assert two.entries[0].problems[0].params["matches"] == "x/a.txt, y/a.txt"


def test_missing_file_reported_and_unused_file_noticed():
    result = plan({"other.txt": essay(1)}, [row(1, "a.txt", "T", "Tạp chí", "An")])

    assert codes(result.entries[0].problems) == ["file_missing"]
    assert result.entries[0].problems[0].message() == (
        "Dòng 2: không tìm thấy tệp “a.txt” trong .zip."
    )
    assert codes(result.notices) == ["files_unused"]
    assert result.notices[0].params == {"count": 1, "names": "other.txt"}


def test_read_batch_returns_files_and_manifest_ignoring_junk():
    m = sheet([row(1, "a.txt", "T", "Tạp chí", "An")])
    blob = zip_of({"m.xlsx": m, "d/a.txt": b"x", "__MACOSX/d/._a.txt": b"y", "d/.hidden": b"z"})

    files, manifest, problems = read_batch(blob)

    assert files == {"d/a.txt": b"x"}
    assert manifest == m
    assert problems == []


def test_read_batch_refuses_bad_zip():
    files, manifest, problems = read_batch(b"nope")

    assert (files, manifest, codes(problems)) == ({}, b"", ["not_zip"])


# ---------------------------------------------------------------- rows and entries


def test_example_and_empty_rows_skipped_text_trimmed_and_nfc():
    nfd_title = unicodedata.normalize("NFD", "  Tiêu   đề  ")
    rows = [
        row("Ví dụ", "x.docx", "Mẫu", "Tạp chí", "Mẫu"),
        {},
        row(1, " a.txt ", nfd_title, "Tạp chí", " Nguyễn  An "),
    ]

    result = plan({"a.txt": essay(1)}, rows)

    assert result.ok is True
    entry = result.entries[0]
    assert (entry.row_numbers, entry.title, entry.authors[0].full_name) == (
        [4],
        "Tiêu đề",
        "Nguyễn An",
    )


def test_coauthor_row_without_number_joins_entry_above():
    rows = [
        row(1, "a.txt", "T", "Tạp chí", "An"),
        row(None, name="Bình"),
        row(None, "a.txt", name="Chi"),
    ]

    result = plan({"a.txt": essay(1)}, rows)

    assert result.problems == []
    assert [a.full_name for a in result.entries[0].authors] == ["An", "Bình", "Chi"]


def test_row_without_number_and_other_file_is_missing_its_number():
    rows = [row(1, "a.txt", "T", "Tạp chí", "An"), row(None, "b.txt", "U", "Báo", "Bình")]

    result = plan({"a.txt": essay(1), "b.txt": essay(2)}, rows)

    assert codes(result.problems) == ["number_missing"]
    assert result.problems[0].params == {"row": 3}
    assert result.ok is False


def test_bad_number_reported_with_cell():
    result = plan({"a.txt": essay(1)}, [row("1a", "a.txt", "T", "Tạp chí", "An")])

    assert codes(result.problems) == ["bad_number"]
    assert result.problems[0].params == {"cell": "A2", "value": "1a"}


def test_rows_with_same_number_apart_form_one_entry():
    rows = [
        row(1, "a.txt", "T", "Tạp chí", "An"),
        row(2, "b.txt", "U", "Báo", "Bình"),
        row(1, name="Chi"),
    ]

    result = plan({"a.txt": essay(1), "b.txt": essay(2)}, rows)

    assert [(e.number, e.row_numbers) for e in result.entries] == [(1, [2, 4]), (2, [3])]


def test_entry_columns_that_disagree_are_a_problem():
    rows = [
        row(1, "a.txt", "Tiêu đề", "Tạp chí", "An"),
        row(1, "A.TXT", "Tiêu đề khác", None, "Bình"),
    ]

    result = plan({"a.txt": essay(1)}, rows)

    entry = result.entries[0]
    assert codes(entry.problems) == ["entry_field_conflict"]
    assert entry.problems[0].params == {
        "column_vi": "Tên tác phẩm",
        "column_en": "Title",
        "rows": "2–3",
        "values": "“Tiêu đề” / “Tiêu đề khác”",
    }


def test_missing_entry_values_named():
    result = plan({"a.txt": essay(1)}, [row(1, "a.txt", None, None, None)])

    assert codes(result.entries[0].problems) == [
        "value_missing",
        "value_missing",
        "author_name_missing",
    ]
    assert result.entries[0].problems[1].message("en") == "Row 2: “Category” is missing."


def test_unknown_category_names_known_ones():
    result = plan({"a.txt": essay(1)}, [row(1, "a.txt", "T", "Thơ", "An")])

    problem = result.entries[0].problems[0]
    assert problem.code == "unknown_category"
    assert problem.message() == (
        "Dòng 2: thể loại “Thơ” không có trong cuộc thi (có: Tạp chí, Báo (in, điện tử), Video clip)."
    )


def test_category_matched_by_code_or_name_without_diacritics():
    rows = [
        row(1, "a.txt", "T", "VIDEO-CLIP", "An", media_name="a.mp4"),
        row(2, "b.txt", "U", "bao (in, dien tu)", "Bình"),
    ]

    result = plan({"a.txt": essay(1), "b.txt": essay(2), "a.mp4": MP4}, rows)

    assert [e.category_code for e in result.entries] == ["video-clip", "bao"]
    assert result.ok is True


# ---------------------------------------------------------------- authors


def test_coauthor_limits_written_and_media():
    def entry(n, file, category, people, **more):
        first = row(n, file, f"T{n}", category, f"{people[0]}", **more)
        return [first] + [row(n, name=p) for p in people[1:]]

    rows = [
        *entry(1, "a.txt", "Tạp chí", ["A1", "A2", "A3"]),  # 2 co-authors: allowed
        *entry(2, "b.txt", "Tạp chí", ["B1", "B2", "B3", "B4"]),  # 3: too many
        *entry(3, "c.txt", "Video clip", ["C1", "C2", "C3", "C4"], media_name="c.mp4"),  # 3: ok
        *entry(4, "d.txt", "Video clip", ["D1", "D2", "D3", "D4", "D5"], media_name="d.mp4"),
    ]
    files = {"a.txt": essay(1), "b.txt": essay(2), "c.txt": essay(3), "d.txt": essay(4)}
    files.update({"c.mp4": MP4, "d.mp4": MP4 + b"d"})

    result = plan(files, rows)

    assert [codes(e.problems) for e in result.entries] == [
        [],
        ["too_many_coauthors"],
        [],
        ["too_many_media_coauthors"],
    ]
    assert result.entries[1].problems[0].message("en") == (
        "The entry at row 5 has 3 co-authors; a written entry may have at most 2."
    )
    assert result.entries[3].problems[0].params == {"row": 13, "count": 4, "limit": 3}


def test_birth_dates_in_three_forms():
    rows = [
        row(1, "a.txt", "T", "Tạp chí", "An", birth=datetime(1979, 11, 5)),
        row(1, name="Bình", birth="05/11/1979"),
        row(1, name="Chi", birth=1979),
        row(2, "b.txt", "U", "Báo", "Dũng", birth="1979"),
        row(2, name="Em", birth="1979-11-05"),
    ]

    result = plan({"a.txt": essay(1), "b.txt": essay(2)}, rows)

    assert result.ok is True
    births = [(a.birth_date, a.birth_year) for e in result.entries for a in e.authors]
    assert births == [
        (date(1979, 11, 5), 1979),
        (date(1979, 11, 5), 1979),
        (None, 1979),
        (None, 1979),
        (date(1979, 11, 5), 1979),
    ]


@pytest.mark.parametrize(
    ("birth", "code"),
    [
        ("31/02/1990", "bad_date"),
        ("5/11/79", "bad_date"),
        (12.5, "bad_date"),
        ("02/06/2025", "birth_date_future"),
        (2026, "birth_date_future"),
        ("01/01/1850", "birth_date_too_early"),
    ],
)
def test_bad_birth_dates_named_by_cell(birth, code):
    result = one_entry_plan(birth=birth)

    assert codes(result.entries[0].problems) == [code]
    assert result.entries[0].problems[0].params["cell"] == "H2"


def test_bad_email_blocks_but_unusual_phone_only_notices():
    bad_email = one_entry_plan(email="an@@x")
    odd_phone = one_entry_plan(phone="12345")

    assert codes(bad_email.entries[0].problems) == ["bad_email"]
    assert odd_phone.entries[0].ok is True
    assert codes(odd_phone.entries[0].notices) == ["phone_unusual"]
    assert plan_report_rows(odd_phone)[0]["notes"] == (
        "Ô L2: số điện thoại “12345” có dạng bất thường; hãy kiểm tra lại."
    )


def test_numeric_phone_and_id_get_their_leading_zeros_back():
    result = one_entry_plan(phone=912345678, id_number=1080012345)

    author = result.entries[0].authors[0]
    assert (author.phone, author.id_number) == ("0912345678", "001080012345")
    assert result.entries[0].notices == []


@pytest.mark.parametrize(("value", "ok"), [("001 080 012 345", True), ("123456789", True),
                                            ("12345", False), ("00108001234X", False)])  # fmt: skip
def test_id_number_twelve_or_nine_digits(value, ok):
    result = one_entry_plan(id_number=value)

    assert codes(result.entries[0].problems) == ([] if ok else ["bad_id_number"])


def test_roles_put_main_author_first_and_two_main_authors_refused():
    swapped = plan(
        {"a.txt": essay(1)},
        [
            row(1, "a.txt", "T", "Tạp chí", "An", role="Đồng tác giả"),
            row(1, name="Bình", role="tac gia"),
        ],
    )
    two = plan(
        {"a.txt": essay(1)},
        [
            row(1, "a.txt", "T", "Tạp chí", "An", role="Tác giả"),
            row(1, name="Bình", role="Tác giả"),
        ],
    )
    bad = one_entry_plan(role="Chủ biên")

    assert [(a.full_name, a.role) for a in swapped.entries[0].authors] == [
        ("Bình", "author"),
        ("An", "coauthor"),
    ]
    assert codes(two.entries[0].problems) == ["two_main_authors"]
    assert codes(bad.entries[0].problems) == ["bad_role"]


def test_same_author_twice_in_one_entry_refused():
    rows = [
        row(1, "a.txt", "T", "Tạp chí", "An", email="an@x.vn"),
        row(1, name="Nguyễn An", email="AN@x.vn"),
    ]

    result = plan({"a.txt": essay(1)}, rows)

    assert codes(result.entries[0].problems) == ["author_repeated"]
    assert result.entries[0].problems[0].params == {"name": "An", "rows": "2–3"}


def test_entries_per_author_limited_by_email_or_name_and_birth():
    rows = [
        row(1, "1.txt", "T1", "Tạp chí", "Nguyễn An", email="an@x.vn"),
        row(2, "2.txt", "T2", "Báo", "Nguyễn An", email="an@x.vn", birth=1980),
        row(3, "3.txt", "T3", "Tạp chí", "NGUYEN AN", birth="1980"),  # same person by name+year
        row(4, "4.txt", "T4", "Video clip", "Nguyễn An", email="an@x.vn", media_name="4.mp4"),
        row(5, "5.txt", "T5", "Báo", "Nguyễn An", birth=1981),  # another person
    ]
    files = {f"{i}.txt": essay(i) for i in range(1, 6)} | {"4.mp4": MP4}

    result = plan(files, rows)

    assert [codes(e.problems) for e in result.entries] == [
        [],
        [],
        ["too_many_written_entries"],
        [],
        [],
    ]
    assert result.entries[2].problems[0].message() == (
        "Dòng 4: tác giả NGUYEN AN đã có 2 bài viết trong đợt nhập (dòng 2–3); "
        "mỗi tác giả được tối đa 2."
    )


# ---------------------------------------------------------------- files


def test_word_limits_apply_to_written_categories_only():
    rows = [
        row(1, "short.txt", "T", "Tạp chí", "A"),
        row(2, "long.txt", "U", "Báo", "B"),
        row(3, "script.txt", "V", "Video clip", "C", media_name="v.mp4"),
    ]
    files = {"short.txt": essay(1, 4), "long.txt": essay(2, 51), "script.txt": essay(3, 400)}

    result = plan(files | {"v.mp4": MP4}, rows)

    assert [codes(e.problems) for e in result.entries] == [
        ["too_few_words"],
        ["too_many_words"],
        [],
    ]
    assert result.entries[1].problems[0].params == {"row": 3, "words": 51, "limit": 50}


def test_media_file_rules():
    rows = [
        row(1, "a.txt", "T", "Video clip", "A"),
        row(2, "b.txt", "U", "Tạp chí", "B", media_name="b.mp4"),
        row(3, "c.txt", "V", "Video clip", "C", media_name="c.mp4"),
        row(4, "d.txt", "W", "Video clip", "D", media_name="d.wav"),
        row(5, "e.txt", "X", "Video clip", "E", media_name="e.mp4"),
    ]
    files = {f"{c}.txt": essay(i) for i, c in enumerate("abcde")}
    files |= {"b.mp4": MP4, "c.mp4": b"not a video at all", "d.wav": b"RIFF", "e.mp4": MP4}

    result = plan(files, rows)

    assert [codes(e.problems) for e in result.entries] == [
        ["media_missing"],
        ["media_unexpected"],
        ["media_bad_type"],
        ["media_bad_type"],
        [],
    ]
    good = result.entries[4]
    assert (good.media_bytes, good.media_member_name) == (MP4, "e.mp4")
    assert good.media_sha256 == hashlib.sha256(MP4).hexdigest()


def test_extraction_error_becomes_entry_problem():
    rows = [row(1, "old.doc", "T", "Tạp chí", "A")]

    result = plan({"old.doc": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100}, rows)

    problem = result.entries[0].problems[0]
    assert problem.code == "extract_legacy_doc"
    assert problem.message("en") == (
        "Row 2: old.doc is an old Word document (.doc). Please open it in Word, save it as "
        ".docx and upload the .docx file."
    )


def test_file_type_and_size_limits():
    limits = ContestLimits.with_categories(LIMITS.categories.values(), allowed_file_types=("docx",))
    small = ContestLimits.with_categories(LIMITS.categories.values(), max_file_bytes=10)
    rows = [row(1, "a.txt", "T", "Tạp chí", "A")]

    by_type = plan({"a.txt": essay(1)}, rows, limits=limits)
    by_size = plan({"a.txt": essay(1)}, rows, limits=small)

    assert codes(by_type.entries[0].problems) == ["file_type_not_allowed"]
    assert by_type.entries[0].problems[0].params["allowed"] == "DOCX"
    assert codes(by_size.entries[0].problems) == ["file_too_large"]


def test_extract_text_false_checks_type_only():
    result = plan(
        {"a.txt": essay(1, 2)}, [row(1, "a.txt", "T", "Tạp chí", "A")], extract_text=False
    )

    entry = result.entries[0]
    assert (entry.format, entry.words, entry.text, entry.ok) == ("txt", None, None, True)


def test_progress_reports_each_entry():
    calls = []
    rows = [row(1, "a.txt", "T", "Tạp chí", "A"), row(2, "b.txt", "U", "Báo", "B")]

    plan({"a.txt": essay(1), "b.txt": essay(2)}, rows, progress=lambda d, t: calls.append((d, t)))

    assert calls == [(1, 2), (2, 2)]


# ---------------------------------------------------------------- duplicates and the whole plan


def test_duplicate_inside_batch_marks_later_entry():
    rows = [row(1, "a.txt", "T", "Tạp chí", "A"), row(2, "copy.txt", "U", "Báo", "B")]

    result = plan({"a.txt": essay(1), "copy.txt": essay(1)}, rows)

    first, second = result.entries
    assert (first.ok, first.duplicate_of) == (True, None)
    assert (second.duplicate_of, second.status, codes(second.problems)) == (
        "row 2",
        "duplicate",
        ["duplicate_in_batch"],
    )
    assert plan_report_rows(result)[1]["status"] == "trùng"
    assert result.ok is False


def test_duplicate_of_existing_entry_names_its_receipt():
    existing = {hashlib.sha256(essay(1)).hexdigest(): "BN-2025-0001"}

    result = plan(
        {"a.txt": essay(1)}, [row(1, "a.txt", "T", "Tạp chí", "A")], existing_fingerprints=existing
    )

    entry = result.entries[0]
    assert (entry.duplicate_of, entry.status) == ("BN-2025-0001", "duplicate")
    assert entry.problems[0].message() == (
        "Dòng 2: tệp “a.txt” trùng với bài đã có (số biên nhận BN-2025-0001)."
    )


def test_reimporting_same_batch_finds_every_entry_duplicate():
    rows = [row(1, "a.txt", "T", "Tạp chí", "A"), row(2, "b.txt", "U", "Báo", "B")]
    files = {"a.txt": essay(1), "b.txt": essay(2)}
    first = plan(files, rows)
    imported = {e.sha256: f"BN-{e.number}" for e in first.entries}

    again = plan(files, rows, existing_fingerprints=imported)

    assert first.ok is True
    assert again.batch_sha256 == first.batch_sha256
    assert [e.duplicate_of for e in again.entries] == ["BN-1", "BN-2"]
    assert again.summary()["duplicates"] == 2
    assert again.summary()["create"] == 0


def test_plan_not_ok_when_any_row_has_a_problem_and_bad_entries_drop_bytes():
    rows = [row(1, "a.txt", "T", "Tạp chí", "A"), row(2, "b.txt", "U", "Thơ", "B")]

    result = plan({"a.txt": essay(1), "b.txt": essay(2)}, rows)

    good, bad = result.entries
    assert (good.ok, bad.ok, result.ok) == (True, False, False)
    assert good.file_bytes == essay(1)
    assert (bad.file_bytes, bad.sha256) == (None, hashlib.sha256(essay(2)).hexdigest())
    assert result.summary() == {
        "entries": 2,
        "create": 1,
        "errors": 1,
        "duplicates": 0,
        "authors": 2,
        "words": 20,
        "batch_problems": 0,
        "by_category": {"tap-chi": 1},
        "batch_sha256": result.batch_sha256,
        "ok": False,
    }


def test_report_rows_in_english():
    rows = [row(1, "a.txt", "T", "Thơ", "A")]

    report = plan_report_rows(plan({"a.txt": essay(1)}, rows), lang="en")

    assert report[0]["status"] == "error"
    assert report[0]["problems"].startswith("Row 2: the category “Thơ” is not in this contest")
    assert report_headers("en")["status"] == "Status"
    assert report_headers()["problems"] == "Vấn đề"


def test_file_bytes_not_in_repr():
    result = plan({"a.txt": essay(1)}, [row(1, "a.txt", "T", "Tạp chí", "A")])

    assert "file_bytes" not in repr(result.entries[0])


# ---------------------------------------------------------------- messages


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_every_message_has_both_languages_with_matching_placeholders():
    for code, (vi, en) in batch._MESSAGES.items():
        assert vi and en and vi != en, code
        vi_fields = {f.removesuffix("_vi").removesuffix("_en") for f in _fields(vi)}
        en_fields = {f.removesuffix("_vi").removesuffix("_en") for f in _fields(en)}
        assert vi_fields == en_fields, code


# ---------------------------------------------------------------- damaged and hostile parts


def corrupted(files: dict[str, bytes], victim: bytes) -> bytes:
    """A zip (members stored) with one byte of ``victim``'s data flipped: its CRC fails."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    raw = bytearray(buf.getvalue())
    at = raw.find(victim)
    raw[at] ^= 0xFF
    return bytes(raw)


def test_damaged_member_is_an_entry_problem():
    m = sheet([row(1, "a.txt", "T", "Tạp chí", "A")])
    blob = corrupted({"m.xlsx": m, "a.txt": essay(7)}, essay(7))

    result = plan_batch(blob, limits=LIMITS, today=TODAY)
    files, _, problems = read_batch(blob)

    assert codes(result.entries[0].problems) == ["file_unreadable"]
    assert (files, codes(problems)) == ({}, ["member_unreadable"])


def test_manifest_with_xml_entity_refused():
    m = sheet([row(1, "a.txt", "T", "Tạp chí", "A")])
    members = {}
    with zipfile.ZipFile(io.BytesIO(m)) as zf:
        for info in zf.infolist():
            members[info.filename] = zf.read(info)
    members["xl/workbook.xml"] = (
        b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>' + members["xl/workbook.xml"]
    )
    hostile = zip_of(members)

    result = plan_batch(
        zip_of({"a.txt": essay(1)}), limits=LIMITS, manifest_bytes=hostile, manifest_name="m.xlsx"
    )

    assert codes(result.problems) == ["manifest_unsafe"]


def test_manifest_expanding_too_much_refused():
    m = sheet([row(1, "a.txt", "T", "Tạp chí", "A")])

    result = plan_batch(
        zip_of({"a.txt": essay(1)}),
        limits=LIMITS,
        manifest_bytes=m,
        manifest_name="m.xlsx",
        batch_limits=BatchLimits(max_manifest_uncompressed=1000),
    )

    assert codes(result.problems) == ["manifest_too_large"]


def test_merged_title_above_header_allowed():
    wb = Workbook()
    ws = wb.active
    ws.append(["DANH SÁCH BÀI DỰ THI"])
    ws.merge_cells("A1:F1")
    ws.append(VI_HEADERS)
    ws.append([row(1, "a.txt", "T", "Tạp chí", "A").get(k) for k in KEYS])
    buf = io.BytesIO()
    wb.save(buf)

    result = plan_batch(zip_of({"m.xlsx": buf.getvalue(), "a.txt": essay(1)}), limits=LIMITS)

    assert result.problems == []
    assert result.entries[0].row_numbers == [3]


def test_category_spelled_like_two_categories_is_ambiguous():
    limits = ContestLimits.with_categories(
        [CategoryInfo("bao", "Báo in"), CategoryInfo("bao-dien-tu", "Bao")]
    )

    result = plan({"a.txt": essay(1)}, [row(1, "a.txt", "T", "BÁO", "A")], limits=limits)

    assert codes(result.entries[0].problems) == ["category_ambiguous"]
