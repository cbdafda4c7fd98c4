"""How a sheet is read, as a person reads a practice-management export.

- The header is the first row that names the required fields (title rows above it are kept in
  the output, not judged), or two rows of groups over names (header_shapes.py).
- Columns are matched by a mapping file (`--columns map.yaml`: source header -> field) first, then
  broad synonyms (header_names.py: `Acct #`, `CPT Code`, `DOS From`, `Primary Insurance`,
  `Rendering Provider`…), then their words (header_words.py); split modifier columns (`Mod 1` …
  `Mod 4`) are merged in order; two columns headed alike are told apart by their values.
- Codes written with a description or a prefix (`97110 - Ther Ex`, `CPT 97110`, `97110GP`) are
  read as the code (a glued-on modifier joins the modifiers).
- Payer types come from a payer-type column, else from the payer's name (names.py,
  reference/payer_names.yaml); provider types from a provider-type column, else from the rendering
  provider's roster entry or credential (reference/providers.yaml). A default applied to a line is
  said on it (DAT008).
- Totals, subtotals, page headers and footers, reversals and voided charges are not claim lines
  (rows.py): kept in place, not judged, listed.

`SheetLayout.describe()` says all of it: the top of every summary, and `ptcalc columns FILE`.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path
from typing import Any

from ..errors import PtcalcInputError, UsageError
from ..refdata.model import Reference
from ..refdata.yamlio import read_yaml
from ..values import parse_date, parse_modifiers
from .cells import code_of, filled, has_code, plain
from .columns import BY_NAME, COLUMNS, REQUIRED, column_letter, is_output_header
from .header_names import EXTRA_FIELDS, LOOKUP, SPLIT_MODIFIER, WORDS_RANK, header_key, names_for
from .header_shapes import (SAMPLE_ROWS, WEBPT_INSURANCE_TYPES, dates_headed_from_to, insurance_type_key,
                            insurance_type_keys, minutes_hold_visit_totals, modifiers_beside, times_of_day,
                            told_apart_by_values, two_row_header, values_beside_headers, visit_length_column)
from .header_words import fields_by_words
from .lines import DATE_FIELDS, PAYER_TYPES, PROVIDER_TYPES, says_progress_report
from .names import (ASSISTANT_OF, CLINICIANS, MODIFIER_DISCIPLINES, clinician_cell, clinician_named,
                    discipline_of_revenue_code, looks_like_a_health_plan, not_a_therapist, payer_class, payer_type_of,
                    provider_type_cell, provider_type_of, role_cell)
from .rows import names_a_patient, names_a_provider, not_claim_lines
from .visit_rows import code_heading

HEADINGS_COLUMN = "the patient headings (Patient: …) above the lines"
PROVIDER_HEADINGS_COLUMN = "the provider headings (Provider: …) above the lines"


# What the command line can do about headers it cannot read or tell apart (the Excel macro says what a person
# there can do instead)
NAME_THE_COLUMNS = "name the columns with --columns map.yaml (or in the clinic's ptcalc.yaml), or see `ptcalc columns`"
SAY_WHICH = "or say which with --columns"
GRID_READ = ("a row per visit is read as a line per filled cell where the header names the patient or the date of "
             "service beside them")
HEADER_SCAN_ROWS = 50  # the header is looked for in a sheet's first rows (title rows above it)


_KEYS_SAID = ", ".join(f"{key} {name}" for key, name in WEBPT_INSURANCE_TYPES.items())


@dataclass
class SheetLayout:
    """Where a sheet's header is and which column is which field."""

    header_index: int
    columns: dict[str, int]  # field -> column index (modifiers: the first of the split columns)
    modifier_columns: list[int]
    extra: dict[str, int]  # provider_name / provider_npi, charge_status / void_flag, transaction_type
    headers: list[object]
    ignored: list[int] = field(default_factory=list)
    title_rows: list[int] = field(default_factory=list)  # sheet rows above the header that hold text
    mapped_by_file: set[str] = field(default_factory=set)
    unclear: dict[str, list[int]] = field(default_factory=dict)  # field -> columns whose words all name it
    two_rows: bool = False  # the header is two rows: groups above, column names on header_index
    header_cells: list[list[object]] = field(default_factory=list)  # the header's own row(s), as the sheet has them
    shifted: dict[int, int] = field(default_factory=dict)  # a header's column -> the column beside it with its values
    times_of_day: list[int] = field(default_factory=list)  # a minutes-like header over clock times: not read
    visit_length: int | None = None  # a `Duration` column holding each appointment's length on its lines: not read
    minutes_are_visit_totals: bool = False  # the minutes column holds each visit's total on its every line
    provider_headings: bool = False  # no provider column: provider_name is read from `Provider:` group headings
    patient_columns: list[int] = field(default_factory=list)  # the patient read from name (+ birth date) columns
    birth_date_column: int | None = None  # ... the birth date's: the last of them
    patient_by_account: bool = False  # ... the first an account, the rest the patient's name
    code_by_cells: bool = False  # no header names the code: its column is the one whose cells hold codes
    payer_columns: list[int] = field(default_factory=list)  # the payer read from several columns (company + plan)
    payer_type_keys: bool = False  # the payer type is WebPT's insurance type key (insurance_type_id)

    def source_of(self, name: str) -> str:
        index = self.columns.get(name, self.extra.get(name))
        if name == "modifiers" and len(self.modifier_columns) > 1:
            return " + ".join(self.label(i) for i in self.modifier_columns) + " (merged in order)"
        if name == "patient_id" and self.patient_columns:
            return " + ".join(self.label(i) for i in self.patient_columns) + " (read together)"
        if name == "cpt" and self.code_by_cells:
            return f"{self.label(index)} (no header names the code: its cells hold codes)"
        if name == "payer" and self.payer_columns:
            return " + ".join(self.label(i) for i in self.payer_columns) + " (read together)"
        if name == "payer_type" and self.payer_type_keys:
            return f"{self.label(index)} (WebPT's insurance type keys: {_KEYS_SAID})"
        return self.label(index) if index is not None else ""

    def date_columns(self) -> list[int]:
        """The columns of dates: the line's date fields, and a service period's last day (`DOS To`)."""
        return [self.columns[name] for name in DATE_FIELDS if name in self.columns] + \
            ([self.extra["dos_to"]] if "dos_to" in self.extra else [])

    def label(self, index: int) -> str:
        if self.headers[index] in (HEADINGS_COLUMN, PROVIDER_HEADINGS_COLUMN):
            return str(self.headers[index])  # no column of the sheet
        return f"{self.name(index)} ({column_letter(index)})"

    def name(self, index: int) -> str:
        """The column's header on one line (a header cell wrapped in Excel holds line breaks)."""
        return " ".join(str(self.headers[index]).split())


