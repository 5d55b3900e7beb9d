"""Tests for contest.anonymise: secret codes, identity spans, review, redaction and signals."""

from __future__ import annotations

import random
import re
import subprocess
import sys
import unicodedata

import pytest

from contest.anonymise import (
    ALPHABET,
    CodeError,
    Identity,
    Span,
    SpanError,
    apply_review,
    author_details_signals,
    code_body_length,
    find_identity_spans,
    generate_codes,
    given_name_signals,
    is_valid_code,
    merge_spans,
    new_code,
    normalise_code,
    redact,
)
from contest.vntext import nfc, strip_diacritics

# --- secret codes ----------------------------------------------------------------------------


def payload_of(code: str) -> str:
    return code.split("-", 1)[1].replace("-", "")


def test_code_body_length_grows_with_population():
    sizes = [1, 32, 33, 1048, 1049, 33554, 33555, 541766]
    assert [code_body_length(n) for n in sizes] == [3, 3, 4, 4, 5, 5, 6, 6]


def test_code_space_at_least_1000_times_population():
    for n in (1, 10, 500, 5000, 300_000, 541_766):
        assert 32 ** code_body_length(n) >= 1000 * n


def test_new_code_small_contest_format():
    code = new_code(set(), population=20, rng=random.Random(3))
    assert re.fullmatch(f"CL-[{ALPHABET}]{{4}}", code)
    assert is_valid_code(code) is True


def test_new_code_prefix_configurable():
    code = new_code(set(), population=20, prefix="HN24", rng=random.Random(3))
    assert code.startswith("HN24-")
    assert is_valid_code(code, prefix="HN24") is True
    assert is_valid_code(code, prefix="CL") is False


def test_new_code_avoids_existing():
    first = new_code(set(), population=20, rng=random.Random(5))
    second = new_code({first}, population=20, rng=random.Random(5))
    assert second != first
    assert is_valid_code(second) is True


def test_new_code_length_follows_existing_count():
    existing = {f"X{i}" for i in range(2000)}
    code = new_code(existing, population=10, rng=random.Random(1))
    assert len(payload_of(code)) == 6  # 5 random characters for 2,001 entries + check


class ZeroRandom(random.Random):
    def randrange(self, *args, **kwargs):
        return 0


def test_new_code_space_exhausted_raises():
    taken = new_code(set(), population=1, rng=ZeroRandom())
    with pytest.raises(CodeError) as err:
        new_code({taken}, population=1, rng=ZeroRandom())
    assert err.value.code == "code_space_exhausted"
    assert err.value.message("en") == (
        "No new secret code found after 200 attempts: declare a larger number of entries."
    )


def test_new_code_invalid_prefix_raises():
    with pytest.raises(CodeError) as err:
        new_code(set(), population=1, prefix="C-L")
    assert (err.value.code, err.value.params) == ("invalid_prefix", {"prefix": "C-L"})
    assert err.value.message() == (
        "Tiền tố mã phách 'C-L' không hợp lệ: dùng 1–10 chữ cái hoặc chữ số, "
        "bắt đầu bằng chữ cái, không có dấu gạch."
    )


def test_generate_codes_100000_unique_valid_and_readable():
    codes = generate_codes(100_000, rng=random.Random(2024))
    assert len(set(codes)) == 100_000
    assert {len(payload_of(c)) for c in codes} == {7}
    assert set("".join(payload_of(c) for c in codes)) == set(ALPHABET)
    assert all(is_valid_code(c) for c in codes[:5_000])
    assert not set("01OI") & set("".join(codes))


def test_generate_codes_seeded_is_deterministic_and_avoids_existing():
    first = generate_codes(50, rng=random.Random(9))
    again = generate_codes(50, rng=random.Random(9))
    more = generate_codes(50, existing=first, rng=random.Random(9))
    assert first == again
    assert set(first).isdisjoint(more)


def test_generate_codes_not_sequential():
    codes = generate_codes(200, rng=random.Random(4))
    assert codes != sorted(codes)
    neighbours = sum(1 for a, b in zip(codes, codes[1:], strict=False) if a[:-2] == b[:-2])
    assert neighbours == 0


