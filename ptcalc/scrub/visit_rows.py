"""A visit per row (`CPT 1`, `Units 1`, `CPT 2`, `Units 2`…, or a claim's `Line 1 CPT`, `Line 2 CPT`…; or a grid
whose columns are headed by the codes, `97110`, `97140 Manual`…, each cell the code's units) read as a charge line
per code: each numbered group, or each filled code cell, of a row becomes a row of its own, beside the row's other
cells.

The scrub judges charge lines, one per row. A visit summary or a claim-per-row export puts up to six codes on a
row, each with its numbered units, minutes and modifiers; read as they are, no column is the code. Such a sheet
becomes the charge sheet a per-line export would have given: the row's other cells (patient, date, payer,
provider…) repeated on each code's row, and a `Source Row` column naming the row of the file each line comes
from. The outputs then list these lines (the annotated copy is of them, not of the file's rows), and the reading
says so. Rows with no numbered cell filled (titles, totals, blank rows) stay rows of their own.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace

from ..values import CODE_AT_END, CODE_IN_TEXT
from .cells import NOT_A_LINE, filled
from .header_names import LOOKUP, header_key
from .header_words import fields_by_words
from .reader import SOURCE_ROW, RawSheet

_SCAN = 50  # rows searched for the header, as the header search does
_LONGEST_HEADER = 60
# `CPT 1`, `CPT1`, `CPT #1`, `Units 3`, `Mod 1-2`, `Mod 1B` (the code's number, then the modifier's own)
_NUMBER_AFTER = re.compile(r"^(?P<words>[^\d]*?[a-z)][^\d]*?)[\s#_.\-]*(?P<slot>\d{1,2})(?:[\s_.\-]*(?P<sub>[1-4a-d]))?$",
                           re.I)
# `Line 1 CPT`, `Svc 2 Units`, `Line 1 Mod 2`: a claim's service line number first
_NUMBER_BEFORE = re.compile(r"^(?:line|svc|service|item|ln)\s*(?:line\s*)?#?\s*(?P<slot>\d{1,2})[\s_.:\-]*"
                            r"(?P<words>[^\d]+?)(?:[\s_.#\-]*(?P<sub>[1-4]))?$", re.I)
# What a code's numbered cells can say (a numbered `Dx 1` or `ICD Code 1` says nothing of the code's line), and
# the header each gets on the lines: a name read as that field before any other
_PER_CODE = {"dos": "DOS", "cpt": "CPT", "modifiers": "Modifiers", "units": "Units", "minutes": "Minutes",
             "pta_minutes": "PTA Minutes", "charge": "Charge", "pos": "POS", "claim_line": "Claim Line"}


@dataclass(frozen=True)
class _Groups:
    """A visit-per-row header: its row, the columns every line of a row shares, and each number's columns."""

    header_index: int
    shared: list[int]
    fields: list[str]  # the fields of the numbered groups, in the order of the new columns
    by_number: dict[int, dict[str, list[int]]]  # number -> field -> its columns (several modifiers)
    modifiers: int  # modifier columns of the most modified group

    def header(self, cells: list[object]) -> list[object]:
        shared = [_as_the_visits(cells[i] if i < len(cells) else None, set(self.fields)) for i in self.shared]
        names = [_PER_CODE[name] for name in self.fields if name != "modifiers"]
        return shared + [SOURCE_ROW] + names + [f"Mod {n}" for n in range(1, self.modifiers + 1)]

    def lines(self, row: list[object], number: int) -> list[tuple[list[object], str | None]]:
        """The row as one row per filled numbered group when it names a code (a group without one is a line
        missing its code); a row naming none (a title, a total, a blank row) as one row, its first filled
        group beside its other cells."""
        def cell(i: int) -> object:
            return row[i] if i < len(row) else None

        shared = [cell(i) for i in self.shared]
        groups = []
        for group in self.by_number.values():
            values = [cell(group[name][0]) if name in group else None for name in self.fields if name != "modifiers"]
            modifiers = [cell(i) for i in group.get("modifiers", ())]
            groups.append((filled(cell(group["cpt"][0])), values + modifiers + [None] * (self.modifiers - len(modifiers))))
        filled_groups = [values for _, values in groups if any(map(filled, values))]
        if any(coded for coded, _ in groups):
            return [(shared + [number] + values, None) for values in filled_groups]
        values = filled_groups[0] if filled_groups else groups[0][1]
        return [(shared + [number if any(map(filled, shared + values)) else None] + values, None)]


def _as_the_visits(cell: object, numbered: set[str]) -> object:
    """A shared header naming a field the groups carry (a claim's `Total Charge` beside `Charge 1`…), marked as
    the visit's: each line's own value is the one read."""
    if not filled(cell):
        return cell
    key = header_key(cell)
    field = LOOKUP[key][0] if key in LOOKUP else next(iter(fields_by_words(cell)), None)
    return f"{cell} (visit)" if field in numbered else cell