def load_column_map(path: Path) -> dict[str, str]:
    """A `--columns` file: `source header: field` lines; several headers may map to modifiers."""
    try:
        document = read_yaml(path)
    except Exception as exc:  # noqa: BLE001 - any reading problem is one clear line
        raise UsageError(f"{path}: the column map cannot be read ({str(exc).splitlines()[0]})") from None
    return column_map_from(document, str(path))


def column_map_from(document: object, where: str) -> dict[str, str]:
    """A column map's `source header: field` entries (from a --columns file or a clinic's settings, `where`),
    checked: header key -> field."""
    if not isinstance(document, dict) or not document:
        raise UsageError(f"{where}: a column map is lines of `source header: field` (e.g. `Pt Acct: patient_id`)")
    fields = set(BY_NAME) | set(EXTRA_FIELDS) | {"revenue_code"}
    mapping = {}
    for header, name in document.items():
        if not isinstance(name, str) or name not in fields:
            raise UsageError(f"{where}: {header!s}: {name!r} is not a field ({', '.join(sorted(fields))})")
        mapping[header_key(header)] = name
    return mapping


def _match(row: list[object], mapping: dict[str, str], sample: list[list[object]] = ()) -> tuple[
        dict[str, int], list[int], dict[str, int], set[str], dict[str, list[int]]]:
    """Field -> column by the mapping file, then the synonyms, then (for fields still unnamed) the header's
    words; also the fields several headers name by their words alone (unclear: none of them is read).
    Two headers naming a field alike (`CPT Code`, `Procedure Code`) are told apart by their values in
    `sample` (the rows below the header); where the values cannot tell, a required field is refused and
    an optional one is not read (unclear)."""
    best: dict[str, tuple[float, int]] = {}  # field -> (rank, column)
    tied: dict[str, list[int]] = {}  # field -> columns that name it at its best rank
    modifiers: list[int] = []
    by_file: set[str] = set()
    by_words: dict[str, list[int]] = {}
    for index, cell in enumerate(row):
        key = header_key(cell)
        if not key or is_output_header(cell):
            continue
        if key in mapping:
            name, rank = mapping[key], -1
            by_file.add(name)
        elif SPLIT_MODIFIER.match(key):
            modifiers.append(index)
            continue
        elif key in LOOKUP:
            name, rank = LOOKUP[key]
        else:
            named = fields_by_words(cell)
            if len(named) == 1:
                by_words.setdefault(named[0], []).append(index)
            continue
        if name == "modifiers":
            modifiers.append(index)
            continue
        if name in best and best[name][0] == rank:
            tied.setdefault(name, [best[name][1]]).append(index)
        elif name not in best or rank < best[name][0]:
            best[name] = (rank, index)
            tied.pop(name, None)
    unclear: dict[str, list[int]] = {}
    for name, indexes in tied.items():
        chosen = told_apart_by_values(name, indexes, sample)
        if chosen is not None:
            best[name] = (best[name][0], chosen)
        elif name in REQUIRED:
            first, other = indexes[:2]
            raise UsageError(f"columns {column_letter(first)} ({row[first]!s}) and {column_letter(other)} "
                             f"({row[other]!s}) both mean '{name}'; keep one, {SAY_WHICH}")
        else:
            del best[name]
            unclear[name] = indexes
    for name, indexes in by_words.items():
        if name == "modifiers":
            modifiers = modifiers or indexes  # `CPT Mod 1`, `CPT Mod 2`: merged in order, as `Mod 1`...
        elif len(indexes) == 1:
            if name not in best or best[name][0] > WORDS_RANK:  # unless a header names the field outright
                best[name] = (WORDS_RANK, indexes[0])
        elif name not in best:
            unclear[name] = indexes  # no guess between the candidates
    columns = {name: index for name, (_, index) in best.items() if name in BY_NAME}
    extra = {name: index for name, (_, index) in best.items() if name not in BY_NAME}
    if modifiers:
        columns["modifiers"] = modifiers[0]
    return columns, modifiers, extra, by_file, unclear


