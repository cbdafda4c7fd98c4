"""Headless recalculation: every formula of a workbook, built-ins and PT_*, without Excel.

The `formulas` package evaluates the workbook; the PT_* functions are registered into it
through an adapter that hands them what xlwings would (scalars, flat lists, lists of lists,
None for empty cells, floats for numbers). Prefixes Excel writes in front of user functions
(`_xludf.`, `_xldudf_NS_`, `[1]!`) are removed first. The output is a copy of the workbook,
same sheets, names, styles and layout, with each formula cell replaced by its value.
"""
from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
from openpyxl.utils.cell import range_boundaries
from openpyxl.worksheet.formula import ArrayFormula

from ptcalc.errors import UsageError
from ptcalc.safe_write import atomic_save

from .pt_udfs import UDFS

UDF_PREFIX = re.compile(r"(?:\[\d+\]!|'[^']+\.xla[m]?'!|_xludf\.|_xldudf_(?:[A-Z0-9]+_)?)(?=PT_)", re.I)
_KEY = re.compile(r"^'?\[[^\]]+\](.+?)'?!([A-Z]+\d+(?::[A-Z]+\d+)?)$")


def normalise_formula(text: str) -> str:
    """`=_xludf.PT_UNITS(A1)` -> `=PT_UNITS(A1)`; other formulas unchanged."""
    return UDF_PREFIX.sub("", text)


def _cell_value(value: Any) -> Any:
    """A cell as xlwings hands it to a UDF: None for empty, float for numbers."""
    import schedula

    from formulas.tokens.operand import XlError

    if value is schedula.EMPTY or isinstance(value, XlError):
        return None if value is schedula.EMPTY else value
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


def _excel_shape(arg: Any) -> Any:
    """A `formulas` argument (2-D array for references, scalar for literals) in xlwings' shape."""
    if not isinstance(arg, np.ndarray):
        return _cell_value(arg)
    rows = [[_cell_value(v) for v in row] for row in np.atleast_2d(arg).tolist()]
    if len(rows) == 1 and len(rows[0]) == 1:
        return rows[0][0]
    if len(rows) == 1:
        return rows[0]
    if all(len(r) == 1 for r in rows):
        return [r[0] for r in rows]
    return rows


def _first_error(values: Any) -> Any:
    from formulas.tokens.operand import XlError

    cells = values if isinstance(values, list) else [values]
    for cell in cells:
        if isinstance(cell, list):
            found = _first_error(cell)
            if found is not None:
                return found
        elif isinstance(cell, XlError):
            return cell
    return None


_raised: list[str] = []  # messages of PT_* calls that became #VALUE! during the last compute()


def _adapter(name: str, function: Callable) -> Callable:
    def call(*args: Any) -> Any:
        shaped = [_excel_shape(a) for a in args]
        error = next((e for e in map(_first_error, shaped) if e is not None), None)
        if error is not None:  # an error cell in the arguments propagates, as in Excel
            return error
        try:
            result = function(*shaped)
        except ValueError as exc:  # `formulas` turns it into #VALUE!, as Excel does
            _raised.append(f"{name}: {exc}")
            raise
        return np.asarray(result, dtype=object) if isinstance(result, list) else result
    return call


def register_udfs(udfs: dict[str, Callable] = UDFS) -> None:
    """Register the PT_* functions with `formulas` (its registry is global and cached)."""
    from formulas import get_functions
    from formulas.functions import wrap_func

    registry = get_functions()
    for name, function in udfs.items():
        registry[name.upper()] = wrap_func(_adapter(name, function))


@dataclass
class RecalcResult:
    output: Path
    formulas: int = 0
    errors: list[tuple[str, str]] = field(default_factory=list)  # (Sheet!A1, error value)
    messages: list[str] = field(default_factory=list)  # why PT_* calls raised, in order
    unsolved: list[str] = field(default_factory=list)  # formula cells left without a value (circular references)

    def summary(self) -> str:
        lines = [f"recalculated {self.formulas} formula cells -> {self.output}"]
        if self.errors:
            lines.append(f"{len(self.errors)} cells evaluate to an error: "
                         + ", ".join(f"{cell} {value}" for cell, value in self.errors[:10])
                         + (" ..." if len(self.errors) > 10 else ""))
        if self.errors:  # `formulas` evaluates both IF branches, so a message alone may come from a discarded one
            lines.extend(f"  {message}" for message in dict.fromkeys(self.messages))
        if self.unsolved:
            lines.append(f"{len(self.unsolved)} formula cells have no value (a circular reference?): "
                         + ", ".join(self.unsolved[:10]) + (" ..." if len(self.unsolved) > 10 else ""))
        return "\n".join(lines)


