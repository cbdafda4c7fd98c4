"""Inputs built to break the CLI: never a traceback, exit 0/1/2 only (2 with one clear line), no line
lost or reordered, the input never changed, nothing written outside the target, and bounded time."""
from __future__ import annotations

import codecs
import csv
import hashlib
import io
import time
from pathlib import Path

import openpyxl
import pytest

from .test_reference import run_cli

AS_OF = "2026-11-22"
csv.field_size_limit(1 << 24)  # this test reads back a 200,000-character field itself
HEADER = "patient_id,dos,cpt,units,minutes,modifiers"


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


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


def test_a_stray_cell_at_the_end_of_the_sheet_is_refused_before_it_exhausts_memory(tmp_path: Path) -> None:
    book = tmp_path / "stray.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(HEADER.split(","))
    ws.append(["P1", "2026-03-02", "97110", 1, 15, "GP"])
    ws["XFD1048576"] = "x"
    wb.save(book)
    code, _, err = run_safely("scrub", str(book), "--format", "json", "--as-of", AS_OF, inputs=(book,))
    assert code == 2 and "reaches row 1,048,576 and column XFD" in err


def test_many_error_cells_are_scanned_in_linear_time(tmp_path: Path) -> None:
    book = tmp_path / "errors.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(HEADER.split(","))
    for r in range(2, 20_002):
        ws.append(["P1", "2026-03-02", "97110", "#N/A", "#N/A", "GP"])
    wb.save(book)
    started = time.monotonic()
    code, out, _ = run_safely("scrub", str(book), "--format", "json", "--as-of", AS_OF, inputs=(book,))
    assert code == 1 and time.monotonic() - started < 120  # quadratic scanning took minutes at this size


@pytest.mark.parametrize("sheet", ["Scrub Report", "O'Brien's charges"])
def test_awkward_sheet_names(sheet: str, tmp_path: Path) -> None:
    book = tmp_path / "named.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    ws.append(HEADER.split(","))
    ws.append(["P1", "2026-03-02", "97110", 2, 15, "GP"])
    wb.save(book)
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
    assert code == 2 and "bomb.yaml:2: yaml: anchors (&name) are not allowed" in err
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