def locate(rows: list[list[object]], source: str, mapping: dict[str, str] | None = None,
           scan: int = HEADER_SCAN_ROWS, timed_codes: frozenset[str] = frozenset(),
           known_codes: Collection[str] = frozenset(),
           known_modifiers: Collection[str] = frozenset()) -> SheetLayout:
    """The layout of a sheet: its header row is the first that names every required field. With the timed
    codes, a minutes column holding each visit's total on every line is read as the visit's total; with the
    modifiers, unheaded columns of modifiers beside the modifier column are read with it."""
    mapping = mapping or {}
    seen: list[str] = []
    partial: set[str] = set()
    most_named = 0  # the most fields a row has named
    per_visit: list[str] = []  # columns that could each be the code
    per_code: list[str] = []  # columns headed by a code each (a grid)
    for index, row in enumerate(rows[:scan]):
        if not any(filled(v) for v in row):
            continue
        titles = [i + 1 for i in range(index) if any(filled(v) for v in rows[i])]
        sample = rows[index + 1:index + 1 + SAMPLE_ROWS]
        columns, modifiers, extra, by_file, unclear = _match(row, mapping, sample)
        at, header = index, row
        below = two_row_header(row, rows[index + 1], mapping) if index + 1 < len(rows) else None
        if below is not None:  # the two rows, where they name more columns than the first alone
            try:
                matched = _match(below, mapping, rows[index + 2:index + 2 + SAMPLE_ROWS])
            except UsageError:
                if not all(name in columns for name in REQUIRED):
                    raise
                matched = ({}, [], {}, set(), {})
            if len(matched[0]) + len(matched[1]) + len(matched[2]) > len(columns) + len(modifiers) + len(extra):
                at, header = index + 1, below
                columns, modifiers, extra, by_file, unclear = matched
        sample = rows[at + 1:at + 1 + SAMPLE_ROWS]
        if "dos" not in columns:
            dates_headed_from_to(header, columns, extra, sample)
        if (keyed := insurance_type_keys(header, columns, sample)) is not None:
            columns["payer_type"] = keyed
        patient_columns, born, by_account = _patient_named_by(columns, extra, header, sample, by_file)
        payer_columns = [] if "payer" in by_file else _payer_named_by(columns, modifiers, extra, unclear, header)
        # A report grouped by patient prints each patient once, in a heading above their lines, and has no
        # patient column: the headings are it (carry_visit_cells_down reads them into a column of their own)
        by_headings = [name for name in REQUIRED if name not in columns] == ["patient_id"] and any(
            map(names_a_patient, sample))
        code_by_cells = None
        if [name for name in REQUIRED if name not in columns] == ["cpt"] and "cpt" not in unclear:
            code_by_cells = _code_column_by_cells(header, columns, modifiers, extra, sample, known_codes)
            if code_by_cells is not None:
                columns["cpt"] = code_by_cells
        if all(name in columns for name in REQUIRED) or by_headings:
            clocks = sorted(times_of_day(columns, by_file, sample).values())
            totals = minutes_hold_visit_totals(columns, by_file, sample, timed_codes)
            if totals:
                columns["visit_timed_minutes"] = columns.pop("minutes")
            length = None if totals else visit_length_column(columns, header, by_file, sample, timed_codes)
            used = set(columns.values()) | set(modifiers) | set(extra.values()) | set(patient_columns) | \
                set(payer_columns)
            ignored = [i for i, cell in enumerate(header)
                       if filled(cell) and i not in used and i not in clocks and i != length
                       and not is_output_header(cell)]
            header = list(header)
            shifted = values_beside_headers(header, columns, modifiers, extra, sample)
            modifiers_beside(header, modifiers, used | set(shifted.values()), sample, known_modifiers)
            if by_headings:
                columns["patient_id"] = len(header)
                header.append(HEADINGS_COLUMN)
            by_provider = not ({"provider_type"} & set(columns) or {"provider_name", "provider_npi"} & set(extra)) \
                and any(map(names_a_provider, sample))
            if by_provider:  # a report grouped by rendering provider, without a provider column
                extra["provider_name"] = len(header)
                header.append(PROVIDER_HEADINGS_COLUMN)
            return SheetLayout(at, columns, modifiers, extra, header, ignored, titles, by_file, unclear,
                               two_rows=at > index, header_cells=[list(r) for r in rows[index:at + 1]],
                               shifted=shifted, times_of_day=clocks, minutes_are_visit_totals=totals,
                               visit_length=length, provider_headings=by_provider, patient_columns=patient_columns,
                               birth_date_column=born, patient_by_account=by_account,
                               code_by_cells=code_by_cells is not None, payer_columns=payer_columns,
                               payer_type_keys=keyed is not None)
        if columns and len(columns) >= most_named:  # not a data row below a header naming more (a cell `15 MIN`)
            most_named = len(columns)
            partial.update(name for name in REQUIRED if name not in columns)
            seen.append(_what_row_has(index, header, columns))
            if "cpt" in unclear and not per_visit:
                per_visit = [f"{header[i]!s} ({column_letter(i)})" for i in unclear["cpt"]]
        elif not partial and len(seen) < 3:  # rows above any header-like row: titles
            seen.append(_what_row_has(index, header, columns))
        if not per_code and (columns or not partial):  # a grid's header, whatever else it names (not a data row)
            coded = [f"{cell if isinstance(cell, str) else heading[0]} ({column_letter(i)})"
                     for i, cell in enumerate(header) if (heading := code_heading(cell))]
            per_code = coded if len(coded) >= 2 else []
    missing = sorted(partial, key=REQUIRED.index) or list(REQUIRED)
    hints = "; ".join(f"{name} may be headed {', '.join(names_for(name)[:6])}" for name in missing)
    found = "; ".join(seen[:4]) or "every row is empty"
    if per_visit:  # `CPT 1`, `CPT 2`…: a row per visit, not a row per charge line
        found += (f"; {' and '.join(per_visit)} could each be the code: a report with one row per visit and "
                  "numbered codes is not a charge sheet, export one row per charge line")
    elif per_code:  # `97110`, `97140`…: a grid, a row per visit
        found += (f"; {', '.join(per_code[:4])}{' …' if len(per_code) > 4 else ''} head a column per code: "
                  f"{GRID_READ}")
    raise UsageError(f"{source}: no header row names {', '.join(REQUIRED)}: {found} ({hints}); {NAME_THE_COLUMNS}")


def _code_column_by_cells(header: list[object], columns: dict[str, int], modifiers: list[int], extra: dict[str, int],
                          sample: list[list[object]], known_codes: Collection[str]) -> int | None:
    """The code's column where no header names it (`Service`, `Item`, `Description`): the one column not read
    as another field whose filled cells hold codes (a total or a footer aside), half of them or more codes of
    the reference tables, so that an account number is not taken for one (nor an Oregon zip code, 97110:
    beside the codes' own column it makes two, and none is taken)."""
    taken = set(columns.values()) | set(modifiers) | set(extra.values())
    found = []
    for at in range(len(header)):
        cells = [row[at] for row in sample if at < len(row) and filled(row[at])] if at not in taken else []
        coded = [code_of(cell)[0] for cell in cells if has_code(cell)]
        known = sum(str(code) in known_codes for code in coded)
        if cells and len(coded) >= 0.8 * len(cells) and 2 * known >= len(coded):
            found.append(at)
    return found[0] if len(found) == 1 else None


def _payer_named_by(columns: dict[str, int], modifiers: list[int], extra: dict[str, int],
                    unclear: dict[str, list[int]], header: list[object]) -> list[int]:
    """An export naming the payer in two or three columns (Kareo's `Primary Insurance Company` and `Primary
    Insurance Plan`, `Carrier Name` and `Plan Name`): their cells are read together, in order, as the payer's
    name (`Humana` + `Gold Plus HMO`), which the payer-name table reads as it reads one cell. Before, one was
    read (`Open Access`, an unknown payer: Traditional Medicare) or, both alike, neither. A column map
    naming the payer's column is followed."""
    taken = set(modifiers) | set(extra.values()) | {at for name, at in columns.items() if name != "payer"}
    candidates = set(unclear.get("payer", [])) | ({columns["payer"]} if "payer" in columns else set())
    candidates |= {i for i, cell in enumerate(header) if i not in taken and filled(cell)
                   and not is_output_header(cell) and fields_by_words(cell) == ["payer"]}
    if not 1 < len(candidates) <= 3:
        return []
    unclear.pop("payer", None)
    columns["payer"] = min(candidates)
    return sorted(candidates)


