"""The secretariat: bulk import (web and CLI), release with secret codes, redaction review,
identity reads in the audit log, disqualification."""

from __future__ import annotations

import hashlib
import io
import re

import pytest
from sqlalchemy import select

from contest.models import AuditEvent, Entry, EntryStatus, ImportBatch, Redaction
from tests.conftest import csrf_token
from tests.contest.batchfactory import make_batch, manifest, zip_of


@pytest.fixture
def contest(factory):
    return factory.contest(slug="van-phong", state="open")


@pytest.fixture
def secretary(factory, login, contest):
    u = factory.user(email="thuky@example.vn", roles=[("van-phong", "secretary")])
    login(u)
    return u


def _upload(client, zip_bytes, manifest_bytes=None):
    data = {
        "csrf_token": csrf_token(client, "/manage/van-phong/import"),
        "batch": (io.BytesIO(zip_bytes), "lo-1.zip"),
    }
    if manifest_bytes is not None:
        data["manifest"] = (io.BytesIO(manifest_bytes), "danh-sach.xlsx")
    return client.post("/manage/van-phong/import", data=data, content_type="multipart/form-data")


def test_template_download_has_vietnamese_headers(client, secretary):
    from openpyxl import load_workbook

    resp = client.get("/manage/van-phong/import/template.xlsx")
    assert resp.status_code == 200
    wb = load_workbook(io.BytesIO(resp.data))
    headers = [c.value for c in next(wb.worksheets[0].iter_rows(max_row=1))]
    assert headers[:5] == ["STT", "Tên tệp", "Tệp âm thanh/video", "Tên tác phẩm", "Thể loại"]


def test_dry_run_then_import_all_or_nothing_and_not_twice(client, secretary, session):
    zip_bytes, rows = make_batch(3)
    resp = _upload(client, zip_bytes)
    body = resp.get_data(as_text=True)
    assert resp.status_code == 200, body[:2000]
    assert "3 tác phẩm sẽ được tạo" in body or "sẽ tạo" in body
    assert session.query(Entry).count() == 0  # a dry run writes nothing
    key = re.search(r'name="key" value="([0-9a-f]{64})"', body).group(1)
    resp = client.post(
        "/manage/van-phong/import/confirm",
        data={"csrf_token": csrf_token(client, "/manage/van-phong/import"), "key": key},
    )
    assert resp.status_code == 302
    entries = session.scalars(select(Entry).order_by(Entry.id)).all()
    assert [e.title for e in entries] == [
        "Tác phẩm nhập số 1",
        "Tác phẩm nhập số 2",
        "Tác phẩm nhập số 3",
    ]
    assert all(e.status == EntryStatus.submitted and e.source == "import" for e in entries)
    assert session.query(ImportBatch).count() == 1
    # the same batch again: refused, nothing created twice
    again = _upload(client, zip_bytes)
    text = again.get_data(as_text=True)
    assert again.status_code == 422
    assert "đã được nhập" in text
    assert session.query(Entry).count() == 3


def test_import_with_a_bad_row_creates_nothing(client, secretary, session):
    zip_bytes, rows = make_batch(2)
    rows[1]["category"] = "Thể loại không có"
    rows[0]["birth"] = "31/02/1990"
    import zipfile

    files = {
        n: zipfile.ZipFile(io.BytesIO(zip_bytes)).read(n)
        for n in zipfile.ZipFile(io.BytesIO(zip_bytes)).namelist()
        if n.endswith(".txt")
    }
    files["danh-sach.xlsx"] = manifest(rows)
    resp = _upload(client, zip_of(files))
    body = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert "Thể loại không có" in body
    assert 'name="key"' not in body  # no import button
    assert session.query(Entry).count() == 0


def test_import_refuses_zip_with_parent_paths(client, secretary, session):
    zip_bytes, rows = make_batch(1)
    evil = zip_of({"../../x.txt": b"boom", "danh-sach.xlsx": manifest(rows)})
    resp = _upload(client, evil)
    assert resp.status_code == 422
    assert session.query(Entry).count() == 0


def test_cli_import_dry_run_then_real(app, runner, contest, session, tmp_path):
    zip_bytes, _rows = make_batch(2, seed=5)
    path = tmp_path / "lo.zip"
    path.write_bytes(zip_bytes)
    dry = runner.invoke(
        args=["entries", "import", str(path), "--contest", "van-phong", "--dry-run"]
    )
    assert dry.exit_code == 0, dry.output
    assert "Sẽ tạo 2, lỗi 0, trùng 0." in dry.output
    assert session.query(Entry).count() == 0
    real = runner.invoke(args=["entries", "import", str(path), "--contest", "van-phong"])
    assert real.exit_code == 0, real.output
    assert "Đã nhập 2 bài." in real.output
    assert session.query(Entry).count() == 2
    again = runner.invoke(args=["entries", "import", str(path), "--contest", "van-phong"])
    assert again.exit_code == 1
    assert session.query(Entry).count() == 2