def test_generate_codes_default_rng_is_system_random():
    codes = generate_codes(3)
    assert len(set(codes)) == 3
    assert all(is_valid_code(c) for c in codes)


def test_generate_codes_negative_count_raises():
    with pytest.raises(CodeError) as err:
        generate_codes(-1)
    assert err.value.code == "invalid_count"


def test_checksum_catches_every_single_character_typo():
    missed = []
    for code in generate_codes(40, rng=random.Random(11)):
        payload = payload_of(code)
        for i in range(len(payload)):
            for c in ALPHABET:
                if c != payload[i]:
                    typo = "CL-" + payload[:i] + c + payload[i + 1 :]
                    if is_valid_code(typo):
                        missed.append(typo)
    assert missed == []


def test_checksum_catches_every_adjacent_transposition():
    missed = []
    tried = 0
    for code in generate_codes(300, rng=random.Random(12)):
        payload = payload_of(code)
        for i in range(len(payload) - 1):
            if payload[i] != payload[i + 1]:
                tried += 1
                swapped = payload[:i] + payload[i + 1] + payload[i] + payload[i + 2 :]
                if is_valid_code("CL-" + swapped):
                    missed.append(swapped)
    assert tried > 1000
    assert missed == []


def test_normalise_code_accepts_case_spaces_and_missing_separator():
    code = generate_codes(1, existing=(), rng=random.Random(1))[0]
    spoken = code.lower().replace("-", " ")
    assert normalise_code(spoken) == code
    assert normalise_code(code.replace("-", ""), prefix="CL") == code


def test_is_valid_code_rejects_confusable_and_malformed():
    code = new_code(set(), population=5, rng=random.Random(8))
    assert [
        is_valid_code(code),
        is_valid_code(code.replace(code[3], "0")),
        is_valid_code("CL-"),
        is_valid_code("CL-AB"),
        is_valid_code(code[3:]),
        is_valid_code(None),
    ] == [True, False, False, False, False, False]


def test_normalise_code_error_message_english():
    with pytest.raises(CodeError) as err:
        normalise_code("CL-ZZZZ")
    assert err.value.message("en") == (
        "Secret code 'CL-ZZZZ' is invalid (probably mistyped): read the code again."
    )


# --- spans, review, redaction ----------------------------------------------------------------


def test_span_invalid_kind_raises():
    with pytest.raises(SpanError) as err:
        Span(0, 3, "nickname")
    assert err.value.code == "invalid_span"


def test_span_empty_raises():
    with pytest.raises(SpanError):
        Span(5, 5, "name")


def test_merge_spans_overlap_touch_and_kind_of_longest():
    spans = [
        Span(10, 20, "name"),
        Span(0, 3, "phone"),
        Span(15, 40, "unit"),
        Span(40, 45, "other", "manual"),
        Span(50, 52, "email"),
    ]
    assert merge_spans(spans) == [
        Span(0, 3, "phone"),
        Span(10, 45, "unit", "manual"),
        Span(50, 52, "email"),
    ]


def test_apply_review_cuts_removed_and_keeps_added():
    auto = [Span(0, 10, "name"), Span(20, 30, "unit")]
    removed = [Span(3, 6, "name", "manual"), Span(20, 30, "unit", "manual")]
    added = [Span(25, 28, "other", "manual"), Span(40, 44, "name", "manual")]
    assert apply_review(auto, added, removed) == [
        Span(0, 3, "name"),
        Span(6, 10, "name"),
        Span(25, 28, "other", "manual"),
        Span(40, 44, "name", "manual"),
    ]


def test_redact_per_kind_placeholders():
    text = "Tôi là Nguyễn Văn An, số máy 0912345678."
    spans = [Span(7, 20, "name"), Span(29, 39, "phone")]
    assert redact(text, spans) == "Tôi là [họ tên], số máy [điện thoại]."
    assert redact(text, spans, lang="en") == "Tôi là [name], số máy [phone]."
    assert redact(text, spans, placeholder="[đã ẩn]") == "Tôi là [đã ẩn], số máy [đã ẩn]."


