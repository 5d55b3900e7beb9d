"""TCVN3 and VNI detection and conversion: tables, round trips, and no false alarms."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from contest.legacy_encoding import (
    LegacyEncodingError,
    convert_legacy,
    convert_legacy_font_text,
    convert_likely_legacy,
    detect_legacy,
    encode_legacy,
    fix_legacy,
    font_encoding,
)

# Every Vietnamese vowel with every tone, plus đ: the letters both tables must carry.
_BASES = "aăâeêioôơuưy"
_TONES = ["", "\u0300", "\u0301", "\u0309", "\u0303", "\u0323"]
LOWER_LETTERS = [unicodedata.normalize("NFC", b + t) for b in _BASES for t in _TONES] + ["đ"]

SENTENCES = [
    "Đảng Cộng sản Việt Nam lãnh đạo nhân dân xây dựng và bảo vệ vững chắc Tổ quốc.",
    "Chúng ta kiên quyết đấu tranh phản bác những quan điểm sai trái, thù địch trên không gian mạng.",
    "Nguyễn Văn An, sinh năm một nghìn chín trăm tám mươi, quê ở Hà Nội, viết bài này.",
    "Bảo vệ nền tảng tư tưởng của Đảng là nhiệm vụ quan trọng, thường xuyên của cả hệ thống chính trị.",
    "Thực tiễn ba mươi lăm năm đổi mới đã chứng minh đường lối đúng đắn, sáng tạo.",
]
ESSAY = "\n".join(SENTENCES)


def test_convert_tcvn3_known_garble_gives_unicode():
    assert convert_legacy("NguyÔn V¨n An, §¶ng Céng s¶n ViÖt Nam, t\u00adëng", "tcvn3") == (
        "Nguyễn Văn An, Đảng Cộng sản Việt Nam, tưởng"
    )


def test_convert_vni_known_garble_gives_unicode():
    assert convert_legacy("Nguyeãn Vaên An, Ñaûng Coäng saûn Vieät Nam, tröôøng", "vni") == (
        "Nguyễn Văn An, Đảng Cộng sản Việt Nam, trường"
    )


def test_convert_vni_capitals_give_unicode_capitals():
    assert convert_legacy("ÑAÛNG COÄNG SAÛN VIEÄT NAM, ÖÙNG PHOÙ, MYÕ", "vni") == (
        "ĐẢNG CỘNG SẢN VIỆT NAM, ỨNG PHÓ, MỸ"
    )


@pytest.mark.parametrize("encoding", ["tcvn3", "vni"])
def test_encode_then_convert_every_lowercase_letter_round_trips(encoding):
    letters = "".join(LOWER_LETTERS)
    assert convert_legacy(encode_legacy(letters, encoding), encoding) == letters


def test_encode_then_convert_every_vni_capital_round_trips():
    letters = "".join(LOWER_LETTERS).upper()
    assert convert_legacy(encode_legacy(letters, "vni"), "vni") == letters


def test_encode_then_convert_tcvn3_seven_capitals_round_trip():
    assert convert_legacy(encode_legacy("ĂÂÊÔƠƯĐ", "tcvn3"), "tcvn3") == "ĂÂÊÔƠƯĐ"


def test_encode_tcvn3_capital_with_tone_raises():
    with pytest.raises(ValueError, match="cannot be written in tcvn3"):
        encode_legacy("Ủy ban", "tcvn3")


@pytest.mark.parametrize("encoding", ["tcvn3", "vni"])
def test_fix_legacy_essay_round_trips_exactly(encoding):
    legacy = encode_legacy(ESSAY, encoding)
    assert legacy != ESSAY
    assert detect_legacy(legacy) == encoding
    assert fix_legacy(legacy) == (ESSAY, encoding)


@pytest.mark.parametrize("encoding", ["tcvn3", "vni"])
@pytest.mark.parametrize("sentence", SENTENCES)
def test_fix_legacy_single_sentence_round_trips(encoding, sentence):
    assert fix_legacy(encode_legacy(sentence, encoding)) == (sentence, encoding)


@settings(max_examples=150, deadline=None, database=None)
@given(st.lists(st.sampled_from(LOWER_LETTERS + list("bcdghklmnpqrstvx ,.")), max_size=60))
def test_encode_then_convert_any_vietnamese_text_round_trips(chars):
    text = "".join(chars)
    for encoding in ("tcvn3", "vni"):
        assert convert_legacy(encode_legacy(text, encoding), encoding) == text


def test_detect_unicode_vietnamese_is_none():
    assert detect_legacy(ESSAY) is None


def test_detect_decomposed_unicode_vietnamese_is_none():
    assert detect_legacy(unicodedata.normalize("NFD", ESSAY)) is None


def test_detect_unicode_vietnamese_with_only_latin1_letters_is_none():
    # "á", "ì", "ó", "ý" exist in Latin-1; read as TCVN3 they would still look Vietnamese.
    assert detect_legacy("Thái Bình có ý kiến. Tôi là Hà, Bình và Thái cũng có mặt.") is None


@pytest.mark.parametrize(
    "text",
    [
        "The committee met in Hà Nội; the café served crème brûlée and a naïve résumé © 2024 £5.",
        "Où est la gare ? Le café est très bon, et l'été à Paris est magnifique. Noël approche ; "
        "le goût du coût de la vie, « bonjour », déjà vu, héroïque, août.",
        "Schöne Grüße aus München: Die Straße führt über die Brücke, für Jürgen und Käthe.",
        "Mañana el niño irá a la montaña con su compañero; después, información y acción.",
        "O coração da informação: não há razão para ação sem emoção.",
    ],
)
def test_detect_european_text_is_none(text):
    assert detect_legacy(text) is None
    assert fix_legacy(text) == (text, None)


def test_detect_too_little_evidence_is_none():
    assert detect_legacy(encode_legacy("Việt Nam", "tcvn3")) is None


def test_fix_legacy_keeps_unicode_and_french_lines():
    french = "Le café est très bon, l'été à Paris."
    legacy = encode_legacy(SENTENCES[0], "tcvn3") + "\n" + SENTENCES[1] + "\n" + french + "\n"
    legacy += encode_legacy(SENTENCES[2], "tcvn3")
    expected = SENTENCES[0] + "\n" + SENTENCES[1] + "\n" + french + "\n" + SENTENCES[2]
    assert fix_legacy(legacy) == (expected, "tcvn3")


def test_fix_legacy_ascii_text_is_unchanged():
    assert fix_legacy("Plain ASCII text, nothing to do.") == (
        "Plain ASCII text, nothing to do.",
        None,
    )


@pytest.mark.parametrize(
    ("font", "expected"),
    [
        (".VnTime", ("tcvn3", False)),
        (".VnTimeH", ("tcvn3", True)),
        (".VnArial", ("tcvn3", False)),
        ("VNI-Times", ("vni", False)),
        ("VNI-Helve", ("vni", False)),
        ("Times New Roman", (None, False)),
        ("", (None, False)),
        (None, (None, False)),
    ],
)
def test_font_encoding_names(font, expected):
    assert font_encoding(font) == expected


def test_convert_font_text_all_capitals_font_gives_capitals():
    assert convert_legacy_font_text("céng hoµ x· héi", "tcvn3", capitals=True) == "CỘNG HOÀ XÃ HỘI"


def test_convert_font_text_already_unicode_is_unchanged():
    assert convert_legacy_font_text("Cộng hoà có ý", "tcvn3") == "Cộng hoà có ý"


@pytest.mark.parametrize(
    ("text", "encoding", "expected"),
    [
        ("NguyÔn V¨n An", "tcvn3", "Nguyễn Văn An"),
        ("Nguyeãn Vaên An", "vni", "Nguyễn Văn An"),
        ("Hà Bá", "tcvn3", "Hà Bá"),
        ("Nguyễn Văn An", "tcvn3", "Nguyễn Văn An"),
        ("Café © 2024", "tcvn3", "Café © 2024"),
        ("John Smith", "vni", "John Smith"),
    ],
)
def test_convert_likely_legacy_short_strings(text, encoding, expected):
    assert convert_likely_legacy(text, encoding) == expected


def test_convert_unknown_encoding_raises_with_messages():
    with pytest.raises(LegacyEncodingError) as caught:
        convert_legacy("abc", "viqr")
    assert caught.value.code == "unknown_legacy_encoding"
    assert caught.value.params == {"encoding": "viqr"}
    assert caught.value.message() == "Bảng mã cũ không được hỗ trợ: viqr (chỉ hỗ trợ TCVN3 và VNI)."
    assert (
        caught.value.message("en")
        == "Unsupported legacy encoding: viqr (only TCVN3 and VNI are supported)."
    )
