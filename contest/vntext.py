"""Small, pure helpers for Vietnamese text shared by extraction, anonymisation and similarity.

One place for each rule: how text is put in NFC, how diacritics are stripped.
"""

from __future__ import annotations

import unicodedata

__all__ = ["nfc", "strip_diacritics"]


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
