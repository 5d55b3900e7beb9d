"""Turn an uploaded essay file (.docx, .pdf, .odt, .txt) into the plain text judges read.

Pure: bytes in, an :class:`Extracted` out, no Flask and no database. Hostile files are refused
before any parser sees them: a size cap, zip member count / total size / compression ratio
caps, unsafe member paths, encrypted members, any DOCTYPE or ENTITY in an XML part, and a
time cap checked at each paragraph and each PDF page.

Body text (with tables and footnotes, in reading order) goes to ``text``; headers, footers,
comments, deleted tracked-change text and the names of authors and reviewers go to
``hidden_text`` and document properties to ``metadata``: both feed anonymisation only and
are never shown to judges.

Word files are read with a small WordprocessingML walker over the safely parsed XML rather
than python-docx: it also needs footnotes, tracked changes, text boxes and run fonts (the
legacy-font hint), and it is faster.

Run ``python -m contest.extract FILE [--json]`` to see what a file yields.
"""

from __future__ import annotations

import argparse
import contextlib
import html
import io
import json
import os
import posixpath
import re
import sys
import time
import warnings
import zipfile
import zlib
from dataclasses import dataclass, field
from xml.etree.ElementTree import Element

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from contest.legacy_encoding import (
    convert_legacy_font_text,
    convert_likely_legacy,
    fix_legacy,
    font_encoding,
)
from contest.vntext import nfc

__all__ = [
    "DEFAULT_LIMITS",
    "SUPPORTED_FORMATS",
    "Extracted",
    "ExtractionError",
    "Limits",
    "count_words",
    "detect_format",
    "extract",
    "extract_path",
    "main",
    "warning_message",
]

MIB = 1024 * 1024
SUPPORTED_FORMATS = ("docx", "pdf", "odt", "txt")


@dataclass(frozen=True)
class Limits:
    """Caps applied before and during parsing; every refusal is an :class:`ExtractionError`."""

    max_bytes: int = 20 * MIB  # size of the uploaded file
    max_zip_members: int = 2_000  # entries in a .docx / .odt container
    max_uncompressed: int = 100 * MIB  # declared total size of those entries
    max_ratio: float = 100.0  # declared size / compressed size of any large entry
    max_seconds: float = 15.0  # wall-clock time for one extraction


DEFAULT_LIMITS = Limits()


@dataclass
class Extracted:
    """The result of reading one file."""

    text: str  # NFC body text, paragraphs separated by "\n\n" (what judges see before redaction)
    words: int  # count_words(text)
    format: str  # "docx" | "pdf" | "odt" | "txt"
    metadata: dict[str, str] = field(default_factory=dict)  # non-empty document properties
    hidden_text: list[str] = field(default_factory=list)  # for anonymisation only
    warnings: list[str] = field(default_factory=list)  # warning codes, see warning_message()

    def paragraphs(self) -> list[str]:
        """Return the body text split into its paragraphs."""
        return [p for p in self.text.split("\n\n") if p]


# ---------------------------------------------------------------- messages

_ERRORS: dict[str, dict[str, str]] = {
    "empty_file": {
        "vi": "Tệp tải lên rỗng (0 byte). Vui lòng chọn lại tệp bài dự thi.",
        "en": "The uploaded file is empty (0 bytes). Please choose the entry file again.",
    },
    "file_too_large": {
        "vi": "Tệp quá lớn ({size_mib} MiB, tối đa {limit_mib} MiB). Vui lòng bỏ bớt hình ảnh hoặc nén lại tệp rồi tải lên.",
        "en": "The file is too large ({size_mib} MiB, at most {limit_mib} MiB). Please remove images or compress it and upload again.",
    },
    "file_not_found": {
        "vi": "Không tìm thấy tệp {filename}.",
        "en": "File not found: {filename}.",
    },
    "read_error": {
        "vi": "Không đọc được tệp {filename}: {reason}.",
        "en": "Cannot read the file {filename}: {reason}.",
    },
    "unsupported_format": {
        "vi": "Không hỗ trợ loại tệp của {filename}. Vui lòng tải lên tệp Word (.docx), PDF, OpenDocument (.odt) hoặc văn bản (.txt).",
        "en": "The type of {filename} is not supported. Please upload a Word (.docx), PDF, OpenDocument (.odt) or plain text (.txt) file.",
    },
    "legacy_doc": {
        "vi": "Tệp {filename} là định dạng Word cũ (.doc). Vui lòng mở bằng Word, chọn Lưu thành .docx rồi tải lên tệp .docx.",
        "en": "{filename} is an old Word document (.doc). Please open it in Word, save it as .docx and upload the .docx file.",
    },
    "encrypted_document": {
        "vi": "Tệp {filename} được đặt mật khẩu. Vui lòng gỡ mật khẩu, lưu lại thành .docx rồi tải lên.",
        "en": "{filename} is protected by a password. Please remove the password, save it as .docx and upload it again.",
    },
    "rtf": {
        "vi": "Tệp {filename} là định dạng RTF. Vui lòng mở bằng Word, lưu lại thành .docx rồi tải lên.",
        "en": "{filename} is an RTF document. Please open it in Word, save it as .docx and upload it again.",
    },
    "corrupt_file": {
        "vi": "Tệp {filename} bị hỏng hoặc không phải tệp {format} thật. Vui lòng mở bằng trình soạn thảo, lưu lại rồi tải lên.",
        "en": "{filename} is damaged or is not a real {format} file. Please open it in your editor, save it again and upload it.",
    },
    "zip_too_many_members": {
        "vi": "Tệp {filename} chứa quá nhiều thành phần ({count}, tối đa {limit}); tệp có thể độc hại nên không được đọc.",
        "en": "{filename} holds too many parts ({count}, at most {limit}); it may be hostile and was not read.",
    },
    "zip_too_large": {
        "vi": "Tệp {filename} khi giải nén quá lớn ({size_mib} MiB, tối đa {limit_mib} MiB); tệp có thể độc hại nên không được đọc.",
        "en": "{filename} expands to too much data ({size_mib} MiB, at most {limit_mib} MiB); it may be hostile and was not read.",
    },
    "zip_bomb": {
        "vi": "Tệp {filename} có thành phần nén bất thường (tỉ lệ {ratio}:1, tối đa {limit}:1), dấu hiệu của bom nén; tệp không được đọc.",
        "en": "{filename} has an abnormally compressed part (ratio {ratio}:1, at most {limit}:1), the mark of a zip bomb; it was not read.",
    },
    "zip_unsafe_path": {
        "vi": "Tệp {filename} chứa đường dẫn không an toàn ({member}); tệp không được đọc.",
        "en": "{filename} contains an unsafe path ({member}); it was not read.",
    },
    "zip_encrypted": {
        "vi": "Tệp {filename} chứa thành phần được mã hoá; vui lòng gỡ mật khẩu, lưu lại rồi tải lên.",
        "en": "{filename} contains encrypted parts; please remove the password, save it again and upload it.",
    },
    "xml_entity": {
        "vi": "Tệp {filename} chứa khai báo XML không được phép (DOCTYPE/ENTITY) ở {member}; tệp có thể độc hại nên không được đọc.",
        "en": "{filename} contains a forbidden XML declaration (DOCTYPE/ENTITY) in {member}; it may be hostile and was not read.",
    },
    "pdf_encrypted": {
        "vi": "Tệp PDF {filename} được đặt mật khẩu. Vui lòng tải lên tệp Word (.docx) hoặc PDF không mật khẩu.",
        "en": "The PDF {filename} is password-protected. Please upload the Word file (.docx) or a PDF without a password.",
    },
    "pdf_no_text": {
        "vi": "Tệp PDF {filename} không có lớp chữ (có thể là bản scan). Vui lòng tải lên tệp Word (.docx) của bài viết.",
        "en": "The PDF {filename} has no text (it may be a scan). Please upload the Word file (.docx) of the essay.",
    },
    "empty_document": {
        "vi": "Tệp {filename} không có nội dung chữ. Vui lòng kiểm tra lại tệp bài dự thi.",
        "en": "{filename} contains no text. Please check the entry file.",
    },
    "timeout": {
        "vi": "Đọc tệp {filename} quá lâu (quá {limit} giây) nên đã dừng. Vui lòng lưu lại tệp thành .docx đơn giản rồi tải lên.",
        "en": "Reading {filename} took too long (over {limit} seconds) and was stopped. Please save it as a plain .docx and upload it again.",
    },
}

