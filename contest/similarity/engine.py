"""Scan a set of entries (and reference texts) for copied passages; check one new entry.

Flow: fingerprint every entry into a :class:`SimilarityIndex`, self-join the postings for
candidate pairs, verify each candidate by aligning syllable ids, then add up per document the
union of its copied and quoted passages. Shingles common in the corpus (the index's document
frequency above ``Config.common_limit``) make no candidate and no passage on their own.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from collections.abc import Callable, Iterable
from itertools import islice

import numpy as np

from contest.similarity.fingerprint import shingles
from contest.similarity.index import Fingerprint, Prepared, SimilarityIndex, fingerprint
from contest.similarity.model import (
    Config,
    Doc,
    DocReport,
    DuplicateNameError,
    PairMatch,
    Passage,
    ScanResult,
)
from contest.similarity.normalise import Tokens, tokenise
from contest.similarity.parallel import chunks, forked_pool, state, usable_workers
from contest.similarity.verify import align, coverage, quote_mask

__all__ = ["build_index", "check", "compare", "scan", "scan_index"]

_QUOTED_SHARE = 0.8  # a passage at least this much inside quotation marks is a quotation
_BLOCK = 128  # entries per worker sent at a time while indexing

Progress = Callable[[int, int], None]


class _Side:
    """A tokenised text with its quotation mask, ready for alignment."""

    def __init__(self, name: str, text: str) -> None:
        self.name = name
        self.tokens: Tokens = tokenise(text)
        self.quoted = quote_mask(self.tokens.text, self.tokens.starts)
        self._rare: dict[int, np.ndarray] = {}
        self.refspans: list[tuple[int, int]] = []  # syllable spans matching a reference

    def rare(self, index: SimilarityIndex, limit: int, extra: int) -> np.ndarray:
        """Per shingle start: is the shingle uncommon (``extra`` entries beyond the index)?"""
        mask = self._rare.get(limit)
        if mask is None:
            hashes = shingles(self.tokens.ids, index.config.shingle)
            mask = index.assessed(hashes) & (index.df(hashes) + extra <= limit)
            self._rare[limit] = mask
        return mask


def _pair_match(a: _Side, b: _Side, b_label: str, kind: str, blocks) -> PairMatch:
    ta, tb = a.tokens, b.tokens
    cov_a = coverage([(p.a_start, p.a_end) for p in blocks], len(ta))
    cov_b = coverage([(p.b_start, p.b_end) for p in blocks], len(tb))
    overlap_a = cov_a / len(ta) if len(ta) else 0.0
    overlap_b = cov_b / len(tb) if len(tb) else 0.0
    passages = [
        Passage(
            int(ta.starts[p.a_start]),
            int(ta.ends[p.a_end - 1]),
            int(tb.starts[p.b_start]),
            int(tb.ends[p.b_end - 1]),
        )
        for p in blocks
    ]
    return PairMatch(
        a.name, b_label, kind, max(overlap_a, overlap_b), overlap_a, overlap_b, passages
    )


def _inside(start: int, end: int, spans: list[tuple[int, int]]) -> bool:
    """Is at least half of [start, end) covered by ``spans`` (assumed not to overlap much)?"""
    covered = sum(max(0, min(end, e) - max(start, s)) for s, e in spans)
    return 2 * covered >= end - start


def _verify(
    a: _Side, b: _Side, *, reference: bool, config: Config, rare: np.ndarray | None = None
) -> list[tuple[PairMatch, list]]:
    """Align a with b; return up to two matches (copy, quotation) with their syllable blocks.

    ``rare`` marks a's uncommon shingles (None: no corpus, all count).
    """
    blocks = align(
        a.tokens.ids,
        b.tokens.ids,
        min_block=config.min_block,
        max_gap=config.max_gap,
        min_passage=config.min_passage,
        shingle=config.shingle,
        rare=rare,
        min_rare=config.min_rare,
        max_windows=config.max_windows,
    )
    copied, quoted = [], []
    for p in blocks:
        in_a = float(np.mean(a.quoted[p.a_start : p.a_end])) >= _QUOTED_SHARE
        if reference:
            is_quote = in_a
        else:
            # Between two entries: a quotation when both put it in quotation marks, or when one
            # quotes it and it is a reference's text (both drew on the same source).
            in_b = float(np.mean(b.quoted[p.b_start : p.b_end])) >= _QUOTED_SHARE
            from_ref = _inside(p.a_start, p.a_end, a.refspans) or _inside(
                p.b_start, p.b_end, b.refspans
            )
            is_quote = (in_a and in_b) or ((in_a or in_b) and from_ref)
        (quoted if config.quotation_exempt and is_quote else copied).append(p)
    label = f"ref:{b.name}" if reference else b.name
    out = []
    for kind, group in (("copy", copied), ("quotation", quoted)):
        if group:
            match = _pair_match(a, b, label, kind, group)
            if match.score >= config.report_min:
                out.append((match, group))
    return out


def compare(
    a: Doc, b: Doc, *, config: Config = Config(), reference: bool = False
) -> list[PairMatch]:
    """Align two texts directly (no index); ``reference=True`` treats b as a reference text."""
    return [
        m
        for m, _ in _verify(
            _Side(a.name, a.text), _Side(b.name, b.text), reference=reference, config=config
        )
    ]


class _SideCache:
    """Tokenised texts by name, least recently used dropped (pairs arrive grouped by a)."""

    def __init__(self, load: Callable[[str], _Side], size: int = 512) -> None:
        self._load, self._size, self._items = load, size, OrderedDict()

    def get(self, key: str) -> _Side:
        side = self._items.get(key)
        if side is None:
            side = self._items[key] = self._load(key)
            if len(self._items) > self._size:
                self._items.popitem(last=False)
        else:
            self._items.move_to_end(key)
        return side


def scan(
    documents: Iterable[Doc],
    references: Iterable[Doc] = (),
    *,
    config: Config = Config(),
    progress: Progress | None = None,
) -> ScanResult:
    """Compare every entry with every other entry and with the references, without all pairs.

    Returns one DocReport per entry (ranked by overlap) and the PairMatches found (ranked by
    score). Entries shorter than ``config.min_syllables`` are reported with status "too_short"
    (or "empty") and not compared. DuplicateNameError if two entries share a name.
    ``progress(done, total)`` is called while indexing and while verifying.
    """
    index = build_index(documents, references, config=config, progress=progress)
    return scan_index(index, progress=progress)


def build_index(
    documents: Iterable[Doc],
    references: Iterable[Doc] = (),
    *,
    config: Config = Config(),
    progress: Progress | None = None,
) -> SimilarityIndex:
    """Fingerprint entries (streamed: any iterable) and references into a new index.

    With ``config.workers`` > 1 the entries are fingerprinted by forked processes, a block at
    a time, and inserted in the order given (the index is the same as with one process).
    DuplicateNameError if two entries share a name; ``progress(done, total)`` while indexing.
    """
    index = SimilarityIndex(config)
    for ref in references:
        index.add_reference(ref)
    total = len(documents) if hasattr(documents, "__len__") else 0
    done = 0

    def insert(doc: Doc, prep: Prepared) -> None:
        nonlocal done
        if doc.name in index:
            raise DuplicateNameError(name=doc.name)
        index.insert(doc, prep)
        done += 1
        if progress is not None and (done % 256 == 0 or done == total):
            progress(done, max(total, done))

    workers = usable_workers(config.workers)
    if workers == 1:
        for doc in documents:
            insert(doc, index.prepare(fingerprint(doc.text, config)))
        return index
    # Forked after the references are in: workers read only the config and the references.
    with forked_pool(workers, index) as pool:
        it = iter(documents)
        # Two blocks stay in flight: the workers fingerprint them while this process inserts
        # the oldest (and now and then merges postings or counts).
        queue: deque = deque()
        while True:
            block = list(islice(it, _BLOCK * workers))
            if block:
                queue.append((block, pool.map_async(_prepare, [d.text for d in block], 16)))
            if not queue:
                break
            if len(queue) > 2 or not block:
                done_block, job = queue.popleft()
                for doc, prep in zip(done_block, job.get(), strict=True):
                    insert(doc, prep)
    return index


def _prepare(text: str) -> Prepared:
    index = state()
    return index.prepare(fingerprint(text, index.config))


def _verify_chunk(tasks: list[tuple[str, str, bool]]) -> list[list[tuple[PairMatch, list]]]:
    """Verify tasks (a, b, is_ref) against the shared index; per task its matches and spans."""
    shared = state()
    return [_verify_task(shared, task) for task in tasks]


class _Verifier:
    """What verifying needs: the index, each entry's reference spans, tokenised text caches."""

    def __init__(self, index: SimilarityIndex, refspans: dict[str, list[tuple[int, int]]]):
        self.index = index
        self.refspans = refspans
        self.limits = (index.common_limit(), index.config.ref_limit(len(index)))

        def load(name: str) -> _Side:
            side = _Side(name, index.text(name))
            side.refspans = refspans.get(name, [])
            return side

        self.entries = _SideCache(load)
        self.refs = _SideCache(lambda name: _Side(name, index.reference_text(name)), size=64)


