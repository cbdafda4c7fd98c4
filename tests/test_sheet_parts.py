"""A large xlsx sheet loaded in row ranges side by side reads exactly as the whole sheet does: the same rows
(cells, types, empty rows and columns), error cells, uncalculated formulas and merges; a sheet that cannot be
cut is loaded whole; no part's file is left behind."""
from __future__ import annotations

import os
import random
import re
import typing
import zipfile
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ptcalc.bench import write_sheet
from ptcalc.scrub import reader, sheet_parts
from ptcalc.scrub.report import to_json
from ptcalc.scrub.runner import scrub_file

SHEET = "xl/worksheets/sheet1.xml"


def write_export(path: Path) -> None:
    """An export's shapes where a cut may fall: a merged title, data from column B, a column only the first
    rows use, 60 empty rows, then rows without column B; error cells, an uncalculated formula and a vertical
    merge in both halves. Row 200 holds most of the XML (long notes): every cut falls in it, and the next part
    starts after the empty rows, its cells in fewer columns."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Charges"
    sheet["A1"] = "Charge Detail Report"
    sheet.merge_cells("A1:H1")
    for col, name in enumerate(["Patient", "DOS", "CPT", "Mods", "Units", "Minutes", "Payer", "Paid", "Note"], 2):
        sheet.cell(3, col, name)
    for row in range(4, 401):
        if 201 <= row <= 260:
            continue
        first = 2 if row <= 200 else 3
        values = [f"P{row // 3:04d}", date(2026, 3, 1 + row % 28), "97110", "GP KX" if row % 5 else "",
                  1 + row % 3, 8 + row % 40, "Médicare" if row % 7 else "Aetna", row % 2 == 0]
        for col, value in enumerate(values[first - 2:], first):
            sheet.cell(row, col, value)
        if row < 100:
            sheet.cell(row, 10, f"note {row}")
    for col in range(2, 11):
        sheet.cell(200, col, "long note " * 3_000)
    for cell in ("C50", "F150", "G300", "D390"):
        sheet[cell] = "#N/A"
    sheet["H320"] = "=F320*2"  # openpyxl saves no value: read as empty, with a note on the row
    sheet.merge_cells("C120:C122")
    sheet.merge_cells("C300:C302")
    book.save(path)


def write_prefixed_export(path: Path) -> None:
    """The same export as a writer on .NET's Open XML SDK saves it (prefix_sheet)."""
    write_export(path)
    prefix_sheet(path)


def prefix_sheet(path: Path, dimension: bool = True) -> None:
    """Every element of the workbook's first sheet named with a namespace prefix (`<x:row r="4">`,
    `<x:c r="B4" t="e">`), as .NET's Open XML SDK writes them; without its dimension element if not `dimension`."""
    def prefixed(xml: bytes) -> bytes:
        xml = xml.replace(b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"',
                          b'xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"')
        if not dimension:
            xml = re.sub(rb"<dimension [^>]*/>", b"", xml)
        return re.sub(rb"<(/?)([a-zA-Z]\w*)([\s>/])", rb"<\1x:\2\3", xml)

    _rewrite_sheet(path, prefixed)
    assert b"<x:row " in zipfile.ZipFile(path).read(SHEET)


def _read(path: Path, stream: bool) -> tuple[list[list[object]], dict, dict]:
    sheet = reader.read_sheet(path, stream=stream)
    rows = sheet.rows + (list(sheet.rest) if sheet.rest is not None else [])
    return rows, sheet.row_notes, sheet.merged_below


def _loaded_in(monkeypatch: pytest.MonkeyPatch, parts: int) -> list[int]:
    """Every sheet from here is loaded in `parts` parts where it can be; the parts each load held."""
    loads: list[int] = []
    load_in_parts = sheet_parts.load_in_parts

    def counted(*args: object, **kwargs: object) -> list | None:
        loaded = load_in_parts(*args, **kwargs)
        loads.append(len(loaded) if loaded else 0)
        return loaded

    monkeypatch.setattr(sheet_parts, "PARTS_FROM_BYTES", 0)
    monkeypatch.setattr(sheet_parts, "usable_cores", lambda: parts)
    monkeypatch.setattr(reader, "load_in_parts", counted)
    return loads


