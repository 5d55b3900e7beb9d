"""Normalisation for matching: what makes two syllables "the same" when looking for copies.

Design: a syllable is matched on its *key*, the case-folded syllable with every diacritic
removed (so "Hòa", "hoà", "HOA", "hoa" and the NFD spelling all share one key). One key stream
handles NFC/NFD, both tone-mark placements, case and copies whose accents were stripped; the
price is that syllables differing only by tone collide, which runs of 8+ syllables (the shortest
passage reported) make harmless. Punctuation and spacing are not syllables, so they never count.

Each key gets a stable 64-bit id (BLAKE2b of its UTF-8 bytes, never Python's salted ``hash``),
cached per raw token so the hashing runs once per distinct spelling, not once per syllable.
"""

from __future__ import annotations

from dataclasses import dataclass
from hashlib import blake2b

import numpy as np

from contest.vntext import SYLLABLE_RE, nfc, strip_diacritics, unify_tone_marks

__all__ = ["Tokens", "fold", "match_key", "syllable_id", "syllable_ids", "tokenise"]

_CACHE_LIMIT = 2_000_000  # distinct raw tokens; real Vietnamese has a few tens of thousands


def match_key(syllable: str) -> str:
    """Return the matching key of one syllable: no diacritics, case-folded ("Thủy" -> "thuy")."""
    return strip_diacritics(syllable).casefold()


def fold(text: str) -> str:
    """Return ``text`` in NFC, one tone-mark style (hòa) and case-folded, diacritics kept.

    This is the accented normal form (for display and comparisons by people); matching itself
    uses :func:`match_key`, which also forgets the diacritics.
    """
    return unify_tone_marks(text).casefold()


class _IdCache(dict):
    """Raw token -> stable id; computes on first sight (dict lookups are the hot path)."""

    def __missing__(self, token: str) -> int:
        if len(self) > _CACHE_LIMIT:
            self.clear()
        value = syllable_id(token)
        self[token] = value
        return value


_IDS = _IdCache()


def syllable_id(syllable: str) -> int:
    """Return the stable 64-bit id of a syllable's key (same in every process and machine)."""
    digest = blake2b(match_key(syllable).encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "little")


def syllable_ids(text: str) -> np.ndarray:
    """Return the ids (uint64) of the syllables of ``text`` (any normal form), without spans."""
    tokens = SYLLABLE_RE.findall(nfc(text))
    return np.fromiter(map(_IDS.__getitem__, tokens), dtype=np.uint64, count=len(tokens))


@dataclass(frozen=True)
class Tokens:
    """A text in NFC with its syllable ids and each syllable's span ``text[starts[i]:ends[i]]``."""

    text: str
    ids: np.ndarray
    starts: np.ndarray
    ends: np.ndarray

    def __len__(self) -> int:
        return len(self.ids)


def tokenise(text: str) -> Tokens:
    """Return the syllables of ``nfc(text)`` with ids and character spans (for alignment)."""
    text = nfc(text)
    tokens = SYLLABLE_RE.findall(text)
    n = len(tokens)
    ids = np.fromiter(map(_IDS.__getitem__, tokens), dtype=np.uint64, count=n)
    # Offsets without a Python loop: the text is gap, syllable, gap, ..., syllable, gap.
    gaps = np.fromiter(map(len, SYLLABLE_RE.split(text)), dtype=np.int64, count=n + 1)
    sizes = np.fromiter(map(len, tokens), dtype=np.int64, count=n)
    ends = np.cumsum(gaps[:n] + sizes)
    return Tokens(text, ids, ends - sizes, ends)