def _verify_task(v: _Verifier, task: tuple[str, str, bool]) -> list[tuple[PairMatch, list]]:
    a_name, b_name, is_ref = task
    a = v.entries.get(a_name)
    b = v.refs.get(b_name) if is_ref else v.entries.get(b_name)
    rare = a.rare(v.index, v.limits[is_ref], 0)
    return [
        (match, [(p.a_start, p.a_end, p.b_start, p.b_end) for p in blocks])
        for match, blocks in _verify(a, b, reference=is_ref, config=v.index.config, rare=rare)
    ]


def _run_tasks(
    v: _Verifier, tasks: list, workers: int, step: Callable[[int], None]
) -> list[list[tuple[PairMatch, list]]]:
    """Verify ``tasks`` (in one process or forked ones); results in the order of ``tasks``."""
    if workers == 1 or len(tasks) < 2:
        out = []
        for task in tasks:
            out.append(_verify_task(v, task))
            step(1)
        return out
    out = []
    with forked_pool(workers, v) as pool:
        # Contiguous chunks: tasks are grouped by entry a, so each worker's cache stays warm.
        for got in pool.imap(_verify_chunk, chunks(tasks, workers, 256)):
            out.extend(got)
            step(len(got))
    return out


def scan_index(index: SimilarityIndex, *, progress: Progress | None = None) -> ScanResult:
    """Compare every entry of ``index`` with the others and with its references (see scan).

    With ``index.config.workers`` > 1 the pairs are verified by forked processes sharing the
    index; the result is the same as with one process.
    """
    config = index.config
    order = index.names()
    n = len(order)
    pair_tasks = sorted((a, b, False) for a, b, _ in index.candidate_pairs())
    ref_tasks = sorted((a, r, True) for a, r, _ in index.reference_pairs())
    total = len(pair_tasks) + len(ref_tasks)
    done = 0

    def step(k: int) -> None:
        nonlocal done
        before, done = done, done + k
        if progress is not None and (done // 64 > before // 64 or done == total):
            progress(n + done, n + total)

    index.prepare_shared()  # flush lazy state once, before any fork copies it
    workers = usable_workers(config.workers)
    # References first, so that each entry knows which of its passages are a reference's text.
    refspans: dict[str, list[tuple[int, int]]] = {}
    ref_results = _run_tasks(_Verifier(index, refspans), ref_tasks, workers, step)
    for (a_name, _, _), found in zip(ref_tasks, ref_results, strict=True):
        for _, blocks in found:
            refspans.setdefault(a_name, []).extend((s, e) for s, e, _, _ in blocks)
    pair_results = _run_tasks(_Verifier(index, refspans), pair_tasks, workers, step)
    spans: dict[str, dict[str, list[tuple[int, int]]]] = {}
    pairs: list[PairMatch] = []
    for (a_name, b_name, is_ref), found in zip(
        ref_tasks + pair_tasks, ref_results + pair_results, strict=True
    ):
        for match, blocks in found:
            pairs.append(match)
            spans.setdefault(a_name, {}).setdefault(match.kind, []).extend(
                (s, e) for s, e, _, _ in blocks
            )
            if not is_ref:
                spans.setdefault(b_name, {}).setdefault(match.kind, []).extend(
                    (s, e) for _, _, s, e in blocks
                )
    reports = [_report(index, name, spans.get(name, {}), config) for name in order]
    reports.sort(key=lambda r: (-r.overlap, -r.quoted, r.name))
    pairs.sort(key=lambda p: (-p.score, p.a, p.b, p.kind))
    return ScanResult(reports, pairs)


def _report(index: SimilarityIndex, name: str, spans: dict, config: Config) -> DocReport:
    words = index.words(name)
    category = index.category(name)
    if words == 0:
        return DocReport(name, 0, 0.0, 0.0, False, category, "empty")
    if words < config.min_syllables:
        return DocReport(name, words, 0.0, 0.0, False, category, "too_short")
    copied = coverage(spans.get("copy", []), words)
    both = coverage(spans.get("copy", []) + spans.get("quotation", []), words)
    overlap, quoted = copied / words, (both - copied) / words
    return DocReport(name, words, overlap, quoted, overlap >= config.threshold(category), category)


def check(index: SimilarityIndex, doc: Doc, *, fp: Fingerprint | None = None) -> list[PairMatch]:
    """Compare one text with everything in ``index`` (entries and references), ranked by score.

    The text is not added; if an entry of the same name is indexed it is skipped (so an entry
    can be re-checked against the others). ``a`` of every match is ``doc.name``.
    """
    config = index.config
    fp = fp or fingerprint(doc.text, config)
    if fp.words < config.min_syllables:
        return []
    side = _Side(doc.name, fp.text)
    out: list[PairMatch] = []
    # The query is not in the index: its shingles count one entry more than the table says.
    extra = 0 if doc.name in index else 1
    n = len(index) + extra
    for ref, _ in index.reference_candidates(fp):
        other = _Side(ref, index.reference_text(ref))
        rare = side.rare(index, config.ref_limit(n), extra)
        for m, blocks in _verify(side, other, reference=True, config=config, rare=rare):
            out.append(m)
            side.refspans.extend((p.a_start, p.a_end) for p in blocks)
    for name, _ in index.candidates(fp, exclude=doc.name):
        other = _Side(name, index.text(name))
        rare = side.rare(index, config.common_limit(n), extra)
        out.extend(m for m, _ in _verify(side, other, reference=False, config=config, rare=rare))
    out.sort(key=lambda p: (-p.score, p.b, p.kind))
    return out
