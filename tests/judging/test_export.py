"""Tests for judging.export: every workbook is read back with openpyxl (and pandas) and checked
by value, format and layout."""

from __future__ import annotations

import ast
import io
import zipfile
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from judging import export
from judging.export import (
    Column,
    DuplicateColumnError,
    DuplicateScoreError,
    MissingColumnsError,
    ResultsReport,
    Sheet,
    UnknownColumnKindError,
    UnknownLanguageError,
    build_results_sheets,
    neutralise,
    results_csv_zip,
    results_workbook,
    sanitise_sheet_title,
    write_csv,
    write_csv_zip,
    write_xlsx,
)

FORMULA_STARTS = ["=", "+", "-", "@", "\t", "\r"]
CRITERIA = ["Tính Đảng", "Tính khoa học"]


def load(data: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(data))


def values(ws) -> list[tuple]:
    return list(ws.iter_rows(values_only=True))


def simple_sheet(rows=None) -> Sheet:
    columns = [
        Column("code", "Mã bài", "Code", 12),
        Column("title", "Tên tác phẩm", "Title", 40),
        Column("score", "Điểm", "Score", 9, "score"),
        Column("day", "Ngày", "Date", 11, "date"),
    ]
    if rows is None:
        rows = [
            {"code": "TC-001", "title": "Bảo vệ nền tảng tư tưởng", "score": 71.333,
             "day": date(2025, 3, 1)},
            {"code": "TC-002", "title": "Phản bác luận điệu sai trái", "score": 80.0,
             "day": date(2025, 3, 2)},
        ]  # fmt: skip
    return Sheet("Tạp chí", "Magazine", columns, rows)


def make_report(*, revealed: bool = True, **changes) -> ResultsReport:
    ranking = pd.DataFrame(
        {
            "category": ["Tạp chí", "Tạp chí", "Tạp chí", "Báo"],
            "rank": [1, 1, 3, 1],
            "tied": [True, True, False, False],
            "code": ["TC-001", "TC-002", "TC-003", "BA-001"],
            "title": ["Giữ vững trận địa tư tưởng", '=HYPERLINK("x")', "Xây và chống", "Niềm tin"],
            "authors": ["Nguyễn Thị Hằng", "Trần Văn Đức", "Lê Ánh", "Phạm Hoà"],
            "pen_name": ["Hằng Nga", None, "", "Hoà Bình"],
            "unit": ["Xã Đông Hưng", "Phường 3", "Xã Tân Phú", "Đảng uỷ khối"],
            "mean": [82.5, 82.5, 70.25, 64.0],
            "calibrated": [83.1, 81.9, 70.0, None],
            "final": [82.5, 82.5, 70.25, 64.0],
            "n_readings": [2, 2, 2, 2],
            "prize": ["A", "A", "KK", None],
            "prize_note": [None, None, "xét thêm", None],
            "too_close": [False, False, True, False],
        }
    )
    rows = []
    points = {"GK-07": (20.0, 21.5), "GK-03": (22.0, 23.0)}
    for code, category in [("TC-001", "Tạp chí"), ("TC-002", "Tạp chí"), ("TC-003", "Tạp chí"),
                           ("BA-001", "Báo")]:  # fmt: skip
        for judge, pts in points.items():
            for criterion, p in zip(CRITERIA, pts, strict=True):
                rows.append(
                    {"code": code, "category": category, "judge": judge, "criterion": criterion,
                     "points": p, "total": sum(pts),
                     "submitted_at": datetime(2025, 5, 2, 9, 15) if judge == "GK-03"
                     else datetime(2025, 5, 1, 8, 0)}
                )  # fmt: skip
    fields = {
        "contest_title": "Giải Búa liềm vàng huyện 2025",
        "round_name": "Sơ khảo",
        "revealed": revealed,
        "finalised": True,
        "ranking": ranking,
        "readings": pd.DataFrame(rows),
        "disagreements": pd.DataFrame(
            {
                "code": ["TC-003"],
                "category": ["Tạp chí"],
                "totals": ["55 / 85"],
                "gap": [30.0],
                "status": ["đã chấm lần 3"],
            }
        ),  # fmt: skip
        "copying": pd.DataFrame(
            {
                "code": ["TC-002"],
                "category": ["Tạp chí"],
                "overlap": [0.275],
                "matched_with": ["TC-001"],
                "decision": ["giữ lại"],
                "note": ["+trích dẫn"],
                "decided_by": ["Tổ thư ký"],
                "decided_at": [datetime(2025, 4, 30, 16, 45)],
            }
        ),  # fmt: skip
        "statistics": {
            "by_category": pd.DataFrame({"category": ["Tạp chí", "Báo"], "entries": [3, 1]}),
            "agreement": pd.DataFrame({"measure": ["ICC"], "value": [0.8123]}),
        },
        "settings": [
            (("Phương pháp tổng hợp", "Aggregation method"), "trung bình"),
            ("Ngưỡng chênh lệch", 20),
        ],  # fmt: skip
        "criteria": CRITERIA,
        "exported_at": datetime(2025, 6, 1, 10, 30),
    }
    fields.update(changes)
    return ResultsReport(**fields)


