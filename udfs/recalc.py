"""Headless recalculation: every formula of a workbook, built-ins and PT_*, without Excel.

formualizer (a Rust formula engine; chosen by measurement: the bench's 10,000 PT_* cells in
2.1 s, where the `formulas` package took 26.8 s) evaluates the workbook; the PT_* functions are registered
into it through an adapter that hands them what xlwings would (scalars, flat lists, lists of
lists, None for empty cells, floats for numbers; dates as serial numbers). Prefixes Excel writes in front of user functions
(`_xludf.`, `_xldudf_NS_`, `[1]!`) are removed first. The output is a copy of the workbook,
same sheets, names, styles and layout, with each formula cell replaced by its value.
"""
from __future__ import annotations

import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.utils.cell import range_boundaries
from openpyxl.worksheet.formula import ArrayFormula

from ptcalc.errors import UsageError
from ptcalc.safe_write import atomic_save

from .pt_udfs import UDFS

UDF_PREFIX = re.compile(r"(?:\[\d+\]!|'[^']+\.xla[m]?'!|_xludf\.|_xldudf_(?:[A-Z0-9]+_)?)(?=PT_)", re.I)


def normalise_formula(text: str) -> str:
    """`=_xludf.PT_UNITS(A1)` -> `=PT_UNITS(A1)`; other formulas unchanged."""
    return UDF_PREFIX.sub("", text)


ERROR_TEXT = {"Null": "#NULL!", "Div": "#DIV/0!", "Value": "#VALUE!", "Ref": "#REF!", "Name": "#NAME?",
              "Num": "#NUM!", "Na": "#N/A", "GettingData": "#GETTING_DATA", "Spill": "#SPILL!", "Calc": "#CALC!"}
CIRCULAR = "Circ"  # formualizer's kind for a cell on a circular reference (Excel leaves it unsolved)
UNREADABLE = "Error"  # formualizer's kind for a formula it cannot parse


def _error_kind(value: Any) -> str | None:
    """formualizer hands error values as {'type': 'Error', 'kind': 'Na'}."""
    if isinstance(value, dict) and value.get("type") == "Error":
        return str(value.get("kind"))
    return None


def _excel_shape(arg: Any) -> Any:
    """A formualizer argument (rows of cells for a reference, a scalar for a literal) in xlwings' shape:
    a scalar for one cell, a flat list for one row or column, rows for a block; None for an argument
    left out."""
    if not isinstance(arg, list):
        return None if arg == LEFT_OUT else arg
    rows = [row if isinstance(row, list) else [row] for row in arg]
    if len(rows) == 1 and len(rows[0]) == 1:
        return rows[0][0]
    if len(rows) == 1:
        return rows[0]
    if all(len(r) == 1 for r in rows):
        return [r[0] for r in rows]
    return rows


def _first_error(value: Any) -> Any:
    if isinstance(value, list):
        return next((e for e in map(_first_error, value) if e is not None), None)
    return value if _error_kind(value) else None


def _adapter(name: str, function: Callable, raised: list[str]) -> Callable:
    def call(*args: Any) -> Any:
        shaped = [_excel_shape(a) for a in args]
        error = next((e for e in map(_first_error, shaped) if e is not None), None)
        if error is not None:  # an error cell in the arguments propagates, as in Excel
            return error
        try:
            return function(*shaped)
        except ValueError as exc:  # formualizer turns it into #VALUE!, as Excel does
            raised.append(f"{name}: {exc}")
            raise
    return call


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
        if self.errors:  # why the PT_* calls among them failed
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


def _formula_cells(workbook: openpyxl.Workbook) -> list[tuple[Any, Any, str]]:
    """(sheet, cell, formula) of every formula cell; each cell of an array formula's range carries its formula."""
    found = []
    for ws in workbook.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                text = _formula_text(cell.value)
                if text is None:
                    continue
                if isinstance(cell.value, ArrayFormula):  # the top-left cell holds the whole range's formula
                    min_col, min_row, max_col, max_row = range_boundaries(cell.value.ref)
                    found.extend((ws, ws.cell(r, c), text) for r in range(min_row, max_row + 1)
                                 for c in range(min_col, max_col + 1))
                else:
                    found.append((ws, cell, text))
    return found


def _prepare_formulas(workbook: openpyxl.Workbook) -> None:
    """Prefixes off, and arguments left out of PT_* calls marked (see mark_left_out_arguments)."""
    for ws in workbook.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                text = _formula_text(cell.value)
                if not text or "PT_" not in text.upper():
                    continue
                prepared = mark_left_out_arguments(normalise_formula(text))
                if prepared != text:
                    if isinstance(cell.value, ArrayFormula):
                        cell.value = ArrayFormula(cell.value.ref, prepared)
                    else:
                        cell.value = prepared


LEFT_OUT = "ptcalc:argument-left-out"  # stands for an argument left out of a PT_* call until the adapter
_MAYBE_LEFT_OUT = re.compile(r"[(,]\s*[,)]")


