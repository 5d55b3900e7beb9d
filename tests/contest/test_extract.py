"""Text extraction: formats, reading order, hidden parts, encodings, guards and the CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest

from contest.extract import (
    DEFAULT_LIMITS,
    SUPPORTED_FORMATS,
    Extracted,
    ExtractionError,
    Limits,
    count_words,
    detect_format,
    extract,
    extract_path,
    warning_message,
)
from contest.legacy_encoding import encode_legacy
from tests.contest import docfactory as f

ROOT = Path(__file__).resolve().parents[2]

P1 = "Bảo vệ nền tảng tư tưởng của Đảng là nhiệm vụ của toàn Đảng, toàn dân."
P2 = "Chúng ta kiên quyết đấu tranh phản bác các quan điểm sai trái, thù địch."
P3 = "Thực tiễn đổi mới đã chứng minh đường lối đúng đắn, sáng tạo của Đảng."
TABLE = [["Năm", "Số bài"], ["2024", "468.792"]]


def _error(data: bytes, filename: str, limits: Limits = DEFAULT_LIMITS) -> ExtractionError:
    with pytest.raises(ExtractionError) as caught:
        extract(data, filename, limits=limits)
    return caught.value


def _full_docx() -> bytes:
    data = f.make_docx(
        [P1, P2, P3],
        table=TABLE,
        table_after=1,
        header="Tác giả: Nguyễn Văn An",
        footer="Trường THPT Chu Văn An",
        comment=("Nên viết lại đoạn này", "Trần Thị Bình"),
        core={"author": "Nguyễn Văn An", "last_modified_by": "Lê Văn Cường", "title": "Bài dự thi"},
    )
    data = f.add_footnote(data, P2, "Nghị quyết số 35-NQ/TW ngày 22/10/2018.")
    return f.add_tracked_changes(data, P3, " Câu được thêm.", " Câu bị xoá.", "Phạm Văn Dũng")


# ---------------------------------------------------------------- public shapes


def test_limits_defaults_are_the_documented_caps():
    expected = Limits(
        max_bytes=20 * 1024 * 1024,
        max_zip_members=2000,
        max_uncompressed=100 * 1024 * 1024,
        max_ratio=100.0,
        max_seconds=15.0,
    )
    assert expected == DEFAULT_LIMITS
    assert SUPPORTED_FORMATS == ("docx", "pdf", "odt", "txt")


def test_paragraphs_split_on_blank_line():
    result = Extracted(text="Một.\n\nHai\nba.", words=3, format="txt")
    assert result.paragraphs() == ["Một.", "Hai\nba."]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Bảo vệ nền tảng tư tưởng", 6),
        ("Năm 2024 , có — 468.792 bài !", 5),
        ("  \n\t ", 0),
        ("__ -- ** ...", 0),
        ("e-mail: a_b@x.vn (số 3)", 4),
        ("", 0),
    ],
)
def test_count_words_tokens_with_letter_or_digit(text, expected):
    assert count_words(text) == expected


def test_warning_message_in_both_languages():
    assert (
        warning_message("converted_tcvn3")
        == "Văn bản gõ bằng bảng mã TCVN3 (.VnTime) đã được chuyển sang Unicode."
    )
    assert (
        warning_message("converted_tcvn3", "en")
        == "Text typed in the TCVN3 (.VnTime) encoding was converted to Unicode."
    )
    assert warning_message("no_such_code") == "no_such_code"


# ---------------------------------------------------------------- .docx


def test_docx_reading_order_with_table_and_footnote():
    result = extract(_full_docx(), "bai.docx")
    assert result.paragraphs() == [
        P1,
        "Năm",
        "Số bài",
        "2024",
        "468.792",
        P2,
        P3 + " Câu được thêm.",
        "Nghị quyết số 35-NQ/TW ngày 22/10/2018.",
    ]
    assert result.format == "docx"
    assert result.words == count_words(result.text) == 60


def test_docx_identity_parts_only_in_hidden_text_and_metadata():
    result = extract(_full_docx(), "bai.docx")
    assert result.hidden_text == [
        "Tác giả: Nguyễn Văn An",
        "Trường THPT Chu Văn An",
        "Nên viết lại đoạn này",
        "Phạm Văn Dũng",
        "Trần Thị Bình",
        "NV",
        "Câu bị xoá.",
    ]
    for secret in (
        "Nguyễn",
        "Chu Văn An",
        "Trần Thị Bình",
        "Phạm Văn Dũng",
        "Nên viết lại",
        "bị xoá",
    ):
        assert secret not in result.text
    assert {k: result.metadata[k] for k in ("author", "last_modified_by", "title")} == {
        "author": "Nguyễn Văn An",
        "last_modified_by": "Lê Văn Cường",
        "title": "Bài dự thi",
    }
    assert result.warnings == ["tracked_changes"]


def test_docx_nested_table_read_once_in_reading_order():
    data = f.make_docx([P1, P2], table=[["Ngoài một", "Ngoài hai"]], table_after=1)

    def nest(xml: str) -> str:
        inner = "<w:tbl><w:tr><w:tc><w:p><w:r><w:t>Trong</w:t></w:r></w:p></w:tc></w:tr></w:tbl>"
        cell_end = "<w:t>Ngoài một</w:t></w:r></w:p>"
        return xml.replace(cell_end, cell_end + inner, 1)

    result = extract(f.with_document_xml(data, nest), "bai.docx")
    assert result.paragraphs() == [P1, "Ngoài một", "Trong", "Ngoài hai", P2]


def test_docx_text_box_read_once_after_its_paragraph():
    box = (
        '<w:r><mc:AlternateContent xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006">'
        '<mc:Choice Requires="wps"><w:drawing><wps:txbx xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape">'
        "<w:txbxContent><w:p><w:r><w:t>Hộp chữ</w:t></w:r></w:p></w:txbxContent></wps:txbx></w:drawing></mc:Choice>"
        '<mc:Fallback><w:pict><v:textbox xmlns:v="urn:schemas-microsoft-com:vml"><w:txbxContent><w:p><w:r>'
        "<w:t>Hộp chữ</w:t></w:r></w:p></w:txbxContent></v:textbox></w:pict></mc:Fallback></mc:AlternateContent></w:r>"
    )
    data = f.make_docx([P1, P2])
    anchor = f"<w:t>{P1}</w:t></w:r>"
    result = extract(
        f.with_document_xml(data, lambda xml: xml.replace(anchor, anchor + box, 1)), "bai.docx"
    )
    assert result.paragraphs() == [P1, "Hộp chữ", P2]


def test_docx_metadata_holds_only_non_empty_properties():
    result = extract(f.make_docx([P1]), "bai.docx")
    assert "author" not in result.metadata
    assert "title" not in result.metadata
    assert all(value for value in result.metadata.values())


def test_docx_decomposed_text_becomes_nfc():
    nfd = unicodedata.normalize("NFD", P1)
    assert nfd != P1
    result = extract(f.make_docx([nfd]), "bai.docx")
    assert result.text == P1


def test_docx_tcvn3_text_without_font_is_detected_and_converted():
    data = f.make_docx([encode_legacy(P1, "tcvn3"), encode_legacy(P2, "tcvn3")])
    result = extract(data, "cu.docx")
    assert result.text == P1 + "\n\n" + P2
    assert result.warnings == ["converted_tcvn3"]


def test_docx_tcvn3_soft_hyphen_element_is_letter_u_horn():
    legacy = encode_legacy(P1 + " " + P2, "tcvn3")
    data = f.make_docx([legacy])
    data = f.with_document_xml(
        data, lambda xml: xml.replace("\u00ad", "</w:t><w:softHyphen/><w:t>")
    )
    result = extract(data, "cu.docx")
    assert result.text == P1 + " " + P2


def test_docx_short_tcvn3_run_converted_by_font_hint():
    # Two words are too little evidence for detection; the .VnTime font decides.
    data = f.make_docx([encode_legacy("Việt Nam", "tcvn3"), "Hello"], fonts={0: ".VnTime"})
    result = extract(data, "cu.docx")
    assert result.text == "Việt Nam\n\nHello"
    assert result.warnings == ["converted_tcvn3"]


def test_docx_tcvn3_capitals_font_gives_capitals():
    data = f.make_docx([encode_legacy("cộng hoà xã hội", "tcvn3"), P1], fonts={0: ".VnTimeH"})
    result = extract(data, "cu.docx")
    assert result.paragraphs() == ["CỘNG HOÀ XÃ HỘI", P1]
    assert result.warnings == ["converted_tcvn3"]


def test_docx_legacy_font_of_normal_style_converts_short_text():
    data = f.make_docx([encode_legacy("Đảng ta", "tcvn3"), "Hello"], normal_font=".VnTime")
    result = extract(data, "cu.docx")
    assert result.text == "Đảng ta\n\nHello"
    assert result.warnings == ["converted_tcvn3"]


def test_docx_legacy_header_and_author_follow_the_body_encoding():
    data = f.make_docx(
        [encode_legacy(P1, "tcvn3"), encode_legacy(P3, "tcvn3")],
        header=encode_legacy("Tác giả: Nguyễn Văn An", "tcvn3"),
        core={"author": encode_legacy("Nguyễn Văn An", "tcvn3"), "title": "Hà Bá"},
    )
    result = extract(data, "cu.docx")
    assert result.text == P1 + "\n\n" + P3
    assert result.hidden_text == ["Tác giả: Nguyễn Văn An"]
    assert (result.metadata["author"], result.metadata["title"]) == ("Nguyễn Văn An", "Hà Bá")


def test_docx_vni_font_hint_converts_run():
    data = f.make_docx([encode_legacy("Đảng ta", "vni")], fonts={0: "VNI-Times"})
    result = extract(data, "cu.docx")
    assert result.text == "Đảng ta"
    assert result.warnings == ["converted_vni"]


def test_docx_vni_text_without_font_is_detected():
    data = f.make_docx([encode_legacy(P1, "vni"), encode_legacy(P3, "vni")])
    result = extract(data, "cu.docx")
    assert result.text == P1 + "\n\n" + P3
    assert result.warnings == ["converted_vni"]


def test_docx_unicode_text_in_legacy_font_is_not_converted():
    data = f.make_docx([P1], fonts={0: ".VnTime"})
    assert extract(data, "bai.docx").text == P1


def test_docx_inside_zip_named_otherwise_is_detected():
    assert detect_format(f.make_docx([P1]), "bai.zip") == "docx"


def test_docx_missing_main_part_is_corrupt():
    data = f.zip_bytes({"[Content_Types].xml": b"<Types/>", "word/other.xml": b"<x/>"})
    error = _error(data, "bai.docx")
    assert (error.code, error.params) == (
        "corrupt_file",
        {"filename": "bai.docx", "format": "DOCX"},
    )


def test_docx_empty_paragraphs_only_is_empty_document():
    error = _error(f.make_docx(["", "   ", "\t"]), "trang.docx")
    assert error.code == "empty_document"
    assert (
        error.message()
        == "Tệp trang.docx không có nội dung chữ. Vui lòng kiểm tra lại tệp bài dự thi."
    )
    assert error.message("en") == "trang.docx contains no text. Please check the entry file."


# ---------------------------------------------------------------- .odt


def test_odt_reading_order_table_note_hidden_and_metadata():
    data = f.make_odt(
        [P1, P2],
        table=TABLE,
        note="Văn kiện Đại hội XIII.",
        header="Tác giả: Nguyễn Văn An",
        annotation=("Sửa câu này", "Trần Thị Bình"),
        meta={
            "meta:initial-creator": "Nguyễn Văn An",
            "dc:creator": "Lê Văn Cường",
            "dc:title": "Bài dự thi",
        },
    )
    result = extract(data, "bai.odt")
    assert result.paragraphs() == [
        P1,
        "Năm",
        "Số bài",
        "2024",
        "468.792",
        P2,
        "Văn kiện Đại hội XIII.",
    ]
    assert result.hidden_text == ["Trần Thị Bình", "Sửa câu này", "Tác giả: Nguyễn Văn An"]
    assert result.metadata == {
        "author": "Nguyễn Văn An",
        "last_modified_by": "Lê Văn Cường",
        "title": "Bài dự thi",
    }
    assert result.format == "odt"


def test_odt_other_opendocument_type_is_unsupported():
    data = f.make_odt([P1])
    members = f.zip_members(data)
    members["mimetype"] = b"application/vnd.oasis.opendocument.spreadsheet"
    error = _error(f.zip_bytes(members), "bang.odt")
    assert error.code == "unsupported_format"


# ---------------------------------------------------------------- .pdf


def test_pdf_text_layer_pages_and_metadata():
    data = f.make_pdf([[P1, P2], [P3]], info={"Author": "Nguyễn Văn An", "Title": "Bài dự thi"})
    result = extract(data, "bai.pdf")
    assert result.paragraphs() == [P1, P2, P3]
    assert result.metadata == {"author": "Nguyễn Văn An", "title": "Bài dự thi"}
    assert result.format == "pdf"


def test_pdf_wrapped_lines_join_into_one_paragraph():
    data = f.make_pdf([["Bảo vệ nền tảng tư tưởng", "của Đảng là nhiệm vụ.", "Câu sau."]])
    assert extract(data, "bai.pdf").paragraphs() == [
        "Bảo vệ nền tảng tư tưởng của Đảng là nhiệm vụ.",
        "Câu sau.",
    ]


def test_pdf_encrypted_is_refused():
    error = _error(f.make_encrypted_pdf([P1]), "khoa.pdf")
    assert error.code == "pdf_encrypted"
    assert error.message("en") == (
        "The PDF khoa.pdf is password-protected. Please upload the Word file (.docx) or a PDF without a password."
    )


def test_pdf_with_owner_password_only_is_read():
    # Opens in every viewer without a password (only printing/copying is restricted).
    assert extract(f.make_encrypted_pdf([P1], password=""), "quyen.pdf").text == P1


def test_pdf_scanned_without_text_asks_for_word_file():
    error = _error(f.make_scanned_pdf(), "scan.pdf")
    assert error.code == "pdf_no_text"
    assert error.message() == (
        "Tệp PDF scan.pdf không có lớp chữ (có thể là bản scan). Vui lòng tải lên tệp Word (.docx) của bài viết."
    )
    assert error.message("en") == (
        "The PDF scan.pdf has no text (it may be a scan). Please upload the Word file (.docx) of the essay."
    )


def test_pdf_damaged_is_corrupt():
    data = f.make_pdf([[P1]])
    error = _error(data[: len(data) // 3], "hong.pdf")
    assert error.code == "corrupt_file"


def test_pdf_reader_stuck_past_the_cap_is_killed(monkeypatch):
    """pypdf can spend seconds repairing a damaged file with no checkpoint of ours: the PDF
    is read in a forked process that is killed at the cap (here a reader that would sleep
    for a minute is stopped after about a second), with the usual timeout message."""
    import multiprocessing
    import time

    from contest import extract as module

    def stuck(data, name, clock):
        time.sleep(60)

    monkeypatch.setattr(module, "_read_pdf", stuck)
    started = time.monotonic()
    error = _error(f.make_pdf([[P1]]), "treo.pdf", limits=Limits(max_seconds=0.5))
    assert error.code == "timeout"
    assert "quá 0.5 giây" in error.message()
    assert time.monotonic() - started < 20  # not the minute the reader wanted
    assert multiprocessing.active_children() == []


def test_pdf_reader_that_dies_is_a_damaged_file(monkeypatch):
    from contest import extract as module

    def dies(data, name, clock):
        os._exit(3)  # as if the system killed it (out of memory)

    monkeypatch.setattr(module, "_read_pdf", dies)
    assert _error(f.make_pdf([[P1]]), "chet.pdf").code == "corrupt_file"


def test_pdf_in_a_thread_is_read_in_process(monkeypatch):
    """A threaded server must not fork: a PDF read from a thread gives the same text."""
    import threading

    from contest import extract as module

    forks = []
    monkeypatch.setattr(module, "_pdf_child", lambda *a: forks.append(a))
    got = {}
    data = f.make_pdf([[P1, P2]])
    thread = threading.Thread(target=lambda: got.setdefault("r", extract(data, "bai.pdf")))
    thread.start()
    thread.join()
    assert got["r"].paragraphs() == [P1, P2] and forks == []


# ---------------------------------------------------------------- .txt


def _cp1258_bytes(text: str) -> bytes:
    """Windows-1258 keeps ê, ơ, ư ... precomposed and writes the tone as a combining mark."""
    out = []
    for ch in unicodedata.normalize("NFC", text):
        parts = unicodedata.normalize("NFD", ch)
        tones = [c for c in parts if c in "\u0300\u0301\u0303\u0309\u0323"]
        base = unicodedata.normalize("NFC", "".join(c for c in parts if c not in tones))
        out.append(base + "".join(tones))
    return "".join(out).encode("cp1258")


@pytest.mark.parametrize(
    ("encoded", "warnings"),
    [
        ((P1 + "\n\n" + P2).encode("utf-8"), []),
        (b"\xef\xbb\xbf" + (P1 + "\n\n" + P2).encode("utf-8"), []),
        ((P1 + "\n\n" + P2).encode("utf-16"), ["decoded_utf16"]),
        ((P1 + "\n\n" + P2).encode("utf-16-le"), ["decoded_utf16"]),
        ((P1 + "\n\n" + P2).encode("utf-16-be"), ["decoded_utf16"]),
        (_cp1258_bytes(P1 + "\n\n" + P2), ["decoded_cp1258"]),
        (encode_legacy(P1 + "\n\n" + P2, "tcvn3").encode("latin-1"), ["converted_tcvn3"]),
        (encode_legacy(P1 + "\n\n" + P2, "vni").encode("cp1252"), ["converted_vni"]),
    ],
    ids=["utf8", "utf8-bom", "utf16-bom", "utf16le", "utf16be", "cp1258", "tcvn3", "vni"],
)
def test_txt_encodings_give_the_same_text(encoded, warnings):
    result = extract(encoded, "bai.txt")
    assert (result.text, result.warnings) == (P1 + "\n\n" + P2, warnings)


def test_txt_mixed_encoding_decodes_best_effort_with_warning():
    data = (P1 + "\n\n" + P2 + "\n\n").encode("utf-8") + _cp1258_bytes("Việt Nam")
    result = extract(data, "tron.txt")
    assert result.text == P1 + "\n\n" + P2 + "\n\nViệt Nam"
    assert result.warnings == ["mixed_encoding"]


def test_txt_lines_without_blank_lines_are_paragraphs():
    result = extract(f"{P1}\r\n{P2}\r\n".encode(), "bai.txt")
    assert result.paragraphs() == [P1, P2]


def test_txt_decomposed_text_becomes_nfc():
    result = extract(unicodedata.normalize("NFD", P3).encode("utf-8"), "bai.txt")
    assert result.text == P3


def test_txt_soft_hyphens_are_removed():
    assert extract("tư\u00adtưởng".encode(), "bai.txt").text == "tưtưởng"


def test_txt_whitespace_only_is_empty_document():
    assert _error(b" \r\n\t \n ", "trang.txt").code == "empty_document"


# ---------------------------------------------------------------- bad inputs and guards


def test_zero_byte_upload_is_empty_file():
    error = _error(b"", "bai.docx")
    assert (error.code, error.params) == ("empty_file", {"filename": "bai.docx"})
    assert error.message() == "Tệp tải lên rỗng (0 byte). Vui lòng chọn lại tệp bài dự thi."


def test_file_over_size_cap_is_refused():
    error = _error(b"x" * 2049, "bai.txt", Limits(max_bytes=2048))
    assert (error.code, error.params) == (
        "file_too_large",
        {"filename": "bai.txt", "size_mib": "0.0", "limit_mib": "0.00195312"},
    )


def test_renamed_non_zip_docx_is_corrupt():
    error = _error(b"This is plain text renamed to .docx", "bai.docx")
    assert (error.code, error.params) == (
        "corrupt_file",
        {"filename": "bai.docx", "format": "DOCX"},
    )
    assert error.message("en") == (
        "bai.docx is damaged or is not a real DOCX file. Please open it in your editor, save it again and upload it."
    )


def test_legacy_doc_asks_for_docx():
    data = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504 + "WordDocument".encode("utf-16-le")
    error = _error(data, "bai.doc")
    assert error.code == "legacy_doc"
    assert error.message() == (
        "Tệp bai.doc là định dạng Word cũ (.doc). Vui lòng mở bằng Word, chọn Lưu thành .docx rồi tải lên tệp .docx."
    )


def test_password_protected_word_file_is_encrypted_document():
    data = (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504 + "EncryptedPackage".encode("utf-16-le")
    )
    assert _error(data, "bai.docx").code == "encrypted_document"


def test_rtf_asks_for_docx():
    assert _error(rb"{\rtf1\ansi Bai viet}", "bai.doc").code == "rtf"


@pytest.mark.parametrize(
    ("data", "filename"),
    [
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "anh.png"),
        (b"just some bytes", "bai"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "anh.txt"),
        (f.zip_bytes({"xl/workbook.xml": b"<workbook/>"}), "bang.zip"),
    ],
)
def test_unknown_type_is_unsupported(data, filename):
    error = _error(data, filename)
    assert (error.code, error.params) == ("unsupported_format", {"filename": filename})


def test_zip_bomb_is_refused():
    data = f.with_members(f.make_docx([P1]), {"word/media/bomb.bin": b"\x00" * (3 * 1024 * 1024)})
    error = _error(data, "bom.docx")
    assert error.code == "zip_bomb"
    assert error.params["limit"] == "100"
    assert int(error.params["ratio"]) > 100


def test_zip_total_uncompressed_over_cap_is_refused():
    data = f.with_members(f.make_docx([P1]), {"word/media/a.bin": os.urandom(300_000)})
    error = _error(data, "lon.docx", Limits(max_uncompressed=256 * 1024))
    assert error.code == "zip_too_large"


def test_zip_too_many_members_is_refused():
    extra = {f"word/media/{i}.bin": b"x" for i in range(40)}
    error = _error(
        f.with_members(f.make_docx([P1]), extra), "nhieu.docx", Limits(max_zip_members=30)
    )
    assert error.code == "zip_too_many_members"
    assert error.params["limit"] == "30"


@pytest.mark.parametrize(
    "member", ["../../evil.xml", "/etc/evil.xml", "word\\..\\..\\evil.xml", "C:/evil.xml"]
)
def test_zip_unsafe_member_path_is_refused(member):
    error = _error(f.with_members(f.make_docx([P1]), {member: b"<x/>"}), "duongdan.docx")
    assert (error.code, error.params["member"]) == ("zip_unsafe_path", member)


def test_zip_encrypted_member_is_refused():
    data = f.with_encrypted_flag(f.make_docx([P1]), "word/document.xml")
    assert _error(data, "mahoa.docx").code == "zip_encrypted"


def test_external_entity_in_document_is_refused():
    error = _error(f.make_xxe_docx(), "xxe.docx")
    assert (error.code, error.params) == (
        "xml_entity",
        {"filename": "xxe.docx", "member": "word/document.xml"},
    )


def test_doctype_in_any_xml_part_is_refused():
    bomb = b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">]><cp:coreProperties/>'
    error = _error(f.with_members(f.make_docx([P1]), {"docProps/core.xml": bomb}), "lol.docx")
    assert (error.code, error.params["member"]) == ("xml_entity", "docProps/core.xml")


def test_doctype_in_utf16_xml_part_is_refused():
    xml = '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>'
    data = f.with_members(f.make_docx([P1]), {"word/document.xml": xml.encode("utf-16")})
    assert _error(data, "u16.docx").code == "xml_entity"


def test_xxe_in_odt_content_is_refused():
    data = f.make_odt([P1])
    members = f.zip_members(data)
    members["content.xml"] = f.XXE_PROLOGUE.encode() + members["content.xml"].split(b"?>", 1)[1]
    assert _error(f.zip_bytes(members), "xxe.odt").code == "xml_entity"


def test_deeply_nested_docx_is_corrupt_not_a_crash():
    depth = 5000
    nested = "<w:sdt><w:sdtContent>" * depth + "<w:p><w:r><w:t>x</w:t></w:r></w:p>"
    nested += "</w:sdtContent></w:sdt>" * depth
    data = f.with_document_xml(
        f.make_docx([P1]), lambda xml: xml.replace("<w:body>", "<w:body>" + nested, 1)
    )
    error = _error(data, "sau.docx")
    assert (error.code, error.params) == (
        "corrupt_file",
        {"filename": "sau.docx", "format": "DOCX"},
    )


def test_odt_space_repeat_is_capped():
    data = f.make_odt(["a  b"])
    members = f.zip_members(data)
    members["content.xml"] = members["content.xml"].replace(b'text:c="1"', b'text:c="1000000000"')
    assert extract(f.zip_bytes(members), "cach.odt").text == "a " + " " * 100 + "b"


def test_time_cap_raises_timeout():
    error = _error(f.make_docx([P1]), "cham.docx", Limits(max_seconds=-1.0))
    assert (error.code, error.params) == ("timeout", {"filename": "cham.docx", "limit": "-1"})


def test_every_error_message_exists_in_both_languages():
    cases = [
        _error(b"", "a.txt"),
        _error(b"x" * 10, "a.txt", Limits(max_bytes=5)),
        _error(b"abc", "a.png"),
        _error(rb"{\rtf1}", "a.rtf"),
        _error(f.make_xxe_docx(), "a.docx"),
        _error(f.make_scanned_pdf(1), "a.pdf"),
        _error(f.make_docx([P1]), "a.docx", Limits(max_seconds=-1.0)),
    ]
    for error in cases:
        vi, en = error.message(), error.message("en")
        assert vi != en
        assert "{" not in vi + en
        assert "\n" not in vi + en


# ---------------------------------------------------------------- files on disk and the CLI


def test_extract_path_reads_file(tmp_path):
    path = tmp_path / "bai.docx"
    path.write_bytes(f.make_docx([P1, P2]))
    assert extract_path(path).text == P1 + "\n\n" + P2


def test_extract_path_missing_file_is_error(tmp_path):
    with pytest.raises(ExtractionError) as caught:
        extract_path(tmp_path / "khong-co.docx")
    assert caught.value.code == "file_not_found"


def _run_cli(*args: str, lang: str = "vi_VN.UTF-8") -> subprocess.CompletedProcess:
    env = {**os.environ, "LANG": lang, "LANGUAGE": "", "PYTHONIOENCODING": "utf-8"}
    return subprocess.run(
        [sys.executable, "-m", "contest.extract", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
    )


def test_cli_prints_text(tmp_path):
    path = tmp_path / "bai.docx"
    path.write_bytes(f.make_docx([P1, P2], header="Tác giả: Nguyễn Văn An"))
    proc = _run_cli(str(path))
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, P1 + "\n\n" + P2 + "\n", "")


def test_cli_json_shape(tmp_path):
    path = tmp_path / "cu.txt"
    path.write_bytes(encode_legacy(P1, "tcvn3").encode("latin-1"))
    proc = _run_cli(str(path), "--json")
    assert proc.returncode == 0
    payload = json.loads(proc.stdout)
    assert payload == {
        "text": P1,
        "words": 16,
        "format": "txt",
        "metadata": {},
        "warnings": ["converted_tcvn3"],
    }
    assert "Đảng" in proc.stdout  # ensure_ascii=False


def test_cli_bad_file_exits_nonzero_with_one_vietnamese_line(tmp_path):
    path = tmp_path / "bai.doc"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100)
    proc = _run_cli(str(path))
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert proc.stderr == (
        "Tệp bai.doc là định dạng Word cũ (.doc). Vui lòng mở bằng Word, chọn Lưu thành .docx rồi tải lên tệp .docx.\n"
    )


def test_cli_empty_file_in_english_without_traceback(tmp_path):
    path = tmp_path / "empty.txt"
    path.write_bytes(b"")
    proc = _run_cli(str(path), "--json", lang="en_GB.UTF-8")
    assert proc.returncode == 1
    assert (
        proc.stderr == "The uploaded file is empty (0 bytes). Please choose the entry file again.\n"
    )
    assert "Traceback" not in proc.stderr


def test_cli_missing_file_exits_nonzero(tmp_path):
    proc = _run_cli(str(tmp_path / "none.pdf"), lang="en_US.UTF-8")
    assert (proc.returncode, proc.stderr) == (1, f"File not found: {tmp_path / 'none.pdf'}.\n")


def test_zip_member_larger_than_declared_is_corrupt():
    # The guard trusts declared sizes: zipfile stops at the declared size and fails the CRC.
    data = f.with_declared_size(f.make_docx([P1]), "word/document.xml", 100)
    error = _error(data, "doi.docx")
    assert (error.code, error.params) == (
        "corrupt_file",
        {"filename": "doi.docx", "format": "DOCX"},
    )
