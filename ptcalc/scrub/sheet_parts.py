"""Loading a large xlsx sheet in row ranges, one thread per core: python-calamine loads a sheet in one
thread (its XML parsed in Rust, the GIL released), which is most of the time a large charge sheet takes to
scrub. Its sheet XML is cut at row boundaries into parts, each given to python-calamine as a workbook of its
own (every other member as it is: shared strings, styles, the workbook), and the parts load side by side while
the caller scans the XML (`while_loading`).

The rows come out as the whole sheet's would (`rows_of`, `all_rows`): a part's rows keep their numbers
(`<row r=...>`), and the parts' cells are laid out in the whole sheet's columns. A sheet whose rows at the cuts
do not say their numbers, rows out of order, or a part python-calamine cannot load: loaded whole (None here).
"""
from __future__ import annotations

import os
import re
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from itertools import islice
from typing import IO, Any

from ..cores import usable_cores

try:
    from zlib_ng.zlib_ng import crc32, decompress
    from zlib_ng.zlib_ng import error as ZlibNgError
except ImportError:  # zipfile inflates the sheet itself
    decompress = crc32 = None

# Sheet XML from which a load in parts pays (a 10,000-line sheet's is ~7 MB: 0.15 s whole), and up to which its
# copies (the XML until the parts' files are written, the files in memory while they load) stay well inside what a
# scrub may use (a million lines in 1.5 GB); above, a sheet loads whole.
PARTS_FROM_BYTES = 4 << 20
PARTS_UP_TO_BYTES = 256 << 20
MAX_PARTS = 4
# Where a part's workbook is written: a file system in memory (Linux's /dev/shm), a file without a name there (made
# unlinked, opened by python-calamine through /proc/self/fd): nothing is left behind, even by a process killed
# mid-read. Elsewhere a sheet loads whole: a charge sheet's rows are not copied to a disk.
RAM_FILES = "/dev/shm" if os.access("/dev/shm", os.W_OK) and os.path.isdir("/proc/self/fd") else None

_SHEET_DATA = re.compile(rb"<(?:\w+:)?sheetData\b[^>]*>")
_SHEET_DATA_END = re.compile(rb"</(?:\w+:)?sheetData>")
_DIMENSION_ELEMENT = re.compile(rb"<(?:\w+:)?dimension\b[^>]*/>")  # dropped: each part's extent is its cells'
_ROW_START = re.compile(rb"<(?:\w+:)?row\b([^>]*)>")
_ROW_NUMBER = re.compile(rb'\br="(\d+)"')


def parts_wanted(sheet_bytes: int) -> int:
    """How many parts a sheet of `sheet_bytes` of XML loads in (1: whole, as where RAM_FILES has no room for
    them: a container's /dev/shm is 64 MB unless it is given more)."""
    if not PARTS_FROM_BYTES <= sheet_bytes <= PARTS_UP_TO_BYTES or RAM_FILES is None:
        return 1
    try:
        room = os.statvfs(RAM_FILES)
    except OSError:
        return 1
    if room.f_bavail * room.f_frsize < 2 * sheet_bytes:
        return 1
    return min(usable_cores(), MAX_PARTS)


def load_in_parts(archive: zipfile.ZipFile, part: str, sheet: str, parts: int,
                  while_loading: Callable[[bytes], object] = lambda xml: None) -> list[Any] | None:
    """The sheet `sheet` (its XML in member `part`) loaded in `parts` row ranges: python-calamine's sheet of each
    part that holds cells, in row order; `while_loading` is given the sheet's XML while they load. None where it
    cannot be cut (no numbered rows at the cuts), its rows are out of order or a part does not load: the caller
    loads it whole (and says what is wrong with it)."""
    from python_calamine import CalamineError, CalamineWorkbook

    xml = _inflated(archive, archive.getinfo(part))
    pieces = _cut(xml, parts)
    if pieces is None:
        return None
    members = [(info, _member_for_parts(archive, info, part)) for info in archive.infolist()]
    head, bodies, tail = pieces
    del pieces

    def write(handle: IO[bytes], body: memoryview) -> None:
        _write_workbook(handle, members, part, (head, body, tail))
        handle.flush()

    def load(handle: IO[bytes]) -> Any:
        return CalamineWorkbook.from_path(f"/proc/self/fd/{handle.fileno()}").get_sheet_by_name(sheet)

    # python-calamine reads a file in Rust, and a file-like object through Python calls that hold the GIL (as slow as
    # the load they save): each part is a file in memory (RAM_FILES), gone once python-calamine has loaded it.
    try:
        with ExitStack() as files, ThreadPoolExecutor(len(bodies)) as pool:
            handles = [files.enter_context(tempfile.TemporaryFile(dir=RAM_FILES)) for _ in bodies]
            list(pool.map(write, handles, bodies))
            del bodies  # the parts' XML is in their files: only the scan below still needs the sheet's
            loading = list(map(pool.submit, [load] * len(handles), handles))
            while_loading(xml)
            del xml  # its memory back before python-calamine's cells reach their peak
            sheets = [future.result() for future in loading]
    except (CalamineError, OSError, ValueError, zipfile.BadZipFile):
        return None
    held = [s for s in sheets if s.start is not None]  # a part of empty rows holds no cells
    if any(later.start[0] <= earlier.end[0] for earlier, later in zip(held, held[1:])):
        return None  # rows out of order (a program's, not Excel's): the parts overlap
    return held