def test_redact_placeholder_does_not_leak_length():
    short = redact("Tác giả Lê Na viết.", [Span(8, 13, "name")])
    long = redact("Tác giả Nguyễn Thị Hồng Nhung viết.", [Span(8, 29, "name")])
    assert short == long == "Tác giả [họ tên] viết."


def test_redact_span_out_of_range_raises():
    with pytest.raises(SpanError) as err:
        redact("ngắn", [Span(2, 10, "name")])
    assert err.value.params == {"start": 2, "end": 10, "length": 4}


def test_redact_offsets_are_nfc():
    nfd = unicodedata.normalize("NFD", "Ông Nguyễn Văn An phát biểu.")
    spans = find_identity_spans(nfd, [Identity("Nguyễn Văn An")])
    assert spans == [Span(4, 17, "name")]
    assert redact(nfd, spans) == "Ông [họ tên] phát biểu."


# --- identity found in realistic essays ------------------------------------------------------

AN = Identity(
    full_name="Nguyễn Văn An",
    pen_name="Hồng Hà",
    birth_date="1989-03-12",
    position="Giáo viên",
    unit="Trường THPT Chu Văn An, quận Tây Hồ, Hà Nội",
    address="Số 12 ngõ 34 phố Hàng Bông, phường Hàng Trống, quận Hoàn Kiếm, Hà Nội",
    phone="0912 345 678",
    email="an.nguyenvan@example.vn",
    id_number="001089012345",
)

ESSAY_AN = """GIỮ VỮNG TRẬN ĐỊA TƯ TƯỞNG TRÊN KHÔNG GIAN MẠNG

An ninh mạng ngày nay là mặt trận không tiếng súng. Ở An Giang cũng như ở Hà Nội, các thế lực \
thù địch lợi dụng mạng xã hội để xuyên tạc. Là một giáo viên trường THPT Chu Văn An, tôi, \
Nguyễn Văn An, thấy rõ trách nhiệm của mình. Học sinh vẫn nhắc lời thầy giáo Chu Văn An: \
trọng đạo lý hơn danh lợi. Hoàng Thị Loan, Tôn Đức Thắng là những tấm gương sáng.

Trong các buổi sinh hoạt, học trò gọi tôi là thầy NGUYEN VAN AN, có em viết tắt N.V.A., có em \
ghi Nguyễn V. A hay N. V. An; trên diễn đàn tôi ký An Nguyễn Văn và dùng bút danh Hồng Hà.

Xin liên hệ: 0912.345.678 hoặc an.nguyenvan@example.vn; CCCD 001089012345. Nhà tôi ở số 12, \
ngõ 34 Hàng Bông, Hoàn Kiếm, Hà Nội; sinh ngày 12/3/1989. Sông Hồng vẫn chảy, an nhiên."""

ESSAY_AN_REDACTED = """GIỮ VỮNG TRẬN ĐỊA TƯ TƯỞNG TRÊN KHÔNG GIAN MẠNG

An ninh mạng ngày nay là mặt trận không tiếng súng. Ở An Giang cũng như ở Hà Nội, các thế lực \
thù địch lợi dụng mạng xã hội để xuyên tạc. Là một giáo viên [đơn vị], tôi, \
[họ tên], thấy rõ trách nhiệm của mình. Học sinh vẫn nhắc lời thầy giáo Chu Văn An: \
trọng đạo lý hơn danh lợi. Hoàng Thị Loan, Tôn Đức Thắng là những tấm gương sáng.

Trong các buổi sinh hoạt, học trò gọi tôi là thầy [họ tên], có em viết tắt [họ tên], có em \
ghi [họ tên] hay [họ tên]; trên diễn đàn tôi ký [họ tên] và dùng bút danh [bút danh].

Xin liên hệ: [điện thoại] hoặc [email]; CCCD [số giấy tờ]. Nhà tôi ở [địa chỉ]; \
sinh ngày [đã ẩn]. Sông Hồng vẫn chảy, an nhiên."""


