"""The one-click scrub: scrubs the `Charges` sheet of the open workbook (or, in a workbook without one, the
active sheet), in place.

`scrub_book(book)` uses only this subset of the xlwings Book API, which classic xlwings, xlwings
Lite and the tests' openpyxl-backed stand-in all provide:
`book.name`, `book.sheets[name]`, `name in [s.name for s in book.sheets]`, `book.sheets.active`,
`book.sheets.add(name, after=)`, `sheet.activate()`, `book.app.alert(...)`,
`book.fullname` (where it gives a file's path: the clinic's settings beside it),
`sheet.used_range.last_cell.row/column`, `sheet.range((r, c)[, (r2, c2)])` with
`.options(ndim=2, err_to_str=True).value`, `.formula = rows`,
`.value = rows`, `.clear_contents()`, `.color = ...`, and `sheet.clear()`; and the sheet's merges (merges.py:
`.merge_cells` and `.merge_area` in classic xlwings, awaited `get_merge_cells()` and `get_merge_area()` in Lite).

It writes the three result columns right of the user's own columns (replacing those of an
earlier run), and rebuilds `Scrub Report` and `Scrub Summary`; it never writes into, or
recolours, a cell of the user's own columns.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from itertools import groupby
from pathlib import Path
from typing import Any

import xlwings as xw
from xlwings import script

from ptcalc.clinic_settings import ClinicSettings, settings_for
from ptcalc.errors import UsageError
from ptcalc.refdata import load_reference
from ptcalc.scrub import RawSheet, ScrubResult, scrub_sheet
from ptcalc.scrub.columns import OUTPUT_HEADERS, fold
from ptcalc.scrub.layout import GRID_READ, HEADER_SCAN_ROWS, NAME_THE_COLUMNS, SAY_WHICH
from ptcalc.scrub.report import (REPORT_HEADERS, added_columns_of_file_rows, escape_formula, link_to_line,
                                 report_rows, summary_rows)
from ptcalc.scrub.visit_rows import line_per_code
from ptcalc.scrub.report_xlsx import FILLS, REPORT_SHEET, STATUS_FILL, SUMMARY_SHEET
from ptcalc.scrub.runner import LOCALITY_HINT
from ptcalc.scrub.sheet_xml import MAX_CELL

from .merges import Merges, merges_asked, merges_asked_async

CHARGES_SHEET = "Charges"
_OUTPUT_FOLDED = [fold(name) for name in OUTPUT_HEADERS]


def _own_width(rows: list[list[Any]]) -> int:
    """The user's columns: up to an earlier run's three result columns (side by side on the header row, which the
    scrub looks for in the first rows; a user's own `Findings` column stays the user's), else the last filled
    column."""
    own = len(OUTPUT_HEADERS)
    for row in rows[:HEADER_SCAN_ROWS]:
        for index in range(len(row) - own + 1):
            if isinstance(row[index], str) and [fold(cell) for cell in row[index:index + own]] == _OUTPUT_FOLDED:
                return index
    return max((i + 1 for row in rows for i, v in enumerate(row) if v not in (None, "")), default=0)


def _as_text(rows: list[list[Any]]) -> list[list[Any]]:
    """Excel parses a value written into a cell as if typed: text from the sheet (a patient id `=A1`, a code
    `+97110`) would become a formula. A leading apostrophe keeps it the text it is, as the annotated copy writes it."""
    return [[escape_formula(value) for value in row] for row in rows]


def _fresh_sheet(book: Any, name: str, after: Any) -> Any:
    if name in [s.name for s in book.sheets]:
        sheet = book.sheets[name]
        sheet.clear()
        return sheet
    return book.sheets.add(name, after=after)


@dataclass
class _Charges:
    """The charge sheet as the macro reads it: every row from A1, and the user's own columns."""

    sheet: Any
    name: str
    own: list[list[Any]]  # each row's cells in the user's columns
    width: int  # the user's columns


def _clinic_settings(book: Any) -> ClinicSettings:
    """The `ptcalc.yaml` files at and above the workbook's folder, as `ptcalc scrub` reads them for the same file:
    the button and the command line judge a clinic's sheet alike (its staff, plan names, locality). None are read
    for a workbook that is not a saved file here (a new book; xlwings Lite, whose Python sees no local folders)."""
    fullname = getattr(book, "fullname", None)
    try:
        path = Path(fullname) if isinstance(fullname, str) and fullname else None
        saved = path is not None and path.is_absolute() and path.is_file()
    except OSError:  # a name the system cannot look up (an online workbook's address)
        saved = False
    return settings_for(path) if saved else ClinicSettings()


def _charge_sheet(book: Any, sheet_name: str, settings: ClinicSettings) -> Any:
    """The sheet named `sheet_name` (else the one the clinic's settings name, where the book has it); a workbook
    without a `Charges` sheet (an export pasted into a workbook of its own) has the charges on the sheet the user
    is looking at."""
    names = [s.name for s in book.sheets]
    if sheet_name == CHARGES_SHEET and settings.sheet in names and sheet_name not in names:
        sheet_name = settings.sheet
    if sheet_name in names:
        return book.sheets[sheet_name]
    active = book.sheets.active
    if sheet_name == CHARGES_SHEET and active.name not in (REPORT_SHEET, SUMMARY_SHEET):
        return active
    raise UsageError(f"no sheet named {sheet_name!r} (sheets: {', '.join(names)}): name the charge sheet "
                     f"{sheet_name!r}, or run the scrub with it active")