_WARNINGS: dict[str, dict[str, str]] = {
    "converted_tcvn3": {
        "vi": "Văn bản gõ bằng bảng mã TCVN3 (.VnTime) đã được chuyển sang Unicode.",
        "en": "Text typed in the TCVN3 (.VnTime) encoding was converted to Unicode.",
    },
    "converted_vni": {
        "vi": "Văn bản gõ bằng bảng mã VNI (VNI-Times) đã được chuyển sang Unicode.",
        "en": "Text typed in the VNI (VNI-Times) encoding was converted to Unicode.",
    },
    "decoded_cp1258": {
        "vi": "Tệp văn bản được đọc theo bảng mã Windows-1258.",
        "en": "The text file was read as Windows-1258.",
    },
    "decoded_utf16": {
        "vi": "Tệp văn bản được đọc theo bảng mã UTF-16.",
        "en": "The text file was read as UTF-16.",
    },
    "mixed_encoding": {
        "vi": "Tệp văn bản trộn nhiều bảng mã; phần không phải UTF-8 được đọc theo Windows-1258, cần kiểm tra lại.",
        "en": "The text file mixes encodings; the parts that are not UTF-8 were read as Windows-1258 and should be checked.",
    },
    "tracked_changes": {
        "vi": "Tài liệu còn thay đổi chưa chấp nhận (Track Changes); văn bản được lấy như khi đã chấp nhận tất cả.",
        "en": "The document has tracked changes; the text is taken as if all of them were accepted.",
    },
}


_CONTROL_RE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _one_line(text: str) -> str:
    return _CONTROL_RE.sub("\ufffd", text)


class ExtractionError(Exception):
    """A file that cannot be read; ``code`` names the reason, ``params`` fill the message."""

    def __init__(self, code: str, **params: object) -> None:
        self.code = code
        # Names come from uploads: no control or line-separator character may break the
        # one-line message (a file name with a newline in it, found by fuzzing).
        self.params = {k: _one_line(str(v)) for k, v in params.items()}
        super().__init__(self.message("en"))

    def message(self, lang: str = "vi") -> str:
        """Return the error as one sentence in Vietnamese (default) or English."""
        templates = _ERRORS[self.code]
        params = {"filename": "", "format": "", **self.params}
        return templates.get(lang, templates["vi"]).format(**params)


def warning_message(code: str, lang: str = "vi") -> str:
    """Return the sentence for a warning code in Vietnamese (default) or English."""
    templates = _WARNINGS.get(code)
    if templates is None:
        return code
    return templates.get(lang, templates["vi"])


# ---------------------------------------------------------------- words and clean-up

_WORD_RE = re.compile(r"\S*[^\W_]\S*")
_BLANK_LINES_RE = re.compile(r"\n\s*\n")
_SPACES_RE = re.compile(r"[ \t\u00a0]+\n|\n[ \t\u00a0]+")


def count_words(text: str) -> int:
    """Count whitespace-separated tokens holding at least one letter or digit.

    Vietnamese counts each syllable as a word this way, the convention of contest limits.
    """
    return len(_WORD_RE.findall(text))


def _clean_paragraph(text: str) -> str:
    text = nfc(text.replace("\r\n", "\n").replace("\r", "\n"))
    text = _SPACES_RE.sub("\n", text)
    # "\n\n" separates paragraphs, so a paragraph keeps at most single line breaks.
    return _BLANK_LINES_RE.sub("\n", text).strip()


class _Clock:
    """Checks the time cap at checkpoints (per paragraph, per PDF page, per zip member)."""

    __slots__ = ("deadline", "filename", "limit")

    def __init__(self, limits: Limits, filename: str) -> None:
        self.deadline = time.monotonic() + limits.max_seconds
        self.limit = limits.max_seconds
        self.filename = filename

    def check(self) -> None:
        if time.monotonic() > self.deadline:
            raise ExtractionError("timeout", filename=self.filename, limit=f"{self.limit:g}")


@dataclass
class _Raw:
    """What a format reader hands to the common finishing step."""

    paragraphs: list[str]
    metadata: dict[str, str] = field(default_factory=dict)
    hidden: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


# ---------------------------------------------------------------- format detection

_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_SIGNATURES = (b"PK\x03\x04", b"PK\x05\x06")
_ODT_MIMETYPE = b"application/vnd.oasis.opendocument.text"
_TEXT_EXTENSIONS = {".txt", ".text"}