def identity_forms(identity: Identity) -> list[str]:
    forms = []
    for value in (
        identity.full_name,
        identity.pen_name,
        identity.phone,
        identity.email,
        identity.id_number,
    ):
        if value:
            for v in (value, strip_diacritics(value)):
                forms += [v, v.upper(), v.lower()]
    return forms


def test_essay_an_redacted_exactly():
    spans = find_identity_spans(ESSAY_AN, [AN])
    assert redact(ESSAY_AN, spans) == ESSAY_AN_REDACTED


def test_essay_an_no_identity_form_survives():
    clean = redact(ESSAY_AN, find_identity_spans(ESSAY_AN, [AN]))
    survivors = [f for f in identity_forms(AN) if f in clean]
    survivors += [f for f in ("N.V.A", "N. V. An", "0912", "Hàng Bông") if f in clean]
    assert survivors == []


def test_essay_an_span_kinds_in_order():
    kinds = [s.kind for s in find_identity_spans(ESSAY_AN, [AN])]
    assert kinds == [
        "unit",
        "name",
        "name",
        "name",
        "name",
        "name",
        "name",
        "pen_name",
        "phone",
        "email",
        "id_number",
        "address",
        "other",
    ]


NHUNG = Identity(
    full_name="Trần Thị Hồng Nhung",
    pen_name="Sông Lam",
    unit="UBND xã Tân Phú, huyện Đồng Phú, tỉnh Bình Phước",
    address="Thôn 3, xã Tân Phú, huyện Đồng Phú, tỉnh Bình Phước",
    phone="+84 977 123 456",
    email="hongnhung.tran@example.vn",
)

ESSAY_NHUNG = """Quá trình đô thị hóa ở Bình Phước diễn ra nhanh. Dòng sông Lam hiền hòa ở xứ Nghệ \
vẫn là cảm hứng của nhiều nhà thơ. Chị Hồng Nhung, cán bộ Ủy ban nhân dân xã Tân Phú, kể rằng \
các trang mạng phản động tung tin thất thiệt. Bà Trần Hồng Nhung nói thêm: người dân \
thôn 3 Tân Phú Đồng Phú Bình Phước đã không tin. Liên lạc: 0977-123-456, \
hongnhung.tran [at] example.vn.

Người viết
TRẦN THỊ HỒNG NHUNG"""


def test_essay_nhung_redacted_exactly():
    spans = find_identity_spans(ESSAY_NHUNG, [NHUNG])
    assert redact(ESSAY_NHUNG, spans) == (
        "Quá trình đô thị hóa ở Bình Phước diễn ra nhanh. Dòng sông Lam hiền hòa ở xứ Nghệ "
        "vẫn là cảm hứng của nhiều nhà thơ. Chị [họ tên], cán bộ [đơn vị], kể rằng "
        "các trang mạng phản động tung tin thất thiệt. Bà [họ tên] nói thêm: người dân "
        "[địa chỉ] đã không tin. Liên lạc: [điện thoại], "
        "[email].\n\nNgười viết\n[họ tên]"
    )


def test_essay_nhung_no_identity_form_survives():
    clean = redact(ESSAY_NHUNG, find_identity_spans(ESSAY_NHUNG, [NHUNG]))
    assert [f for f in identity_forms(NHUNG) if f in clean] == []


CO_AUTHORS = [
    Identity("Lê Thị Mai", unit="Báo Nhân Dân"),
    Identity("Phạm Quốc Bình", pen_name="Bình Minh", id_number="038092001234"),
]

ESSAY_NO_ACCENTS = (
    "Bai viet cua nhom tac gia LE THI MAI va Pham Quoc Binh (bao Nhan Dan). "
    "Hoa binh la khat vong, binh minh moi da den voi que huong Thai Binh. "
    "So CMND 038092001234 cua tac gia Binh Minh."
)


def test_co_authors_without_diacritics_redacted():
    spans = find_identity_spans(ESSAY_NO_ACCENTS, CO_AUTHORS)
    assert redact(ESSAY_NO_ACCENTS, spans) == (
        "Bai viet cua nhom tac gia [họ tên] va [họ tên] ([đơn vị]). "
        "Hoa binh la khat vong, binh minh moi da den voi que huong Thai Binh. "
        "So CMND [số giấy tờ] cua tac gia [bút danh]."
    )


