"""Lines of delimited text split by a value that holds the delimiter and is not in quotes.

An export writer that does not quote (`A1,03/02/2026,97110,2,Peña, José`) splits such a value in two: the
line has one field more than the header, and every value after the split sits one column to the right of
its heading. A name written `Last, First` is the usual one: `Smith, John` and `Smith, Jane` then both read as
patient `Smith`, one patient, whose visits the rules would judge together. Excel, saving a sheet as csv,
quotes such values and writes every row as wide as the header (a cell typed past the last heading gives
the header row an empty field too), so only a line wider than the header row says its values moved.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .cells import filled
from .lines import FIELDS, ChargeLine, Problem

if TYPE_CHECKING:
    from .layout import SheetLayout

_DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "vertical bar"}


@dataclass(frozen=True)
class WiderLines:
    """How a sheet's lines wider than its header are judged."""

    header_width: int  # the header row's fields
    delimiter: str
    last_read: int  # the rightmost column the scrub reads (a patient heading's is past the header)
    last_read_label: str

    @classmethod
    def of(cls, layout: SheetLayout, header_width: int, delimiter: str) -> WiderLines:
        read = [*layout.columns.values(), *layout.extra.values(), *layout.modifier_columns, *layout.patient_columns,
                *layout.payer_columns]
        last = max(read, default=0)
        return cls(header_width, delimiter, last, layout.label(last) if last < len(layout.headers) else "")

    def past_header(self, rows: list[list[Any]]) -> dict[int, list[Any]]:
        """The rows (by index) with values in fields past the header row's last: index -> those values."""
        past: dict[int, list[Any]] = {}
        for i, row in enumerate(rows):
            if len(row) > self.header_width:
                extra = [value for value in row[self.header_width:] if filled(value)]
                if extra:
                    past[i] = extra
        return past

    def in_chunk(self, past: dict[int, list[Any]], rows: list[list[Any]], not_lines: dict[int, str],
                 sheet_notes: list[str]) -> dict[int, list[Any]]:
        """The claim lines of `rows` wider than the header. When every one is, a column without a heading is
        likelier than a value split alike on every line (a split is a value's: some lines have it, others
        not): none is, and the sheet's notes say so (once)."""
        past = {i: extra for i, extra in past.items() if i not in not_lines}
        if past and all(i in past for i, row in enumerate(rows) if i not in not_lines and any(map(filled, row))):
            note = (f"every line has a value past the header's {self.header_width} columns (e.g. "
                    f"{str(next(iter(past.values()))[0]).strip()!r}): a column without a heading, not read; if the "
                    "export split a value holding the delimiter (no quotes), the values after it are read under the "
                    "wrong headings: check the lines' patients and codes")
            if not any(known.startswith("every line has a value past") for known in sheet_notes):
                sheet_notes.append(note)
            return {}
        return past

    def judged(self, line: ChargeLine, extra: list[Any]) -> ChargeLine:
        """A split line: a DAT002 problem alone, unless its values all read as they should and the columns right
        of every column read could hold the split (a comma in a note): then judged as read, and a DAT008 note
        says what to check (a split in the last column read cuts its value short)."""
        name = _DELIMITER_NAMES.get(self.delimiter, repr(self.delimiter))
        shown = ", ".join(repr(str(value).strip()) for value in extra[:3])
        past = (f"the line has {len(extra)} value{'s' if len(extra) > 1 else ''} past the header's "
                f"{self.header_width} columns ({shown}): a value holding a {name}, not in quotes")
        if self.last_read >= self.header_width - 1 or line.problems or line.assumed:
            message = (f"{past} (a name written Last, First), was split in two and the values after it moved one "
                       "column right; nothing on the line can be trusted, so nothing else is judged on it. Have the "
                       "export quote such values (or correct the line) and scrub again")
            return ChargeLine(line.row, problems=[Problem(None, "unreadable", message)], bad=frozenset(FIELDS))
        line.assumed = (*line.assumed, f"{past}: read as its columns say, the split taken to be right of "
                                       f"{self.last_read_label}, the last column read (a note); if it was in "
                                       f"{self.last_read_label}, that value is cut short")
        return line
