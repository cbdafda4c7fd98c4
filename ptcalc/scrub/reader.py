"""Reading a charge sheet (a workbook with python-calamine: xlsx, xlsm, xlsb, xls, ods; delimited
text; an HTML table saved as .xls by a web export) into rows of cell values. What a file is comes
from its first bytes, not its name: "Export to Excel" often writes text or HTML named `.xls`.

Rows start at A1 so that list index + 1 is the row number the user sees. python-calamine
reads Excel error cells (#N/A, #VALUE!) as empty text, which would turn a broken cell into a
"missing" one, so error cells are recovered from the sheet XML (`t="e"` cells) and put back.
"""
from __future__ import annotations

import csv
import io
import re
import zipfile
import zlib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cache
from itertools import islice
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from ..errors import UsageError
from .cells import filled
from .columns import column_letter
from .fixed_width import (TAB_WIDTH, fixed_width_rows, looks_fixed_width, one_tab_per_gap, tab_stop_rows,
                          tabs_line_up, values_at_tab_stops)
from .html_table import html_rows, looks_like_html
from .sheet_parts import all_rows, load_in_parts, parts_wanted, rows_of
from .spreadsheet_2003 import looks_like_spreadsheet_2003, spreadsheet_2003_rows

EXCEL_SUFFIXES = (".xlsx", ".xlsm", ".xlsb", ".xls", ".ods", ".xml")  # .xml: Excel 2003's XML spreadsheet
_WORKBOOK_MAGIC = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")  # zip (xlsx, xlsb, ods); OLE2 (xls)
# Delimited text, the delimiter sniffed, or text in columns of spaces (.prn: Excel's "Formatted Text"); 837 files
# are told apart first
TEXT_SUFFIXES = (".csv", ".tsv", ".txt", ".prn")
# A zip the reader's own look inside cannot read (python-calamine then says what is wrong with it): a damaged
# archive or member (zipfile's errors, a deflate stream zlib cannot inflate), a member it lacks.
_DAMAGED = (zipfile.BadZipFile, KeyError, OSError, zlib.error)
_SHEET_PREFIX = re.compile(rb"<(\w+:)?worksheet\b")  # `<x:worksheet xmlns:x=...>`: the prefix some writers (.NET) give


def _sheet_prefix(start: bytes) -> bytes:
    """The namespace prefix of a sheet's elements (`x:`), from the start of its XML; b"" for none."""
    found = _SHEET_PREFIX.search(start)
    return found.group(1) or b"" if found else b""


@cache
def _cell_patterns(prefix: bytes) -> tuple[re.Pattern[bytes], re.Pattern[bytes], re.Pattern[bytes]]:
    """An error-valued cell, self-closing or not (`[^>/]` keeps each match inside its own tag, so the scan is
    linear however many self-closing cells follow: a lazy `.*?</c>` after `/>` was quadratic); its value; and a
    formula cell without a saved value (`<c r="F2"><f>ROUND(E2/15,0)</f></c>`: written by a program, never
    calculated; python-calamine reads it as empty). Each for elements named with `prefix`."""
    c, v, f = (re.escape(prefix + name) for name in (b"c", b"v", b"f"))
    cell = rb'<' + c + rb' r="([A-Z]{1,3})(\d+)"'
    formula = rb"(?:<" + f + rb"[^>/]*/>|<" + f + rb"[^>]*>[^<]*</" + f + rb">)"
    no_value = rb"(?:<" + v + rb"\s*/>|<" + v + rb"></" + v + rb">)?"
    return (re.compile(cell + rb'[^>/]*?\bt="e"[^>/]*(?:/>|>(.*?)</' + c + rb">)", re.S),
            re.compile(rb"<" + v + rb">([^<]*)</" + v + rb">"),
            re.compile(cell + rb"[^>/]*>" + formula + no_value + rb"</" + c + rb">"))


_RELATIONSHIPS = {"rel": "http://schemas.openxmlformats.org/package/2006/relationships"}  # OPC's, in Strict too


def _spreadsheet_ns(root: ElementTree.Element) -> dict[str, str]:
    """The namespace of a workbook part's elements, from its root: the transitional one most writers use, or
    Strict Open XML's (`http://purl.oclc.org/ooxml/spreadsheetml/main`, which Excel saves on request)."""
    return {"m": root.tag[1:].partition("}")[0] if root.tag.startswith("{") else ""}


SOURCE_ROW = "Source Row"  # the column a reshaped sheet's lines name their row of the file in (visit_rows.py)