# --- rules that protect ordinary words -------------------------------------------------------


def spans_text(text: str, identities, **kw) -> list[tuple[str, str]]:
    t = nfc(text)
    return [(t[s.start : s.end], s.kind) for s in find_identity_spans(text, identities, **kw)]


def test_given_name_alone_never_redacted():
    text = "An ninh quốc gia; tỉnh An Giang; chị An cho biết; Trường THPT Chu Văn An."
    assert spans_text(text, [Identity("Nguyễn Văn An")]) == []


def test_family_and_given_name_redacted_unless_longer_proper_noun():
    text = "Ông Nguyễn An phát biểu. Nhà yêu nước Nguyễn An Ninh ra báo."
    assert spans_text(text, [Identity("Nguyễn Văn An")]) == [("Nguyễn An", "name")]


def test_two_syllable_name_needs_capitals():
    text = "Lê Na đến; lê na là tiếng gọi; LÊ NA ký tên."
    assert spans_text(text, [Identity("Lê Na")]) == [("Lê Na", "name"), ("LÊ NA", "name")]


def test_pen_name_keeps_province_with_other_diacritics():
    text = "Quê tôi ở Thanh Hóa. Bút danh Thanh Hoa, viết không dấu THANH HOA."
    assert spans_text(text, [Identity("Lê Văn Tâm", pen_name="Thanh Hoa")]) == [
        ("Thanh Hoa", "pen_name"),
        ("THANH HOA", "pen_name"),
    ]


def test_tone_placement_old_and_new_both_match():
    text = "Tác giả Lê Thị Hoà và tác giả Lê Thị Hòa."
    assert spans_text(text, [Identity("Lê Thị Hòa")]) == [
        ("Lê Thị Hoà", "name"),
        ("Lê Thị Hòa", "name"),
    ]


def test_different_diacritics_are_a_different_name():
    assert spans_text("Ông Nguyễn Văn Ân đến.", [Identity("Nguyễn Văn An")]) == []


def test_initials_need_capitals_and_dots():
    text = "n.v.a. rồi N V A rồi N.V.A rồi NVA."
    assert spans_text(text, [Identity("Nguyễn Văn An")]) == [("N.V.A", "name")]


def test_four_syllable_name_short_forms():
    text = "Cô Hồng Nhung và cô Trần Hồng Nhung; bông hồng nhung đỏ thắm."
    assert spans_text(text, [Identity("Trần Thị Hồng Nhung")]) == [
        ("Hồng Nhung", "name"),
        ("Trần Hồng Nhung", "name"),
    ]


def test_unit_needs_a_capital_word():
    text = "Lực lượng công an huyện đã vào cuộc. Công an huyện Đồng Phú xác minh."
    assert spans_text(text, [Identity("Lê Văn Tâm", unit="Công an huyện Đồng Phú")]) == [
        ("Công an huyện Đồng Phú", "unit")
    ]


def test_unit_abbreviation_both_ways():
    unit = Identity("Lê Văn Tâm", unit="Trường Trung học phổ thông Nguyễn Du")
    text = "Trường THPT Nguyễn Du và trường Trung học phổ thông Nguyễn Du; nhà thơ Nguyễn Du."
    assert spans_text(text, [unit]) == [
        ("Trường THPT Nguyễn Du", "unit"),
        ("trường Trung học phổ thông Nguyễn Du", "unit"),
    ]


def test_extra_terms_acronym_case_sensitive_and_lowercase_any_case():
    text = "Thầy CVA dạy lớp 12a1; cva là viết tắt; Lớp 12A1 giỏi."
    found = spans_text(text, [], extra_terms=[("CVA", "unit"), "lớp 12a1"])
    assert found == [("CVA", "unit"), ("lớp 12a1", "other"), ("Lớp 12A1", "other")]


def test_extra_terms_unknown_kind_raises():
    with pytest.raises(SpanError):
        find_identity_spans("x", [], extra_terms=[("abc", "nickname")])


