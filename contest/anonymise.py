"""Digital rọc phách: secret codes for entries and the identity spans to hide from judges.

Pure: plain data in, plain data out. Three parts:

- **Secret codes** (``new_code``, ``generate_codes``, ``is_valid_code``): random, unguessable,
  readable aloud (no 0/O, 1/I), with a check character that catches every single-character typo
  and every swap of two neighbouring characters.
- **Identity spans** (``find_identity_spans``, ``merge_spans``, ``apply_review``, ``redact``):
  where the author's name, pen name, unit, address, phone, e-mail or ID number sits in the text,
  as reviewable data. Offsets are into ``nfc(text)``.
- **Screening signals** (``author_details_signals``): headings such as "Họ và tên:", a signature
  block, identity found in the text, in hidden parts of the file or in its metadata. The contest
  rules eliminate entries that show author details, so these go to the secretariat.

Matching rules, chosen to keep the judge-facing text clean without eating ordinary words:

- The full name matches in any case, with or without diacritics, with initials ("N.V.A.",
  "Nguyễn V. A", "N. V. An") and given-name first ("An Nguyễn Văn"). Names of fewer than three
  syllables must be capitalised.
- Shortened forms (family + given name "Nguyễn An"; for four-syllable names the last two,
  "Hồng Nhung") must be capitalised and not run into another capitalised word, so "Nguyễn An Ninh"
  or "Chu Văn An" are left alone.
- The given name alone is never redacted ("An" would eat "an ninh", "An Giang"): capitalised
  lone occurrences are reported as ``given_name_alone`` signals for a person to decide.
- A word written with diacritics must carry the same diacritics as the identity (tone placement
  hòa/hoà aside); a word written without any diacritics matches by its bare letters. So the pen
  name "Thanh Hoa" does not hide the province "Thanh Hóa", while "NGUYEN VAN AN" is still found.
- Phones, e-mails and ID numbers are detected even when no identity is known.
"""

from __future__ import annotations

import math
import random
import re
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from rapidfuzz.distance import Indel

from contest.vntext import SYLLABLE_RE, nfc, strip_diacritics, unify_tone_marks

__all__ = [
    "ALPHABET",
    "KINDS",
    "PLACEHOLDERS",
    "SOURCES",
    "AnonymiseError",
    "CodeError",
    "Identity",
    "Signal",
    "Span",
    "SpanError",
    "apply_review",
    "author_details_signals",
    "code_body_length",
    "find_identity_spans",
    "generate_codes",
    "given_name_signals",
    "is_valid_code",
    "merge_spans",
    "new_code",
    "normalise_code",
    "redact",
]

# --- errors ----------------------------------------------------------------------------------

_ERRORS: dict[str, dict[str, str]] = {
    "invalid_prefix": {
        "vi": "Tiền tố mã phách '{prefix}' không hợp lệ: dùng 1–10 chữ cái hoặc chữ số, "
        "bắt đầu bằng chữ cái, không có dấu gạch.",
        "en": "Code prefix '{prefix}' is invalid: use 1-10 letters or digits starting with a "
        "letter, no hyphen.",
    },
    "invalid_code": {
        "vi": "Mã phách '{code}' không hợp lệ (có thể gõ nhầm): hãy đọc lại mã trên phiếu.",
        "en": "Secret code '{code}' is invalid (probably mistyped): read the code again.",
    },
    "code_space_exhausted": {
        "vi": "Không tạo được mã phách mới sau {attempts} lần thử: hãy khai báo số bài lớn hơn.",
        "en": "No new secret code found after {attempts} attempts: declare a larger number of "
        "entries.",
    },
    "invalid_count": {
        "vi": "Số mã cần tạo phải là số nguyên không âm (nhận được {n}).",
        "en": "The number of codes must be a non-negative integer (got {n}).",
    },
    "invalid_span": {
        "vi": "Đoạn cần ẩn không hợp lệ ({start}–{end}, loại '{kind}', nguồn '{source}').",
        "en": "Invalid redaction span ({start}-{end}, kind '{kind}', source '{source}').",
    },
    "span_out_of_range": {
        "vi": "Đoạn cần ẩn {start}–{end} vượt quá độ dài bài viết ({length} ký tự): hãy tải lại "
        "trang và đánh dấu lại.",
        "en": "Redaction span {start}-{end} lies beyond the text ({length} characters): reload "
        "the page and mark it again.",
    },
}


class AnonymiseError(Exception):
    """Base error of this module: ``code``, ``params`` and ``message(lang)`` in vi or en."""

    def __init__(self, code: str, /, **params: object) -> None:
        self.code = code
        self.params = dict(params)
        super().__init__(self.message("en"))

    def message(self, lang: str = "vi") -> str:
        """Return the sentence for this error in Vietnamese (default) or English (``"en"``)."""
        templates = _ERRORS[self.code]
        return (templates["en"] if lang.lower().startswith("en") else templates["vi"]).format(
            **self.params
        )


class CodeError(AnonymiseError):
    """A secret code could not be made or read."""


class SpanError(AnonymiseError):
    """A redaction span is malformed or does not fit the text."""


# --- secret codes ----------------------------------------------------------------------------

ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
_INDEX = {c: i for i, c in enumerate(ALPHABET)}
_MIN_BODY = 3
_SPACE_FACTOR = 1000  # the code space is at least 1000x the number of entries
_PREFIX_RE = re.compile(r"^[A-Z][A-Z0-9]{0,9}$")
_ATTEMPTS = 200


def _mul2(x: int) -> int:
    # Multiplication by x in GF(32) modulo the primitive polynomial x^5 + x^2 + 1.
    x <<= 1
    return x ^ 0b100101 if x & 0b100000 else x