# --- neutralise ---------------------------------------------------------------------------


@pytest.mark.parametrize("start", FORMULA_STARTS)
def test_neutralise_formula_start_prefixed_with_quote(start):
    assert neutralise(start + "SUM(A1:A9)") == "'" + start + "SUM(A1:A9)"


def test_neutralise_plain_text_and_numbers_unchanged():
    assert neutralise("Bài viết = tốt") == "Bài viết = tốt"
    assert neutralise(-5) == -5
    assert neutralise(None) is None


# --- sheet titles ---------------------------------------------------------------------------


def test_sanitise_sheet_title_forbidden_characters_replaced():
    assert sanitise_sheet_title("Báo [in]: a/b*c?d\\e") == "Báo -in-- a-b-c-d-e"


def test_sanitise_sheet_title_long_title_cut_to_31():
    title = sanitise_sheet_title("Phát thanh và truyền hình địa phương năm 2025")
    assert title == "Phát thanh và truyền hình địa p"
    assert len(title) == 31


def test_sanitise_sheet_title_clash_gets_numbered_suffix_within_31():
    taken: set[str] = set()
    long = "Phát thanh và truyền hình địa phương"
    assert sanitise_sheet_title("Báo", taken) == "Báo"
    assert sanitise_sheet_title("BÁO", taken) == "BÁO (2)"
    assert sanitise_sheet_title(long, taken) == "Phát thanh và truyền hình địa p"
    assert sanitise_sheet_title(long, taken) == "Phát thanh và truyền hình đ (2)"


def test_sanitise_sheet_title_empty_and_reserved_names():
    taken: set[str] = set()
    assert sanitise_sheet_title("'?'", taken) == "-"
    assert sanitise_sheet_title("", taken) == "Sheet"
    assert sanitise_sheet_title("History", taken) == "History (2)"


# --- write_xlsx -----------------------------------------------------------------------------


def test_write_xlsx_headers_in_vietnamese_by_default():
    ws = load(write_xlsx([simple_sheet()]))["Tạp chí"]
    assert values(ws)[0] == ("Mã bài", "Tên tác phẩm", "Điểm", "Ngày")


def test_write_xlsx_headers_and_title_in_english():
    wb = load(write_xlsx([simple_sheet()], lang="en"))
    assert wb.sheetnames == ["Magazine"]
    assert values(wb["Magazine"])[0] == ("Code", "Title", "Score", "Date")


def test_write_xlsx_values_and_number_formats():
    ws = load(write_xlsx([simple_sheet()]))["Tạp chí"]
    assert values(ws)[1:] == [
        ("TC-001", "Bảo vệ nền tảng tư tưởng", 71.333, datetime(2025, 3, 1)),
        ("TC-002", "Phản bác luận điệu sai trái", 80.0, datetime(2025, 3, 2)),
    ]
    assert ws["C2"].number_format == "0.00"
    assert ws["D2"].number_format == "dd/mm/yyyy"
    assert ws["B2"].number_format == "General"
    assert ws["A1"].font.bold is True


def test_write_xlsx_freeze_filter_and_widths():
    ws = load(write_xlsx([simple_sheet()]))["Tạp chí"]
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == "A1:D3"
    assert [ws.column_dimensions[c].width for c in "ABCD"] == [12, 40, 9, 11]


