"""Result tables -> .xlsx and .csv bytes, formula-injection safe, in Vietnamese or English.

Two layers:

* a generic one: :class:`Column`, :class:`Sheet`, :func:`write_xlsx`, :func:`write_csv`,
  :func:`write_csv_zip`, :func:`neutralise`;
* a results builder: :class:`ResultsReport` -> :func:`build_results_sheets` ->
  :func:`results_workbook` / :func:`results_csv_zip`.

Why rows are rendered here rather than by openpyxl's cell writer: on the 2-core machine a
``Workbook(write_only=True)`` sheet writes about 80,000 styled cells a second, and a national
report (100,000 entries, 2 readings, 5 criteria) has about 5 million cells, so it would take over
a minute. openpyxl still builds the package (workbook, styles, sheet views, column widths, auto
filters); only the ``<sheetData>`` rows are rendered as XML strings in column-wise chunks,
written to a temporary file and spliced into the sheet openpyxl wrote. The tests read every
workbook back with openpyxl and pandas.
"""

from __future__ import annotations

import csv
import io
import math
import numbers
import re
import shutil
import tempfile
import zipfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, BinaryIO

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from contest import presets
from contest.vntext import nfc

__all__ = [
    "DEFAULT_PRIZE_LABELS",
    "EXCEL_MAX_DATA_ROWS",
    "Column",
    "DuplicateColumnError",
    "DuplicateScoreError",
    "ExportError",
    "MissingColumnsError",
    "ResultsReport",
    "Sheet",
    "UnknownColumnKindError",
    "UnknownLanguageError",
    "build_results_sheets",
    "neutralise",
    "results_csv_zip",
    "results_workbook",
    "sanitise_sheet_title",
    "write_csv",
    "write_csv_zip",
    "write_xlsx",
]

LANGUAGES = ("vi", "en")
KINDS = ("text", "int", "score", "percent", "date", "datetime")
NUMBER_FORMATS = {
    "int": "0",
    "score": "0.00",
    "percent": "0.0%",
    "date": "dd/mm/yyyy",
    "datetime": "dd/mm/yyyy hh:mm",
}
# 1,048,576 rows per Excel sheet, one of them the header; longer tables continue on a new sheet.
EXCEL_MAX_DATA_ROWS = 1_048_575
SHEET_TITLE_MAX = 31
# Rows rendered per step: large enough to amortise the per-column work, small enough that a
# chunk of Python strings stays a few tens of MB.
CHUNK_ROWS = 5_000

# ---------------------------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------------------------

_MESSAGES = {
    "unknown_language": {
        "vi": "Ngôn ngữ «{lang}» không được hỗ trợ; hãy chọn vi hoặc en.",
        "en": "Language '{lang}' is not supported; choose vi or en.",
    },
    "unknown_column_kind": {
        "vi": "Cột «{column}» có kiểu «{kind}» không hợp lệ; kiểu hợp lệ: {kinds}.",
        "en": "Column '{column}' has an invalid kind '{kind}'; valid kinds: {kinds}.",
    },
    "duplicate_column": {
        "vi": "Bảng «{table}» khai báo cột «{column}» hai lần; hãy đặt tên cột khác nhau.",
        "en": "Table '{table}' declares column '{column}' twice; give each column its own key.",
    },
    "missing_columns": {
        "vi": "Bảng «{table}» thiếu cột: {columns}. Hãy bổ sung các cột này rồi xuất lại.",
        "en": "Table '{table}' lacks columns: {columns}. Add them and export again.",
    },
    "duplicate_score": {
        "vi": (
            "Bài {code} có hai điểm của giám khảo «{judge}» cho tiêu chí «{criterion}»; "
            "hãy giữ một điểm rồi xuất lại."
        ),
        "en": (
            "Entry {code} has two scores by judge '{judge}' for criterion '{criterion}'; "
            "keep one and export again."
        ),
    },
}


class ExportError(Exception):
    """Base error of this module: ``code`` names the problem, ``params`` fills the sentence."""

    code = "export_error"

    def __init__(self, **params: Any) -> None:
        self.params = params
        super().__init__(self.message("en"))

    def message(self, lang: str = "vi") -> str:
        """The sentence for a person, in Vietnamese (default) or English."""
        templates = _MESSAGES[self.code]
        return templates.get(lang, templates["vi"]).format(**self.params)


class UnknownLanguageError(ExportError):
    """A ``lang`` other than ``vi`` or ``en`` was asked for."""

    code = "unknown_language"


class UnknownColumnKindError(ExportError):
    """A :class:`Column` has a kind outside :data:`KINDS`."""

    code = "unknown_column_kind"


class DuplicateColumnError(ExportError):
    """Two columns of one sheet share a key."""

    code = "duplicate_column"


class MissingColumnsError(ExportError):
    """A DataFrame lacks columns the sheet needs."""

    code = "missing_columns"