def mark_left_out_arguments(text: str) -> str:
    """`=PT_FEE(A2,,"national")` -> `=PT_FEE(A2,"ptcalc:argument-left-out","national")`.

    Excel hands a function an argument left out in the middle (or after a trailing comma) as
    "not given"; formualizer would hand it 0. The marker reaches the adapter, which passes None,
    as xlwings does. Other functions keep Excel's own rule for empty arguments.
    """
    if not _MAYBE_LEFT_OUT.search(text):
        return text
    import formualizer

    try:
        tokens = list(formualizer.tokenize(text))
    except Exception:  # noqa: BLE001 - an unreadable formula is reported by the evaluation, cell named
        return text
    frames: list[list] = []  # per open bracket: [is a PT_* call, what came last: open / sep / value]
    marks: list[int] = []
    for token in tokens:
        kind, part = str(token.token_type).rsplit(".", 1)[-1], str(token.subtype).rsplit(".", 1)[-1]
        if kind == "Whitespace":
            continue
        if part == "Open" and kind in ("Func", "Array", "Paren"):
            if frames:
                frames[-1][1] = "value"
            frames.append([kind == "Func" and token.value.upper().startswith("PT_"), "open"])
        elif part == "Close" and kind in ("Func", "Array", "Paren") and frames:
            is_pt, last = frames.pop()
            if is_pt and last == "sep":
                marks.append(token.start)
            if frames:
                frames[-1][1] = "value"
        elif kind == "Sep" and part == "Arg" and frames:
            if frames[-1][0] and frames[-1][1] in ("open", "sep"):
                marks.append(token.start)
            frames[-1][1] = "sep"
        elif frames:
            frames[-1][1] = "value"
    for position in sorted(marks, reverse=True):
        text = f'{text[:position]}"{LEFT_OUT}"{text[position:]}'
    return text


def _evaluated(workbook: openpyxl.Workbook, path: Path, raised: list[str]) -> Any:
    """The workbook evaluated by formualizer, with the PT_* functions registered."""
    import formualizer

    with tempfile.TemporaryDirectory() as tmp:
        normalised = Path(tmp) / "book.xlsx"
        workbook.save(normalised)
        try:
            book = formualizer.load_workbook(str(normalised))
        except Exception as exc:  # noqa: BLE001 - the engine's own errors for a workbook it cannot load
            raise UsageError(f"{path}: the workbook cannot be computed ({str(exc)[:200]})") from None
    for name, function in UDFS.items():
        book.register_function(name, _adapter(name, function, raised), allow_override_builtin=True)
    _define_tables(workbook, book)
    book.evaluate_all()
    return book


def _define_tables(workbook: openpyxl.Workbook, book: Any) -> None:
    """Give the engine the workbook's tables (its loader does not read them), then re-enter the
    formulas with structured references (Table1[Col]) so they resolve against them."""
    defined = False
    for ws in workbook.worksheets:
        for table in ws.tables.values():
            min_col, min_row, max_col, max_row = range_boundaries(table.ref)
            header_row = table.headerRowCount != 0
            headers = [column.name for column in table.tableColumns]
            book.add_table(table.displayName, ws.title, (min_row, min_col, max_row, max_col), headers,
                           header_row=header_row, totals_row=bool(table.totalsRowCount))
            defined = True
    if defined:
        for ws, cell, text in _formula_cells(workbook):
            if "[" in text and not isinstance(cell.value, ArrayFormula):
                book.set_formula(ws.title, cell.row, cell.column, text)


def _cell_result(value: Any) -> Any:
    """An evaluated value as the output cell holds it: error values as Excel writes them."""
    kind = _error_kind(value)
    if kind is None:
        return value
    return ERROR_TEXT.get(kind, f"#{kind.upper()}!")


def recalculate(path: Path, output: Path) -> RecalcResult:
    """Write `output`: a copy of `path` whose formula cells hold their computed values."""
    workbook = _load(path)
    _prepare_formulas(workbook)
    raised: list[str] = []
    book = _evaluated(workbook, path, raised)
    result = RecalcResult(output, messages=raised)
    for ws, cell, text in _formula_cells(workbook):
        value = book.get_value(ws.title, cell.row, cell.column)
        kind = _error_kind(value)
        if kind == UNREADABLE:
            hint = " (a structured reference to a table the workbook does not define?)" if "[" in text else ""
            raise UsageError(f"{path}: {ws.title}!{cell.coordinate}: {text[:80]} cannot be computed: "
                             f"the formula cannot be read{hint}")
        if kind == CIRCULAR:
            result.unsolved.append(f"{ws.title}!{cell.coordinate}")
            value = None
        value = _cell_result(value)
        cell.value = value
        if isinstance(value, str):
            cell.data_type = "s"  # computed text stays text, even when it reads like a formula
        result.formulas += 1
        if isinstance(value, str) and value.startswith("#"):
            result.errors.append((f"{ws.title}!{cell.coordinate}", value))
    atomic_save(output, workbook.save, inputs=(path,))
    return result