def _read_charges(book: Any, sheet_name: str, settings: ClinicSettings) -> _Charges:
    sheet = _charge_sheet(book, sheet_name, settings)
    last = sheet.used_range.last_cell
    # err_to_str: an error cell (#N/A of a lookup) is read as the error it shows, not as an empty cell
    rows = sheet.range((1, 1), (last.row, last.column)).options(ndim=2, err_to_str=True).value
    width = _own_width(rows)
    return _Charges(sheet, sheet.name, [row[:width] for row in rows], width)


def scrub_book(book: Any, sheet_name: str = CHARGES_SHEET, as_of: date | None = None) -> ScrubResult:
    """Scrub the sheet in place (classic xlwings, and the tests)."""
    settings = _clinic_settings(book)
    charges = _read_charges(book, sheet_name, settings)
    merged = merges_asked(charges.sheet, len(charges.own), charges.width) if charges.width else {}
    return _scrub_in_place(book, charges, merged, as_of, settings)


async def scrub_book_async(book: Any, sheet_name: str = CHARGES_SHEET, as_of: date | None = None) -> ScrubResult:
    """The same where the sheet's merges are asked asynchronously (xlwings Lite)."""
    settings = _clinic_settings(book)
    charges = _read_charges(book, sheet_name, settings)
    merged = await merges_asked_async(charges.sheet, len(charges.own), charges.width) if charges.width else {}
    return _scrub_in_place(book, charges, merged, as_of, settings)


def _scrub_in_place(book: Any, charges: _Charges, merged: Merges, as_of: date | None,
                    settings: ClinicSettings) -> ScrubResult:
    sheet, own, width = charges.sheet, charges.own, charges.width
    locality, said_by = settings.locality_or(None)
    # A visit per row (numbered codes, or a column per code) is judged as a line per code, its results written
    # beside the visit's row
    column_map = settings.columns_with(None)
    result = scrub_sheet(line_per_code(RawSheet(Path(book.name), charges.name, own, merged_below=merged), column_map),
                         settings.reference(load_reference()), as_of, column_map, locality=locality,
                         locality_from=said_by)
    if settings.paths:
        result.reading["settings"] = settings.described()
    header_index = result.header_index  # the header the scrub found (title rows above it are the user's)

    block = [list(OUTPUT_HEADERS)]
    filled_rows = [any(v not in (None, "") for v in row) for row in own]
    for status, said, expected in added_columns_of_file_rows(result, filled_rows):
        block.append([status, said[:MAX_CELL] if said else None, expected])
    top = header_index + 1
    sheet.range((top, width + 1), (len(own), width + 3)).clear_contents()
    target = sheet.range((top, width + 1), (top + len(block) - 1, width + 3))
    target.value = _as_text(block)
    status_column = sheet.range((top + 1, width + 1), (max(top + 1, top + len(block) - 1), width + 1))
    status_column.color = None
    first = top + 1  # one call into Excel per run of rows of one colour, not one per row
    for fill, run in groupby(STATUS_FILL.get(status) for status, _, _ in block[1:]):
        count = sum(1 for _ in run)
        if fill:
            sheet.range((first, width + 1), (first + count - 1, width + 1)).color = FILLS[fill][0]
        first += count

    report = _fresh_sheet(book, REPORT_SHEET, sheet)
    rows = report_rows(result)
    report.range((1, 1), (len(result.findings) + 1, len(REPORT_HEADERS))).value = \
        _as_text([list(REPORT_HEADERS)] + rows)
    if result.findings:  # each finding's row a link to its line, as in the annotated copy
        report.range((2, 1), (len(result.findings) + 1, 1)).formula = [
            ["=" + link_to_line(sheet.name, row[0])] for row in rows]
    summary = _fresh_sheet(book, SUMMARY_SHEET, report)
    table = [[in_excel_words(cell) for cell in row] for row in summary_rows(result)]
    summary.range((1, 1), (len(table), len(table[0]))).value = _as_text(table)
    sheet.activate()  # back to the charges (adding a sheet shows it), their statuses beside them
    return result


@script
async def pt_scrub(book: xw.Book) -> None:
    """xlwings Lite: the Scrub button (Run in the task pane, or a sheet button bound to it)."""
    try:
        await scrub_book_async(book)
    except UsageError as problem:
        say_in_excel(book, problem)


def pt_scrub_runpython() -> None:
    """Classic xlwings: RunPython "import udfs.macros as m; m.pt_scrub_runpython()" from a button."""
    book = xw.Book.caller()
    try:
        scrub_book(book)
    except UsageError as problem:
        say_in_excel(book, problem)


def say_in_excel(book: Any, problem: UsageError) -> None:
    """A sheet the scrub cannot read (no header naming the code, no Charges sheet...), said in Excel's message
    box, as the command line says it in one line (with what to do in Excel): not a Python traceback."""
    book.app.alert(in_excel_words(str(problem)), title="ptcalc scrub", mode="critical")


# What the command line's words advise (its options, a settings file), as it is done in Excel
_EXCEL_ADVICE = ((GRID_READ, "the Scrub button reads a row per visit as a line per filled cell where the header "
                             "names the patient or the date of service beside them (Patient, DOS)"),
                 (NAME_THE_COLUMNS, "head each column with one of those names (a header cell above its values)"),
                 (SAY_WHICH, "or rename the other"),
                 (LOCALITY_HINT, "; a Locality column (MAC-LL, or the locality's name) prices them at the clinic's"))


def in_excel_words(text: object) -> object:
    if not isinstance(text, str):
        return text
    for said, in_excel in _EXCEL_ADVICE:
        text = text.replace(said, in_excel)
    return text
