"""Build test documents in memory: .docx, .odt, .pdf with a text layer, and hostile zips.

Word files start from python-docx and get raw zip edits for what it cannot write
(footnotes, tracked changes). ODT files and PDFs are written by hand, so each test states
exactly what the file holds.
"""

from __future__ import annotations

import io
import zipfile
from xml.sax.saxutils import escape

import docx
from docx.shared import Pt

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
FOOTNOTES_TYPE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/footnotes"
FOOTNOTES_CT = "application/vnd.openxmlformats-officedocument.wordprocessingml.footnotes+xml"


# ---------------------------------------------------------------- zip helpers


def zip_bytes(members: dict[str, bytes], *, stored: tuple[str, ...] = ()) -> bytes:
    """A zip holding ``members`` (deflated, except the names in ``stored``)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, content in members.items():
            method = zipfile.ZIP_STORED if name in stored else zipfile.ZIP_DEFLATED
            zf.writestr(
                zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0)),
                content,
                compress_type=method,
            )
    return buf.getvalue()


def zip_members(data: bytes) -> dict[str, bytes]:
    """Every member of a zip, by name, in order."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {info.filename: zf.read(info) for info in zf.infolist()}


def with_members(data: bytes, extra: dict[str, bytes]) -> bytes:
    """Rewrite a zip with ``extra`` members replaced or added, names given verbatim."""
    members = zip_members(data)
    members.update(extra)
    return zip_bytes(members)


def with_encrypted_flag(data: bytes, member: str) -> bytes:
    """Set the "encrypted" flag bit on one member in both its local and central headers."""
    raw = bytearray(data)
    name = member.encode()
    for signature, flag_offset, name_offset in ((b"PK\x03\x04", 6, 30), (b"PK\x01\x02", 8, 46)):
        pos = raw.find(signature)
        while pos != -1:
            if raw[pos + name_offset : pos + name_offset + len(name)] == name:
                raw[pos + flag_offset] |= 0x1
            pos = raw.find(signature, pos + 4)
    return bytes(raw)


def with_declared_size(data: bytes, member: str, size: int) -> bytes:
    """Make the central directory under-declare one member's uncompressed size."""
    raw = bytearray(data)
    name = member.encode()
    pos = raw.find(b"PK\x01\x02")
    while pos != -1:
        if raw[pos + 46 : pos + 46 + len(name)] == name:
            raw[pos + 24 : pos + 28] = size.to_bytes(4, "little")
        pos = raw.find(b"PK\x01\x02", pos + 4)
    return bytes(raw)


# ---------------------------------------------------------------- .docx


def make_docx(
    paragraphs: list[str],
    *,
    table: list[list[str]] | None = None,
    table_after: int = 0,
    header: str | None = None,
    footer: str | None = None,
    comment: tuple[str, str] | None = None,
    core: dict[str, str] | None = None,
    fonts: dict[int, str] | None = None,
    normal_font: str | None = None,
) -> bytes:
    """A .docx with ``paragraphs``; a table after paragraph ``table_after`` (1-based; 0 = first).

    ``comment`` is (text, author) attached to the first paragraph; ``fonts`` maps paragraph
    indexes to a run font name (".VnTime", "VNI-Times" ...); ``normal_font`` sets the Normal
    style's font and lists it in fontTable.xml as Word does; ``core`` sets core properties.
    """
    document = docx.Document()
    if normal_font is not None:
        document.styles["Normal"].font.name = normal_font
    added = []
    if table is not None and table_after == 0:
        _add_table(document, table)
    for index, text in enumerate(paragraphs):
        paragraph = document.add_paragraph()
        run = paragraph.add_run(text)
        if fonts and index in fonts:
            run.font.name = fonts[index]
            run.font.size = Pt(13)
        added.append(paragraph)
        if table is not None and table_after == index + 1:
            _add_table(document, table)
    section = document.sections[0]
    if header is not None:
        section.header.paragraphs[0].text = header
    if footer is not None:
        section.footer.paragraphs[0].text = footer
    if comment is not None:
        document.add_comment(added[0].runs, text=comment[0], author=comment[1], initials="NV")
    props = document.core_properties
    props.author = ""
    props.last_modified_by = ""
    props.title = ""
    props.comments = ""
    props.keywords = ""
    for key, value in (core or {}).items():
        setattr(props, key, value)
    buf = io.BytesIO()
    document.save(buf)
    if normal_font is None:
        return buf.getvalue()
    table = zip_members(buf.getvalue())["word/fontTable.xml"].decode("utf-8")
    table = table.replace("</w:fonts>", f'<w:font w:name="{escape(normal_font)}"/></w:fonts>')
    return with_members(buf.getvalue(), {"word/fontTable.xml": table.encode("utf-8")})


