"""Command line: ``python -m contest.similarity DIR [--references REFDIR] [--json OUT]``.

Reads every .txt/.docx/.pdf/.odt in DIR (through contest.extract when present), scans, prints
documents ranked by overlap and the top pairs. Messages in Vietnamese, or English when LANG or
LANGUAGE starts with "en". Unreadable files are reported and skipped.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from contest.similarity.engine import scan
from contest.similarity.model import Config, Doc, SimilarityError

_SUFFIXES = (".txt", ".docx", ".pdf", ".odt")
_MESSAGES = {
    "vi": {
        "no_dir": "Không tìm thấy thư mục {path}.",
        "skipped": "Bỏ qua {name}: {reason}",
        "none": "Không có tệp .txt, .docx, .pdf hay .odt nào trong {path}.",
        "docs": "Văn bản (xếp theo tỷ lệ trùng lặp)",
        "pairs": "Các cặp trùng lặp nhiều nhất",
        "head_doc": "{name:<32} {words:>7} {overlap:>8} {quoted:>8}  cờ",
        "head_pair": "{a:<28} {b:<28} {kind:<10} {score:>6}",
        "short": "quá ngắn",
        "written": "Đã ghi kết quả vào {path}.",
        "progress": "Đang so sánh",
    },
    "en": {
        "no_dir": "Folder {path} was not found.",
        "skipped": "Skipped {name}: {reason}",
        "none": "No .txt, .docx, .pdf or .odt file in {path}.",
        "docs": "Documents (by overlap)",
        "pairs": "Top pairs",
        "head_doc": "{name:<32} {words:>7} {overlap:>8} {quoted:>8}  flag",
        "head_pair": "{a:<28} {b:<28} {kind:<10} {score:>6}",
        "short": "too short",
        "written": "Results written to {path}.",
        "progress": "Comparing",
    },
}


def _lang() -> str:
    for var in ("LANGUAGE", "LANG"):
        if os.environ.get(var, "").lower().startswith("en"):
            return "en"
    return "vi"


def _read(path: Path, lang: str) -> tuple[str | None, str | None]:
    """Return (text, None) or (None, reason) for one file."""
    try:
        from contest.extract import ExtractionError, extract_path
    except ImportError:  # the extraction module may be absent: plain text still works
        extract_path = None
        ExtractionError = ()  # noqa: N806
    if extract_path is not None:
        try:
            return extract_path(path).text, None
        except ExtractionError as exc:
            return None, exc.message(lang)
        except OSError as exc:
            return None, exc.strerror or type(exc).__name__
    try:
        if path.suffix.lower() != ".txt":
            return None, path.suffix
        return path.read_bytes().decode("utf-8-sig"), None
    except (OSError, UnicodeDecodeError) as exc:
        return None, type(exc).__name__


def _load(folder: Path, lang: str) -> list[Doc]:
    docs = []
    for path in sorted(folder.iterdir()):
        if path.suffix.lower() not in _SUFFIXES or not path.is_file():
            continue
        text, reason = _read(path, lang)
        if text is None:
            print(_MESSAGES[lang]["skipped"].format(name=path.name, reason=reason), file=sys.stderr)
            continue
        docs.append(Doc(path.name, text))
    return docs


def _bar(label: str):
    def show(done: int, total: int) -> None:
        width = 30
        filled = int(width * done / total) if total else width
        end = "\n" if done >= total else ""
        sys.stderr.write(f"\r{label} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}{end}")
        sys.stderr.flush()

    return show


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit status (0 ok, 2 bad input)."""
    lang = _lang()
    msg = _MESSAGES[lang]
    parser = argparse.ArgumentParser(prog="python -m contest.similarity")
    parser.add_argument("folder")
    parser.add_argument("--references")
    parser.add_argument("--json")
    parser.add_argument("--threshold", type=float, default=0.2)
    parser.add_argument("--top", type=int, default=20)
    args = parser.parse_args(argv)
    folder = Path(args.folder)
    if not folder.is_dir():
        print(msg["no_dir"].format(path=folder), file=sys.stderr)
        return 2
    docs = _load(folder, lang)
    if not docs:
        print(msg["none"].format(path=folder), file=sys.stderr)
        return 2
    refs = []
    if args.references:
        ref_dir = Path(args.references)
        if not ref_dir.is_dir():
            print(msg["no_dir"].format(path=ref_dir), file=sys.stderr)
            return 2
        refs = _load(ref_dir, lang)
    try:
        # A command line runs on its own main thread: forking workers is safe here.
        config = Config(default_threshold=args.threshold, workers=os.cpu_count() or 1)
        progress = _bar(msg["progress"]) if len(docs) >= 200 else None
        result = scan(docs, refs, config=config, progress=progress)
    except SimilarityError as exc:
        print(exc.message(lang), file=sys.stderr)
        return 2
    print(msg["docs"])
    print(msg["head_doc"].format(name="", words="", overlap="overlap", quoted="quoted"))
    for d in result.documents:
        note = msg["short"] if d.status != "ok" else ("*" if d.flagged else "")
        print(f"{d.name[:32]:<32} {d.words:>7} {d.overlap:>8.1%} {d.quoted:>8.1%}  {note}")
    print()
    print(msg["pairs"])
    for p in result.pairs[: args.top]:
        print(f"{p.a[:28]:<28} {p.b[:28]:<28} {p.kind:<10} {p.score:>6.1%}")
    if args.json:
        Path(args.json).write_text(
            json.dumps(result.to_json_dict(), ensure_ascii=False, indent=1), encoding="utf-8"
        )
        print(msg["written"].format(path=args.json))
    return 0


if __name__ == "__main__":
    sys.exit(main())
