"""Contestants submit in the browser: rules, receipt, replace, edit, withdraw, deadline."""

from __future__ import annotations

import io
import random
import re
import socketserver
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from contest.essaygen import essay
from contest.models import AuditEvent, Contest, Entry, EntryFile, EntryStatus
from tests.conftest import csrf_token
from tests.contest.docfactory import make_docx

AUTHOR = {
    "full_name": "Nguyễn Thị Bích Ngọc",
    "birth_date": "1990-05-17",
    "position": "Chuyên viên",
    "unit": "Ban Tuyên giáo Huyện ủy Đông Anh",
    "address": "Số 12 ngõ 5 phố Cao Lỗ, thị trấn Đông Anh",
    "phone": "0912 345 678",
    "email": "ngoc.ntb@example.vn",
    "id_number": "001190012345",
}


def essay_docx(seed: int = 1, syllables: int = 1500, extra: str = "") -> bytes:
    text = essay(random.Random(seed), syllables=syllables)
    paragraphs = [p for p in text.split("\n\n") if p]
    if extra:
        paragraphs.append(extra)
    return make_docx(paragraphs)


@pytest.fixture
def contest(factory):
    return factory.contest(slug="nop-bai", state="open")


@pytest.fixture
def contestant(factory, login):
    u = factory.user(email="thisinh@example.vn", name="Nguyễn Thị Bích Ngọc")
    login(u)
    return u


def _form(
    client,
    contest,
    *,
    doc=None,
    filename="bai-du-thi.docx",
    category=None,
    authors=(AUTHOR,),
    token=None,
    declaration=True,
    **over,
):
    page = client.get(f"/contests/{contest.slug}/submit").get_data(as_text=True)
    token = token or re.search(r'name="form_token" type="hidden" value="([^"]*)"', page).group(1)
    data = {
        "csrf_token": csrf_token(client, f"/contests/{contest.slug}/submit"),
        "form_token": token,
        "title": "Bảo vệ nền tảng tư tưởng của Đảng trong tình hình mới",
        "category": str(category or contest.categories[0].id),
        "pen_name": "Hoa Sen",
        "submit": "1",
        "document": (io.BytesIO(essay_docx() if doc is None else doc), filename),
    }
    if declaration:
        data["declaration"] = "y"
    for i, a in enumerate(authors):
        for k, v in a.items():
            data[f"authors-{i}-{k}"] = v
    data.update(over)
    resp = client.post(
        f"/contests/{contest.slug}/submit", data=data, content_type="multipart/form-data"
    )
    # A large upload is spooled to a temporary file the response keeps: close it now rather
    # than at some later garbage collection (a ResourceWarning, an error in this suite).
    resp.request.environ["wsgi.input"].close()
    return resp


def _submit(client, contest, **kw):
    resp = _form(client, contest, **kw)
    assert resp.status_code == 302, resp.get_data(as_text=True)[:3000]
    receipt = resp.headers["Location"].rsplit("/", 1)[-1]
    r = client.post(
        f"/entries/{receipt}/confirm",
        data={"csrf_token": csrf_token(client, f"/entries/{receipt}")},
    )
    assert r.status_code == 302
    return receipt


def test_submit_shows_word_count_then_receipt(client, contest, contestant, session):
    resp = _form(client, contest)
    assert resp.status_code == 302
    show = client.get(resp.headers["Location"]).get_data(as_text=True)
    entry = session.scalar(select(Entry))
    assert entry.status == EntryStatus.draft
    assert f"{entry.words:,}".replace(",", ".") in show
    first_paragraph = entry.text.split("\n\n")[0]
    assert first_paragraph[:60] in show
    r = client.post(
        f"/entries/{entry.receipt_no}/confirm",
        data={"csrf_token": csrf_token(client, f"/entries/{entry.receipt_no}")},
    )
    receipt = client.get(r.headers["Location"]).get_data(as_text=True)
    session.expire_all()
    entry = session.get(Entry, entry.id)
    assert entry.status == EntryStatus.submitted
    assert entry.receipt_no in receipt and entry.fingerprint in receipt
    assert re.fullmatch(r"BN-[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}", entry.receipt_no)
    assert entry.secret_code is None  # the secret code comes only at release
    actions = [
        e.action
        for e in session.scalars(select(AuditEvent).where(AuditEvent.contest_id == contest.id))
    ]
    assert actions[-2:] == ["entry.create", "entry.submit"]