def _add_table(document, rows: list[list[str]]) -> None:
    table = document.add_table(rows=len(rows), cols=len(rows[0]))
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            table.cell(r, c).text = text


def _document_xml(data: bytes) -> str:
    return zip_members(data)["word/document.xml"].decode("utf-8")


def add_footnote(data: bytes, anchor: str, note: str) -> bytes:
    """Add a footnote reference after the run holding ``anchor`` and the note's text."""
    xml = _document_xml(data)
    marker = f"<w:t>{escape(anchor)}</w:t></w:r>"
    assert marker in xml, "anchor text must be a whole run"
    reference = '<w:r><w:rPr><w:rStyle w:val="FootnoteReference"/></w:rPr><w:footnoteReference w:id="1"/></w:r>'
    xml = xml.replace(marker, marker + reference, 1)
    footnotes = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:footnotes xmlns:w="{W_NS}">'
        '<w:footnote w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r></w:p></w:footnote>'
        '<w:footnote w:type="continuationSeparator" w:id="0"><w:p><w:r><w:continuationSeparator/></w:r></w:p></w:footnote>'
        f'<w:footnote w:id="1"><w:p><w:r><w:footnoteRef/></w:r><w:r><w:t xml:space="preserve"> {escape(note)}</w:t></w:r></w:p></w:footnote>'
        "</w:footnotes>"
    )
    members = zip_members(data)
    rels = members["word/_rels/document.xml.rels"].decode("utf-8")
    rels = rels.replace(
        "</Relationships>",
        f'<Relationship Id="rIdFoot1" Type="{FOOTNOTES_TYPE}" Target="footnotes.xml"/></Relationships>',
    )
    types = members["[Content_Types].xml"].decode("utf-8")
    types = types.replace(
        "</Types>",
        f'<Override PartName="/word/footnotes.xml" ContentType="{FOOTNOTES_CT}"/></Types>',
    )
    return with_members(
        data,
        {
            "word/document.xml": xml.encode("utf-8"),
            "word/footnotes.xml": footnotes.encode("utf-8"),
            "word/_rels/document.xml.rels": rels.encode("utf-8"),
            "[Content_Types].xml": types.encode("utf-8"),
        },
    )


def add_tracked_changes(
    data: bytes, anchor: str, inserted: str, deleted: str, author: str
) -> bytes:
    """After the run holding ``anchor``, add a tracked insertion and a tracked deletion."""
    xml = _document_xml(data)
    marker = f"<w:t>{escape(anchor)}</w:t></w:r>"
    assert marker in xml, "anchor text must be a whole run"
    change = (
        f'<w:ins w:id="91" w:author="{escape(author)}" w:date="2024-05-01T10:00:00Z">'
        f'<w:r><w:t xml:space="preserve">{escape(inserted)}</w:t></w:r></w:ins>'
        f'<w:del w:id="92" w:author="{escape(author)}" w:date="2024-05-01T10:01:00Z">'
        f'<w:r><w:delText xml:space="preserve">{escape(deleted)}</w:delText></w:r></w:del>'
    )
    return with_members(
        data, {"word/document.xml": xml.replace(marker, marker + change, 1).encode("utf-8")}
    )


