"""How report writers lay out a header, read as a person reads it: groups above the column names (two
header rows), values printed beside their header (Crystal Reports' merged headers), and two columns
headed alike told apart by their values."""
from __future__ import annotations

import re
from collections.abc import Callable, Collection
from datetime import datetime, time
from itertools import takewhile

from ..units import units_for_minutes
from ..values import EXCEL_DAY_ZERO, MODIFIER_SLOTS
from .cells import amount_of, filled, has_code, is_amount, is_date, plain
from .columns import REQUIRED
from .header_names import LOOKUP, SPLIT_MODIFIER, header_key
from .header_words import fields_by_words, header_words

SAMPLE_ROWS = 40  # rows below a header whose values tell apart two columns headed alike
_WIDEST_GROUP = 6  # columns a group header spans beyond its first (Modifiers over four; a title spans the sheet)


# What a field's cells look like, to tell two columns headed alike apart.
_LOOKS_LIKE: dict[str, Callable[[object], bool]] = {
    "cpt": has_code, "dos": is_date, "poc_start": is_date,
    # An account, chart or MRN number, not the patient's name (`Chart #` beside `Patient` holding `Adams, Amy`)
    "patient_id": lambda v: any(ch.isdigit() for ch in str(plain(v))),
    "units": lambda v: is_amount(v) and "$" not in str(v), "minutes": is_amount, "charge": is_amount,
    "pos": lambda v: str(plain(v)).strip().isdigit() and len(str(plain(v)).strip()) <= 2,
    "modifiers": lambda v: all(len(part) == 2 and part.isalnum()
                               for part in re.split(r"[\s,;/-]+", str(plain(v)).strip())),
}


def told_apart_by_values(name: str, indexes: list[int], sample: list[list[object]]) -> int | None:
    """The one column of `indexes` whose cells look like the field (`11` against `Office` for pos), or the
    first when the columns hold the same values; None when the values cannot tell."""
    cells = [[row[i] if i < len(row) else None for row in sample] for i in indexes]
    filled_cells = [[v for v in column if filled(v)] for column in cells]
    if all(column == cells[0] for column in cells) and filled_cells[0]:
        return indexes[0]  # the same values under both headers: either is the field
    looks = _LOOKS_LIKE.get(name)
    if looks is None:
        return None
    fitting = [i for i, column in zip(indexes, filled_cells)
               if column and sum(map(looks, column)) >= 0.8 * len(column)]
    return fitting[0] if len(fitting) == 1 else None


# A clock time written as text: `10:30 AM`, `1:15 p.m.`, `14:15` (hours and minutes, an optional am/pm).
_CLOCK_TEXT = re.compile(r"^(\d{1,2}):[0-5]\d(?::[0-5]\d)?\s*(?:([ap])\.?\s*m\.?)?$", re.I)
_DURATION_FIELDS = ("minutes", "pta_minutes", "visit_timed_minutes")


def dates_headed_from_to(header: list[object], columns: dict[str, int], extra: dict[str, int],
                         sample: list[list[object]]) -> None:
    """CMS-1500's box 24A heads a line's dates of service `From` and `To`, as Kareo's encounter grid does: a bare
    `From` whose cells are dates is the date of service, and a bare `To` of dates beside it the period's last day
    (into `columns` and `extra`). Not a `From` of times: a schedule's appointment start."""
    taken = set(columns.values()) | set(extra.values())
    for name, word, into in (("dos", "from", columns), ("dos_to", "to", extra)):
        at = next((i for i, cell in enumerate(header) if i not in taken and header_key(cell) == word), None)
        values = [row[at] for row in sample if at < len(row) and filled(row[at])] if at is not None else []
        if not values or sum(map(is_date, values)) < 0.8 * len(values):
            return
        into[name] = at


# WebPT's Charges extract keys each line's insurance type by a number, `insurance_type_id` (WebPT Analytics help,
# "Charges: Standard Extract Table"): read as the type's name, which a payer-type column reads as any class is read.
WEBPT_INSURANCE_TYPES = {1: "HMO", 2: "PPO", 3: "Medicare", 4: "EPO", 5: "Self Pay", 6: "Medicaid", 7: "WCOMP",
                         8: "Tricare", 9: "Commercial", 10: "Auto/PIP", 11: "POS", 12: "GEHA", 13: "VA", 14: "Employer",
                         15: "Other", 16: "Medicare Replacement", 17: "BCBS"}
