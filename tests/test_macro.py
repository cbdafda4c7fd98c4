"""The scrub macro, run headlessly on an openpyxl workbook through the xlwings Book API subset."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import openpyxl
from openpyxl.styles import PatternFill

from ptcalc.scrub import scrub_file
from udfs.macros import scrub_book

from .fakebook import FakeBook
from .test_scrub import BASIC, as_xlsx

AS_OF = date(2026, 11, 22)


def snapshot(ws, width: int) -> list:  # noqa: ANN001
    return [[(c.value, c.fill.fgColor.rgb if c.fill.fill_type else None) for c in row[:width]]
            for row in ws.iter_rows(min_row=1, max_row=ws.max_row)]


def test_macro_writes_results_beside_the_users_columns_and_never_changes_them(tmp_path: Path) -> None:
    path = as_xlsx(BASIC, tmp_path / "book.xlsx", blank_after=3)
    wb = openpyxl.load_workbook(path)
    ws = wb["Charges"]
    ws["B3"].fill = PatternFill("solid", fgColor="FFFF00")  # the user's own highlight
    width = ws.max_column
    before = snapshot(ws, width)

    result = scrub_book(FakeBook(wb), as_of=AS_OF)
    assert snapshot(ws, width) == before
    assert [ws.cell(1, width + i).value for i in (1, 2, 3)] == ["Scrub Status", "Findings", "Expected Units"]
    assert ws.cell(5, width + 1).value is None  # the blank row
    statuses = [ws.cell(r, width + 1).value for r in range(2, ws.max_row + 1)]
    assert statuses.count("ERROR") == 9 and statuses.count(None) == 1
    assert wb.sheetnames == ["Charges", "Scrub Report", "Scrub Summary"]
    assert wb["Scrub Report"].max_row == len(result.findings) + 1
    # the macro and the command line judge the same sheet the same way
    cli = scrub_file(path, as_of=AS_OF)
    assert [(f.row, f.rule, f.status) for f in result.findings] == [(f.row, f.rule, f.status) for f in cli.findings]


def test_running_it_again_replaces_the_results_without_duplicates(tmp_path: Path) -> None:
    wb = openpyxl.load_workbook(as_xlsx(BASIC, tmp_path / "book.xlsx"))
    ws = wb["Charges"]
    width = ws.max_column
    scrub_book(FakeBook(wb), as_of=AS_OF)
    first = [[c.value for c in row] for row in ws.iter_rows()]
    report = [[c.value for c in row] for row in wb["Scrub Report"].iter_rows()]
    scrub_book(FakeBook(wb), as_of=AS_OF)
    assert [[c.value for c in row] for row in ws.iter_rows()] == first
    assert [[c.value for c in row] for row in wb["Scrub Report"].iter_rows()] == report
    assert wb.sheetnames == ["Charges", "Scrub Report", "Scrub Summary"] and ws.max_column == width + 3

    ws.cell(6, 7).value = 1  # the user fixes P003's units (row 6: 2 units for 20 minutes)
    scrub_book(FakeBook(wb), as_of=AS_OF)
    assert ws.cell(6, width + 1).value == "CLEAN" and ws.cell(6, width + 2).value is None
    assert ws.cell(6, width + 1).fill.fill_type is None  # last run's red is gone
    assert ws.max_column == width + 3