def _formula_text(value: Any) -> str | None:
    if isinstance(value, ArrayFormula):
        return value.text
    if isinstance(value, str) and value.startswith("="):
        return value
    return None


def _load(path: Path) -> openpyxl.Workbook:
    try:
        return openpyxl.load_workbook(path, keep_vba=path.suffix.lower() == ".xlsm")
    except FileNotFoundError:
        raise UsageError(f"{path}: no such file") from None
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds for a non-workbook
        raise UsageError(f"{path}: not a readable .xlsx/.xlsm workbook ({type(exc).__name__})") from None


def compute(path: Path) -> dict[tuple[str, str], Any]:
    """Every formula cell's value, keyed by (sheet title, A1), after prefix normalisation."""
    os.environ.setdefault("TQDM_DISABLE", "1")  # `formulas` draws progress bars while loading
    import formulas

    register_udfs()
    _raised.clear()
    workbook = _load(path)
    titles = {ws.title.upper(): ws.title for ws in workbook.worksheets}
    for ws in workbook.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                text = _formula_text(cell.value)
                if text and UDF_PREFIX.search(text):
                    if isinstance(cell.value, ArrayFormula):
                        cell.value = ArrayFormula(cell.value.ref, normalise_formula(text))
                    else:
                        cell.value = normalise_formula(text)
    with tempfile.TemporaryDirectory() as tmp:
        normalised = Path(tmp) / f"book{path.suffix.lower()}"
        workbook.save(normalised)
        try:
            solution = formulas.ExcelModel().loads(str(normalised)).finish().calculate()
        except formulas.errors.BaseError as exc:
            raise UsageError(f"{path}: {_unreadable_formula(workbook, exc)}") from None
    values: dict[tuple[str, str], Any] = {}
    for key, ranges in solution.items():
        match = _KEY.match(str(key))
        if not match or match.group(1).upper() not in titles:
            continue
        sheet = titles[match.group(1).upper()]
        min_col, min_row, _, _ = range_boundaries(match.group(2))
        block = np.atleast_2d(np.asarray(getattr(ranges, "value", ranges), dtype=object))
        for r, row in enumerate(block):
            for c, value in enumerate(row):
                values[(sheet, f"{openpyxl.utils.get_column_letter(min_col + c)}{min_row + r}")] = value
    return values


def _unreadable_formula(workbook: openpyxl.Workbook, exc: Exception) -> str:
    """Which cell holds the formula `formulas` cannot read, and why (structured references such as
    Table1[Col] are not supported; unbalanced brackets are a typo)."""
    reason = str(exc.args[0] if exc.args else exc).split("\n")[0].rstrip(": ") or type(exc).__name__
    for ws in workbook.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                text = _formula_text(cell.value)
                if text and (text in str(exc) or text.count("(") != text.count(")")):
                    hint = " (structured table references are not supported: use A1 ranges)" if "[" in text else ""
                    return f"{ws.title}!{cell.coordinate}: {text[:80]} cannot be computed: {reason}{hint}"
    return f"a formula cannot be computed: {reason} ({type(exc).__name__})"


def _plain(value: Any) -> Any:
    import schedula

    if value is schedula.EMPTY:
        return None
    if isinstance(value, np.generic):
        return value.item()
    if type(value).__name__ == "XlError":
        return str(value)
    return value


def recalculate(path: Path, output: Path) -> RecalcResult:
    """Write `output`: a copy of `path` whose formula cells hold their computed values."""
    values = compute(path)
    workbook = _load(path)
    result = RecalcResult(output, messages=list(_raised))
    for ws in workbook.worksheets:
        targets = []
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, ArrayFormula):  # the top-left cell holds the whole range's formula
                    min_col, min_row, max_col, max_row = range_boundaries(cell.value.ref)
                    targets.extend(ws.cell(r, c) for r in range(min_row, max_row + 1)
                                   for c in range(min_col, max_col + 1))
                elif _formula_text(cell.value) is not None:
                    targets.append(cell)
        for cell in targets:
            value = _plain(values.get((ws.title, cell.coordinate)))
            if value is None:  # a formula with no value: `formulas` leaves circular references empty
                result.unsolved.append(f"{ws.title}!{cell.coordinate}")
            cell.value = value
            if isinstance(value, str):
                cell.data_type = "s"  # computed text stays text, even when it reads like a formula
            result.formulas += 1
            if isinstance(value, str) and value.startswith("#"):
                result.errors.append((f"{ws.title}!{cell.coordinate}", value))
    atomic_save(output, workbook.save, inputs=(path,))
    return result