def test_write_xlsx_dataframe_rows_match_mapping_rows():
    frame = pd.DataFrame(simple_sheet().rows)
    from_frame = values(load(write_xlsx([simple_sheet(frame)]))["Tạp chí"])
    from_dicts = values(load(write_xlsx([simple_sheet()]))["Tạp chí"])
    assert from_frame == from_dicts


@pytest.mark.parametrize("start", FORMULA_STARTS)
def test_write_xlsx_formula_start_is_stored_as_text(start):
    text = start + 'HYPERLINK("http://evil.example","bấm")'
    rows = [{"code": "TC-9", "title": text, "score": None, "day": None}]
    ws = load(write_xlsx([simple_sheet(rows)]))["Tạp chí"]
    assert ws["B2"].value == "'" + text
    assert ws["B2"].data_type == "s"


def test_write_xlsx_missing_values_leave_cells_empty():
    rows = [{"code": "TC-9", "title": None, "score": float("nan"), "day": pd.NaT}]
    ws = load(write_xlsx([simple_sheet(rows)]))["Tạp chí"]
    assert values(ws)[1] == ("TC-9", None, None, None)


def test_write_xlsx_escapes_markup_and_drops_control_characters():
    rows = [{"code": "  A&B <i>  ", "title": "dòng 1\x07\x00\ndòng 2", "score": 1, "day": None}]
    ws = load(write_xlsx([simple_sheet(rows)]))["Tạp chí"]
    assert ws["A2"].value == "  A&B <i>  "
    assert ws["B2"].value == "dòng 1\ndòng 2"
    assert ws["C2"].value == 1


def test_write_xlsx_datetimes_keep_wall_clock_and_datetime_format():
    columns = [Column("at", "Lúc", "At", 17, "datetime"), Column("raw", "Thô", "Raw")]
    aware = datetime(2025, 5, 1, 8, 30, tzinfo=timezone(timedelta(hours=7)))
    sheet = Sheet("T", "T", columns, [{"at": aware, "raw": datetime(2025, 5, 1, 23, 59)}])
    ws = load(write_xlsx([sheet]))["T"]
    assert ws["A2"].value == datetime(2025, 5, 1, 8, 30)
    assert ws["A2"].number_format == "dd/mm/yyyy hh:mm"
    assert ws["B2"].value == datetime(2025, 5, 1, 23, 59)
    assert ws["B2"].number_format == "dd/mm/yyyy hh:mm"


def test_write_xlsx_rows_across_chunks_keep_order(monkeypatch):
    monkeypatch.setattr(export, "CHUNK_ROWS", 2)
    rows = [{"code": f"M{i}", "title": "t", "score": i / 4, "day": None} for i in range(5)]
    ws = load(write_xlsx([simple_sheet(iter(rows))]))["Tạp chí"]
    assert [r[0] for r in values(ws)] == ["Mã bài", "M0", "M1", "M2", "M3", "M4"]
    assert [r[2] for r in values(ws)[1:]] == [0.0, 0.25, 0.5, 0.75, 1.0]


def test_write_xlsx_long_table_continues_on_numbered_sheets():
    rows = [{"code": f"M{i}", "title": "t", "score": i, "day": None} for i in range(5)]
    wb = load(write_xlsx([simple_sheet(rows)], max_rows_per_sheet=2))
    assert wb.sheetnames == ["Tạp chí", "Tạp chí (2)", "Tạp chí (3)"]
    assert [r[0] for r in values(wb["Tạp chí (2)"])] == ["Mã bài", "M2", "M3"]
    assert [r[0] for r in values(wb["Tạp chí (3)"])] == ["Mã bài", "M4"]
    assert wb["Tạp chí (3)"].auto_filter.ref == "A1:D2"
    assert wb["Tạp chí (3)"].freeze_panes == "A2"


def test_write_xlsx_empty_rows_keep_header_and_filter():
    ws = load(write_xlsx([simple_sheet([])]))["Tạp chí"]
    assert values(ws) == [("Mã bài", "Tên tác phẩm", "Điểm", "Ngày")]
    assert ws.auto_filter.ref == "A1:D1"