_NAME_HEADERS = frozenset(map(header_key, ("patient name", "pt name", "name", "client name", "patient full name",
                                            "full name", "patient", "client")))
_A_NAME = re.compile(r"[^\W\d_]{2,}[\s,]+[^\W\d_]")  # `Smith, Anna`, `ANNA SMITH`, not `A100` or `P-0042`
# A patient column of accounts (`Acct #`, `Account No`): in many practice-management systems the account is the
# guarantor's, one for a family, so a name column beside it is read with it (two children, one account).
_ACCOUNT = re.compile(r"acct|account")


def _patient_named_by(columns: dict[str, int], extra: dict[str, int], header: list[object],
                      sample: list[list[object]], by_file: set[str]) -> tuple[list[int], int | None, bool]:
    """The columns the patient is read from when the sheet names patients rather than numbering them:
    `Last Name` and `First Name` (no patient column: the last name's column stands for the patient in the
    sheet's rows), with `DOB` when there is one — two patients of one name are not one patient's year. A
    patient-name column beside a birth date is read with it; so are the name columns beside an account
    (`Acct #`), which a family may share. Returns the columns (none when the patient is an identifier),
    the birth date's among them, and whether the first is an account."""
    last, first, born = (extra.pop(name, None) for name in ("patient_last_name", "patient_first_name",
                                                            "patient_birth_date"))
    if "patient_id" not in columns and last is not None:
        columns["patient_id"] = last
        return [at for at in (last, first, born) if at is not None], born, False
    at = columns.get("patient_id")
    if at is not None and "patient_id" not in by_file and _ACCOUNT.search(header_key(header[at])):
        taken = set(columns.values()) | set(extra.values())
        named = [i for i in (last, first) if i is not None] or [
            i for i, cell in enumerate(header) if i not in taken and header_key(cell) in _NAME_HEADERS
            and _names_in(i, sample)][:1]
        if named:  # an account (a family's, often) and the patient's name beside it
            return [at, *named], None, True
    if at is None or born is None or header_key(header[at]) not in _NAME_HEADERS:
        return [], None, False
    return ([at, born], born, False) if _names_in(at, sample) else ([], None, False)


def _names_in(at: int, sample: list[list[object]]) -> bool:
    """The column holds people's names (`Smith, Anna`), not numbers."""
    names = [row[at] for row in sample if at < len(row) and isinstance(row[at], str) and row[at].strip()]
    return bool(names) and all(_A_NAME.search(name) for name in names)


def _what_row_has(index: int, row: list[object], columns: dict[str, int]) -> str:
    if not columns:
        text = next((str(v).strip() for v in row if filled(v)), "")
        return f"row {index + 1} looks like a title ({text[:40]!r})"
    named = ", ".join(f"{row[i]!s} -> {name}" for name, i in columns.items())
    missing = ", ".join(name for name in REQUIRED if name not in columns)
    return f"row {index + 1} has {named} but no {missing}"


@dataclass
class Prepared:
    """The cells the line parser reads, per field, after merging and translating the export's own."""

    cells: dict[str, list[Any]]  # field -> one cell per data row (replacing the sheet column)
    assumed: dict[int, list[str]]  # data row index -> the defaults applied to it, in words
    not_lines: dict[int, str]  # data row index -> why it is not a claim line
    defaults: dict[str, int] = field(default_factory=dict)  # what was assumed -> on how many lines
    from_headings: dict[str, int] = field(default_factory=dict)  # patient_id / dos -> lines given a heading's
    day_first: str | None = None  # the sheet's text dates are dd/mm/yyyy: a date that reads only so
    no_payer: int = 0  # lines whose payer-type and payer cells are all blank: judged as the default, Traditional Medicare