@dataclass
class RawSheet:
    source: Path
    sheet_name: str
    rows: list[list[object]]  # from A1; rows[i] is sheet row i + 1
    decimal_comma: bool = False  # a ';'-delimited csv writes 12,5 for twelve and a half
    delimiter: str | None = None  # delimited text's (its rows are as long as each line's fields: unquoted.py)
    row_notes: dict[int, str] = field(default_factory=dict)  # rows[i] -> how it had to be read (encoding)
    notes: list[str] = field(default_factory=list)  # about the whole source (an 837's validation problems)
    other_sheets: list[str] = field(default_factory=list)  # the workbook's other charge sheets, not read
    # Cells under the top of a vertical merge (a patient or date merged over a visit's lines): column ->
    # (first, last) row indexes of rows[] the merge covers below its top cell.
    merged_below: dict[int, list[tuple[int, int]]] = field(default_factory=dict)
    # A streamed read (json/csv outputs of large files): `rows` holds the first rows only and `rest`
    # yields the others once, so the scrub never holds every row of the file.
    rest: Iterator[list[object]] | None = None
    reshaped: str | None = None  # how the rows were reshaped into charge lines (a visit per row: visit_rows.py)
    source_rows: dict[int, int] = field(default_factory=dict)  # reshaped: a row's number -> its row in the file
    # The rows are claims as sent (an 837): a blank cell is the claim's own, not a value an export left out
    claims_as_sent: bool = False

    def complete_reading(self, reading: dict[str, Any]) -> None:
        """Adds to a reading of the rows what it says of the source as a whole; a column the reshaping
        added (`Source Row`) is ptcalc's own, not a column of the file left unused."""
        if self.reshaped:
            reading["reshaped"] = self.reshaped
            reading["columns_not_used"] = [label for label in reading.get("columns_not_used", ())
                                           if not label.startswith(f"{SOURCE_ROW} (")]
        if self.notes:
            reading["source_problems"] = self.notes
        if self.other_sheets:
            reading["other_charge_sheets"] = self.other_sheets

    def merged_over(self, row: int, col: int) -> bool:
        """rows[row][col] is covered by a merged cell above it: the sheet shows that cell's value there."""
        return any(first <= row <= last for first, last in self.merged_below.get(col, ()))

    @property
    def header_index(self) -> int | None:
        """Index of the header: the first row with any content."""
        return next((i for i, row in enumerate(self.rows) if any(map(filled, row))), None)


# Files people are handed for a report, holding no sheet ptcalc can read: what to do instead
_NUMBERS_EXPORT = ("an Apple Numbers document, not a workbook: in Numbers, File > Export To > Excel (or CSV), and "
                   "scrub that")
_NOT_DATA = {".pdf": "a PDF is the report as printed, not its data: export the report from the system as Excel or "
                     "CSV (practice-management reports offer it beside Print), and scrub that",
             ".numbers": _NUMBERS_EXPORT}
HEAD_ROWS = 60  # rows read up front in a streamed read: the header search looks at the first 50


def read_sheet(path: Path, sheet: str | None = None, stream: bool = False) -> RawSheet:
    """The rows of a sheet; with `stream`, the first HEAD_ROWS and an iterator over the rest."""
    path = Path(path)
    if not path.is_file():
        raise UsageError(f"{path}: no such file")
    suffix = path.suffix.lower()
    if suffix in _NOT_DATA:
        raise UsageError(f"{path}: {_NOT_DATA[suffix]}")
    if suffix not in EXCEL_SUFFIXES + TEXT_SUFFIXES:
        raise UsageError(f"{path}: unsupported file type '{path.suffix}' (use .xlsx, .xlsm, .xls, .xlsb, .ods, "
                         "Excel 2003 .xml, .csv, or a .txt/.tsv export delimited by tabs, commas, semicolons or bars, "
                         "or a report printed to text in columns, .txt or .prn)")
    head = _head(path)
    if path.name.startswith("~$") and len(head) < 1024 and not head.startswith(_WORKBOOK_MAGIC):
        workbook = path.with_name(path.name[2:])
        instead = f"scrub {workbook.name}" if workbook.is_file() else "scrub the workbook it marks"
        raise UsageError(f"{path}: Excel's owner file of a workbook open in Excel (it holds a user name, no "
                         f"cells): {instead}")
    if head.startswith(_WORKBOOK_MAGIC):
        return _read_excel(path, sheet, stream)
    if looks_like_html(head):
        if sheet:
            raise UsageError(f"{path}: --sheet applies to workbooks; this file is a web page (an HTML table)")
        return _read_html(path)
    if looks_like_spreadsheet_2003(head):
        name, rows = spreadsheet_2003_rows(path.read_bytes(), sheet, str(path))
        return RawSheet(path, name, rows)
    if suffix == ".xml" or suffix in EXCEL_SUFFIXES and not _looks_like_text(head):
        raise UsageError(f"{path}: not a readable Excel workbook (neither a workbook, a web page nor text)")
    if sheet:
        raise UsageError(f"{path}: --sheet applies to workbooks; this file is delimited text")
    read = _read_csv(path, stream)
    if suffix in EXCEL_SUFFIXES:
        read.notes.append(f"file type: delimited text named {suffix} (an \"Export to Excel\" that writes text); "
                          "read as text")
    return read


