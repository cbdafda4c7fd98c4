"""One font family and size for every cell ptcalc writes, whatever the template's defaults."""
from __future__ import annotations

from typing import Any

from openpyxl.styles import Font

FAMILY, SIZE = "Calibri", 11


def font(**options: Any) -> Font:
    options.setdefault("size", SIZE)
    return Font(name=FAMILY, **options)


BODY = font()