def test_double_clicked_submit_makes_one_entry(client, contest, contestant, session):
    first = _form(client, contest, token="same-token-123")
    second = _form(client, contest, token="same-token-123")
    assert first.headers["Location"] == second.headers["Location"]
    assert session.query(Entry).count() == 1


def test_identity_is_sealed_in_the_database(app, client, contest, contestant, session):
    """A copy of the database alone reveals no author: every row, as the database returns it."""
    from sqlalchemy import text

    _submit(client, contest)
    secrets_ = (
        "Bích Ngọc",
        "BICH NGOC",
        "Đông Anh",
        "0912 345 678",
        "001190012345",
        "Hoa Sen",
        "bai-du-thi",
        "ngoc.ntb",
        "thisinh@",
    )
    from contest.db import Base

    for table in Base.metadata.sorted_tables:
        for row in session.execute(text(f"SELECT * FROM {table.name}")):
            blob = repr(tuple(row)).encode("utf-8") + b"".join(
                v for v in row if isinstance(v, bytes)
            )
            for secret in secrets_:
                assert secret.encode("utf-8") not in blob, (table.name, secret)
                assert secret.upper().encode("utf-8") not in blob, (table.name, secret)
    if app.config["DATABASE_URL"].startswith("sqlite"):
        with open(app.config["DATABASE_URL"].removeprefix("sqlite:///"), "rb") as fh:
            raw = fh.read()
        for secret in secrets_:
            assert secret.encode("utf-8") not in raw, secret


@pytest.mark.parametrize(
    ("kw", "status", "message"),
    [
        ({"doc": b""}, 400, "Tệp tải lên rỗng"),
        (
            {"doc": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "filename": "bai.doc"},
            400,
            ".docx",
        ),
        ({"doc": b"not a zip at all", "filename": "bai.docx"}, 400, ""),
        ({"doc": None, "declaration": False}, 400, "cam đoan"),
    ],
)
def test_bad_uploads_refused_and_nothing_stored(
    app, client, contest, contestant, session, kw, status, message
):
    resp = _form(client, contest, **kw)
    assert resp.status_code == status
    body = resp.get_data(as_text=True)
    assert "Traceback" not in body
    if message:
        assert message in body
    assert session.query(Entry).count() == 0
    assert session.query(EntryFile).count() == 0


def test_word_limits_enforced(client, contest, contestant, session):
    resp = _form(client, contest, doc=essay_docx(syllables=300))
    assert resp.status_code == 400
    assert "ít hơn mức tối thiểu 1000 chữ" in resp.get_data(as_text=True)
    assert session.query(Entry).count() == 0


def test_file_type_not_allowed_by_contest(client, factory, contestant, session):
    c = factory.contest(slug="chi-pdf", state="open", allowed_file_types=["pdf"])
    resp = _form(client, c)
    assert resp.status_code == 400
    assert "không nhận tệp .docx" in resp.get_data(as_text=True)


def test_too_many_coauthors(client, contest, contestant, session):
    authors = [AUTHOR] + [
        {**AUTHOR, "full_name": f"Đồng Tác Giả {i}", "email": f"dtg{i}@example.vn"}
        for i in range(3)
    ]
    resp = _form(client, contest, authors=authors)
    assert resp.status_code == 400
    assert "3 đồng tác giả; thể lệ cho phép tối đa 2" in resp.get_data(as_text=True)


def test_entries_per_author_and_one_per_category(client, contest, contestant, session):
    _submit(client, contest, doc=essay_docx(seed=1))
    resp = _form(client, contest, doc=essay_docx(seed=2))
    assert resp.status_code == 400
    assert "đã có tác phẩm ở thể loại này" in resp.get_data(as_text=True)
    _submit(client, contest, doc=essay_docx(seed=3), category=contest.categories[1].id)
    assert session.query(Entry).count() == 2


