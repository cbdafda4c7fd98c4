"""An openpyxl-backed stand-in for the subset of the xlwings Book API that `scrub_book` uses.

It hands values over the way xlwings does: numbers as float, empty cells as None, dates as
datetime, and always a list of lists under `.options(ndim=2)`.
"""
from __future__ import annotations

from typing import Any

import openpyxl
from openpyxl.styles import PatternFill


class FakeRange:
    def __init__(self, ws: Any, first: tuple[int, int], last: tuple[int, int] | None = None) -> None:
        self.ws = ws
        self.r1, self.c1 = first
        self.r2, self.c2 = last or first

    def options(self, ndim: int | None = None, err_to_str: bool = False) -> FakeRange:
        assert ndim == 2, "scrub_book reads with ndim=2"
        self.err_to_str = err_to_str
        return self

    def _cells(self) -> list[list[Any]]:
        return [[self.ws.cell(r, c) for c in range(self.c1, self.c2 + 1)] for r in range(self.r1, self.r2 + 1)]

    @property
    def value(self) -> list[list[Any]]:
        def xlwings_value(cell: Any) -> Any:
            v = cell.value
            if cell.data_type == "e":  # an error cell (#N/A): its text with err_to_str, else None, as xlwings gives it
                return v if getattr(self, "err_to_str", False) else None
            if isinstance(v, int) and not isinstance(v, bool):
                return float(v)
            return None if v == "" else v
        return [[xlwings_value(cell) for cell in row] for row in self._cells()]

    @value.setter
    def value(self, rows: list[list[Any]]) -> None:
        for r, row in enumerate(rows):
            for c, v in enumerate(row):
                self.ws.cell(self.r1 + r, self.c1 + c).value = v

    @property
    def formula(self) -> list[list[Any]]:
        return [[cell.value for cell in row] for row in self._cells()]

    @formula.setter
    def formula(self, rows: list[list[str]]) -> None:
        self.value = rows  # openpyxl keeps a formula as its text

    def clear_contents(self) -> None:
        for row in self._cells():
            for cell in row:
                cell.value = None

    @property
    def row(self) -> int:
        return self.r1

    @property
    def last_cell(self) -> FakeRange:
        return FakeRange(self.ws, (self.r2, self.c2))

    def _merge_of(self, row: int, col: int) -> Any:
        return next((m for m in self.ws.merged_cells.ranges
                     if m.min_row <= row <= m.max_row and m.min_col <= col <= m.max_col), None)

    @property
    def merge_cells(self) -> bool | None:
        """As Excel's Range.MergeCells through COM: True when every cell is in a merge, False when none is,
        None (Null) when some are."""
        merged = {self._merge_of(r, c) is not None for r in range(self.r1, self.r2 + 1)
                  for c in range(self.c1, self.c2 + 1)}
        return None if len(merged) > 1 else merged.pop()

    @property
    def merge_area(self) -> FakeRange:
        """The merge holding the range's first cell, or that cell."""
        merge = self._merge_of(self.r1, self.c1)
        if merge is None:
            return FakeRange(self.ws, (self.r1, self.c1))
        return FakeRange(self.ws, (merge.min_row, merge.min_col), (merge.max_row, merge.max_col))

    async def get_merge_cells(self) -> bool | None:
        """xlwings Lite's (Office.js) question, the same answer."""
        return self.merge_cells

    async def get_merge_area(self) -> FakeRange:
        return self.merge_area

    @property
    def color(self) -> str | None:
        fill = self.ws.cell(self.r1, self.c1).fill
        return None if fill.fill_type is None else "#" + fill.fgColor.rgb[-6:]

    @color.setter
    def color(self, value: str | None) -> None:
        fill = PatternFill() if value is None else PatternFill("solid", fgColor=value.lstrip("#"))
        for row in self._cells():
            for cell in row:
                cell.fill = fill


class _LastCell:
    def __init__(self, ws: Any) -> None:
        self.row, self.column = ws.max_row, ws.max_column


class _UsedRange:
    def __init__(self, ws: Any) -> None:
        self.last_cell = _LastCell(ws)


class FakeSheet:
    def __init__(self, ws: Any) -> None:
        self.ws = ws

    @property
    def name(self) -> str:
        return self.ws.title

    @property
    def used_range(self) -> _UsedRange:
        return _UsedRange(self.ws)

    def range(self, first: tuple[int, int], last: tuple[int, int] | None = None) -> FakeRange:
        return FakeRange(self.ws, first, last)

    def clear(self) -> None:
        self.ws.delete_rows(1, self.ws.max_row)

    def activate(self) -> None:
        self.ws.parent.active = self.ws


class FakeSheets:
    def __init__(self, wb: openpyxl.Workbook) -> None:
        self.wb = wb

    def __getitem__(self, name: str) -> FakeSheet:
        return FakeSheet(self.wb[name])

    def __iter__(self):  # noqa: ANN204
        return (FakeSheet(ws) for ws in self.wb.worksheets)

    @property
    def active(self) -> FakeSheet:
        return FakeSheet(self.wb.active)

    def add(self, name: str, after: FakeSheet | None = None) -> FakeSheet:
        """As Excel does, the new sheet becomes the active one."""
        index = self.wb.sheetnames.index(after.name) + 1 if after else len(self.wb.sheetnames)
        sheet = self.wb.create_sheet(name, index)
        self.wb.active = sheet
        return FakeSheet(sheet)


class FakeApp:
    def __init__(self) -> None:
        self.alerts: list[tuple[str, str | None, str | None]] = []  # (prompt, title, mode) of each message box

    def alert(self, prompt: str, title: str | None = None, buttons: str = "ok", mode: str | None = None,
              callback: str | None = None) -> str:
        self.alerts.append((prompt, title, mode))
        return "ok"


class FakeBook:
    def __init__(self, wb: openpyxl.Workbook, name: str = "charges.xlsm", fullname: str | None = None) -> None:
        self.name = name
        self.fullname = fullname or name  # a saved workbook's path; a new one's (and xlwings Lite's) only its name
        self.sheets = FakeSheets(wb)
        self.app = FakeApp()