def detect_format(data: bytes, filename: str) -> str:
    """Return "docx", "pdf", "odt" or "txt" from the file's signature and extension.

    Raises :class:`ExtractionError` for an empty file, an old .doc (OLE2), a password-protected
    Word file, RTF, a file whose content contradicts its .docx/.odt/.pdf extension, and any
    other type.
    """
    name = os.path.basename(filename) or "?"
    ext = os.path.splitext(name)[1].lower()
    if not data:
        raise ExtractionError("empty_file", filename=name)
    if data.startswith(_OLE2):
        # Word saves password-protected .docx files inside an OLE2 container too.
        if "EncryptedPackage".encode("utf-16-le") in data:
            raise ExtractionError("encrypted_document", filename=name)
        raise ExtractionError("legacy_doc", filename=name)
    if data.lstrip()[:5] == b"{\\rtf":
        raise ExtractionError("rtf", filename=name)
    if b"%PDF-" in data[:1024]:
        return "pdf"
    if data.startswith(_ZIP_SIGNATURES):
        return _zip_kind(data, name, ext)
    if ext in (".docx", ".odt", ".pdf"):
        raise ExtractionError("corrupt_file", filename=name, format=ext[1:].upper())
    if ext in _TEXT_EXTENSIONS:
        return "txt"
    raise ExtractionError("unsupported_format", filename=name)


# Everything zipfile and zlib raise on a damaged or unusual archive (found by fuzzing:
# a corrupt deflate stream raises zlib.error, an unknown "version needed" NotImplementedError).
ZIP_ERRORS = (
    zipfile.BadZipFile,
    OSError,
    ValueError,
    EOFError,
    RuntimeError,
    NotImplementedError,
    zlib.error,
)


def _zip_kind(data: bytes, name: str, ext: str) -> str:
    if ext == ".docx":
        return "docx"
    if ext == ".odt":
        return "odt"
    # A zip under another name: look at its parts (names only, nothing decompressed).
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = set(zf.namelist())
            mimetype = b""
            if "mimetype" in names and zf.getinfo("mimetype").file_size < 200:
                mimetype = zf.read("mimetype").strip()
    except ZIP_ERRORS:
        raise ExtractionError("corrupt_file", filename=name, format="ZIP") from None
    if "word/document.xml" in names:
        return "docx"
    if mimetype == _ODT_MIMETYPE:
        return "odt"
    raise ExtractionError("unsupported_format", filename=name)


# ---------------------------------------------------------------- zip guard

_XML_SUFFIXES = (".xml", ".rels")
_FORBIDDEN_XML = (b"<!DOCTYPE", b"<!ENTITY")
_RATIO_FLOOR = MIB  # small parts cannot hurt whatever their ratio


def _unsafe_member(member: str) -> bool:
    if member.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", member):
        return True
    parts = re.split(r"[\\/]", member)
    return ".." in parts


def _has_doctype(data: bytes) -> bool:
    """True when an XML part declares a DOCTYPE or ENTITY, in UTF-8 or UTF-16."""
    if any(marker in data for marker in _FORBIDDEN_XML):
        return True
    if data[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in data[:4]:
        for codec in ("utf-16-le", "utf-16-be"):
            text = data.decode(codec, errors="ignore")
            if "<!DOCTYPE" in text or "<!ENTITY" in text:
                return True
    return False


def _read_zip(data: bytes, name: str, fmt: str, limits: Limits, clock: _Clock) -> dict[str, bytes]:
    """Check a .docx/.odt container against the caps; return its XML parts by name."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except ZIP_ERRORS:
        raise ExtractionError("corrupt_file", filename=name, format=fmt.upper()) from None
    with zf:
        infos = zf.infolist()
        if len(infos) > limits.max_zip_members:
            raise ExtractionError(
                "zip_too_many_members",
                filename=name,
                count=len(infos),
                limit=limits.max_zip_members,
            )
        total = 0
        for info in infos:
            if _unsafe_member(info.filename):
                raise ExtractionError("zip_unsafe_path", filename=name, member=info.filename)
            if info.flag_bits & 0x1:
                raise ExtractionError("zip_encrypted", filename=name)
            total += info.file_size
            ratio = info.file_size / max(info.compress_size, 1)
            if info.file_size > _RATIO_FLOOR and ratio > limits.max_ratio:
                raise ExtractionError(
                    "zip_bomb", filename=name, ratio=f"{ratio:.0f}", limit=f"{limits.max_ratio:g}"
                )
        if total > limits.max_uncompressed:
            raise ExtractionError(
                "zip_too_large",
                filename=name,
                size_mib=f"{total / MIB:.1f}",
                limit_mib=f"{limits.max_uncompressed / MIB:g}",
            )
        parts: dict[str, bytes] = {}
        for info in infos:
            lower = info.filename.lower()
            if not (lower.endswith(_XML_SUFFIXES) or lower == "mimetype"):
                continue
            clock.check()
            try:
                # Declared sizes bound what zipfile returns; the read cap is a second fence.
                with zf.open(info) as member:
                    content = member.read(info.file_size + 1)
            except ZIP_ERRORS:
                raise ExtractionError("corrupt_file", filename=name, format=fmt.upper()) from None
            if _has_doctype(content):
                raise ExtractionError("xml_entity", filename=name, member=info.filename)
            parts[info.filename] = content
    return parts


def _parse_xml(content: bytes, name: str, member: str, fmt: str) -> Element:
    try:
        return SafeET.fromstring(content, forbid_dtd=True)
    except DefusedXmlException:
        raise ExtractionError("xml_entity", filename=name, member=member) from None
    except (SyntaxError, LookupError, ValueError):  # ParseError; an unknown encoding
        raise ExtractionError("corrupt_file", filename=name, format=fmt.upper()) from None


_AUTHOR_RE = re.compile(rb"""[\s:](?:author|initials)\s*=\s*(?:"([^"]*)"|'([^']*)')""")


def _attribute_people(content: bytes) -> list[str]:
    """Author and initials attributes (tracked changes, comments, people.xml), raw-scanned."""
    found = []
    for m in _AUTHOR_RE.finditer(content):
        value = (m.group(1) if m.group(1) is not None else m.group(2)).decode("utf-8", "replace")
        value = html.unescape(value).strip()
        if value:
            found.append(value)
    return found