def _field_named(words: str) -> str | None:
    """The field a header's words name: by a synonym, else the one field its words name (None: none, or several)."""
    if not words:
        return None
    key = header_key(words)
    if key in LOOKUP:
        return LOOKUP[key][0]
    found = fields_by_words(words)
    return found[0] if len(found) == 1 else None


def _numbered(cell: object) -> tuple[str, int] | None:
    """(field, number) of a numbered header of a code's group (`CPT 2` -> cpt, 2), else None."""
    if not isinstance(cell, str) or len(cell) > _LONGEST_HEADER:
        return None  # (a note's text is no header, and the patterns are not run over it)
    text = " ".join(cell.split())
    match = _NUMBER_BEFORE.match(text) or _NUMBER_AFTER.match(text)
    if match is None:
        return None
    field = _field_named(match["words"].strip(" #_.-:"))
    if field not in _PER_CODE or (match["sub"] is not None and field != "modifiers"):
        return None
    return field, int(match["slot"])


def _groups(rows: list[list[object]]) -> _Groups | None:
    """The header of a visit-per-row sheet: a row naming two or more numbered codes."""
    for index, row in enumerate(rows[:_SCAN]):
        found = {i: numbered for i, cell in enumerate(row) if (numbered := _numbered(cell)) is not None}
        coded = sorted({number for field, number in found.values() if field == "cpt"})
        if len(coded) < 2:
            continue
        by_number: dict[int, dict[str, list[int]]] = {number: {} for number in coded}
        for i, (field, number) in found.items():
            group = by_number.get(number)
            if group is not None and (field == "modifiers" or field not in group):
                group.setdefault(field, []).append(i)
        used = {i for group in by_number.values() for columns in group.values() for i in columns}
        fields = [name for name in _PER_CODE if any(name in group for group in by_number.values())]
        modifiers = max(len(group.get("modifiers", ())) for group in by_number.values())
        return _Groups(index, [i for i in range(len(row)) if i not in used], fields, by_number, modifiers)
    return None


# What a code column's heading may say besides the code: the cells are then that field of the code's line (`97110
# Min`); a description (`97140 Manual`) or nothing says they are its units
_CODE_COLUMN_FIELDS = ("units", "minutes", "pta_minutes", "charge")
_GRID_FIELDS = ("patient_id", "dos")  # a grid's header names the visit's patient or date beside its codes


@dataclass(frozen=True)
class _CodeColumns:
    """A grid's header: its row, the columns every line of a row shares, and each code's columns by field."""

    header_index: int
    shared: list[int]
    fields: list[str]  # the fields the codes' columns give, in the order of the new columns
    by_code: dict[str, dict[str, int]]  # code -> field -> its column

    def header(self, cells: list[object]) -> list[object]:
        shared = [_as_the_visits(cells[i] if i < len(cells) else None, set(self.fields)) for i in self.shared]
        return shared + [SOURCE_ROW, "CPT"] + [_PER_CODE[name] for name in self.fields]

    def lines(self, row: list[object], number: int) -> list[tuple[list[object], str | None]]:
        """A line per code whose cells are filled (units of 0, or minutes of 0 where the code has no units column:
        not billed, no line), each with what reading it assumed: a mark (`X`, `✓`) for units read as 1 unit. A row
        filling none (a title, a visit billing nothing) or labelled a total (its cells the codes' sums) as one row
        without a code."""
        def cell(i: int | None) -> object:
            return row[i] if i is not None and i < len(row) else None

        shared = [cell(i) for i in self.shared]
        lines: list[tuple[list[object], str | None]] = []
        if not any(isinstance(value, str) and NOT_A_LINE.search(value) for value in shared):
            for code, columns in self.by_code.items():
                values = [cell(columns.get(name)) for name in self.fields]
                billed = cell(columns["units"] if "units" in columns else columns["minutes"])
                if not any(map(filled, values)) or _zero(billed):
                    continue
                note = None
                if "units" in columns and _is_mark(billed):
                    values[self.fields.index("units")] = 1
                    note = f"units: {code}'s cell holds the mark {str(billed).strip()!r}, read as 1 unit (the grid " \
                           "gives no count)"
                lines.append((shared + [number, code] + values, note))
        return lines or [(shared + [number if any(map(filled, shared)) else None, None] + [None] * len(self.fields),
                          None)]


_MARKS = frozenset({"x", "✓", "✔", "√", "☑", "✅", "y", "yes", "true"})


def _is_mark(value: object) -> bool:
    """A check mark where a count is expected: the service given, its count not written."""
    return value is True or isinstance(value, str) and value.strip().lower() in _MARKS