def test_after_deadline_read_only(app, client, contest, contestant, session):
    receipt = _submit(client, contest)
    c = session.get(Contest, contest.id)
    c.opens_at = datetime.now(UTC) - timedelta(days=10)
    c.closes_at = datetime.now(UTC) - timedelta(minutes=1)
    session.commit()
    page = client.get(f"/entries/{receipt}").get_data(as_text=True)
    assert "Đã hết hạn" in page or "không thể" in page
    token = csrf_token(client, f"/entries/{receipt}")
    r = client.post(
        f"/entries/{receipt}/file",
        data={"csrf_token": token, "document": (io.BytesIO(essay_docx(seed=9)), "moi.docx")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert "Đã hết hạn nhận bài" in r.get_data(as_text=True)
    r = client.post(
        f"/entries/{receipt}/withdraw",
        data={"csrf_token": token, "confirm": "y"},
        follow_redirects=True,
    )
    assert "Đã hết hạn nhận bài" in r.get_data(as_text=True)
    session.expire_all()
    entry = session.scalar(select(Entry))
    assert entry.status == EntryStatus.submitted and len(entry.files) == 1
    # and a new upload after the deadline is refused
    other = _form(client, contest, doc=essay_docx(seed=4), category=contest.categories[1].id)
    assert other.status_code == 400
    assert "Đã hết hạn nhận bài" in other.get_data(as_text=True)


def test_replace_file_keeps_every_version(client, contest, contestant, session):
    receipt = _submit(client, contest)
    old = session.scalar(select(Entry)).fingerprint
    r = client.post(
        f"/entries/{receipt}/file",
        data={
            "csrf_token": csrf_token(client, f"/entries/{receipt}"),
            "document": (io.BytesIO(essay_docx(seed=7)), "ban-moi.docx"),
        },
        content_type="multipart/form-data",
    )
    assert r.status_code == 302
    session.expire_all()
    entry = session.scalar(select(Entry))
    assert entry.fingerprint != old
    assert [f.version_no for f in entry.files] == [1, 2]
    assert entry.files[0].sha256 == old


def test_edit_details_and_withdraw(client, contest, contestant, session, app):
    receipt = _submit(client, contest)
    page = client.get(f"/entries/{receipt}/edit").get_data(as_text=True)
    version = re.search(r'name="version" type="hidden" value="(\d+)"', page).group(1)
    data = {
        "csrf_token": csrf_token(client, f"/entries/{receipt}/edit"),
        "title": "Tên mới của bài",
        "category": str(contest.categories[0].id),
        "pen_name": "",
        "version": version,
        "submit": "1",
    }
    for k, v in {**AUTHOR, "unit": "Trường THPT Cổ Loa"}.items():
        data[f"authors-0-{k}"] = v
    assert client.post(f"/entries/{receipt}/edit", data=data).status_code == 302
    session.expire_all()
    entry = session.scalar(select(Entry))
    assert entry.title == "Tên mới của bài"
    assert len(entry.authors) == 2 and len(entry.current_authors) == 1  # the old version is kept
    from contest.entries import author_identities

    assert author_identities(app.extensions["vault"], entry)[0]["unit"] == "Trường THPT Cổ Loa"
    r = client.post(
        f"/entries/{receipt}/withdraw",
        data={"csrf_token": csrf_token(client, f"/entries/{receipt}"), "confirm": "y"},
    )
    assert r.status_code == 302
    session.expire_all()
    assert session.scalar(select(Entry)).status == EntryStatus.withdrawn


def test_other_contestant_cannot_see_entry(client, contest, contestant, factory, app):
    receipt = _submit(client, contest)
    other = app.test_client()
    u = factory.user(email="khac@example.vn")
    other.post(
        "/login", data={"email": u.email, "password": u.password, "csrf_token": csrf_token(other)}
    )
    assert other.get(f"/entries/{receipt}").status_code == 403
    assert other.get(f"/entries/{receipt}/receipt").status_code == 403


def test_judge_of_contest_cannot_submit(client, contest, factory, login):
    judge = factory.user(email="gk@example.vn", roles=[("nop-bai", "judge")])
    login(judge)
    assert client.get("/contests/nop-bai/submit").status_code == 403


class _SMTPHandler(socketserver.StreamRequestHandler):
    def handle(self):
        self.wfile.write(b"220 test\r\n")
        data_mode, lines = False, []
        while True:
            line = self.rfile.readline()
            if not line:
                return
            if data_mode:
                if line in (b".\r\n", b".\n"):
                    data_mode = False
                    self.server.messages.append(b"".join(lines))
                    lines = []
                    self.wfile.write(b"250 ok\r\n")
                else:
                    lines.append(line)
                continue
            cmd = line[:4].upper()
            if cmd == b"DATA":
                data_mode = True
                self.wfile.write(b"354 go\r\n")
            elif cmd == b"QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            elif cmd == b"EHLO":
                self.wfile.write(b"250 test\r\n")
            else:
                self.wfile.write(b"250 ok\r\n")


def test_receipt_is_emailed_when_smtp_configured(app, client, contest, contestant):
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _SMTPHandler)
    server.messages = []
    t = threading.Thread(target=server.serve_forever, daemon=True)
    t.start()
    try:
        app.config["SMTP_HOST"] = "127.0.0.1"
        app.config["SMTP_PORT"] = server.server_address[1]
        receipt = _submit(client, contest)
    finally:
        server.shutdown()
        server.server_close()
    assert len(server.messages) == 1
    from email import message_from_bytes, policy

    msg = message_from_bytes(server.messages[0], policy=policy.default)
    assert msg["To"] == "thisinh@example.vn"
    assert receipt in msg["Subject"]
    assert receipt in msg.get_content()


def test_without_smtp_nothing_fails(client, contest, contestant, session):
    _submit(client, contest)
    assert session.scalar(select(Entry)).status == EntryStatus.submitted


def test_submitted_copy_is_screened_at_once(client, contest, contestant, factory, session):
    """A new entry is checked against the whole contest when it is submitted."""
    from contest.models import SimilarityReport

    original = essay(random.Random(42), syllables=1500)
    factory.entry(contest, text=original, category=1)
    paragraphs = [p for p in original.split("\n\n") if p]
    _submit(client, contest, doc=make_docx(paragraphs))
    entry = session.scalars(select(Entry).where(Entry.owner_id == contestant.id)).one()
    report = session.scalar(select(SimilarityReport).where(SimilarityReport.entry_id == entry.id))
    assert report is not None and report.overlap > 0.9 and report.flagged


def test_radio_entry_needs_its_audio_file_and_checks_the_script(client, factory, login, session):
    """Audio/video categories take an mp3/mp4 with the script as a document; the script is
    what gets checked."""
    c = factory.contest(slug="phat-thanh", state="open", preset="national")
    u = factory.user(email="pv@example.vn")
    login(u)
    radio = next(cat for cat in c.categories if cat.code == "phat-thanh")
    script = essay_docx(seed=11, syllables=400)  # a script is not held to the essay length
    resp = _form(client, c, doc=script, category=radio.id)
    assert resp.status_code == 400
    assert "cần tệp .mp3 hoặc .mp4" in resp.get_data(as_text=True)
    bad = _form(
        client, c, doc=script, category=radio.id, media=(io.BytesIO(b"not audio at all"), "bai.mp3")
    )
    assert "phải là .mp3 hoặc .mp4" in bad.get_data(as_text=True)
    mp3 = b"ID3\x03\x00\x00\x00\x00\x00\x21" + b"\x00" * 2048
    ok = _form(client, c, doc=script, category=radio.id, media=(io.BytesIO(mp3), "phong-su.mp3"))
    assert ok.status_code == 302, ok.get_data(as_text=True)[:1500]
    entry = session.scalar(select(Entry))
    assert [f.role for f in entry.files] == ["document", "media"]
    assert entry.files[1].file_format == "mp3" and entry.words > 300


def test_file_over_the_contest_size_cap_is_refused(client, factory, login, session):
    c = factory.contest(slug="gioi-han", state="open", max_file_mb=1)
    u = factory.user(email="lon@example.vn")
    login(u)
    text = ("Bảo vệ nền tảng tư tưởng của Đảng. " * 40000).encode()  # about 1.5 MB
    resp = _form(client, c, doc=text, filename="bai.txt")
    assert resp.status_code == 400
    assert "Tệp quá lớn" in resp.get_data(as_text=True) and "tối đa 1 MiB" in resp.get_data(
        as_text=True
    )
    assert session.query(Entry).count() == 0


def test_upload_in_time_can_be_confirmed_shortly_after_the_deadline(
    client, contest, contestant, session
):
    resp = _form(client, contest)
    receipt = resp.headers["Location"].rsplit("/", 1)[-1]
    c = session.get(Contest, contest.id)
    c.closes_at = datetime.now(UTC) - timedelta(minutes=1)
    session.commit()
    # the upload arrived five minutes before the deadline
    session.execute(
        Entry.__table__.update().values(created_at=datetime.now(UTC) - timedelta(minutes=6))
    )
    session.commit()
    r = client.post(
        f"/entries/{receipt}/confirm",
        data={"csrf_token": csrf_token(client, f"/entries/{receipt}")},
    )
    assert r.status_code == 302
    session.expire_all()
    entry = session.scalar(select(Entry))
    assert entry.status == EntryStatus.submitted
    # but not a day later
    c = session.get(Contest, contest.id)
    entry.status = EntryStatus.draft
    c.closes_at = datetime.now(UTC) - timedelta(days=1)
    c.opens_at = datetime.now(UTC) - timedelta(days=20)
    session.commit()
    session.execute(
        Entry.__table__.update().values(created_at=datetime.now(UTC) - timedelta(days=2))
    )
    session.commit()
    r = client.post(
        f"/entries/{receipt}/confirm",
        data={"csrf_token": csrf_token(client, f"/entries/{receipt}")},
        follow_redirects=True,
    )
    assert "Đã hết hạn nhận bài" in r.get_data(as_text=True)
    session.expire_all()
    assert session.scalar(select(Entry)).status == EntryStatus.draft


def test_upload_in_time_may_be_confirmed_within_the_grace_only(app, factory, session):
    """A draft uploaded before the deadline counts as arrived in time: its confirmation is
    accepted for CONFIRM_GRACE after the deadline, not later; a draft made with the deadline
    checked at 22:59:59.99 is stamped with that instant, whenever its row is written."""
    from contest import entries
    from contest.models import Category, User
    from contest.problems import ProblemError
    from contest.storage import FileStore

    c = factory.contest(slug="an-han", state="open")
    users = {e: factory.user(email=e) for e in ("kip@example.vn", "cham@example.vn")}
    closes = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=1)
    row = session.get(Contest, c.id)
    row.closes_at = closes
    session.commit()

    def upload(seed: int, email: str, category_index: int):
        return entries.create_entry(
            session,
            vault=app.extensions["vault"],
            store=FileStore(app.config["UPLOAD_DIR"]),
            contest=session.get(Contest, c.id),
            category=session.get(Category, c.categories[category_index].id),
            owner=session.get(User, users[email].id),
            title="Bài viết",
            pen_name="",
            authors=[entries.AuthorInput(full_name=f"Tác Giả {seed}", email=email)],
            document=entries.Upload(essay_docx(seed=seed), "bai.docx"),
            now=closes - timedelta(milliseconds=10),
        )

    in_time = upload(21, "kip@example.vn", 0)
    assert in_time.created_at == closes - timedelta(milliseconds=10)
    too_slow = upload(22, "cham@example.vn", 1)
    session.flush()
    entries.confirm_entry(
        session, entry=in_time, actor=in_time.owner, now=closes + timedelta(minutes=5)
    )
    assert in_time.status == EntryStatus.submitted
    with pytest.raises(ProblemError) as refused:
        entries.confirm_entry(
            session,
            entry=too_slow,
            actor=too_slow.owner,
            now=closes + entries.CONFIRM_GRACE + timedelta(seconds=1),
        )
    assert "Đã hết hạn nhận bài" in " ".join(refused.value.messages("vi"))
    assert too_slow.status == EntryStatus.draft