# ---------------------------------------------------------------- .docx

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_MC_CHOICE = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Choice"
_MC_ALT = "{http://schemas.openxmlformats.org/markup-compatibility/2006}AlternateContent"
_REL_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_REL_TYPE_PREFIX = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
_LEGACY_FONT_RE = re.compile(rb"""["'](?:\.vn|vni[- ])""", re.IGNORECASE)

_W_P, _W_TBL, _W_TR, _W_TC, _W_R, _W_T = (
    _W + "p",
    _W + "tbl",
    _W + "tr",
    _W + "tc",
    _W + "r",
    _W + "t",
)
_W_DEL, _W_INS, _W_MOVE_FROM, _W_MOVE_TO = _W + "del", _W + "ins", _W + "moveFrom", _W + "moveTo"
_W_DEL_TEXT, _W_RPR, _W_PPR = _W + "delText", _W + "rPr", _W + "pPr"
_W_TXBX = _W + "txbxContent"
# Containers whose children are read as inline content of the paragraph.
_W_INLINE_CONTAINERS = {
    _W + "hyperlink", _W + "smartTag", _W + "fldSimple", _W + "customXml", _W + "sdt",
    _W + "sdtContent", _W + "bdo", _W + "dir", _W_INS, _W_MOVE_TO, _MC_ALT, _MC_CHOICE,
}  # fmt: skip
_W_RUN_CHARS = {
    _W + "tab": "\t", _W + "br": "\n", _W + "cr": "\n", _W + "softHyphen": "\u00ad",
    _W + "noBreakHyphen": "-", _W + "ptab": "\t",
}  # fmt: skip
_W_SKIP_BLOCK = {_W + "sectPr", _W_PPR, _W + "tblPr", _W + "tblGrid", _W + "trPr", _W + "tcPr"}
_NOTE_SKIP_TYPES = {"separator", "continuationSeparator", "continuationNotice"}


class _DocxFonts:
    """Resolves the font of a run (run, character style, paragraph style, defaults).

    Only built when a legacy font name appears somewhere, so Unicode files pay nothing.
    """

    def __init__(self, styles: Element | None) -> None:
        self.style_font: dict[str, str | None] = {}
        self.based_on: dict[str, str] = {}
        self.default_para = ""
        self.default_font: str | None = None
        if styles is None:
            return
        defaults = styles.find(f"{_W}docDefaults/{_W}rPrDefault/{_W_RPR}")
        if defaults is not None:
            self.default_font = self._rfonts(defaults)
        for style in styles.iter(_W + "style"):
            sid = style.get(_W + "styleId", "")
            rpr = style.find(_W_RPR)
            self.style_font[sid] = self._rfonts(rpr) if rpr is not None else None
            base = style.find(_W + "basedOn")
            if base is not None:
                self.based_on[sid] = base.get(_W + "val", "")
            if style.get(_W + "type") == "paragraph" and style.get(_W + "default") in ("1", "true"):
                self.default_para = sid

    @staticmethod
    def _rfonts(rpr: Element) -> str | None:
        fonts = rpr.find(_W + "rFonts")
        if fonts is None:
            return None
        # Bytes >= 0x80 are drawn with the hAnsi font; ASCII with the ascii font.
        return fonts.get(_W + "hAnsi") or fonts.get(_W + "ascii")

    def _style_chain_font(self, sid: str) -> str | None:
        seen = set()
        while sid and sid not in seen:
            seen.add(sid)
            font = self.style_font.get(sid)
            if font:
                return font
            sid = self.based_on.get(sid, "")
        return None

    def paragraph_font(self, p: Element) -> str | None:
        ppr = p.find(_W_PPR)
        sid = self.default_para
        if ppr is not None:
            pstyle = ppr.find(_W + "pStyle")
            if pstyle is not None:
                sid = pstyle.get(_W + "val", sid)
        return self._style_chain_font(sid) or self.default_font

    def run_font(self, rpr: Element | None, paragraph_font: str | None) -> str | None:
        if rpr is not None:
            direct = self._rfonts(rpr)
            if direct:
                return direct
            rstyle = rpr.find(_W + "rStyle")
            if rstyle is not None:
                font = self._style_chain_font(rstyle.get(_W + "val", ""))
                if font:
                    return font
        return paragraph_font


class _DocxWalker:
    """Collects paragraphs from WordprocessingML in reading order."""

    def __init__(self, clock: _Clock, fonts: _DocxFonts | None) -> None:
        self.clock = clock
        self.fonts = fonts
        self.deleted: list[str] = []  # text of tracked deletions: hidden, for anonymisation
        self.tracked = False
        self.converted: set[str] = set()

    def blocks(self, container: Element, out: list[str]) -> list[str]:
        for child in container:
            tag = child.tag
            if tag == _W_P:
                self.paragraph(child, out)
            elif tag == _W_TBL:
                # Direct rows and cells only: a nested table is read once, inside its cell.
                for row in _direct(child, _W_TR):
                    for cell in _direct(row, _W_TC):
                        self.blocks(cell, out)
                    self.clock.check()
            elif tag in (_W_DEL, _W_MOVE_FROM):
                self.tracked = True
                self.deleted.extend(self.blocks(child, []))
            elif tag not in _W_SKIP_BLOCK:
                if tag in (_W_INS, _W_MOVE_TO):
                    self.tracked = True
                self.blocks(child, out)  # sdt, sdtContent, customXml, ins ...
        return out

    def paragraph(self, p: Element, out: list[str]) -> None:
        self.clock.check()
        pieces: list[str] = []
        boxes: list[str] = []
        font = self.fonts.paragraph_font(p) if self.fonts is not None else None
        self._inline(p, pieces, boxes, font)
        text = "".join(pieces)
        if text.strip():
            out.append(text)
        out.extend(boxes)

    def _inline(self, el: Element, pieces: list[str], boxes: list[str], font: str | None) -> None:
        for child in el:
            tag = child.tag
            if tag == _W_R:
                self._run(child, pieces, boxes, font)
            elif tag in _W_INLINE_CONTAINERS:
                if tag in (_W_INS, _W_MOVE_TO):
                    self.tracked = True
                self._inline(child, pieces, boxes, font)
            elif tag in (_W_DEL, _W_MOVE_FROM):
                self.tracked = True
                removed: list[str] = []
                self._inline(child, removed, [], font)
                if "".join(removed).strip():
                    self.deleted.append("".join(removed))

    def _run(self, run: Element, pieces: list[str], boxes: list[str], font: str | None) -> None:
        chunk: list[str] = []
        for child in run:
            tag = child.tag
            if tag == _W_T:
                chunk.append(child.text or "")
            elif tag in _W_RUN_CHARS:
                chunk.append(_W_RUN_CHARS[tag])
            elif tag == _W_DEL_TEXT:
                if child.text and child.text.strip():
                    self.deleted.append(child.text)
            elif tag != _W_RPR:
                # Drawings and VML shapes may hold text boxes; mc:Fallback repeats them.
                for box in _iter_skipping_fallback(child, _W_TXBX):
                    self.blocks(box, boxes)
        if not chunk:
            return
        text = "".join(chunk)
        if self.fonts is not None:
            run_font = self.fonts.run_font(run.find(_W_RPR), font)
            encoding, capitals = font_encoding(run_font)
            if encoding is not None:
                converted = convert_legacy_font_text(text, encoding, capitals)
                if converted != text:
                    self.converted.add(encoding)
                text = converted
        pieces.append(text)


_MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
_W_WRAPPERS = {_W + "sdt", _W + "sdtContent", _W + "customXml"}


def _direct(el: Element, tag: str):
    """Yield children with ``tag``, looking through content-control wrappers only."""
    for child in el:
        if child.tag == tag:
            yield child
        elif child.tag in _W_WRAPPERS:
            yield from _direct(child, tag)


def _iter_skipping_fallback(el: Element, tag: str):
    """Yield descendants with ``tag``, skipping mc:Fallback copies and nested matches."""
    for child in el:
        if child.tag == _MC_FALLBACK:
            continue
        if child.tag == tag:
            yield child
        else:
            yield from _iter_skipping_fallback(child, tag)


def _relationships(
    parts: dict[str, bytes], rels_name: str, base_dir: str, name: str
) -> list[tuple[str, str]]:
    """(type suffix, part name) pairs from a .rels part; internal targets only."""
    content = parts.get(rels_name)
    if content is None:
        return []
    root = _parse_xml(content, name, rels_name, "docx")
    found = []
    for rel in root.iter(_REL_NS + "Relationship"):
        if rel.get("TargetMode") == "External":
            continue
        rel_type = rel.get("Type", "").rsplit("/", 1)[-1]
        target = rel.get("Target", "")
        path = target.lstrip("/") if target.startswith("/") else posixpath.join(base_dir, target)
        found.append((rel_type, posixpath.normpath(path)))
    return found


def _read_docx(data: bytes, name: str, limits: Limits, clock: _Clock) -> _Raw:
    parts = _read_zip(data, name, "docx", limits, clock)
    main_part = next(
        (
            path
            for kind, path in _relationships(parts, "_rels/.rels", "", name)
            if kind == "officeDocument"
        ),
        "word/document.xml",
    )
    if main_part not in parts:
        raise ExtractionError("corrupt_file", filename=name, format="DOCX")
    base_dir = posixpath.dirname(main_part)
    rels_name = posixpath.join(base_dir, "_rels", posixpath.basename(main_part) + ".rels")
    related: dict[str, list[str]] = {}
    for kind, path in _relationships(parts, rels_name, base_dir, name):
        if path in parts:
            related.setdefault(kind, []).append(path)

    def parse(path: str) -> Element:
        return _parse_xml(parts[path], name, path, "docx")

    text_parts = [main_part] + [
        p
        for k in ("header", "footer", "footnotes", "endnotes", "comments")
        for p in related.get(k, [])
    ]
    fonts = None
    style_parts = related.get("styles", [])
    # Word lists every font in use in fontTable.xml; reading it instead of styles.xml
    # (often hundreds of KiB) keeps Unicode files fast.
    if any(_LEGACY_FONT_RE.search(parts[p]) for p in text_parts + related.get("fontTable", [])):
        fonts = _DocxFonts(parse(style_parts[0]) if style_parts else None)
    walker = _DocxWalker(clock, fonts)

    document = parse(main_part)
    body = document.find(_W + "body")
    paragraphs = walker.blocks(body if body is not None else document, [])
    for kind, tag in (("footnotes", "footnote"), ("endnotes", "endnote")):
        for path in related.get(kind, []):
            for note in parse(path).iter(_W + tag):
                if note.get(_W + "type") not in _NOTE_SKIP_TYPES:
                    walker.blocks(note, paragraphs)

    hidden: list[str] = []
    for kind in ("header", "footer", "comments"):
        for path in related.get(kind, []):
            walker.blocks(parse(path), hidden)
    for path in [*text_parts, *related.get("people", [])]:
        hidden.extend(_attribute_people(parts[path]))
    hidden.extend(walker.deleted)

    warnings_ = ["converted_" + enc for enc in sorted(walker.converted)]
    if walker.tracked:
        warnings_.append("tracked_changes")
    metadata = _ooxml_metadata(parts, name)
    return _Raw(paragraphs, metadata, hidden, warnings_)


_CORE_KEYS = {
    "creator": "author", "lastModifiedBy": "last_modified_by", "title": "title",
    "subject": "subject", "description": "description", "keywords": "keywords",
    "category": "category", "created": "created", "modified": "modified",
    "lastPrinted": "last_printed", "revision": "revision", "contentStatus": "content_status",
    "identifier": "identifier", "language": "language",
}  # fmt: skip
_APP_KEYS = {
    "Company": "company",
    "Manager": "manager",
    "Application": "application",
    "Template": "template",
}


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _ooxml_metadata(parts: dict[str, bytes], name: str) -> dict[str, str]:
    metadata: dict[str, str] = {}
    for path, keys in (("docProps/core.xml", _CORE_KEYS), ("docProps/app.xml", _APP_KEYS)):
        if path in parts:
            for el in _parse_xml(parts[path], name, path, "docx"):
                key = keys.get(_local(el.tag))
                if key and el.text and el.text.strip():
                    metadata[key] = el.text.strip()
    if "docProps/custom.xml" in parts:
        for prop in _parse_xml(parts["docProps/custom.xml"], name, "docProps/custom.xml", "docx"):
            value = "".join(prop.itertext()).strip()
            if prop.get("name") and value:
                metadata["custom:" + prop.get("name", "")] = value
    return metadata


# ---------------------------------------------------------------- .odt