def test_write_xlsx_no_sheets_still_a_valid_workbook():
    assert load(write_xlsx([])).sheetnames == ["Trang 1"]


def test_write_xlsx_to_stream_returns_none():
    out = io.BytesIO()
    assert write_xlsx([simple_sheet()], out=out) is None
    assert values(load(out.getvalue())["Tạp chí"])[1][0] == "TC-001"


def test_write_xlsx_read_by_pandas():
    frame = pd.read_excel(io.BytesIO(write_xlsx([simple_sheet()])), sheet_name="Tạp chí")
    assert frame["Tên tác phẩm"].tolist() == [
        "Bảo vệ nền tảng tư tưởng",
        "Phản bác luận điệu sai trái",
    ]
    assert frame["Điểm"].tolist() == [71.333, 80.0]


# --- errors ---------------------------------------------------------------------------------


def test_write_xlsx_unknown_language_error_in_both_languages():
    with pytest.raises(UnknownLanguageError) as info:
        write_xlsx([simple_sheet()], lang="fr")
    assert info.value.code == "unknown_language"
    assert info.value.params == {"lang": "fr"}
    assert info.value.message() == "Ngôn ngữ «fr» không được hỗ trợ; hãy chọn vi hoặc en."
    assert info.value.message("en") == "Language 'fr' is not supported; choose vi or en."


def test_write_csv_dataframe_missing_column_error():
    sheet = simple_sheet(pd.DataFrame({"code": ["A"], "title": ["t"]}))
    with pytest.raises(MissingColumnsError) as info:
        write_csv(sheet)
    assert info.value.params == {"table": "Tạp chí", "columns": "score, day"}
    assert info.value.message("en") == (
        "Table 'Tạp chí' lacks columns: score, day. Add them and export again."
    )


def test_write_xlsx_unknown_kind_and_duplicate_column_errors():
    bad_kind = Sheet("T", "T", [Column("a", "A", "A", kind="money")])
    with pytest.raises(UnknownColumnKindError) as info:
        write_xlsx([bad_kind])
    assert info.value.params["kind"] == "money"
    twice = Sheet("T", "T", [Column("a", "A", "A"), Column("a", "B", "B")])
    with pytest.raises(DuplicateColumnError) as info:
        write_xlsx([twice])
    assert info.value.message() == ("Bảng «T» khai báo cột «a» hai lần; hãy đặt tên cột khác nhau.")


# --- csv ------------------------------------------------------------------------------------


def test_write_csv_starts_with_bom_and_round_trips_vietnamese():
    data = write_csv(simple_sheet())
    assert data.startswith(b"\xef\xbb\xbf")
    frame = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig")
    assert list(frame.columns) == ["Mã bài", "Tên tác phẩm", "Điểm", "Ngày"]
    assert frame["Tên tác phẩm"].tolist() == [
        "Bảo vệ nền tảng tư tưởng",
        "Phản bác luận điệu sai trái",
    ]
    assert frame["Điểm"].tolist() == [71.333, 80.0]
    assert frame["Ngày"].tolist() == ["2025-03-01", "2025-03-02"]


@pytest.mark.parametrize("start", FORMULA_STARTS)
def test_write_csv_formula_start_neutralised(start):
    rows = [{"code": start + "1+1", "title": "t", "score": -3.5, "day": None}]
    frame = pd.read_csv(
        io.BytesIO(write_csv(simple_sheet(rows))), encoding="utf-8-sig", keep_default_na=False
    )
    assert frame["Mã bài"].tolist() == ["'" + start + "1+1"]
    assert frame["Điểm"].tolist() == [-3.5]


def test_write_csv_zip_one_file_per_sheet_unique_names():
    sheets = [simple_sheet(), simple_sheet(), Sheet("Báo/Tạp chí", "B", simple_sheet().columns)]
    with zipfile.ZipFile(io.BytesIO(write_csv_zip(sheets))) as zf:
        assert zf.namelist() == ["Tạp chí.csv", "Tạp chí (2).csv", "Báo-Tạp chí.csv"]
        assert zf.read("Báo-Tạp chí.csv") == "\ufeffMã bài,Tên tác phẩm,Điểm,Ngày\r\n".encode()


# --- results report -------------------------------------------------------------------------


