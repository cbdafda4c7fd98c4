"""The rows of an Excel 2003 XML spreadsheet (SpreadsheetML: `<Workbook><Worksheet><Table><Row><Cell>`),
which older practice-management and reporting systems still write as "Export to Excel", named `.xls`
or `.xml`; python-calamine does not read it.
"""
from __future__ import annotations

import re
from xml.etree import ElementTree

from ..errors import UsageError

_SS = "urn:schemas-microsoft-com:office:spreadsheet"
_NUMBER = re.compile(r"-?\d+(\.\d+)?([eE][-+]?\d+)?")


MAX_ROWS, MAX_COLUMNS = 1_048_576, 16_384  # an Excel sheet's limits
MAX_CELLS = 40_000_000  # rows x columns laid out, as for a workbook (reader.MAX_CELLS)


def _index(element: ElementTree.Element, default: int, limit: int, what: str, source: str) -> int:
    """A row's or cell's ss:Index (1-based), refused past what a sheet holds or before the one it follows."""
    text = element.get(f"{{{_SS}}}Index")
    try:
        at = int(text) if text is not None else default
    except ValueError:
        at = -1
    if not default <= at <= limit:
        raise UsageError(f"{source}: a {what} placed at ss:Index={text!r}: not after the one before it, or past "
                         "what an Excel sheet holds")
    return at


def looks_like_spreadsheet_2003(head: bytes) -> bool:
    return b"<?xml" in head[:200] and _SS.encode() in head


def spreadsheet_2003_rows(raw: bytes, sheet: str | None, source: str) -> tuple[str, list[list[object]]]:
    """(the sheet's name, its rows from A1): `ss:Index` places a cell after skipped
    ones, `ss:MergeAcross` keeps the cells after it in place, numbers are numbers and the rest text
    (a DateTime stays its ISO text, which the date reader takes)."""
    try:
        root = ElementTree.fromstring(raw)
    except ElementTree.ParseError as exc:
        raise UsageError(f"{source}: an Excel 2003 XML spreadsheet that is not well-formed XML ({exc})") from None
    sheets = root.findall(f"{{{_SS}}}Worksheet")
    names = [ws.get(f"{{{_SS}}}Name") or f"Sheet{i + 1}" for i, ws in enumerate(sheets)]
    if not sheets:
        raise UsageError(f"{source}: the Excel 2003 XML spreadsheet has no worksheets")
    if sheet is not None and sheet not in names:
        raise UsageError(f"{source}: no sheet named {sheet!r} (sheets: {', '.join(names)})")
    name = sheet if sheet is not None else names[0]
    chosen = sheets[names.index(name)]
    rows: list[list[object]] = []
    table = chosen.find(f"{{{_SS}}}Table")
    for row in table.iter(f"{{{_SS}}}Row") if table is not None else ():
        at = _index(row, len(rows) + 1, MAX_ROWS, "row", source)
        rows.extend([] for _ in range(at - 1 - len(rows)))
        cells: list[object] = []
        for cell in row.iter(f"{{{_SS}}}Cell"):
            merged = cell.get(f"{{{_SS}}}MergeAcross") or "0"
            merged = int(merged) if merged.isdigit() else 0
            column = _index(cell, len(cells) + 1, MAX_COLUMNS - merged, "column", source)
            cells.extend("" for _ in range(column - 1 - len(cells)))
            data = cell.find(f"{{{_SS}}}Data")
            text = "".join(data.itertext()) if data is not None else ""
            kind = data.get(f"{{{_SS}}}Type") if data is not None else None
            cells.append(float(text) if kind == "Number" and _NUMBER.fullmatch(text.strip()) else text)
            cells.extend("" for _ in range(merged))
        rows.append(cells)
    width = max(map(len, rows), default=0)
    if len(rows) * width > MAX_CELLS:
        raise UsageError(f"{source}: the sheet reaches row {len(rows):,} and column {width:,} ({len(rows) * width:,} "
                         "cells): clear the cells far outside the charge table and scrub again")
    return name, [r + [""] * (width - len(r)) for r in rows]
