"""Vietnamese-aware similarity engine (pure): find copied passages among contest entries.

Entry points: :func:`scan` (a whole set of entries and references), :class:`SimilarityIndex`
with :func:`check` (one new text against a persisted index), :func:`compare` (two texts).
"""

from contest.similarity.engine import build_index, check, compare, scan, scan_index
from contest.similarity.index import Fingerprint, SimilarityIndex, fingerprint
from contest.similarity.model import (
    Config,
    ConfigError,
    Doc,
    DocReport,
    DuplicateNameError,
    IndexFormatError,
    PairMatch,
    Passage,
    ScanResult,
    SimilarityError,
)

__all__ = [
    "Config",
    "ConfigError",
    "Doc",
    "DocReport",
    "DuplicateNameError",
    "Fingerprint",
    "IndexFormatError",
    "PairMatch",
    "Passage",
    "ScanResult",
    "SimilarityError",
    "SimilarityIndex",
    "build_index",
    "check",
    "compare",
    "fingerprint",
    "scan",
    "scan_index",
]