def test_results_workbook_sheet_order_and_names():
    wb = load(results_workbook(make_report()))
    assert wb.sheetnames == [
        "Tạp chí",
        "Báo",
        "Lượt chấm",
        "Chênh lệch điểm",
        "Kiểm tra sao chép",
        "Thống kê theo hạng mục",
        "Độ đồng thuận",
        "Thiết lập",
    ]


def test_results_workbook_english_sheet_names_and_headers():
    wb = load(results_workbook(make_report(), lang="en"))
    assert wb.sheetnames[2:] == [
        "Readings",
        "Disagreements",
        "Copying checks",
        "Entries by category",
        "Agreement",
        "Settings",
    ]
    assert values(wb["Báo"])[0][:8] == (
        "Rank", "Tied", "Code", "Title", "Author(s)", "Pen name", "Unit", "Judge 1",
    )  # fmt: skip


def test_results_ranking_row_with_readings_side_by_side():
    ws = load(results_workbook(make_report()))["Tạp chí"]
    assert values(ws)[0] == (
        "Hạng", "Đồng hạng", "Mã bài", "Tên tác phẩm", "Tác giả", "Bút danh", "Đơn vị",
        "Giám khảo 1", "GK1: Tính Đảng", "GK1: Tính khoa học", "GK1: Tổng",
        "Giám khảo 2", "GK2: Tính Đảng", "GK2: Tính khoa học", "GK2: Tổng",
        "Điểm trung bình", "Điểm hiệu chỉnh", "Điểm cuối", "Số lượt chấm", "Vòng", "Giải",
        "Ghi chú giải", "Sát điểm",
    )  # fmt: skip
    # readings are numbered in judge order: GK-03 before GK-07
    assert values(ws)[1] == (
        1, "Có", "TC-001", "Giữ vững trận địa tư tưởng", "Nguyễn Thị Hằng", "Hằng Nga",
        "Xã Đông Hưng", "GK-03", 22.0, 23.0, 45.0, "GK-07", 20.0, 21.5, 41.5,
        82.5, 83.1, 82.5, 2, "Sơ khảo", "Giải A", None, None,
    )  # fmt: skip
    assert ws["P2"].number_format == "0.00"
    assert ws["I2"].number_format == "0.00"
    assert ws["A2"].number_format == "0"
    assert ws.freeze_panes == "D2"
    assert ws.auto_filter.ref == "A1:W4"


def test_results_ranking_ties_keep_equal_ranks():
    ws = load(results_workbook(make_report()))["Tạp chí"]
    assert [(r[0], r[1], r[2]) for r in values(ws)[1:]] == [
        (1, "Có", "TC-001"),
        (1, "Có", "TC-002"),
        (3, None, "TC-003"),
    ]


def test_results_ranking_title_formula_neutralised():
    ws = load(results_workbook(make_report()))["Tạp chí"]
    assert ws["D3"].value == '\'=HYPERLINK("x")'
    assert ws["D3"].data_type == "s"


def test_results_identity_absent_when_not_revealed():
    report = make_report(revealed=False)
    report.ranking = report.ranking.drop(columns=["authors", "pen_name", "unit"])
    wb = load(results_workbook(report))
    header = values(wb["Tạp chí"])[0]
    assert header[:5] == ("Hạng", "Đồng hạng", "Mã bài", "Tên tác phẩm", "Giám khảo 1")
    cells = {v for ws in wb for row in values(ws) for v in row}
    assert "Nguyễn Thị Hằng" not in cells
    assert ("Đã công bố danh tính tác giả", "Không") in values(wb["Thiết lập"])


def test_results_identity_columns_ignored_even_if_given_when_not_revealed():
    wb = load(results_workbook(make_report(revealed=False)))
    cells = {v for ws in wb for row in values(ws) for v in row}
    assert {"Nguyễn Thị Hằng", "Hằng Nga", "Xã Đông Hưng"} & cells == set()


def test_results_identity_required_when_revealed():
    report = make_report(revealed=True)
    report.ranking = report.ranking.drop(columns=["pen_name"])
    with pytest.raises(MissingColumnsError) as info:
        build_results_sheets(report)
    assert info.value.params == {"table": "ranking", "columns": "pen_name"}