def prepare(layout: SheetLayout, data: list[list[Any]], ref: Reference,
            row_notes: dict[int, list[str]] | None = None, first_row: int | None = None,
            not_lines: dict[int, str] | None = None, day_first: bool = False) -> Prepared:
    """Cells for the parser: merged modifiers, codes out of descriptions, payer and provider types
    from names, and the rows that are not claim lines. `row_notes` are notes by index into `data`
    (how the reader read a row, cells carried down); `first_row` is the sheet row of data[0] (default:
    the row below the header); `not_lines`, when given, are the rows of `data` that are not claim
    lines, found with more of the sheet around them (a reversal's charge, a visit total's lines);
    `day_first`: the sheet's text dates are dd/mm/yyyy."""
    shortest = min(map(len, data), default=0)

    def column(index: int | None) -> list[Any]:
        if index is not None and index < shortest:  # every row reaches it (calamine's rows all do)
            return list(map(itemgetter(index), data))
        return [row[index] if index is not None and index < len(row) else None for row in data]

    cells: dict[str, list[Any]] = {}
    assumed: dict[int, list[str]] = {}
    defaults: dict[str, int] = {}
    if not_lines is None:
        not_lines = not_claim_lines(layout, data, first_row or layout.header_index + 2)

    codes = column(layout.columns["cpt"])
    known = frozenset(ref.modifiers)
    seen_codes = {value: code_of(value, known) for value in set(codes)}  # each distinct cell read once
    glued = {i: seen_codes[value][1] for i, value in enumerate(codes) if seen_codes[value][1]}
    if glued or any(seen_codes[value][0] != value for value in seen_codes):
        cells["cpt"] = [seen_codes[value][0] for value in codes]
    if len(layout.modifier_columns) > 1 or glued:
        parts = [column(i) for i in layout.modifier_columns]
        cells["modifiers"] = [" ".join(str(plain(p[i])) for p in parts if filled(p[i])) + (
            " " + glued[i] if i in glued else "") for i in range(len(data))]

    if layout.patient_columns:
        cells["patient_id"] = _patients_by_name([column(i) for i in layout.patient_columns],
                                                layout.birth_date_column is not None, layout.patient_by_account)
    if layout.payer_columns:
        cells["payer"] = _read_together([column(i) for i in layout.payer_columns])
    for name in ("note_type", "secondary_payer"):
        if name in layout.extra:
            cells[name] = column(layout.extra[name])
    if "visit_type" in layout.extra and "note_type" not in layout.extra:
        cells["note_type"] = [value if says_progress_report(value) else None
                              for value in column(layout.extra["visit_type"])]

    if "dos_to" in layout.extra:  # `DOS From` and `DOS To`: a period of several days is refused on its line
        spans: dict[tuple[Any, Any], Any] = {}
        froms = column(layout.columns["dos"])
        for first, last in zip(froms, column(layout.extra["dos_to"])):
            if (first, last) not in spans:
                spans[(first, last)] = _service_period(first, last, day_first)
        if any(spans[key] is not key[0] for key in spans):
            cells["dos"] = [spans[pair] for pair in zip(froms, column(layout.extra["dos_to"]))]

    def assume(i: int, what: str) -> None:
        if i not in not_lines:
            assumed.setdefault(i, []).append(what)
            defaults[what.split(":")[0]] = defaults.get(what.split(":")[0], 0) + 1

    for index, notes in (row_notes or {}).items():
        for note in notes:
            assume(index, note)
    if "payer_type" in layout.columns:  # a Financial Class column says "Blue Cross" or "Medicare HMO" as often
        kinds = column(layout.columns["payer_type"])  # as a payer type: the payer-name table reads those too
        if layout.payer_type_keys:
            kinds = list(map(insurance_type_key, kinds))
        read = {value: payer_class(value, ref) for value in set(kinds)}
        if layout.payer_type_keys or any(read[value] != value for value in read):
            cells["payer_type"] = [read[value] for value in kinds]
        payers = cells.get("payer") or (column(layout.columns["payer"]) if "payer" in layout.columns
                                        else [None] * len(data))
        _classes_that_say_no_payer_type(cells, kinds, read, payers, ref, assume)
        if "payer" in layout.columns:
            _advantage_plans_classed_commercial(cells, kinds, read, payers, ref, assume)
    elif "payer" in layout.columns:
        payers = cells.get("payer") or column(layout.columns["payer"])
        known = {name: payer_type_of(name, ref) for name in set(payers)}
        cells["payer_type"] = [_type_by_name(i, name, known[name], ref, assume) for i, name in enumerate(payers)]
    said = _line_disciplines(layout, column, cells.get("cpt", codes), cells.get("modifiers"), ref)
    if "provider_type" in layout.columns:  # a Credential column says DPT, OTR/L, COTA: the credentials table reads them
        kinds = column(layout.columns["provider_type"])
        read = {value: value if not isinstance(value, str) or value.strip().upper() in PROVIDER_TYPES
                else provider_type_cell(value, ref) or value for value in set(kinds)}
        staff = {value: who for value in read if read[value] == value
                 and (who := not_a_therapist(value, None, ref) or clinician_cell(value))}
        roles = {value: role for value in read if read[value] == value and (role := role_cell(value)) is not None}
        blanks = {value for value in read if not filled(value)} | staff.keys() | roles.keys()  # the line says
        blank = [i for i, value in enumerate(kinds) if value in blanks] if blanks else []
        rendered_by = [staff.get(value) for value in kinds] if staff or roles else []
        if blank or any(read[value] != value for value in read):
            cells["provider_type"] = [read[value] for value in kinds]
            for i in blank:
                cells["provider_type"][i] = said(i)[0]
                if kinds[i] in staff and staff[kinds[i]] not in CLINICIANS:  # a clinician's line: its plan says
                    assume(i, _judged_as(str(kinds[i]).strip(), f"is {staff[kinds[i]]} (no therapist)", *said(i)))
                elif roles.get(kinds[i]):  # `Assistant` beside GP: a PTA (an SLP assistant bills nothing)
                    discipline = said(i)[0] or "PT"
                    cells["provider_type"][i] = ASSISTANT_OF.get(discipline, discipline)
                    if discipline not in ASSISTANT_OF:
                        rendered_by[i] = "a speech-language pathology assistant"
        if any(rendered_by):
            cells["rendered_by"] = rendered_by
    else:
        kinds, staff_by_line = _provider_types(layout, column, said, ref, assume)
        if kinds is not None:
            cells["provider_type"] = kinds
        if any(staff_by_line):
            cells["rendered_by"] = staff_by_line
    return Prepared(cells, assumed, not_lines, defaults, no_payer=_lines_without_payer(layout, column, cells, not_lines))


def _lines_without_payer(layout: SheetLayout, column: Callable[[int | None], list[Any]], cells: dict[str, list[Any]],
                         not_lines: dict[int, str]) -> int:
    """Lines with a code whose payer-type and payer cells are blank, on a sheet with such columns: the default
    (Traditional Medicare) judges them, and the reading counts them (a line is not flagged: a sheet may write
    only the payers that are not Medicare)."""
    if "payer_type" not in layout.columns and "payer" not in layout.columns:
        return 0  # the reading says the sheet has no payer column at all
    types = cells.get("payer_type") or column(layout.columns.get("payer_type"))
    payers = cells.get("payer") or column(layout.columns.get("payer"))
    blank_types = {value for value in set(types) if not filled(value)}  # each distinct cell judged once
    blank_payers = {value for value in set(payers) if not filled(value)}
    if not blank_types or not blank_payers:
        return 0
    codes = cells.get("cpt") or column(layout.columns["cpt"])
    return sum(1 for i, (kind, payer) in enumerate(zip(types, payers))
               if kind in blank_types and payer in blank_payers and filled(codes[i]) and i not in not_lines)


def _patients_by_name(parts: list[list[Any]], with_birth_date: bool, by_account: bool) -> list[Any]:
    """`Smith, Anna (1950-01-02)` from a row's last name, first name and birth date (blank when no name);
    `A1001 (Smith, Anna)` from an account and the name (the account alone when the name is blank)."""
    accounts = parts[0] if by_account else [None] * len(parts[0])
    names = parts[1 if by_account else 0:-1 if with_birth_date else None]
    born = parts[-1] if with_birth_date else [None] * len(parts[0])
    births = {value: _birth_date(value) for value in set(born)}
    read: dict[tuple, Any] = {}  # a patient's cells repeat on each of their lines: each read once
    patients = []
    for cells in zip(accounts, *names, born):
        if cells not in read:
            account, *name, birth = cells
            said = ", ".join(" ".join(str(plain(part)).split()) for part in name if filled(part))
            if by_account and filled(account):
                read[cells] = f"{plain(account)} ({said})" if said else account
            else:
                read[cells] = said + births[birth] if said else None
        patients.append(read[cells])
    return patients


