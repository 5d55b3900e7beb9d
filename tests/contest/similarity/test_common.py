"""Stock phrases, document frequency and the per-pair bounds of contest.similarity."""

import random

import numpy as np

from contest.essaygen import essay
from contest.similarity import Config, Doc, SimilarityIndex, fingerprint, scan
from contest.similarity.normalise import syllable_ids
from contest.similarity.verify import align

# A passage of the genre that many entries reproduce word for word (a set text, a slogan).
STOCK = essay(random.Random(77), syllables=300)


def _with_stock(seed: int) -> str:
    rng = random.Random(seed)
    return essay(rng, syllables=300) + "\n\n" + STOCK + "\n\n" + essay(rng, syllables=300)


def test_config_common_limit_grows_with_corpus_then_caps():
    cfg = Config()
    assert [cfg.common_limit(n) for n in (2, 1000, 4000, 10_000, 100_000)] == [10, 10, 20, 50, 50]
    assert [cfg.ref_limit(n) for n in (1000, 100_000, 540_000)] == [10, 500, 2700]


def test_scan_stock_passage_in_many_entries_flags_nobody():
    docs = [Doc(f"d{i:02d}", _with_stock(i)) for i in range(14)]
    res = scan(docs)
    assert [p for p in res.pairs if p.kind == "copy"] == []
    assert [d.name for d in res.documents if d.flagged] == []
    assert max(d.overlap for d in res.documents) == 0.0


def test_scan_same_passage_in_two_entries_is_found():
    docs = [Doc(f"d{i:02d}", _with_stock(i)) for i in range(2)]
    docs += [Doc(f"x{i:02d}", essay(random.Random(100 + i), syllables=500)) for i in range(12)]
    res = scan(docs)
    assert [(p.a, p.b, p.kind) for p in res.pairs] == [("d00", "d01", "copy")]


def test_scan_quote_of_reference_copied_by_another_entry_is_not_copy():
    rng = random.Random(5)
    source = essay(rng, syllables=600)
    passage = " ".join(source.split("\n\n")[:3])
    quoting = (
        essay(rng, syllables=400) + f"\n\nBác Hồ dạy: “{passage}”.\n\n" + essay(rng, syllables=400)
    )
    pasting = essay(rng, syllables=400) + "\n\n" + passage + "\n\n" + essay(rng, syllables=400)
    res = scan([Doc("quoting", quoting), Doc("pasting", pasting)], [Doc("src", source)])
    kinds = sorted((p.a, p.b, p.kind) for p in res.pairs)
    assert kinds == [
        ("pasting", "ref:src", "copy"),
        ("quoting", "pasting", "quotation"),
        ("quoting", "ref:src", "quotation"),
    ]
    report = {d.name: d for d in res.documents}
    assert report["quoting"].overlap == 0.0
    assert report["quoting"].flagged is False
    assert report["pasting"].flagged is True


def test_index_document_frequency_follows_add_remove_and_bytes():
    text = essay(random.Random(8), syllables=300)
    index = SimilarityIndex()
    hashes = fingerprint(text, Config()).shingles
    hashes = hashes[index.assessed(hashes)]
    assert 0 < len(hashes) < 150  # about 1 in 4 of ~300 shingles
    index.add(Doc("a", text))
    index.add(Doc("b", text))
    assert set(index.df(hashes).tolist()) == {2}
    index.remove("a")
    assert set(index.df(hashes).tolist()) == {1}
    restored = SimilarityIndex.from_bytes(index.to_bytes())
    assert set(restored.df(hashes).tolist()) == {1}


def test_align_passage_of_common_shingles_only_is_dropped():
    ids = syllable_ids(essay(random.Random(2), syllables=200))
    everywhere = np.zeros(len(ids), dtype=bool)
    assert align(ids, ids, rare=everywhere, min_rare=1) == []
    assert len(align(ids, ids, rare=~everywhere, min_rare=1)) == 1


def test_align_window_cap_bounds_a_huge_text():
    rng = random.Random(6)
    pieces = [essay(rng, syllables=60) for _ in range(40)]
    a = syllable_ids("\n\n".join(pieces))
    b = syllable_ids("\n\n".join(reversed(pieces)))  # every piece on its own diagonal
    assert len(align(a, b)) >= 30
    assert len(align(a, b, max_windows=3)) <= 3


def test_align_stock_passage_inside_a_copy_is_kept():
    rng = random.Random(12)
    own, stock, tail = (syllable_ids(essay(rng, syllables=60)) for _ in range(3))
    filler_a, filler_b = (
        syllable_ids("một hai ba bốn năm sáu bảy tám chín mười mười một mười hai"),
        syllable_ids("xanh đỏ tím vàng cam lam chàm trắng đen nâu hồng xám"),
    )
    a = np.concatenate([own, filler_a, stock, filler_a, tail])
    b = np.concatenate([own, filler_b, stock, filler_b, tail])
    rare = np.zeros(len(a), dtype=bool)
    rare[: len(own)] = True  # only the first passage holds uncommon shingles
    rare[len(a) - len(tail) :] = True
    found = align(a, b, rare=rare, min_rare=1, max_gap=3)
    assert [p.a_end - p.a_start for p in found] == [len(own), len(stock), len(tail)]
    alone = align(stock, stock, rare=np.zeros(len(stock), dtype=bool), min_rare=1)
    assert alone == []