def test_results_prize_labels_default_custom_and_english():
    wb = load(results_workbook(make_report()))
    assert [r[20] for r in values(wb["Tạp chí"])[1:]] == ["Giải A", "Giải A", "Giải Khuyến khích"]
    wb = load(results_workbook(make_report(), lang="en"))
    assert [r[20] for r in values(wb["Tạp chí"])[1:]] == [
        "A prize", "A prize", "Encouragement prize",
    ]  # fmt: skip
    custom = make_report(prize_labels={"A": "Giải Vàng", "KK": ("Giải Bạc", "Silver")})
    wb = load(results_workbook(custom, lang="en"))
    assert [r[20] for r in values(wb["Tạp chí"])[1:]] == ["Giải Vàng", "Giải Vàng", "Silver"]


def test_results_readings_sheet_one_row_per_reading():
    ws = load(results_workbook(make_report()))["Lượt chấm"]
    rows = values(ws)
    assert rows[0] == (
        "Mã bài", "Hạng mục", "Lượt chấm", "Giám khảo", "Tính Đảng", "Tính khoa học",
        "Tổng điểm", "Thời điểm nộp",
    )  # fmt: skip
    assert rows[1:3] == [
        ("BA-001", "Báo", 1, "GK-03", 22.0, 23.0, 45.0, datetime(2025, 5, 2, 9, 15)),
        ("BA-001", "Báo", 2, "GK-07", 20.0, 21.5, 41.5, datetime(2025, 5, 1, 8, 0)),
    ]
    assert len(rows) == 9
    assert ws["H2"].number_format == "dd/mm/yyyy hh:mm"


def test_results_copying_and_disagreement_sheets():
    wb = load(results_workbook(make_report()))
    copying = wb["Kiểm tra sao chép"]
    assert values(copying)[1] == (
        "TC-002", "Tạp chí", 0.275, "TC-001", "giữ lại", "'+trích dẫn", "Tổ thư ký",
        datetime(2025, 4, 30, 16, 45),
    )  # fmt: skip
    assert copying["C2"].number_format == "0.0%"
    assert values(wb["Chênh lệch điểm"])[1] == (
        "TC-003",
        "Tạp chí",
        "55 / 85",
        30.0,
        "đã chấm lần 3",
    )


def test_results_statistics_and_settings_sheets():
    wb = load(results_workbook(make_report()))
    assert values(wb["Thống kê theo hạng mục"]) == [
        ("Hạng mục", "Số bài"), ("Tạp chí", 3), ("Báo", 1),
    ]  # fmt: skip
    assert values(wb["Độ đồng thuận"]) == [("Chỉ số", "Giá trị"), ("ICC", 0.8123)]
    settings = wb["Thiết lập"]
    assert values(settings) == [
        ("Thiết lập", "Giá trị"),
        ("Cuộc thi", "Giải Búa liềm vàng huyện 2025"),
        ("Vòng", "Sơ khảo"),
        ("Ngày xuất", datetime(2025, 6, 1, 10, 30)),
        ("Đã chốt kết quả", "Có"),
        ("Đã công bố danh tính tác giả", "Có"),
        ("Phương pháp tổng hợp", "trung bình"),
        ("Ngưỡng chênh lệch", 20),
    ]
    assert settings["B4"].number_format == "dd/mm/yyyy hh:mm"


def test_results_category_names_sanitised_and_unique():
    report = make_report()
    report.ranking["category"] = ["Báo/Tạp chí", "Báo/Tạp chí", "Báo/Tạp chí", "Báo-Tạp chí"]
    assert load(results_workbook(report)).sheetnames[:2] == ["Báo-Tạp chí", "Báo-Tạp chí (2)"]


def test_results_third_reading_adds_columns_only_where_present():
    report = make_report()
    extra = pd.DataFrame(
        {"code": "TC-003", "category": "Tạp chí", "judge": "GK-11", "criterion": CRITERIA,
         "points": [10.0, 12.0], "total": 22.0, "submitted_at": datetime(2025, 5, 3)}
    )  # fmt: skip
    report.readings = pd.concat([report.readings, extra], ignore_index=True)
    wb = load(results_workbook(report))
    assert values(wb["Tạp chí"])[0][15:19] == (
        "Giám khảo 3", "GK3: Tính Đảng", "GK3: Tính khoa học", "GK3: Tổng",
    )  # fmt: skip
    assert values(wb["Tạp chí"])[3][15:19] == ("GK-11", 10.0, 12.0, 22.0)
    assert values(wb["Tạp chí"])[1][15:19] == (None, None, None, None)
    assert values(wb["Báo"])[0][15] == "Điểm trung bình"


