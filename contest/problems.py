"""The project's convention for problems found by pure code: a code, parameters, and a
sentence in Vietnamese or English. Web views show `message(locale)`; CLIs pick the locale
from LANG/LANGUAGE."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Problem:
    code: str
    vi: str
    en: str
    params: dict[str, Any] = field(default_factory=dict)
    field: str | None = None  # the form field it belongs to, when there is one

    def message(self, lang: str = "vi") -> str:
        template = self.en if str(lang).startswith("en") else self.vi
        return template.format(**self.params)


def cli_language(environ: os._Environ | dict[str, str] | None = None) -> str:
    """English when LANGUAGE or LANG starts with "en", else Vietnamese."""
    env = os.environ if environ is None else environ
    for key in ("LANGUAGE", "LANG"):
        value = env.get(key, "")
        if value:
            return "en" if value.lower().startswith("en") else "vi"
    return "vi"


class ProblemError(Exception):
    """Raised with one or more problems; nothing has been written when it is raised."""

    def __init__(self, problems: list[Problem] | Problem):
        self.problems = [problems] if isinstance(problems, Problem) else list(problems)
        super().__init__("; ".join(p.message("en") for p in self.problems))

    def messages(self, lang: str = "vi") -> list[str]:
        return [p.message(lang) for p in self.problems]
