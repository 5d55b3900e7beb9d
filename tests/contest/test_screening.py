"""Similarity screening in the platform: reference texts, scans, one-entry checks, the review
page and decisions, permissions and CSRF."""

from __future__ import annotations

import io
import random

import pytest
from sqlalchemy import select

from contest import screening
from contest.essaygen import essay
from contest.models import (
    AuditEvent,
    Entry,
    EntryStatus,
    Job,
    ReferenceText,
    SimilarityMatch,
    SimilarityReport,
)
from contest.similarity import Config, fingerprint
from tests.conftest import csrf_token

BASE = "/manage/loc-trung/similarity"


def syllables(text: str) -> int:
    return fingerprint(text, Config()).words


def own(seed: int, n: int = 1200) -> str:
    return essay(random.Random(seed), syllables=n)


@pytest.fixture
def contest(factory):
    return factory.contest(slug="loc-trung", state="open")


@pytest.fixture
def secretary(factory, contest):
    return factory.user(email="thuky@example.vn", roles=[("loc-trung", "secretary")])


@pytest.fixture
def corpus(factory, contest, session):
    """A source essay, an entry copying three of its paragraphs, a reference, an entry that
    quotes the reference in quotation marks, and an unrelated entry."""
    source = own(1, 1300)
    paras = source.split("\n\n")
    pasted = "\n\n".join(paras[:3])
    copier_text = own(2, 1100) + "\n\n" + pasted
    reference = own(9, 1500)
    quote = " ".join(reference.split("\n\n")[0].split()[:150])
    quoter_text = own(3, 1200) + "\n\nNhư bài báo đã viết: “" + quote + "”."
    session.add(
        ReferenceText(
            contest_id=contest.id, name="Bài gốc", text=reference, words=syllables(reference)
        )
    )
    session.commit()
    a = factory.entry(contest, text=source)
    b = factory.entry(contest, text=copier_text)
    c = factory.entry(contest, text=quoter_text)
    d = factory.entry(contest, text=own(4, 1200))
    truth_b = syllables(pasted) / syllables(copier_text)
    truth_a = syllables(pasted) / syllables(source)
    return {"a": a, "b": b, "c": c, "d": d, "truth_a": truth_a, "truth_b": truth_b}


def _reports(session) -> dict[int, SimilarityReport]:
    session.expire_all()
    return {r.entry_id: r for r in session.scalars(select(SimilarityReport))}


def test_scan_flags_planted_copy_with_its_overlap(session, contest, corpus):
    c = session.get(type(contest), contest.id)
    summary = screening.scan_contest(session, contest=c)
    session.commit()
    reports = _reports(session)
    a, b, q, d = (corpus[k].id for k in "abcd")
    assert summary.entries == 4
    assert summary.flagged == 2
    assert abs(reports[b].overlap - corpus["truth_b"]) <= 0.05
    assert abs(reports[a].overlap - corpus["truth_a"]) <= 0.05
    assert (reports[a].flagged, reports[b].flagged) == (True, True)
    # quoting the reference in quotation marks is not copying
    assert reports[q].flagged is False
    assert reports[q].overlap < 0.02
    assert 0.08 <= reports[q].quoted <= 0.16
    assert reports[d].flagged is False
    pair = session.scalars(
        select(SimilarityMatch).where(
            SimilarityMatch.entry_id == b, SimilarityMatch.other_entry_id == a
        )
    ).one()
    mirror = session.scalars(
        select(SimilarityMatch).where(
            SimilarityMatch.entry_id == a, SimilarityMatch.other_entry_id == b
        )
    ).one()
    assert pair.kind == "copy"
    assert (pair.overlap, pair.other_overlap) == (mirror.other_overlap, mirror.overlap)
    assert [p[:2] for p in mirror.passages] == [p[2:] for p in pair.passages]
    entry_b = session.get(Entry, b)
    start, end = pair.passages[0][0], pair.passages[-1][1]
    assert entry_b.text[start:end].split()[:5] == corpus["a"].text.split()[:5]


def test_scan_twice_gives_the_same_rows_and_keeps_decisions(session, contest, corpus, secretary):
    from contest.models import User

    c = session.get(type(contest), contest.id)
    screening.scan_contest(session, contest=c)
    first = {(m.entry_id, m.other_entry_id, m.reference_id, m.kind, m.overlap) for m in session.scalars(select(SimilarityMatch))}  # fmt: skip
    screening.decide(
        session,
        entry=session.get(Entry, corpus["b"].id),
        decision="copying",
        note="Ba đoạn chép nguyên văn",
        actor=session.get(User, secretary.id),
    )
    screening.scan_contest(session, contest=c)
    session.commit()
    second = {(m.entry_id, m.other_entry_id, m.reference_id, m.kind, m.overlap) for m in session.scalars(select(SimilarityMatch))}  # fmt: skip
    assert first == second
    assert _reports(session)[corpus["b"].id].decision == "copying"


