"""Every user-visible string is translatable and translated into Vietnamese."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None}
METHODS = [
    ("app.py", "python"),
    ("contest/**.py", "python"),
    ("judging/**.py", "python"),
    ("templates/**.html", "jinja2"),
    ("templates/**.txt", "jinja2"),
]


def _extracted() -> set[str]:
    ids: set[str] = set()
    for _fname, _lineno, message, _comments, _ctx in extract_from_dir(
        str(ROOT), method_map=METHODS, keywords=KEYWORDS
    ):
        ids.add(message if isinstance(message, str) else message[0])
    return ids


def test_every_string_in_code_and_templates_has_a_vietnamese_translation():
    with (ROOT / "translations/vi/LC_MESSAGES/messages.po").open("rb") as fh:
        catalog = read_po(fh)
    translated = {m.id for m in catalog if m.id and m.string and not m.fuzzy}
    missing = sorted(_extracted() - translated)
    assert not missing, "run `make i18n-extract` and translate: " + "; ".join(missing[:20])


def test_home_page_in_both_languages(client):
    vi = client.get("/").get_data(as_text=True)
    assert "Các cuộc thi" in vi and 'lang="vi"' in vi
    client.set_cookie("lang", "en")
    en = client.get("/").get_data(as_text=True)
    assert "Contests" in en and 'lang="en"' in en and "Các cuộc thi" not in en


def test_dates_and_numbers_in_vietnamese_format(app, factory, client):
    from datetime import UTC, datetime

    factory.contest(
        slug="dinh-dang",
        state="open",
        opens_at=datetime(2025, 3, 1, 1, 0, tzinfo=UTC),
        closes_at=datetime(2099, 6, 30, 10, 0, tzinfo=UTC),
        min_words=1500,
        max_words=12000,
    )
    body = client.get("/contests/dinh-dang").get_data(as_text=True)
    assert "08:00 01/03/2025" in body  # UTC 01:00 is 08:00 in Hà Nội
    assert "17:00 30/06/2099" in body
    assert "Từ 1.500 đến 12.000 chữ" in body