def test_address_without_house_number_match_is_ignored():
    person = Identity("Lê Văn Tâm", address="Số 49 đường Điện Biên Phủ, Hà Nội")
    text = "Chiến thắng Điện Biên Phủ chấn động địa cầu; Hà Nội mừng vui. Nhà 49 Điện Biên Phủ."
    assert spans_text(text, [person]) == [("49 Điện Biên Phủ", "address")]


def test_birth_date_forms_and_bare_year():
    person = Identity("Lê Văn Tâm", birth_date="12/03/1989")
    text = "Sinh ngày 12-3-1989, tức ngày 12 tháng 03 năm 1989; năm 1989 lũ lớn."
    assert spans_text(text, [person]) == [
        ("12-3-1989", "other"),
        ("ngày 12 tháng 03 năm 1989", "other"),
    ]


# --- generic detectors -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "phone",
    [
        "0912 345 678",
        "0912.345.678",
        "0912-345-678",
        "0912345678",
        "091 234 5678",
        "+84 912 345 678",
        "(+84) 912 345 678",
        "84 912 345 678",
        "024 3825 1234",
        "(024) 3825 1234",
        "+84 24 3825 1234",
        "0383 123 456",
    ],
)
def test_phone_formats_detected_without_identity(phone):
    text = f"Gọi {phone} nhé."
    assert spans_text(text, []) == [(phone, "phone")]


@pytest.mark.parametrize(
    "text",
    [
        "Ngày 03.02.2024 15 giờ khai mạc.",
        "Dân số 98.506.193 người.",
        "Các năm 2023 2024 2025.",
        "Tỷ lệ 0,912 345 678 phần.",
        "Mã số 0123456789 của hồ sơ.",
        "Tổng 1 234 567 890 đồng.",
    ],
)
def test_numbers_that_are_not_phones_left_alone(text):
    assert spans_text(text, []) == []


def test_email_and_obfuscated_email_detected():
    text = "Thư: Tran.Mai+bao@bao-nhandan.org.vn hoặc mai (at) example.vn; không phải @example."
    assert spans_text(text, []) == [
        ("Tran.Mai+bao@bao-nhandan.org.vn", "email"),
        ("mai (at) example.vn", "email"),
    ]


def test_id_numbers_cccd_and_cmnd_with_context():
    text = (
        "CCCD 001089012345; số 123456789012 là thống kê; CMND số 012345678; "
        "dân số 100000000 người; hộ chiếu C1234567."
    )
    assert spans_text(text, []) == [
        ("001089012345", "id_number"),
        ("012345678", "id_number"),
        ("C1234567", "id_number"),
    ]


# --- screening signals -----------------------------------------------------------------------


def test_signals_headings_signature_and_spans():
    text = (
        "Họ và tên: Nguyễn Văn An\n"
        "Đơn vị công tác: Trường THPT Chu Văn An\n"
        "Địa chỉ đỏ của lịch sử là niềm tự hào.\n\n"
        "Bài viết ...\n\n"
        "Hà Nội, ngày 12 tháng 3 năm 2024\n"
        "Người viết\n"
        "Nguyễn Văn An"
    )
    signals = author_details_signals(text, identities=[AN])
    assert [(s.code, nfc(text)[s.start : s.end], s.severity) for s in signals] == [
        ("identity_heading", "Họ và tên:", "high"),
        ("identity_in_text", "Nguyễn Văn An", "high"),
        ("identity_heading", "Đơn vị công tác:", "high"),
        ("identity_in_text", "Trường THPT Chu Văn An", "high"),
        ("signature_date_line", "Hà Nội, ngày 12 tháng 3 năm 2024", "review"),
        ("signature_block", "Người viết", "high"),
        ("identity_in_text", "Nguyễn Văn An", "high"),
        ("signature_name_line", "Nguyễn Văn An", "review"),
    ]


def test_signal_messages_in_both_languages():
    signals = author_details_signals("SĐT: 0912345678")
    assert [s.message("en") for s in signals] == [
        'The line "SĐT" looks like author details inside the work; the rules eliminate '
        "such entries: check it.",
        "The work contains the author's phone number: check the redaction and the rules.",
    ]
    assert signals[1].message() == (
        "Bài viết có số điện thoại của tác giả: hãy kiểm tra phần được ẩn và xem xét thể lệ."
    )