_OTHER_SHEET = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet '
                b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData/></worksheet>')


def _member_for_parts(archive: zipfile.ZipFile, info: zipfile.ZipInfo, part: str) -> bytes:
    """What a part's workbook holds of a member: the workbook's other sheets empty (python-calamine reads only the
    one asked for; copied whole, a second sheet of charges or payments would be inflated and written once a part),
    the sheet itself written piece by piece (b"" here), everything else as it is."""
    if info.filename == part:
        return b""
    if info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml"):
        return _OTHER_SHEET
    return archive.read(info)


def _inflated(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    """A member's bytes, inflated by zlib-ng where it is installed (twice as fast as zipfile's zlib, which is
    time before any part starts loading); its CRC-32 checked as zipfile checks it."""
    with archive.open(info) as member:
        stream = getattr(member, "_fileobj", None)  # at the member's deflated data, once open() has read its header
        if decompress is None or stream is None or info.compress_type != zipfile.ZIP_DEFLATED:
            return member.read()
        try:
            data = decompress(stream.read(info.compress_size), -15)
        except ZlibNgError as exc:  # the caller knows zlib's own errors, as zipfile raises them
            raise zlib.error(str(exc)) from None
    if len(data) != info.file_size or crc32(data) != info.CRC:
        raise zipfile.BadZipFile(f"Bad CRC-32 for file {info.filename!r}")
    return data


def _cut(xml: bytes, parts: int) -> tuple[bytes, list[memoryview], bytes] | None:
    """(what comes before the rows, each part's rows, what comes after them), the rows cut at `parts` - 1 row
    starts that give their row numbers, in increasing order."""
    opening, closing = _SHEET_DATA.search(xml), None
    if opening is not None:  # the rows' end, found from the end: a search from their start meets every `</`
        closing = _SHEET_DATA_END.search(xml, max(opening.end(), xml.rfind(b"sheetData>") - 64))
    if opening is None or closing is None:
        return None
    start, end = opening.end(), closing.start()
    cuts, numbers = [start], []
    for k in range(1, parts):
        row = _ROW_START.search(xml, max(cuts[-1] + 1, start + (end - start) * k // parts), end)
        number = _ROW_NUMBER.search(row.group(1)) if row else None
        if number is None:
            return None  # rows that do not say where they are (their place is their order): loaded whole
        cuts.append(row.start())
        numbers.append(int(number.group(1)))
    if numbers != sorted(set(numbers)):
        return None
    body = memoryview(xml)
    head = _DIMENSION_ELEMENT.sub(b"", xml[:start])
    return head, [body[a:b] for a, b in zip(cuts, cuts[1:] + [end])], xml[end:]


def _write_workbook(handle: IO[bytes], members: list[tuple[zipfile.ZipInfo, bytes]], part: str,
                    sheet_xml: tuple) -> None:
    """The workbook again, uncompressed, its sheet's XML replaced by the pieces of `sheet_xml`."""
    with zipfile.ZipFile(handle, "w", zipfile.ZIP_STORED) as book:
        for info, data in members:
            if info.filename == part:
                with book.open(info.filename, "w", force_zip64=True) as sheet:
                    for piece in sheet_xml:
                        sheet.write(piece)
            else:
                book.writestr(info.filename, data)


def _width(sheets: list[Any]) -> int:
    """The whole sheet's rows' width: from A to its last used column."""
    return max(s.end[1] for s in sheets) + 1


def _padding(sheet: Any, width: int) -> tuple[list[str], list[str]]:
    """What a part's rows need on their left and right to be the whole sheet's (its cells' columns may be fewer)."""
    return [""] * sheet.start[1], [""] * (width - 1 - sheet.end[1])


def rows_of(parts: list[Any]) -> Iterator[list[object]]:
    """The sheet's rows from A1 one at a time, as python-calamine gives a whole sheet's (`to_python` with
    skip_empty_area False): every row as wide as the widest, the rows between parts empty."""
    width = _width(parts)
    at = 0  # the sheet row the next row yielded is
    for sheet in parts:
        for _ in range(at, sheet.start[0]):
            yield [""] * width
        left, right = _padding(sheet, width)
        rows = islice(sheet.iter_rows(), sheet.start[0], None)  # iter_rows yields from row 0 (and the first column)
        yield from (left + row + right for row in rows) if left or right else rows
        at = sheet.end[0] + 1


def all_rows(parts: list[Any]) -> list[list[object]]:
    """rows_of's rows in one list, each part's converted in one call."""
    width = _width(parts)
    rows: list[list[object]] = []
    for sheet in parts:
        rows.extend([""] * width for _ in range(len(rows), sheet.start[0]))
        block = sheet.to_python(skip_empty_area=True)  # from its first used row and column
        left, right = _padding(sheet, width)
        rows.extend([left + row + right for row in block] if left or right else block)
    return rows
