"""Verification and alignment of one pair of documents on syllable ids (rapidfuzz LCSseq).

A single LCS over two whole essays routes around short passages that sit at different places
in the two texts (the LCS prefers many chance matches along the diagonal). So alignment is
local: exact 5-syllable shingles shared by both texts give seeds; seeds on the same diagonal
and close together form a window; rapidfuzz aligns each window; the matching runs are merged.
Reordered sentences simply give windows on different diagonals. A passage counts only if it
holds at least ``min_rare`` shared shingles that are uncommon in the corpus: two essays that
share only the genre's stock phrases share no passage.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
from rapidfuzz.distance import LCSseq

from contest.similarity.fingerprint import shingles

__all__ = ["Block", "align", "coverage", "quote_mask"]


@dataclass(frozen=True)
class Block:
    """A matched passage in syllable indices: a[a_start:a_end] ~ b[b_start:b_end]."""

    a_start: int
    a_end: int
    b_start: int
    b_end: int
    matched: int  # syllables exactly equal inside the passage (<= both lengths)


def _merge(raw: list[tuple[int, int, int]], max_gap: int, seed: int) -> list[Block]:
    """Merge runs close in both texts; keep only passages holding one exact run >= ``seed``.

    Requiring one long exact run stops chains of short chance runs (stock phrases of the
    genre) from being reported as passages. Runs found twice by overlapping windows merge.
    """
    out: list[Block] = []
    longest: list[int] = []
    for a, b, size in sorted(set(raw)):
        if out:
            last = out[-1]
            if (
                last.a_start <= a <= last.a_end + max_gap
                and last.b_start <= b <= last.b_end + max_gap
            ):
                out[-1] = Block(
                    last.a_start,
                    max(last.a_end, a + size),
                    last.b_start,
                    max(last.b_end, b + size),
                    last.matched + max(0, a + size - max(a, last.a_end)),
                )
                longest[-1] = max(longest[-1], size)
                continue
        out.append(Block(a, a + size, b, b + size, size))
        longest.append(size)
    return [p for p, top in zip(out, longest, strict=True) if top >= seed]


def _near(p: Block, q: Block, bridge: int, slack: int) -> bool:
    """Does q follow p closely in both texts, on about the same diagonal?"""
    return (
        0 <= q.a_start - p.a_end <= bridge
        and 0 <= q.b_start - p.b_end <= bridge
        and abs((q.b_start - q.a_start) - (p.b_start - p.a_start)) <= slack
    )


def _extend(found: list[Block], keep: list[bool], bridge: int, slack: int) -> None:
    """Keep a stock-phrase passage that continues a copied one (copying runs through them),
    or that sits within copied text in both texts (reordered sentences).

    ``found`` is sorted by position in a; ``keep`` is updated in place, both directions.
    """
    for i in range(1, len(found)):
        if keep[i - 1] and not keep[i] and _near(found[i - 1], found[i], bridge, slack):
            keep[i] = True
    for i in range(len(found) - 2, -1, -1):
        if keep[i + 1] and not keep[i] and _near(found[i], found[i + 1], bridge, slack):
            keep[i] = True
    # Reordered sentences: a stock passage lying within copied text in *both* texts.
    kept = [p for p, k in zip(found, keep, strict=True) if k]
    for i, p in enumerate(found):
        if not keep[i]:
            near_a = any(
                q.a_start - bridge <= p.a_end and p.a_start <= q.a_end + bridge for q in kept
            )
            near_b = any(
                q.b_start - bridge <= p.b_end and p.b_start <= q.b_end + bridge for q in kept
            )
            keep[i] = near_a and near_b


def _seeds(a_ids: np.ndarray, b_ids: np.ndarray, k: int, max_hits: int) -> np.ndarray:
    """Return (i, j) pairs where the k-shingle at a[i] equals the one at b[j], as an array."""
    ha, hb = shingles(a_ids, k), shingles(b_ids, k)
    if not len(ha) or not len(hb):
        return np.empty((0, 2), dtype=np.int64)
    order = np.argsort(hb, kind="stable")
    sb = hb[order]
    lo = np.searchsorted(sb, ha, "left")
    # A shingle repeated many times in b (a text of one repeated sentence) keeps a few hits.
    hi = np.minimum(np.searchsorted(sb, ha, "right"), lo + max_hits)
    counts = hi - lo
    i = np.repeat(np.arange(len(ha)), counts)
    offs = np.repeat(lo - np.cumsum(counts) + counts, counts) + np.arange(int(counts.sum()))
    return np.stack([i, order[offs]], axis=1)


def align(
    a_ids: np.ndarray,
    b_ids: np.ndarray,
    *,
    min_block: int = 3,
    max_gap: int = 3,
    min_passage: int = 8,
    shingle: int = 5,
    max_hits: int = 8,
    pad: int = 12,
    rare: np.ndarray | None = None,
    min_rare: int = 1,
    max_windows: int = 4000,
) -> list[Block]:
    """Return the passages shared by two id sequences, sorted by position in ``a``.

    Exact runs shorter than ``min_block`` are ignored (chance agreement on common syllables);
    runs separated by at most ``max_gap`` syllables on both sides are merged (light edits);
    a merged passage is kept only if one exact run in it has at least ``min_passage`` syllables
    and it contains ``min_rare`` shared shingles whose start ``i`` has ``rare[i]`` true (``rare``
    None: every shingle is uncommon). At most ``max_windows`` windows, the densest, are aligned.
    """
    seeds = _seeds(a_ids, b_ids, shingle, max_hits)
    if not len(seeds):
        return []
    diag = seeds[:, 1] - seeds[:, 0]
    order = np.lexsort((seeds[:, 0], diag))
    seeds, diag = seeds[order], diag[order]
    # A new window starts at a new diagonal or after a stretch without seeds.
    cut = np.r_[True, (diag[1:] != diag[:-1]) | (np.diff(seeds[:, 0]) > 2 * shingle + max_gap)]
    starts = np.flatnonzero(cut)
    ends = np.r_[starts[1:], len(seeds)]
    if len(starts) > max_windows:  # a huge text: align the windows with the most seeds
        top = np.sort(np.argsort(starts - ends, kind="stable")[:max_windows])
        starts, ends = starts[top], ends[top]
    a_list, b_list = a_ids.tolist(), b_ids.tolist()
    raw: list[tuple[int, int, int]] = []
    for s, e in zip(starts.tolist(), ends.tolist(), strict=True):
        i0, i1 = int(seeds[s, 0]), int(seeds[e - 1, 0]) + shingle
        d = int(diag[s])
        a0, a1 = max(0, i0 - pad), min(len(a_list), i1 + pad)
        b0, b1 = max(0, i0 + d - pad), min(len(b_list), i1 + d + pad)
        for m in LCSseq.opcodes(a_list[a0:a1], b_list[b0:b1]).as_matching_blocks():
            if m.size >= min_block:
                raw.append((a0 + m.a, b0 + m.b, m.size))
    found = _merge(raw, max_gap, min_passage)
    if rare is not None and found:
        found.sort(key=lambda p: (p.a_start, p.b_start))
        hits = np.unique(seeds[rare[seeds[:, 0]], 0])
        keep = [
            int(np.searchsorted(hits, p.a_end - shingle, "right"))
            - int(np.searchsorted(hits, p.a_start, "left"))
            >= min_rare
            for p in found
        ]
        _extend(found, keep, 6 * shingle, max_gap)
        found = [p for p, k in zip(found, keep, strict=True) if k]
    found.sort(key=lambda p: (p.a_start, p.b_start))
    return found


def coverage(spans: list[tuple[int, int]], length: int) -> int:
    """Return how many of ``length`` positions lie in the union of half-open ``spans``."""
    if not spans or length <= 0:
        return 0
    mask = np.zeros(length + 1, dtype=np.int32)
    for s, e in spans:
        mask[s] += 1
        mask[e] -= 1
    return int(np.count_nonzero(np.cumsum(mask)[:length]))


_QUOTE_RE = re.compile(r"“[^”]*”|«[^»]*»|\"[^\"]*\"|‘[^’]*’|„[^“”]*[“”]")


def quote_mask(text: str, starts: np.ndarray) -> np.ndarray:
    """Return, per syllable (by start offset), whether it lies inside quotation marks in ``text``.

    Recognised pairs: “…”, «…», "…", ‘…’ and „…“; an unclosed mark quotes nothing.
    """
    inside = np.zeros(len(starts), dtype=bool)
    for m in _QUOTE_RE.finditer(text):
        lo = np.searchsorted(starts, m.start(), "left")
        hi = np.searchsorted(starts, m.end(), "left")
        inside[lo:hi] = True
    return inside