def is_workbook(path: Path) -> bool:
    """A file python-calamine reads (by its first bytes, whatever its name)."""
    return path.is_file() and _head(path).startswith(_WORKBOOK_MAGIC)


def _head(path: Path, size: int = 1 << 18) -> bytes:
    with path.open("rb") as handle:
        return handle.read(size)


def _looks_like_text(head: bytes) -> bool:
    """Delimited text: UTF-16 with its BOM, or no control bytes but tabs and line ends (and not markup:
    XML that is neither a web page nor a spreadsheet)."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return True
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    return bool(text) and not text.startswith(b"<") and not any(byte < 32 and byte not in (9, 10, 13) for byte in head)


def _read_html(path: Path) -> RawSheet:
    raw = path.read_bytes()
    charset = re.search(rb"charset=[\"']?([A-Za-z0-9_-]+)", raw[:4096])
    try:
        text = raw.decode(charset.group(1).decode() if charset else "utf-8-sig")
    except (LookupError, UnicodeDecodeError):
        text = raw.decode("cp1252", errors="replace")
    note = (f"file type: a web page named {path.suffix} (an \"Export to Excel\" that writes an HTML table); "
            "read as its table's rows")
    return RawSheet(path, path.stem[:31] or "Sheet1", html_rows(text), notes=[note])


def sheet_names(path: Path) -> list[str]:
    from python_calamine import CalamineError, CalamineWorkbook

    _check_unpacked_size(path)
    try:
        return list(CalamineWorkbook.from_path(str(path)).sheet_names)
    except (CalamineError, OSError, ValueError) as exc:
        raise _unreadable(path, exc) from None


MAX_UNPACKED = 2_000_000_000  # bytes an xlsx may unpack to (a 1,000,000-line sheet is well under)


# An Office file encrypted as a whole (a password to open it, or a sensitivity label that protects it) is an OLE2
# container holding one stream of that name (MS-OFFCRYPTO 2.3.4.4): no reader opens it without the key.
_ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")

_IWORK_INDEX = frozenset({"Index/Document.iwa", "index.xml.gz", "Index.zip"})  # Numbers' document, 2013 on and before


def _unreadable(path: Path, problem: Exception) -> UsageError:
    """What is wrong with a workbook python-calamine cannot open: encrypted, said with what to do; else its error."""
    with path.open("rb") as handle:
        encrypted = handle.read(8) == _WORKBOOK_MAGIC[1] and _ENCRYPTED_PACKAGE in handle.read()
    if encrypted:
        return UsageError(f"{path}: the workbook is encrypted (a password to open it, or a sensitivity label that "
                          "protects it), and ptcalc cannot read it: in Excel, save a copy without the password (File > "
                          "Info > Protect Workbook > Encrypt with Password, cleared) or export the sheet as csv, and "
                          "scrub that")
    if (members := _archived_files(path)) is not None and _IWORK_INDEX & set(members):
        return UsageError(f"{path}: {_NUMBERS_EXPORT}")
    if members is not None:
        held = f"it holds {', '.join(members[:3])}{f' and {len(members) - 3} more' if len(members) > 3 else ''}" \
            if members else "it holds no files"
        return UsageError(f"{path}: a zip archive, not a workbook ({held}): unzip it and scrub the files, or the "
                          "folder they are in")
    return UsageError(f"{path}: not a readable Excel workbook ({str(problem).splitlines()[0][:80]})")


def _archived_files(path: Path) -> list[str] | None:
    """The files of a zip archive that is not a workbook (no [Content_Types].xml: a PM system's download of
    several exports); None for any other file."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError):
        return None
    if "[Content_Types].xml" in names or "mimetype" in names:  # an xlsx, or an OpenDocument spreadsheet
        return None
    return [name for name in names if not name.endswith("/")]


def _check_unpacked_size(path: Path) -> None:
    """Refuse a small file that would inflate to gigabytes (a zip bomb), from the zip's own directory."""
    try:
        with zipfile.ZipFile(path) as archive:
            total = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError):
        return  # the reader says what is wrong with the file
    if total > MAX_UNPACKED:
        raise UsageError(f"{path}: the workbook would unpack to {total / 1e9:,.1f} GB (more than "
                         f"{MAX_UNPACKED / 1e9:,.0f} GB); it is not a charge sheet ptcalc will open")


