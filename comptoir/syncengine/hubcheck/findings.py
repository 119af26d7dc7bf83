"""What a check of ``hub check`` finds: ``ok``, or a problem with what to do."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Finding:
    """One result: ``ok`` or a problem, what was found (``text``) and what to do (``fix``)."""

    check: str
    ok: bool
    text: str
    fix: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def ok(check: str, text: str) -> Finding:
    return Finding(check, True, text)


def problem(check: str, text: str, fix: str) -> Finding:
    return Finding(check, False, text, fix)
