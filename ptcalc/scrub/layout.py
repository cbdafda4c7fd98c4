"""How a sheet is read, as a person reads a practice-management export.

- The header is the first row that names the required fields (title rows above it are kept in
  the output, not judged).
- Columns are matched by broad synonyms (`Acct #`, `CPT Code`, `DOS From`, `Primary Insurance`,
  `Rendering Provider`…), by a mapping file (`--columns map.yaml`: source header -> field) first,
  and split modifier columns (`Mod 1` … `Mod 4`) are merged in order.
- Codes written with a description or a prefix (`97110 - Ther Ex`, `CPT 97110`, `97110GP`) are
  read as the code (a glued-on modifier joins the modifiers).
- Payer types come from a payer-type column, else from the payer's name (reference/payer_names.yaml);
  provider types from a provider-type column, else from the rendering provider's roster entry or
  credential (reference/providers.yaml). A default applied to a line is said on it (DAT008).
- Totals, subtotal and page-footer rows are not claim lines: kept in place, not judged, listed.

`SheetLayout.describe()` says all of it: the top of every summary, and `ptcalc columns FILE`.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import takewhile
from operator import itemgetter
from pathlib import Path
from typing import Any

from ..errors import PtcalcInputError, UsageError
from ..refdata.model import Reference, fold_name
from ..refdata.yamlio import read_yaml
from ..values import parse_date
from .columns import BY_NAME, COLUMNS, REQUIRED, column_letter, is_output_header
from .cells import code_of, filled, has_code, is_amount, plain
from .header_words import fields_by_words
from .rows import not_claim_lines
from .lines import PAYER_TYPES, PROVIDER_TYPES

# Extra header words per field, best first; a later group is used only when no earlier one is there
# (an export with both `Acct #` and `Patient Name` keys patients by the account).
SYNONYMS: dict[str, tuple[tuple[str, ...], ...]] = {
    "patient_id": (("patient id", "patient no", "patient number", "patient account", "patient acct", "acct",
                    "acct #", "acct no", "account number", "account no", "chart", "chart #", "chart number",
                    "pt id", "patient #"), ("patient name", "pt name", "name")),
    "dos": (("dos", "dos from", "from date", "from dos", "svc date", "service from", "date of svc", "visit date",
             "treatment date"),),
    "cpt": (("cpt code", "procedure code", "proc code", "proc", "cpt/hcpcs", "hcpcs code", "service code",
             "charge code", "billing code", "cpt hcpcs", "cpt description"),),
    "units": (("units billed", "quantity", "unit", "svc units", "service units", "charge units"),),
    "minutes": (("time", "min", "minutes timed", "treatment minutes", "timed mins"),),
    "payer_type": (("insurance type", "payer class", "coverage type", "fin class", "plan category"),),
    "payer": (("primary insurance", "primary payer", "insurance name", "payer name", "plan", "plan name",
               "insurance company", "primary ins", "ins", "insurance carrier"), ("primary",)),
    "provider_type": (("credentials", "provider credential", "provider type"),),
    "pta_minutes": (("pta minutes", "ota minutes", "pta/ota minutes", "assistant mins"),),
    "pos": (("place", "pos code"),),
    "charge": (("charge amt", "charge amount", "charges", "amount", "billed", "fee", "total charge",
                "line charge", "billed charge"),),
    "poc_start": (("soc", "soc date", "plan of care start", "poc start date"),),
    "poc_certified": (("certification date", "poc cert date", "cert signed"),),
    "progress_report": (("last progress report", "progress note date"),),
    "claim_id": (("claim", "claim no", "claim number", "claim #", "invoice", "invoice no", "encounter",
                  "encounter id", "visit id", "ticket"),),
}
# Not charge-line fields, but read to find the provider type when there is no provider-type column.
# The rendering provider's own names first: an export may also have a bare `Provider` (the clinic, the
# billing provider) or `NPI` beside them.
PROVIDER_NAME = (("rendering provider", "rendering provider name", "treating therapist", "rendering",
                  "servicing provider"), ("provider", "therapist", "clinician", "provider name"))
PROVIDER_NPI = (("rendering npi", "rendering provider npi"), ("npi", "provider npi"))
_SPLIT_MODIFIER = re.compile(r"^(?:mods?|modifiers?)([1-4a-d])$")



def _key(text: object) -> str:
    """Header form for matching: letters and digits only, lower case (`Acct #` -> `acct`)."""
    return "".join(ch for ch in str(text).lower() if ch.isalnum()) if text is not None else ""


WORDS_RANK = 1.5  # a header read by its words: after the field's names and first synonyms, before the rest

# Words so common in exports that they mean a field only when nothing more specific is there.
GENERIC = frozenset({"date", "code", "procedure", "patient", "time", "name", "amount", "plan", "ins", "place", "min",
                     "unit", "fee", "billed", "claim", "proc", "chart"})


def _ranked_lookup() -> dict[str, tuple[str, int]]:
    """Header key -> (field, rank): the field's own name and the spec's aliases first, then the
    synonym groups in order, then the generic words."""
    lookup: dict[str, tuple[str, int]] = {}
    last = 1 + max(len(groups) for groups in SYNONYMS.values())
    for column in COLUMNS:
        for name in (column.name, *column.aliases):
            lookup.setdefault(_key(name), (column.name, last if _key(name) in GENERIC else 0))
        for rank, group in enumerate(SYNONYMS.get(column.name, ()), start=1):
            for name in group:
                lookup.setdefault(_key(name), (column.name, last if _key(name) in GENERIC else rank))
    for field_name, groups in (("provider_name", PROVIDER_NAME), ("provider_npi", PROVIDER_NPI)):
        for rank, group in enumerate(groups, start=1):
            for name in group:
                lookup.setdefault(_key(name), (field_name, rank))
    return lookup


LOOKUP = _ranked_lookup()


@dataclass
class SheetLayout:
    """Where a sheet's header is and which column is which field."""

    header_index: int
    columns: dict[str, int]  # field -> column index (modifiers: the first of the split columns)
    modifier_columns: list[int]
    extra: dict[str, int]  # provider_name / provider_npi, charge_status / void_flag
    headers: list[object]
    ignored: list[int] = field(default_factory=list)
    title_rows: list[int] = field(default_factory=list)  # sheet rows above the header that hold text
    mapped_by_file: set[str] = field(default_factory=set)
    unclear: dict[str, list[int]] = field(default_factory=dict)  # field -> columns whose words all name it
    two_rows: bool = False  # the header is two rows: groups above, column names on header_index
    header_cells: list[list[object]] = field(default_factory=list)  # the header's own row(s), as the sheet has them
    shifted: dict[int, int] = field(default_factory=dict)  # a header's column -> the column beside it with its values

    def source_of(self, name: str) -> str:
        index = self.columns.get(name, self.extra.get(name))
        if name == "modifiers" and len(self.modifier_columns) > 1:
            return " + ".join(self.label(i) for i in self.modifier_columns) + " (merged in order)"
        return self.label(index) if index is not None else ""

    def label(self, index: int) -> str:
        return f"{self.headers[index]!s} ({column_letter(index)})"


