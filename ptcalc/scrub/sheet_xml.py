"""The annotated workbook's big sheets written as SpreadsheetML straight into its zip.

XlsxWriter spends ~13 µs of Python on each cell it writes: 26 s for a 100,000-line copy, nearly all of
the annotated workbook's time. So XlsxWriter still writes the workbook (columns, panes, filters, print
setup, the summary and its chart), but the big sheets (the copy, the report) get only a probe row: one
blank cell in each format their cells use, which makes XlsxWriter register those formats and says each
one's style index. `splice_rows` then writes those sheets' members of the zip again with the real rows in
place of the probe, each cell as XlsxWriter writes it in constant-memory mode (inline strings), at ~1 µs a
cell. It deflates those members itself (zlib-ng: twice zlib's speed), so that a forked process can
write and deflate half of a big sheet beside this one.
"""
from __future__ import annotations

import io
import math
import os
import re
import signal
import struct
import sys
import zipfile
from collections.abc import Callable, Container, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from xlsxwriter.utility import xl_col_to_name

try:  # zlib-ng: level 5 deflates a copy's XML in half the time of zlib's default level, a little smaller
    from zlib_ng.zlib_ng import DEFLATED, Z_SYNC_FLUSH, compressobj, crc32, crc32_combine
    _LEVEL = 5
except ImportError:  # xlwings Lite (Pyodide): the standard library's zlib, and no forked half (nothing forks there)
    from zlib import DEFLATED, Z_SYNC_FLUSH, compressobj, crc32
    crc32_combine = None
    _LEVEL = 6

DEFAULT_ROW_HEIGHT = 15  # points: a row of one line of 11-point text (XlsxWriter's default)
MAX_CELL = 32_767  # characters (UTF-16 code units) Excel keeps in a cell
_FLUSH_ROWS = 2_000  # rows kept as text before they go to the zip
_REMEMBERED_LENGTH, _REMEMBERED_TEXTS = 40, 50_000  # texts (and numbers) whose XML is kept, and how many at most
# What a text cell needs changed: XML's own characters, control characters (written _xHHHH_, as Excel does),
# a literal _xHHHH_ (its underscore escaped, or Excel would read it as an escape), the two non-characters.
_NEEDS_ESCAPE = re.compile("[&<>\x00-\x08\x0b-\x1f\ufffe\uffff]|_x[0-9a-fA-F]{4}_")
_LITERAL_ESCAPE = re.compile("(_x[0-9a-fA-F]{4}_)")
_CONTROL = re.compile("([\x00-\x08\x0b-\x1f\ufffe\uffff])")
_EPOCH = datetime(1899, 12, 31)
_EPOCH_DAY = _EPOCH.toordinal()
_PROBE_CELL = re.compile(r'<c r="[A-Z]+1" s="(\d+)"/>')
_SHEET_DATA = re.compile(r"<sheetData>.*</sheetData>|<sheetData/>", re.S)
_DIMENSION = re.compile(r'<dimension ref="[^"]*"/>')
_AFTER_HYPERLINKS = re.compile(r"<printOptions|<pageMargins|<pageSetup|</worksheet>")  # the schema's order


def _escaped(text: str) -> str:
    text = _LITERAL_ESCAPE.sub(r"_x005F\1", text)
    return _xml(_CONTROL.sub(lambda found: f"_x{ord(found.group(1)):04X}_", text))


