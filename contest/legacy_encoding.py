"""Detect and convert Vietnamese text typed in the legacy TCVN3 (ABC) and VNI font encodings.

Before Unicode, Vietnamese documents were typed with 8-bit fonts (.VnTime for TCVN3,
VNI-Times for VNI). Word stores the bytes of such text as Windows-1252 characters, so the text
we extract looks garbled: "NguyÔn" (TCVN3) or "Nguyeãn" (VNI) for "Nguyễn". This module finds
such text and converts it back to Unicode NFC.

Detection works on words: a word that contains Latin-1 characters is converted under each
encoding and kept as evidence only if every syllable it yields is a well-formed Vietnamese
syllable. Lines that already hold Vietnamese-only Unicode letters (ư, ơ, đ, ạ, ...) are left
alone, so ordinary Unicode Vietnamese, English and French text do not trigger a conversion.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

__all__ = [
    "LEGACY_ENCODINGS",
    "LegacyEncodingError",
    "convert_legacy",
    "convert_legacy_font_text",
    "convert_likely_legacy",
    "detect_legacy",
    "encode_legacy",
    "fix_legacy",
    "font_encoding",
]

LEGACY_ENCODINGS = ("tcvn3", "vni")

# TCVN3 (TCVN 5712:1993, the "VN3" / ABC table used by the .VnTime family): one byte per
# letter, written here as the Windows-1252 character that byte becomes in a Word file.
# Only seven capitals exist; other capital letters with tone marks were typed with the
# all-capitals ".VnTimeH" fonts, which draw the lower-case byte as a capital.
_TCVN3_TO_UNICODE: dict[str, str] = {
    "\u00a1": "Ă", "\u00a2": "Â", "\u00a3": "Ê", "\u00a4": "Ô", "\u00a5": "Ơ", "\u00a6": "Ư",
    "\u00a7": "Đ",
    "\u00a8": "ă", "\u00a9": "â", "\u00aa": "ê", "\u00ab": "ô", "\u00ac": "ơ", "\u00ad": "ư",
    "\u00ae": "đ",
    "\u00b5": "à", "\u00b6": "ả", "\u00b7": "ã", "\u00b8": "á", "\u00b9": "ạ",
    "\u00bb": "ằ", "\u00bc": "ẳ", "\u00bd": "ẵ", "\u00be": "ắ", "\u00c6": "ặ",
    "\u00c7": "ầ", "\u00c8": "ẩ", "\u00c9": "ẫ", "\u00ca": "ấ", "\u00cb": "ậ",
    "\u00cc": "è", "\u00ce": "ẻ", "\u00cf": "ẽ", "\u00d0": "é", "\u00d1": "ẹ",
    "\u00d2": "ề", "\u00d3": "ể", "\u00d4": "ễ", "\u00d5": "ế", "\u00d6": "ệ",
    "\u00d7": "ì", "\u00d8": "ỉ", "\u00dc": "ĩ", "\u00dd": "í", "\u00de": "ị",
    "\u00df": "ò", "\u00e1": "ỏ", "\u00e2": "õ", "\u00e3": "ó", "\u00e4": "ọ",
    "\u00e5": "ồ", "\u00e6": "ổ", "\u00e7": "ỗ", "\u00e8": "ố", "\u00e9": "ộ",
    "\u00ea": "ờ", "\u00eb": "ở", "\u00ec": "ỡ", "\u00ed": "ớ", "\u00ee": "ợ",
    "\u00ef": "ù", "\u00f1": "ủ", "\u00f2": "ũ", "\u00f3": "ú", "\u00f4": "ụ",
    "\u00f5": "ừ", "\u00f6": "ử", "\u00f7": "ữ", "\u00f8": "ứ", "\u00f9": "ự",
    "\u00fa": "ỳ", "\u00fb": "ỷ", "\u00fc": "ỹ", "\u00fd": "ý", "\u00fe": "ỵ",
}  # fmt: skip

# VNI (VNI-Times, by VNI Software): a base letter followed by a mark character, plus a few
# single-byte letters (ơ, ư, đ and the i / ỵ forms). Lower case only: capitals are the same
# sequences in upper case (A + Ù for Á), generated below.
_VNI_LOWER: dict[str, str] = {
    "á": "aù", "à": "aø", "ả": "aû", "ã": "aõ", "ạ": "aï",
    "ă": "aê", "ắ": "aé", "ằ": "aè", "ẳ": "aú", "ẵ": "aü", "ặ": "aë",
    "â": "aâ", "ấ": "aá", "ầ": "aà", "ẩ": "aå", "ẫ": "aã", "ậ": "aä",
    "é": "eù", "è": "eø", "ẻ": "eû", "ẽ": "eõ", "ẹ": "eï",
    "ê": "eâ", "ế": "eá", "ề": "eà", "ể": "eå", "ễ": "eã", "ệ": "eä",
    "í": "í", "ì": "ì", "ỉ": "æ", "ĩ": "ó", "ị": "ò",
    "ó": "où", "ò": "oø", "ỏ": "oû", "õ": "oõ", "ọ": "oï",
    "ô": "oâ", "ố": "oá", "ồ": "oà", "ổ": "oå", "ỗ": "oã", "ộ": "oä",
    "ơ": "ô", "ớ": "ôù", "ờ": "ôø", "ở": "ôû", "ỡ": "ôõ", "ợ": "ôï",
    "ú": "uù", "ù": "uø", "ủ": "uû", "ũ": "uõ", "ụ": "uï",
    "ư": "ö", "ứ": "öù", "ừ": "öø", "ử": "öû", "ữ": "öõ", "ự": "öï",
    "ý": "yù", "ỳ": "yø", "ỷ": "yû", "ỹ": "yõ", "ỵ": "î",
    "đ": "ñ",
}  # fmt: skip

_VNI_FROM_UNICODE: dict[str, str] = {
    **_VNI_LOWER,
    **{u.upper(): v.upper() for u, v in _VNI_LOWER.items()},
}
_VNI_TO_UNICODE: dict[str, str] = {v: u for u, v in _VNI_FROM_UNICODE.items() if u != v}
_TCVN3_FROM_UNICODE: dict[str, str] = {u: b for b, u in _TCVN3_TO_UNICODE.items()}

# Longest sequence first, so "oâ" (ô) wins over "ô" (ơ) on its own.
_VNI_RE = re.compile("|".join(re.escape(k) for k in sorted(_VNI_TO_UNICODE, key=len, reverse=True)))
_TCVN3_TABLE = str.maketrans(_TCVN3_TO_UNICODE)

# Letters that exist only in Unicode Vietnamese (never in Windows-1252) and the combining
# tone marks of decomposed text: a line holding them is already Unicode.
_VN_UNICODE_RE = re.compile("[ĂăĐđĨĩŨũƠơƯư\u1ea0-\u1ef9\u0300\u0301\u0303\u0309\u0323]")
_LATIN1_RE = re.compile("[\u00a0-\u00ff]")
_LETTER_RUN_RE = re.compile(r"[^\W\d_]+")

_MIN_EVIDENCE = 3  # well-formed converted words needed before a text is called legacy
_MIN_SHARE = 0.75  # share of candidate words that must convert to well-formed Vietnamese
_LINE_SHARE = 0.5  # a line in a legacy document is converted when half its candidates agree
_MAX_SCORED = 600  # candidate words scored per text: plenty of evidence, bounded time


class LegacyEncodingError(ValueError):
    """Raised for an unknown legacy encoding name; carries ``code`` and ``params``."""

    _TEMPLATES = {
        "unknown_legacy_encoding": {
            "vi": "Bảng mã cũ không được hỗ trợ: {encoding} (chỉ hỗ trợ TCVN3 và VNI).",
            "en": "Unsupported legacy encoding: {encoding} (only TCVN3 and VNI are supported).",
        },
    }

    def __init__(self, code: str, **params: str) -> None:
        self.code = code
        self.params = params
        super().__init__(self.message("en"))

    def message(self, lang: str = "vi") -> str:
        """Return the error as a sentence in Vietnamese (default) or English."""
        templates = self._TEMPLATES[self.code]
        return templates.get(lang, templates["vi"]).format(**self.params)


# ---------------------------------------------------------------- Vietnamese syllable shape

_TONE_MARKS = {"\u0300": "grave", "\u0301": "acute", "\u0303": "tilde", "\u0309": "hook", "\u0323": "dot"}  # fmt: skip
_NUCLEI_NO_FINAL = {
    "ai", "ao", "au", "ay", "âu", "ây", "eo", "êu", "ia", "iu", "oi", "ôi", "ơi", "ui", "ưa",
    "ưi", "ưu", "iêu", "yêu", "oai", "oao", "oay", "oeo", "uây", "uôi", "uya", "uyu", "ươi",
    "ươu", "ua", "uơ",
}  # fmt: skip
_NUCLEI_NEED_FINAL = {"ă", "â", "iê", "yê", "uô", "ươ", "uyê", "oă", "uâ"}
_NUCLEI_FREE = {"a", "e", "ê", "i", "o", "ô", "ơ", "u", "ư", "y", "oa", "oe", "oo", "uê", "uy"}
_NUCLEI = _NUCLEI_NO_FINAL | _NUCLEI_NEED_FINAL | _NUCLEI_FREE
_INITIALS = ("", "ngh", "ng", "nh", "ch", "gh", "gi", "kh", "ph", "qu", "th", "tr",
             *"bcdđghklmnprstvx")  # fmt: skip
_FINALS = ("", "ch", "ng", "nh", "c", "m", "n", "p", "t")


@lru_cache(maxsize=16384)  # an essay repeats a few hundred distinct syllables
def _is_syllable(word: str) -> bool:
    """True when ``word`` (letters only) has the shape of one Vietnamese syllable."""
    decomposed = unicodedata.normalize("NFD", word.lower())
    tones = [_TONE_MARKS[c] for c in decomposed if c in _TONE_MARKS]
    if len(tones) > 1:
        return False
    base = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in _TONE_MARKS))
    # Try every split into initial + nucleus + final: "gi" + "a" and "g" + "ia" both occur.
    for initial in _INITIALS:
        if not base.startswith(initial):
            continue
        rest = base[len(initial) :]
        for final in _FINALS:
            if final and not rest.endswith(final):
                continue
            nucleus = rest[: len(rest) - len(final)]
            if nucleus not in _NUCLEI:
                continue
            if final and nucleus in _NUCLEI_NO_FINAL:
                continue
            if not final and nucleus in _NUCLEI_NEED_FINAL:
                continue
            # Syllables closed by a stop consonant only take the acute or the dot-below tone.
            if final in ("c", "ch", "p", "t") and tones not in (["acute"], ["dot"]):
                continue
            return True
    return False


# ---------------------------------------------------------------- conversion


def _check_encoding(encoding: str) -> None:
    if encoding not in LEGACY_ENCODINGS:
        raise LegacyEncodingError("unknown_legacy_encoding", encoding=str(encoding))


def convert_legacy(text: str, encoding: str) -> str:
    """Convert ``text`` read from a TCVN3 ("tcvn3") or VNI ("vni") font to Unicode NFC.

    Characters that are not part of the encoding are kept as they are.
    """
    _check_encoding(encoding)
    if encoding == "tcvn3":
        out = text.translate(_TCVN3_TABLE)
    else:
        out = _VNI_RE.sub(lambda m: _VNI_TO_UNICODE[m.group(0)], text)
    return unicodedata.normalize("NFC", out)


def encode_legacy(text: str, encoding: str) -> str:
    """Write Unicode Vietnamese ``text`` as it would appear when typed in a legacy font.

    The inverse of :func:`convert_legacy`, used to build test documents. A letter the
    encoding cannot hold raises ``ValueError``: TCVN3 has no capitals with tone marks (those
    were typed with the all-capitals ".VnTimeH" fonts).
    """
    _check_encoding(encoding)
    table = _TCVN3_FROM_UNICODE if encoding == "tcvn3" else _VNI_FROM_UNICODE
    out = []
    for ch in unicodedata.normalize("NFC", text):
        if ch in table:
            out.append(table[ch])
        elif ch.isascii():
            out.append(ch)
        else:
            raise ValueError(f"{ch!r} cannot be written in {encoding}")
    return "".join(out)


def font_encoding(font_name: str | None) -> tuple[str | None, bool]:
    """Return (legacy encoding, all-capitals font) implied by a font name, e.g. ".VnTimeH".

    TCVN3 fonts are named ".Vn..." (".VnTime", ".VnArial"); names ending in "H" are the
    all-capitals variants. VNI fonts are named "VNI-..." ("VNI-Times", "VNI-Helve").
    """
    if not font_name:
        return None, False
    name = font_name.strip()
    if name.lower().startswith(".vn"):
        return "tcvn3", name.endswith("H")
    if name.lower().startswith("vni-") or name.lower().startswith("vni "):
        return "vni", False
    return None, False


def convert_legacy_font_text(text: str, encoding: str, capitals: bool = False) -> str:
    """Convert a run of text known (from its font) to be legacy; keep it if already Unicode."""
    if _VN_UNICODE_RE.search(text):
        return text
    out = convert_legacy(text, encoding)
    return out.upper() if capitals else out


# ---------------------------------------------------------------- detection


@dataclass
class _LineScore:
    unicode_letters: int = 0
    candidates: int = 0
    scored: int = 0
    valid: dict[str, int] = field(default_factory=lambda: dict.fromkeys(LEGACY_ENCODINGS, 0))
    strong: dict[str, int] = field(default_factory=lambda: dict.fromkeys(LEGACY_ENCODINGS, 0))


def _is_vietnamese(token: str) -> bool:
    """True when ``token`` already reads as Unicode Vietnamese ("Thái", "có", "ý").

    Such a word proves nothing: only a word that is not Vietnamese as it stands but becomes
    Vietnamese once converted ("NguyÔn", "Vieät") counts as strong evidence of a legacy font.
    """
    runs = [r for r in _LETTER_RUN_RE.findall(token) if not r.isascii()]
    return bool(runs) and all(_is_syllable(r) for r in runs)


def _token_valid(token: str, encoding: str) -> bool:
    """True when every legacy character of ``token`` converts and the result is Vietnamese."""
    if encoding == "tcvn3":
        for ch in token:
            if "\u00a0" <= ch <= "\u00ff" and ch not in _TCVN3_TO_UNICODE:
                return False
        converted = token.translate(_TCVN3_TABLE)
    else:
        pieces = []
        pos = 0
        for match in _VNI_RE.finditer(token):
            gap = token[pos : match.start()]
            if _LATIN1_RE.search(gap):
                return False
            pieces.append(gap)
            pieces.append(_VNI_TO_UNICODE[match.group(0)])
            pos = match.end()
        gap = token[pos:]
        if _LATIN1_RE.search(gap):
            return False
        pieces.append(gap)
        converted = "".join(pieces)
    runs = [r for r in _LETTER_RUN_RE.findall(converted) if not r.isascii()]
    return bool(runs) and all(_is_syllable(r) for r in runs)


def _score_line(line: str, budget: list[int]) -> _LineScore:
    score = _LineScore()
    if _VN_UNICODE_RE.search(line):
        score.unicode_letters = len(_VN_UNICODE_RE.findall(line))
        return score
    if not _LATIN1_RE.search(line):
        return score
    for token in line.split():
        if not _LATIN1_RE.search(token):
            continue
        score.candidates += 1
        if budget[0] <= 0:
            continue
        budget[0] -= 1
        score.scored += 1
        strong = not _is_vietnamese(token)
        for encoding in LEGACY_ENCODINGS:
            if _token_valid(token, encoding):
                score.valid[encoding] += 1
                score.strong[encoding] += strong
    return score


def _decide(scores: list[_LineScore]) -> str | None:
    # Unicode-only letters weigh against legacy words: a Unicode document never converts.
    unicode_letters = sum(s.unicode_letters for s in scores)
    candidates = sum(s.candidates for s in scores)
    if candidates < _MIN_EVIDENCE or candidates <= unicode_letters:
        return None
    scored = min(candidates, _MAX_SCORED)
    best, best_valid = None, 0
    for encoding in LEGACY_ENCODINGS:
        valid = sum(s.valid[encoding] for s in scores)
        if valid > best_valid:
            best, best_valid = encoding, valid
    if best is None or best_valid < _MIN_EVIDENCE or best_valid <= unicode_letters:
        return None
    if sum(s.strong[best] for s in scores) < _MIN_EVIDENCE:
        return None
    if best_valid < _MIN_SHARE * scored:
        return None
    return best


def _scores(lines: list[str]) -> list[_LineScore]:
    budget = [_MAX_SCORED]
    return [_score_line(line, budget) for line in lines]


def detect_legacy(text: str) -> str | None:
    """Return "tcvn3" or "vni" when ``text`` was typed in that legacy encoding, else None.

    Returns None for Unicode Vietnamese, for English or French text, and when there is too
    little evidence (fewer than three words that are not Vietnamese as they stand but
    become Vietnamese once converted).
    """
    if not _LATIN1_RE.search(text):
        return None  # fast path: pure ASCII or pure Unicode Vietnamese
    return _decide(_scores(text.splitlines()))


def fix_legacy(text: str) -> tuple[str, str | None]:
    """Detect a legacy encoding in ``text`` and convert the lines written in it.

    Returns (text, encoding) where encoding is "tcvn3", "vni" or None when nothing changed.
    Lines already in Unicode Vietnamese, and lines that do not look like the detected
    encoding (a French quotation, say), are kept as they are.
    """
    if not _LATIN1_RE.search(text):
        return text, None
    lines = text.splitlines(keepends=True)
    scores = _scores(lines)
    encoding = _decide(scores)
    if encoding is None:
        return text, None
    out = []
    changed = False
    for line, score in zip(lines, scores, strict=True):
        # Lines past the scoring budget have no per-line figures; convert them unless Unicode.
        agrees = score.valid[encoding] >= _LINE_SHARE * score.scored
        if score.unicode_letters == 0 and score.candidates and agrees:
            new = convert_legacy(line, encoding)
            changed = changed or new != line
            out.append(new)
        else:
            out.append(line)
    return ("".join(out), encoding) if changed else (text, None)


def convert_likely_legacy(text: str, encoding: str) -> str:
    """Convert a short string (an author name, a header) from a document known to use
    ``encoding``, when it shows a legacy character and its words convert to Vietnamese.

    Too short for :func:`detect_legacy`, "NguyÔn V¨n An" still converts here, while
    Unicode such as "Hà Bá" (Latin-1 letters only) is kept.
    """
    _check_encoding(encoding)
    if _VN_UNICODE_RE.search(text) or not _LATIN1_RE.search(text):
        return text
    tokens = [t for t in text.split() if _LATIN1_RE.search(t)]
    strong = not all(_is_vietnamese(t) for t in tokens)
    if strong and all(_token_valid(t, encoding) for t in tokens):
        return convert_legacy(text, encoding)
    return text
