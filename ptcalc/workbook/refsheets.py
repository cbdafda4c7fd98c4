"""Reference tables <-> `Ref_*` sheets of a workbook (`ptcalc sync`).

YAML stays the source of truth. Each table file becomes one sheet: a title, a metadata block
(key in column A, value in B), then one Excel table per row list. Lists and mappings inside a
cell are YAML flow text (`[medicare]`). Going back, every cell is read as the schema says and
checked by the same schema as the YAML files; a bad edit is refused naming the sheet and cell.
Only `Ref_*` sheets and the defined names listed in NAMES are ever written.
"""
from __future__ import annotations

import re
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import openpyxl
import yaml
from openpyxl.styles import PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.table import Table, TableStyleInfo

from ..errors import ReferenceDataError, UsageError
from ..refdata import Reference, clear_cache, load_reference
from ..refdata.schema import ROWS, TABLES, Field, validate
from ..refdata.yamlio import CodeList, Located, read_yaml, write_table
from ..safe_write import atomic_save
from ..scrub.context import select_profile
from .style import BODY, font

PREFIX = "Ref_"
LISTS_SHEET = "Ref_Lists"
ACRONYMS = {"gpci": "GPCI", "mue": "MUE", "ptp": "PTP"}
STRUCTURED = ("list", "rows", "severity_map")
HEADER_FILL = PatternFill("solid", fgColor="D9E1F2")
TAB_COLOR = "A6A6A6"
NAMES = ("CPT_CODES", "MODIFIERS", "LOCALITIES", "PAYER_TYPES", "PROVIDER_TYPES", "PRESENTATIONS", "DECISIONS",
         "PAYER_METHODS")
_MISSING = object()
# Metadata the sheets do not show: the fee schedule's codes outside therapy (15,000 of them, beyond the 32,767
# characters an Excel cell holds), which only CMS's file changes; a sheet written back keeps the YAML's
YAML_ONLY = frozenset({"other_codes"})


def print_layout(ws: Any, header_row: int | None = None) -> None:
    """US letter, landscape, one page wide (and the header row on every page)."""
    ws.page_setup.paperSize = ws.PAPERSIZE_LETTER
    ws.page_setup.orientation = "landscape"
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    if header_row is not None:
        ws.print_title_rows = f"{header_row}:{header_row}"


def is_reference_sheet(ws: Any) -> bool:
    """A sheet ptcalc wrote: `Ref_…` with its `file` row, or the lists sheet; a user's own `Ref_Notes` is not."""
    return ws.title.startswith(PREFIX) and (ws.title == LISTS_SHEET or ws.cell(4, 1).value == "file")


def sheet_for(stem: str) -> str:
    """`fee_schedule_2026` -> `Ref_FeeSchedule_2026`; `gpci_2025` -> `Ref_GPCI_2025`."""
    parts = stem.split("_")
    words = [ACRONYMS.get(p, p.title()) for p in parts if not p.isdigit()]
    years = [p for p in parts if p.isdigit()]
    return PREFIX + "".join(words) + "".join(f"_{y}" for y in years)


# Writing --------------------------------------------------------------------------------
def _cell_value(value: Any, spec: Field) -> Any:
    if value is None:
        return None
    if spec.kind in STRUCTURED or (spec.kind == "any" and isinstance(value, (list, dict))):
        return yaml.safe_dump(_plain(value), default_flow_style=True, width=1_000_000, allow_unicode=True).strip()
    if isinstance(value, date) and not isinstance(value, datetime):
        return datetime(value.year, value.month, value.day)
    return value


def _style(cell: Any, spec: Field) -> None:
    if isinstance(cell.value, str):
        cell.data_type = "s"  # text stays text: a value like `=HYPERLINK(...)` never becomes a live formula
    if spec.kind in ("code", "locality", "str", "enum"):
        cell.number_format = "@"
    elif spec.kind == "date":
        cell.number_format = "yyyy-mm-dd"