def _read_together(parts: list[list[Any]]) -> list[Any]:
    """Each row's cells as one name, in order, a cell another already holds left out (`Medicare` beside
    `Medicare Part B` is `Medicare Part B`); None when all are blank."""
    read: dict[tuple, Any] = {}
    names = []
    for cells in zip(*parts):
        if cells not in read:
            said = [" ".join(str(plain(cell)).split()) for cell in cells if filled(cell)]
            kept = [name for i, name in enumerate(said) if not any(
                name.lower() in other.lower() and (name.lower() != other.lower() or j < i)
                for j, other in enumerate(said) if j != i)]
            read[cells] = " ".join(kept) or None
        names.append(read[cells])
    return names


def _birth_date(value: Any) -> str:
    if not filled(value):
        return ""
    try:
        return f" ({parse_date(value, 'birth date').isoformat()})"
    except PtcalcInputError:
        return f" ({' '.join(str(plain(value)).split())})"


def _line_disciplines(layout: SheetLayout, column: Callable[[int | None], list[Any]], codes: list[Any],
                      merged_modifiers: list[Any] | None, ref: Reference) -> Callable[[int], tuple[str | None, str]]:
    """The discipline line i says by itself, and why — a revenue code (0430 is occupational therapy), its
    GP/GO/GN modifier, or a code of one discipline (92507, 97165) — for lines whose provider type the
    sheet does not give. A GO line is not a PT's because the sheet names no provider: that would be a
    false MOD002."""
    known: dict[tuple[Any, Any, Any], tuple[str | None, str]] = {}
    cells: list[list[Any] | None] = []  # the revenue codes and modifiers, taken on the first call

    def said(i: int) -> tuple[str | None, str]:
        if not cells:
            cells.append(column(layout.extra.get("revenue_code")) if "revenue_code" in layout.extra else None)
            cells.append(merged_modifiers if merged_modifiers is not None else column(layout.columns.get("modifiers")))
        revenue, modifiers = cells
        key = (revenue[i] if revenue else None, modifiers[i], codes[i])
        if key not in known:
            known[key] = _discipline_said_by_line(*key, ref)
        return known[key]

    return said


def _provider_types(layout: SheetLayout, column: Callable[[int | None], list[Any]],
                    said: Callable[[int], tuple[str | None, str]], ref: Reference,
                    assume: Callable[[int, str], None]) -> tuple[list[str | None] | None, list[str | None]]:
    """Without a provider-type column: the rendering provider's name or NPI says the type; where it does
    not (no such column, or a name without a credential), the line says its discipline. None where
    nothing says (judged as a PT). Also who renders each line when that is no therapist (a student, an
    aide...: not_a_therapist), else None."""
    names, npis = column(layout.extra.get("provider_name")), column(layout.extra.get("provider_npi"))
    named = "provider_name" in layout.extra or "provider_npi" in layout.extra
    pairs = set(zip(names, npis)) if named else set()
    known = {pair: provider_type_of(*pair, ref) for pair in pairs}
    # who renders a line when no therapist: an aide, a student... or a physician or NPP (CLINICIANS)
    staff = {pair: not_a_therapist(*pair, ref) or clinician_named(pair[0]) for pair in pairs if known[pair] is None}
    kinds: list[str | None] = []
    for i, (name, npi) in enumerate(zip(names, npis)):
        kind = known.get((name, npi))
        if kind is None:
            kind, why = said(i)
            who = staff.get((name, npi))
            if (filled(name) or filled(npi)) and who not in CLINICIANS:  # a clinician's line: its plan says (MOD001)
                assume(i, _judged_as(str(name if filled(name) else npi).strip(), f"is {who} (no therapist)" if who
                                     else "has no credential ptcalc recognises and is not on the roster", kind, why))
        kinds.append(kind)
    return (kinds if any(kind is not None for kind in kinds) else None,
            [staff.get(pair) for pair in zip(names, npis)] if any(staff.values()) else [])


def _judged_as(who: str, because: str, kind: str | None, why: str) -> str:
    """A DAT008 note: the provider type a line was judged as, and why its own provider did not say."""
    return f"provider type: {who!r} {because}, " + (
        f"judged as {'an' if kind in ('OT', 'SLP') else 'a'} {kind} ({why})" if kind else "judged as a PT")


def _discipline_said_by_line(revenue: Any, modifiers: Any, code: Any, ref: Reference) -> tuple[str | None, str]:
    if kind := discipline_of_revenue_code(revenue):
        return kind, f"revenue code {plain(revenue)}"
    said = {MODIFIER_DISCIPLINES[m] for m in parse_modifiers(modifiers, frozenset(ref.modifiers))
            if m in MODIFIER_DISCIPLINES} if filled(modifiers) else set()
    if len(said) == 1:
        kind = said.pop()
        return kind, f"its {next(m for m, k in MODIFIER_DISCIPLINES.items() if k == kind)} modifier"
    info = ref.codes.get(str(plain(code)).strip().upper()) if filled(code) else None
    if info is not None and info.discipline in ("PT", "OT", "SLP"):
        return info.discipline, f"{info.code} is a code of {info.discipline}"
    return None, ""


def _service_period(first: Any, last: Any, day_first: bool) -> Any:
    """The line's date of service, or `first - last` where they are two readable days (parse_date refuses a
    range of several days by name, as an 837's RD8 range is refused)."""
    try:
        start, end = parse_date(first, "dos", day_first), parse_date(last, "dos", day_first)
    except PtcalcInputError:
        return first
    return first if start == end else f"{start.isoformat()} - {end.isoformat()}"