def with_document_xml(data: bytes, transform) -> bytes:
    """Rewrite word/document.xml through ``transform(str) -> str``."""
    return with_members(data, {"word/document.xml": transform(_document_xml(data)).encode("utf-8")})


XXE_PROLOGUE = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<!DOCTYPE w:document [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'


def make_xxe_docx() -> bytes:
    """A .docx whose document.xml declares an external entity and uses it in the text."""
    data = make_docx(["Đoạn mở đầu."])

    def inject(xml: str) -> str:
        body = xml.split("?>", 1)[1].lstrip()
        return XXE_PROLOGUE + body.replace("Đoạn mở đầu.", "Đoạn mở đầu &xxe;")

    return with_document_xml(data, inject)


# ---------------------------------------------------------------- .odt

_ODT_NS = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" '
    'xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0" '
    'xmlns:dc="http://purl.org/dc/elements/1.1/" office:version="1.3"'
)


def make_odt(
    paragraphs: list[str],
    *,
    table: list[list[str]] | None = None,
    note: str | None = None,
    header: str | None = None,
    annotation: tuple[str, str] | None = None,
    meta: dict[str, str] | None = None,
) -> bytes:
    """An .odt: a heading-free text with ``paragraphs``, a table after the first paragraph,
    a footnote on the first paragraph, a page header and an annotation (text, creator)."""
    body = []
    for index, text in enumerate(paragraphs):
        inner = escape(text).replace("  ", ' <text:s text:c="1"/>')
        if index == 0 and note is not None:
            inner += (
                '<text:note text:id="ftn1" text:note-class="footnote"><text:note-citation>1</text:note-citation>'
                f"<text:note-body><text:p>{escape(note)}</text:p></text:note-body></text:note>"
            )
        if index == 0 and annotation is not None:
            inner += (
                f"<office:annotation><dc:creator>{escape(annotation[1])}</dc:creator>"
                f"<text:p>{escape(annotation[0])}</text:p></office:annotation>"
            )
        body.append(f"<text:p>{inner}</text:p>")
        if index == 0 and table is not None:
            rows = "".join(
                "<table:table-row>"
                + "".join(
                    f"<table:table-cell><text:p>{escape(c)}</text:p></table:table-cell>"
                    for c in row
                )
                + "</table:table-row>"
                for row in table
            )
            body.append(f'<table:table table:name="T1"><table:table-column/>{rows}</table:table>')
    content = (
        f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {_ODT_NS}>'
        f"<office:body><office:text>{''.join(body)}</office:text></office:body></office:document-content>"
    )
    header_xml = f"<style:header><text:p>{escape(header)}</text:p></style:header>" if header else ""
    styles = (
        f'<?xml version="1.0" encoding="UTF-8"?><office:document-styles {_ODT_NS}><office:master-styles>'
        f'<style:master-page style:name="Standard">{header_xml}</style:master-page>'
        "</office:master-styles></office:document-styles>"
    )
    meta_items = "".join(f"<{k}>{escape(v)}</{k}>" for k, v in (meta or {}).items())
    meta_xml = f'<?xml version="1.0" encoding="UTF-8"?><office:document-meta {_ODT_NS}><office:meta>{meta_items}</office:meta></office:document-meta>'
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0">'
        '<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.text"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>"
    )
    return zip_bytes(
        {
            "mimetype": b"application/vnd.oasis.opendocument.text",
            "META-INF/manifest.xml": manifest.encode(),
            "content.xml": content.encode("utf-8"),
            "styles.xml": styles.encode("utf-8"),
            "meta.xml": meta_xml.encode("utf-8"),
        },
        stored=("mimetype",),
    )


# ---------------------------------------------------------------- .pdf


