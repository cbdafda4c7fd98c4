"""Telling a claims file from a charge sheet by its first bytes (an X12 interchange starts `ISA`)."""
from __future__ import annotations

from pathlib import Path


def looks_like_x12(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            return handle.read(3).upper() == b"ISA"
    except OSError:
        return False