def _check_char(body: str) -> str:
    # Damm-style check over GF(32): state = 2*state + c. Each step is a bijection (every single
    # substitution changes the end state) and (2+1)(a+b) != 0 (every adjacent swap does too).
    state = 0
    for c in body:
        state = _mul2(state) ^ _INDEX[c]
    return ALPHABET[_mul2(state)]


def code_body_length(population: int) -> int:
    """Random characters a code needs so 32**length >= 1000 x ``population`` (at least 3).

    The check character comes on top: 1-32 entries give "CL-7KQ3", up to 1,048 give 5
    characters, up to 33,554 give 6 and a national contest of 541,766 entries gives 7.
    """
    target = _SPACE_FACTOR * max(1, population)
    length = _MIN_BODY
    while len(ALPHABET) ** length < target:
        length += 1
    return length


def _format(prefix: str, payload: str) -> str:
    # Groups of four are easier to read aloud once the payload gets long.
    if len(payload) > 5:
        payload = "-".join(payload[i : i + 4] for i in range(0, len(payload), 4))
    return f"{prefix}-{payload}"


def _check_prefix(prefix: str) -> None:
    if not isinstance(prefix, str) or not _PREFIX_RE.match(prefix):
        raise CodeError("invalid_prefix", prefix=prefix)


def _random_code(rng: random.Random, prefix: str, length: int) -> str:
    n = rng.randrange(len(ALPHABET) ** length)
    body = []
    for _ in range(length):
        n, r = divmod(n, len(ALPHABET))
        body.append(ALPHABET[r])
    payload = "".join(body)
    return _format(prefix, payload + _check_char(payload))


def new_code(
    existing: set[str] | frozenset[str],
    *,
    population: int,
    prefix: str = "CL",
    rng: random.Random | None = None,
) -> str:
    """Return a fresh secret code not in ``existing``, e.g. "CL-7KQ3".

    ``population`` is the expected number of entries of the contest; the code grows with it
    (and with ``len(existing)``) so random guessing stays unlikely. ``rng`` defaults to
    ``secrets.SystemRandom()``; tests pass a seeded ``random.Random``.
    """
    _check_prefix(prefix)
    rng = rng or secrets.SystemRandom()
    length = code_body_length(max(population, len(existing) + 1))
    for _ in range(_ATTEMPTS):
        code = _random_code(rng, prefix, length)
        if code not in existing:
            return code
    raise CodeError("code_space_exhausted", attempts=_ATTEMPTS)


def generate_codes(
    n: int,
    *,
    existing: Iterable[str] = (),
    prefix: str = "CL",
    rng: random.Random | None = None,
) -> list[str]:
    """Return ``n`` distinct new codes, none in ``existing``, sized for ``n + len(existing)``."""
    if not isinstance(n, int) or n < 0:
        raise CodeError("invalid_count", n=n)
    _check_prefix(prefix)
    rng = rng or secrets.SystemRandom()
    taken = set(existing)
    length = code_body_length(n + len(taken))
    out: list[str] = []
    for _ in range(n):
        for _attempt in range(_ATTEMPTS):
            code = _random_code(rng, prefix, length)
            if code not in taken:
                break
        else:
            raise CodeError("code_space_exhausted", attempts=_ATTEMPTS)
        taken.add(code)
        out.append(code)
    return out


def normalise_code(code: str, *, prefix: str | None = None) -> str:
    """Return the canonical form of a typed code ("cl 7kq3" -> "CL-7KQ3") or raise CodeError.

    Case, spaces and hyphens inside the payload do not matter; the check character must agree.
    With ``prefix`` given, the prefix must be that one and the separator after it may be omitted.
    """
    if not isinstance(code, str):
        raise CodeError("invalid_code", code=code)
    text = re.sub(r"[\s\-]+", "-", code.strip().upper()).strip("-")
    if prefix is not None and text.startswith(prefix) and not text.startswith(prefix + "-"):
        text = prefix + "-" + text[len(prefix) :]
    head, _, rest = text.partition("-")
    payload = rest.replace("-", "")
    if (
        not _PREFIX_RE.match(head)
        or (prefix is not None and head != prefix)
        or len(payload) < _MIN_BODY + 1
        or any(c not in _INDEX for c in payload)
        or _check_char(payload[:-1]) != payload[-1]
    ):
        raise CodeError("invalid_code", code=code)
    return _format(head, payload)


def is_valid_code(code: str, *, prefix: str | None = None) -> bool:
    """True when ``code`` is well formed and its check character agrees (see ``normalise_code``)."""
    try:
        normalise_code(code, prefix=prefix)
    except CodeError:
        return False
    return True


# --- spans and identities --------------------------------------------------------------------

KINDS = ("name", "pen_name", "unit", "phone", "email", "id_number", "address", "other")
SOURCES = ("auto", "manual")

# One placeholder per kind, never depending on the hidden text, so its length leaks nothing.
PLACEHOLDERS: dict[str, dict[str, str]] = {
    "vi": {
        "name": "[họ tên]",
        "pen_name": "[bút danh]",
        "unit": "[đơn vị]",
        "phone": "[điện thoại]",
        "email": "[email]",
        "id_number": "[số giấy tờ]",
        "address": "[địa chỉ]",
        "other": "[đã ẩn]",
    },
    "en": {
        "name": "[name]",
        "pen_name": "[pen name]",
        "unit": "[unit]",
        "phone": "[phone]",
        "email": "[e-mail]",
        "id_number": "[ID number]",
        "address": "[address]",
        "other": "[redacted]",
    },
}