_TEXT = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
_TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
_OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
_DRAW = "{urn:oasis:names:tc:opendocument:xmlns:drawing:1.0}"
_STYLE = "{urn:oasis:names:tc:opendocument:xmlns:style:1.0}"
_META = "{urn:oasis:names:tc:opendocument:xmlns:meta:1.0}"
_DC = "{http://purl.org/dc/elements/1.1/}"

_ODT_PARAGRAPHS = {_TEXT + "p", _TEXT + "h"}
_ODT_SKIP_BLOCK = {
    _TEXT + "sequence-decls", _TEXT + "variable-decls", _TEXT + "user-field-decls",
    _OFFICE + "forms", _TABLE + "table-columns", _TABLE + "table-column",
    _TABLE + "covered-table-cell", _TEXT + "tracked-changes",
}  # fmt: skip
_ODT_INLINE_SKIP = {_TEXT + "bookmark", _TEXT + "bookmark-start", _TEXT + "bookmark-end",
                    _OFFICE + "annotation-end", _TEXT + "soft-page-break", _TEXT + "change",
                    _TEXT + "change-start", _TEXT + "change-end"}  # fmt: skip
_ODT_META_KEYS = {
    _META + "initial-creator": "author", _DC + "creator": "last_modified_by", _DC + "title": "title",
    _DC + "subject": "subject", _DC + "description": "description", _META + "keyword": "keywords",
    _META + "creation-date": "created", _DC + "date": "modified", _META + "printed-by": "printed_by",
    _DC + "language": "language",
}  # fmt: skip


class _OdtWalker:
    """Collects paragraphs from OpenDocument text in reading order."""

    def __init__(self, clock: _Clock) -> None:
        self.clock = clock
        self.notes: list[str] = []
        self.hidden: list[str] = []

    def blocks(self, container: Element, out: list[str]) -> list[str]:
        for child in container:
            tag = child.tag
            if tag in _ODT_PARAGRAPHS:
                self.paragraph(child, out)
            elif tag == _TEXT + "tracked-changes":
                for region in child:
                    self.hidden.extend(t for t in self.blocks(region, []) if t.strip())
                    for creator in region.iter(_DC + "creator"):
                        if creator.text and creator.text.strip():
                            self.hidden.append(creator.text.strip())
            elif tag not in _ODT_SKIP_BLOCK:
                self.blocks(child, out)  # tables, rows, cells, lists, sections
        return out

    def paragraph(self, p: Element, out: list[str]) -> None:
        self.clock.check()
        pieces: list[str] = []
        boxes: list[str] = []
        self._inline(p, pieces, boxes)
        text = "".join(pieces)
        if text.strip():
            out.append(text)
        out.extend(boxes)

    def _inline(self, el: Element, pieces: list[str], boxes: list[str]) -> None:
        if el.text:
            pieces.append(el.text)
        for child in el:
            tag = child.tag
            if tag == _TEXT + "s":
                pieces.append(" " * _space_count(child.get(_TEXT + "c")))
            elif tag == _TEXT + "tab":
                pieces.append("\t")
            elif tag == _TEXT + "line-break":
                pieces.append("\n")
            elif tag == _TEXT + "note":
                body = child.find(_TEXT + "note-body")
                if body is not None:
                    self.blocks(body, self.notes)
            elif tag == _OFFICE + "annotation":
                for creator in child.iter(_DC + "creator"):
                    if creator.text and creator.text.strip():
                        self.hidden.append(creator.text.strip())
                self.blocks(child, self.hidden)
            elif tag == _DRAW + "frame":
                for box in child.iter(_DRAW + "text-box"):
                    self.blocks(box, boxes)
            elif tag not in _ODT_INLINE_SKIP:
                self._inline(child, pieces, boxes)  # span, a, meta, ruby ...
            if child.tail:
                pieces.append(child.tail)


def _space_count(value: str | None) -> int:
    """text:s repeat count: a number, capped so "c=1000000000" cannot exhaust memory."""
    try:
        return max(1, min(int(value or 1), 100))
    except ValueError:
        return 1


def _read_odt(data: bytes, name: str, limits: Limits, clock: _Clock) -> _Raw:
    parts = _read_zip(data, name, "odt", limits, clock)
    mimetype = parts.get("mimetype", _ODT_MIMETYPE).strip()
    if mimetype != _ODT_MIMETYPE:
        raise ExtractionError("unsupported_format", filename=name)
    if "content.xml" not in parts:
        raise ExtractionError("corrupt_file", filename=name, format="ODT")
    walker = _OdtWalker(clock)
    content = _parse_xml(parts["content.xml"], name, "content.xml", "odt")
    body = content.find(f"{_OFFICE}body/{_OFFICE}text")
    paragraphs = walker.blocks(body if body is not None else content, [])
    paragraphs.extend(walker.notes)
    hidden = walker.hidden
    if "styles.xml" in parts:
        styles = _parse_xml(parts["styles.xml"], name, "styles.xml", "odt")
        for page in styles.iter(_STYLE + "master-page"):
            for region in page:
                # header, footer, header-left, footer-first ...
                if _local(region.tag).startswith(("header", "footer")):
                    walker.blocks(region, hidden)
    metadata: dict[str, str] = {}
    if "meta.xml" in parts:
        meta = _parse_xml(parts["meta.xml"], name, "meta.xml", "odt")
        for el in meta.iter():
            value = (el.text or "").strip()
            if not value:
                continue
            if el.tag in _ODT_META_KEYS:
                metadata[_ODT_META_KEYS[el.tag]] = value
            elif el.tag == _META + "user-defined" and el.get(_META + "name"):
                metadata["custom:" + el.get(_META + "name", "")] = value
    return _Raw(paragraphs, metadata, hidden)


# ---------------------------------------------------------------- .pdf

_PDF_META_KEYS = {
    "/Author": "author", "/Title": "title", "/Subject": "subject", "/Keywords": "keywords",
    "/Creator": "creator_tool", "/Producer": "producer", "/CreationDate": "created",
    "/ModDate": "modified",
}  # fmt: skip
_SENTENCE_END = (".", "!", "?", ":", "…", '"', "”", ";")


