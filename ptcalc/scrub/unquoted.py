"""Lines of delimited text split by a value that holds the delimiter and is not in quotes.

An export writer that does not quote (`A1,03/02/2026,97110,2,Peña, José`) splits such a value in two: the
line has one field more than the header, and every value after the split sits one column to the right of
its heading. A name written `Last, First` is the usual one: `Smith, John` and `Smith, Jane` then both read as
patient `Smith`, one patient, whose visits the rules would judge together. Excel, saving a sheet as csv,
quotes such values and writes every row as wide as the header (a cell typed past the last heading gives
the header row an empty field too), so only a line wider than the header row says its values moved.
"""
from __future__ import annotations

from typing import Any

from .cells import filled
from .lines import FIELDS, ChargeLine, Problem

_DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "vertical bar"}


def values_past_header(rows: list[list[Any]], header_width: int) -> dict[int, list[Any]]:
    """The rows (by index) with values in fields past the header row's last: index -> those values."""
    past: dict[int, list[Any]] = {}
    for i, row in enumerate(rows):
        if len(row) > header_width:
            extra = [value for value in row[header_width:] if filled(value)]
            if extra:
                past[i] = extra
    return past


def split_line_problem(extra: list[Any], header_width: int, delimiter: str) -> str:
    """What a line wider than its header says, and what to do."""
    shown = ", ".join(repr(str(value).strip()) for value in extra[:3])
    name = _DELIMITER_NAMES.get(delimiter, repr(delimiter))
    return (f"the line has {len(extra)} value{'s' if len(extra) > 1 else ''} past the header's {header_width} "
            f"columns ({shown}): a value holding a {name}, not in quotes (a name written Last, First), was split in "
            "two and the values after it moved one column right; nothing on the line can be trusted, so nothing else "
            "is judged on it. Have the export quote such values (or correct the line) and scrub again")


def every_line_past(past: dict[int, list[Any]], rows: list[list[Any]], not_lines: dict[int, str]) -> bool:
    """Every claim line of `rows` has values past the header: a column without a heading, not a split value
    (a split is a value's, so some lines have it and others not) — or every line's value split alike."""
    return all(i in past for i, row in enumerate(rows) if i not in not_lines and any(map(filled, row)))


def every_line_past_note(past: dict[int, list[Any]], header_width: int) -> str:
    example = next(iter(past.values()))[0]
    return (f"every line has a value past the header's {header_width} columns (e.g. {str(example).strip()!r}): a "
            "column without a heading, not read; if the export split a value holding the delimiter (no quotes), "
            "the values after it are read under the wrong headings: check the lines' patients and codes")


def unreadable_line(row: int, message: str) -> ChargeLine:
    """The line as DAT002 reports it and no other rule judges it: none of its values can be trusted."""
    return ChargeLine(row, problems=[Problem(None, "unreadable", message)], bad=frozenset(FIELDS))