def test_results_duplicate_score_error():
    report = make_report()
    report.readings = pd.concat([report.readings, report.readings.iloc[[0]]], ignore_index=True)
    with pytest.raises(DuplicateScoreError) as info:
        build_results_sheets(report)
    assert info.value.message() == (
        "Bài TC-001 có hai điểm của giám khảo «GK-07» cho tiêu chí «Tính Đảng»; "
        "hãy giữ một điểm rồi xuất lại."
    )


def test_results_empty_report_valid_workbook_with_headers():
    report = ResultsReport("Cuộc thi", "Sơ khảo", False, False, pd.DataFrame(), pd.DataFrame())
    wb = load(results_workbook(report))
    assert wb.sheetnames == [
        "Xếp hạng", "Lượt chấm", "Chênh lệch điểm", "Kiểm tra sao chép", "Thiết lập",
    ]  # fmt: skip
    assert values(wb["Xếp hạng"]) == [
        ("Hạng", "Đồng hạng", "Mã bài", "Tên tác phẩm", "Điểm trung bình", "Điểm hiệu chỉnh",
         "Điểm cuối", "Số lượt chấm", "Vòng", "Giải", "Ghi chú giải", "Sát điểm"),
    ]  # fmt: skip
    assert values(wb["Lượt chấm"]) == [
        ("Mã bài", "Hạng mục", "Lượt chấm", "Giám khảo", "Tổng điểm", "Thời điểm nộp"),
    ]
    assert values(wb["Thiết lập"])[3] == ("Ngày xuất", None)


def test_results_csv_zip_matches_workbook_tables():
    report = make_report()
    with zipfile.ZipFile(io.BytesIO(results_csv_zip(report))) as zf:
        names = zf.namelist()
        ranking = pd.read_csv(io.BytesIO(zf.read("Tạp chí.csv")), encoding="utf-8-sig")
    assert names[:3] == ["Tạp chí.csv", "Báo.csv", "Lượt chấm.csv"]
    assert len(names) == 8
    assert ranking["Tác giả"].tolist() == ["Nguyễn Thị Hằng", "Trần Văn Đức", "Lê Ánh"]
    assert ranking["Tên tác phẩm"].tolist()[1] == '\'=HYPERLINK("x")'
    assert ranking["Hạng"].tolist() == [1, 1, 3]


def test_export_module_imports_neither_flask_nor_sqlalchemy():
    source = Path(export.__file__).read_text(encoding="utf-8")
    imported = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module.split(".")[0])
    assert imported & {"flask", "sqlalchemy", "flask_sqlalchemy"} == set()
    assert "openpyxl" in imported


def test_write_csv_missing_values_are_empty_fields():
    rows = [
        {"code": "A", "title": None, "score": float("nan"), "day": None},
        {"code": "B", "title": "x", "score": 2.5, "day": datetime(2025, 1, 2, 3, 4, 5)},
    ]
    text = write_csv(simple_sheet(rows)).decode("utf-8-sig")
    assert text == "Mã bài,Tên tác phẩm,Điểm,Ngày\r\nA,,,\r\nB,x,2.5,2025-01-02 03:04:05\r\n"


def test_results_statistics_series_and_indexed_frame_accepted():
    by_unit = pd.Series([2, 1], index=pd.Index(["Xã A", "Xã B"], name="unit"), name="entries")
    prizes = pd.DataFrame({"count": [3]}, index=pd.Index(["Giải A"], name="prize"))
    wb = load(results_workbook(make_report(statistics={"by_unit": by_unit, "prizes": prizes})))
    assert values(wb["Thống kê theo đơn vị"]) == [("Đơn vị", "Số bài"), ("Xã A", 2), ("Xã B", 1)]
    assert values(wb["Thống kê giải"]) == [("Giải", "Số lượng"), ("Giải A", 3)]