def _read_excel(path: Path, sheet: str | None, stream: bool) -> RawSheet:
    from python_calamine import CalamineError, CalamineWorkbook

    _check_unpacked_size(path)
    try:
        workbook = CalamineWorkbook.from_path(str(path))
    except (CalamineError, OSError, ValueError) as exc:
        raise _unreadable(path, exc) from None
    names = workbook.sheet_names
    if sheet is None:
        if not names:
            raise UsageError(f"{path}: the workbook has no sheets")
        sheet = names[0]
    elif sheet not in names:
        raise UsageError(f"{path}: no sheet named {sheet!r} (sheets: {', '.join(names)})")
    _check_extent(path, names.index(sheet), sheet)
    try:
        loaded = _load_in_parts(path, names.index(sheet), sheet, stream) or _load_whole(workbook, path, sheet, stream)
    except CalamineError as exc:
        raise UsageError(f"{path}: sheet {sheet!r} cannot be read ({exc})") from None
    errors, uncalculated = loaded.errors
    notes = _uncalculated_notes(uncalculated)
    try:
        merged = _merged_below(getattr(loaded.sheets[0], "merged_cell_ranges", None) or [])
    except (CalamineError, ValueError, TypeError):  # a format without merges, or ranges it cannot give
        merged = {}
    if loaded.listed is not None:
        return RawSheet(path, sheet, _with_errors(loaded.listed, errors), row_notes=notes, merged_below=merged)
    rows = _with_errors(_excel_rows(loaded.rows(), errors), errors, 0)
    return RawSheet(path, sheet, list(islice(rows, HEAD_ROWS)), row_notes=notes, merged_below=merged, rest=rows)


@dataclass
class _LoadedSheet:
    """A sheet python-calamine has loaded, whole or in row ranges (sheet_parts), with its error cells."""

    sheets: list[Any]  # the sheet, or its parts in row order (each holding cells)
    errors: tuple[dict[tuple[int, int], str], list[tuple[int, int]]]  # _error_cells
    in_parts: bool = False
    listed: list[list[object]] | None = None  # every row from A1, unless streamed

    def rows(self) -> Iterator[list[object]]:
        """Rows from A1 one at a time (python-calamine converts each only when asked)."""
        if self.in_parts:
            return rows_of(self.sheets)
        sheet = self.sheets[0]
        pad = [""] * sheet.start[1] if sheet.start else []  # its rows start at the first used column
        return (pad + row for row in sheet.iter_rows()) if pad else sheet.iter_rows()


def _load_whole(workbook: Any, path: Path, sheet: str, stream: bool) -> _LoadedSheet:
    # python-calamine releases the GIL while it loads the sheet: the error-cell scan (mostly zlib, which
    # releases it too) runs beside it in a thread instead of after it.
    with ThreadPoolExecutor(1) as pool:
        scan = pool.submit(_error_cells, path, workbook.sheet_names.index(sheet), sheet)
        cells = workbook.get_sheet_by_name(sheet)
        listed = None if stream else cells.to_python(skip_empty_area=False)
        return _LoadedSheet([cells], scan.result(), listed=listed)


def _load_in_parts(path: Path, position: int, name: str, stream: bool) -> _LoadedSheet | None:
    """A large xlsx sheet loaded in row ranges side by side (sheet_parts), its error cells scanned meanwhile;
    None where it loads whole (a small sheet, one core, another format, rows it cannot cut)."""
    try:
        with zipfile.ZipFile(path) as archive:
            part = _sheet_part(archive, position, name)
            if part is None or (count := parts_wanted(archive.getinfo(part).file_size)) < 2:
                return None
            found: dict[tuple[int, int], str] = {}
            uncalculated: list[tuple[int, int]] = []
            parts = load_in_parts(archive, part, name, count,
                                  lambda xml: _scan_cells(xml, found, uncalculated, _sheet_prefix(xml[:4096])))
    except _DAMAGED:
        return None
    if not parts:
        return None
    return _LoadedSheet(parts, (found, uncalculated), True, None if stream else all_rows(parts))


def _merged_below(ranges: list[tuple[tuple[int, int], tuple[int, int]]]) -> dict[int, list[tuple[int, int]]]:
    """Column -> the rows below the top cell of each vertical merge (python-calamine's (row, col) corners)."""
    below: dict[int, list[tuple[int, int]]] = {}
    for (top, left), (bottom, right) in ranges:
        if bottom > top:
            for col in range(left, right + 1):
                below.setdefault(col, []).append((top + 1, bottom))
    return below


