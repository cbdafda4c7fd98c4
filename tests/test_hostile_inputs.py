"""Inputs built to break the CLI: never a traceback, exit 0/1/2 only (2 with one clear line), no line
lost or reordered, the input never changed, nothing written outside the target, and bounded time."""
from __future__ import annotations

import codecs
import json
import csv
import hashlib
import io
import struct
import sys
import time
import zipfile
import zlib
from datetime import date
from pathlib import Path

import openpyxl
import pytest

from ptcalc.scrub import runner, scrub_file

from .test_reference import run_cli

AS_OF = "2026-11-22"
csv.field_size_limit(1 << 24)  # this test reads back a 200,000-character field itself
HEADER = "patient_id,dos,cpt,units,minutes,modifiers"


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def workbook(path: Path, rows: list[list[object]], title: str | None = None) -> Path:
    """An xlsx whose first sheet holds the header and `rows`."""
    wb = openpyxl.Workbook()
    if title:
        wb.active.title = title
    wb.active.append(HEADER.split(","))
    for row in rows:
        wb.active.append(row)
    wb.save(path)
    return path


def run_safely(*args: str, inputs: tuple[Path, ...] = ()) -> tuple[int, str, str]:
    """Run the CLI; assert the error boundary and that the inputs were not changed."""
    before = {p: _digest(p) for p in inputs}
    result = run_cli(*args)
    assert result.returncode in (0, 1, 2), result.stderr
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr, result.stderr
    if result.returncode == 2:
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert {p: _digest(p) for p in inputs} == before, "an input file was changed"
    return result.returncode, result.stdout, result.stderr


CSV_CASES = {
    "numbers that are not finite": f"{HEADER},charge\nP1,2026-03-02,97110,1,nan,GP,inf\nP2,2026-03-02,97110,1,1e999,GP,-inf\n",
    "impossible and placeholder dates": f"{HEADER}\nP1,9999-12-31,97110,1,15,GP\nP2,2026-02-30,97110,1,15,GP\n"
                                        f"P3,{'2' * 5000}-01-01,97110,1,15,GP\nP4,²⁰²⁶-03-02,97110,1,15,GP\n",
    "a field longer than csv's default limit": f"{HEADER},note\nP1,2026-03-02,97110,1,15,GP,{'x' * 200_000}\n",
    "formula-looking text": f"{HEADER}\n=cmd|' /C calc'!A0,2026-03-02,97110,1,15,GP\n"
                            "\"=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\",2026-03-02,97110,1,15,GP\n",
    "rows wider than the header": f"{HEADER}\nP1,2026-03-02,97110,1,15,GP,extra,more,still more\n",
    "a user column named like the added ones": f"{HEADER},Findings,Scrub Status\nP1,2026-03-02,97110,1,15,GP,mine,ours\n",
    "plan-of-care dates at the end of time": f"{HEADER},poc_start\nP1,2026-03-02,97110,1,15,GP,9999-12-31\n",
}