class DuplicateScoreError(ExportError):
    """One judge has two scores for the same entry and criterion."""

    code = "duplicate_score"


def _check_lang(lang: str) -> None:
    if lang not in LANGUAGES:
        raise UnknownLanguageError(lang=lang)


# ---------------------------------------------------------------------------------------------
# Generic layer
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """One column: the row key it reads, its headers in vi/en, its width and its kind.

    ``kind`` picks the Excel number format: ``text`` (General), ``int`` (0), ``score`` (0.00),
    ``percent`` (0.0%, values are fractions), ``date`` (dd/mm/yyyy), ``datetime``
    (dd/mm/yyyy hh:mm). Values keep their own type: a number in a text column stays a number.
    """

    key: str
    header_vi: str
    header_en: str
    width: float = 14
    kind: str = "text"

    def header(self, lang: str = "vi") -> str:
        """The header in ``lang``."""
        return self.header_en if lang == "en" else self.header_vi


@dataclass
class Sheet:
    """A table: titles in vi/en, columns, and rows (mappings keyed by column key, or a DataFrame).

    ``freeze`` is the top-left cell that stays scrollable (``"A2"`` freezes the header row).
    Rows given as a generator can be written once only; pass a list or a DataFrame to write
    the same sheet as both .xlsx and .csv.
    """

    title_vi: str
    title_en: str
    columns: list[Column]
    rows: Iterable[Mapping[str, Any]] | pd.DataFrame = field(default_factory=list)
    freeze: str = "A2"

    def title(self, lang: str = "vi") -> str:
        """The title in ``lang``."""
        return self.title_en if lang == "en" else self.title_vi


_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """Return ``value`` safe to put in a spreadsheet cell.

    A string that starts with ``= + - @``, a tab or a carriage return is prefixed with a
    single quote so Excel and LibreOffice show it as text and never run it as a formula
    (OWASP, "CSV injection"). Other values are returned unchanged.
    """
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


_BAD_TITLE_CHARS = re.compile(r"[\[\]:*?/\\]")


def sanitise_sheet_title(title: str, taken: set[str] | None = None) -> str:
    """Return a valid, unique Excel sheet name for ``title`` and record it in ``taken``.

    Excel allows at most 31 characters, none of ``[ ] : * ? / \\``, no apostrophe at either
    end, names compared without case, and reserves "History". Clashes get " (2)", " (3)" ...
    """
    taken = taken if taken is not None else set()
    clean = _BAD_TITLE_CHARS.sub("-", nfc(str(title))).strip().strip("'").strip()
    clean = clean[:SHEET_TITLE_MAX].rstrip().rstrip("'") or "Sheet"
    candidate, n = clean, 1
    while candidate.casefold() in taken or candidate.casefold() == "history":
        n += 1
        suffix = f" ({n})"
        candidate = clean[: SHEET_TITLE_MAX - len(suffix)].rstrip() + suffix
    taken.add(candidate.casefold())
    return candidate


def _check_columns(sheet: Sheet) -> None:
    seen: set[str] = set()
    for col in sheet.columns:
        if col.kind not in KINDS:
            raise UnknownColumnKindError(column=col.key, kind=col.kind, kinds=", ".join(KINDS))
        if col.key in seen:
            raise DuplicateColumnError(table=sheet.title_vi, column=col.key)
        seen.add(col.key)
    if isinstance(sheet.rows, pd.DataFrame):
        missing = [c.key for c in sheet.columns if c.key not in sheet.rows.columns]
        if missing:
            raise MissingColumnsError(table=sheet.title_vi, columns=", ".join(missing))


def _plain_list(series: pd.Series) -> list[Any]:
    """The values as Python objects: Python datetimes rather than Timestamps (20x cheaper to
    turn into Excel serials), and Python numbers rather than numpy scalars."""
    if pd.api.types.is_datetime64_any_dtype(series):
        if getattr(series.dt, "tz", None) is not None:
            series = series.dt.tz_localize(None)
        return [None if v is pd.NaT else v for v in series.dt.to_pydatetime().tolist()]
    return series.tolist()


