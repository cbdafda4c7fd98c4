"""The annotated workbook's big sheets are written as XML by ptcalc (sheet_xml), the rest by XlsxWriter:
each cell must come out as XlsxWriter itself writes it, and the workbook must read back whole."""
from __future__ import annotations

import io
import os
import re
import zipfile
import zlib
from datetime import date, datetime, time, timedelta
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter

from ptcalc.scrub import sheet_xml
from ptcalc.scrub.sheet_xml import SheetRows, SplicedSheet, excel_serial, splice_rows, write_probe

TEXTS = ["plain", "  leading and trailing  ", "\ttab", "line\nbreak", "ctrl\x01char\x1f", "_x0041_ literal",
         "& <tag> \"quoted\" 'single'", "emoji \U0001F600 é", "\ufffe", "x" * 40_000, "\U0001F600" * 20_000]
NUMBERS = [0, 1, -3.5, 1e-7, 120.5, 12345678901234567890, 2 ** 53 + 1, 1 / 3]
MOMENTS = [date(1900, 1, 15), date(1900, 2, 28), date(1900, 3, 1), date(2026, 3, 2), datetime(2026, 3, 2, 9, 30),
           datetime(1900, 1, 1, 9, 30), datetime(1900, 2, 28, 23, 59, 59, 500_000), time(9, 45),
           time(23, 59, 59, 999_999), timedelta(minutes=15), timedelta(days=2, seconds=5)]


def _write_cells(ws: object, fmt: object) -> None:
    """The same cells through the writing methods XlsxWriter and SheetRows share (rows in order)."""
    for col, text in enumerate(TEXTS):
        ws.write_string(0, col, text[:32_767], fmt if col % 2 else None)
    for col, number in enumerate(NUMBERS):
        ws.write_number(1, col, number, None if col % 2 else fmt)
    for col, moment in enumerate(MOMENTS):
        ws.write_datetime(2, col, moment, fmt)
    ws.write_boolean(3, 0, True, fmt)
    ws.write_boolean(3, 1, False)
    ws.write_blank(3, 2, None, fmt)
    ws.write_blank(3, 3, None)  # no format: no cell
    ws.write_row(4, 0, ["Patient", "", "Units"], fmt)


def _cells_xml(part: str) -> list[str]:
    """The <c> elements of a sheet's XML, style indexes aside (each workbook numbers its formats itself)."""
    return [re.sub(r' s="\d+"', "", cell) for cell in re.findall(r"<c .*?(?:/>|</c>)", part, re.S)]


def test_cells_are_written_as_xlsxwriter_writes_them(tmp_path: Path) -> None:
    book = xlsxwriter.Workbook(str(tmp_path / "x.xlsx"), {"constant_memory": True})
    fmt = book.add_format({"valign": "top", "bg_color": "#FFC7CE"})
    _write_cells(book.add_worksheet("Charges"), fmt)
    book.close()
    expected = zipfile.ZipFile(tmp_path / "x.xlsx").read("xl/worksheets/sheet1.xml").decode()

    out = io.BytesIO()
    rows = SheetRows({id(fmt): 7}, out)
    _write_cells(rows, fmt)
    rows.close()
    written = out.getvalue().decode()

    assert _cells_xml(written) == _cells_xml(expected)
    assert len(_cells_xml(written)) == len(TEXTS) + len(NUMBERS) + len(MOMENTS) + 3 + 3
    assert re.findall(r"<row [^>]*>", written) == [f'<row r="{r}">' for r in range(1, 6)]
    formatted = re.findall(r'<c r="([A-Z]+\d+)" s="7"', written)  # the format's cells, and only those
    assert formatted == re.findall(r'<c r="([A-Z]+\d+)" s="\d+"', expected)


@pytest.mark.parametrize("moment", MOMENTS)
def test_serial_numbers_are_excels(moment: date | datetime | time | timedelta) -> None:
    # 1900-03-01 is serial 61 (Excel's 29 February 1900 is 60); a time of day alone is a fraction of day 0
    expected = {date(1900, 1, 15): 15, date(1900, 2, 28): 59, date(1900, 3, 1): 61, date(2026, 3, 2): 46083,
                time(9, 45): 0.40625, timedelta(minutes=15): 15 / 1440, datetime(2026, 3, 2, 9, 30): 46083 + 9.5 / 24}
    if moment in expected:
        assert excel_serial(moment) == pytest.approx(expected[moment], abs=1e-9)
    assert 0 <= excel_serial(moment) < 50_000


