"""Small, pure helpers for Vietnamese text shared by extraction, anonymisation and similarity.

One place for each rule: how text is put in NFC, how diacritics are stripped, where a tone mark
sits (hòa / hoà), and what a syllable is (with its character span, so findings map back to text).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import NamedTuple

__all__ = [
    "SYLLABLE_RE",
    "Syllable",
    "nfc",
    "place_tone",
    "strip_diacritics",
    "syllables",
    "unify_tone_marks",
]

# A syllable is a run of letters/digits; CJK ideographs and kana stand alone because those
# scripts do not put spaces between words, and one "syllable" per line would be useless.
SYLLABLE_RE = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]|[^\W_]+")

_TONES = frozenset("\u0300\u0301\u0303\u0309\u0323")  # huyền, sắc, ngã, hỏi, nặng
_VOWELS = frozenset("aeiouy")
_OLD_NEW_PAIRS = frozenset({"oa", "oe", "uy"})  # the only open pairs where the styles differ


class Syllable(NamedTuple):
    """One syllable of an NFC text: its characters and its span ``text[start:end]``."""

    text: str
    start: int
    end: int


def nfc(text: str) -> str:
    """Return ``text`` in Unicode NFC (composed) form; real files mix NFC and NFD."""
    return unicodedata.normalize("NFC", text)


def strip_diacritics(text: str) -> str:
    """Remove every Vietnamese diacritic, mapping đ/Đ to d/D ("Nguyễn Đức" -> "Nguyen Duc").

    Length is not preserved in general for NFD input; for NFC input each character maps to
    exactly one character, so offsets in the result match offsets in ``nfc(text)``.
    """
    out = []
    for ch in nfc(text):
        if ch == "đ":
            out.append("d")
            continue
        if ch == "Đ":
            out.append("D")
            continue
        base = unicodedata.normalize("NFD", ch)[0]
        out.append(base)
    return "".join(out)


def syllables(text: str) -> list[Syllable]:
    """Split ``text`` into syllables with character spans into ``nfc(text)``.

    Punctuation and spacing are not syllables; a CJK ideograph is one syllable.
    """
    return [Syllable(m.group(), m.start(), m.end()) for m in SYLLABLE_RE.finditer(nfc(text))]


@lru_cache(maxsize=65536)
def place_tone(syllable: str, style: str = "old") -> str:
    """Put the tone mark of one syllable where ``style`` says, keeping case and other marks.

    ``style="old"`` gives hòa, thủy, khỏe (tone on the first vowel of an open oa/oe/uy);
    ``style="new"`` gives hoà, thuỷ, khoẻ. Every other syllable has one correct place, and a
    misplaced mark there (e.g. "hoàng" typed as "hòang") is moved to it in both styles.
    The result is NFC; a syllable with no tone or no vowel comes back unchanged (in NFC).
    """
    if style not in ("old", "new"):
        raise ValueError(f"unknown tone style {style!r}")
    letters: list[list[str]] = []  # [base, quality marks]
    tone = ""
    for ch in unicodedata.normalize("NFD", syllable):
        if unicodedata.combining(ch):
            if ch in _TONES:
                if tone:  # two tones: not Vietnamese, leave it alone
                    return nfc(syllable)
                tone = ch
            elif letters:
                letters[-1][1] += ch
            else:
                return nfc(syllable)
        else:
            letters.append([ch, ""])
    if not tone:
        return nfc(syllable)
    vowel_at = [i for i, (base, _) in enumerate(letters) if base.lower() in _VOWELS]
    if not vowel_at:
        return nfc(syllable)
    start = vowel_at[0]
    end = start
    while end < len(letters) and letters[end][0].lower() in _VOWELS:
        end += 1
    cluster = list(range(start, end))
    head = "".join(b for b, _ in letters[:start]).lower()
    first = letters[start][0].lower()
    # In "qu" the u, and in "gi" + vowel the i, belong to the initial consonant.
    if len(cluster) > 1 and ((head == "q" and first == "u") or (head == "g" and first == "i")):
        cluster = cluster[1:]
    marked = [i for i in cluster if letters[i][1]]
    if marked:
        target = marked[-1]  # ươ, uô, iê: the tone goes on the last vowel with a quality mark
    elif len(cluster) == 1:
        target = cluster[0]
    elif end < len(letters):
        target = cluster[-1]  # closed syllable: hoàng, huỳnh
    elif len(cluster) >= 3:
        target = cluster[1]  # ngoài, khuỷu
    else:
        pair = "".join(letters[i][0].lower() for i in cluster)
        target = cluster[1] if (pair in _OLD_NEW_PAIRS and style == "new") else cluster[0]
    out = []
    for i, (base, marks) in enumerate(letters):
        out.append(base + marks + (tone if i == target else ""))
    return nfc("".join(out))


def unify_tone_marks(text: str, *, style: str = "old") -> str:
    """Return ``nfc(text)`` with every syllable's tone mark placed in one ``style``.

    Offsets are preserved: moving a mark inside an NFC syllable does not change its length.
    """
    return SYLLABLE_RE.sub(lambda m: place_tone(m.group(), style), nfc(text))