def _xml(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _inline_string(text: str) -> str:
    """A text cell's XML after its reference and style."""
    if _NEEDS_ESCAPE.search(text):
        text = _escaped(text)
    space = ' xml:space="preserve"' if text[:1].isspace() or text[-1:].isspace() else ""
    return f' t="inlineStr"><is><t{space}>{text}</t></is></c>'


def _within_cell(text: str) -> str:
    """At most MAX_CELL UTF-16 code units (a character beyond the Basic Multilingual Plane counts two)."""
    if len(text.encode("utf-16-le")) <= 2 * MAX_CELL:
        return text
    return text.encode("utf-16-le")[:2 * MAX_CELL].decode("utf-16-le", "ignore")


def _attribute(text: str) -> str:
    return _xml(text).replace('"', "&quot;")


def excel_serial(value: datetime | date | time | timedelta) -> float:
    """Excel's serial number (1900 date system) of a date, a time of day or a duration."""
    if value.__class__ is date:  # most cells: a day, no time
        day = value.toordinal() - _EPOCH_DAY
        return day + 1 if day > 59 else day  # Excel counts a 29 February 1900 that never was
    if isinstance(value, timedelta):
        return value.days + (value.seconds + value.microseconds / 1e6) / 86400
    if isinstance(value, time):
        return (value.hour * 3600 + value.minute * 60 + value.second + value.microsecond / 1e6) / 86400
    moment = value.replace(tzinfo=None) if isinstance(value, datetime) else datetime(value.year, value.month,
                                                                                      value.day)
    delta = moment - _EPOCH
    serial = delta.days + (delta.seconds + delta.microseconds / 1e6) / 86400
    if isinstance(value, datetime) and moment.date() == date(1900, 1, 1):
        serial -= 1  # Excel's day 0 (1900-01-00) holds a time of day; 1900-01-01 with a time is read as one
    return serial + 1 if serial > 59 else serial


class _ColumnLetters(dict):
    """Column index -> its letters (0 -> A, 27 -> AB), made when first asked for."""

    def __missing__(self, col: int) -> str:
        self[col] = letters = xl_col_to_name(col)
        return letters


class SheetRows:
    """Rows of cells as SpreadsheetML, with XlsxWriter's writing methods (rows in order, each row's cells
    left to right). `styles` gives each cell format its style index (from the probe row)."""

    def __init__(self, styles: dict[int, int], out: Any, tick: Callable[[int], None] = lambda n: None) -> None:
        self._tick = tick  # told of the rows written, 1,000 at a time (a progress bar)
        self._unticked = 0
        self._styles = {key: f' s="{index}"' for key, index in styles.items()}  # id(format) -> its attribute
        self._out = out  # binary stream
        self._rows: list[str] = []
        self._cells: list[str] = []
        self._row = -1
        self._ref = ""  # the current row's number, as text
        self._letters = _ColumnLetters()
        self._set_row: tuple[int, str, object] | None = None  # set_row's (row, attributes, format) not yet used
        self._row_attributes = ""
        self._row_style = ""  # the style attribute of the current row's format: its cells' when they have none
        self.hyperlinks: list[str] = []
        # A short text's or a number's cell XML after `<c r=".." s=".."` (sheets repeat codes, payers, units, dates)
        self._texts: dict[str, str] = {}
        self._numbers: dict[float | date, str] = {}  # a day's too (write_values)

    def _start(self, row: int, col: int, fmt: object) -> str:
        """`<c r="B7" s="3"` for a cell; the row before is ended when this is a new row's first cell (so
        call this before taking `self._cells`)."""
        if row != self._row:
            self._begin_row(row)
        return f'<c r="{self._letters[col]}{self._ref}"{self._row_style if fmt is None else self._styles[id(fmt)]}'

    def _begin_row(self, row: int) -> None:
        self._end_row()
        self._unticked += 1
        if self._unticked == 1000:
            self._tick(1000)
            self._unticked = 0
        self._row, self._ref = row, str(row + 1)
        self._row_attributes, self._row_style = "", ""
        if self._set_row is not None and self._set_row[0] == row:
            _, self._row_attributes, fmt = self._set_row
            self._row_style = self._styles[id(fmt)]

    def _end_row(self) -> None:
        if self._cells:
            self._rows.append(f'<row r="{self._ref}"{self._row_attributes}>{"".join(self._cells)}</row>')
            self._cells = []
            if len(self._rows) >= _FLUSH_ROWS:
                self._flush()

    def _flush(self) -> None:
        self._out.write("".join(self._rows).encode("utf-8"))
        self._rows = []

    def close(self) -> None:
        self._end_row()
        self._flush()
        self._tick(self._unticked)

    def write_string(self, row: int, col: int, text: str, fmt: object = None, repeats: bool = False) -> None:
        """A text cell; `repeats`: its XML is remembered whatever its length (a rule's fix, down a report)."""
        start = self._start(row, col, fmt)
        self._cells.append(start + (self._texts.get(text) or self._text_xml(text, repeats)))

    def _text_xml(self, text: str, repeats: bool = False) -> str:
        written = _inline_string(text if len(text) <= MAX_CELL // 2 else _within_cell(text))
        if repeats or len(text) <= _REMEMBERED_LENGTH:
            if len(self._texts) >= _REMEMBERED_TEXTS:
                self._texts.clear()
            self._texts[text] = written
        return written

    def write_number(self, row: int, col: int, number: float, fmt: object = None) -> None:
        start = self._start(row, col, fmt)
        self._cells.append(start + (self._numbers.get(number) or self._number_xml(number)))

    def _number_xml(self, number: float) -> str:
        if len(self._numbers) >= _REMEMBERED_TEXTS:
            self._numbers.clear()
        written = self._numbers[number] = f"><v>{number:.16G}</v></c>"
        return written

    def write_datetime(self, row: int, col: int, value: datetime | date | time | timedelta,
                       fmt: object = None) -> None:
        if value.__class__ is date:  # a day: its XML remembered by the day
            start = self._start(row, col, fmt)
            self._cells.append(start + (self._numbers.get(value) or self._date_xml(value)))
        else:
            self.write_number(row, col, excel_serial(value), fmt)

    def _date_xml(self, day: date) -> str:
        """A day's XML (its serial number's), remembered by the day (a date never equals a number)."""
        serial = excel_serial(day)
        written = self._numbers[day] = self._numbers.get(serial) or self._number_xml(serial)
        return written

    def write_values(self, row: int, values: list[object], number_formats: dict[int, object],
                     date_formats: dict[int, object], numeric: set[int], other: Callable[[int, object], None],
                     plain: object = None, special: Container[int] = ()) -> None:
        """A row's cells by their values' kinds, as write_string (text), write_number (a number, or a number's text
        in a `numeric` column) and write_datetime (a date) write them: a column's numbers and dates in its format,
        text and the numbers of a column without one in `plain` (None: the row's). A value of another kind (a
        boolean, a time, nan), and any value in a `special` column, goes to `other(column, value)`; an empty one
        is no cell. The copy's rows are most of an annotated workbook's cells: this writes them in about half the
        time of a method call per cell."""
        if row != self._row:
            self._begin_row(row)
        ref, letters, styles = self._ref, self._letters, self._styles
        texts, numbers, cells = self._texts, self._numbers, self._cells
        style = self._row_style if plain is None else styles[id(plain)]
        for col, value in enumerate(values):
            if col in special:
                other(col, value)
                continue
            kind = value.__class__
            if kind is str:
                if not value:
                    continue
                if col in numeric:
                    try:
                        number = float(value)
                    except ValueError:
                        number = math.nan
                    if math.isfinite(number):
                        cells.append(f'<c r="{letters[col]}{ref}"{style}'
                                     f'{numbers.get(number) or self._number_xml(number)}')
                        continue
                cells.append(f'<c r="{letters[col]}{ref}"{style}{texts.get(value) or self._text_xml(value)}')
            elif (kind is float or kind is int) and math.isfinite(value):
                fmt = number_formats.get(col)
                cells.append(f'<c r="{letters[col]}{ref}"{style if fmt is None else styles[id(fmt)]}'
                             f'{numbers.get(value) or self._number_xml(value)}')
            elif kind is date:
                cells.append(f'<c r="{letters[col]}{ref}"{styles[id(date_formats[col])]}'
                             f'{numbers.get(value) or self._date_xml(value)}')
            elif value is not None:
                other(col, value)

    def write_boolean(self, row: int, col: int, value: bool, fmt: object = None) -> None:
        start = self._start(row, col, fmt)
        self._cells.append(f'{start} t="b"><v>{int(bool(value))}</v></c>')

    def write_blank(self, row: int, col: int, _value: object, fmt: object = None) -> None:
        if fmt is not None:  # a blank cell without a format is no cell
            start = self._start(row, col, fmt)
            self._cells.append(f"{start}/>")

    def set_row(self, row: int, height: float, fmt: object) -> None:
        """The next row's height (points) and format (for its cells written without one)."""
        height = f' ht="{height:.16g}" customHeight="1"' if height != DEFAULT_ROW_HEIGHT else ""
        self._set_row = (row, f'{self._styles[id(fmt)]} customFormat="1"{height}', fmt)

    def write_url(self, row: int, col: int, location: str, text: str, fmt: object) -> None:
        """A link to a place in the workbook (`'Sheet'!A7`), showing `text`."""
        self.write_string(row, col, text, fmt)
        self.hyperlinks.append(f'<hyperlink ref="{self._letters[col]}{self._ref}" location="{_attribute(location)}" '
                               f'display="{_attribute(text)}"/>')

    def write_formula(self, row: int, col: int, formula: str, value: float) -> None:
        """A formula (without its `=`) and the value it gives, for readers that do not calculate."""
        start = self._start(row, col, None)
        self._cells.append(f"{start}><f>{_xml(formula)}</f><v>{value}</v></c>")

    def write_row(self, row: int, col: int, values: Iterable[str], fmt: object = None) -> None:
        """Text cells (a header): an empty one is a blank cell in the format."""
        for offset, value in enumerate(values):
            if value == "":
                self.write_blank(row, col + offset, None, fmt)
            else:
                self.write_string(row, col + offset, value, fmt)


def write_probe(sheet: Any, formats: list[object]) -> None:
    """The probe row: a blank cell in each format, from A1 rightwards (XlsxWriter registers a format when a
    cell uses it)."""
    for col, fmt in enumerate(formats):
        sheet.write_blank(0, col, None, fmt)


@dataclass
class SplicedSheet:
    member: str  # the sheet's part in the zip (xl/worksheets/sheetN.xml)
    probe: list[object]  # the formats of its probe row, left to right
    last_cell: tuple[int, int]  # (row, column): the corner of the area the rows cover (its dimension)
    write_rows: Callable[[SheetRows, range], None]  # writes the rows whose indexes are in the range
    tick: Callable[[int], None] = lambda n: None  # told of the rows written, 1,000 at a time (a progress bar)


# Rows from which a sheet's second half is written beside the first, by a forked process. Measured (2 cores): a
# 10,000-row copy 0.17-0.25 s against 0.27-0.36 s in one process; 100,000 rows 2.05 against 3.21 s, a report
# of 61,212 findings 1.15 against 1.92 s.
FORKED_ROWS = 5_000


def splice_rows(book: Path, target: Path, sheets: list[SplicedSheet]) -> None:
    """Copy the workbook `book` to `target`, each of `sheets` with the rows its `write_rows` writes in place
    of its probe row."""
    spliced = {sheet.member: sheet for sheet in sheets}
    with zipfile.ZipFile(book) as source, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        for info in source.infolist():
            data = source.read(info)
            if info.filename in spliced:
                _splice(data.decode("utf-8"), spliced.pop(info.filename), info, out, Path(f"{target}.rows"))
            else:
                out.writestr(info, data, compress_type=info.compress_type)
    if spliced:
        raise RuntimeError(f"{book}: no sheet {', '.join(spliced)} to write rows into")


class _Deflate:
    """Bytes written into `out` as a raw deflate stream, with their CRC-32 and length: a zip member's data,
    or a piece of it deflated in a forked process and joined to the member's (`join`)."""

    def __init__(self, out: Any, compressor: Any = None) -> None:
        self._out = out
        self._deflate = compressor or compressobj(_LEVEL, DEFLATED, -15)
        self.crc = self.size = 0

    def write(self, data: bytes) -> None:
        self.crc = crc32(data, self.crc)
        self.size += len(data)
        self._out.write(self._deflate.compress(data))

    def end_piece(self) -> None:
        """The deflated data so far, ended on a byte boundary but not as a stream's end: more may follow."""
        self._out.write(self._deflate.flush(Z_SYNC_FLUSH))

    def join(self, piece: Path) -> str:
        """A piece a forked process deflated (_SecondHalf), after the data written so far (what follows starts
        a new deflate stream: the piece's data is not in this one's window to refer back to); its rows'
        hyperlink elements."""
        self.end_piece()
        with open(piece, "rb") as deflated:
            end = deflated.seek(-_TRAILER.size, os.SEEK_END)
            crc, size, links = _TRAILER.unpack(deflated.read())
            deflated.seek(0)
            length = end - links
            while length > 0:
                chunk = deflated.read(min(length, 1 << 22))
                self._out.write(chunk)
                length -= len(chunk)
            hyperlinks = deflated.read(links).decode("utf-8")
        self.crc, self.size = crc32_combine(self.crc, crc, size), self.size + size
        self._deflate = compressobj(_LEVEL, DEFLATED, -15)
        return hyperlinks

    def finish(self) -> None:
        self._out.write(self._deflate.flush())


# A deflated piece's file: the deflated data, its rows' hyperlink elements, then the data's CRC-32 and length
# and the hyperlinks' length
_TRAILER = struct.Struct("<IQQ")


class _AsIs:
    """A compressor that leaves bytes as they are."""

    @staticmethod
    def compress(data: bytes) -> bytes:
        return data

    @staticmethod
    def flush(_mode: int = 0) -> bytes:
        return b""


_WRITER_FIELDS = ("_compressor", "_crc", "_file_size")  # what _deflated_member sets on zipfile's member writer


@cache
def _zipfile_takes_deflated() -> bool:
    """Whether this Python's zipfile member writer keeps the fields _deflated_member sets (CPython's from 3.6 to
    3.14 do)."""
    with zipfile.ZipFile(io.BytesIO(), "w") as probe, probe.open("probe", "w") as stream:
        return all(hasattr(stream, name) for name in _WRITER_FIELDS)


@contextmanager
def _deflated_member(out: zipfile.ZipFile, info: zipfile.ZipInfo) -> Iterator[_Deflate]:
    """A zip member whose data is deflated here. zipfile takes no data deflated elsewhere, so its member writer
    gets a compressor that passes bytes through and, at the end, the data's CRC-32 and length. A zipfile
    without those fields (a Python to come) deflates the data itself, and no forked process writes a piece."""
    with out.open(info, "w") as stream:
        if not _zipfile_takes_deflated():
            yield _Deflate(stream, _AsIs())
            return
        stream._compressor = _AsIs()
        member = _Deflate(stream)
        yield member
        member.finish()
        stream._crc, stream._file_size = member.crc, member.size


class _CompressedBeside:
    """A member's data deflated in a thread of its own: zlib-ng compresses one chunk of rows (releasing the
    GIL) while this thread makes the XML of the next (-2.3 s of 8.7 s for a 100,000-line heavy sheet)."""

    def __init__(self, stream: _Deflate, pool: ThreadPoolExecutor) -> None:
        self._stream, self._pool = stream, pool
        self._pending: Future | None = None

    def write(self, data: bytes) -> None:
        self.wait()  # one chunk at a time: memory stays at two chunks
        self._pending = self._pool.submit(self._stream.write, data)

    def wait(self) -> None:
        if self._pending is not None:
            self._pending.result()  # and its exception, if writing failed
            self._pending = None


class _SecondHalf:
    """A sheet's rows from `first` on, written and deflated into the file `path` by a forked process while this
    one writes the rows before them; where no process can be forked, or it fails, this process writes them."""

    def __init__(self, sheet: SplicedSheet, styles: dict[int, int], first: int, path: Path) -> None:
        self._sheet, self._styles, self._path = sheet, styles, path
        self.rows = range(first, sheet.last_cell[0] + 1)
        self._child: int | None = None
        # As judge.auto_jobs: where forking is the way; and where the piece can join the member (its CRC-32
        # combined by zlib-ng, its deflated data taken by zipfile)
        if self.rows and sys.platform.startswith("linux") and crc32_combine and _zipfile_takes_deflated():
            try:
                self._child = os.fork()
            except OSError:  # no process left: written here instead
                return
            if self._child == 0:
                self._write_in_child()

    def _write_in_child(self) -> None:
        """Never returns: the child writes the rows and ends (silent: the parent reports and ticks)."""
        code = 1
        try:
            signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle (it stops this one)
            with open(os.devnull, "w") as quiet:
                os.dup2(quiet.fileno(), 2)
            with open(self._path, "wb") as out, ThreadPoolExecutor(1) as pool:
                piece = _Deflate(out)
                beside = _CompressedBeside(piece, pool)
                rows = SheetRows(self._styles, beside)
                self._sheet.write_rows(rows, self.rows)
                rows.close()
                beside.wait()
                piece.end_piece()
                links = "".join(rows.hyperlinks).encode("utf-8")
                out.write(links + _TRAILER.pack(piece.crc, piece.size, len(links)))
            code = 0
        finally:
            os._exit(code)

    def write_into(self, member: _Deflate, beside: _CompressedBeside) -> str:
        """The rows into the member (the child's deflated piece when it wrote it whole, else written here);
        their hyperlink elements."""
        if not self.rows:
            return ""
        if self._child is not None and self._finished():
            beside.wait()
            links = member.join(self._path)
            self._sheet.tick(len(self.rows))
            return links
        rows = SheetRows(self._styles, beside, self._sheet.tick)
        self._sheet.write_rows(rows, self.rows)
        rows.close()
        return "".join(rows.hyperlinks)

    def _finished(self) -> bool:
        _, status = os.waitpid(self._child, 0)
        self._child = None
        return os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0

    def close(self) -> None:
        """Stop a child still writing (this process is stopping: an error, Ctrl-C) and remove its file."""
        if self._child is not None:
            os.kill(self._child, signal.SIGKILL)
            os.waitpid(self._child, 0)
            self._child = None
        self._path.unlink(missing_ok=True)


def _splice(xml: str, sheet: SplicedSheet, info: zipfile.ZipInfo, out: zipfile.ZipFile, scratch: Path) -> None:
    found = _SHEET_DATA.search(xml)
    indexes = _PROBE_CELL.findall(found.group(0)) if found else []
    if len(indexes) != len(sheet.probe):
        raise RuntimeError(f"{sheet.member}: the probe row of {len(sheet.probe)} formats was not found")
    styles = {id(fmt): int(index) for fmt, index in zip(sheet.probe, indexes)}
    row, col = sheet.last_cell
    head = _DIMENSION.sub(f'<dimension ref="A1:{xl_col_to_name(col)}{row + 1}"/>', xml[:found.start()], count=1)
    rewritten = zipfile.ZipInfo(info.filename, info.date_time)
    rewritten.compress_type, rewritten.external_attr = zipfile.ZIP_DEFLATED, info.external_attr
    middle = (row + 1) // 2 if row + 1 >= FORKED_ROWS else row + 1
    second = _SecondHalf(sheet, styles, middle, scratch)  # forked before this process starts a thread
    try:
        with _deflated_member(out, rewritten) as member, ThreadPoolExecutor(1) as pool:
            beside = _CompressedBeside(member, pool)
            beside.write(head.encode("utf-8") + b"<sheetData>")
            rows = SheetRows(styles, beside, sheet.tick)
            sheet.write_rows(rows, range(middle))
            rows.close()
            links = "".join(rows.hyperlinks) + second.write_into(member, beside)
            beside.wait()
            tail = xml[found.end():]
            if links:
                at = _AFTER_HYPERLINKS.search(tail).start()
                tail = f"{tail[:at]}<hyperlinks>{links}</hyperlinks>{tail[at:]}"
            member.write(b"</sheetData>" + tail.encode("utf-8"))
    finally:
        second.close()