@dataclass(frozen=True, order=True)
class Span:
    """Characters ``[start, end)`` of the NFC text to hide: what (``kind``), found how (``source``)."""

    start: int
    end: int
    kind: str = "other"
    source: str = "auto"

    def __post_init__(self) -> None:
        ok = (
            isinstance(self.start, int)
            and isinstance(self.end, int)
            and 0 <= self.start < self.end
            and self.kind in KINDS
            and self.source in SOURCES
        )
        if not ok:
            raise SpanError(
                "invalid_span", start=self.start, end=self.end, kind=self.kind, source=self.source
            )


@dataclass(frozen=True)
class Identity:
    """One author's details as declared on the separate sheet (any field may be empty)."""

    full_name: str
    pen_name: str = ""
    birth_date: str = ""
    position: str = ""
    unit: str = ""
    address: str = ""
    phone: str = ""
    email: str = ""
    id_number: str = ""

    def __post_init__(self) -> None:
        # Optional columns arrive as None from the database; treat them as empty.
        for name in self.__dataclass_fields__:
            value = getattr(self, name)
            object.__setattr__(self, name, "" if value is None else nfc(str(value)))


def merge_spans(spans: Iterable[Span]) -> list[Span]:
    """Sort spans and merge those that overlap or touch into one.

    A merged span takes the kind of its longest part (the first on a tie) and is "manual" when
    any part was added by a person.
    """
    ordered = sorted(spans, key=lambda s: (s.start, -s.end))
    out: list[Span] = []
    group: list[Span] = []
    end = -1
    for span in ordered:
        if group and span.start > end:
            out.append(_merge_group(group))
            group = []
        if not group:
            end = span.end
        group.append(span)
        end = max(end, span.end)
    if group:
        out.append(_merge_group(group))
    return out


def _merge_group(group: list[Span]) -> Span:
    longest = max(group, key=lambda s: s.end - s.start)  # max keeps the first on ties
    source = "manual" if any(s.source == "manual" for s in group) else "auto"
    return Span(group[0].start, max(s.end for s in group), longest.kind, source)


def apply_review(
    auto_spans: Iterable[Span], added: Iterable[Span], removed: Iterable[Span]
) -> list[Span]:
    """Combine automatic spans with a reviewer's decisions into the spans to redact.

    Characters covered by ``removed`` are cut out of the automatic spans (a span may be split);
    ``added`` spans are kept whole as "manual" even where they overlap a removal, because adding
    is the explicit, later act. Storing the three lists lets the result be recomputed any time.
    """
    cuts = merge_spans(replace(s, source="auto") for s in removed)
    kept: list[Span] = []
    for span in auto_spans:
        pieces = [(span.start, span.end)]
        for cut in cuts:
            next_pieces = []
            for a, b in pieces:
                if cut.end <= a or cut.start >= b:
                    next_pieces.append((a, b))
                    continue
                if a < cut.start:
                    next_pieces.append((a, cut.start))
                if cut.end < b:
                    next_pieces.append((cut.end, b))
            pieces = next_pieces
        kept.extend(Span(a, b, span.kind, span.source) for a, b in pieces)
    kept.extend(replace(s, source="manual") for s in added)
    return merge_spans(kept)


def redact(
    text: str, spans: Iterable[Span], *, placeholder: str | None = None, lang: str = "vi"
) -> str:
    """Return ``nfc(text)`` with every (merged) span replaced by a fixed placeholder.

    By default each kind gets its own label from ``PLACEHOLDERS[lang]`` ("[họ tên]",
    "[đơn vị]", ...); pass ``placeholder`` (e.g. "[đã ẩn]") to use one label for all.
    """
    text = nfc(text)
    labels = PLACEHOLDERS["en" if lang.lower().startswith("en") else "vi"]
    out = []
    pos = 0
    for span in merge_spans(spans):
        if span.end > len(text):
            raise SpanError("span_out_of_range", start=span.start, end=span.end, length=len(text))
        out.append(text[pos : span.start])
        out.append(placeholder if placeholder is not None else labels[span.kind])
        pos = span.end
    out.append(text[pos:])
    return "".join(out)


# --- text preparation ------------------------------------------------------------------------


def _lower_same_length(text: str) -> str:
    low = text.lower()
    if len(low) == len(text):
        return low
    # A few characters (e.g. "İ") grow when lowered; keep offsets by leaving those alone.
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in text)


class _FoldTable(dict):
    # str.translate looks every character up here; vntext.strip_diacritics stays the one rule,
    # applied once per distinct character instead of once per character of every essay.
    def __missing__(self, code: int) -> str:
        folded = _lower_same_length(strip_diacritics(chr(code)))
        self[code] = folded
        return folded


_FOLD = _FoldTable()


class _Text:
    """The NFC text with two same-length views: tone-unified lower case, and bare lower case."""

    def __init__(self, text: str) -> None:
        self.t = nfc(text)
        self.u = _lower_same_length(unify_tone_marks(self.t))
        self.f = self.t.translate(_FOLD)


@dataclass(frozen=True)
class _Tok:
    bare: str  # no diacritics, lower case
    exact: str  # tone-unified, lower case
    acronym: bool = False
    free: bool = False  # diacritics unknown (a word put in by an abbreviation swap)


def _tokens(phrase: str) -> list[_Tok]:
    p = _Text(phrase)
    out = []
    for m in SYLLABLE_RE.finditer(p.t):
        word = m.group()
        out.append(
            _Tok(
                bare=p.f[m.start() : m.end()],
                exact=p.u[m.start() : m.end()],
                acronym=len(word) >= 2 and word.isupper(),
            )
        )
    return out


_WORD = r"[^\W_]"
_NAME_SEP = r"\s*"
_PHRASE_SEP = r"[\W_]+"


def _is_bare(word: str) -> bool:
    return strip_diacritics(word) == word


def _capitalised(word: str) -> bool:
    return word[:1].isupper()