def make_pdf(
    pages: list[list[str]], *, info: dict[str, str] | None = None, paint: str = ""
) -> bytes:
    """A PDF whose pages show ``pages`` (lists of lines) in a Type0 font with a ToUnicode map.

    Each distinct character gets a two-byte code; the ToUnicode CMap maps codes back to
    Unicode, which is all a text extractor needs (no glyphs are embedded).
    """
    chars = sorted({ch for page in pages for line in page for ch in line})
    code = {ch: i + 1 for i, ch in enumerate(chars)}
    bfchar = []
    for start in range(0, len(chars), 100):
        chunk = chars[start : start + 100]
        entries = "\n".join(f"<{code[ch]:04X}> <{ord(ch):04X}>" for ch in chunk)
        bfchar.append(f"{len(chunk)} beginbfchar\n{entries}\nendbfchar")
    cmap = (
        "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
        "/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
        "1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n"
        + "\n".join(bfchar)
        + "\nendcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n"
    ).encode("ascii")

    objects: list[bytes] = []  # object n is objects[n - 1]

    def add(body: bytes) -> int:
        objects.append(body)
        return len(objects)

    def stream(content: bytes, extra: str = "") -> bytes:
        return f"<< /Length {len(content)}{extra} >>\nstream\n".encode() + content + b"\nendstream"

    catalog = add(b"")  # filled in below
    pages_obj = add(b"")
    tounicode = add(stream(cmap))
    descriptor = add(
        b"<< /Type /FontDescriptor /FontName /TestSans /Flags 32 /FontBBox [0 -200 1000 900] "
        b"/ItalicAngle 0 /Ascent 900 /Descent -200 /CapHeight 700 /StemV 80 >>"
    )
    cidfont = add(
        f"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /TestSans "
        f"/CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> "
        f"/FontDescriptor {descriptor} 0 R /DW 500 >>".encode()
    )
    font = add(
        f"<< /Type /Font /Subtype /Type0 /BaseFont /TestSans /Encoding /Identity-H "
        f"/DescendantFonts [{cidfont} 0 R] /ToUnicode {tounicode} 0 R >>".encode()
    )
    page_ids = []
    for lines in pages:
        ops = (
            [paint, "BT", "/F1 11 Tf", "14 TL", "50 800 Td"]
            if paint
            else ["BT", "/F1 11 Tf", "14 TL", "50 800 Td"]
        )
        for line in lines:
            hexcodes = "".join(f"{code[ch]:04X}" for ch in line)
            ops.append(f"<{hexcodes}> Tj T*")
        ops.append("ET")
        content = add(stream("\n".join(ops).encode("ascii")))
        page_ids.append(
            add(
                f"<< /Type /Page /Parent {pages_obj} 0 R /MediaBox [0 0 595 842] "
                f"/Resources << /Font << /F1 {font} 0 R >> >> /Contents {content} 0 R >>".encode()
            )
        )
    kids = " ".join(f"{p} 0 R" for p in page_ids)
    objects[pages_obj - 1] = f"<< /Type /Pages /Kids [{kids}] /Count {len(page_ids)} >>".encode()
    objects[catalog - 1] = f"<< /Type /Catalog /Pages {pages_obj} 0 R >>".encode()
    info_id = None
    if info:
        fields = " ".join(
            f"/{k} <FEFF{v.encode('utf-16-be').hex().upper()}>" for k, v in info.items()
        )
        info_id = add(f"<< {fields} >>".encode())

    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    trailer = f"<< /Size {len(objects) + 1} /Root {catalog} 0 R"
    if info_id:
        trailer += f" /Info {info_id} 0 R"
    out += f"trailer\n{trailer} >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def make_encrypted_pdf(lines: list[str], password: str = "bí-mật") -> bytes:
    """A text PDF encrypted with AES-128; it needs ``password`` to open unless it is ""."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for page in PdfReader(io.BytesIO(make_pdf([lines]))).pages:
        writer.add_page(page)
    writer.encrypt(user_password=password, owner_password="chủ-sở-hữu", algorithm="AES-128")
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def make_scanned_pdf(pages: int = 2) -> bytes:
    """A PDF whose pages only paint a grey rectangle: what a scan without OCR looks like."""
    return make_pdf([[] for _ in range(pages)], paint="0.5 g 50 50 495 742 re f")
