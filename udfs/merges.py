"""Where an open sheet's vertical merges are, asked of Excel through xlwings.

Excel hands a merged cell's value over in its top cell only; the scrub reads a patient or a date merged
over a visit's lines as each line's (ptcalc.scrub.rows.carry_visit_cells_down), as the file reader does from
the saved workbook's merges. Each question is a call into Excel (COM, or Office.js for xlwings Lite), so the
sheet is asked once whether it holds any merge, and a column that does is halved until each part is all or
none merged (a few questions a merge, against one a cell). The questions are asked by `merges_asked` (classic
xlwings: `merge_cells`, `merge_area`) or `merges_asked_async` (xlwings Lite reads them only asynchronously:
`get_merge_cells()`, `get_merge_area()`); `merge_questions` holds the search itself, for both.
"""
from __future__ import annotations

from collections.abc import Awaitable, Callable, Generator
from typing import Any

Cell = tuple[int, int]  # (row, column), 1-based as xlwings addresses them
Merges = dict[int, list[tuple[int, int]]]  # column -> (first, last) rows under each merge's top cell, 0-based
# ("cells", first, last): is the range merged (True all, False none, else partly); ("area", cell, cell): the
# (top, bottom) rows of the merge holding the cell (the cell's own row twice when it is in none)
Question = tuple[str, Cell, Cell]
_ENGINE_WITHOUT_MERGES = (NotImplementedError, AttributeError)  # Lite's sync API; an engine without them


def merge_questions(last_row: int, last_column: int) -> Generator[Question, Any, Merges]:
    """The questions that find the vertical merges of A1 to (last_row, last_column), sent their answers."""
    if (yield "cells", (1, 1), (last_row, last_column)) is False:
        return {}
    below: Merges = {}
    for column in range(1, last_column + 1):
        spans = []
        pending = [(1, last_row)]
        while pending:
            first, last = pending.pop()
            merged = yield "cells", (first, column), (last, column)
            if merged is False:
                continue
            if merged is not True and first < last:  # partly merged (COM's Null)
                middle = (first + last) // 2
                pending += [(middle + 1, last), (first, middle)]
                continue
            row = first  # every cell from here to `last` is in a merge: walk them one merge at a time
            while row <= last:
                top, bottom = yield "area", (row, column), (row, column)
                if top >= first and bottom > top:  # its top is in this part (one that starts above was found there)
                    spans.append((top, bottom - 1))  # rows[top] .. rows[bottom - 1]: the cells under the top one
                row = max(bottom, row) + 1
        if spans:
            below[column - 1] = sorted(spans)
    return below


def merges_asked(sheet: Any, last_row: int, last_column: int) -> Merges:
    """The sheet's vertical merges, asked synchronously (classic xlwings); none where the engine cannot say."""
    asking = _asked(sheet, merge_questions(last_row, last_column), _merge_cells_now, _merge_area_now)
    try:
        asking.send(None)  # runs to its end: nothing in it waits
    except StopIteration as done:
        return done.value
    raise RuntimeError("a synchronous question waited")


async def merges_asked_async(sheet: Any, last_row: int, last_column: int) -> Merges:
    """The same, asked asynchronously (xlwings Lite: each question a round trip to Excel)."""
    return await _asked(sheet, merge_questions(last_row, last_column), lambda cells: cells.get_merge_cells(),
                        lambda cells: cells.get_merge_area())


async def _asked(sheet: Any, questions: Generator[Question, Any, Merges], merge_cells: Callable[[Any], Awaitable],
                 merge_area: Callable[[Any], Awaitable]) -> Merges:
    answer = None
    try:
        while True:
            kind, first, last = questions.send(answer)
            cells = sheet.range(first, last)
            if kind == "cells":
                answer = await merge_cells(cells)
            else:
                area = await merge_area(cells)
                answer = area.row, area.last_cell.row
    except StopIteration as done:
        return done.value
    except _ENGINE_WITHOUT_MERGES:
        return {}


async def _merge_cells_now(cells: Any) -> bool | None:
    return cells.merge_cells


async def _merge_area_now(cells: Any) -> Any:
    return cells.merge_area