def test_scan_with_no_entries_stores_nothing(session, contest):
    c = session.get(type(contest), contest.id)
    summary = screening.scan_contest(session, contest=c)
    assert summary == screening.ScanSummary(0, 0, 0)
    assert session.scalars(select(SimilarityReport)).all() == []


def test_check_entry_now_finds_a_new_copy_and_updates_the_source(session, contest, factory):
    source = own(11, 1300)
    a = factory.entry(contest, text=source)
    c = session.get(type(contest), contest.id)
    screening.scan_contest(session, contest=c)
    session.commit()
    assert _reports(session)[a.id].overlap == 0.0
    half = "\n\n".join(source.split("\n\n")[:5])
    b = factory.entry(contest, text=own(12, 1000) + "\n\n" + half)
    report = screening.check_entry_now(session, entry=session.get(Entry, b.id))
    session.commit()
    truth = syllables(half) / syllables(session.get(Entry, b.id).text)
    assert abs(report.overlap - truth) <= 0.05
    assert report.flagged is True
    reports = _reports(session)
    assert abs(reports[a.id].overlap - syllables(half) / syllables(source)) <= 0.05
    # checking again replaces its rows instead of adding more
    screening.check_entry_now(session, entry=session.get(Entry, b.id))
    session.commit()
    assert session.query(SimilarityMatch).filter_by(entry_id=b.id).count() == 1


def test_replaced_entry_report_is_stale(session, contest, corpus):
    c = session.get(type(contest), contest.id)
    screening.scan_contest(session, contest=c)
    session.commit()
    entry = session.get(Entry, corpus["b"].id)
    entry.fingerprint = "0" * 64  # what replace_document does with a new file
    session.commit()
    rows = {r.entry_id: r for r in screening.review_rows(session, contest=c)}
    assert rows[corpus["b"].id].stale is True
    assert rows[corpus["a"].id].stale is False


def test_reference_empty_and_duplicate_are_refused(session, contest, secretary):
    from contest.models import User
    from contest.problems import ProblemError

    c = session.get(type(contest), contest.id)
    actor = session.get(User, secretary.id)
    with pytest.raises(ProblemError) as err:
        screening.add_reference(session, contest=c, name="Rỗng", text="  \n ", actor=actor)
    assert err.value.problems[0].code == "reference_empty"
    screening.add_reference(session, contest=c, name="Bài gốc", text=own(5, 300), actor=actor)
    with pytest.raises(ProblemError) as err:
        screening.add_reference(session, contest=c, name="Lần hai", text=own(5, 300), actor=actor)
    assert err.value.problems[0].code == "reference_duplicate"


def test_highlight_marks_copy_over_quotation():
    pieces = screening.highlight("abcdefghij", [(2, 6, "quotation"), (4, 8, "copy"), (9, 99, "copy")])  # fmt: skip
    assert pieces == [
        ("ab", None),
        ("cd", "quotation"),
        ("efgh", "copy"),
        ("i", None),
        ("j", "copy"),
    ]


def test_demo_adds_one_reference_and_scans(session, contest, factory):
    factory.entry(contest, text=own(21, 1200))
    c = session.get(type(contest), contest.id)
    summary = screening.load_demo_similarity(session, contest=c, actor=None)
    again = screening.load_demo_similarity(session, contest=c, actor=None)
    session.commit()
    assert (summary.entries, again.entries) == (1, 1)
    assert session.query(ReferenceText).count() == 1


# --------------------------------------------------------------------------- web


def test_review_page_lists_flagged_codes_never_titles(client, login, secretary, session, corpus):
    c = session.get(type(corpus["a"].contest), corpus["a"].contest_id)
    screening.scan_contest(session, contest=c)
    session.commit()
    login(secretary)
    html = client.get(BASE + "/").get_data(as_text=True)
    a, b = session.get(Entry, corpus["a"].id), session.get(Entry, corpus["b"].id)
    assert a.receipt_no in html and b.receipt_no in html
    assert session.get(Entry, corpus["d"].id).receipt_no not in html
    assert a.title not in html and b.title not in html
    # by severity: the source (47% of it pasted elsewhere) above the copier (35%)
    assert html.index(a.receipt_no) < html.index(b.receipt_no)
    page = client.get(f"{BASE}/entries/{b.id}").get_data(as_text=True)
    assert page.count('class="match match-copy"') >= 3  # legend + both sides
    assert b.title not in page