@pytest.mark.parametrize("name", list(CSV_CASES))
@pytest.mark.parametrize("fmt", ["xlsx", "json", "csv"])
def test_hostile_csv_inputs(name: str, fmt: str, tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    source.write_text(CSV_CASES[name], encoding="utf-8")
    out = tmp_path / f"out.{fmt}"
    code, _, _ = run_safely("scrub", str(source), "-o", str(out), "--as-of", AS_OF, inputs=(source,))
    assert code in (0, 1) and out.is_file()
    assert {p.name for p in tmp_path.iterdir()} == {"in.csv", f"out.{fmt}"}  # nothing else written
    if fmt == "xlsx":
        copy = openpyxl.load_workbook(out).worksheets[0]
        lines = list(csv.reader(io.StringIO(CSV_CASES[name])))
        assert copy.max_row == len(lines)
        header = [c.value for c in copy[1]]
        width = max(len(r) for r in lines)
        assert header[-3:] == ["Scrub Status", "Findings", "Expected Units"]
        assert len(header) >= width + 3  # every user column survives, the added ones come after them
        for row in copy.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{cell.coordinate} became a formula"


@pytest.mark.parametrize("pass_rows", [None, 1])
@pytest.mark.parametrize("first", [True, 1])
def test_a_true_false_cell_is_its_own_value_not_the_1_or_0_it_equals(first: object, pass_rows: int | None,
                                                                      tmp_path: Path, monkeypatch) -> None:
    """Python's True == 1: a column's values parsed once each made a TRUE cell (an Excel checkbox) share 1's
    parse, so a TRUE above the 1-unit lines made every one of them a DAT002, and a 1 above it read TRUE as 1 unit.
    With a row per pass, the TRUE and the 1 meet in the column's values parsed by an earlier pass."""
    if pass_rows:
        monkeypatch.setattr(runner, "PASS_ROWS", pass_rows)
    second = 1 if first is True else True
    path = workbook(tmp_path / "booleans.xlsx", [["B1", date(2026, 3, 2), "97110", first, 15, "GP"],
                                                ["B2", date(2026, 3, 2), "97110", second, 15, "GP"],
                                                ["B3", date(2026, 3, 2), "97112", 1, 15, "GP"]])
    result = scrub_file(path, as_of=date(2026, 11, 22))
    true_row = 2 if first is True else 3
    assert [(f.row, f.rule, f.message) for f in result.findings] == [
        (true_row, "DAT002", "units: 'TRUE' is not a number")]


def test_invisible_and_full_width_characters_are_read_as_the_cell_shows_them(tmp_path: Path) -> None:
    """Text pasted from a web page or a PDF carries zero-width spaces and soft hyphens; an East Asian keyboard
    types full-width digits. Before: `\u200b03/02/2026` was a DAT002 and `\u200b97110`, `９７１１０` unknown codes."""
    path = workbook(tmp_path / "pasted.xlsx", [
        ["Z1", "\u200b03/02/2026", "\u200b97110", 2, 30, "GP\u200b"],
        ["Z2", "03/02/2026\ufeff", "\uff19\uff17\uff11\uff11\uff10", "\uff12", 30, "\uff27\uff30"],
        ["Z3\u00ad", "03/02/2026", "97110", 2, 30, ""]])              # still no GP: MOD001, as ever
    result = scrub_file(path, as_of=date(2026, 11, 22))
    assert [(f.row, f.rule, f.patient_id) for f in result.findings] == [(4, "MOD001", "Z3")]


def test_a_utf16_csv_is_read(tmp_path: Path) -> None:
    source = tmp_path / "utf16.csv"
    source.write_bytes(codecs.BOM_UTF16_LE + f"{HEADER}\nP1,2026-03-02,97110,1,15,GP\n".encode("utf-16-le"))
    code, out, _ = run_safely("scrub", str(source), "--format", "json", "--as-of", AS_OF, inputs=(source,))
    assert code == 0 and '"lines": 1' in out


def test_an_empty_as_of_is_refused_not_today(tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    source.write_text(f"{HEADER}\nP1,2026-03-02,97110,1,15,GP\n")
    code, _, err = run_safely("scrub", str(source), "--format", "json", "--as-of", "", inputs=(source,))
    assert code == 2 and "--as-of" in err


@pytest.mark.parametrize("written", ["openpyxl", "prefixed", "prefixed without dimension"])
def test_a_stray_cell_at_the_end_of_the_sheet_is_refused_before_it_exhausts_memory(written: str,
                                                                                   tmp_path: Path) -> None:
    """Also where the sheet's elements carry a namespace prefix (.NET's Open XML SDK), with or without the
    dimension element that says the sheet's extent (without it, every cell reference is read)."""
    from .test_sheet_parts import prefix_sheet

    book = workbook(tmp_path / "stray.xlsx", [["P1", "2026-03-02", "97110", 1, 15, "GP"]])
    wb = openpyxl.load_workbook(book)
    wb.active["XFD1048576"] = "x"
    wb.save(book)
    if written != "openpyxl":
        prefix_sheet(book, dimension=written == "prefixed")
    code, _, err = run_safely("scrub", str(book), "--format", "json", "--as-of", AS_OF, inputs=(book,))
    assert code == 2 and "reaches row 1,048,576 and column XFD" in err


def _damage_deflate_stream(book: Path, member: str = "xl/worksheets/sheet1.xml") -> None:
    """Flip 8 bytes of a member's deflated data where zlib then refuses the stream (a download cut and patched, a
    disk error): not only garbage XML, which its CRC-32 would catch, but data that cannot be inflated at all."""
    data = bytearray(book.read_bytes())
    with zipfile.ZipFile(book) as archive:
        info = archive.getinfo(member)
    names, extra = struct.unpack("<HH", data[info.header_offset + 26:info.header_offset + 30])
    start = info.header_offset + 30 + names + extra
    for at in range(info.compress_size - 8):
        broken = bytearray(data[start:start + info.compress_size])
        broken[at:at + 8] = bytes(b ^ 0xFF for b in broken[at:at + 8])
        try:
            zlib.decompressobj(-15).decompress(bytes(broken))
        except zlib.error:
            data[start:start + info.compress_size] = broken
            book.write_bytes(bytes(data))
            return
    pytest.fail("no damage zlib refuses")


@pytest.mark.parametrize("load", ["whole", "in parts"])
def test_a_workbook_whose_sheet_cannot_be_inflated_is_refused_in_one_line(load: str, tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """Before: the error-cell scan (and, in parts, the sheet's own inflating) let zlib's error through: "internal
    error ... this is a ptcalc bug"."""
    from ptcalc.errors import UsageError
    from ptcalc.scrub import reader, sheet_parts

    book = workbook(tmp_path / "damaged.xlsx", [["P1", "2026-03-02", "97110", 1, 15, "GP"]] * 300)
    _damage_deflate_stream(book)
    if load == "whole":
        code, _, err = run_safely("scrub", str(book), "--format", "json", "--as-of", AS_OF, inputs=(book,))
        assert code == 2 and "damaged.xlsx: sheet 'Sheet' cannot be read" in err
        return
    monkeypatch.setattr(sheet_parts, "PARTS_FROM_BYTES", 0)
    monkeypatch.setattr(sheet_parts, "usable_cores", lambda: 2)
    for stream in (False, True):
        with pytest.raises(UsageError, match="damaged.xlsx: sheet 'Sheet' cannot be read"):
            reader.read_sheet(book, stream=stream)


def test_many_error_cells_are_scanned_in_linear_time(tmp_path: Path) -> None:
    book = workbook(tmp_path / "errors.xlsx", [["P1", "2026-03-02", "97110", "#N/A", "#N/A", "GP"]] * 20_000)
    started = time.monotonic()
    code, out, _ = run_safely("scrub", str(book), "--format", "json", "--as-of", AS_OF, inputs=(book,))
    assert code == 1 and time.monotonic() - started < 120  # quadratic scanning took minutes at this size


VISIT_LINES = 20_000


def test_a_visit_of_thousands_of_lines_is_judged_in_linear_time_each_pair_said_once(tmp_path: Path) -> None:
    """A patient and date column that say the same on every line (a misread export) make one visit of every line.
    Its NCCI pairs were searched line against line (minutes; a column-2 line flagged once per column-1 line)."""
    path = tmp_path / "one-visit.csv"
    path.write_text(HEADER + "\n" + "".join(f"P1,2026-03-02,{'97150,1,20' if i % 2 else '97110,1,15'},GP\n"
                                            for i in range(VISIT_LINES)))
    started = time.monotonic()
    result = scrub_file(path, as_of=date(2026, 11, 22))
    assert time.monotonic() - started < 120
    flagged = [f.row for f in result.findings if f.rule == "PTP001"]
    assert sorted(flagged) == [line.row for line in result.lines if line.cpt == "97110"]  # each once


@pytest.mark.parametrize("sheet", ["Scrub Report", "O'Brien's charges"])
def test_awkward_sheet_names(sheet: str, tmp_path: Path) -> None:
    book = workbook(tmp_path / "named.xlsx", [["P1", "2026-03-02", "97110", 2, 15, "GP"]], title=sheet)
    out = tmp_path / "named.scrubbed.xlsx"
    code, _, _ = run_safely("scrub", str(book), "-o", str(out), "--as-of", AS_OF, inputs=(book,))
    assert code == 1
    result = openpyxl.load_workbook(out)
    report = result["Scrub Report"]
    link = report.cell(2, 1).hyperlink.location
    target = link.rsplit("!", 1)[0].strip("'").replace("''", "'")
    assert target in result.sheetnames and result[target].max_row == 2


def test_reference_yaml_with_an_alias_bomb_is_refused_with_file_and_line(ref_copy: Path) -> None:
    bomb = "\n".join(["a: &a [x, x, x, x, x, x, x, x, x]"] + [f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, "
                      f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]" for i in range(8)])
    (ref_copy / "bomb.yaml").write_text("table: codes\n" + bomb + "\n")
    started = time.monotonic()
    code, _, err = run_safely("info", "--reference", str(ref_copy))
    assert code == 2 and "bomb.yaml:2: yaml: anchors and aliases (&name, *name) are not allowed" in err
    assert time.monotonic() - started < 30


def test_sync_to_yaml_never_writes_outside_the_reference_folder(ref_copy: Path, tmp_path: Path) -> None:
    book = tmp_path / "book.xlsx"
    assert run_cli("build-workbook", "-o", str(book), "--reference", str(ref_copy)).returncode == 0
    wb = openpyxl.load_workbook(book)
    sheet = next(ws for ws in wb.worksheets if ws.title.startswith("Ref_") and ws.cell(4, 1).value == "file")
    for name in ("../escaped.yaml", str(tmp_path / "absolute.yaml")):
        sheet.cell(4, 2).value = name
        wb.save(book)
        code, _, err = run_safely("sync", str(book), "--to-yaml", "--reference", str(ref_copy))
        assert code == 2 and "is not a plain table file name" in err
    assert not (tmp_path / "escaped.yaml").exists() and not (tmp_path / "absolute.yaml").exists()


def _first_lines(path: Path, count: int) -> str:
    return "".join(path.read_text().splitlines(keepends=True)[:count])


@pytest.mark.parametrize(("kind", "text", "said"), [
    ("pfs", lambda cms: _first_lines(cms / "PPRRVU2026_Jul_nonQPP.pt-rows.csv", 10) + "97110,,Ther ex,A\r\n",
     "the record has 4 fields, too few"),
    ("gpci", lambda cms: _first_lines(cms / "GPCI2026.csv", 3) + "10112,AL,00,ALABAMA,abc,1,0.8,0.5\n",
     "'abc' is not a number"),
    ("gpci", lambda cms: _first_lines(cms / "GPCI2026.csv", 3) + "10112,AL\n", "too few"),
    ("ptp", lambda cms: '"column_1","column_2","deletion_date","modifier_indicator"\n"97150","97110","2019123",1\n',
     "'2019123' is not a date written YYYYMMDD"),
    ("ptp", lambda cms: '"column_1","column_2","deletion_date","modifier_indicator"\n"97150","97110","*",7\n',
     "modifier indicator '7' is not 0, 1 or 9"),
])
def test_malformed_cms_files_are_refused_and_the_reference_folder_is_untouched(kind, text, said, cms: Path,
                                                                               ref_copy: Path, tmp_path: Path) -> None:
    source = tmp_path / f"bad-{kind}.csv"
    source.write_text(text(cms))
    before = {p.name: _digest(p) for p in ref_copy.iterdir()}
    code, _, err = run_safely("import", kind, str(source), "--reference", str(ref_copy), inputs=(source,))
    assert code == 2 and said in err
    assert {p.name: _digest(p) for p in ref_copy.iterdir()} == before


def test_sync_keeps_a_users_images_and_own_ref_sheets(tmp_path: Path) -> None:
    from openpyxl.drawing.image import Image
    from PIL import Image as Picture

    book = tmp_path / "book.xlsx"
    assert run_cli("build-workbook", "-o", str(book)).returncode == 0
    logo = tmp_path / "logo.png"
    Picture.new("RGB", (24, 24), "navy").save(logo)
    wb = openpyxl.load_workbook(book)
    wb["Start"].add_image(Image(str(logo)), "C2")
    wb.create_sheet("Ref_My notes").append(["my own sheet"])
    wb.save(book)
    code, _, _ = run_safely("sync", str(book))
    assert code == 0
    after = openpyxl.load_workbook(book)
    assert "Ref_My notes" in after.sheetnames and after["Ref_My notes"]["A1"].value == "my own sheet"
    assert len(after["Start"]._images) == 1


def test_an_unterminated_quote_is_refused_naming_its_line_not_swallowing_the_rest(tmp_path: Path) -> None:
    source = tmp_path / "quote.csv"
    source.write_text(f'{HEADER}\nP1,2026-03-02,97110,1,15,GP\n"P2,2026-03-02,97110,1,15,GP\n'
                      'P3,2026-03-02,97110,1,15,GP\nP4,2026-03-02,97110,1,15,GP\n')
    code, _, err = run_safely("scrub", str(source), "--format", "json", "--as-of", AS_OF, inputs=(source,))
    assert code == 2 and "line 3:" in err and "never closed" in err


def test_a_quoted_cell_with_text_after_its_quote_is_read_as_excel_reads_it(tmp_path: Path) -> None:
    """`"Smith, Jane" PT` is a strict csv error that Excel reads past: every line is kept, read as Excel
    reads it, and the reading says so once; an unclosed quote elsewhere in the file is still refused."""
    import json

    source = tmp_path / "provider.csv"
    source.write_text(f'{HEADER},rendering provider\nP1,2026-03-02,97110,1,15,GP,"Smith, Jane" PT\n'
                      'P2,2026-03-02,97110,1,15,GP,"Lee, Bo" PTA\nP3,2026-03-02,97110,1,15,GP,Ray Al PT\n')
    out = tmp_path / "provider.json"
    code, _, err = run_safely("scrub", str(source), "-o", str(out), "--as-of", AS_OF, inputs=(source,))
    report = json.loads(out.read_text())
    assert report["summary"]["lines"] == 3 and code == 1  # P2's PTA minutes need CQ: the cell was read
    assert [f["rule"] for f in report["findings"]] == ["MOD005"] and report["findings"][0]["row"] == 3
    assert report["reading"]["source_problems"] == [
        'csv: a quoted cell has text after its closing quote (first on line 2, e.g. "Smith, Jane" PT); read as '
        'Excel reads it (Smith, Jane PT)']
    assert err.count("note:") == 1
    source.write_text(source.read_text() + '"P4,2026-03-02,97110,1,15,GP,x\nP5,2026-03-02,97110,1,15,GP,x\n')
    code, _, err = run_safely("scrub", str(source), "--format", "json", "--as-of", AS_OF, inputs=(source,))
    assert code == 2 and "line 5:" in err and "never closed" in err


def test_a_cell_longer_than_the_csv_reader_takes_is_refused_as_that(tmp_path: Path) -> None:
    source = tmp_path / "long.csv"
    source.write_text(f"{HEADER}\nP1,2026-03-02,97110,1,15,{'G' * 1_100_000}\n")
    code, _, err = run_safely("scrub", str(source), "--format", "json", "--as-of", AS_OF, inputs=(source,))
    assert code == 2 and err.strip() == (f"ptcalc scrub: {source}: line 2: a cell of more than 1,048,544 characters "
                                         "(an Excel cell holds 32,767): not a charge sheet's cell; trim it and scrub "
                                         "again")
    assert "quote" not in err


def test_a_workbook_that_would_unpack_to_gigabytes_is_refused(tmp_path: Path) -> None:
    import zipfile

    bomb = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member:
            block = b"\0" * (1 << 24)
            for _ in range(130):  # 2.2 GB of zeros: a few MB on disk
                member.write(block)
    assert bomb.stat().st_size < 20_000_000
    code, _, err = run_safely("scrub", str(bomb), "--format", "json", "--as-of", AS_OF, inputs=(bomb,))
    assert code == 2 and "would unpack to" in err


@pytest.mark.parametrize(("old", "new", "said"), [
    ("amount: 33.4009", "amount: .nan", "amount: nan is not a number"),
    ("amount: 33.4009", "amount: .inf", "amount: inf is not a number"),
    ("effective_from: 2026-01-01, effective_to: 2026-12-31, amount: 33.4009",
     "effective_from: 2026-01-01 10:00:00, effective_to: 2026-12-31, amount: 33.4009", "has a time of day"),
    ("amount: 33.4009", "amount: '33.4009'", "'33.4009' is not a number"),
    ("amount: 33.4009", "amount: " + "[" * 200 + "1" + "]" * 200, "conversion_factors.yaml:"),
])
def test_bad_reference_values_stop_with_file_line_and_field(old: str, new: str, said: str, ref_copy: Path) -> None:
    path = ref_copy / "conversion_factors.yaml"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    code, _, err = run_safely("info", "--reference", str(ref_copy))
    assert code == 2 and said in err and "conversion_factors.yaml:" in err


@pytest.mark.parametrize(("cells", "code", "said"), [
    ({"B1": "=SUM(Table1[Col])"}, 0, "1 cells evaluate to an error: Sheet!B1 #NAME?"),  # no such table
    ({"B1": "=SUM(A1:A3"}, 2, "Sheet!B1: =SUM(A1:A3 cannot be computed"),
    ({"B1": "=C1+1", "C1": "=B1+1"}, 1, "2 formula cells have no value (a circular reference?)"),
    ({"B1": '="=cmd|\' /C calc\'!A0"'}, 0, "recalculated 1 formula cells"),
])
def test_recalc_of_awkward_formulas(cells: dict, code: int, said: str, tmp_path: Path) -> None:
    book = tmp_path / "book.xlsx"
    wb = openpyxl.Workbook()
    wb.active["A1"], wb.active["A2"] = 1, 2
    for ref, formula in cells.items():
        wb.active[ref] = formula
    wb.save(book)
    out = tmp_path / "out.xlsx"
    got, stdout, stderr = run_safely("recalc", str(book), "-o", str(out), inputs=(book,))
    assert got == code and said in stdout + stderr
    if "cmd" in cells["B1"]:  # computed text that reads like a formula stays text
        cell = openpyxl.load_workbook(out).active["B1"]
        assert cell.value == "=cmd|' /C calc'!A0" and cell.data_type == "s"


def test_formula_looking_text_in_a_reference_table_stays_text_in_the_workbook(ref_copy: Path, tmp_path: Path) -> None:
    codes = ref_copy / "codes.yaml"
    codes.write_text(codes.read_text().replace('label: "Therapeutic exercise"',
                                               'label: "=HYPERLINK(\\"http://example.invalid\\",\\"x\\")"'))
    book = tmp_path / "book.xlsx"
    code, _, _ = run_safely("build-workbook", "-o", str(book), "--reference", str(ref_copy))
    assert code == 0
    sheet = openpyxl.load_workbook(book)["Ref_Codes"]
    cells = [c for row in sheet.iter_rows() for c in row if isinstance(c.value, str) and c.value.startswith("=HYPER")]
    assert cells and all(c.data_type == "s" for c in cells)


def test_one_stray_byte_is_a_note_on_its_line_and_the_rest_stays_utf8(tmp_path: Path) -> None:
    source = tmp_path / "mixed.csv"
    source.write_bytes(f"{HEADER},note\nP1,2026-03-02,97110,1,15,GP,José\n".encode()
                       + b"P2,2026-03-02,97110,1,15,GP,caf\xe9\n")
    code, out, _ = run_safely("scrub", str(source), "--format", "json", "--as-of", AS_OF, inputs=(source,))
    notes = [(f["row"], f["rule"], f["message"]) for f in json.loads(out)["findings"]]
    assert notes == [(3, "DAT008", "encoding: this line is not UTF-8 and was read as Windows-1252; check its "
                                   "accented letters")]


def test_a_csv_saved_by_excel_on_windows_is_read_as_windows_1252_with_one_note(tmp_path: Path) -> None:
    """Excel's "CSV (Comma delimited)" is Windows-1252: every accented name is one byte. Not a finding on
    each of those lines (they are correct bills), one note on the file."""
    source = tmp_path / "excel.csv"
    source.write_bytes(f"{HEADER},payer,note\n".encode() + b"P1,2026-03-02,97110,1,15,GP,Medicare,Mu\xf1oz\n"
                       + b"P2,2026-03-02,97110,1,15,GP,Medicare,Caf\xe9 \x96 \x93ok\x94\n"
                       + b"P3,2026-03-02,97110,1,15,GP,Medicare,plain\n")
    code, out, err = run_safely("scrub", str(source), "--format", "json", "--as-of", AS_OF, inputs=(source,))
    report = json.loads(out)
    assert code == 0 and report["findings"] == [] and report["summary"]["lines_by_status"]["CLEAN"] == 3
    assert report["reading"]["source_problems"] == [
        "encoding: read as Windows-1252 (the file is not UTF-8: Excel's \"CSV (Comma delimited)\" on Windows); "
        "check an accented name reads right, or save as CSV UTF-8"]
    assert "note: excel.csv: encoding: read as Windows-1252" in err
    rows = scrub_file(source, as_of=date.fromisoformat(AS_OF)).sheet.rows
    assert [row[-1] for row in rows[1:]] == ["Muñoz", "Café – “ok”", "plain"]


def test_a_cell_longer_than_excel_holds_is_said_on_its_line(tmp_path: Path) -> None:
    source = tmp_path / "long.csv"
    source.write_text(f"{HEADER},note\nP1,2026-03-02,97110,1,15,GP,{'y' * 40_000}\n")
    code, out, _ = run_safely("scrub", str(source), "--format", "json", "--as-of", AS_OF, inputs=(source,))
    assert [f["message"][:40] for f in json.loads(out)["findings"]] == ["cell length: a cell of 40,000 characters"]


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_json_and_csv_printed_to_a_redirected_stdout_are_utf8_whatever_the_systems_code_page(
        tmp_path: Path, fmt: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Windows writes a redirected stdout (`ptcalc scrub week.csv --format json > week.json`) in its ANSI code page,
    cp1252: a patient `Nguyễn` stopped the command with an internal error, and `José` came out as one cp1252 byte
    where JSON is UTF-8 (RFC 8259), so a reader saw garbage. What -o writes and what is printed are the same bytes;
    the summary line on stderr too says an accented file name whole."""
    from ptcalc.cli import run

    sheet = tmp_path / "semaine_été.csv"
    sheet.write_text(f"{HEADER}\nNguyễn Văn An,2026-03-02,97110,1,15,\nJosé Peña,2026-03-02,97110,1,15,GP\n",
                     encoding="utf-8")
    out, err = io.BytesIO(), io.BytesIO()
    monkeypatch.setattr("sys.stdout", io.TextIOWrapper(out, encoding="cp1252", newline=""))
    monkeypatch.setattr("sys.stderr", io.TextIOWrapper(err, encoding="cp1252", newline=""))
    code = run(["scrub", str(sheet), "--format", fmt, "--as-of", AS_OF])
    sys.stdout.flush()
    sys.stderr.flush()
    printed_bytes = out.getvalue()
    printed, said = printed_bytes.decode("utf-8"), err.getvalue().decode("utf-8")
    assert code == 1 and "internal error" not in said and "semaine_été.csv" in said  # MOD001 on Nguyễn's line
    assert "Nguyễn Văn An" in printed and "José Peña" not in printed  # his line is clean: no finding names him
    written = tmp_path / f"written.{fmt}"
    assert run(["scrub", str(sheet), "-o", str(written), "--as-of", AS_OF]) == 1
    assert printed_bytes == written.read_bytes()