def _type_by_name(i: int, name: Any, kind: str | None, ref: Reference, assume: Callable[[int, str], None],
                  because: str = "") -> str | None:
    """A line's payer type from its payer's name (`kind`, from the name table); an unknown name that says it
    is a health plan is commercial, any other is left to the default (Traditional Medicare), and said on the
    line; so is a known name read `because` the payer-type cell said something else."""
    if kind is None and looks_like_a_health_plan(name):
        assume(i, f"payer type: {because}{str(name).strip()!r} is not a payer ptcalc recognises; its name says a "
                  "health plan, judged as commercial")
        return "commercial"
    if kind is None and filled(name):
        assume(i, f"payer type: {because}{str(name).strip()!r} is not a payer ptcalc recognises, judged as "
                  "Traditional Medicare")
    elif because:
        assume(i, f"payer type: {because}judged by its payer {str(name).strip()!r} as {kind.replace('_', ' ')}")
    return kind


# A financial class for dual eligibles: Medicare pays first (SSA §1902(a)(25)); without a payer name ptcalc knows,
# the class cannot say whether through Traditional Medicare or a D-SNP (`Dual Eligible`, `Medi-Medi`: payer_names.yaml)
_DUAL_ELIGIBLE_CLASSES = frozenset({"dual", "duals"})


def _classes_that_say_no_payer_type(cells: dict[str, list[Any]], kinds: list[Any], read: dict[Any, Any],
                                    payers: list[Any], ref: Reference, assume: Callable[[int, str], None]) -> None:
    """A payer-type cell that is blank or names no payer type (`Other`, `Government`, `Military`): the line's
    payer name says what it is, as on a sheet without the column (before: a blank beside `Aetna` was
    Traditional Medicare, unsaid, and `Other` a DAT002 beside `Aetna`). A class ptcalc cannot read beside no
    payer name it knows stays the line's DAT002, but for a dual eligible's `Dual`: Traditional Medicare, said (an
    insurer's or a Medicaid plan's name beside it: its Medicare Advantage plan for dual eligibles, a D-SNP)."""
    unread = {kind for kind, value in read.items()
              if not (isinstance(value, str) and header_key(value) in PAYER_TYPES)}
    if not unread:
        return
    types = cells.get("payer_type") or [read[value] for value in kinds]
    known: dict[Any, str | None] = {}
    for i, (kind, name) in enumerate(zip(kinds, payers)):
        if kind not in unread:
            continue
        if filled(name) and name not in known:
            known[name] = payer_type_of(name, ref)
        if header_key(kind) in _DUAL_ELIGIBLE_CLASSES and (not filled(name) or known[name] is None):
            types[i] = "medicare"
            payer = f"its payer {str(name).strip()!r} is not one ptcalc knows" if filled(name) else "no payer is named"
            assume(i, f"payer type: {str(kind).strip()!r} (a dual eligible: Medicare pays first, Medicaid last) "
                      f"judged as Traditional Medicare; {payer}, and a dual eligible special needs plan (D-SNP) is "
                      "Medicare Advantage")
            continue
        if header_key(kind) in _DUAL_ELIGIBLE_CLASSES and known[name] in ("commercial", "medicaid"):
            types[i] = "medicare_advantage"  # a dual eligible's plan from an insurer or a Medicaid plan is its D-SNP
            assume(i, f"payer type: {str(kind).strip()!r} (a dual eligible: Medicare pays first, Medicaid last) with "
                      f"{str(name).strip()!r}: judged as its Medicare Advantage plan for dual eligibles (a D-SNP)")
            continue
        if not filled(name):
            continue  # no name: a blank cell takes the default, as ever; `Other` is the line's DAT002
        if filled(kind) and known[name] is None and not looks_like_a_health_plan(name):
            continue  # `Other` for a payer ptcalc does not know either: DAT002 asks
        because = f"{str(kind).strip()!r} is no payer type; " if filled(kind) else ""
        types[i] = _type_by_name(i, name, known[name], ref, assume, because)
    cells["payer_type"] = types


def _advantage_plans_classed_commercial(cells: dict[str, list[Any]], kinds: list[Any], read: dict[Any, Any],
                                        payers: list[Any], ref: Reference, assume: Callable[[int, str], None]) -> None:
    """Practice-management systems often file Medicare Advantage plans under a commercial financial class,
    and 837s under the generic commercial filing code (CI): a payer the name table knows as a Medicare
    Advantage plan (`Humana Gold Plus`, `AARP Medicare Advantage`) is judged as one, and the line says so."""
    commercial = {kind for kind in read if PAYER_TYPES.get(header_key(read[kind])) == "commercial"}
    advantage = {name for name in set(payers) if payer_type_of(name, ref) == "medicare_advantage"} if commercial \
        else set()
    if not advantage:
        return
    types = cells.get("payer_type") or [read[value] for value in kinds]
    for i, (kind, name) in enumerate(zip(kinds, payers)):
        if name in advantage and kind in commercial:
            types[i] = "medicare_advantage"
            assume(i, f"payer type: {str(name).strip()!r} is a Medicare Advantage plan, judged as one (its "
                      f"payer type says {str(kind).strip()})")
    cells["payer_type"] = types


# Lines with a revenue code are an institutional claim's (UB-04, 837I: a hospital outpatient department, a SNF, a
# rehabilitation agency), which CMS edits with its outpatient hospital NCCI tables, not the practitioner ones (NGS,
# "Outpatient OT and PT Services Billing Guide": "hospitals will utilize the hospital PTP edit table")
HOSPITAL_EDITS = ("{source}: revenue codes make these an institutional claim's lines (UB-04, 837I), which CMS edits "
                  "with its outpatient hospital NCCI tables; ptcalc has the practitioner tables, so a PTP or MUE "
                  "finding on them is the practitioner table's: check it against the hospital's")