def _zero(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value == 0 or \
        isinstance(value, str) and value.strip() in ("0", "0.0")


def code_heading(cell: object) -> tuple[str, str] | None:
    """(code, field) of a heading naming a code and what its cells are (`97110`, `97110 Ther Ex`, `Ther Ex (97110)`,
    `Units 97110`: units; `97110 Min`: minutes), else None (`97110 Date`, `Total 97110`: not a code's units)."""
    if isinstance(cell, (int, float)) and not isinstance(cell, bool) and cell == int(cell) and 10_000 <= cell < 100_000:
        return str(int(cell)), "units"  # a heading typed as a number
    if not isinstance(cell, str) or len(cell) > _LONGEST_HEADER:
        return None
    text = " ".join(cell.split())
    if (first := CODE_IN_TEXT.match(text)) is not None:
        code, words = first.group(1), first.group(2)
    elif (last := CODE_AT_END.match(text)) is not None and not NOT_A_LINE.search(text):
        code, words = last.group(1), text[:last.start(1)]
    else:
        return None
    field = _field_named(words.strip(" -:#()[]"))
    if field is None:
        return code.upper(), "units"  # the code alone, or with its description
    return (code.upper(), field) if field in _CODE_COLUMN_FIELDS else None


def _code_columns(rows: list[list[object]], column_map: dict[str, str]) -> _CodeColumns | None:
    """The header of a grid: a row naming the patient or the date (or a column map naming them) and two or more
    codes' units or minutes, and no code column (a per-line sheet's header has one)."""
    for index, row in enumerate(rows[:_SCAN]):
        by_code: dict[str, dict[str, int]] = {}
        named: set[str] = set()
        for i, cell in enumerate(row):
            heading = code_heading(cell)
            if heading is not None:
                by_code.setdefault(heading[0], {}).setdefault(heading[1], i)
            elif filled(cell) and isinstance(cell, str):
                key = header_key(cell)
                named.update([column_map[key]] if key in column_map else [LOOKUP[key][0]] if key in LOOKUP else [])
        by_code = {code: columns for code, columns in by_code.items() if "units" in columns or "minutes" in columns}
        if len(by_code) < 2 or "cpt" in named or named.isdisjoint(_GRID_FIELDS):
            continue
        used = {i for columns in by_code.values() for i in columns.values()}
        # Units always (a minutes log's lines are lines without units: the claim needs them)
        fields = [name for name in _CODE_COLUMN_FIELDS
                  if name == "units" or any(name in columns for columns in by_code.values())]
        return _CodeColumns(index, [i for i in range(len(row)) if i not in used], fields, by_code)
    return None


def line_per_code(sheet: RawSheet, column_map: dict[str, str] | None = None) -> RawSheet:
    """The sheet itself, or, when it has a visit per row with numbered codes or a column per code, a charge line
    per code (`column_map`: the headers a --columns map or a clinic's settings name)."""
    groups = _groups(sheet.rows) or _code_columns(sheet.rows, column_map or {})
    if groups is None:
        return sheet
    at = groups.header_index
    rows = sheet.rows + list(sheet.rest or ())  # read whole: a visit summary is a clinic's, not a billing company's
    reshaped = rows[:at] + [groups.header(rows[at])]
    notes: dict[int, str] = {i: note for i, note in sheet.row_notes.items() if i < at}
    source_rows: dict[int, int] = {}
    for index in range(at + 1, len(rows)):
        lines = groups.lines(rows[index], index + 1)
        for at_line, (line, note) in enumerate(lines, len(reshaped)):
            said = [what for what in (sheet.row_notes.get(index), note) if what]
            if said:
                notes[at_line] = "; ".join(said)
            source_rows[at_line + 1] = index + 1
            reshaped.append(line)
    visits = len(rows) - at - 1
    if isinstance(groups, _Groups):
        codes = ", ".join(str(rows[at][group["cpt"][0]]) for group in groups.by_number.values())
        shape = f"a row per visit with numbered codes ({codes}): each code read as a line of its own"
    else:
        given = "units" if any("units" in columns for columns in groups.by_code.values()) else "minutes"
        shape = (f"a row per visit with a column per code ({', '.join(groups.by_code)}): each code's filled cell read "
                 f"as a line of that code, its {given} the cell's (0: not billed"
                 f"{'; a mark such as X: 1 unit' if given == 'units' else ''})")
    said = (f"{shape}, beside its row's other cells ({visits} row{'s' if visits != 1 else ''} of the file, "
            f"{len(reshaped) - at - 1} here); the outputs list these lines, `{SOURCE_ROW}` naming each one's row in "
            "the file")
    return replace(sheet, rows=reshaped, rest=None, row_notes=notes, merged_below={}, reshaped=said,
                   source_rows=source_rows)
