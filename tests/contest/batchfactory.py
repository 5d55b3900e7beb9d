"""Builds import batches (a .zip of essays and the Excel list) for the intake tests."""

from __future__ import annotations

import io
import random
import zipfile

from openpyxl import Workbook

from contest.batch import TEMPLATE_COLUMNS
from contest.essaygen import essay, person

KEYS = [c.key for c in TEMPLATE_COLUMNS]
HEADERS = [c.vi for c in TEMPLATE_COLUMNS]


def manifest(rows: list[dict]) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(HEADERS)
    for r in rows:
        ws.append([r.get(k) for k in KEYS])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def zip_of(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return buf.getvalue()


def make_batch(
    n: int, *, seed: int = 0, category: str = "Tạp chí", syllables: int = 1200
) -> tuple[bytes, list[dict]]:
    """n entries, one author each, as .txt files; returns the zip (list inside) and the rows."""
    rng = random.Random(seed)
    files: dict[str, bytes] = {}
    rows = []
    for i in range(1, n + 1):
        p = person(rng)
        name = f"bai-{i:04d}.txt"
        files[name] = essay(rng, syllables=syllables).encode("utf-8")
        rows.append(
            {
                "number": i,
                "file_name": name,
                "title": f"Tác phẩm nhập số {i}",
                "category": category,
                "pen_name": "",
                "full_name": p["full_name"],
                "birth": p["birth_date"][8:10]
                + "/"
                + p["birth_date"][5:7]
                + "/"
                + p["birth_date"][:4],
                "position": p["position"],
                "unit": p["unit"],
                "address": p["address"],
                "phone": p["phone"],
                "email": p["email"],
                "id_number": p["id_number"],
            }
        )
    files["danh-sach.xlsx"] = manifest(rows)
    return zip_of(files), rows
