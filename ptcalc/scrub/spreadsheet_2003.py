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
        at = int(row.get(f"{{{_SS}}}Index") or len(rows) + 1)
        rows.extend([] for _ in range(at - 1 - len(rows)))
        cells: list[object] = []
        for cell in row.iter(f"{{{_SS}}}Cell"):
            column = int(cell.get(f"{{{_SS}}}Index") or len(cells) + 1)
            cells.extend("" for _ in range(column - 1 - len(cells)))
            data = cell.find(f"{{{_SS}}}Data")
            text = "".join(data.itertext()) if data is not None else ""
            kind = data.get(f"{{{_SS}}}Type") if data is not None else None
            cells.append(float(text) if kind == "Number" and _NUMBER.fullmatch(text.strip()) else text)
            cells.extend("" for _ in range(int(cell.get(f"{{{_SS}}}MergeAcross") or 0)))
        rows.append(cells)
    width = max(map(len, rows), default=0)
    return name, [r + [""] * (width - len(r)) for r in rows]