def describe(layout: SheetLayout, prepared: Prepared | None, header_row: int) -> dict[str, Any]:
    """How the sheet was read, as data: the json's `reading`, the summaries' first lines."""
    fields = {name: layout.source_of(name) for name in [c.name for c in COLUMNS] if
              name in layout.columns}
    for name in ("provider_name", "provider_npi", "revenue_code", "charge_status", "void_flag", "export_flag",
                 "billable", "do_not_bill", "transaction_type", "dos_to", "note_type", "visit_type", "secondary_payer"):
        if name in layout.extra:
            fields[name] = layout.source_of(name)
    reading: dict[str, Any] = {
        "header_row": header_row,
        **({"header_rows": [header_row - 1, header_row]} if layout.two_rows else {}),
        "title_rows": layout.title_rows,
        "fields": fields,
        "columns_not_used": [layout.label(i) for i in layout.ignored],
        **({"times_of_day": [layout.label(i) for i in layout.times_of_day]}
           if layout.times_of_day else {}),
        **({"visit_length": f"{layout.label(layout.visit_length)}: each visit's lines carry one length, which their "
                            "units do not fit as each code's minutes or as the visit's timed total: the appointment's "
                            "length, not read as minutes"}
           if layout.visit_length is not None else {}),
        "mapped_by_file": sorted(layout.mapped_by_file),
        "fields_absent": [c.name for c in COLUMNS if not c.required and c.name not in layout.columns],
    }
    if "revenue_code" in layout.extra:
        reading["hospital_edits"] = HOSPITAL_EDITS.format(source=layout.source_of("revenue_code"))
    if layout.minutes_are_visit_totals:
        reading["minutes_are_visit_totals"] = (f"{layout.source_of('visit_timed_minutes')}: each visit's lines carry "
                                               "the same minutes, and the units billed fit them as the visit's total")
    if layout.shifted:
        reading["values_beside_header"] = [f"{layout.name(to)} ({column_letter(at)}): its values are in "
                                           f"column {column_letter(to)}" for at, to in layout.shifted.items()]
    if layout.unclear:
        reading["columns_unclear"] = {name: [layout.label(i) for i in indexes]
                                      for name, indexes in layout.unclear.items()}
    if prepared is not None:
        reading["defaults_applied"] = dict(sorted(prepared.defaults.items()))
        reading["not_claim_lines"] = {str(header_row + 1 + i): why for i, why in sorted(prepared.not_lines.items())}
        if prepared.from_headings:
            reading["from_headings"] = dict(prepared.from_headings)
        if prepared.no_payer:
            reading["lines_without_payer"] = prepared.no_payer
        if prepared.day_first:
            example = parse_date(prepared.day_first, "dos", day_first=True)
            reading["dates_day_first"] = (f"text dates read day first, as {prepared.day_first!r} ({example:%d %B %Y}) "
                                          "is written and no date reads only month first: 02/03/2026 is 2 March")
    return reading


def format_reading(reading: dict[str, Any]) -> str:
    rows = reading.get("header_rows")
    lines = [(f"Read: header on rows {rows[0]}-{rows[1]}" if rows else f"Read: header on row {reading['header_row']}")
             + (f" (title rows {', '.join(map(str, reading['title_rows']))} kept, not judged)"
                if reading["title_rows"] else "")]
    if reading.get("reshaped"):
        lines.append(f"  {reading['reshaped']}")
    width = max(map(len, reading["fields"]), default=0)
    for name, source in reading["fields"].items():
        lines.append(f"  {name:<{width}} <- {source}")
    if reading["columns_not_used"]:
        lines.append(f"  not used: {', '.join(reading['columns_not_used'])}")
    for clock in reading.get("times_of_day") or []:
        lines.append(f"  {clock}: times of day (when the visit was), not minutes: not read as minutes")
    if reading.get("visit_length"):
        lines.append(f"  {reading['visit_length']}")
    for said in ("quality_data_codes", "self_pay_codes"):
        if reading.get(said):
            lines.append(f"  {reading[said]}")
    if reading.get("hospital_edits"):
        lines.append(f"  {reading['hospital_edits']}")
    if reading.get("minutes_are_visit_totals"):
        lines.append(f"  {reading['minutes_are_visit_totals']}: read as the visit's total timed minutes")
    for empty in reading.get("columns_empty") or []:
        lines.append(f"  {empty}")
    for moved in reading.get("values_beside_header") or []:
        lines.append(f"  {moved} (read from there)")
    for name, candidates in (reading.get("columns_unclear") or {}).items():
        lines.append(f"  {name}: not read, {' and '.join(candidates)} could each be it ({SAY_WHICH})")
    absent = [n for n in reading["fields_absent"] if n in ("payer_type", "payer", "provider_type", "modifiers",
                                                          "minutes")]
    defaults = {"payer_type": "Traditional Medicare for every line",
                "provider_type": "each line's discipline from its revenue code, GP/GO/GN modifier or a one-discipline "
                                 "code (97165, 92507); PT where none says",
                "minutes": "timed codes cannot be checked against minutes",
                "modifiers": "a missing GP, KX, CQ, 59 or 95 cannot be told from an unknown one (no_data)"}
    if "visit_timed_minutes" in reading["fields"]:
        defaults["minutes"] = ("each visit's timed units are checked against its total timed minutes; the split "
                               "across codes cannot be")
    for name in absent:
        if name == "payer" or (name == "payer_type" and "payer" in reading["fields"]) or \
                (name == "provider_type" and "provider_name" in reading["fields"]):
            continue
        lines.append(f"  no {name} column: {defaults[name]}")
    if reading.get("locality"):
        lines.append(f"  locality: {reading['locality']}")
    if reading.get("settings"):
        lines.append(f"  settings: {reading['settings']}")
    for name, count in (reading.get("from_headings") or {}).items():
        grouped = {"patient_id": "patient", "dos": "date"}.get(name, name)
        lines.append(f"  {name} of {count} line{'s' if count != 1 else ''} from the group heading above them "
                     f"(a report grouped by {grouped})")
    if reading.get("dates_day_first"):
        lines.append(f"  dates: {reading['dates_day_first']}")
    if reading.get("lines_without_payer"):
        count = reading["lines_without_payer"]
        lines.append(f"  payer blank on {count} line{'s' if count != 1 else ''} (no payer type, no payer): judged as "
                     "Traditional Medicare, the default")
    for what, count in reading.get("defaults_applied", {}).items():
        lines.append(f"  default applied ({what}) on {count} line{'s' if count != 1 else ''} (DAT008 says which)")
    others = reading.get("other_charge_sheets")
    if others:
        lines.append(f"  not scrubbed: the workbook's other charge sheets {', '.join(map(repr, others))} "
                     "(scrub each with --sheet NAME)")
    for problem in reading.get("source_problems") or []:
        lines.append(f"  source: {problem}")
    not_lines = reading.get("not_claim_lines") or {}
    if not_lines:
        shown = ", ".join(f"{row} ({why})" for row, why in list(not_lines.items())[:5])
        lines.append(f"  not claim lines (kept, not judged): {shown}" + (" …" if len(not_lines) > 5 else ""))
    return "\n".join(lines)