def test_decision_disqualifies_and_is_audited(client, login, secretary, session, corpus):
    c = session.get(type(corpus["a"].contest), corpus["a"].contest_id)
    screening.scan_contest(session, contest=c)
    session.commit()
    login(secretary)
    b = corpus["b"].id
    token = csrf_token(client, f"{BASE}/entries/{b}")
    resp = client.post(
        f"{BASE}/entries/{b}/decision",
        data={"csrf_token": token, "decision": "disqualified", "note": "Chép bài khác"},
    )
    assert resp.status_code == 302
    session.expire_all()
    entry = session.get(Entry, b)
    assert entry.status == EntryStatus.disqualified
    assert entry.disqualified_reason == "Chép bài khác"
    assert _reports(session)[b].decision == "disqualified"
    actions = [
        e.action for e in session.scalars(select(AuditEvent).where(AuditEvent.object_id == str(b)))
    ]
    assert actions[-2:] == ["entry.disqualify", "similarity.decision"]


def test_decision_without_note_is_refused(client, login, secretary, session, corpus):
    c = session.get(type(corpus["a"].contest), corpus["a"].contest_id)
    screening.scan_contest(session, contest=c)
    session.commit()
    login(secretary)
    b = corpus["b"].id
    token = csrf_token(client, f"{BASE}/entries/{b}")
    resp = client.post(
        f"{BASE}/entries/{b}/decision",
        data={"csrf_token": token, "decision": "copying", "note": " "},
        follow_redirects=True,
    )
    assert "Hãy ghi chú lý do của quyết định." in resp.get_data(as_text=True)
    session.expire_all()
    assert _reports(session)[b].decision == ""


def test_post_without_csrf_is_refused(client, login, secretary, session, contest):
    login(secretary)
    resp = client.post(BASE + "/scan", data={})
    assert resp.status_code == 400
    assert session.query(Job).count() == 0


def test_reference_upload_pasted_file_and_unreadable(client, login, secretary, session):
    login(secretary)
    token = csrf_token(client, BASE + "/")
    resp = client.post(
        BASE + "/references",
        data={"csrf_token": token, "name": "Bài dán", "text": own(6, 300)},
        follow_redirects=True,
    )
    assert "Bài dán" in resp.get_data(as_text=True)
    data = {
        "csrf_token": token,
        "file": (io.BytesIO(own(7, 300).encode("utf-8")), "bai-goc.txt"),
    }
    client.post(BASE + "/references", data=data, content_type="multipart/form-data")
    bad = {"csrf_token": token, "file": (io.BytesIO(b"PK\x03\x04garbage"), "hong.docx")}
    resp = client.post(
        BASE + "/references", data=bad, content_type="multipart/form-data", follow_redirects=True
    )
    assert "Không đọc được tệp: Tệp hong.docx bị hỏng" in resp.get_data(as_text=True)
    empty = client.post(
        BASE + "/references",
        data={"csrf_token": token, "name": "Trống", "text": ""},
        follow_redirects=True,
    )
    assert "Văn bản tham chiếu trống" in empty.get_data(as_text=True)
    names = [r.name for r in session.scalars(select(ReferenceText).order_by(ReferenceText.id))]
    assert names == ["Bài dán", "bai-goc.txt"]
    ref_id = session.scalars(select(ReferenceText.id)).first()
    client.post(f"{BASE}/references/{ref_id}/delete", data={"csrf_token": token})
    session.expire_all()
    assert [r.name for r in session.scalars(select(ReferenceText))] == ["bai-goc.txt"]
    actions = [e.action for e in session.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    assert actions[-3:] == [
        "similarity.reference_add",
        "similarity.reference_add",
        "similarity.reference_delete",
    ]


@pytest.mark.parametrize("role", ["judge", "contestant"])
def test_judge_and_contestant_get_403(client, login, factory, contest, role, session):
    roles = [("loc-trung", "judge")] if role == "judge" else []
    login(factory.user(roles=roles))
    entry = factory.entry(contest, text=own(8, 1100))
    for path in (BASE + "/", f"{BASE}/entries/{entry.id}"):
        assert client.get(path).status_code == 403
    token = csrf_token(client, "/login")
    assert client.post(BASE + "/scan", data={"csrf_token": token}).status_code == 403


def test_anonymous_goes_to_login(client, contest):
    resp = client.get(BASE + "/")
    assert resp.status_code == 302
    assert "/login" in resp.headers["Location"]


def test_check_entry_now_syncs_its_cached_index_with_replaced_texts(session, contest, factory):
    source = own(13, 1300)
    a = factory.entry(contest, text=source)
    b = factory.entry(contest, text=own(14, 1000) + "\n\n" + "\n\n".join(source.split("\n\n")[:5]))
    first = screening.check_entry_now(session, entry=session.get(Entry, b.id))
    session.commit()
    assert first.flagged is True
    # the source is replaced by an unrelated text: the cached index must follow it
    entry_a = session.get(Entry, a.id)
    entry_a.text, entry_a.fingerprint = own(15, 1300), "f" * 64
    session.commit()
    again = screening.check_entry_now(session, entry=session.get(Entry, b.id))
    session.commit()
    assert (again.overlap, again.flagged) == (0.0, False)
    assert session.query(SimilarityMatch).count() == 0