def load_column_map(path: Path) -> dict[str, str]:
    """A `--columns` file: `source header: field` lines; several headers may map to modifiers."""
    try:
        document = read_yaml(path)
    except Exception as exc:  # noqa: BLE001 - any reading problem is one clear line
        raise UsageError(f"{path}: the column map cannot be read ({str(exc).splitlines()[0]})") from None
    if not isinstance(document, dict) or not document:
        raise UsageError(f"{path}: a column map is lines of `source header: field` (e.g. `Pt Acct: patient_id`)")
    fields = set(BY_NAME) | {"provider_name", "provider_npi"}
    mapping = {}
    for header, name in document.items():
        if not isinstance(name, str) or name not in fields:
            raise UsageError(f"{path}: {header!s}: {name!r} is not a field ({', '.join(sorted(fields))})")
        mapping[_key(header)] = name
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
        key = _key(cell)
        if not key or is_output_header(cell):
            continue
        if key in mapping:
            name, rank = mapping[key], -1
            by_file.add(name)
        elif _SPLIT_MODIFIER.match(key):
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
        chosen = _told_apart_by_values(name, indexes, sample)
        if chosen is not None:
            best[name] = (best[name][0], chosen)
        elif name in REQUIRED:
            first, other = indexes[:2]
            raise UsageError(f"columns {column_letter(first)} ({row[first]!s}) and {column_letter(other)} "
                             f"({row[other]!s}) both mean '{name}'; keep one, or say which with --columns")
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


