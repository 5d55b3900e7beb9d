import json
import os
import random
import subprocess
import sys
import unicodedata
from pathlib import Path

import numpy as np
import pytest

from contest.essaygen import essay, planted_corpus
from contest.similarity import (
    Config,
    ConfigError,
    Doc,
    DuplicateNameError,
    IndexFormatError,
    SimilarityIndex,
    check,
    compare,
    fingerprint,
    scan,
)
from contest.similarity.normalise import fold, match_key, syllable_ids

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def corpus():
    return planted_corpus(26, seed=7, syllables=800)


@pytest.fixture(scope="module")
def result(corpus):
    docs = [Doc(n, t) for n, t in corpus.docs.items()]
    refs = [Doc(n, t) for n, t in corpus.references.items()]
    return scan(docs, refs)


def _pair(result, a, b, kind):
    found = [p for p in result.pairs if {p.a, p.b} == {a, b} and p.kind == kind]
    assert len(found) == 1, (a, b, kind)
    return found[0]


def test_match_key_ignores_case_tone_place_and_diacritics():
    assert {match_key(w) for w in ("Hòa", "hoà", "HOA", "hoa")} == {"hoa"}
    assert fold("THUỶ") == "thủy"


def test_syllable_ids_equal_for_nfd_and_stripped_text():
    text = "Văn hóa thủy chung, đoàn kết!"
    ids = syllable_ids(text).tolist()
    assert syllable_ids(unicodedata.normalize("NFD", text)).tolist() == ids
    assert syllable_ids("van hoa thuy chung doan ket").tolist() == ids


@pytest.mark.parametrize(
    "kind", ["verbatim", "partial15", "partial30", "partial50", "partial80", "light_edit",
             "reordered", "stripped", "nfd", "tone_style", "ref_copy"],
)  # fmt: skip
def test_scan_planted_kind_found_as_copy_with_overlap(corpus, result, kind):
    truth = next(p for p in corpus.truth if p.kind == kind)
    match = _pair(result, truth.a, truth.b, "copy")
    overlap = match.overlap_a if match.a == truth.a else match.overlap_b
    assert abs(overlap - truth.shared) <= 0.05


def test_scan_quotation_only_document_not_flagged(corpus, result):
    truth = next(p for p in corpus.truth if p.kind == "quotation")
    match = _pair(result, truth.a, truth.b, "quotation")
    assert abs(match.overlap_a - truth.shared) <= 0.03
    report = next(d for d in result.documents if d.name == truth.a)
    assert report.flagged is False
    assert abs(report.quoted - truth.shared) <= 0.03


def test_scan_quotation_counted_when_exemption_off(corpus):
    truth = next(p for p in corpus.truth if p.kind == "quotation")
    ref = truth.b.removeprefix("ref:")
    cfg = Config(quotation_exempt=False, default_threshold=0.05)
    res = scan([Doc(truth.a, corpus.docs[truth.a])], [Doc(ref, corpus.references[ref])], config=cfg)
    assert [p.kind for p in res.pairs] == ["copy"]
    assert res.documents[0].flagged is True


def test_scan_offsets_point_at_same_words(corpus, result):
    truth = next(p for p in corpus.truth if p.kind == "stripped")
    match = _pair(result, truth.a, truth.b, "copy")
    texts = {n: unicodedata.normalize("NFC", t) for n, t in corpus.docs.items()}
    for p in match.passages:
        a = texts[match.a][p.a_start : p.a_end]
        b = texts[match.b][p.b_start : p.b_end]
        assert syllable_ids(a).tolist() == syllable_ids(b).tolist()


def test_scan_json_shape(result):
    data = result.to_json_dict()
    assert sorted(data) == ["documents", "pairs"]
    assert {"name", "words", "overlap", "quoted"} <= set(data["documents"][0])
    assert {"a", "b", "kind", "score", "overlap_a", "overlap_b", "passages"} <= set(
        data["pairs"][0]
    )
    assert sorted(data["pairs"][0]["passages"][0]) == ["a_end", "a_start", "b_end", "b_start"]


