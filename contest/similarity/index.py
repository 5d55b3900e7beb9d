"""The fingerprint index: sampled shingle postings of entries, full shingles of references.

Postings live in two numpy arrays sorted by hash (hash, document slot), so a lookup is a
binary search and a whole-corpus self-join is a sort plus a scan: cost close to linear in the
corpus (MEASURED.md: a dict of lists is 10x slower and 4x bigger). New documents go to a small
pending run that is merged in when it grows; removed documents are masked, then compacted.
A document-frequency table counts, for *every* shingle (not only the sampled ones), how many
entries hold it: 2**df_bits saturating counters addressed by the hash's high bits (a one-row
count-min sketch; collisions only over-count, by about distinct shingles / table size, i.e. a
few units at 100,000 essays against a limit of 50). Shingles above ``Config.common_limit``
(stock phrases of the genre, passages many entries quote) neither make candidates nor count,
alone, as a copied passage.
"""

from __future__ import annotations

import io
import json
import zipfile
import zlib
from dataclasses import asdict, dataclass
from typing import NamedTuple

import numpy as np

from contest.similarity.fingerprint import sample, shingles
from contest.similarity.model import Config, Doc, IndexFormatError
from contest.vntext import nfc

from .normalise import syllable_ids

__all__ = ["Fingerprint", "Prepared", "SimilarityIndex", "fingerprint"]

_FORMAT = 2
_SATURATED = np.iinfo(np.uint16).max
_EMPTY_H = np.empty(0, dtype=np.uint64)
_EMPTY_I = np.empty(0, dtype=np.int64)


@dataclass(frozen=True)
class Fingerprint:
    """A text's NFC form, syllable count, unique shingle hashes and the sampled subset."""

    text: str
    words: int
    shingles: np.ndarray
    sampled: np.ndarray


def fingerprint(text: str, config: Config) -> Fingerprint:
    """Return the fingerprint of ``text`` under ``config`` (shingle length and sampling)."""
    text = nfc(text)
    ids = syllable_ids(text)
    uniq = _sorted_unique(shingles(ids, config.shingle))
    return Fingerprint(text, len(ids), uniq, uniq[sample(uniq, config.sample)])


class Prepared(NamedTuple):
    """An entry ready to insert: compressed text, syllables, sampled postings, counted
    document-frequency buckets and reference hits (the last three None for a short text)."""

    blob: bytes
    words: int
    sampled: np.ndarray | None
    buckets: np.ndarray | None
    hits: np.ndarray | None


def _sorted_unique(values: np.ndarray) -> np.ndarray:
    """np.unique for short arrays: a plain sort and a neighbour test (no hash table)."""
    values = np.sort(values)
    return values[np.r_[True, values[1:] != values[:-1]]] if len(values) else values