def _write_sheet(wb: openpyxl.Workbook, path: Path, document: dict, index: int) -> openpyxl.worksheet.worksheet.Worksheet:
    kind = document["table"]
    meta, lists = TABLES[kind]
    title = sheet_for(path.stem)
    ws = wb.create_sheet(title, index)
    ws.sheet_properties.tabColor = TAB_COLOR
    ws["A1"] = f"Reference table {path.name}"
    ws["A1"].font = font(bold=True, size=13)
    ws["A2"] = ("Edit the cells below, then run:  ptcalc sync <this workbook> --to-yaml   "
                "(reference/*.yaml stays the source of truth; keep sheet and headers as they are)")
    ws["A2"].font = font(italic=True, color="595959")
    row = 4
    ws.cell(row, 1, "file").font = font(bold=True)
    ws.cell(row, 2, path.name)
    for name, spec in meta.items():
        if name in document and name not in YAML_ONLY:
            row += 1
            ws.cell(row, 1, name).font = font(bold=True)
            cell = ws.cell(row, 2, _cell_value(document[name], spec))
            _style(cell, spec)
    widths: dict[int, int] = {1: 14, 2: 30}
    for list_name, row_schema in lists.items():
        fields = ROWS[row_schema]
        rows = document.get(list_name) or []
        columns = [n for n in fields if any(n in r for r in rows) or fields[n].required]
        row += 2
        ws.cell(row, 1, f"[{list_name}]").font = font(bold=True, color="1F4E79")
        row += 1
        header_row = row
        for c, name in enumerate(columns, start=1):
            cell = ws.cell(row, c, name)
            cell.font = font(bold=True)
            cell.fill = HEADER_FILL
            widths[c] = max(widths.get(c, 8), len(name) + 2)
        for record in rows:
            row += 1
            for c, name in enumerate(columns, start=1):
                value = _cell_value(record.get(name), fields[name])
                cell = ws.cell(row, c, value)
                _style(cell, fields[name])
                if value is not None:
                    widths[c] = max(widths.get(c, 8), min(len(str(value)) + 2, 60))
        if rows:
            ref = f"A{header_row}:{get_column_letter(len(columns))}{row}"
            name = re.sub(r"\W", "", f"tbl{title}{list_name.title()}")
            ws.add_table(Table(displayName=name, ref=ref, tableStyleInfo=TableStyleInfo(
                name="TableStyleLight9", showRowStripes=True)))
    for c, width in widths.items():
        ws.column_dimensions[get_column_letter(c)].width = width
    for row_cells in ws.iter_rows(min_row=4):
        for cell in row_cells:
            if cell.value is not None and not cell.font.b:
                cell.font = BODY
    ws.freeze_panes = "A4"
    print_layout(ws)
    return ws


def _column_range(ws: Any, header: str, list_label: str = "[rows]") -> str | None:
    """`'Sheet'!$A$7:$A$70` for a column of a table on a Ref sheet."""
    label_row = next((r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == list_label), None)
    if label_row is None:
        return None
    head = label_row + 1
    col = next((c for c in range(1, ws.max_column + 1) if ws.cell(head, c).value == header), None)
    last = head
    while ws.cell(last + 1, 1).value not in (None, ""):
        last += 1
    letter = get_column_letter(col)
    return f"'{ws.title}'!${letter}${head + 1}:${letter}${last}"


def _write_lists(wb: openpyxl.Workbook, ref: Reference, index: int) -> dict[str, str]:
    """Ref_Lists: dropdown choices derived from the tables (not read back)."""
    ws = wb.create_sheet(LISTS_SHEET, index)
    ws.sheet_properties.tabColor = TAB_COLOR
    latest = ref.gpcis[max(ref.gpcis)]
    columns = {
        "LOCALITIES": ["national", *sorted(latest.rows)],
        "PAYER_TYPES": sorted({t for p in ref.payers for t in p.payer_types}),
        "PROVIDER_TYPES": ["PT", "PTA", "OT", "OTA", "SLP"],
        "PRESENTATIONS": ["stable", "evolving", "unstable"],
        "DECISIONS": ["low", "moderate", "high"],
    }
    ws["A1"] = "Dropdown lists, derived from the reference tables by `ptcalc sync` (not edited here)"
    ws["A1"].font = font(italic=True, color="595959")
    names = {}
    for c, (name, values) in enumerate(columns.items(), start=1):
        letter = get_column_letter(c)
        ws.cell(3, c, name).font = font(bold=True)
        for r, value in enumerate(values, start=4):
            ws.cell(r, c, value).number_format = "@"
        ws.column_dimensions[letter].width = max(16, max(len(v) for v in values) + 2)
        names[name] = f"'{LISTS_SHEET}'!${letter}$4:${letter}${3 + len(values)}"
    # Each payer type's unit method (its default profile), for the Charges sheet's PT_UNITS.
    first = get_column_letter(len(columns) + 2)
    second = get_column_letter(len(columns) + 3)
    ws[f"{first}3"], ws[f"{second}3"] = "PAYER_METHODS", "unit method"
    ws[f"{first}3"].font = ws[f"{second}3"].font = font(bold=True)
    for r, payer_type in enumerate(columns["PAYER_TYPES"], start=4):
        ws[f"{first}{r}"] = payer_type
        ws[f"{second}{r}"] = select_profile(ref, payer_type, "").unit_method
    ws.column_dimensions[first].width = 20
    names["PAYER_METHODS"] = f"'{LISTS_SHEET}'!${first}$4:${second}${3 + len(columns['PAYER_TYPES'])}"
    return names