# Capitalised words that introduce a person rather than belong to a longer proper noun.
_HONORIFICS = frozenset(
    {"ông", "bà", "anh", "chị", "em", "cô", "thầy", "chú", "bác", "dì", "cậu", "cháu", "tôi"}
)


def _adjacent_capitalised(p: _Text, start: int, end: int) -> bool:
    # A capitalised word right before or after (one space apart) means a longer proper noun
    # ("Chu Văn An", "Nguyễn An Ninh"), unless it is an honorific ("Ông Nguyễn An").
    before = re.search(r"([^\W_]+) $", p.t[max(0, start - 40) : start])
    after = re.match(r" ([^\W_]+)", p.t[end : end + 40])
    if before and _capitalised(before.group(1)):
        b0 = start - 1 - len(before.group(1))
        if p.u[b0 : start - 1] not in _HONORIFICS:
            return True
    return bool(after and _capitalised(after.group(1)))


def _word_ok(p: _Text, w: re.Match[str], tok: _Tok, loose: bool) -> bool:
    # Written with diacritics: they must be the identity's (tone placement aside).
    # Written without: the bare letters already matched.
    word = w.group()
    return loose or tok.free or _is_bare(word) or p.u[w.start() : w.end()] == tok.exact


def _find_sequence(
    p: _Text,
    toks: Sequence[_Tok],
    *,
    initials: bool = False,
    caps: str = "",
    lone: bool = False,
    sep: str = _NAME_SEP,
) -> list[tuple[int, int]]:
    """Occurrences of the token sequence in ``p`` that pass the diacritics and case rules.

    ``initials``: a word may be its capital initial ("N." or "N"); ``caps``: "" (any case),
    "any" (one word capitalised) or "all" (every word); ``lone``: not inside a longer proper noun.
    """
    if not toks:
        return []
    parts = []
    for tok in toks:
        alt = re.escape(tok.bare) + f"(?!{_WORD})"
        if initials and len(tok.bare) > 1:
            alt = f"(?:{alt}|{re.escape(tok.bare[0])}(?:\\.|(?!{_WORD})))"
        parts.append(alt)
    joiner = sep if (initials or sep != _NAME_SEP) else r"\s+"
    pattern = re.compile(f"(?<!{_WORD})" + joiner.join(parts))
    # Bare identities of fewer than three words must match the text's diacritics too.
    loose = len(toks) >= 3 and all(t.bare == t.exact for t in toks)
    found = []
    for m in pattern.finditer(p.f):
        words = list(SYLLABLE_RE.finditer(p.t, m.start(), m.end()))
        if len(words) != len(toks):
            continue
        n_initials = 0
        ok = True
        for w, tok in zip(words, toks, strict=True):
            word = w.group()
            if len(word) == 1 and len(tok.bare) > 1:
                n_initials += 1
                ok = word.isupper()
            elif tok.acronym and len(toks) == 1:
                ok = word.isupper()
            else:
                ok = _word_ok(p, w, tok, loose) and (caps != "all" or _capitalised(word))
            if not ok:
                break
        if not ok:
            continue
        if caps == "any" and not any(_capitalised(w.group()) for w in words):
            continue
        # All initials: "N.V.A." needs its dots and three letters; "N V A" or "L.N." is noise.
        all_initials = n_initials == len(toks)
        if all_initials and ("." not in p.t[m.start() : m.end()] or len(toks) < 3):
            continue
        if lone and _adjacent_capitalised(p, m.start(), m.end()):
            continue
        found.append((m.start(), m.end()))
    return found


def _name_spans(p: _Text, name: str) -> list[tuple[int, int]]:
    toks = _tokens(name)
    n = len(toks)
    if n == 0:
        return []
    if n == 1:
        return _find_sequence(p, toks, caps="all", lone=True)
    caps = "all" if n < 3 else ""
    found = _find_sequence(p, toks, initials=True, caps=caps)
    found += _find_sequence(p, [toks[-1], *toks[:-1]], initials=True, caps=caps)
    if n >= 3:
        found += _find_sequence(p, [toks[0], toks[-1]], caps="all", lone=True)
    if n >= 4:
        found += _find_sequence(p, toks[-2:], caps="all", lone=True)
        found += _find_sequence(p, [toks[0], *toks[-2:]], caps="all", lone=True)
    return found


def _term_spans(p: _Text, toks: Sequence[_Tok], *, proper: bool = True) -> list[tuple[int, int]]:
    """A pen name, unit or extra term, as a whole phrase.

    ``proper`` names (units, pen names) need a capital: on every word when short (and not inside
    a longer proper noun, so the pen name "Văn An" leaves "Chu Văn An" alone), on one word from
    three words up ("trường THPT Chu Văn An" yes, "công an huyện" in running text no).
    """
    if not toks:
        return []
    if len(toks) == 1:
        if toks[0].acronym:
            return _find_sequence(p, toks)
        return _find_sequence(p, toks, caps="all" if proper else "", lone=proper)
    short = len(toks) < 3
    caps = ("all" if short else "any") if proper else ""
    return _find_sequence(p, toks, sep=_PHRASE_SEP, caps=caps, lone=proper and short)


# Common Vietnamese organisation words and their abbreviations, in bare lower case.
_ABBREVIATIONS = (
    ("trung hoc pho thong", "thpt"),
    ("trung hoc co so", "thcs"),
    ("uy ban nhan dan", "ubnd"),
    ("hoi dong nhan dan", "hdnd"),
    ("mat tran to quoc", "mttq"),
    ("quan doi nhan dan", "qdnd"),
    ("cong an nhan dan", "cand"),
    ("dai hoc", "dh"),
    ("cao dang", "cd"),
    ("thanh pho", "tp"),
    ("trung tam", "tt"),
    ("cong ty co phan", "ctcp"),
    ("trach nhiem huu han", "tnhh"),
    ("ban chi huy quan su", "bchqs"),
)


