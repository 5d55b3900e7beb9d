import unicodedata

from contest.vntext import nfc, place_tone, strip_diacritics, syllables, unify_tone_marks


def test_place_tone_old_style_moves_mark_to_first_vowel():
    assert [place_tone(w) for w in ("hoà", "thuỷ", "khoẻ", "HOÀ")] == ["hòa", "thủy", "khỏe", "HÒA"]


def test_place_tone_new_style_moves_mark_to_second_vowel():
    assert [place_tone(w, "new") for w in ("hòa", "thủy", "khỏe")] == ["hoà", "thuỷ", "khoẻ"]


def test_place_tone_fixed_places_are_the_same_in_both_styles():
    words = ["người", "quý", "già", "gìn", "ngoài", "huỳnh", "của", "khuỷu", "rượu"]
    assert [place_tone(w, "new") for w in words] == words
    assert [place_tone(w) for w in words] == words


def test_place_tone_misplaced_mark_in_closed_syllable_is_corrected():
    assert place_tone("hòang") == "hoàng"


def test_unify_tone_marks_keeps_length_and_other_text():
    text = "Văn hoá, thuỷ chung: 2024!"
    out = unify_tone_marks(text)
    assert out == "Văn hóa, thủy chung: 2024!"
    assert len(out) == len(text)


def test_syllables_spans_point_into_nfc_text():
    text = unicodedata.normalize("NFD", "Chủ tịch “Hồ Chí Minh”")
    out = syllables(text)
    assert [s.text for s in out] == ["Chủ", "tịch", "Hồ", "Chí", "Minh"]
    assert [nfc(text)[s.start : s.end] for s in out] == ["Chủ", "tịch", "Hồ", "Chí", "Minh"]


def test_syllables_cjk_characters_stand_alone():
    assert [s.text for s in syllables("中国 Россия")] == ["中", "国", "Россия"]


def test_strip_diacritics_unchanged_behaviour():
    assert strip_diacritics("Nguyễn Đức") == "Nguyen Duc"