@dataclass
class SyncResult:
    workbook: Path
    sheets: list[str] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)

    def summary(self) -> str:
        if self.files:
            return f"wrote {len(self.files)} reference file(s): " + ", ".join(p.name for p in self.files)
        if self.sheets:
            return f"{self.workbook}: {len(self.sheets)} Ref_ sheets written from reference/"
        return "no changes: the workbook's Ref_ sheets match reference/"


def reference_documents(directory: Path) -> list[tuple[Path, Located]]:
    load_reference(directory)  # the tables must be valid before they go into a workbook
    return [(p, read_yaml(p)) for p in sorted(directory.glob("*.yaml"))]


def write_reference_sheets(wb: openpyxl.Workbook, directory: Path) -> list[str]:
    """(Re)write every Ref_* sheet and the dropdown names; other sheets are left as they are."""
    ref = load_reference(directory)
    documents = reference_documents(directory)
    wanted = {sheet_for(path.stem) for path, _ in documents} | {LISTS_SHEET}
    for ws in wb.worksheets:
        if ws.title in wanted and not is_reference_sheet(ws):
            raise UsageError(f"sheet {ws.title!r} is not one ptcalc wrote (no `file` row in A4) but has the name of "
                             "a reference sheet; rename it, then sync again")
    positions = [i for i, ws in enumerate(wb.worksheets) if is_reference_sheet(ws)]
    for ws in [ws for ws in wb.worksheets if is_reference_sheet(ws)]:
        wb.remove(ws)
    index = positions[0] if positions else len(wb.worksheets)
    written = []
    for path, document in documents:
        written.append(_write_sheet(wb, path, document, index).title)
        index += 1
    names = _write_lists(wb, ref, index)
    written.append(LISTS_SHEET)
    names["CPT_CODES"] = _column_range(wb[sheet_for("codes")], "code")
    names["MODIFIERS"] = _column_range(wb[sheet_for("modifiers")], "modifier")
    for name in NAMES:
        if name in wb.defined_names:
            del wb.defined_names[name]
        wb.defined_names[name] = DefinedName(name, attr_text=names[name])
    return written


def sync_to_workbook(workbook: Path, directory: Path) -> SyncResult:
    book = _load(workbook)
    sheets = write_reference_sheets(book, directory)
    atomic_save(workbook, book.save)
    return SyncResult(workbook, sheets=sheets)


def _load(workbook: Path) -> openpyxl.Workbook:
    if not workbook.is_file():
        raise UsageError(f"{workbook}: no such workbook")
    try:
        return openpyxl.load_workbook(workbook, keep_vba=workbook.suffix.lower() == ".xlsm")
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds for a non-workbook
        raise UsageError(f"{workbook}: not a readable .xlsx/.xlsm workbook ({type(exc).__name__})") from None