def _swap(toks: list[_Tok], old: list[str], new: list[str], acronym: bool) -> list[_Tok] | None:
    bare = [t.bare for t in toks]
    for i in range(len(bare) - len(old) + 1):
        if bare[i : i + len(old)] == old:
            put = [_Tok(w, w, acronym=acronym, free=True) for w in new]
            return [*toks[:i], *put, *toks[i + len(old) :]]
    return None


def _unit_variants(unit: str) -> list[list[_Tok]]:
    """The unit, its first comma part when specific (3+ words), and abbreviation swaps."""
    unit = nfc(unit).strip()
    if not unit:
        return []
    bases = [_tokens(unit)]
    head = unit.split(",")[0].strip()
    if head != unit and len(_tokens(head)) >= 3:
        bases.append(_tokens(head))
    out: list[list[_Tok]] = []
    for toks in bases:
        out.append(toks)
        for long, short in _ABBREVIATIONS:
            swapped = _swap(toks, long.split(), [short], True) or _swap(
                toks, [short], long.split(), False
            )
            if swapped:
                out.append(swapped)
    return out


_ADDRESS_STOP = frozenset(
    {"so", "ngo", "ngach", "hem", "kiet", "duong", "pho", "phuong", "xa", "quan", "huyen"}
    | {"tinh", "tp", "thon", "ap", "to", "khu", "khom", "xom", "ban", "tt", "p", "q"}
)


def _address_spans(p: _Text, address: str) -> list[tuple[int, int]]:
    """Fuzzy: an in-order token alignment (rapidfuzz Indel) of the address against the text.

    Administrative words (phường, quận, số, ...) are dropped on both sides because people leave
    them out; at least 60% of the remaining address words must line up, and the house number,
    when the address has one, must be among them. Cost is bounded by the number of text words
    equal to an address word, each costing one short alignment.
    """
    needle = [t.bare for t in _tokens(address) if t.bare not in _ADDRESS_STOP]
    if len(needle) < 3:
        return []
    numbers = {t for t in needle if t.isdigit()}
    words = [m for m in SYLLABLE_RE.finditer(p.f) if m.group() not in _ADDRESS_STOP]
    hay = [m.group() for m in words]
    wanted = set(needle)
    need = max(3, math.ceil(0.6 * len(needle)))
    width = len(needle) + len(needle) // 2 + 2
    found = []
    i = 0
    while i < len(hay):
        if hay[i] not in wanted:
            i += 1
            continue
        window = hay[i : i + width]
        matched = [
            (b.dest_start, b.dest_end) for b in Indel.opcodes(needle, window) if b.tag == "equal"
        ]
        count = sum(b - a for a, b in matched)
        hit = {window[k] for a, b in matched for k in range(a, b)}
        if count >= need and (not numbers or numbers & hit):
            first, last = i + matched[0][0], i + matched[-1][1] - 1
            found.append((_grow_over_stop_words(p, words[first].start()), words[last].end()))
            i = last + 1
        else:
            i += 1
    return found


def _grow_over_stop_words(p: _Text, start: int) -> int:
    # "số 12, ngõ 34": the alignment starts at "12"; take the "số" before it too.
    while True:
        before = re.search(r"([^\W_]+)[ \t]+$", p.f[max(0, start - 20) : start])
        if not before or before.group(1) not in _ADDRESS_STOP:
            return start
        start -= len(before.group(0))


def _digits_pattern(digits: str) -> str:
    return r"[ .\-]?".join(re.escape(d) for d in digits)


def _phone_of_identity(p: _Text, phone: str) -> list[tuple[int, int]]:
    digits = re.sub(r"\D", "", phone)
    if digits.startswith("84") and len(digits) in (11, 12):
        digits = "0" + digits[2:]
    if len(digits) < 8:
        return []
    rest = _digits_pattern(digits[1:]) if digits.startswith("0") else _digits_pattern(digits)
    lead = r"(?:\(?\+?84\)?[ .\-]?|0)" if digits.startswith("0") else ""
    pattern = re.compile(rf"(?<![\w+]){lead}{rest}(?!\d)")
    return [m.span() for m in pattern.finditer(p.t)]


def _birth_date_spans(p: _Text, birth_date: str) -> list[tuple[int, int]]:
    """The exact birth date in numeric or "ngày .. tháng .. năm .." form; a bare year is too common."""
    iso = re.fullmatch(r"\s*(\d{4})-(\d{1,2})-(\d{1,2})\s*", birth_date)
    dmy = re.fullmatch(r"\s*(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})\s*", birth_date)
    if iso:
        year, month, day = iso.groups()
    elif dmy:
        day, month, year = dmy.groups()
    else:
        return []
    d, m = f"0?{int(day)}", f"0?{int(month)}"
    pattern = re.compile(
        rf"(?<!\d)(?:{d}\s*[/.\-]\s*{m}\s*[/.\-]\s*{year}"
        rf"|ngay\s+{d}\s+thang\s+{m}\s+nam\s+{year})(?!\d)"
    )
    return [mt.span() for mt in pattern.finditer(p.f)]


# --- generic detectors -----------------------------------------------------------------------