def _uncalculated_notes(cells: list[tuple[int, int]]) -> dict[int, str]:
    """A note on each row with formulas the workbook never calculated (written by a program, not saved by
    Excel): their cells read as empty, and the line says why."""
    by_row: dict[int, list[str]] = {}
    for row, col in sorted(cells):
        by_row.setdefault(row, []).append(f"{column_letter(col)}{row + 1}")
    return {row: f"formula not calculated: {', '.join(names)} hold{'s' if len(names) == 1 else ''} a formula with "
                 "no saved value (read as empty); open and save the workbook in Excel, or `ptcalc recalc` it"
            for row, names in by_row.items()}


def _excel_rows(rows: Iterator[list[object]], errors: dict[tuple[int, int], str]) -> Iterator[list[object]]:
    """The sheet's rows from A1, then any rows below the last that only an error cell occupies (python-calamine
    reads an error cell as empty)."""
    count = 0
    for row in rows:
        count += 1
        yield row
    for _ in range(count, max((r + 1 for r, _ in errors), default=0)):
        yield []


def _with_errors(rows: Any, errors: dict[tuple[int, int], str], start: int | None = None) -> Any:
    """Put the error text back into the error cells (a list of rows is patched in place; an iterator
    of rows from row `start` is patched as it goes)."""
    by_row: dict[int, list[tuple[int, str]]] = {}
    for (row, col), error in errors.items():
        by_row.setdefault(row, []).append((col, error))

    def patch(line: list[object], found: list[tuple[int, str]]) -> list[object]:
        for col, error in found:
            if len(line) <= col:
                line.extend([""] * (col + 1 - len(line)))
            line[col] = error
        return line

    if not by_row:
        return rows
    if start is None:
        for row, found in by_row.items():
            while len(rows) <= row:
                rows.append([])
            patch(rows[row], found)
        return rows
    return (patch(line, by_row[index]) if index in by_row else line for index, line in enumerate(rows, start))


MAX_CELLS = 40_000_000  # rows x columns the reader will lay out (100,000 lines x 400 columns)
_DIMENSION = re.compile(rb'<(?:\w+:)?dimension ref="[A-Z]{1,3}\d+:([A-Z]{1,3})(\d+)"')
_CELL_REF = re.compile(rb'<(?:\w+:)?c r="([A-Z]{1,3})(\d+)"')


def _check_extent(path: Path, position: int, name: str) -> None:
    """Refuse a sheet whose cells reach so far that laying it out would exhaust memory (one stray
    cell at XFD1048576 makes 17 billion), before the reader tries."""
    try:
        with zipfile.ZipFile(path) as archive:
            part = _sheet_part(archive, position, name)
            if part is None:
                return
            with archive.open(part) as stream:
                head = stream.read(4096)
                found = _DIMENSION.search(head)
                if found is None:  # no dimension written: find the farthest cell, reading in chunks
                    rows = cols = 0
                    chunk = head
                    while True:
                        for letters, number in _CELL_REF.findall(chunk):
                            rows, cols = max(rows, int(number)), max(cols, _column_index(letters) + 1)
                        more = stream.read(1 << 20)
                        if not more:
                            break
                        chunk = chunk[-40:] + more  # a reference cut at the boundary is read whole
                else:
                    rows, cols = int(found.group(2)), _column_index(found.group(1)) + 1
    except _DAMAGED:
        return  # the reader says what is wrong with the file
    if rows * cols > MAX_CELLS:
        raise UsageError(f"{path}: sheet {name!r} reaches row {rows:,} and column {_letters(cols)} "
                         f"({rows * cols:,} cells): clear the cells far outside the charge table (or save the "
                         "sheet as csv) and scrub again")


