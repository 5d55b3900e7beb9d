"""Vietnamese defaults from DOMAIN.md: categories, the 100-point rubric, prize tables.

Plain data, editable per contest after it is created from a preset. Labels are Vietnamese
(the source language of the domain); the English labels are shown when English is chosen.
"""

from __future__ import annotations

from dataclasses import dataclass, field

RUBRIC_TOTAL = 100.0  # panels agree a 100-point scale (DOMAIN.md)


@dataclass(frozen=True)
class CategoryPreset:
    code: str
    name: str
    name_en: str
    kind: str  # "written" | "media"
    overlap_threshold: float
    national_quotas: tuple[tuple[str, int], ...]
    local_quotas: tuple[tuple[str, int], ...] = (("nhat", 1), ("nhi", 2), ("ba", 3), ("kk", 5))


@dataclass(frozen=True)
class CriterionPreset:
    name: str
    name_en: str
    max_points: float
    guidance: str
    weight: float = 1.0


@dataclass(frozen=True)
class PrizeLevel:
    code: str
    label: str
    label_en: str


# Overlap caps from a district rule: 20% Tạp chí, 25% Báo; the others follow Báo.
CATEGORIES: tuple[CategoryPreset, ...] = (
    CategoryPreset("tap-chi", "Tạp chí", "Magazine", "written", 0.20, (("A", 3), ("B", 6), ("C", 10), ("KK", 20))),
    CategoryPreset("bao", "Báo (in, điện tử)", "Newspaper (print or online)", "written", 0.25, (("A", 3), ("B", 6), ("C", 10), ("KK", 20))),
    CategoryPreset("phat-thanh", "Phát thanh", "Radio", "media", 0.25, (("A", 2), ("B", 4), ("C", 6), ("KK", 10))),
    CategoryPreset("truyen-hinh", "Truyền hình", "Television", "media", 0.25, (("A", 2), ("B", 4), ("C", 6), ("KK", 10))),
    CategoryPreset("video-clip", "Video clip", "Video clip", "media", 0.25, (("A", 1), ("B", 2), ("C", 3), ("KK", 6))),
)  # fmt: skip

RUBRIC: tuple[CriterionPreset, ...] = (
    CriterionPreset(
        "Tính Đảng, định hướng chính trị",
        "Party spirit, political orientation",
        25,
        "Quan điểm đúng đắn, bám sát chủ trương của Đảng, chính sách, pháp luật của Nhà nước.",
    ),
    CriterionPreset(
        "Tính khoa học",
        "Scholarship",
        25,
        "Lập luận chặt chẽ, dẫn chứng xác thực, trích dẫn chính xác, có nguồn.",
    ),
    CriterionPreset(
        "Tính chiến đấu, thuyết phục",
        "Combativeness, persuasiveness",
        20,
        "Phản bác sắc bén quan điểm sai trái; kết hợp “xây” và “chống”.",
    ),
    CriterionPreset(
        "Phát hiện mới, tính thời sự, thực tiễn",
        "New findings, topicality, practice",
        20,
        "Vấn đề mới, sát thực tiễn, có đề xuất, kiến nghị khả thi.",
    ),
    CriterionPreset(
        "Hình thức, ngôn ngữ",
        "Form and language",
        10,
        "Bố cục hợp lý, văn phong trong sáng, đúng chính tả, đúng quy định về độ dài.",
    ),
)

PRIZE_SCHEMES: dict[str, tuple[PrizeLevel, ...]] = {
    "national": (
        PrizeLevel("DB", "Giải Đặc biệt", "Special prize"),
        PrizeLevel("A", "Giải A", "A prize"),
        PrizeLevel("B", "Giải B", "B prize"),
        PrizeLevel("C", "Giải C", "C prize"),
        PrizeLevel("KK", "Giải Khuyến khích", "Encouragement prize"),
    ),
    "local": (
        PrizeLevel("nhat", "Giải Nhất", "First prize"),
        PrizeLevel("nhi", "Giải Nhì", "Second prize"),
        PrizeLevel("ba", "Giải Ba", "Third prize"),
        PrizeLevel("kk", "Giải Khuyến khích", "Encouragement prize"),
    ),
}

# One Đặc biệt prize overall in the national 2024 table, not per category.
NATIONAL_SPECIAL_OVERALL = 1

# Special prizes (DOMAIN.md): best young authors, oldest/youngest author, organising units.
SPECIAL_PRIZES: tuple[PrizeLevel, ...] = (
    PrizeLevel("TV", "Giải Triển vọng", "Promising young author prize"),
    PrizeLevel("oldest", "Tác giả cao tuổi nhất", "Oldest author"),
    PrizeLevel("youngest", "Tác giả trẻ tuổi nhất", "Youngest author"),
    PrizeLevel("TTXS", "Tập thể xuất sắc", "Outstanding organising unit"),
)


def prize_labels() -> dict[str, tuple[str, str]]:
    """Every prize code of every scheme and the special prizes -> (Vietnamese, English):
    the one table the results pages, the allocation notices and the workbook print from."""
    levels = [*(p for scheme in PRIZE_SCHEMES.values() for p in scheme), *SPECIAL_PRIZES]
    return {p.code: (p.label, p.label_en) for p in levels}


@dataclass(frozen=True)
class ContestPreset:
    key: str
    label: str
    label_en: str
    prize_scheme: str
    category_codes: tuple[str, ...]
    allowed_file_types: tuple[str, ...] = ("docx", "pdf", "odt", "txt")
    min_words: int = 1000
    max_words: int = 5000
    notes: dict[str, str] = field(default_factory=dict)


CONTEST_PRESETS: dict[str, ContestPreset] = {
    "national": ContestPreset(
        "national",
        "Cấp toàn quốc (5 thể loại, giải A/B/C/KK)",
        "National (5 categories, A/B/C/KK prizes)",
        "national",
        tuple(c.code for c in CATEGORIES),
    ),
    "local": ContestPreset(
        "local",
        "Cấp tỉnh, huyện, cơ sở (Tạp chí và Báo, giải Nhất/Nhì/Ba/KK)",
        "Province, district or unit (Magazine and Newspaper, 1st/2nd/3rd/Encouragement)",
        "local",
        ("tap-chi", "bao"),
    ),
}


def category_preset(code: str) -> CategoryPreset:
    for c in CATEGORIES:
        if c.code == code:
            return c
    raise KeyError(code)


def prize_levels(scheme: str) -> tuple[PrizeLevel, ...]:
    return PRIZE_SCHEMES[scheme]