# Reading back ---------------------------------------------------------------------------
def _from_cell(value: Any, spec: Field, where: str, problems: list[str], field_name: str) -> Any:
    """A cell as the YAML value the schema expects; unreadable text is left for the schema to refuse."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return _MISSING
    kind = spec.kind
    if isinstance(value, datetime):
        value = value.date()
    if kind in ("code", "locality", "str") and isinstance(value, (int, float)) and float(value).is_integer():
        return str(int(value))
    if kind == "enum" and isinstance(value, str) and value.strip().isdigit() and any(isinstance(c, int) for c in spec.choices):
        return int(value)
    if kind == "enum" and isinstance(value, float) and value.is_integer():
        return int(value)
    if kind in ("int", "number") and isinstance(value, str):
        try:
            return float(value) if kind == "number" else int(value)
        except ValueError:
            return value
    if kind == "bool" and isinstance(value, str) and value.strip().upper() in ("TRUE", "FALSE"):
        return value.strip().upper() == "TRUE"
    if kind == "date" and isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            return value
    if kind in STRUCTURED or (kind == "any" and isinstance(value, str) and value.strip()[:1] in "[{"):
        try:
            loaded = yaml.safe_load(value) if isinstance(value, str) else value
        except yaml.YAMLError:
            problems.append(f"{where}: {field_name}: {value!r} is not a valid list or mapping (write e.g. [a, b])")
            return value
        if kind == "rows" and isinstance(loaded, list):  # nested rows are checked like any row, at this cell
            loaded = [_located(item, where.split("!")[-1]) if isinstance(item, dict) else item for item in loaded]
        return loaded
    if kind == "any" and isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _located(mapping: dict, cell: str) -> Located:
    located = Located(mapping)
    located.line, located.key_lines = cell, {key: cell for key in mapping}
    return located


SAFE_FILE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_\-]{0,60}\.yaml$")  # a file inside the reference folder


def read_reference_sheet(ws: Any) -> tuple[str, Located]:
    """(file name, document) of a Ref_ sheet, raising ReferenceDataError with `Sheet!cell` on a bad edit."""
    problems: list[str] = []
    if ws.cell(4, 1).value != "file" or not ws.cell(4, 2).value:
        raise ReferenceDataError(f"{ws.title}!A4: file: the sheet must keep its `file` row (sheet, cell, reason)")
    file_name = str(ws.cell(4, 2).value).strip()
    if not SAFE_FILE_NAME.match(file_name):
        raise ReferenceDataError(f"{ws.title}!B4: file: {file_name[:60]!r} is not a plain table file name such as "
                                 "'codes.yaml' (no folders, no '..')")
    kind = ws.cell(5, 2).value if ws.cell(5, 1).value == "table" else None
    if kind not in TABLES:
        raise ReferenceDataError(f"{ws.title}!B5: table: {kind!r} is not a reference table kind")
    meta, lists = TABLES[kind]
    document = Located()
    document.line, document.key_lines = "A4", {}
    row = 5
    while ws.cell(row, 1).value not in (None, ""):
        key = str(ws.cell(row, 1).value)
        spec = meta.get(key, Field("any"))
        value = _from_cell(ws.cell(row, 2).value, spec, f"{ws.title}!B{row}", problems, key)
        document[key] = None if value is _MISSING else value
        document.key_lines[key] = f"B{row}"
        row += 1
    for r in range(row, ws.max_row + 1):
        label = ws.cell(r, 1).value
        if not (isinstance(label, str) and label.startswith("[") and label.endswith("]")):
            continue
        list_name = label[1:-1]
        fields = ROWS.get(lists.get(list_name, ""), {})
        header = [ws.cell(r + 1, c).value for c in range(1, ws.max_column + 1)]
        header = header[:next((i for i, h in enumerate(header) if h in (None, "")), len(header))]
        rows = []
        data_row = r + 2
        while any(ws.cell(data_row, c).value not in (None, "") for c in range(1, len(header) + 1)):
            record = Located()
            record.line, record.key_lines = f"A{data_row}", {}
            for c, name in enumerate(header, start=1):
                spec = fields.get(name, Field("any"))
                where = f"{ws.title}!{get_column_letter(c)}{data_row}"
                value = _from_cell(ws.cell(data_row, c).value, spec, where, problems, name)
                if value is _MISSING:
                    if spec.required:
                        record[name] = None
                    else:
                        continue
                else:
                    record[name] = value
                record.key_lines[name] = f"{get_column_letter(c)}{data_row}"
            rows.append(record)
            data_row += 1
        document[list_name] = rows
        document.key_lines[list_name] = f"A{r}"
    if problems:
        raise ReferenceDataError("\n".join(problems))
    validate(document, ws.title)
    return file_name, document


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _header_comment(path: Path) -> str:
    lines = []
    for line in path.read_text(encoding="utf-8").splitlines() if path.is_file() else []:
        if not line.startswith("#"):
            break
        lines.append(line[1:].removeprefix(" "))
    return "\n".join(lines)


def sync_to_yaml(workbook: Path, directory: Path) -> SyncResult:
    """Write edited Ref_ sheets back to YAML; nothing is written unless every table is valid."""
    book = _load(workbook)
    changed: dict[str, dict] = {}
    known = {sheet_for(path.stem) for path in directory.glob("*.yaml")}
    for ws in book.worksheets:
        if ws.title == LISTS_SHEET or not (is_reference_sheet(ws) or ws.title in known):
            continue  # not a reference table (a user's own sheet may start with Ref_ too)
        file_name, document = read_reference_sheet(ws)
        target = directory / file_name
        current = yaml.safe_load(target.read_text(encoding="utf-8")) if target.is_file() else None
        for name in YAML_ONLY & set(current or ()):
            document[name] = CodeList(current[name])
        if _plain(document) != current:
            changed[file_name] = _plain(document)
    result = SyncResult(workbook)
    if not changed:
        return result
    with tempfile.TemporaryDirectory() as tmp:
        trial = Path(tmp) / "reference"
        shutil.copytree(directory, trial)
        for name, document in changed.items():
            write_table(trial / name, _header_comment(directory / name), document)
        clear_cache()
        load_reference(trial)  # the edited tables must load together, or nothing is written
        for name in changed:
            atomic_save(directory / name, lambda temp, n=name: shutil.copyfile(trial / n, temp))
            result.files.append(directory / name)
    clear_cache()
    return result