def test_rows_with_heights_formats_links_and_formulas(tmp_path: Path) -> None:
    book = xlsxwriter.Workbook(str(tmp_path / "x.xlsx"), {"constant_memory": True})
    top, wrap = book.add_format({"valign": "top"}), book.add_format({"text_wrap": True})
    url = book.get_default_url_format()
    ws = book.add_worksheet("Scrub Report")
    for r, height in ((1, 30), (2, 15)):
        ws.set_row(r, height, top)
        ws.write_url(r, 0, f"internal:'O''Brien & Co'!A{r + 4}", string=str(r + 4))
        ws.write_string(r, 1, "no format of its own")
        ws.write_string(r, 2, "wrapped", wrap)
    ws.set_row(3, 45, top)
    ws.write_formula(3, 0, '=HYPERLINK("#\'Charges\'!A9","9")', None, 9)
    book.close()
    expected = zipfile.ZipFile(tmp_path / "x.xlsx").read("xl/worksheets/sheet1.xml").decode()

    out = io.BytesIO()
    rows = SheetRows({id(top): 1, id(wrap): 2, id(url): 3}, out)
    for r, height in ((1, 30), (2, 15)):
        rows.set_row(r, height, top)
        rows.write_url(r, 0, f"'O''Brien & Co'!A{r + 4}", str(r + 4), url)
        rows.write_string(r, 1, "no format of its own")
        rows.write_string(r, 2, "wrapped", wrap)
    rows.set_row(3, 45, top)
    rows.write_formula(3, 0, 'HYPERLINK("#\'Charges\'!A9","9")', 9)
    rows.close()
    written = out.getvalue().decode()

    def rows_and_cells(part: str) -> list[str]:
        return [re.sub(r' s="\d+"', "", element) for element in re.findall(r"<row [^>]*>|<c .*?(?:/>|</c>)", part, re.S)]

    assert rows_and_cells(written) == rows_and_cells(expected)
    assert "".join(rows.hyperlinks) == re.search(r"<hyperlinks>(.*)</hyperlinks>", expected).group(1)
    assert re.findall(r'<c r="B\d" s="(\d)"', written) == ["1", "1"]  # a cell without a format takes its row's


def test_a_spliced_workbook_reads_back_whole(tmp_path: Path) -> None:
    book = xlsxwriter.Workbook(str(tmp_path / "draft.xlsx"), {"constant_memory": True})
    red = book.add_format({"bg_color": "#FFC7CE"})
    day = book.add_format({"num_format": "mm/dd/yyyy"})
    probe = [red, day]
    sheet = book.add_worksheet("Charges")
    write_probe(sheet, probe)
    sheet.freeze_panes(1, 0)
    sheet.autofilter(0, 0, 2, 1)
    book.add_worksheet("Other").write_string(0, 0, "kept as XlsxWriter wrote it")
    book.close()

    def write_rows(rows: SheetRows, part: range) -> None:
        assert part == range(3)
        rows.write_row(0, 0, ["Patient", "DOS"])
        rows.write_string(1, 0, "P1", red)
        rows.write_datetime(1, 1, date(2026, 3, 2), day)
        rows.set_row(2, 30, red)
        rows.write_url(2, 0, "'Other'!A1", "1", None)

    splice_rows(tmp_path / "draft.xlsx", tmp_path / "out.xlsx", [SplicedSheet("xl/worksheets/sheet1.xml", probe,
                                                                              (2, 1), write_rows)])
    wb = openpyxl.load_workbook(tmp_path / "out.xlsx")
    ws = wb["Charges"]
    assert [[c.value for c in row] for row in ws.iter_rows()] == [["Patient", "DOS"], ["P1", datetime(2026, 3, 2)],
                                                                 ["1", None]]
    assert ws["A2"].fill.fgColor.rgb == "FFFFC7CE" and ws["B2"].number_format == "mm/dd/yyyy"
    assert ws["A1"].fill.fill_type is None  # not the probe's formats left behind
    assert ws.row_dimensions[3].height == 30 and ws["A3"].hyperlink.location == "'Other'!A1"
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref == "A1:B3" and ws.dimensions == "A1:B3"
    assert wb["Other"]["A1"].value == "kept as XlsxWriter wrote it"
    with zipfile.ZipFile(tmp_path / "out.xlsx") as spliced, zipfile.ZipFile(tmp_path / "draft.xlsx") as draft:
        assert [(i.filename, i.date_time, i.external_attr) for i in spliced.infolist()] == \
            [(i.filename, i.date_time, i.external_attr) for i in draft.infolist()]
        assert spliced.read("xl/styles.xml") == draft.read("xl/styles.xml")


