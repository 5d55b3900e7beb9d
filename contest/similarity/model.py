"""Plain data of the similarity engine: inputs, settings, results and errors (vi/en)."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

__all__ = [
    "Config",
    "ConfigError",
    "Doc",
    "DocReport",
    "DuplicateNameError",
    "IndexFormatError",
    "PairMatch",
    "Passage",
    "ScanResult",
    "SimilarityError",
]


class SimilarityError(Exception):
    """Base error; ``code`` names it, ``params`` fill its sentence, ``message(lang)`` says it."""

    code = "similarity_error"
    templates = {
        "vi": "Lỗi khi so sánh văn bản.",
        "en": "Error while comparing texts.",
    }

    def __init__(self, **params: object) -> None:
        self.params = params
        super().__init__(self.message("en"))

    def message(self, lang: str = "vi") -> str:
        """Return the sentence in ``lang`` ("vi" default, "en"); unknown languages get Vietnamese."""
        return self.templates.get(lang, self.templates["vi"]).format(**self.params)


class ConfigError(SimilarityError):
    code = "bad_config"
    templates = {
        "vi": "Thiết lập không hợp lệ: {field} = {value}. Hãy kiểm tra lại giá trị này.",
        "en": "Invalid setting: {field} = {value}. Please check this value.",
    }


class DuplicateNameError(SimilarityError):
    code = "duplicate_name"
    templates = {
        "vi": "Tên văn bản “{name}” xuất hiện hai lần; mỗi bài phải có một tên riêng.",
        "en": "The document name “{name}” appears twice; each entry needs its own name.",
    }


class IndexFormatError(SimilarityError):
    code = "bad_index"
    templates = {
        "vi": "Không đọc được chỉ mục đã lưu ({reason}); hãy dựng lại chỉ mục.",
        "en": "The saved index cannot be read ({reason}); please rebuild it.",
    }


@dataclass(frozen=True)
class Doc:
    """One text to compare: a unique name, its text (any normal form) and an optional category."""

    name: str
    text: str
    category: str | None = None


@dataclass(frozen=True)
class Config:
    """Settings of a scan; the defaults follow MEASURED.md and the contest rules.

    thresholds: category -> overlap share that flags a document (others: default_threshold).
    """

    shingle: int = 5  # syllables per shingle
    sample: int = 16  # keep 1 shingle in `sample` (power of two) in the entry index
    # A shingle is "common" (a stock phrase of the genre) when found in more entries than
    # min(max_df, max(df_floor, df_share * entries)): common shingles neither make candidates
    # nor, alone, a copied passage. The cap bounds the self-join (pairs grow as df squared).
    max_df: int = 50
    df_floor: int = 10  # a source copied by up to this many entries is still found
    df_share: float = 0.005
    ref_df_share: float = 0.005  # references: shingles in up to 0.5% of entries (no cap) count
    # Document frequency is counted for 1 shingle in df_sample (by hash value: the same ones
    # in every text, a superset of the sampled index), in 2**df_bits counters.
    df_sample: int = 4
    df_bits: int = 25
    min_shared: int = 5  # sampled uncommon fingerprints two entries must share to be compared
    min_shared_ref: int = 12  # full uncommon shingles an entry must share with a reference
    min_rare: int = 1  # uncommon shared assessed shingles a passage needs to count as copied
    max_windows: int = 4000  # alignment windows per pair (bounds a 5 MB text)
    min_block: int = 3  # exact runs shorter than this are chance
    max_gap: int = 10  # edited syllables bridged inside one passage (10% edits: runs of ~9)
    min_passage: int = 8  # shortest passage reported, in matched syllables
    min_syllables: int = 50  # shorter texts are reported but not compared
    report_min: float = 0.02  # pairs whose score is below this are not reported
    default_threshold: float = 0.2
    thresholds: dict[str, float] = field(default_factory=dict)
    quotation_exempt: bool = True
    # Processes for fingerprinting and verification (forked; results identical for any
    # number). 1 by default: the web service and the job queue call the engine from threads
    # of long-lived processes, where forking is unsafe. The CLI and the benchmark pass
    # os.cpu_count(). More than 1 falls back to 1 off the main thread or without fork.
    workers: int = 1

    def __post_init__(self) -> None:
        ints = ("shingle", "sample", "max_df", "df_floor", "df_sample", "df_bits", "min_shared",
                "min_shared_ref", "min_rare", "max_windows", "min_block", "max_gap",
                "min_passage", "min_syllables", "workers")  # fmt: skip
        for name in ints:
            value = getattr(self, name)
            if not isinstance(value, int) or value < (0 if name == "max_gap" else 1):
                raise ConfigError(field=name, value=value)
        for name in ("sample", "df_sample"):
            if getattr(self, name) & (getattr(self, name) - 1):
                raise ConfigError(field=name, value=getattr(self, name))
        if self.sample % self.df_sample:  # the sampled index must be a subset of the counted
            raise ConfigError(field="df_sample", value=self.df_sample)
        if self.df_bits > 32:
            raise ConfigError(field="df_bits", value=self.df_bits)
        for name, value in [("default_threshold", self.default_threshold),
                            ("df_share", self.df_share), ("ref_df_share", self.ref_df_share),
                            ("report_min", self.report_min), *self.thresholds.items()]:  # fmt: skip
            if not isinstance(value, int | float) or not 0.0 <= value <= 1.0:
                raise ConfigError(field=name, value=value)

    def common_limit(self, entries: int) -> int:
        """Return the largest entry count of an uncommon shingle in a corpus of ``entries``."""
        return min(self.max_df, max(self.df_floor, math.ceil(self.df_share * entries)))

    def ref_limit(self, entries: int) -> int:
        """Return the largest entry count of a reference shingle that still counts."""
        return max(self.common_limit(entries), math.ceil(self.ref_df_share * entries))

    def threshold(self, category: str | None) -> float:
        """Return the overlap threshold that flags a document of ``category``."""
        if category is None:
            return self.default_threshold
        return self.thresholds.get(category, self.default_threshold)


@dataclass(frozen=True)
class Passage:
    """A matched passage: character offsets into the NFC text of a and of b."""

    a_start: int
    a_end: int
    b_start: int
    b_end: int


@dataclass(frozen=True)
class PairMatch:
    """Shared passages between entry ``a`` and ``b`` (an entry or "ref:<name>").

    kind is "copy" or "quotation"; overlap_a/overlap_b are the shares of each text covered;
    score is the larger of the two (1.0 for identical texts).
    """

    a: str
    b: str
    kind: str
    score: float
    overlap_a: float
    overlap_b: float
    passages: list[Passage]

    def to_json_dict(self) -> dict:
        """Return the pair as plain JSON-ready data."""
        data = asdict(self)
        for key in ("score", "overlap_a", "overlap_b"):
            data[key] = round(data[key], 4)
        return data


@dataclass(frozen=True)
class DocReport:
    """Per document: syllable count, share copied (overlap), share quoted, and the flag.

    status is "ok", "too_short" (reported, not compared) or "empty".
    """

    name: str
    words: int
    overlap: float
    quoted: float
    flagged: bool
    category: str | None = None
    status: str = "ok"

    def to_json_dict(self) -> dict:
        """Return the report as plain JSON-ready data."""
        data = asdict(self)
        data["overlap"] = round(self.overlap, 4)
        data["quoted"] = round(self.quoted, 4)
        return data


@dataclass
class ScanResult:
    """A whole scan: documents ranked by overlap (highest first) and pairs by score."""

    documents: list[DocReport]
    pairs: list[PairMatch]

    def to_json_dict(self) -> dict:
        """Return {"documents": [...], "pairs": [...]} as plain JSON-ready data."""
        return {
            "documents": [d.to_json_dict() for d in self.documents],
            "pairs": [p.to_json_dict() for p in self.pairs],
        }