_WEBPT_INSURANCE_TYPE_HEADER = header_key("insurance_type_id")


def insurance_type_key(value: object) -> object:
    """A WebPT insurance type key's name (`3`, 3.0 -> `Medicare`); any other value as it is."""
    try:
        number = float(str(value).strip()) if isinstance(value, (str, int, float)) else None
    except ValueError:
        return value
    if number is None or not number.is_integer():
        return value
    return WEBPT_INSURANCE_TYPES.get(int(number), value)


def insurance_type_keys(header: list[object], columns: dict[str, int], sample: list[list[object]]) -> int | None:
    """The column of WebPT's `insurance_type_id` where no header names the payer type and its cells below the header
    are all keys of WebPT's table (no other export's numbers are guessed at)."""
    if "payer_type" in columns:
        return None
    at = next((i for i, cell in enumerate(header) if header_key(cell) == _WEBPT_INSURANCE_TYPE_HEADER), None)
    values = [row[at] for row in sample if at < len(row) and filled(row[at])] if at is not None else []
    if not values or any(insurance_type_key(value) is value for value in values):
        return None
    return at


def is_time_of_day(value: object) -> bool:
    """A clock time, not a duration: `10:30 AM`, a date with its time, or a time of day from 8:00 on (as a
    duration, more than the longest line a day allows). A time cell as xlwings hands it over, a date-time on Excel's
    day zero, is judged as its time."""
    if isinstance(value, datetime) and value.date() in EXCEL_DAY_ZERO:
        value = value.time()
    if isinstance(value, datetime):
        return True
    if isinstance(value, time):
        return value.hour >= 8
    if isinstance(value, str) and (clock := _CLOCK_TEXT.match(value.strip())):
        return clock.group(2) is not None or int(clock.group(1)) >= 8
    return False


def times_of_day(columns: dict[str, int], named_by_file: set[str], sample: list[list[object]]) -> dict[str, int]:
    """The minutes fields whose column holds times of day, not durations: a schedule's `Time` (10:30 AM) is
    when the visit was, and read as minutes it would make every line an error. Taken out of `columns`
    (unless the column map names them) and returned, field -> column."""
    found = {}
    for name in _DURATION_FIELDS:
        at = columns.get(name)
        if at is None or name in named_by_file:
            continue
        values = [row[at] for row in sample if at < len(row) and filled(row[at])]
        if values and 2 * sum(map(is_time_of_day, values)) > len(values):
            found[name] = columns.pop(name)
    return found


def minutes_hold_visit_totals(columns: dict[str, int], named_by_file: set[str], sample: list[list[object]],
                              timed_codes: frozenset[str]) -> bool:
    """A `Minutes` column that holds each visit's total timed minutes on every one of its lines, as some
    exports print the note's total (CMS §220.3 asks the note for the total, not each code's minutes): read
    per line, every visit of two codes would count its minutes twice. Said when, in the rows below the
    header, every visit with two or more timed lines has the same minutes on each, and in at least two the
    units billed are what those minutes support once (sum(units) = units for M) where a reading per line
    would support more — which a correct bill with minutes per line never shows."""
    if "minutes" in named_by_file or "visit_timed_minutes" in columns:
        return False
    visits = [[(m, u) for code, m, u in lines if code in timed_codes] for lines in _visit_lines(columns, sample)]
    shared = [lines for lines in visits if len(lines) > 1]
    if len(shared) < 2 or any(len({m for m, _ in lines}) > 1 for lines in shared):
        return False
    once = sum(1 for lines in shared if sum(u for _, u in lines) == units_for_minutes(lines[0][0])
               < units_for_minutes(lines[0][0] * len(lines)))
    return once >= 2


_LENGTH_WORDS = frozenset({"duration", "length"})