def test_a_workbook_without_the_probe_is_refused(tmp_path: Path) -> None:
    book = xlsxwriter.Workbook(str(tmp_path / "draft.xlsx"), {"constant_memory": True})
    book.add_worksheet("Charges").write_string(0, 0, "no probe")
    book.close()
    sheet = SplicedSheet("xl/worksheets/sheet1.xml", [object()], (0, 0), lambda rows, part: None)
    with pytest.raises(RuntimeError, match="probe row"):
        splice_rows(tmp_path / "draft.xlsx", tmp_path / "out.xlsx", [sheet])


def _numbered_rows(tmp_path: Path, name: str, monkeypatch: pytest.MonkeyPatch, halves: bool,
                   write_row: object = None) -> tuple[dict[str, bytes], int]:
    """A 5,000-row sheet spliced in one process or in two (halves), a link on every third row; its members'
    contents (read back: their CRC-32s checked) and the rows ticked."""
    monkeypatch.setattr(sheet_xml, "FORKED_ROWS", 1_000 if halves else 10_000)
    book = xlsxwriter.Workbook(str(tmp_path / f"{name}.draft.xlsx"), {"constant_memory": True})
    book.set_properties({"created": datetime(2026, 1, 2, 3, 4, 5)})  # not the clock's: the same bytes in each book
    fmt = book.add_format({"bg_color": "#FFEB9C"})
    write_probe(book.add_worksheet("Charges"), [fmt])
    book.close()
    ticked = []

    def write_rows(rows: SheetRows, part: range) -> None:
        for r in part:
            (write_row or (lambda *args: None))(r)
            rows.write_string(r, 0, f"P{r % 97}", fmt if r % 7 == 0 else None)
            rows.write_number(r, 1, r / 4)
            if r % 3:
                rows.write_datetime(r, 2, date(2026, 1, 1 + r % 28))
            else:
                rows.write_url(r, 2, f"'Charges'!A{r + 1}", str(r + 1), fmt)

    sheet = SplicedSheet("xl/worksheets/sheet1.xml", [fmt], (4_999, 2), write_rows, ticked.append)
    splice_rows(tmp_path / f"{name}.draft.xlsx", tmp_path / f"{name}.xlsx", [sheet])
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(name)) == \
        [f"{name}.draft.xlsx", f"{name}.xlsx"]  # the second half's file is gone
    with zipfile.ZipFile(tmp_path / f"{name}.xlsx") as written:
        assert written.testzip() is None
        return {member: written.read(member) for member in written.namelist()}, sum(ticked)