def _read_pdf(data: bytes, name: str, clock: _Clock) -> _Raw:
    from pypdf import PdfReader  # imported here: only PDF uploads pay for it

    paragraphs: list[str] = []
    metadata: dict[str, str] = {}
    # pypdf reports recoverable damage as warnings; tests turn warnings into errors.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            reader = PdfReader(io.BytesIO(data), strict=False)
            if reader.is_encrypted and not reader.decrypt(""):
                # An owner-only password opens with the empty password and is read; a
                # password needed to open the file is refused.
                raise ExtractionError("pdf_encrypted", filename=name)
            info = reader.metadata or {}
            for key, label in _PDF_META_KEYS.items():
                value = info.get(key)
                if value is not None and str(value).strip():
                    metadata[label] = str(value).strip()
            for page in reader.pages:
                clock.check()
                paragraphs.extend(_pdf_paragraphs(page.extract_text() or ""))
        except ExtractionError:
            raise
        except Exception:  # pypdf raises many types on damaged files; all mean "damaged"
            raise ExtractionError("corrupt_file", filename=name, format="PDF") from None
    if not any(p.strip() for p in paragraphs):
        raise ExtractionError("pdf_no_text", filename=name)
    return _Raw(paragraphs, metadata)


# Seconds a forked PDF reader may run past the cap (its own clock stops it at the cap when
# it can) before it is killed.
_KILL_MARGIN = 1.0


def _can_fork() -> bool:
    """Forking is safe only from a process's main thread (a gunicorn sync worker, the CLI):
    a threaded server's other threads may hold locks the child would inherit held."""
    import multiprocessing
    import threading

    return (
        "fork" in multiprocessing.get_all_start_methods()
        and threading.current_thread() is threading.main_thread()
        and not multiprocessing.current_process().daemon  # a pool's worker may not have one
    )


def _pdf_child(conn, data: bytes, name: str, limits: Limits) -> None:
    import gc

    # The inherited objects never die here: keeping the collector off them saves copying
    # every page that holds one (copy-on-write).
    gc.freeze()
    try:
        conn.send(("ok", _read_pdf(data, name, _Clock(limits, name))))
    except ExtractionError as e:
        conn.send(("error", e.code, e.params))
    except BaseException:  # noqa: BLE001 - the parent must hear something
        conn.send(("error", "corrupt_file", {"filename": name, "format": "PDF"}))
    finally:
        conn.close()


def _read_pdf_isolated(data: bytes, name: str, limits: Limits, clock: _Clock) -> _Raw:
    """Read a PDF in a forked process killed at the time cap. pypdf rebuilds a damaged
    cross-reference table or counts pages without any checkpoint of ours, so in-process a
    crafted PDF held a worker for 4-10 s past a 2 s cap (docs/fuzz.md, cause 6). Where forking
    is unsafe (a thread of a threaded server) it is read in-process, with the page checks."""
    if not _can_fork():
        return _read_pdf(data, name, clock)
    import multiprocessing

    ctx = multiprocessing.get_context("fork")
    receive, send = ctx.Pipe(duplex=False)
    child = ctx.Process(target=_pdf_child, args=(send, data, name, limits), daemon=True)
    child.start()
    send.close()  # the child holds its own copy; EOF here means the child is gone
    answer = None
    try:
        # poll() is also true at EOF: the child died without a word (killed by the system)
        if receive.poll(max(0.0, clock.deadline - time.monotonic()) + _KILL_MARGIN):
            with contextlib.suppress(EOFError):
                answer = receive.recv()
    finally:
        receive.close()
        if child.is_alive():
            child.kill()
        child.join()
    if answer is None:
        if time.monotonic() >= clock.deadline:
            raise ExtractionError("timeout", filename=name, limit=f"{limits.max_seconds:g}")
        raise ExtractionError("corrupt_file", filename=name, format="PDF")
    if answer[0] == "ok":
        return answer[1]
    raise ExtractionError(answer[1], **answer[2])


def _pdf_paragraphs(page_text: str) -> list[str]:
    """Group a page's lines into paragraphs: a line ending a sentence ends its paragraph."""
    out: list[str] = []
    current: list[str] = []
    for line in page_text.splitlines():
        line = line.strip()
        if not line:
            if current:
                out.append(" ".join(current))
                current = []
            continue
        current.append(line)
        if line.endswith(_SENTENCE_END):
            out.append(" ".join(current))
            current = []
    if current:
        out.append(" ".join(current))
    return out


# ---------------------------------------------------------------- .txt

_MOSTLY_UTF8 = 0.9  # share of non-ASCII sequences that must be valid UTF-8 for a mixed file