def test_scan_bad_inputs_do_not_crash():
    rng = random.Random(1)
    base = essay(rng, syllables=400)
    docs = [
        Doc("empty", ""),
        Doc("short", "Bảo vệ nền tảng tư tưởng của Đảng."),
        Doc("repeat", "Đảng ta là đạo đức, là văn minh. " * 200),
        Doc("chinese", "保护党的思想基础" * 100),
        Doc("russian", "Защита идеологических основ партии. " * 60),
        Doc("one", base),
        Doc("two", base),
    ]
    res = scan(docs)
    status = {d.name: d.status for d in res.documents}
    assert status["empty"] == "empty"
    assert status["short"] == "too_short"
    pair = _pair(res, "one", "two", "copy")
    assert pair.score == 1.0


def test_scan_duplicate_name_raises_with_messages():
    with pytest.raises(DuplicateNameError) as err:
        scan([Doc("x", "a b c"), Doc("x", "d e f")])
    assert err.value.code == "duplicate_name"
    assert "hai lần" in err.value.message("vi")
    assert "twice" in err.value.message("en")


def test_config_bad_threshold_raises():
    with pytest.raises(ConfigError):
        Config(thresholds={"Báo": 1.5})


def test_config_threshold_per_category():
    assert Config(thresholds={"Báo": 0.25}).threshold("Báo") == 0.25
    assert Config().threshold("Tạp chí") == 0.2


def test_index_add_query_remove_and_round_trip(corpus):
    truth = next(p for p in corpus.truth if p.kind == "partial50")
    index = SimilarityIndex()
    for name, text in corpus.docs.items():
        if name != truth.a:
            index.add(Doc(name, text))
    new = Doc(truth.a, corpus.docs[truth.a])
    assert [m.b for m in check(index, new) if m.score > 0.3] == [truth.b]
    restored = SimilarityIndex.from_bytes(index.to_bytes())
    assert [m.b for m in check(restored, new) if m.score > 0.3] == [truth.b]
    restored.remove(truth.b)
    assert truth.b not in restored
    assert [m.b for m in check(restored, new) if m.score > 0.3] == []
    restored.add(Doc(truth.b, corpus.docs[truth.b]))
    assert [m.b for m in check(restored, new) if m.score > 0.3] == [truth.b]


def test_index_replace_keeps_one_entry():
    index = SimilarityIndex()
    index.add(Doc("a", essay(random.Random(1), syllables=200)))
    index.add(Doc("a", essay(random.Random(2), syllables=200)))
    assert index.names() == ["a"]
    assert index.text("a") == essay(random.Random(2), syllables=200)


def test_index_from_garbage_raises():
    with pytest.raises(IndexFormatError):
        SimilarityIndex.from_bytes(b"not an index")


def test_compare_identical_texts_score_one():
    text = essay(random.Random(4), syllables=200)
    assert [m.score for m in compare(Doc("a", text), Doc("b", text))] == [1.0]


def test_fingerprints_stable_across_processes():
    text = essay(random.Random(9), syllables=300)
    here = fingerprint(text, Config()).sampled
    code = (
        "import sys, random; from contest.essaygen import essay;"
        "from contest.similarity import fingerprint, Config;"
        "print(','.join(map(str, fingerprint(essay(random.Random(9), syllables=300), Config()).sampled.tolist())))"
    )
    env = {**os.environ, "PYTHONHASHSEED": "123", "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    there = np.array([int(x) for x in out.stdout.strip().split(",")], dtype=np.uint64)
    assert there.tolist() == here.tolist()


def test_cli_json_shape_and_unreadable_file(tmp_path):
    rng = random.Random(3)
    text = essay(rng, syllables=300)
    (tmp_path / "a.txt").write_text(text, encoding="utf-8")
    (tmp_path / "b.txt").write_text(text, encoding="utf-8")
    (tmp_path / "c.txt").write_text(essay(rng, syllables=300), encoding="utf-8")
    (tmp_path / "bad.docx").write_bytes(b"not a zip")
    out = tmp_path / "out.json"
    env = {**os.environ, "LANG": "en_US.UTF-8", "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, "-m", "contest.similarity", str(tmp_path), "--json", str(out)],
        capture_output=True, text=True, env=env, cwd=ROOT,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "bad.docx" in proc.stderr
    data = json.loads(out.read_text(encoding="utf-8"))
    assert sorted(d["name"] for d in data["documents"]) == ["a.txt", "b.txt", "c.txt"]
    assert [(p["a"], p["b"], p["kind"], p["score"]) for p in data["pairs"]][0] == (
        "a.txt",
        "b.txt",
        "copy",
        1.0,
    )