_PHONE_RUN = re.compile(
    r"(?<![\w+.,])(?:\(\+?\d{1,4}\)|\+?\d+)(?:(?:[ .\-]|(?=\())?(?:\(\d+\)|\d+))*"
)
_EMAIL = re.compile(
    r"(?<![\w.+\-])[\w.+\-]*\w(?:\s?@\s?|\s?[(\[]\s?(?:at|a còng)\s?[)\]]\s?)"
    r"[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}(?![\w\-])",
    re.IGNORECASE,
)
_ID12 = re.compile(r"(?<![\w.,])\d{12}(?![\w]|[.,]\d)")
_ID9 = re.compile(r"(?<![\w.,])\d{9}(?![\w]|[.,]\d)")
_PASSPORT = re.compile(r"(?<![\w])[A-Z]\d{7}(?!\w)")
# The keyword must come right before the number ("CMND số: 012345678"), not anywhere nearby.
_ID_CONTEXT = re.compile(
    r"(?<![^\W_])(cmnd|cmt|chung minh nhan dan|cccd|can cuoc cong dan|can cuoc|dinh danh"
    r"|ho chieu|passport)(\s*(so|:|/|-))*\s*$"
)


def _valid_phone_digits(digits: str, international: bool) -> bool:
    if digits.startswith("84") and (international or len(digits) in (11, 12)):
        digits = "0" + digits[2:]
    if not digits.startswith("0"):
        return False
    return (len(digits) == 10 and digits[1] in "35789") or (len(digits) == 11 and digits[1] == "2")


def _phone_spans(p: _Text) -> list[tuple[int, int]]:
    """Vietnamese mobile (10 digits) and landline (11 digits) numbers, local or +84.

    Digit groups may be joined by one space, dot or hyphen, the same one throughout, so dates
    such as "03.02.2024 15" are not read as phones.
    """
    found = []
    for run in _PHONE_RUN.finditer(p.t):
        groups = [
            (run.start() + g.start(), run.start() + g.end())
            for g in re.finditer(r"\d+", run.group())
        ]
        i = 0
        while i < len(groups):
            lead = groups[i][0]
            intl = p.t[lead - 1 : lead] == "+"
            best = None
            digits = ""
            seps: set[str] = set()
            for j in range(i, len(groups)):
                if j > i:
                    gap = p.t[groups[j - 1][1] : groups[j][0]]
                    # A gap with a parenthesis follows a country or area code: not counted.
                    if "(" not in gap and ")" not in gap:
                        seps.add(gap)
                    if len(seps) > 1:
                        break
                digits += p.t[groups[j][0] : groups[j][1]]
                if len(digits) > 12:
                    break
                if _valid_phone_digits(digits, intl):
                    best = j
            if best is None:
                i += 1
                continue
            start, end = lead, groups[best][1]
            while start > run.start() and p.t[start - 1] in "+(":
                start -= 1
            if p.t[start] == "(" and p.t[end : end + 1] == ")":
                end += 1
            found.append((start, end))
            i = best + 1
    return found


def _id_spans(p: _Text) -> list[tuple[int, int]]:
    """CCCD (12 digits starting with a province code 001-096), and 9-digit CMND or passport
    numbers only after a word such as "CMND" or "hộ chiếu" (a bare 9-digit number is too often
    a statistic)."""
    found = []
    for m in _ID12.finditer(p.t):
        code = int(m.group()[:3])
        if (m.group()[0] == "0" and 1 <= code <= 96) or _ID_CONTEXT.search(
            p.f[max(0, m.start() - 40) : m.start()]
        ):
            found.append(m.span())
    for rx in (_ID9, _PASSPORT):
        for m in rx.finditer(p.t):
            if _ID_CONTEXT.search(p.f[max(0, m.start() - 40) : m.start()]):
                found.append(m.span())
    return found


def _generic_spans(p: _Text) -> list[Span]:
    spans = [Span(a, b, "email") for a, b in (m.span() for m in _EMAIL.finditer(p.t))]
    spans += [Span(a, b, "phone") for a, b in _phone_spans(p)]
    spans += [Span(a, b, "id_number") for a, b in _id_spans(p)]
    return spans


def _identity_spans(p: _Text, identity: Identity) -> list[Span]:
    spans: list[Span] = []

    def add(found: Iterable[tuple[int, int]], kind: str) -> None:
        spans.extend(Span(a, b, kind) for a, b in found if b > a)

    if identity.full_name.strip():
        add(_name_spans(p, identity.full_name), "name")
    if identity.pen_name.strip():
        add(_term_spans(p, _tokens(identity.pen_name)), "pen_name")
    for variant in _unit_variants(identity.unit):
        add(_term_spans(p, variant), "unit")
    if identity.address.strip():
        add(_address_spans(p, identity.address), "address")
    if identity.phone.strip():
        add(_phone_of_identity(p, identity.phone), "phone")
    email = identity.email.strip()
    if email:
        add(
            (m.span() for m in re.finditer(re.escape(email.lower()), _lower_same_length(p.t))),
            "email",
        )
    digits = re.sub(r"\D", "", identity.id_number)
    if len(digits) >= 8:
        pattern = re.compile(rf"(?<!\d){_digits_pattern(digits)}(?!\d)")
        add((m.span() for m in pattern.finditer(p.t)), "id_number")
    if identity.birth_date.strip():
        add(_birth_date_spans(p, identity.birth_date), "other")
    return spans


def find_identity_spans(
    text: str,
    identities: Sequence[Identity],
    *,
    extra_terms: Iterable[str | tuple[str, str]] = (),
) -> list[Span]:
    """Spans of ``nfc(text)`` that reveal an author, merged, sorted and all ``source="auto"``.

    ``identities`` are the authors of the entry (co-authors included); phones, e-mails and ID
    numbers are found even without them. ``extra_terms`` are further phrases to hide, either a
    string (kind "other") or ``(phrase, kind)``, e.g. ``("CVA", "unit")`` for a unit's
    abbreviation. The position (chức vụ) is not searched: it is a common noun phrase.
    """
    return _spans_in(_Text(text), identities, extra_terms)