def _looks_like_a_date(value: object) -> bool:
    try:
        parse_date(value, "dos")
    except PtcalcInputError:
        return False
    return True


# What a field's cells look like, to tell two columns headed alike apart.
_LOOKS_LIKE: dict[str, Callable[[object], bool]] = {
    "cpt": has_code, "dos": _looks_like_a_date, "poc_start": _looks_like_a_date,
    "units": lambda v: is_amount(v) and "$" not in str(v), "minutes": is_amount, "charge": is_amount,
    "pos": lambda v: str(plain(v)).strip().isdigit() and len(str(plain(v)).strip()) <= 2,
    "modifiers": lambda v: all(len(part) == 2 and part.isalnum() for part in re.split(r"[\s,;/-]+", str(plain(v)).strip())),
}


def _told_apart_by_values(name: str, indexes: list[int], sample: list[list[object]]) -> int | None:
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


def locate(rows: list[list[object]], source: str, mapping: dict[str, str] | None = None,
           scan: int = 50) -> SheetLayout:
    """The layout of a sheet: its header row is the first that names every required field."""
    mapping = mapping or {}
    seen: list[str] = []
    partial: set[str] = set()
    per_visit: list[str] = []  # columns that could each be the code
    for index, row in enumerate(rows[:scan]):
        if not any(filled(v) for v in row):
            continue
        titles = [i + 1 for i in range(index) if any(filled(v) for v in rows[i])]
        columns, modifiers, extra, by_file, unclear = _match(row, mapping, rows[index + 1:index + 1 + SAMPLE_ROWS])
        at, header = index, row
        below = _two_row_header(row, rows[index + 1], mapping) if index + 1 < len(rows) else None
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
        if all(name in columns for name in REQUIRED):
            used = set(columns.values()) | set(modifiers) | set(extra.values())
            ignored = [i for i, cell in enumerate(header) if filled(cell) and i not in used and not is_output_header(cell)]
            header = list(header)
            shifted = _values_beside_headers(header, columns, modifiers, extra, rows[at + 1:at + 1 + SAMPLE_ROWS])
            return SheetLayout(at, columns, modifiers, extra, header, ignored, titles, by_file, unclear,
                               two_rows=at > index, header_cells=[list(r) for r in rows[index:at + 1]],
                               shifted=shifted)
        if columns:
            partial.update(name for name in REQUIRED if name not in columns)
            seen.append(_what_row_has(index, header, columns))
            if "cpt" in unclear and not per_visit:
                per_visit = [f"{header[i]!s} ({column_letter(i)})" for i in unclear["cpt"]]
        elif not partial and len(seen) < 3:  # rows above any header-like row: titles
            seen.append(_what_row_has(index, header, columns))
    missing = sorted(partial, key=REQUIRED.index) or list(REQUIRED)
    hints = "; ".join(f"{name} may be headed {', '.join(_names_for(name)[:6])}" for name in missing)
    found = "; ".join(seen[:4]) or "every row is empty"
    if per_visit:  # `CPT 1`, `CPT 2`…: a row per visit, not a row per charge line
        found += (f"; {' and '.join(per_visit)} could each be the code: a report with one row per visit and "
                  "numbered codes is not a charge sheet, export one row per charge line")
    raise UsageError(f"{source}: no header row names {', '.join(REQUIRED)}: {found} ({hints}); name the columns "
                     "with --columns map.yaml, or see `ptcalc columns`")


SAMPLE_ROWS = 40  # rows below a header whose values tell apart two columns headed alike
_WIDEST_GROUP = 6  # columns a group header spans beyond its first (Modifiers over four; a title spans the sheet)