def _iter_column_chunks(sheet: Sheet) -> Iterator[list[list[Any]]]:
    """Yield the rows column-wise, CHUNK_ROWS at a time, as lists of plain Python values."""
    keys = [c.key for c in sheet.columns]
    rows = sheet.rows
    if isinstance(rows, pd.DataFrame):
        frame = rows[keys] if keys else rows.iloc[:, :0]
        for start in range(0, len(frame), CHUNK_ROWS):
            part = frame.iloc[start : start + CHUNK_ROWS]
            # tolist() turns numpy scalars into Python ones (repr of np.float64 is not a number)
            yield [_plain_list(part.iloc[:, j]) for j in range(len(keys))]
        return
    batch: list[Mapping[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == CHUNK_ROWS:
            yield [[r.get(k) for r in batch] for k in keys]
            batch = []
    if batch:
        yield [[r.get(k) for r in batch] for k in keys]


def _is_missing(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and not math.isfinite(value)


# ---------------------------------------------------------------------------------------------
# xlsx
# ---------------------------------------------------------------------------------------------

# Characters XML 1.0 cannot carry at all; openpyxl refuses them, here they are dropped.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_EXCEL_EPOCH = datetime(1899, 12, 30)
_DAY = timedelta(days=1)


# Anything in a string that needs escaping or dropping; most text has none, so one search
# decides whether the slower replacements run at all.
_XML_SPECIAL = re.compile("[&<>\r\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def _xml_text(text: str) -> str:
    if _XML_SPECIAL.search(text) is None:
        return text
    text = _XML_ILLEGAL.sub("", text)
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    # a bare CR would be read back as LF; keep it as a character reference
    return text.replace("\r", "&#13;")


def _text_cell(ref: str, value: str, s_attr: str = "") -> str:
    if value.startswith(_FORMULA_STARTS):
        value = "'" + value
    space = ' xml:space="preserve"' if value[0].isspace() or value[-1].isspace() else ""
    return f'<c r="{ref}"{s_attr} t="inlineStr"><is><t{space}>{_xml_text(value)}</t></is></c>'


class _StreamedSheet(WriteOnlyWorksheet):
    """A write-only sheet whose rows arrive as rendered XML and are spliced in on close."""

    def __init__(self, parent: Workbook, title: str) -> None:
        super().__init__(parent, title)
        # closed by close() or discard(): it outlives this method by design
        self._row_xml = tempfile.TemporaryFile()  # noqa: SIM115
        self.rows_written = 0

    def write_xml(self, xml: str, n_rows: int) -> None:
        self._row_xml.write(xml.encode("utf-8"))
        self.rows_written += n_rows

    def close(self) -> None:
        # openpyxl writes the sheet with an empty <sheetData>; the rows go in its place
        super().close()
        path = self._writer.out
        with open(path, "rb") as fh:
            skeleton = fh.read()
        for empty in (b"<sheetData/>", b"<sheetData />", b"<sheetData></sheetData>"):
            head, found, tail = skeleton.partition(empty)
            if found:
                break
        else:  # pragma: no cover - only if openpyxl changes its output
            raise RuntimeError("openpyxl wrote no empty <sheetData> to fill")
        self._row_xml.seek(0)
        with open(path, "wb") as fh:
            fh.write(head + b"<sheetData>")
            shutil.copyfileobj(self._row_xml, fh, 1 << 20)
            fh.write(b"</sheetData>" + tail)
        self._row_xml.close()

    def discard(self) -> None:
        """Drop the temporary row file after a failed export."""
        self._row_xml.close()


class _XlsxStyles:
    """Style ids registered once per workbook, so each rendered cell only names its id."""

    def __init__(self, wb: Workbook, ws: WriteOnlyWorksheet) -> None:
        def style_id(**attrs: Any) -> int:
            cell = WriteOnlyCell(ws)
            for name, value in attrs.items():
                setattr(cell, name, value)
            return cell.style_id

        self.by_kind = {kind: style_id(number_format=fmt) for kind, fmt in NUMBER_FORMATS.items()}
        self.by_kind["text"] = 0
        self.date_ids = {self.by_kind["date"], self.by_kind["datetime"]}
        self.header = style_id(
            font=Font(bold=True),
            fill=PatternFill("solid", fgColor="DDEBF7"),
            alignment=Alignment(wrap_text=True, vertical="top"),
        )


def _render_cells(values: list[Any], letter: str, first_row: int, style: int, styles) -> list[str]:
    """Render one column of a chunk as ``<c>`` elements ('' for an empty cell)."""
    s_attr = f' s="{style}"' if style else ""
    rows = range(first_row, first_row + len(values))
    types = set(map(type, values))
    # fast paths for the common homogeneous columns; v - v == 0 is false for NaN and inf
    if types <= {float}:
        return [
            f'<c r="{letter}{r}"{s_attr}><v>{v!r}</v></c>' if v - v == 0 else ""
            for r, v in zip(rows, values, strict=True)
        ]
    if types <= {str}:
        return [
            _text_cell(f"{letter}{r}", v, s_attr) if v else ""
            for r, v in zip(rows, values, strict=True)
        ]
    out: list[str] = []
    append = out.append
    r = first_row
    for v in values:
        t = type(v)
        if t is str:
            append(_text_cell(f"{letter}{r}", v, s_attr) if v else "")
        elif t is float:
            if v - v == 0:
                append(f'<c r="{letter}{r}"{s_attr}><v>{v!r}</v></c>')
            else:
                append("")
        elif t is int:
            append(f'<c r="{letter}{r}"{s_attr}><v>{v}</v></c>')
        elif v is None or v is pd.NA or v is pd.NaT:
            append("")
        elif t is bool:
            append(f'<c r="{letter}{r}" t="b"><v>{int(v)}</v></c>')
        elif isinstance(v, datetime):
            if v.tzinfo is not None:
                v = v.replace(tzinfo=None)  # Excel has no time zones: keep the wall clock
            serial = (v - _EXCEL_EPOCH) / _DAY
            # a date or datetime column keeps its format; elsewhere show date and time
            sid = style if style in styles.date_ids else styles.by_kind["datetime"]
            append(f'<c r="{letter}{r}" s="{sid}"><v>{serial!r}</v></c>')
        elif isinstance(v, date):
            serial = (v - _EXCEL_EPOCH.date()).days
            append(f'<c r="{letter}{r}" s="{styles.by_kind["date"]}"><v>{serial}</v></c>')
        elif isinstance(v, numbers.Number | Decimal) and not isinstance(v, complex):
            out.extend(_render_cells([float(v)], letter, r, style, styles))
        else:
            out.extend(_render_cells([str(v)], letter, r, style, styles))
        r += 1
    return out


def _render_rows(columns: list[list[str]], first_row: int) -> str:
    parts = []
    for r, cells in enumerate(zip(*columns, strict=True), first_row):
        parts.append(f'<row r="{r}">{"".join(cells)}</row>')
    return "".join(parts)


class _XlsxSheetWriter:
    """Writes one :class:`Sheet`, continuing on new sheets past ``max_rows`` data rows."""

    def __init__(self, wb: Workbook, sheet: Sheet, lang: str, taken: set[str], max_rows: int):
        self.wb, self.sheet, self.lang, self.taken, self.max_rows = wb, sheet, lang, taken, max_rows
        self.letters = [get_column_letter(i + 1) for i in range(len(sheet.columns))]
        self.part = 0
        self.ws: _StreamedSheet | None = None
        self.opened: list[_StreamedSheet] = []
        self.styles: _XlsxStyles | None = None

    def _open(self) -> None:
        self.part += 1
        base = self.sheet.title(self.lang)
        title = base if self.part == 1 else f"{base} ({self.part})"
        ws = _StreamedSheet(parent=self.wb, title=sanitise_sheet_title(title, self.taken))
        self.wb._add_sheet(ws)
        if self.styles is None:
            self.styles = _XlsxStyles(self.wb, ws)
        ws.freeze_panes = self.sheet.freeze
        for letter, col in zip(self.letters, self.sheet.columns, strict=True):
            ws.column_dimensions[letter].width = col.width
        header_cells = [
            _render_cells([col.header(self.lang)], letter, 1, self.styles.header, self.styles)[0]
            for letter, col in zip(self.letters, self.sheet.columns, strict=True)
        ]
        ws.write_xml(f'<row r="1">{"".join(header_cells)}</row>', 0)
        self.ws = ws
        self.opened.append(ws)

    def _close(self) -> None:
        ws = self.ws
        if ws is None:
            return
        if self.letters:
            ws.auto_filter.ref = f"A1:{self.letters[-1]}{ws.rows_written + 1}"
        ws.close()

    def write(self) -> None:
        self._open()
        kinds = [self.styles.by_kind[c.kind] for c in self.sheet.columns]
        for chunk in _iter_column_chunks(self.sheet):
            n = len(chunk[0]) if chunk else 0
            done = 0
            while done < n:
                if self.ws.rows_written >= self.max_rows:
                    self._close()
                    self._open()
                take = min(n - done, self.max_rows - self.ws.rows_written)
                first = self.ws.rows_written + 2
                rendered = [
                    _render_cells(col[done : done + take], letter, first, sid, self.styles)
                    for col, letter, sid in zip(chunk, self.letters, kinds, strict=True)
                ]
                self.ws.write_xml(_render_rows(rendered, first), take)
                done += take
        self._close()


def write_xlsx(
    sheets: Sequence[Sheet],
    *,
    lang: str = "vi",
    out: BinaryIO | None = None,
    max_rows_per_sheet: int = EXCEL_MAX_DATA_ROWS,
) -> bytes | None:
    """Write ``sheets`` as one .xlsx workbook; return its bytes, or write to ``out`` and return None.

    Each sheet gets a bold header row in ``lang``, a frozen header (``Sheet.freeze``), an
    auto filter over the data, the column widths and number formats of its columns, and
    formula-neutralised text. Rows are streamed, so memory stays flat for long tables; a table
    longer than ``max_rows_per_sheet`` continues on "<title> (2)", "<title> (3)" ...
    """
    _check_lang(lang)
    for sheet in sheets:
        _check_columns(sheet)
    wb = Workbook(write_only=True)
    taken: set[str] = set()
    writers: list[_XlsxSheetWriter] = []
    try:
        for sheet in sheets:
            writer = _XlsxSheetWriter(wb, sheet, lang, taken, max(1, max_rows_per_sheet))
            writers.append(writer)
            writer.write()
        written = [ws for w in writers for ws in w.opened]
        if not written:
            # an empty workbook is not a valid file: keep one empty sheet
            wb.create_sheet(sanitise_sheet_title("Trang 1" if lang == "vi" else "Sheet 1"))
        target = out if out is not None else io.BytesIO()
        wb.save(target)
    finally:
        for w in writers:
            for ws in w.opened:
                ws.discard()
    return None if out is not None else target.getvalue()


# ---------------------------------------------------------------------------------------------
# csv
# ---------------------------------------------------------------------------------------------


def _csv_value(value: Any) -> Any:
    if _is_missing(value):
        return ""
    if isinstance(value, str):
        return neutralise(value)
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    # ISO dates: unambiguous, and Excel reads them in every locale
    if isinstance(value, datetime):
        return value.replace(tzinfo=None).isoformat(sep=" ", timespec="seconds")
    if isinstance(value, date | time):
        return value.isoformat()
    return value


def _csv_column(values: list[Any]) -> list[Any]:
    types = set(map(type, values))
    # same fast paths as the xlsx renderer: plain floats and plain strings need no dispatch
    if types <= {float}:
        return [v if v - v == 0 else "" for v in values]
    if types <= {str}:
        return ["'" + v if v.startswith(_FORMULA_STARTS) else v for v in values]
    return [_csv_value(v) for v in values]


def write_csv(sheet: Sheet, *, lang: str = "vi") -> bytes:
    """Write one sheet as CSV bytes: UTF-8 with BOM (so Excel reads Vietnamese), header in
    ``lang``, text neutralised against formulas, dates in ISO form, numbers unformatted."""
    _check_lang(lang)
    _check_columns(sheet)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow([c.header(lang) for c in sheet.columns])
    for chunk in _iter_column_chunks(sheet):
        prepared = [_csv_column(col) for col in chunk]
        writer.writerows(zip(*prepared, strict=True))
    return buf.getvalue().encode("utf-8-sig")


_BAD_FILE_CHARS = re.compile(r'[\\/:*?"<>|\x00-\x1f]')


def write_csv_zip(sheets: Sequence[Sheet], *, lang: str = "vi") -> bytes:
    """Write each sheet as ``<title>.csv`` (names sanitised and unique) into one zip; return it."""
    _check_lang(lang)
    buf = io.BytesIO()
    taken: set[str] = set()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for sheet in sheets:
            stem = _BAD_FILE_CHARS.sub("-", nfc(sheet.title(lang))).strip(" .") or "table"
            name, n = stem, 1
            while name.casefold() in taken:
                n += 1
                name = f"{stem} ({n})"
            taken.add(name.casefold())
            zf.writestr(f"{name}.csv", write_csv(sheet, lang=lang))
    return buf.getvalue()


# ---------------------------------------------------------------------------------------------
# Results report
# ---------------------------------------------------------------------------------------------

# Prize codes -> (vi, en) labels: the presets' one table (contest.presets.prize_labels).
DEFAULT_PRIZE_LABELS: dict[str, tuple[str, str]] = presets.prize_labels()

_YES = {"vi": "Có", "en": "Yes"}
_NO = {"vi": "Không", "en": "No"}


@dataclass
class ResultsReport:
    """Everything the results workbook shows, as plain tables (one round of one contest).

    ranking: one row per entry, in the order to print (the caller sorts by rank):
        category, rank (int; equal ranks for ties), code, title, mean, final (required);
        tied, calibrated, n_readings, prize (a code, see ``prize_labels``), prize_note,
        too_close (optional); authors, pen_name, unit (required when ``revealed``, never read
        otherwise).
    readings: one row per criterion score: code, category, judge (display name or pseudonym),
        criterion, points, total (the reading's total) (required); submitted_at (optional).
    disagreements: code, category, gap (required); totals (text such as "62 / 85"), status.
    copying: code, category, overlap (a fraction, 0.25 = 25%), decision (required);
        matched_with, note, decided_by, decided_at.
    statistics: named tables, each written as its own sheet with its own columns; known names
        ("by_category", "by_unit", "prizes", "judges", "agreement") get localised titles.
    settings: (label, value) pairs already in the caller's language, or with the label given
        as a (vi, en) pair; values may be text, numbers or dates.
    criteria: criterion names in print order; criteria found only in ``readings`` follow.
    prize_labels: prize code -> label (one string for both languages, or a (vi, en) pair);
        None uses :data:`DEFAULT_PRIZE_LABELS`; unknown codes are printed as they are.
    exported_at: the export time shown on the settings sheet (the caller's clock, so the
        output stays deterministic); None leaves it blank.
    An empty table may be an empty DataFrame without columns.
    """

    contest_title: str
    round_name: str
    revealed: bool
    finalised: bool
    ranking: pd.DataFrame
    readings: pd.DataFrame
    disagreements: pd.DataFrame = field(default_factory=pd.DataFrame)
    copying: pd.DataFrame = field(default_factory=pd.DataFrame)
    statistics: dict[str, pd.DataFrame] = field(default_factory=dict)
    settings: list[tuple[str | tuple[str, str], Any]] = field(default_factory=list)
    criteria: list[str] = field(default_factory=list)
    prize_labels: Mapping[str, str | tuple[str, str]] | None = None
    exported_at: datetime | date | None = None


_IDENTITY = ("authors", "pen_name", "unit")
_RANKING_REQUIRED = ("category", "rank", "code", "title", "mean", "final")
_RANKING_OPTIONAL = ("tied", "calibrated", "n_readings", "prize", "prize_note", "too_close")
_READINGS_REQUIRED = ("code", "category", "judge", "criterion", "points", "total")
_DISAGREEMENTS_REQUIRED = ("code", "category", "gap")
_COPYING_REQUIRED = ("code", "category", "overlap", "decision")

_STAT_TITLES = {
    "by_category": ("Thống kê theo hạng mục", "Entries by category"),
    "by_unit": ("Thống kê theo đơn vị", "Entries by unit"),
    "prizes": ("Thống kê giải", "Prize counts"),
    "judges": ("Thống kê giám khảo", "Judges"),
    "agreement": ("Độ đồng thuận", "Agreement"),
}
# Headers for statistics columns the platform names; other columns keep their own names.
_STAT_HEADERS = {
    "category": ("Hạng mục", "Category"),
    "unit": ("Đơn vị", "Unit"),
    "entries": ("Số bài", "Entries"),
    "count": ("Số lượng", "Count"),
    "prize": ("Giải", "Prize"),
    "judge": ("Giám khảo", "Judge"),
    "readings": ("Số lượt chấm", "Readings"),
    "mean": ("Điểm trung bình", "Mean"),
    "std": ("Độ lệch chuẩn", "Standard deviation"),
    "measure": ("Chỉ số", "Measure"),
    "value": ("Giá trị", "Value"),
}


def _table(frame: pd.DataFrame, name: str, required: Sequence[str], optional: Sequence[str]):
    """Check required columns (an empty table may lack them) and add missing optional ones."""
    if frame.empty:
        frame = frame.reindex(columns=list(dict.fromkeys([*frame.columns, *required])))
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise MissingColumnsError(table=name, columns=", ".join(missing))
    extra = [c for c in optional if c not in frame.columns]
    return frame.assign(**dict.fromkeys(extra, None)) if extra else frame


def _criteria_order(report: ResultsReport, readings: pd.DataFrame) -> list[str]:
    seen = list(dict.fromkeys(str(c) for c in report.criteria))
    found = pd.unique(readings["criterion"].astype(str)).tolist() if len(readings) else []
    return seen + [c for c in found if c not in set(seen)]


def _reading_table(readings: pd.DataFrame, criteria: list[str]) -> pd.DataFrame:
    """One row per reading (code, judge): category, reading_no, total, submitted_at, c1..cn.

    Readings of an entry are numbered in judge order, so "Reading 1" is stable across exports.
    """
    keys = ["code", "judge"]
    crit_keys = [f"c{i}" for i in range(1, len(criteria) + 1)]
    if readings.empty:
        cols = [*keys, "category", "reading_no", "total", "submitted_at", *crit_keys]
        return pd.DataFrame(columns=cols)
    long = readings.assign(criterion=readings["criterion"].astype(str))
    dup = long.duplicated([*keys, "criterion"], keep=False)
    if dup.any():
        first = long[dup].iloc[0]
        raise DuplicateScoreError(
            code=first["code"], judge=first["judge"], criterion=first["criterion"]
        )
    per_reading = long.drop_duplicates(keys)[[*keys, "category", "total", "submitted_at"]]
    points = long.set_index([*keys, "criterion"])["points"].unstack("criterion")
    points = points.reindex(columns=criteria)
    points.columns = crit_keys
    table = per_reading.merge(points, left_on=keys, right_index=True, how="left")
    table = table.sort_values(keys, kind="stable").reset_index(drop=True)
    table["reading_no"] = table.groupby("code", sort=False).cumcount() + 1
    return table


def _wide_readings(table: pd.DataFrame, crit_keys: list[str]) -> pd.DataFrame:
    """Readings side by side per entry: r1_judge, r1_c1.., r1_total, r2_judge ... (index code)."""
    fields = ["judge", *crit_keys, "total"]
    if table.empty:
        return pd.DataFrame(index=pd.Index([], name="code"))
    wide = table.set_index(["code", "reading_no"])[fields].unstack("reading_no")
    wide.columns = [f"r{n}_{name}" for name, n in wide.columns]
    return wide


def _yes_blank(values: pd.Series, lang: str) -> list[Any]:
    return [_YES[lang] if v is True or (not _is_missing(v) and bool(v)) else None for v in values]


def _prize_label(code: Any, labels: Mapping[str, str | tuple[str, str]], lang: str) -> Any:
    if _is_missing(code) or code == "":
        return None
    label = labels.get(str(code), str(code))
    if isinstance(label, tuple):
        return label[1] if lang == "en" else label[0]
    return label


def _ranking_sheets(
    report: ResultsReport,
    ranking: pd.DataFrame,
    table: pd.DataFrame,
    criteria: list[str],
    lang: str,
) -> list[Sheet]:
    crit_keys = [f"c{i}" for i in range(1, len(criteria) + 1)]
    wide = _wide_readings(table, crit_keys)
    labels = DEFAULT_PRIZE_LABELS if report.prize_labels is None else report.prize_labels
    if wide.empty:
        merged = ranking.copy()
    else:
        merged = ranking.merge(wide, left_on="code", right_index=True, how="left")
    merged["tied"] = _yes_blank(merged["tied"], lang)
    merged["too_close"] = _yes_blank(merged["too_close"], lang)
    merged["prize"] = [_prize_label(p, labels, lang) for p in merged["prize"]]
    merged["round"] = report.round_name
    sheets = []

    def columns_for(n_readings: int) -> list[Column]:
        columns = [
            Column("rank", "Hạng", "Rank", 7, "int"),
            Column("tied", "Đồng hạng", "Tied", 9),
            Column("code", "Mã bài", "Code", 12),
            Column("title", "Tên tác phẩm", "Title", 48),
        ]
        if report.revealed:
            columns += [
                Column("authors", "Tác giả", "Author(s)", 28),
                Column("pen_name", "Bút danh", "Pen name", 16),
                Column("unit", "Đơn vị", "Unit", 28),
            ]
        for n in range(1, n_readings + 1):
            columns.append(Column(f"r{n}_judge", f"Giám khảo {n}", f"Judge {n}", 16))
            for key, name in zip(crit_keys, criteria, strict=True):
                columns.append(
                    Column(f"r{n}_{key}", f"GK{n}: {name}", f"J{n}: {name}", 12, "score")
                )
            columns.append(Column(f"r{n}_total", f"GK{n}: Tổng", f"J{n}: Total", 10, "score"))
        columns += [
            Column("mean", "Điểm trung bình", "Mean", 11, "score"),
            Column("calibrated", "Điểm hiệu chỉnh", "Calibrated", 11, "score"),
            Column("final", "Điểm cuối", "Final score", 11, "score"),
            Column("n_readings", "Số lượt chấm", "Readings", 9, "int"),
            Column("round", "Vòng", "Round", 14),
            Column("prize", "Giải", "Prize", 18),
            Column("prize_note", "Ghi chú giải", "Prize note", 24),
            Column("too_close", "Sát điểm", "Too close to call", 10),
        ]
        return columns

    for category, part in merged.groupby("category", sort=False, dropna=False):
        n_readings = 0
        for n in range(1, len(wide.columns) + 1):
            if f"r{n}_judge" in part.columns and part[f"r{n}_judge"].notna().any():
                n_readings = n
        columns = columns_for(n_readings)
        name = "" if _is_missing(category) else str(category)
        sheets.append(Sheet(name, name, columns, part, freeze="D2"))
    if not sheets:
        # no entries yet: one ranking sheet with its headers, so the layout is still visible
        sheets.append(Sheet("Xếp hạng", "Ranking", columns_for(0), merged, freeze="D2"))
    return sheets


def _readings_sheet(table: pd.DataFrame, criteria: list[str]) -> Sheet:
    columns = [
        Column("code", "Mã bài", "Code", 12),
        Column("category", "Hạng mục", "Category", 16),
        Column("reading_no", "Lượt chấm", "Reading", 9, "int"),
        Column("judge", "Giám khảo", "Judge", 18),
    ]
    columns += [
        Column(f"c{i}", name, name, 12, "score") for i, name in enumerate(criteria, start=1)
    ]
    columns += [
        Column("total", "Tổng điểm", "Total", 10, "score"),
        Column("submitted_at", "Thời điểm nộp", "Submitted at", 17, "datetime"),
    ]
    ordered = table.sort_values(["category", "code", "reading_no"], kind="stable")
    return Sheet("Lượt chấm", "Readings", columns, ordered)


def _disagreements_sheet(frame: pd.DataFrame) -> Sheet:
    columns = [
        Column("code", "Mã bài", "Code", 12),
        Column("category", "Hạng mục", "Category", 16),
        Column("totals", "Các điểm tổng", "Totals", 20),
        Column("gap", "Chênh lệch", "Gap", 11, "score"),
        Column("status", "Trạng thái", "Status", 18),
    ]
    return Sheet("Chênh lệch điểm", "Disagreements", columns, frame)


def _copying_sheet(frame: pd.DataFrame) -> Sheet:
    columns = [
        Column("code", "Mã bài", "Code", 12),
        Column("category", "Hạng mục", "Category", 16),
        Column("overlap", "Tỷ lệ trùng lặp", "Overlap", 12, "percent"),
        Column("matched_with", "Trùng với", "Matched with", 24),
        Column("decision", "Quyết định", "Decision", 18),
        Column("note", "Ghi chú", "Note", 32),
        Column("decided_by", "Người quyết định", "Decided by", 18),
        Column("decided_at", "Thời điểm quyết định", "Decided at", 17, "datetime"),
    ]
    return Sheet("Kiểm tra sao chép", "Copying checks", columns, frame)


def _kind_of(series: pd.Series) -> str:
    if pd.api.types.is_bool_dtype(series):
        return "text"
    if pd.api.types.is_integer_dtype(series):
        return "int"
    if pd.api.types.is_float_dtype(series):
        return "score"
    if pd.api.types.is_datetime64_any_dtype(series):
        return "date"
    return "text"


def _statistics_sheets(statistics: Mapping[str, pd.DataFrame]) -> list[Sheet]:
    sheets = []
    for name, frame in statistics.items():
        if isinstance(frame, pd.Series):
            frame = frame.to_frame(name=frame.name if frame.name is not None else "value")
        flat = frame.reset_index() if any(n is not None for n in frame.index.names) else frame
        flat = flat.rename(columns=str)
        title_vi, title_en = _STAT_TITLES.get(name, (f"Thống kê {name}", f"Statistics {name}"))
        columns = []
        for key in flat.columns:
            vi, en = _STAT_HEADERS.get(key, (key, key))
            width = max(12.0, min(40.0, len(vi) + 2.0))
            columns.append(Column(key, vi, en, width, _kind_of(flat[key])))
        sheets.append(Sheet(title_vi, title_en, columns, flat))
    return sheets


def _settings_sheet(report: ResultsReport, lang: str) -> Sheet:
    def yes_no(flag: bool) -> str:
        return _YES[lang] if flag else _NO[lang]

    fixed = [
        (("Cuộc thi", "Contest"), report.contest_title),
        (("Vòng", "Round"), report.round_name),
        (("Ngày xuất", "Exported on"), report.exported_at),
        (("Đã chốt kết quả", "Results finalised"), yes_no(report.finalised)),
        (("Đã công bố danh tính tác giả", "Author identities revealed"), yes_no(report.revealed)),
    ]
    rows = []
    for label, value in [*fixed, *report.settings]:
        if isinstance(label, tuple):
            label = label[1] if lang == "en" else label[0]
        rows.append({"label": label, "value": value})
    columns = [
        Column("label", "Thiết lập", "Setting", 40),
        Column("value", "Giá trị", "Value", 40),
    ]
    return Sheet("Thiết lập", "Settings", columns, rows)


def build_results_sheets(report: ResultsReport, *, lang: str = "vi") -> list[Sheet]:
    """Turn a :class:`ResultsReport` into sheets, in order: one ranking sheet per category
    (in order of first appearance), readings (one row per reading, criteria as columns),
    disagreements, copying checks, one sheet per statistics table, settings.

    Ranking sheets show each reading side by side (judge, points per criterion, total; readings
    numbered in judge order), then mean, calibrated and final scores, round and prize label.
    Author, pen name and unit appear only when ``report.revealed``.
    """
    _check_lang(lang)
    identity = _IDENTITY if report.revealed else ()
    ranking = _table(report.ranking, "ranking", (*_RANKING_REQUIRED, *identity), _RANKING_OPTIONAL)
    readings = _table(report.readings, "readings", _READINGS_REQUIRED, ("submitted_at",))
    disagreements = _table(
        report.disagreements, "disagreements", _DISAGREEMENTS_REQUIRED, ("totals", "status")
    )
    copying = _table(
        report.copying,
        "copying",
        _COPYING_REQUIRED,
        ("matched_with", "note", "decided_by", "decided_at"),
    )
    criteria = _criteria_order(report, readings)
    table = _reading_table(readings, criteria)
    return [
        *_ranking_sheets(report, ranking, table, criteria, lang),
        _readings_sheet(table, criteria),
        _disagreements_sheet(disagreements),
        _copying_sheet(copying),
        *_statistics_sheets(report.statistics),
        _settings_sheet(report, lang),
    ]


def results_workbook(report: ResultsReport, *, lang: str = "vi") -> bytes:
    """The results report as .xlsx bytes (see :func:`build_results_sheets` for the sheets)."""
    data = write_xlsx(build_results_sheets(report, lang=lang), lang=lang)
    assert data is not None  # write_xlsx returns bytes when no ``out`` is given
    return data


def results_csv_zip(report: ResultsReport, *, lang: str = "vi") -> bytes:
    """The same tables as :func:`results_workbook`, one UTF-8 (BOM) CSV each, in a zip."""
    return write_csv_zip(build_results_sheets(report, lang=lang), lang=lang)