def visit_length_column(columns: dict[str, int], header: list[object], named_by_file: set[str],
                        sample: list[list[object]], timed_codes: frozenset[str]) -> int | None:
    """A booking system's `Duration (min)`: the appointment's length, printed on each of its lines, its
    untimed minutes (an evaluation, a modality) and the time between codes included. Read as each code's
    minutes, every visit of two codes looked under-billed (UNT002). Taken out of `columns` and returned when
    the header says a duration or a length, every visit of two or more lines in the rows below it has one value
    on all of them (two such visits at least), and in none do the units fit it as each timed code's minutes (a
    clinic that bills each code 15 minutes keeps its column) — the visit-total reading having failed before."""
    at = columns.get("minutes")
    if at is None or "minutes" in named_by_file or not _LENGTH_WORDS & header_words(header[at]):
        return None
    shared = [lines for lines in _visit_lines(columns, sample) if len(lines) > 1]
    if len(shared) < 2 or any(len({m for _, m, _ in lines}) > 1 for lines in shared):
        return None
    for lines in shared:
        timed = [(m, u) for code, m, u in lines if code in timed_codes]
        if timed and all(u == units_for_minutes(m) for m, u in timed):
            return None
    return columns.pop("minutes")


def _visit_lines(columns: dict[str, int], sample: list[list[object]]) -> list[list[tuple[str, float, float]]]:
    """The sample's lines with minutes and units, (code, minutes, units), by visit (patient and date; a visit's
    cells printed once carried down to its lines)."""
    at, units_at, code_at = columns.get("minutes"), columns.get("units"), columns.get("cpt")
    patient_at, dos_at = columns.get("patient_id"), columns["dos"]
    if at is None or units_at is None or code_at is None or patient_at is None:
        return []
    visits: dict[tuple, list[tuple[str, float, float]]] = {}
    patient = day = None
    for row in sample:
        row = list(row) + [None] * (max(columns.values()) + 1 - len(row))
        patient = row[patient_at] if filled(row[patient_at]) else patient
        day = row[dos_at] if filled(row[dos_at]) else day
        code = str(plain(row[code_at]) or "").strip()[:5].upper()
        minutes, units = row[at], row[units_at]
        if is_amount(minutes) and is_amount(units):
            visits.setdefault((patient, day), []).append((code, amount_of(minutes), amount_of(units)))
    return list(visits.values())


def values_beside_headers(header: list[object], columns: dict[str, int], modifiers: list[int],
                           extra: dict[str, int], sample: list[list[object]]) -> dict[int, int]:
    """Report writers (Crystal Reports' Excel export) merge a header over two columns, or print the values a
    column to the side of their header: a named column with no value in any row below it reads the
    unnamed column beside it that has them (right first) — where they look like the field's values
    (dates, codes, numbers, modifiers), or the field is a required one. Changes the mappings in place,
    names the moved columns in `header`; returns {header's column: values' column}."""
    width = max([len(header), *map(len, sample)], default=0)
    lines = [row for row in sample if any(map(filled, row))]
    if not lines:
        return {}

    def count(at: int) -> int:
        return sum(1 for row in lines if at < len(row) and filled(row[at]))

    header.extend([None] * (width - len(header)))
    used = set(columns.values()) | set(modifiers) | set(extra.values())
    field_at = {at: name for name, at in (*extra.items(), *columns.items())} | dict.fromkeys(modifiers, "modifiers")
    shifted: dict[int, int] = {}

    def fits(name: str, j: int) -> bool:
        values = [row[j] for row in lines if j < len(row) and filled(row[j])]
        looks = _LOOKS_LIKE.get(name)
        if looks is None:
            return name in REQUIRED
        return len(values) >= len(lines) / 2 and sum(map(looks, values)) >= 0.8 * len(values)

    for at in sorted(used):
        if count(at):
            continue
        beside = next((j for j in (at + 1, at + 2, at - 1) if 0 <= j < width and j not in used
                       and not filled(header[j]) and count(j) >= len(lines) / 2 and fits(field_at[at], j)), None)
        if beside is None:
            continue
        used.add(beside)
        shifted[at] = beside
        header[beside] = header[at]
        for mapping in (columns, extra):
            for name, index in mapping.items():
                if index == at:
                    mapping[name] = beside
        modifiers[:] = [beside if index == at else index for index in modifiers]
    return shifted