def test_a_second_half_written_by_a_forked_process_makes_the_same_sheet(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    parent = os.getpid()
    written_here: list[int] = []  # rows this process wrote (a forked one's writes stay in its own memory)
    one, ticks_one = _numbered_rows(tmp_path, "one", monkeypatch, halves=False)
    two, ticks_two = _numbered_rows(tmp_path, "two", monkeypatch, halves=True,
                                    write_row=lambda r: os.getpid() == parent and written_here.append(r))
    assert one == two
    sheet = one["xl/worksheets/sheet1.xml"]
    assert sheet.count(b"<row ") == 5_000 and sheet.count(b"<hyperlink ") == 1_667  # the forked half's links too
    assert b'<hyperlink ref="C4999" location="\'Charges\'!A4999" display="4999"/></hyperlinks>' in sheet
    assert written_here == list(range(2_500))  # the first half: a forked process wrote the second
    assert ticks_one == 5_000 and ticks_two == 5_000


def test_a_forked_process_that_fails_leaves_its_half_to_this_one(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    parent = os.getpid()

    def fail_in_the_child(r: int) -> None:
        if os.getpid() != parent:
            raise MemoryError("the forked process cannot go on")

    one, _ = _numbered_rows(tmp_path, "one", monkeypatch, halves=False)
    two, ticks = _numbered_rows(tmp_path, "two", monkeypatch, halves=True, write_row=fail_in_the_child)
    assert one == two and ticks == 5_000


def test_without_zlib_ng_the_standard_zlib_deflates_and_this_process_writes_every_row(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """xlwings Lite (Pyodide) has no zlib-ng: the same sheet, deflated by zlib, and no forked half (whose piece's
    CRC-32 could not be combined)."""
    one, _ = _numbered_rows(tmp_path, "one", monkeypatch, halves=False)
    for name in ("DEFLATED", "Z_SYNC_FLUSH", "compressobj", "crc32"):
        monkeypatch.setattr(sheet_xml, name, getattr(zlib, name))
    monkeypatch.setattr(sheet_xml, "crc32_combine", None)
    written_here: list[int] = []
    two, ticks = _numbered_rows(tmp_path, "two", monkeypatch, halves=True, write_row=written_here.append)
    assert one == two and ticks == 5_000
    assert written_here == list(range(5_000))


VALUES = ["plain", "", None, 2, 2.5, "3", " 4.5 ", "abc", "1e999", "nan", date(2026, 3, 2), 46083, True,
          datetime(2026, 3, 2, 9, 30), time(9, 45), float("nan"), "_x0041_", "x" * 40_000]


@pytest.mark.parametrize("plain_format", [False, True])
def test_a_row_of_values_is_written_as_a_method_call_per_cell_writes_it(plain_format: bool) -> None:
    """write_values (the copy's rows) against the methods checked against XlsxWriter above: text, numbers (their
    column's format or the plain one), numbers' text in a numeric column, dates in their column's format; other
    kinds and special columns to `other`; a value seen before (a day after a number equal to its serial)."""
    plain, money, day, special_fmt = object(), object(), object(), object()
    styles = {id(plain): 1, id(money): 2, id(day): 3, id(special_fmt): 4}
    width = len(VALUES)
    number_formats = {3: money, 11: money}
    date_formats = dict.fromkeys(range(width), day)
    numeric, special = {3, 5, 6, 7, 8, 9}, {4: "error"}

    def other(rows: SheetRows, row: int, col: int, value: object) -> None:
        if col in special:
            rows.write_string(row, col, f"special {value}", special_fmt)
        elif isinstance(value, bool):
            rows.write_boolean(row, col, value, plain if plain_format else None)
        elif isinstance(value, (datetime, time)):
            rows.write_datetime(row, col, value, day)
        else:
            rows.write_string(row, col, str(value))

    fast, slow = io.BytesIO(), io.BytesIO()
    by_row, by_cell = SheetRows(styles, fast), SheetRows(styles, slow)
    for row in range(3):  # the same values again: their remembered XML
        by_row.write_values(row, VALUES, number_formats, date_formats, numeric,
                            lambda col, value, row=row: other(by_row, row, col, value),
                            plain=plain if plain_format else None, special=special)
        fmt = plain if plain_format else None
        for col, value in enumerate(VALUES):
            if col in special:
                other(by_cell, row, col, value)
            elif value == "" or value is None:
                continue
            elif col in numeric and isinstance(value, str) and value.strip() not in ("abc", "1e999", "nan"):
                by_cell.write_number(row, col, float(value), fmt)
            elif isinstance(value, str):
                by_cell.write_string(row, col, value, fmt)
            elif type(value) in (int, float) and value == value:
                by_cell.write_number(row, col, value, number_formats.get(col, fmt))
            elif type(value) is date:
                by_cell.write_datetime(row, col, value, date_formats[col])
            else:
                other(by_cell, row, col, value)
    by_row.close()
    by_cell.close()
    assert fast.getvalue() == slow.getvalue()
    written = fast.getvalue().decode()
    assert written.count("<c ") == 3 * (len(VALUES) - 2)  # the empty text and None are no cells
    assert '<c r="D1" s="2"><v>2</v></c>' in written and '<c r="F1"' + (' s="1"' if plain_format else "") + \
        "><v>3</v></c>" in written and '<c r="K2" s="3"><v>46083</v></c>' in written


def test_a_zipfile_that_takes_no_deflated_data_deflates_the_sheet_itself(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """A Python whose zipfile member writer lacks the fields ptcalc sets: the same sheet, written in this
    process and deflated by zipfile."""
    assert sheet_xml._zipfile_takes_deflated()  # this Python's does: the other tests run the forked half
    one, _ = _numbered_rows(tmp_path, "one", monkeypatch, halves=False)
    monkeypatch.setattr(sheet_xml, "_zipfile_takes_deflated", lambda: False)
    written_here: list[int] = []
    two, ticks = _numbered_rows(tmp_path, "two", monkeypatch, halves=True, write_row=written_here.append)
    assert one == two and ticks == 5_000
    assert written_here == list(range(5_000))