def _spans_in(
    p: _Text, identities: Sequence[Identity], extra_terms: Iterable[str | tuple[str, str]]
) -> list[Span]:
    spans = _generic_spans(p)
    for identity in identities:
        spans += _identity_spans(p, identity)
    for term in extra_terms:
        phrase, kind = (term, "other") if isinstance(term, str) else term
        if kind not in KINDS:
            raise SpanError("invalid_span", start=0, end=0, kind=kind, source="auto")
        # Typed with a capital: a proper noun; typed in lower case: any case.
        proper = any(c.isupper() for c in phrase)
        spans += [Span(a, b, kind) for a, b in _term_spans(p, _tokens(phrase), proper=proper)]
    return merge_spans(spans)


# --- screening signals -----------------------------------------------------------------------

_KIND_LABELS = {
    "vi": {
        "name": "họ tên",
        "pen_name": "bút danh",
        "unit": "đơn vị",
        "phone": "số điện thoại",
        "email": "địa chỉ email",
        "id_number": "số giấy tờ tùy thân",
        "address": "địa chỉ",
        "other": "thông tin cá nhân",
    },
    "en": {
        "name": "name",
        "pen_name": "pen name",
        "unit": "unit",
        "phone": "phone number",
        "email": "e-mail address",
        "id_number": "ID number",
        "address": "address",
        "other": "personal details",
    },
}

_SIGNALS: dict[str, dict[str, str]] = {
    "identity_heading": {
        "vi": 'Dòng "{label}" giống phần khai thông tin tác giả trong bài; thể lệ loại bài có '
        "thông tin tác giả: hãy kiểm tra.",
        "en": 'The line "{label}" looks like author details inside the work; the rules '
        "eliminate such entries: check it.",
    },
    "identity_in_text": {
        "vi": "Bài viết có {kind_label} của tác giả: hãy kiểm tra phần được ẩn và xem xét thể lệ.",
        "en": "The work contains the author's {kind_label}: check the redaction and the rules.",
    },
    "hidden_identity": {
        "vi": "Phần ẩn của tệp (chú thích, chữ ẩn, đầu/chân trang) có {kind_label}: "
        "hãy kiểm tra trước khi chuyển chấm.",
        "en": "A hidden part of the file (comments, hidden text, headers/footers) contains "
        "{kind_label}: check it before judging.",
    },
    "signature_block": {
        "vi": 'Cuối bài có phần ký tên ("{label}"): hãy kiểm tra, thể lệ loại bài có thông '
        "tin tác giả.",
        "en": 'The work ends with a signature block ("{label}"): check it; the rules eliminate '
        "entries with author details.",
    },
    "signature_date_line": {
        "vi": 'Cuối bài có dòng địa danh, ngày tháng ("{label}") như trước chữ ký: hãy kiểm tra.',
        "en": 'The work ends with a place-and-date line ("{label}") as before a signature: '
        "check it.",
    },
    "signature_name_line": {
        "vi": 'Dòng cuối "{label}" có thể là tên người viết: hãy kiểm tra.',
        "en": 'The last line "{label}" may be the writer\'s name: check it.',
    },
    "given_name_alone": {
        "vi": 'Tên gọi "{label}" của tác giả đứng riêng trong bài; không tự động ẩn vì quá '
        "phổ biến: hãy xem và ẩn thủ công nếu đó là tác giả.",
        "en": 'The author\'s given name "{label}" stands alone in the text; it is not hidden '
        "automatically because it is too common: look and hide it by hand if it is the author.",
    },
    "metadata_person": {
        "vi": 'Thuộc tính tệp "{key}" ghi "{value}"; thuộc tính không được chuyển cho giám '
        "khảo, nhưng hãy kiểm tra xem có phải tác giả.",
        "en": 'The file property "{key}" says "{value}"; properties never reach the judges, '
        "but check whether it names the author.",
    },
}


@dataclass(frozen=True)
class Signal:
    """A reason to look at an entry at screening.

    ``where`` is "text", "hidden:<i>" (``hidden_text[i]``) or "metadata:<key>"; ``start``/``end``
    are offsets into that NFC string (0, 0 for metadata). ``severity`` is "high" (author details
    are shown) or "review" (a person should look).
    """

    code: str
    start: int
    end: int
    severity: str = "high"
    where: str = "text"
    params: Mapping[str, str] = field(default_factory=dict)

    def message(self, lang: str = "vi") -> str:
        """Return the sentence for this signal in Vietnamese (default) or English (``"en"``)."""
        lang = "en" if lang.lower().startswith("en") else "vi"
        params = dict(self.params)
        if "kind" in params:
            params["kind_label"] = _KIND_LABELS[lang][params["kind"]]
        return _SIGNALS[self.code][lang].format(**params)


_HEADING_LABELS = (
    "ho va ten tac gia",
    "ho ten tac gia",
    "ten tac gia",
    "nhom tac gia",
    "dong tac gia",
    "ho va ten",
    "ho ten",
    "tac gia",
    "but danh",
    "don vi cong tac",
    "noi cong tac",
    "co quan cong tac",
    "don vi",
    "chuc vu",
    "dia chi lien he",
    "dia chi",
    "so dien thoai",
    "dien thoai",
    "dtdd",
    "sdt",
    "dt",
    "e-mail",
    "email",
    "thu dien tu",
    "so cccd",
    "cccd",
    "so cmnd",
    "cmnd",
    "can cuoc cong dan",
    "so dinh danh",
    "ngay thang nam sinh",
    "ngay sinh",
    "nam sinh",
    "so tai khoan",
    "stk",
)
_HEADING = re.compile(
    r"(?m)^[ \t>*•\-–+]*(?:\d{1,2}[.)]\s*)?("
    + "|".join(r"\s+".join(map(re.escape, lab.split())) for lab in _HEADING_LABELS)
    + r")\s*(?::|\.{2,}|…)"
)
_SIGN_CUE = re.compile(
    r"^\(?\s*(ky ten|ky, ghi ro ho ten|ky va ghi ro ho ten|ky|nguoi viet|nguoi thuc hien|"
    r"tac gia|nguoi du thi|thi sinh)(?![^\W_])"
)
_DATE_LINE = re.compile(r"^[^\W\d_][^,\n]{1,40},\s*ngay\s+\d{1,2}\s+thang\s+\d{1,2}\s+nam\s+\d{4}")


