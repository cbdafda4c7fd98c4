"""What Excel hands a function, turned into flat Python lists, and results turned back.

xlwings (classic and Lite) passes a single cell as a scalar (numbers as float, empty as None,
dates as datetime), a one-row or one-column range as a flat list, and a block as a list of
lists. On Linux the decorators run no converter, so the functions normalise for themselves.
"""
from __future__ import annotations

from typing import Any


def is_range(value: Any) -> bool:
    return isinstance(value, (list, tuple))


def flatten(value: Any) -> list[Any]:
    """Cells of a scalar, a 1-D list or a 2-D block, row by row."""
    if not is_range(value):
        return [value]
    cells: list[Any] = []
    for item in value:
        cells.extend(flatten(item) if is_range(item) else [item])
    return cells


def column(values: list[Any]) -> list[list[Any]]:
    """A vertical array that spills in Excel 365 (and fills a CSE range in older Excel)."""
    return [[v] for v in values]