def modifiers_beside(header: list[object], modifiers: list[int], used: set[int], sample: list[list[object]],
                     known: Collection[str]) -> list[int]:
    """A `Modifiers` header merged over the line's four modifier columns, or heading the first of four: the
    columns right of the last modifier column, up to the next heading, are modifier columns too where their
    values in the rows below are modifiers (`known`, or two letters or digits each without it) — read alone,
    the 59 and CQ beside GP were lost. Extends `modifiers`, names the columns in `header` (as long as the widest
    row); returns them."""
    if not modifiers:
        return []
    run, at = [], max(modifiers) + 1
    while at < len(header) and len(modifiers) + len(run) < MODIFIER_SLOTS and not filled(header[at]) \
            and at not in used:
        run.append(at)
        at += 1
    values = [row[at] for at in run for row in sample if at < len(row) and filled(row[at])]
    if not values or not all(_is_modifier(value, known) for value in values):
        return []
    for at in run:
        header[at] = header[modifiers[-1]]
    modifiers.extend(run)
    return run


def _is_modifier(value: object, known: Collection[str]) -> bool:
    parts = re.split(r"[\s,;/-]+", str(plain(value)).strip().upper())
    return all(part in known for part in parts) if known else _LOOKS_LIKE["modifiers"](value)


def two_row_header(top: list[object], below: list[object], mapping: dict[str, str]) -> list[object] | None:
    """One header out of two rows, where an export heads groups of columns above their own names
    (`Modifiers` merged over `Mod 1` … `Mod 4`; `Service` over `From`, `To`; `Patient` over `Name`,
    `Account`): each column's name below, read with its group's when that names a field (`Service From`).
    None when the row below is not such a row: fewer than two names, anything a line holds (a code, a
    date, a number, long text), a heading's colon (`Therapist: Amy Jones`), or none of its names under a
    group (a blank or a spanning cell above)."""
    width = max(len(top), len(below))
    top = list(top) + [None] * (width - len(top))
    below = list(below) + [None] * (width - len(below))
    groups: list[object] = []  # each column's group: the filled cell above it, or the one spanning from the left
    for i, cell in enumerate(top):
        groups.append(cell if filled(cell) else groups[i - 1] if i and filled(below[i]) else None)
    names = [i for i, cell in enumerate(below) if filled(cell)]
    if len(names) < 2 or not all(_a_column_name(below[i], groups[i]) for i in names):
        return None
    above = [i for i, cell in enumerate(top) if filled(cell)]
    if above == [0] or any(not isinstance(top[i], str) or any(ch.isdigit() for ch in top[i]) for i in above):
        return None  # a title (one cell, first column) or a report's date line above the header, not groups
    spans = [sum(1 for _ in takewhile(lambda j: not filled(top[j]) and filled(below[j]), range(i + 1, width)))
             if filled(top[i]) else 0 for i in range(width)]
    if max(spans) > _WIDEST_GROUP or not any(not filled(top[i]) or spans[i] for i in names):
        return None  # a title over the whole header; or no name below belongs to a group
    return [_column_name(groups[i], str(plain(below[i])), mapping) if filled(below[i]) else top[i] for i in range(width)]


def _a_column_name(cell: object, group: object) -> bool:
    """A cell that can head a column: short text without a colon, a code or a number; or a split modifier
    column's name: `Mod 1`, or `1` … `4` under a `Modifiers` group (the numbers alone, as report writers
    head them, text or numbers)."""
    cell = plain(cell)
    if isinstance(cell, int) and not isinstance(cell, bool) or isinstance(cell, str) and cell.strip().isdigit():
        return isinstance(group, str) and bool(SPLIT_MODIFIER.match(header_key(f"{group} {plain(cell)}")))
    if not isinstance(cell, str) or len(cell.strip()) > 40 or ":" in cell or has_code(cell):
        return False
    return not any(ch.isdigit() for ch in cell) or bool(SPLIT_MODIFIER.match(header_key(cell)))


def _column_name(group: object, name: str, mapping: dict[str, str]) -> str:
    """`Service` + `From` is `Service From`, `Provider` + `Name` is `Provider Name`, `Modifiers` + `Mod 1`
    is `Mod 1`: the pair when it is a field's name, else the name below when it is one; then the same by
    their words; else the pair."""
    name = name.strip()
    if not filled(group):
        return name
    pair = f"{str(group).strip()} {name}"

    def exact(text: str) -> bool:
        key = header_key(text)
        return key in mapping or key in LOOKUP or bool(SPLIT_MODIFIER.match(key))

    for test in (exact, lambda text: len(fields_by_words(text)) == 1):
        for text in (pair, name):
            if test(text):
                return text
    return pair