def test_signals_clean_essay_has_none():
    text = "Địa chỉ đỏ giáo dục truyền thống.\n\nAn ninh mạng là nhiệm vụ của toàn dân."
    assert author_details_signals(text, identities=[AN]) == []


def test_signals_hidden_text_and_metadata():
    signals = author_details_signals(
        "Bài viết sạch.",
        hidden_text=["Chú thích: liên hệ Nguyễn Văn An", "Email: x@y.vn"],
        metadata={"author": "Nguyễn Văn An", "lastModifiedBy": "Windows User", "title": "Bài"},
        identities=[AN],
    )
    assert [(s.code, s.where, s.severity, dict(s.params)) for s in signals] == [
        ("hidden_identity", "hidden:0", "high", {"kind": "name"}),
        ("hidden_identity", "hidden:1", "high", {"kind": "other"}),
        ("hidden_identity", "hidden:1", "high", {"kind": "email"}),
        (
            "metadata_person",
            "metadata:author",
            "high",
            {"key": "author", "value": "Nguyễn Văn An"},
        ),
    ]


def test_metadata_other_person_is_review():
    signals = author_details_signals("Sạch.", metadata={"Company": "Sở Nội vụ"}, identities=[AN])
    assert [(s.code, s.severity) for s in signals] == [("metadata_person", "review")]


def test_given_name_signals_flag_lone_name_for_review():
    text = "Chị An cho biết. An ninh là gốc. Tỉnh An Giang. Bạn bè gọi là An."
    signals = given_name_signals(text, [Identity("Nguyễn Văn An")])
    assert [(s.start, s.end, s.severity) for s in signals] == [(4, 6, "review"), (62, 64, "review")]
    assert signals[0].message("en").startswith('The author\'s given name "An" stands alone')


def test_given_name_signals_skip_redacted_spans():
    text = "Chị An cho biết."
    assert given_name_signals(text, [Identity("Nguyễn Văn An")], spans=[Span(0, 6, "name")]) == []


# --- purity ----------------------------------------------------------------------------------


def test_pure_modules_import_neither_flask_nor_sqlalchemy():
    code = (
        "import sys, contest.anonymise, contest.vault; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('flask', 'sqlalchemy')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# --- synthetic essays (contest.essaygen) -----------------------------------------------------


def name_forms(full_name: str) -> list[str]:
    words = full_name.split()
    bare = strip_diacritics(full_name)
    return [
        full_name,
        full_name.upper(),
        bare,
        bare.upper(),
        ".".join(w[0] for w in words) + ".",
        " ".join([words[0], *(w[0] + "." for w in words[1:])]),
        " ".join([words[-1], *words[:-1]]),
    ]


def test_synthetic_essays_clean_outside_inserted_identity():
    from contest import essaygen

    rng = random.Random(35)
    mismatches = []
    for _ in range(12):
        person = essaygen.person(rng)
        identity = Identity(**person)
        head, tail = essaygen.essay(rng, syllables=300), essaygen.essay(rng, syllables=300)
        form = rng.choice(name_forms(person["full_name"]))
        inserted = (
            f"\n\nTác giả {form}, bút danh {person['pen_name']}, điện thoại {person['phone']}, "
            f"thư {person['email']}.\n\n"
        )
        expected = (
            head + "\n\nTác giả [họ tên], bút danh [bút danh], điện thoại [điện thoại], "
            "thư [email].\n\n" + tail
        )
        got = redact(
            head + inserted + tail, find_identity_spans(head + inserted + tail, [identity])
        )
        if got != expected:
            mismatches.append((form, person["pen_name"]))
    assert mismatches == []


def test_identity_none_fields_become_empty():
    identity = Identity("Lê Văn Tâm", unit=None, phone=None)
    assert (identity.unit, identity.phone) == ("", "")
    assert spans_text("Lê Văn Tâm viết.", [identity]) == [("Lê Văn Tâm", "name")]