def _whole(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sheet_parts, "PARTS_FROM_BYTES", 1 << 40)


@pytest.mark.parametrize("parts", [2, 3, 4])
@pytest.mark.parametrize("stream", [False, True], ids=["rows", "streamed"])
@pytest.mark.parametrize("write", [write_export, write_prefixed_export], ids=["openpyxl", "prefixed"])
def test_a_sheet_read_in_parts_is_the_sheet_read_whole(parts: int, stream: bool, write: Callable[[Path], None],
                                                       tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "export.xlsx"
    write(path)
    with monkeypatch.context() as whole:
        _whole(whole)
        expected = _read(path, stream)
    loads = _loaded_in(monkeypatch, parts)
    rows, notes, merged = _read(path, stream)
    assert loads == [parts]  # every part held cells: the cuts fell inside the rows
    assert rows == expected[0]
    assert [list(map(type, row)) for row in rows] == [list(map(type, row)) for row in expected[0]]
    assert (notes, merged) == expected[1:]
    # What the whole read gives, checked on its own: the error cells, the formula's note, the merges, the widths
    assert rows[49][2] == rows[149][5] == rows[299][6] == rows[389][3] == "#N/A"
    assert list(notes) == [319] and "H320" in notes[319]
    assert merged == {2: [(120, 121), (300, 301)]}
    assert {len(row) for row in rows} == {10} and rows[230] == [""] * 10
    assert rows[3][1] == "P0001" and rows[299][1] == "" and rows[98][9] == "note 99" and rows[99][9] == ""
    assert rows[199][9].startswith("long note") and rows[260][1] == "" and rows[260][3] == "97110"


def test_without_zlib_ng_zipfile_inflates_the_sheet(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "export.xlsx"
    write_export(path)
    with monkeypatch.context() as whole:
        _whole(whole)
        expected = _read(path, stream=False)
    inflated: list[bytes] = []
    monkeypatch.setattr(sheet_parts, "decompress", None)
    cut = sheet_parts._cut
    monkeypatch.setattr(sheet_parts, "_cut", lambda xml, parts: inflated.append(xml) or cut(xml, parts))
    loads = _loaded_in(monkeypatch, 2)
    assert _read(path, stream=False) == expected
    assert loads == [2] and inflated == [zipfile.ZipFile(path).read(SHEET)]


def test_a_scrub_of_a_sheet_read_in_parts_finds_what_the_whole_sheet_gives(tmp_path: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """The bench's sheet (inline strings, as XlsxWriter writes them) with a mistake on a third of its lines."""
    path = tmp_path / "charges.xlsx"
    write_sheet(path, 3_000, mistake_rate=0.3)
    with monkeypatch.context() as whole:
        _whole(whole)
        expected = to_json(scrub_file(path, as_of=date(2026, 11, 22), stream=True))
    loads = _loaded_in(monkeypatch, 2)
    found = to_json(scrub_file(path, as_of=date(2026, 11, 22), stream=True))
    assert loads == [2]
    assert found == expected and found.count('"rule"') > 500


def _rewrite_sheet(path: Path, change: Callable[[bytes], bytes]) -> None:
    with zipfile.ZipFile(path) as archive:
        members = [(info, archive.read(info)) for info in archive.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for info, data in members:
            archive.writestr(info, change(data) if info.filename == SHEET else data)


@pytest.mark.parametrize("change", ["rows not numbered", "rows out of order"])
def test_a_sheet_that_cannot_be_cut_is_read_whole(change: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Rows without their numbers (their place is their order) cannot be cut; rows out of order would make
    parts that overlap. Both load whole, to the same rows."""
    path = tmp_path / "odd.xlsx"
    book = openpyxl.Workbook()
    for row in range(1, 301):
        book.active.append([f"P{row}", row, date(2026, 1, 1 + row % 28)])
    book.save(path)

    def unnumbered(xml: bytes) -> bytes:
        return re.sub(rb'<row r="\d+"', b"<row", xml)

    def swapped(xml: bytes) -> bytes:  # rows 250 and 50 change places in the XML (each keeps its number)
        rows = re.findall(rb"<row .*?</row>", xml)
        late, early = rows[249], rows[49]
        return xml.replace(early, b"\0").replace(late, early).replace(b"\0", late)

    with monkeypatch.context() as whole:
        _whole(whole)
        expected = _read(path, stream=False)
    _rewrite_sheet(path, unnumbered if change == "rows not numbered" else swapped)
    with monkeypatch.context() as whole:
        _whole(whole)
        assert _read(path, stream=False) == expected  # python-calamine reads the changed XML as before
    loads = _loaded_in(monkeypatch, 2)
    assert _read(path, stream=False) == expected
    assert loads == [0]


@pytest.mark.parametrize("room", ["enough", "full"])
def test_no_part_is_ever_named_in_memory_files(room: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The parts' files are written where RAM_FILES says, without a name there even while they are written and
    loaded (nothing left behind by a process killed mid-read); where one cannot be written (a full /dev/shm) the
    sheet is read whole."""
    path = tmp_path / "export.xlsx"
    write_export(path)
    with monkeypatch.context() as whole:
        _whole(whole)
        expected = _read(path, stream=True)
    ram = tmp_path / "shm"
    ram.mkdir()
    monkeypatch.setattr(sheet_parts, "RAM_FILES", str(ram))
    written_in: list[tuple[str, list[Path]]] = []
    write_workbook = sheet_parts._write_workbook

    def write_seen(handle: typing.IO[bytes], *args: object) -> None:
        written_in.append((os.path.realpath(f"/proc/self/fd/{handle.fileno()}"), list(ram.iterdir())))
        if room == "full":
            raise OSError(28, "No space left on device")
        write_workbook(handle, *args)

    monkeypatch.setattr(sheet_parts, "_write_workbook", write_seen)
    loads = _loaded_in(monkeypatch, 2)
    assert _read(path, stream=True) == expected
    assert loads == ([2] if room == "enough" else [0]) and not list(ram.iterdir())
    # Where /dev/shm is full the first failed write may cancel the other before it starts (Executor.map cancels
    # what has not started when a result raises: one write or two, as the threads happen to run)
    assert len(written_in) == 2 if room == "enough" else 1 <= len(written_in) <= 2
    assert all(where.startswith(str(ram)) and not named for where, named in written_in)


def test_where_parts_are_not_used(monkeypatch: pytest.MonkeyPatch) -> None:
    """A small sheet, a very large one (its copies' memory), one core, or no file system in memory with room
    for the parts: whole."""
    import os

    monkeypatch.setattr(sheet_parts, "usable_cores", lambda: 8)
    monkeypatch.setattr(os, "statvfs", lambda path: os.statvfs_result((4096, 4096, 30_000, 30_000, 30_000,
                                                                       0, 0, 0, 0, 255)))  # 123 MB free
    assert sheet_parts.parts_wanted(50 << 20) == sheet_parts.MAX_PARTS
    assert sheet_parts.parts_wanted(60 << 20) == 1  # two copies would not fit
    assert sheet_parts.parts_wanted(sheet_parts.PARTS_FROM_BYTES - 1) == 1
    assert sheet_parts.parts_wanted(sheet_parts.PARTS_UP_TO_BYTES + 1) == 1
    monkeypatch.setattr(sheet_parts, "usable_cores", lambda: 1)
    assert sheet_parts.parts_wanted(50 << 20) == 1
    monkeypatch.setattr(sheet_parts, "usable_cores", lambda: 2)
    assert sheet_parts.parts_wanted(50 << 20) == 2
    monkeypatch.setattr(sheet_parts, "RAM_FILES", None)
    assert sheet_parts.parts_wanted(50 << 20) == 1


def test_a_workbook_s_other_sheets_are_not_copied_into_the_parts(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """A second large sheet (a payments tab) before the charges: each part's workbook holds it empty, and the
    charges read as loaded whole."""
    path = tmp_path / "two sheets.xlsx"
    book = openpyxl.Workbook()
    payments = book.active
    payments.title = "Payments"
    for row in range(1, 3_001):
        payments.append([f"P{row}", row * 1.5, "payment " * 20])
    charges = book.create_sheet("Charges")
    for row in range(1, 401):
        charges.append([f"P{row // 3}", date(2026, 3, 1 + row % 28), "97110", 1 + row % 3, "GP"])
    book.save(path)
    with monkeypatch.context() as whole:
        _whole(whole)
        expected = reader.read_sheet(path, "Charges").rows
    sizes: list[dict[str, int]] = []
    write_workbook = sheet_parts._write_workbook

    def write_seen(handle: typing.IO[bytes], members: list, *args: object) -> None:
        sizes.append({info.filename: len(data) for info, data in members})
        write_workbook(handle, members, *args)

    monkeypatch.setattr(sheet_parts, "_write_workbook", write_seen)
    loads = _loaded_in(monkeypatch, 2)
    assert reader.read_sheet(path, "Charges").rows == expected
    assert loads == [2] and len(sizes) == 2
    assert all(written["xl/worksheets/sheet1.xml"] < 200 and written["xl/worksheets/sheet2.xml"] == 0
               for written in sizes)  # Payments is sheet1: an empty sheet; Charges is written in its pieces


def _random_cell(rng: random.Random) -> object:
    kind = rng.random()
    if kind < 0.25:
        return rng.choice(["P1", "97110", "GP KX", "Médicare", "a,b", "  x ", "=not a formula", "line\nbreak", "",
                           "#N/A", "TRUE", "x" * rng.randint(100, 3_000)])
    if kind < 0.45:
        return rng.randint(-5, 100_000)
    if kind < 0.6:
        return rng.random() * 1_000
    if kind < 0.7:
        return date(2026, rng.randint(1, 12), rng.randint(1, 28))
    return rng.random() < 0.5 if kind < 0.75 else None


def _write_random_sheet(path: Path, rng: random.Random, writer: str) -> None:
    """Rows of random cells, widths and gaps (some rows from column B-D, runs of up to 80 empty rows)."""
    cells: dict[tuple[int, int], object] = {}
    row, rows, columns = 0, rng.randint(5, 300), rng.randint(1, 40)
    while row < rows:
        if rng.random() < 0.05:
            row += rng.randint(1, 80)
            continue
        for col in range(rng.randint(0, 3) if rng.random() < 0.2 else 0, rng.randint(1, columns)):
            if (value := _random_cell(rng)) is not None:
                cells[(row, col)] = value
        row += 1
    if writer == "openpyxl":
        book = openpyxl.Workbook()
        for (row, col), value in cells.items():
            book.active.cell(row + 1, col + 1, value)
        book.save(path)
        return
    book = xlsxwriter.Workbook(str(path), {"constant_memory": writer == "XlsxWriter, constant memory"})
    sheet, day = book.add_worksheet(), book.add_format({"num_format": "yyyy-mm-dd"})
    for (row, col), value in sorted(cells.items()):
        if isinstance(value, date):
            sheet.write_datetime(row, col, datetime(value.year, value.month, value.day), day)
        elif value == "#N/A":
            sheet.write_formula(row, col, "=NA()", None, "#N/A")
        else:
            sheet.write_string(row, col, value) if isinstance(value, str) else sheet.write(row, col, value)
    book.close()


@given(seed=st.integers(0, 2**32 - 1), parts=st.integers(2, 4), stream=st.booleans(),
       writer=st.sampled_from(["openpyxl", "XlsxWriter", "XlsxWriter, constant memory"]))
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_random_sheets_read_in_parts_as_whole(seed: int, parts: int, stream: bool, writer: str, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """Shared strings, inline strings, cached formula values, gaps and ragged rows from three writers."""
    path = tmp_path / f"random-{seed}.xlsx"
    _write_random_sheet(path, random.Random(seed), writer)
    with monkeypatch.context() as whole:
        _whole(whole)
        expected = _read(path, stream)
    with monkeypatch.context() as cut:
        loads = _loaded_in(cut, parts)
        rows, notes, merged = _read(path, stream)
    assert rows == expected[0] and (notes, merged) == expected[1:]
    assert [list(map(type, row)) for row in rows] == [list(map(type, row)) for row in expected[0]]
    # Loaded in parts, unless no numbered row starts past a cut (a last row holding most of the XML): then whole
    assert loads[0] >= 1 or sheet_parts._cut(zipfile.ZipFile(path).read(SHEET), parts) is None