def test_release_gives_unique_codes_and_redacts_identity(
    app, client, secretary, factory, contest, session
):
    from contest.entries import AuthorInput

    author = AuthorInput(
        full_name="Trần Văn Dũng",
        unit="Công an huyện Gia Lâm",
        phone="0987654321",
        email="dung.tv@example.vn",
    )
    text = (
        "Bài viết của tôi, Trần Văn Dũng, cán bộ Công an huyện Gia Lâm, điện thoại 0987654321.\n\n"
        + " ".join(["Bảo vệ nền tảng tư tưởng của Đảng là nhiệm vụ quan trọng."] * 120)
    )
    e1 = factory.entry(contest, text=text, authors=[author])
    factory.entry(contest)
    resp = client.post(
        "/manage/van-phong/release", data={"csrf_token": csrf_token(client, "/manage/van-phong/")}
    )
    assert resp.status_code == 302
    entries = session.scalars(select(Entry).order_by(Entry.id)).all()
    codes = [e.secret_code for e in entries]
    assert all(re.fullmatch(r"CL-[2-9A-HJ-NP-Z]{4,}", c) for c in codes) and len(set(codes)) == 2
    first = session.get(Entry, e1.id)
    for secret in ("Trần Văn Dũng", "Gia Lâm", "0987654321"):
        assert secret not in first.redacted_text
    assert "Bảo vệ nền tảng tư tưởng" in first.redacted_text
    assert first.author_signals  # the work shows author details: flagged for screening
    ev = session.scalar(select(AuditEvent).where(AuditEvent.action == "entries.release"))
    assert ev.after == {"count": 2}


def test_redaction_review_add_and_remove(client, secretary, factory, contest, session):
    text = "Ở làng Cổ Loa có một câu chuyện.\n\n" + " ".join(["Nền tảng tư tưởng vững chắc."] * 200)
    e = factory.entry(contest, text=text)
    client.post(
        "/manage/van-phong/release", data={"csrf_token": csrf_token(client, "/manage/van-phong/")}
    )
    page = f"/manage/van-phong/entries/{e.id}/redactions"
    resp = client.post(
        page,
        data={
            "csrf_token": csrf_token(client, page),
            "action": "add",
            "phrase": "làng Cổ Loa",
            "kind": "address",
        },
    )
    assert resp.status_code == 302
    entry = session.get(Entry, e.id)
    assert "Cổ Loa" not in entry.redacted_text
    r = session.scalar(
        select(Redaction).where(Redaction.entry_id == e.id, Redaction.source == "manual")
    )
    resp = client.post(
        page,
        data={
            "csrf_token": csrf_token(client, page),
            "action": "remove",
            "redaction_id": str(r.id),
        },
    )
    session.expire_all()
    assert "Cổ Loa" in session.get(Entry, e.id).redacted_text
    client.post(page, data={"csrf_token": csrf_token(client, page), "action": "reviewed"})
    session.expire_all()
    assert session.get(Entry, e.id).redactions_reviewed
    actions = [
        a.action
        for a in session.scalars(select(AuditEvent).where(AuditEvent.object_id == str(e.id)))
    ]
    assert actions[-3:] == ["redaction.add", "redaction.remove", "redaction.reviewed"]


def test_identity_read_is_audited(client, secretary, factory, contest, session):
    e = factory.entry(contest)
    name = e.authors_input[0].full_name
    page = client.get(f"/manage/van-phong/entries/{e.id}").get_data(as_text=True)
    assert name not in page  # not shown until asked
    page = client.get(f"/manage/van-phong/entries/{e.id}?identity=1").get_data(as_text=True)
    assert name in page
    ev = session.scalar(select(AuditEvent).where(AuditEvent.action == "identity.read"))
    assert ev.object_id == str(e.id) and ev.after == {"purpose": "secretariat.view"}


def test_disqualify_needs_reason(client, secretary, factory, contest, session):
    e = factory.entry(contest)
    url = f"/manage/van-phong/entries/{e.id}/disqualify"
    token = csrf_token(client, f"/manage/van-phong/entries/{e.id}")
    r = client.post(url, data={"csrf_token": token, "reason": "  "}, follow_redirects=True)
    assert "Hãy ghi lý do" in r.get_data(as_text=True)
    client.post(url, data={"csrf_token": token, "reason": "Ghi tên tác giả trong bài"})
    session.expire_all()
    entry = session.get(Entry, e.id)
    assert (
        entry.status == EntryStatus.disqualified
        and entry.disqualified_reason == "Ghi tên tác giả trong bài"
    )


def test_judge_cannot_open_the_back_office(client, factory, contest, login):
    judge = factory.user(email="gk@example.vn", roles=[("van-phong", "judge")])
    login(judge)
    assert client.get("/manage/van-phong/").status_code == 403
    assert client.get("/manage/van-phong/entries").status_code == 403


def test_confirm_posted_for_a_bad_batch_creates_nothing(client, secretary, session):
    """The confirm step checks again: a batch with a too-short essay cannot be forced in."""
    zip_bytes, rows = make_batch(2, syllables=1200)
    short = make_batch(1, seed=9, syllables=200)[0]
    import zipfile

    files = {
        n: zipfile.ZipFile(io.BytesIO(zip_bytes)).read(n)
        for n in zipfile.ZipFile(io.BytesIO(zip_bytes)).namelist()
        if n.endswith(".txt")
    }
    files["bai-0002.txt"] = zipfile.ZipFile(io.BytesIO(short)).read("bai-0001.txt")
    files["danh-sach.xlsx"] = manifest(rows)
    batch = zip_of(files)  # once: a zip carries timestamps, so a second one may differ
    resp = _upload(client, batch)
    assert resp.status_code == 422
    key = hashlib.sha256(batch).hexdigest()
    r = client.post(
        "/manage/van-phong/import/confirm",
        data={"csrf_token": csrf_token(client, "/manage/van-phong/import"), "key": key},
        follow_redirects=True,
    )
    assert "ít hơn mức tối thiểu" in r.get_data(as_text=True)
    assert session.query(Entry).count() == 0