def _decode_text(data: bytes, name: str) -> tuple[str, list[str]]:
    """Decode a .txt upload: BOM, UTF-8, UTF-16 without BOM, mixed, else legacy 8-bit."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace"), []
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace"), ["decoded_utf16"]
    utf16 = _guess_utf16(data)
    if utf16:
        return data.decode(utf16, errors="replace"), ["decoded_utf16"]
    if b"\x00" in data:
        raise ExtractionError("unsupported_format", filename=name)  # binary, not text
    try:
        return data.decode("utf-8"), []
    except UnicodeDecodeError:
        pass
    valid, invalid = _utf8_census(data)
    if valid and valid >= _MOSTLY_UTF8 * (valid + invalid):
        return _decode_mixed(data), ["mixed_encoding"]
    # An 8-bit file: TCVN3 or VNI bytes read as Windows-1252 are what fix_legacy expects.
    as_1252 = data.decode("cp1252", errors="replace")
    fixed, encoding = fix_legacy(as_1252)
    if encoding is not None:
        return fixed, ["converted_" + encoding]
    return data.decode("cp1258", errors="replace"), ["decoded_cp1258"]


def _guess_utf16(data: bytes) -> str | None:
    """UTF-16 without BOM shows NUL bytes in every other position (ASCII, spaces)."""
    sample = data[:4096]
    if len(sample) < 4 or len(sample) % 2:
        return None
    even_zero = sample[0::2].count(0) / (len(sample) / 2)
    odd_zero = sample[1::2].count(0) / (len(sample) / 2)
    if odd_zero > 0.3 and even_zero < 0.05:
        return "utf-16-le"
    if even_zero > 0.3 and odd_zero < 0.05:
        return "utf-16-be"
    return None


_UTF8_SEQ_RE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}|([\x80-\xff])"
)


def _utf8_census(data: bytes) -> tuple[int, int]:
    """Count well-formed multi-byte UTF-8 sequences and stray high bytes."""
    valid = invalid = 0
    for m in _UTF8_SEQ_RE.finditer(data):
        if m.group(1) is None:
            valid += 1
        else:
            invalid += 1
    return valid, invalid


_UTF8_MULTIBYTE_RE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}"
)


def _decode_mixed(data: bytes) -> str:
    """Decode UTF-8 where valid and each stray stretch of high bytes as Windows-1258."""
    out = []
    pos = 0
    view = memoryview(data)  # slicing a view copies nothing: no quadratic cost on many errors
    while pos < len(data):
        try:
            out.append(str(view[pos:], "utf-8"))
            break
        except UnicodeDecodeError as exc:
            start, end = pos + exc.start, pos + exc.end
            out.append(data[pos:start].decode("utf-8"))
            # Widen over following high bytes that do not begin valid UTF-8: one legacy stretch.
            while end < len(data) and data[end] >= 0x80 and not _UTF8_MULTIBYTE_RE.match(data, end):
                end += 1
            out.append(data[start:end].decode("cp1258", errors="replace"))
            pos = end
    return "".join(out)


def _read_txt(data: bytes, name: str) -> _Raw:
    text, warnings_ = _decode_text(data, name)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if _BLANK_LINES_RE.search(text):
        paragraphs = _BLANK_LINES_RE.split(text)
    else:
        paragraphs = text.split("\n")  # one paragraph per line, the Notepad habit
    return _Raw(paragraphs, warnings=warnings_)


# ---------------------------------------------------------------- entry points


def extract(data: bytes, filename: str, *, limits: Limits = DEFAULT_LIMITS) -> Extracted:
    """Read an uploaded file and return its body text, hidden text and metadata.

    ``filename`` is only used for its extension and in messages. Raises
    :class:`ExtractionError` for every file that cannot or must not be read.
    """
    name = os.path.basename(filename) or "?"
    clock = _Clock(limits, name)
    if len(data) > limits.max_bytes:
        raise ExtractionError(
            "file_too_large",
            filename=name,
            size_mib=f"{len(data) / MIB:.1f}",
            limit_mib=f"{limits.max_bytes / MIB:g}",
        )
    fmt = detect_format(data, name)
    try:
        if fmt == "docx":
            raw = _read_docx(data, name, limits, clock)
        elif fmt == "odt":
            raw = _read_odt(data, name, limits, clock)
        elif fmt == "pdf":
            raw = _read_pdf_isolated(data, name, limits, clock)
        else:
            raw = _read_txt(data, name)
    except RecursionError:
        # Elements nested thousands deep: no real document looks like this.
        raise ExtractionError("corrupt_file", filename=name, format=fmt.upper()) from None
    clock.check()
    return _finish(raw, fmt, name)


def _finish(raw: _Raw, fmt: str, name: str) -> Extracted:
    warnings_ = list(raw.warnings)
    paragraphs = [p for p in (_clean_paragraph(p) for p in raw.paragraphs) if p]
    text = "\n\n".join(paragraphs)
    text, encoding = fix_legacy(text)
    if encoding is not None and "converted_" + encoding not in warnings_:
        warnings_.append("converted_" + encoding)
    text = _drop_soft_hyphens(text)
    if not text.strip():
        raise ExtractionError("empty_document", filename=name)
    # Names in headers and properties of a legacy document are legacy too, but too short
    # for detection: convert them with the document's encoding when they look the part.
    converted = [w.removeprefix("converted_") for w in warnings_ if w.startswith("converted_")]
    legacy = converted[0] if len(converted) == 1 else None

    def clean(value: str) -> str:
        value = fix_legacy(value)[0]
        if legacy is not None:
            value = convert_likely_legacy(value, legacy)
        return _clean_paragraph(_drop_soft_hyphens(value))

    hidden = []
    for item in raw.hidden:
        cleaned = clean(item)
        if cleaned and cleaned not in hidden:
            hidden.append(cleaned)
    metadata = {key: clean(value) for key, value in raw.metadata.items()}
    return Extracted(
        text=text,
        words=count_words(text),
        format=fmt,
        metadata={key: value for key, value in metadata.items() if value},
        hidden_text=hidden,
        warnings=warnings_,
    )


def _drop_soft_hyphens(text: str) -> str:
    """Remove soft hyphens, kept until now because TCVN3 writes "ư" as byte 0xAD."""
    if "\u00ad" not in text:
        return text
    return nfc(text.replace("\u00ad", ""))


def extract_path(path: str | os.PathLike, *, limits: Limits = DEFAULT_LIMITS) -> Extracted:
    """Read a file from disk and :func:`extract` it; a missing or oversized file is an error."""
    name = os.path.basename(os.fspath(path))
    try:
        size = os.path.getsize(path)
        if size > limits.max_bytes:
            raise ExtractionError(
                "file_too_large",
                filename=name,
                size_mib=f"{size / MIB:.1f}",
                limit_mib=f"{limits.max_bytes / MIB:g}",
            )
        with open(path, "rb") as handle:
            data = handle.read(limits.max_bytes + 1)
    except FileNotFoundError:
        raise ExtractionError("file_not_found", filename=os.fspath(path)) from None
    except IsADirectoryError:
        raise ExtractionError("read_error", filename=name, reason="directory") from None
    except OSError as exc:
        raise ExtractionError(
            "read_error", filename=name, reason=exc.strerror or "OSError"
        ) from None
    return extract(data, name, limits=limits)


# ---------------------------------------------------------------- command line


def _cli_lang() -> str:
    for var in ("LANGUAGE", "LANG"):
        if os.environ.get(var, "").lower().startswith("en"):
            return "en"
    return "vi"


def main(argv: list[str] | None = None) -> int:
    """Command line: print the text judges would get (before redaction), or JSON with --json."""
    parser = argparse.ArgumentParser(prog="python -m contest.extract", description=main.__doc__)
    parser.add_argument("file", help=".docx, .pdf, .odt or .txt")
    parser.add_argument(
        "--json", action="store_true", help="print text, words, format, metadata, warnings"
    )
    args = parser.parse_args(argv)
    lang = _cli_lang()
    try:
        result = extract_path(args.file)
    except ExtractionError as exc:
        print(exc.message(lang), file=sys.stderr)
        return 1
    if args.json:
        payload = {
            "text": result.text,
            "words": result.words,
            "format": result.format,
            "metadata": result.metadata,
            "warnings": result.warnings,
        }
        output = json.dumps(payload, ensure_ascii=False, indent=2) + "\n"
    else:
        output = result.text + "\n"
        for code in result.warnings:
            print(warning_message(code, lang), file=sys.stderr)
    # Write UTF-8 bytes whatever the terminal's locale says.
    sys.stdout.buffer.write(output.encode("utf-8"))
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