def _heading_signals(p: _Text, where: str) -> list[Signal]:
    code = "identity_heading" if where == "text" else "hidden_identity"
    out = []
    for m in _HEADING.finditer(p.f):
        label = p.t[m.start(1) : m.end(1)]
        params = {"label": label} if code == "identity_heading" else {"kind": "other"}
        out.append(Signal(code, m.start(1), m.end(), "high", where, params))
    return out


def _signature_signals(p: _Text) -> list[Signal]:
    """Look at the last five non-empty lines (within the last 600 characters)."""
    lines = []
    for m in re.finditer(r"[^\n]+", p.t):
        if m.group().strip():
            lines.append((m.start(), m.end()))
    tail = [(a, b) for a, b in lines[-5:] if b > len(p.t) - 600]
    out = []
    for a, b in tail:
        folded = p.f[a:b].strip()
        label = p.t[a:b].strip()
        if _SIGN_CUE.match(folded):
            out.append(Signal("signature_block", a, b, "high", "text", {"label": label}))
        elif _DATE_LINE.match(folded):
            out.append(Signal("signature_date_line", a, b, "review", "text", {"label": label}))
    if tail:
        a, b = tail[-1]
        words = p.t[a:b].split()
        if (
            2 <= len(words) <= 5
            and all(w.isalpha() and _capitalised(w) for w in words)
            and not any(s.start == a for s in out)
        ):
            out.append(
                Signal("signature_name_line", a, b, "review", "text", {"label": " ".join(words)})
            )
    return out


def given_name_signals(
    text: str, identities: Sequence[Identity], *, spans: Iterable[Span] = ()
) -> list[Signal]:
    """Capitalised lone occurrences of an author's given name, outside ``spans``.

    Skipped: occurrences inside a longer proper noun ("An Giang", "Chu Văn An") and at the start
    of a sentence before a lower-case word ("An ninh mạng ..."), which is how the name's
    ordinary-word homonyms usually appear.
    """
    return _given_name_signals_in(_Text(text), identities, spans)


def _given_name_signals_in(
    p: _Text, identities: Sequence[Identity], spans: Iterable[Span]
) -> list[Signal]:
    covered = merge_spans(spans)
    out = []
    for identity in identities:
        toks = _tokens(identity.full_name)
        if len(toks) < 2:
            continue
        for a, b in _find_sequence(p, toks[-1:], caps="all", lone=True):
            if any(s.start < b and a < s.end for s in covered):
                continue
            sentence_start = re.search(r"(^|[.!?:]\s*|\n\s*)$", p.t[max(0, a - 3) : a]) is not None
            nxt = re.match(r"\s+([^\W_]+)", p.t[b : b + 40])
            if sentence_start and nxt and nxt.group(1)[0].islower():
                continue
            out.append(Signal("given_name_alone", a, b, "review", "text", {"label": p.t[a:b]}))
    return sorted(out, key=lambda s: s.start)


_PERSON_KEYS = {"author", "creator", "lastmodifiedby", "manager", "company"}
_GENERIC_PEOPLE = {"", "admin", "administrator", "user", "windows user", "microsoft office user"}


def author_details_signals(
    text: str,
    hidden_text: Sequence[str] = (),
    metadata: Mapping[str, str] | None = None,
    *,
    identities: Sequence[Identity] = (),
    extra_terms: Iterable[str | tuple[str, str]] = (),
) -> list[Signal]:
    """Everything at screening that suggests the work carries author details.

    ``text`` is the visible text, ``hidden_text`` the parts judges never see but the file holds
    (comments, hidden runs, headers, footers), ``metadata`` the file properties. With
    ``identities`` the author's own details are looked for too; generic phones, e-mails and ID
    numbers are always looked for. Signals come sorted by place: text first, then hidden parts,
    then metadata.
    """
    extra_terms = list(extra_terms)
    p = _Text(text)
    spans = _spans_in(p, identities, extra_terms)
    out = _heading_signals(p, "text")
    out += [
        Signal("identity_in_text", s.start, s.end, "high", "text", {"kind": s.kind}) for s in spans
    ]
    out += _signature_signals(p)
    out += _given_name_signals_in(p, identities, spans)
    out.sort(key=lambda s: (s.start, s.end, s.code))
    for i, hidden in enumerate(hidden_text):
        where = f"hidden:{i}"
        hp = _Text(hidden)
        found = _heading_signals(hp, where)
        found += [
            Signal("hidden_identity", s.start, s.end, "high", where, {"kind": s.kind})
            for s in _spans_in(hp, identities, extra_terms)
        ]
        out += sorted(found, key=lambda s: (s.start, s.end))
    names = {" ".join(t.bare for t in _tokens(i.full_name)) for i in identities}
    for key, value in (metadata or {}).items():
        norm_key = re.sub(r"[^a-z]", "", str(key).lower())
        shown = " ".join(str(value).split())
        if norm_key not in _PERSON_KEYS or shown.lower() in _GENERIC_PEOPLE:
            continue
        bare = " ".join(t.bare for t in _tokens(shown))
        severity = "high" if bare and any(n and n in bare for n in names) else "review"
        out.append(
            Signal(
                "metadata_person", 0, 0, severity, f"metadata:{key}", {"key": key, "value": shown}
            )
        )
    return out
