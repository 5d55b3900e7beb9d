import threading

import pytest

from contest.essaygen import planted_corpus
from contest.similarity import (
    Config,
    ConfigError,
    Doc,
    DuplicateNameError,
    build_index,
    engine,
    fingerprint,
    scan,
)
from contest.similarity.parallel import usable_workers


@pytest.fixture(scope="module")
def corpus():
    return planted_corpus(30, seed=11, syllables=700)


def _scan(corpus, workers):
    docs = [Doc(n, t) for n, t in corpus.docs.items()]
    refs = [Doc(n, t) for n, t in corpus.references.items()]
    return scan(docs, refs, config=Config(workers=workers))


def test_scan_two_workers_same_result_as_one(corpus):
    one, two = _scan(corpus, 1), _scan(corpus, 2)
    assert usable_workers(2) == 2  # the second scan really forked
    assert len(one.pairs) >= 5
    assert two == one
    assert [p.passages for p in two.pairs] == [p.passages for p in one.pairs]


def test_build_index_two_workers_same_postings_as_one(corpus, monkeypatch):
    monkeypatch.setattr(engine, "_BLOCK", 2)  # many blocks in flight, not one
    docs = [Doc(n, t) for n, t in corpus.docs.items()]
    one = build_index(docs, config=Config(workers=1))
    two = build_index(docs, config=Config(workers=2))
    assert two.names() == one.names()
    assert two.candidate_pairs() == one.candidate_pairs()
    assert [two.text(n) for n in two.names()] == [one.text(n) for n in one.names()]
    hashes = fingerprint(docs[0].text, Config()).shingles
    assert two.df(hashes).tolist() == one.df(hashes).tolist()


def test_build_index_two_workers_duplicate_name_raises(corpus):
    name, text = next(iter(corpus.docs.items()))
    docs = [Doc(n, t) for n, t in corpus.docs.items()] + [Doc(name, text)]
    with pytest.raises(DuplicateNameError) as err:
        build_index(docs, config=Config(workers=2))
    assert err.value.params == {"name": name}


def test_usable_workers_off_main_thread_is_one():
    seen = []
    thread = threading.Thread(target=lambda: seen.append(usable_workers(2)))
    thread.start()
    thread.join()
    assert seen == [1]
    assert usable_workers(1) == 1


def test_config_workers_zero_raises():
    with pytest.raises(ConfigError) as err:
        Config(workers=0)
    assert err.value.params == {"field": "workers", "value": 0}


def test_index_merged_in_steps_same_pairs_as_at_once(corpus):
    docs = [Doc(n, t) for n, t in corpus.docs.items()]
    at_once = build_index(docs)
    steps = build_index(docs[:10])
    steps.candidate_pairs()  # consolidates the first ten: the rest are merged into them
    for doc in docs[10:20]:
        steps.add(doc)
    steps.remove(docs[3].name)
    steps.candidate_pairs()
    for doc in [docs[3], *docs[20:]]:
        steps.add(doc)
    expected = {(a, b, c) for a, b, c in at_once.candidate_pairs()}
    got = {tuple(sorted((a, b))) + (c,) for a, b, c in steps.candidate_pairs()}
    assert got == {tuple(sorted((a, b))) + (c,) for a, b, c in expected}
    assert len(expected) >= 5
    assert steps._h.tolist() == sorted(steps._h.tolist())