def _expand(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Concatenate the index ranges [lo[i], hi[i]) without a Python loop."""
    lengths = hi - lo
    total = int(lengths.sum())
    if total == 0:
        return _EMPTY_I
    offsets = np.repeat(lo - np.cumsum(lengths) + lengths, lengths)
    return offsets + np.arange(total)


class SimilarityIndex:
    """Entries and references, fingerprinted, for candidate search and later verification.

    Texts are kept zlib-compressed (NFC) so passages can be aligned and reported with offsets
    without the caller keeping every text in memory.
    """

    def __init__(self, config: Config = Config()) -> None:
        self.config = config
        self._names: list[str | None] = []
        self._slot: dict[str, int] = {}
        self._texts: list[bytes | None] = []
        self._words: list[int] = []
        self._cats: list[str | None] = []
        self._alive = np.zeros(0, dtype=bool)
        self._h, self._d = _EMPTY_H, _EMPTY_I
        self._ph: list[np.ndarray] = []
        self._pd: list[np.ndarray] = []
        self._pending = 0
        self._pending_sorted: tuple[np.ndarray, np.ndarray] | None = None
        self._dead = 0
        self._ref_names: list[str] = []
        self._ref_texts: list[bytes] = []
        self._ref_words: list[int] = []
        self._rh, self._rr, self._rdf = _EMPTY_H, _EMPTY_I, _EMPTY_I
        self._refhits: list[np.ndarray | None] = []
        self._shift = np.uint64(64 - config.df_bits)
        self._df = np.zeros(1 << config.df_bits, dtype=np.uint16)  # calloc: pages on first use
        self._df_pending: list[np.ndarray] = []
        self._df_pending_n = 0

    # --- document frequency ----------------------------------------------------------------

    def _buckets(self, hashes: np.ndarray) -> np.ndarray:
        hashes = hashes[sample(hashes, self.config.df_sample)]
        b = (hashes >> self._shift).astype(np.int64)
        return _sorted_unique(b)  # one count per document even if two shingles share a counter

    def _add_buckets(self, b: np.ndarray) -> None:
        # Additions are batched: one sorted pass over many documents' counters touches the
        # table in address order, instead of hundreds of cache misses per document.
        self._df_pending.append(b)
        self._df_pending_n += len(b)
        if self._df_pending_n > 4_000_000:
            self._flush_df()

    def _uncount(self, hashes: np.ndarray) -> None:
        self._flush_df()
        b = self._buckets(hashes)
        cur = self._df[b]  # a saturated counter no longer knows its count: it stays saturated
        self._df[b] = np.where((cur > 0) & (cur < _SATURATED), cur - 1, cur)

    def _flush_df(self) -> None:
        if not self._df_pending:
            return
        b = np.sort(np.concatenate(self._df_pending))
        self._df_pending, self._df_pending_n = [], 0
        starts = np.flatnonzero(np.r_[True, b[1:] != b[:-1]])
        counts = np.diff(np.r_[starts, len(b)])
        at = b[starts]
        self._df[at] = np.minimum(self._df[at] + counts, _SATURATED)

    def df(self, hashes: np.ndarray) -> np.ndarray:
        """Return, per shingle hash, how many indexed entries hold it (an upper bound).

        Only shingles kept by ``sample(hashes, config.df_sample)`` are counted; the value
        returned for the others means nothing (see :meth:`assessed`).
        """
        self._flush_df()
        return self._df[(hashes >> self._shift).astype(np.int64)]

    def assessed(self, hashes: np.ndarray) -> np.ndarray:
        """Return a mask of the shingles whose document frequency is counted."""
        return sample(hashes, self.config.df_sample)

    def common_limit(self, extra: int = 0) -> int:
        """Return the uncommon-shingle limit for this index (plus ``extra`` entries)."""
        return self.config.common_limit(len(self._slot) + extra)

    # --- entries ---------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._slot)

    def __contains__(self, name: object) -> bool:
        return name in self._slot

    def names(self) -> list[str]:
        """Return the names of the entries in the index, in the order they were added."""
        return [n for s, n in enumerate(self._names) if n is not None and self._slot.get(n) == s]

    def add(self, doc: Doc, fp: Fingerprint | None = None) -> None:
        """Add an entry; an entry with the same name is replaced (a resubmitted essay).

        Texts shorter than ``config.min_syllables`` are kept (reported) but not indexed.
        """
        self.insert(doc, self.prepare(fp or fingerprint(doc.text, self.config)))

    def prepare(self, fp: Fingerprint) -> Prepared:
        """Return what :meth:`insert` needs of a fingerprint; reads only the config and the
        references, so worker processes forked after the references were added can run it.
        """
        blob = zlib.compress(fp.text.encode("utf-8"), 1)
        if fp.words < self.config.min_syllables:
            return Prepared(blob, fp.words, None, None, None)
        # int32: one entry holds hundreds of reference hits (stock phrases), 100,000 entries
        # would keep 0.8 GB of them as int64.
        hits = self._ref_postings(fp.shingles).astype(np.int32)
        return Prepared(blob, fp.words, fp.sampled, self._buckets(fp.shingles), hits)

    def insert(self, doc: Doc, prep: Prepared) -> None:
        """Add an entry from :meth:`prepare` output (``doc.text`` is not read again)."""
        if doc.name in self._slot:
            self.remove(doc.name)
        slot = len(self._names)
        self._names.append(doc.name)
        self._slot[doc.name] = slot
        self._texts.append(prep.blob)
        self._words.append(prep.words)
        self._cats.append(doc.category)
        if slot >= len(self._alive):
            grown = np.zeros(max(64, 2 * len(self._alive)), dtype=bool)
            grown[: len(self._alive)] = self._alive
            self._alive = grown
        self._alive[slot] = True
        if prep.sampled is None:
            self._refhits.append(None)
            return
        self._add_buckets(prep.buckets)
        self._ph.append(prep.sampled)
        self._pd.append(np.full(len(prep.sampled), slot, dtype=np.int64))
        self._pending += len(prep.sampled)
        self._pending_sorted = None
        np.add.at(self._rdf, prep.hits, 1)
        self._refhits.append(prep.hits)
        if self._pending > max(200_000, len(self._h) // 8):
            self._consolidate()

    def remove(self, name: str) -> None:
        """Remove an entry by name (no error if absent); its postings are masked at once."""
        slot = self._slot.pop(name, None)
        if slot is None:
            return
        self._alive[slot] = False
        blob = self._texts[slot]
        self._texts[slot] = None
        hits = self._refhits[slot]
        if hits is not None:
            np.subtract.at(self._rdf, hits, 1)
            self._uncount(fingerprint(zlib.decompress(blob).decode("utf-8"), self.config).shingles)
        self._refhits[slot] = None
        self._dead += 1
        if self._dead > max(64, len(self._slot) // 4):
            self._consolidate()

    def prepare_shared(self) -> None:
        """Merge pending postings and counts now, so that reads never write (forked workers
        then share every page with the parent instead of each copying and merging)."""
        self._consolidate()
        self._flush_df()

    def _consolidate(self) -> None:
        # A merge, not a sort of everything: the pending run is small, and its slots are newer
        # than every consolidated one, so among equal hashes it goes last (order (hash, slot)).
        h, d = self._h, self._d
        keep = self._alive[d]
        if not keep.all():
            h, d = h[keep], d[keep]
        if self._ph:
            ph, pd = np.concatenate(self._ph), np.concatenate(self._pd)
            keep = self._alive[pd]
            ph, pd = ph[keep], pd[keep]
            order = np.lexsort((pd, ph))
            ph, pd = ph[order], pd[order]
            at = np.searchsorted(h, ph, "right") + np.arange(len(ph))
            old = np.ones(len(h) + len(ph), dtype=bool)
            old[at] = False
            mh, md = np.empty(len(old), dtype=h.dtype), np.empty(len(old), dtype=np.int64)
            mh[at], md[at] = ph, pd
            mh[old], md[old] = h, d
            h, d = mh, md
        self._h, self._d = h, d
        self._ph, self._pd, self._pending, self._pending_sorted = [], [], 0, None
        self._dead = 0

    def _runs(self) -> list[tuple[np.ndarray, np.ndarray]]:
        if self._pending and self._pending_sorted is None:
            h, d = np.concatenate(self._ph), np.concatenate(self._pd)
            order = np.argsort(h, kind="stable")
            self._pending_sorted = (h[order], d[order])
        runs = [(self._h, self._d)]
        if self._pending_sorted is not None:
            runs.append(self._pending_sorted)
        return runs

    def text(self, name: str) -> str:
        """Return the stored NFC text of an entry (KeyError if absent)."""
        blob = self._texts[self._slot[name]]
        return zlib.decompress(blob).decode("utf-8") if blob is not None else ""

    def words(self, name: str) -> int:
        """Return the syllable count of an entry."""
        return self._words[self._slot[name]]

    def category(self, name: str) -> str | None:
        """Return the category of an entry."""
        return self._cats[self._slot[name]]

    def candidates(self, fp: Fingerprint, *, exclude: str | None = None) -> list[tuple[str, int]]:
        """Return entries sharing at least ``min_shared`` uncommon sampled shingles with ``fp``.

        Each as (name, shared count), most shared first; ``exclude`` names an entry to skip.
        """
        if fp.words < self.config.min_syllables:
            return []
        runs = self._runs()
        dfs = np.zeros(len(fp.sampled), dtype=np.int64)
        bounds = []
        for h, _ in runs:
            lo = np.searchsorted(h, fp.sampled, "left")
            hi = np.searchsorted(h, fp.sampled, "right")
            dfs += hi - lo
            bounds.append((lo, hi))
        rare = dfs + 1 <= self.common_limit(1)  # +1: the query itself would be one more
        found = [
            d[_expand(lo[rare], hi[rare])] for (_, d), (lo, hi) in zip(runs, bounds, strict=True)
        ]
        docs = np.concatenate(found) if found else _EMPTY_I
        docs = docs[self._alive[docs]]
        skip = self._slot.get(exclude) if exclude is not None else None
        if skip is not None:
            docs = docs[docs != skip]
        slots, counts = np.unique(docs, return_counts=True)
        keep = counts >= self.config.min_shared
        out = [(self._names[s], int(c)) for s, c in zip(slots[keep], counts[keep], strict=True)]
        out.sort(key=lambda x: (-x[1], x[0]))
        return out

    def candidate_pairs(self) -> list[tuple[str, str, int]]:
        """Return every pair of entries worth verifying: (a, b, shared sampled shingles).

        A self-join of the postings: for each rare shingle (2..max_df entries) all its pairs,
        then pairs counted; ``a`` is the entry added first.
        """
        self._consolidate()
        h, d = self._h, self._d
        if len(h) < 2:
            return []
        starts = np.flatnonzero(np.r_[True, h[1:] != h[:-1]])
        sizes = np.diff(np.r_[starts, len(h)])
        group = np.repeat(np.arange(len(starts)), sizes)
        limit = self.common_limit()
        keep = ((sizes >= 2) & (sizes <= limit))[group]
        d, group = d[keep], group[keep]
        n = np.int64(len(self._names))
        keys = []
        for off in range(1, limit):
            if off >= len(d):
                break
            same = group[off:] == group[:-off]
            if not same.any():
                break
            x, y = d[:-off][same], d[off:][same]
            keys.append(np.minimum(x, y) * n + np.maximum(x, y))
        if not keys:
            return []
        uniq, counts = np.unique(np.concatenate(keys), return_counts=True)
        sel = counts >= self.config.min_shared
        a, b = np.divmod(uniq[sel], n)
        return [
            (self._names[i], self._names[j], int(c))
            for i, j, c in zip(a.tolist(), b.tolist(), counts[sel].tolist(), strict=True)
        ]

    # --- references ------------------------------------------------------------------------

    def add_reference(self, doc: Doc) -> None:
        """Add a reference text (Party documents, the source article); replaces a same name.

        References are indexed on every shingle, since quotations from them are short. Adding
        one to an index that already holds entries re-reads the stored entries once.
        """
        if doc.name in self._ref_names:
            i = self._ref_names.index(doc.name)
            del self._ref_names[i], self._ref_texts[i], self._ref_words[i]
        fp = fingerprint(doc.text, self.config)
        self._ref_names.append(doc.name)
        self._ref_texts.append(zlib.compress(fp.text.encode("utf-8"), 1))
        self._ref_words.append(fp.words)
        self._rebuild_references()

    def _rebuild_references(self) -> None:
        hs, rs = [], []
        for i, blob in enumerate(self._ref_texts):
            fp = fingerprint(zlib.decompress(blob).decode("utf-8"), self.config)
            hs.append(fp.shingles)
            rs.append(np.full(len(fp.shingles), i, dtype=np.int64))
        h = np.concatenate(hs) if hs else _EMPTY_H
        r = np.concatenate(rs) if rs else _EMPTY_I
        order = np.lexsort((r, h))
        self._rh, self._rr = h[order], r[order]
        self._rdf = np.zeros(len(self._rh), dtype=np.int64)
        for slot, name in enumerate(self._names):
            if self._refhits[slot] is None or self._slot.get(name) != slot:
                continue
            fp = fingerprint(self.text(name), self.config)
            hits = self._ref_postings(fp.shingles).astype(np.int32)
            np.add.at(self._rdf, hits, 1)
            self._refhits[slot] = hits

    def _ref_postings(self, hashes: np.ndarray) -> np.ndarray:
        if not len(self._rh):
            return _EMPTY_I
        lo = np.searchsorted(self._rh, hashes, "left")
        hi = np.searchsorted(self._rh, hashes, "right")
        return _expand(lo, hi)

    def reference_names(self) -> list[str]:
        """Return the names of the reference texts."""
        return list(self._ref_names)

    def reference_text(self, name: str) -> str:
        """Return the stored NFC text of a reference."""
        return zlib.decompress(self._ref_texts[self._ref_names.index(name)]).decode("utf-8")

    def reference_words(self, name: str) -> int:
        """Return the syllable count of a reference."""
        return self._ref_words[self._ref_names.index(name)]

    def _ref_count(self, hits: np.ndarray, extra: int) -> list[tuple[str, int]]:
        hits = hits[self._rdf[hits] + extra <= self.config.ref_limit(len(self._slot) + extra)]
        refs, counts = np.unique(self._rr[hits], return_counts=True)
        keep = counts >= self.config.min_shared_ref
        return [(self._ref_names[r], int(c)) for r, c in zip(refs[keep], counts[keep], strict=True)]

    def reference_candidates(self, fp: Fingerprint) -> list[tuple[str, int]]:
        """Return references sharing at least ``min_shared_ref`` uncommon shingles with ``fp``."""
        if fp.words < self.config.min_syllables:
            return []
        return self._ref_count(self._ref_postings(fp.shingles), 1)

    def reference_pairs(self) -> list[tuple[str, str, int]]:
        """Return (entry, reference, shared shingles) for every indexed entry worth verifying."""
        out = []
        for slot, hits in enumerate(self._refhits):
            if hits is None or not self._alive[slot]:
                continue
            name = self._names[slot]
            out.extend((name, ref, c) for ref, c in self._ref_count(hits, 0))
        return out

    # --- persistence -----------------------------------------------------------------------

    def to_bytes(self) -> bytes:
        """Serialise the index (config, entries, texts, postings, references) to bytes."""
        self._consolidate()
        self._flush_df()
        live = [s for s, n in enumerate(self._names) if n is not None and self._slot.get(n) == s]
        remap = np.full(len(self._names) + 1, -1, dtype=np.int64)
        remap[live] = np.arange(len(live))
        texts = [self._texts[s] or b"" for s in live]
        hits = [self._refhits[s] for s in live]
        meta = {
            "format": _FORMAT,
            "config": asdict(self.config),
            "names": [self._names[s] for s in live],
            "cats": [self._cats[s] for s in live],
            "ref_names": self._ref_names,
        }
        buf = io.BytesIO()
        np.savez(
            buf,
            meta=np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8),
            words=np.array([self._words[s] for s in live], dtype=np.int64),
            texts=np.frombuffer(b"".join(texts), dtype=np.uint8),
            text_len=np.array([len(t) for t in texts], dtype=np.int64),
            h=self._h,
            d=remap[self._d],
            indexed=np.array([h is not None for h in hits], dtype=bool),
            hits=np.concatenate([h for h in hits if h is not None] or [_EMPTY_I]),
            hit_len=np.array([len(h) if h is not None else 0 for h in hits], dtype=np.int64),
            ref_texts=np.frombuffer(b"".join(self._ref_texts), dtype=np.uint8),
            ref_len=np.array([len(t) for t in self._ref_texts], dtype=np.int64),
            ref_words=np.array(self._ref_words, dtype=np.int64),
            rh=self._rh,
            rr=self._rr,
            rdf=self._rdf,
            df_at=np.flatnonzero(self._df).astype(np.uint32),
            df_val=self._df[self._df > 0],
        )
        return buf.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> SimilarityIndex:
        """Rebuild an index from :meth:`to_bytes` output; IndexFormatError if unreadable."""
        try:
            z = np.load(io.BytesIO(data), allow_pickle=False)
            meta = json.loads(z["meta"].tobytes().decode("utf-8"))
            if meta.get("format") != _FORMAT:
                raise IndexFormatError(reason=f"format {meta.get('format')}")
            cfg = meta["config"]
            index = cls(Config(**cfg))
            words = z["words"].tolist()
            blobs = _split(z["texts"].tobytes(), z["text_len"])
            hit_arrays = np.split(z["hits"], np.cumsum(z["hit_len"])[:-1]) if len(words) else []
            indexed = z["indexed"].tolist()
            for slot, name in enumerate(meta["names"]):
                index._names.append(name)
                index._slot[name] = slot
                index._texts.append(blobs[slot])
                index._words.append(words[slot])
                index._cats.append(meta["cats"][slot])
                index._refhits.append(hit_arrays[slot].astype(np.int32) if indexed[slot] else None)
            index._alive = np.ones(max(64, len(words)), dtype=bool)
            index._alive[len(words) :] = False
            index._h, index._d = z["h"], z["d"].astype(np.int64)
            index._ref_names = list(meta["ref_names"])
            index._ref_texts = _split(z["ref_texts"].tobytes(), z["ref_len"])
            index._ref_words = z["ref_words"].tolist()
            index._rh, index._rr, index._rdf = z["rh"], z["rr"], z["rdf"]
            index._df[z["df_at"].astype(np.int64)] = z["df_val"]
            return index
        except IndexFormatError:
            raise
        except (ValueError, KeyError, TypeError, OSError, zipfile.BadZipFile, EOFError) as exc:
            raise IndexFormatError(reason=type(exc).__name__) from exc


def _split(blob: bytes, lengths: np.ndarray) -> list[bytes]:
    out, pos = [], 0
    for n in lengths.tolist():
        out.append(blob[pos : pos + n])
        pos += n
    return out
