"""What Excel hands a function, turned into flat Python lists, and results turned back.

xlwings (classic and Lite) passes a single cell as a scalar (numbers as float, empty as None,
dates as datetime), a one-row or one-column range as a flat list, and a block as a list of
lists. On Linux the decorators run no converter, so the functions normalise for themselves.
"""
from __future__ import annotations

from typing import Any

from ptcalc.errors import PtcalcInputError


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


# What Excel error cells arrive as with err_to_str (classic and Lite), and the Office.js form.
EXCEL_ERRORS = frozenset({"#N/A", "#DIV/0!", "#NAME?", "#NULL!", "#NUM!", "#REF!", "#VALUE!", "#GETTING_DATA",
                          "#SPILL!", "#CALC!", "#FIELD!", "#BLOCKED!", "#CONNECT!", "#BUSY!", "#UNKNOWN!"})


def clean_argument(value: Any, name: str) -> Any:
    """An argument as the engine wants it: blanks (None, Lite's JsNull) as None, error cells refused."""
    if type(value) is float:  # most cells: a number is what it is (checked first: every PT_* call cleans each)
        return value
    if is_range(value):
        return [clean_argument(item, name) for item in value]
    if value is None or type(value).__name__ == "JsNull":  # older Lite runtimes pass JsNull for a blank
        return None
    if isinstance(value, dict) and value.get("type") == "Error":  # an Office.js error value, unconverted
        value = value.get("basicValue") or "#VALUE!"
    if isinstance(value, str) and value.strip().upper() in EXCEL_ERRORS:
        raise PtcalcInputError(f"{name}: the cell holds the Excel error {value.strip().upper()}; fix that cell "
                               "(an error is never read as an empty cell)")
    return value
