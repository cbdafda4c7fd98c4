"""The one-click scrub: scrubs the `Charges` sheet of the open workbook, in place.

`scrub_book(book)` uses only this subset of the xlwings Book API, which classic xlwings, xlwings
Lite and the tests' openpyxl-backed stand-in all provide:
`book.name`, `book.sheets[name]`, `name in [s.name for s in book.sheets]`, `book.sheets.add(name, after=)`,
`sheet.used_range.last_cell.row/column`, `sheet.range((r, c)[, (r2, c2)])` with `.options(ndim=2).value`,
`.value = rows`, `.clear_contents()`, `.color = ...`, and `sheet.clear()`; and, where the engine reads them
synchronously (classic xlwings; not xlwings Lite), `.merge_cells` and `.merge_area.row/.last_cell.row`.

It writes the three result columns right of the user's own columns (replacing those of an
earlier run), and rebuilds `Scrub Report` and `Scrub Summary`; it never writes into, or
recolours, a cell of the user's own columns.
"""
from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import xlwings as xw
from xlwings import script

from ptcalc.scrub import RawSheet, ScrubResult, scrub_sheet
from ptcalc.scrub.columns import OUTPUT_HEADERS, is_output_header
from ptcalc.scrub.report import REPORT_HEADERS, report_rows, summary_rows
from ptcalc.scrub.report_xlsx import FILLS, REPORT_SHEET, STATUS_FILL, SUMMARY_SHEET

CHARGES_SHEET = "Charges"


def _own_width(header: list[Any], rows: list[list[Any]]) -> int:
    """The user's columns: up to the first earlier result column, else the last filled column."""
    for index, cell in enumerate(header):
        if is_output_header(cell):
            return index
    return max((i + 1 for row in rows for i, v in enumerate(row) if v not in (None, "")), default=0)


def _merged_below(sheet: Any, last_row: int, last_column: int) -> dict[int, list[tuple[int, int]]]:
    """Column -> the rows under the top cell of each vertical merge (0-based, as the file reader gives them):
    Excel keeps a merged cell's value in its top cell only, and a patient or a date merged over a visit's
    lines is each line's (rows.carry_visit_cells_down), not a blank one. One call when the sheet has no merge;
    a column holding some is halved until each half is all or none merged (a few calls a merge). xlwings Lite
    reads merges only asynchronously: there none are known, and the blank cells are read as blank."""
    try:
        if sheet.range((1, 1), (last_row, last_column)).merge_cells is False:
            return {}
        below = {}
        for column in range(1, last_column + 1):
            if spans := _vertical_merges(sheet, column, last_row):
                below[column - 1] = spans
        return below
    except (NotImplementedError, AttributeError):  # Lite's sync API, or an engine without merges
        return {}


def _vertical_merges(sheet: Any, column: int, last_row: int) -> list[tuple[int, int]]:
    spans = []
    pending = [(1, last_row)]
    while pending:
        first, last = pending.pop()
        merged = sheet.range((first, column), (last, column)).merge_cells
        if merged is False:
            continue
        if merged is not True and first < last:  # partly merged (COM's Null)
            middle = (first + last) // 2
            pending += [(middle + 1, last), (first, middle)]
            continue
        row = first  # every cell from here to `last` is in a merge: walk them one merge at a time
        while row <= last:
            area = sheet.range((row, column)).merge_area
            top, bottom = area.row, area.last_cell.row
            if top >= first and bottom > top:  # its top is in this part (a merge that starts above was found there)
                spans.append((top, bottom - 1))  # rows[top] .. rows[bottom - 1]: the cells under the top one
            row = max(bottom, row) + 1
    return sorted(spans)


def _fresh_sheet(book: Any, name: str, after: Any) -> Any:
    if name in [s.name for s in book.sheets]:
        sheet = book.sheets[name]
        sheet.clear()
        return sheet
    return book.sheets.add(name, after=after)


def scrub_book(book: Any, sheet_name: str = CHARGES_SHEET, as_of: date | None = None) -> ScrubResult:
    sheet = book.sheets[sheet_name]
    last = sheet.used_range.last_cell
    rows = sheet.range((1, 1), (last.row, last.column)).options(ndim=2).value
    header_index = next((i for i, row in enumerate(rows) if any(v not in (None, "") for v in row)), 0)
    width = _own_width(rows[header_index], rows)
    own = [row[:width] for row in rows]
    merged = _merged_below(sheet, last.row, width) if width else {}
    result = scrub_sheet(RawSheet(Path(book.name), sheet_name, own, merged_below=merged), as_of=as_of)

    block = [list(OUTPUT_HEADERS)]
    for number in range(header_index + 2, len(rows) + 1):
        findings = result.by_row.get(number, [])
        blank = not any(v not in (None, "") for v in own[number - 1])
        block.append([None, None, None] if blank else [
            result.status(number), "; ".join(f"{f.rule} {f.message}" for f in findings) or None,
            result.expected_units.get(number)])
    top = header_index + 1
    sheet.range((top, width + 1), (max(last.row, len(rows)), width + 3)).clear_contents()
    target = sheet.range((top, width + 1), (top + len(block) - 1, width + 3))
    target.value = block
    status_column = sheet.range((top + 1, width + 1), (max(top + 1, top + len(block) - 1), width + 1))
    status_column.color = None
    for offset, values in enumerate(block[1:], start=1):
        fill = STATUS_FILL.get(values[0])
        if fill:
            sheet.range((top + offset, width + 1)).color = FILLS[fill][0]

    report = _fresh_sheet(book, REPORT_SHEET, sheet)
    report.range((1, 1), (len(result.findings) + 1, len(REPORT_HEADERS))).value = \
        [list(REPORT_HEADERS)] + report_rows(result)
    summary = _fresh_sheet(book, SUMMARY_SHEET, report)
    table = summary_rows(result)
    summary.range((1, 1), (len(table), len(table[0]))).value = table
    return result


@script
def pt_scrub(book: xw.Book) -> None:
    """xlwings Lite: the Scrub button (Run in the task pane, or a sheet button bound to it)."""
    scrub_book(book)


def pt_scrub_runpython() -> None:
    """Classic xlwings: RunPython "import udfs.macros as m; m.pt_scrub_runpython()" from a button."""
    scrub_book(xw.Book.caller())