def _values_beside_headers(header: list[object], columns: dict[str, int], modifiers: list[int],
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


def _two_row_header(top: list[object], below: list[object], mapping: dict[str, str]) -> list[object] | None:
    """One header out of two rows, where an export heads groups of columns above their own names
    (`Modifiers` merged over `Mod 1` … `Mod 4`; `Service` over `From`, `To`; `Patient` over `Name`,
    `Account`): each column's name below, read with its group's when that names a field (`Service From`).
    None when the row below is not such a row: it holds anything a line holds (a code, a date, a
    number, long text), or none of its names sits under a group (a blank or a spanning cell above)."""
    width = max(len(top), len(below))
    top = list(top) + [None] * (width - len(top))
    below = list(below) + [None] * (width - len(below))
    names = [i for i, cell in enumerate(below) if filled(cell)]
    if not names or any(not isinstance(below[i], str) or len(below[i].strip()) > 40 or has_code(below[i])
                        or any(ch.isdigit() for ch in below[i]) and not _SPLIT_MODIFIER.match(_key(below[i]))
                        for i in names):
        return None
    above = [i for i, cell in enumerate(top) if filled(cell)]
    if above == [0] or any(not isinstance(top[i], str) or any(ch.isdigit() for ch in top[i]) for i in above):
        return None  # a title (one cell, first column) or a report's date line above the header, not groups
    groups: list[object] = []  # each column's group: the filled cell above it, or the one spanning from the left
    for i, cell in enumerate(top):
        groups.append(cell if filled(cell) else groups[i - 1] if i and filled(below[i]) else None)
    spans = [sum(1 for _ in takewhile(lambda j: not filled(top[j]) and filled(below[j]), range(i + 1, width)))
             if filled(top[i]) else 0 for i in range(width)]
    if max(spans) > _WIDEST_GROUP or not any(not filled(top[i]) or spans[i] for i in names):
        return None  # a title over the whole header; or no name below belongs to a group
    return [_column_name(groups[i], below[i], mapping) if filled(below[i]) else top[i] for i in range(width)]


def _column_name(group: object, name: str, mapping: dict[str, str]) -> str:
    """`Service` + `From` is `Service From`, `Provider` + `Name` is `Provider Name`, `Modifiers` + `Mod 1`
    is `Mod 1`: the pair when it is a field's name, else the name below when it is one; then the same by
    their words; else the pair."""
    name = name.strip()
    if not filled(group):
        return name
    pair = f"{str(group).strip()} {name}"

    def exact(text: str) -> bool:
        key = _key(text)
        return key in mapping or key in LOOKUP or bool(_SPLIT_MODIFIER.match(key))

    for test in (exact, lambda text: len(fields_by_words(text)) == 1):
        for text in (pair, name):
            if test(text):
                return text
    return pair


def _names_for(name: str) -> list[str]:
    column = BY_NAME[name]
    return [column.name, *column.aliases, *(n for group in SYNONYMS.get(name, ()) for n in group)]


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


def prepare(layout: SheetLayout, data: list[list[Any]], ref: Reference,
            row_notes: dict[int, list[str]] | None = None, first_row: int | None = None) -> Prepared:
    """Cells for the parser: merged modifiers, codes out of descriptions, payer and provider types
    from names, and the rows that are not claim lines. `row_notes` are notes by index into `data`
    (how the reader read a row, cells carried down); `first_row` is the sheet row of data[0] (default:
    the row below the header)."""
    shortest = min(map(len, data), default=0)

    def column(index: int | None) -> list[Any]:
        if index is not None and index < shortest:  # every row reaches it (calamine's rows all do)
            return list(map(itemgetter(index), data))
        return [row[index] if index is not None and index < len(row) else None for row in data]

    cells: dict[str, list[Any]] = {}
    assumed: dict[int, list[str]] = {}
    defaults: dict[str, int] = {}
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

    def assume(i: int, what: str) -> None:
        if i not in not_lines:
            assumed.setdefault(i, []).append(what)
            defaults[what.split(":")[0]] = defaults.get(what.split(":")[0], 0) + 1

    for index, notes in (row_notes or {}).items():
        for note in notes:
            assume(index, note)
    if "payer_type" in layout.columns:  # a Financial Class column says "Blue Cross" or "Medicare HMO" as often
        kinds = column(layout.columns["payer_type"])  # as a payer type: the payer-name table reads those too
        read = {value: _payer_class(value, ref) for value in set(kinds)}
        if any(read[value] != value for value in read):
            cells["payer_type"] = [read[value] for value in kinds]
        if "payer" in layout.columns:
            _advantage_plans_classed_commercial(cells, kinds, read, column(layout.columns["payer"]), ref, assume)
    elif "payer" in layout.columns:
        types = []
        payers = column(layout.columns["payer"])
        known = {name: payer_type_of(name, ref) for name in set(payers)}
        for i, name in enumerate(payers):
            kind = known[name]
            if kind is None and filled(name):
                assume(i, f"payer type: {str(name).strip()!r} is not a payer ptcalc recognises, judged as "
                          "Traditional Medicare")
            types.append(kind)
        cells["payer_type"] = types
    if "provider_type" in layout.columns:  # a Credential column says DPT, OTR/L, COTA: the credentials table reads them
        kinds = column(layout.columns["provider_type"])
        read = {value: value if not isinstance(value, str) or value.strip().upper() in PROVIDER_TYPES
                else provider_type_of(value, None, ref) or value for value in set(kinds)}
        if any(read[value] != value for value in read):
            cells["provider_type"] = [read[value] for value in kinds]
    elif "provider_name" in layout.extra or "provider_npi" in layout.extra:
        names, npis = column(layout.extra.get("provider_name")), column(layout.extra.get("provider_npi"))
        kinds = []
        known = {pair: provider_type_of(*pair, ref) for pair in set(zip(names, npis))}
        for i, (name, npi) in enumerate(zip(names, npis)):
            kind = known[(name, npi)]
            if kind is None and (filled(name) or filled(npi)):
                who = str(name if filled(name) else npi).strip()
                assume(i, f"provider type: {who!r} has no credential ptcalc recognises and is not on the roster, "
                          "judged as a PT")
            kinds.append(kind)
        cells["provider_type"] = kinds
    return Prepared(cells, assumed, not_lines, defaults)


def _advantage_plans_classed_commercial(cells: dict[str, list[Any]], kinds: list[Any], read: dict[Any, Any],
                                        payers: list[Any], ref: Reference, assume: Callable[[int, str], None]) -> None:
    """Practice-management systems often file Medicare Advantage plans under a commercial financial class,
    and 837s under the generic commercial filing code (CI): a payer the name table knows as a Medicare
    Advantage plan (`Humana Gold Plus`, `AARP Medicare Advantage`) is judged as one, and the line says so."""
    commercial = {kind for kind in read if PAYER_TYPES.get(_key(read[kind])) == "commercial"}
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


def _payer_class(value: Any, ref: Reference) -> Any:
    """A payer-type cell as a payer type: itself when it is one, else what the payer-name table says it
    means, else the cell (the parser then reports it on the line)."""
    if not isinstance(value, str) or "".join(ch for ch in value.lower() if ch.isalnum()) in PAYER_TYPES:
        return value
    return payer_type_of(value, ref) or value


def payer_type_of(name: Any, ref: Reference) -> str | None:
    """The payer type of the longest known name in `name`. An insurer's Medicaid plan is Medicaid and its
    Medicare plan Medicare Advantage ("UnitedHealthcare Medicaid", "Medica Medicare"), not the insurer's
    commercial type; a Medicare supplement (Medigap) pays after Traditional Medicare, which the claim goes
    to first."""
    if not filled(name):
        return None
    folded = f" {fold_name(str(name))} "
    words = set(folded.split())
    if words & {"supplement", "medigap"}:
        return "medicare"
    kinds = [kind for known, kind in ref.payer_names if f" {known} " in folded]  # longest name first
    if "commercial" in kinds and "medicaid" in words:
        return "medicaid"
    if "commercial" in kinds and "medicare" in words:
        return "medicare_advantage"
    return kinds[0] if kinds else None


def provider_type_of(name: Any, npi: Any, ref: Reference) -> str | None:
    if filled(npi) and str(plain(npi)).strip() in ref.provider_roster:
        return ref.provider_roster[str(plain(npi)).strip()]
    if not filled(name):
        return None
    text = str(name)
    if fold_name(text) in ref.provider_roster:
        return ref.provider_roster[fold_name(text)]
    tokens = [t.replace(".", "") for t in re.split(r"[\s,;()]+", text.upper()) if t]  # P.T.A. is PTA
    if _NOT_A_THERAPIST.intersection(tokens):
        return None  # "PT Aide", "Student PT": not a provider who bills therapy (DAT008 says so)
    folded = f" {fold_name(text)} "
    titles = [(fold_name(c), kind) for c, kind in ref.provider_credentials.items() if " " in c]
    for title, kind in sorted(titles, key=lambda t: -len(t[0])):  # "Physical Therapist Assistant"
        if f" {title} " in folded:
            return kind
    for token in reversed(tokens):  # credentials follow the name: "Jane Smith, DPT, OCS"
        for part in (token, *reversed(token.split("-"))):  # CCC-SLP; Kim Lee-PTA
            if part in ref.provider_credentials:
                return ref.provider_credentials[part]
    return None


_NOT_A_THERAPIST = frozenset({"AIDE", "TECH", "TECHNICIAN", "STUDENT", "SPT", "SPTA", "SOTA"})


def describe(layout: SheetLayout, prepared: Prepared | None, header_row: int) -> dict[str, Any]:
    """How the sheet was read, as data: the json's `reading`, the summaries' first lines."""
    fields = {name: layout.source_of(name) for name in [c.name for c in COLUMNS] if
              name in layout.columns}
    for name in ("provider_name", "provider_npi", "charge_status", "void_flag"):
        if name in layout.extra:
            fields[name] = layout.source_of(name)
    reading: dict[str, Any] = {
        "header_row": header_row,
        **({"header_rows": [header_row - 1, header_row]} if layout.two_rows else {}),
        "title_rows": layout.title_rows,
        "fields": fields,
        "columns_not_used": [f"{layout.headers[i]!s} ({column_letter(i)})" for i in layout.ignored],
        "mapped_by_file": sorted(layout.mapped_by_file),
        "fields_absent": [c.name for c in COLUMNS if not c.required and c.name not in layout.columns],
    }
    if layout.shifted:
        reading["values_beside_header"] = [f"{layout.headers[to]!s} ({column_letter(at)}): its values are in "
                                           f"column {column_letter(to)}" for at, to in layout.shifted.items()]
    if layout.unclear:
        reading["columns_unclear"] = {name: [layout.label(i) for i in indexes]
                                      for name, indexes in layout.unclear.items()}
    if prepared is not None:
        reading["defaults_applied"] = dict(sorted(prepared.defaults.items()))
        reading["not_claim_lines"] = {str(header_row + 1 + i): why for i, why in sorted(prepared.not_lines.items())}
    return reading


def format_reading(reading: dict[str, Any]) -> str:
    rows = reading.get("header_rows")
    lines = [(f"Read: header on rows {rows[0]}-{rows[1]}" if rows else f"Read: header on row {reading['header_row']}")
             + (f" (title rows {', '.join(map(str, reading['title_rows']))} kept, not judged)"
                if reading["title_rows"] else "")]
    for name, source in reading["fields"].items():
        lines.append(f"  {name:<14} <- {source}")
    if reading["columns_not_used"]:
        lines.append(f"  not used: {', '.join(reading['columns_not_used'])}")
    for moved in reading.get("values_beside_header") or []:
        lines.append(f"  {moved} (read from there)")
    for name, candidates in (reading.get("columns_unclear") or {}).items():
        lines.append(f"  {name}: not read, {' and '.join(candidates)} could each be it (say which with --columns)")
    absent = [n for n in reading["fields_absent"] if n in ("payer_type", "payer", "provider_type", "modifiers",
                                                          "minutes")]
    defaults = {"payer_type": "Traditional Medicare for every line", "provider_type": "PT for every line",
                "minutes": "timed codes cannot be checked against minutes",
                "modifiers": "a missing GP, KX, CQ, 59 or 95 cannot be told from an unknown one (no_data)"}
    for name in absent:
        if name == "payer" or (name == "payer_type" and "payer" in reading["fields"]) or \
                (name == "provider_type" and "provider_name" in reading["fields"]):
            continue
        lines.append(f"  no {name} column: {defaults[name]}")
    for what, count in reading.get("defaults_applied", {}).items():
        lines.append(f"  default applied ({what}) on {count} line{'s' if count != 1 else ''} (DAT008 says which)")
    others = reading.get("other_charge_sheets")
    if others:
        lines.append(f"  not scrubbed: the workbook's other charge sheets {', '.join(map(repr, others))} "
                     "(scrub each with --sheet NAME)")
    for problem in reading.get("source_problems") or []:
        lines.append(f"  claim file: {problem}")
    not_lines = reading.get("not_claim_lines") or {}
    if not_lines:
        shown = ", ".join(f"{row} ({why})" for row, why in list(not_lines.items())[:5])
        lines.append(f"  not claim lines (kept, not judged): {shown}" + (" …" if len(not_lines) > 5 else ""))
    return "\n".join(lines)