def _letters(count: int) -> str:
    letters = ""
    while count:
        count, rest = divmod(count - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _column_index(letters: bytes) -> int:
    index = 0
    for char in letters:
        index = index * 26 + char - 64
    return index - 1


def _sheet_part(archive: zipfile.ZipFile, position: int, name: str) -> str | None:
    """The zip member of a worksheet, from workbook.xml and its relationships."""
    try:
        book = ElementTree.fromstring(archive.read("xl/workbook.xml"))
        rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    except (KeyError, ElementTree.ParseError):
        return None
    sheets = book.findall("m:sheets/m:sheet", _spreadsheet_ns(book))
    chosen = next((s for s in sheets if s.get("name") == name), sheets[position] if position < len(sheets) else None)
    if chosen is None:
        return None
    rel_id = next((value for key, value in chosen.attrib.items() if key.endswith("}id")), None)  # r:id, either namespace
    target = next((r.get("Target") for r in rels.findall("rel:Relationship", _RELATIONSHIPS) if r.get("Id") == rel_id),
                  None)
    if not target:
        return None
    return target.lstrip("/") if target.startswith("/") else f"xl/{target}"


def _error_cells(path: Path, position: int, name: str) -> tuple[dict[tuple[int, int], str], list[tuple[int, int]]]:
    """(row, col) -> '#N/A' etc. for every error-valued cell of the sheet (0-based), and the cells holding a
    formula without a saved value. The sheet's XML is read a megabyte at a time, cut after the last
    complete row: it runs beside python-calamine's own load, which must not find a second copy of a
    million-line sheet in memory."""
    found: dict[tuple[int, int], str] = {}
    uncalculated: list[tuple[int, int]] = []
    try:
        with zipfile.ZipFile(path) as archive:
            part = _sheet_part(archive, position, name)
            if part is None:
                return found, uncalculated
            with archive.open(part) as stream:
                pending, prefix = b"", None
                while more := stream.read(1 << 20):
                    pending += more
                    if prefix is None:
                        prefix = _sheet_prefix(pending[:4096])
                    cut = pending.rfind(b"</" + prefix + b"row>")
                    if cut >= 0:
                        _scan_cells(pending[:cut], found, uncalculated, prefix)
                        pending = pending[cut:]
                _scan_cells(pending, found, uncalculated, prefix or b"")
    except _DAMAGED:
        return {}, []
    return found, uncalculated


def _scan_cells(xml: bytes, found: dict[tuple[int, int], str], uncalculated: list[tuple[int, int]],
                prefix: bytes = b"") -> None:
    error_cell, value_of, no_value = _cell_patterns(prefix)
    if b't="e"' in xml:
        for letters, number, body in error_cell.findall(xml):
            value = value_of.search(body) if body else None
            found[(int(number) - 1, _column_index(letters))] = value.group(1).decode() if value else "#N/A"
    if b"<" + prefix + b"f" in xml:
        uncalculated.extend((int(number) - 1, _column_index(letters)) for letters, number in no_value.findall(xml))


csv.field_size_limit(32_767 * 32)  # Excel's cell limit many times over; the default 131,072 aborts long notes


EXCEL_CELL = 32_767  # characters an Excel cell holds
_LONG_FIELD = re.compile(r"[^\n]{%d}" % (EXCEL_CELL + 1))


def _decode(path: Path, raw: bytes) -> tuple[str, set[int], bool]:
    """The text of a csv, the lines (1-based) that were not UTF-8, and whether the whole file was read
    as Windows-1252: UTF-16 by its BOM, else UTF-8 (with or without BOM); a file with bytes that are
    not UTF-8 and no accented letter written in UTF-8 is Windows-1252 throughout (what Excel's
    "CSV (Comma delimited)" saves on Windows; every byte is a character); in a file mixing both, each
    line that is not UTF-8 is read as Windows-1252 and noted, so one stray byte never garbles the others."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return raw.decode("utf-16"), set(), False
        except UnicodeDecodeError:
            raise UsageError(f"{path}: the file says UTF-16 but is not valid UTF-16; save it as CSV UTF-8") from None
    try:
        return raw.decode("utf-8-sig"), set(), False
    except UnicodeDecodeError:
        pass
    lines, odd, utf8_accents = [], set(), False
    for number, line in enumerate(raw.removeprefix(b"\xef\xbb\xbf").splitlines(keepends=True), start=1):
        try:
            lines.append(line.decode("utf-8"))
            utf8_accents = utf8_accents or not line.isascii()
        except UnicodeDecodeError:
            lines.append(line.decode("cp1252", errors="replace"))
            odd.add(number)
    if not utf8_accents:
        return raw.decode("cp1252", errors="replace"), set(), True
    return "".join(lines), odd, False


def _unclosed_quote_line(text: str) -> int | None:
    """The line where a field opened a quote that never closes (the csv module only knows the end), or
    None when every quote closes."""
    inside, start = False, None
    for number, line in enumerate(text.splitlines(), start=1):
        for position, char in enumerate(line):
            if char == '"' and (inside or position == 0 or line[position - 1] in ",;\t|"):
                if not inside:
                    start = number
                inside = not inside
    return start if inside else None


def _read_csv(path: Path, stream: bool = False) -> RawSheet:
    raw = path.read_bytes()
    text, odd_lines, windows_1252 = _decode(path, raw)
    del raw
    delimiter = _sniff_delimiter(text)
    tab_stops = values_at_tab_stops(text) if delimiter == "\t" else None
    tabs_as_padding = delimiter == "\t" and not tab_stops and tabs_line_up(text)
    if tabs_as_padding:
        text = one_tab_per_gap(text)
    fields = _fields_per_line(text, delimiter)
    columns_of_spaces = not (delimiter == "\t" and fields > 1) and looks_fixed_width(text, fields)  # tabs, not spaces
    sheet = RawSheet(path, path.stem[:31] or "Sheet1", [], decimal_comma=delimiter == ";",
                     delimiter=None if columns_of_spaces or tab_stops else delimiter)
    if windows_1252:
        sheet.notes.append("encoding: read as Windows-1252 (the file is not UTF-8: Excel's \"CSV (Comma "
                           "delimited)\" on Windows); check an accented name reads right, or save as CSV UTF-8")
    if tabs_as_padding:
        sheet.notes.append("tabs: each run of tabs read as one (they line the values up, as a report printed to "
                           "text does); check the reading's columns, or export as csv or Excel")
    if tab_stops:
        sheet.notes.append(f"tabs: each value read in the column whose tab stop it starts at ({TAB_WIDTH} characters "
                           "apart, as a report printed to text lines them up), a blank cell where none does; check "
                           "the reading's columns, or export as csv or Excel")
        rows: Iterator[list[str]] = tab_stop_rows(text, tab_stops)
    elif columns_of_spaces:
        sheet.decimal_comma = False
        sheet.notes.append("file type: text in columns of spaces (a report printed to a file), each column read "
                           "where its values line up; check the reading's columns, or export as csv or Excel")
        rows = iter(fixed_width_rows(text))
    else:
        rows = _csv_rows(path, text, delimiter, odd_lines, sheet.row_notes, sheet.notes)
    if stream:
        sheet.rows, sheet.rest = list(islice(rows, HEAD_ROWS)), rows
    else:
        sheet.rows = list(rows)
    return sheet


def _shown_text(cell: str) -> str:
    """`="00123"` as Excel shows it, 00123: exports write IDs, codes and dates as text formulas to keep their
    leading zeros and stop Excel turning them into numbers or dates."""
    if len(cell) >= 3 and cell[:2] == '="' and cell[-1] == '"' and '"' not in cell[2:-1].replace('""', ""):
        return cell[2:-1].replace('""', '"')
    return cell


def _without_quotes(cell: str) -> str:
    """`"2"`, a value in quotes of its own (a csv whose writer quoted values already quoted: `\"\"\"2\"\"\"`), as the
    value: quotes are no part of a unit count, a code or a date."""
    if len(cell) >= 2 and cell[0] == cell[-1] == '"' and '"' not in cell[1:-1]:
        return cell[1:-1]
    return cell


def _sniff_delimiter(text: str, delimiters: str = ",\t;|", sample_lines: int = 50) -> str:
    """The delimiter that splits the most of the first lines into the same number of fields (more than
    one): a title line above the header, a comma in a name of a tab file or a semicolon in a note do not
    decide it. Quoting follows Excel's rules; a file of one column is read with commas."""
    sample = text[:65_536].splitlines()[:sample_lines]
    best, best_score = ",", 0
    for delimiter in delimiters:
        widths: dict[int, int] = {}
        try:
            for row in csv.reader(sample, delimiter=delimiter):
                if len(row) > 1:
                    widths[len(row)] = widths.get(len(row), 0) + 1
        except csv.Error:
            continue
        score = max(widths.values(), default=0)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _fields_per_line(text: str, delimiter: str, sample_lines: int = 50) -> int:
    """The fields most of the first lines split into by `delimiter` (the median)."""
    try:
        widths = sorted(len(row) for row in csv.reader(text[:65_536].splitlines()[:sample_lines], delimiter=delimiter)
                        if row)
    except csv.Error:
        return 1
    return widths[len(widths) // 2] if widths else 1


def _csv_rows(path: Path, text: str, delimiter: str, odd_lines: set[int], notes: dict[int, str],
              file_notes: list[str]) -> Iterator[list[str]]:
    """The csv's rows, noting in `notes` (by row index) a line read as Windows-1252 or a cell longer
    than Excel holds, and in `file_notes` quoted cells read as Excel reads them.

    Read strictly, so that a quote that never closes is refused rather than swallowing every line
    after it. A quoted cell with text after its closing quote (`"Smith, Jane" PT`) is the one strict
    error Excel reads past (as `Smith, Jane PT`): from that line on the file is read the same way,
    once no quote is left open."""
    long_fields = _LONG_FIELD.search(text) is not None  # rare: only then measure every cell
    text_formulas = '="' in text  # `="00123"`: only then look at every cell
    quoted_values = '"""' in text  # `"""2"""`: a value in quotes of its own
    strict = True
    index = 0
    while True:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=strict)
        skipped, last = 0, 0
        try:
            for row in reader:
                if skipped < index:  # read again leniently: the rows before the strict error are out already
                    skipped, last = skipped + 1, reader.line_num
                    continue
                if odd_lines and odd_lines.intersection(range(last + 1, reader.line_num + 1)):
                    notes[index] = ("encoding: this line is not UTF-8 and was read as Windows-1252; check its "
                                    "accented letters")
                if long_fields and max(map(len, row), default=0) > EXCEL_CELL:
                    notes[index] = (f"cell length: a cell of {max(map(len, row)):,} characters is longer than an "
                                    f"Excel cell holds ({EXCEL_CELL:,}); the annotated xlsx shows its first "
                                    f"{EXCEL_CELL:,}, csv and json are whole")
                if text_formulas and any(cell[:2] == '="' for cell in row):
                    row = [_shown_text(cell) for cell in row]
                if quoted_values and any(cell[:1] == '"' for cell in row):
                    row = [_without_quotes(cell) for cell in row]
                yield row
                index, skipped, last = index + 1, skipped + 1, reader.line_num
            return
        except csv.Error as exc:  # e.g. a quote that never closes would swallow every line after it
            opened = _unclosed_quote_line(text)
            if opened is not None:
                raise UsageError(f"{path}: line {opened}: {exc} (a quote opened there is never closed, so the "
                                 "lines after it would be lost); fix the quote and scrub again") from None
            if "field limit" in str(exc):
                raise UsageError(f"{path}: line {reader.line_num}: a cell of more than {csv.field_size_limit():,} "
                                 f"characters (an Excel cell holds {EXCEL_CELL:,}): not a charge sheet's cell; "
                                 "trim it and scrub again") from None
            if not strict or "expected after" not in str(exc):
                raise UsageError(f"{path}: line {reader.line_num}: {exc}; fix it and scrub again") from None
            strict = False
            file_notes.append(f"csv: a quoted cell has text after its closing quote (first on line "
                              f"{reader.line_num}, e.g. \"Smith, Jane\" PT); read as Excel reads it (Smith, Jane PT)")


_STYLE_OF_CELL = re.compile(rb'<(?:\w+:)?c r="([A-Z]+)(\d+)"[^>]*?\ss="(\d+)"')
_BUILT_IN_FORMATS = {14: "mm/dd/yyyy", 15: "d-mmm-yy", 16: "d-mmm", 17: "mmm-yy", 22: "m/d/yy h:mm",
                     5: "$#,##0_);($#,##0)", 6: "$#,##0_);[Red]($#,##0)", 7: "$#,##0.00_);($#,##0.00)",
                     8: "$#,##0.00_);[Red]($#,##0.00)", 44: '_("$"* #,##0.00_);_("$"* (#,##0.00);_("$"* "-"??_);_(@_)',
                     2: "0.00", 3: "#,##0", 4: "#,##0.00", 9: "0%", 10: "0.00%"}


def column_number_formats(sheet: RawSheet, first_row: int, rows: int = 50) -> dict[int, str]:
    """Column -> the number format the user gave its cells (dates, money), read from the first data
    rows of an Excel sheet, so the annotated copy shows `03/02/2026` and `$150.00` as the user did."""
    if sheet.source.suffix.lower() not in EXCEL_SUFFIXES:
        return {}
    try:
        with zipfile.ZipFile(sheet.source) as archive:
            part = _sheet_part(archive, 0, sheet.sheet_name)
            styles = ElementTree.fromstring(archive.read("xl/styles.xml"))
            with archive.open(part) as stream:
                head = stream.read(2_000_000)  # the first rows are near the start of the sheet part
    except (*_DAMAGED, ElementTree.ParseError, TypeError):
        return {}
    namespace = _spreadsheet_ns(styles)
    custom = {int(f.get("numFmtId")): f.get("formatCode") for f in styles.findall("m:numFmts/m:numFmt", namespace)}
    xfs = styles.findall("m:cellXfs/m:xf", namespace)
    found: dict[int, str] = {}
    for letters, number, style in _STYLE_OF_CELL.findall(head):
        row = int(number)
        if row > first_row + rows:
            break
        index = int(style)
        if row < first_row or index >= len(xfs):
            continue
        format_id = int(xfs[index].get("numFmtId", "0"))
        code = custom.get(format_id) or _BUILT_IN_FORMATS.get(format_id)
        if code:
            found.setdefault(_column_index(letters), code)
    return found
