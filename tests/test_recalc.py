"""Headless recalculation: a workbook mixing PT_* and built-in formulas, through `ptcalc recalc`."""
from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.formula import ArrayFormula
from openpyxl.worksheet.table import Table

from udfs import PT_EVAL_TIER, PT_FEE, PT_KX_CHECK, PT_UNITS
from udfs.recalc import normalise_formula

from .test_reference import run_cli


@pytest.fixture
def charge_book(tmp_path: Path) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Charges"
    ws.append(["code", "minutes", "units", "checks"])
    ws.append(["97110", 38, None])
    ws.append([97140, 7, None])
    ws.append(["97530", 14, None])
    ws["C2"] = ArrayFormula("C2:C4", "=PT_UNITS(B2:B4,A2:A4)")
    ws["D2"] = "=SUM(PT_UNITS(B2:B4,A2:A4))"
    ws["D3"] = '=IF(PT_UNITS(B4)>0,"bill it","no units")'
    ws["D4"] = '=PT_FEE(A2:A4,C2:C4,Locality,2026)'
    ws["D5"] = '=PT_KX_CHECK(2300,D4,DATE(2026,3,2),"PT")'
    ws["D6"] = '=PT_EVAL_TIER(1,3,"evolving")'
    ws["D7"] = "=_xludf.PT_UNITS(38)"
    ws["D8"] = "=ROUND(PT_FEE(A2,2,\"13202-01\",2026),0)+B2*2"
    ws["D9"] = '=PT_EVAL_TIER(1,0,"evolving")'
    ws["D10"] = "=_xldudf_XLWINGS_PT_UNITS(B3+B4)"
    ws["E2"] = datetime(2026, 3, 2)
    ws["D11"] = '=PT_FEE("97110",1,"national",E2)'
    wb.defined_names["Locality"] = DefinedName("Locality", attr_text='"13202-01"')
    path = tmp_path / "charges.xlsx"
    wb.save(path)
    return path


def test_recalc_matches_direct_engine_calls(charge_book: Path, tmp_path: Path) -> None:
    before = hashlib.sha256(charge_book.read_bytes()).hexdigest()
    out = tmp_path / "values.xlsx"
    result = run_cli("recalc", str(charge_book), "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert "1 cells evaluate to an error: Charges!D9 #VALUE!" in result.stdout
    assert "PT_EVAL_TIER: exam_elements: 0 is below 1" in result.stdout
    assert hashlib.sha256(charge_book.read_bytes()).hexdigest() == before  # input untouched

    ws = openpyxl.load_workbook(out)["Charges"]
    units = PT_UNITS([38.0, 7.0, 14.0], ["97110", 97140.0, "97530"])
    assert [ws[f"C{r}"].value for r in (2, 3, 4)] == [u[0] for u in units]
    assert ws["D2"].value == sum(u[0] for u in units)
    assert ws["D3"].value == "bill it"
    fee = PT_FEE(["97110", "97140", "97530"], [u[0] for u in units], "13202-01", 2026)
    assert ws["D4"].value == pytest.approx(fee, abs=1e-9)
    assert ws["D5"].value == PT_KX_CHECK(2300, fee, datetime(2026, 3, 2), "PT")
    assert ws["D6"].value == PT_EVAL_TIER(1, 3, "evolving") == "97162"
    assert ws["D7"].value == PT_UNITS(38.0) == 3
    assert ws["D8"].value == round(PT_FEE("97110", 2, "13202-01", 2026)) + 76
    assert ws["D9"].value == "#VALUE!"
    assert ws["D10"].value == PT_UNITS(21.0) == 1
    assert ws["D11"].value == PT_FEE("97110", 1, "national", datetime(2026, 3, 2))
    assert ws["A2"].value == "97110" and ws.parent.sheetnames == ["Charges"]
    assert "Locality" in ws.parent.defined_names


def test_structured_references_to_a_table_are_computed(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Charges"
    ws.append(["Code", "Minutes"])
    ws.append(["97110", 38])
    ws.append(["97140", 23])
    ws.add_table(Table(displayName="Visit", ref="A1:B3"))
    ws["D1"] = "=SUM(Visit[Minutes])"
    ws["D2"] = "=PT_UNITS(SUM(Visit[Minutes]))"
    ws["D3"] = "=SUM(Elsewhere[Minutes])"  # no such table
    book, out = tmp_path / "table.xlsx", tmp_path / "values.xlsx"
    wb.save(book)
    result = run_cli("recalc", str(book), "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert "1 cells evaluate to an error: Charges!D3 #NAME?" in result.stdout
    values = openpyxl.load_workbook(out)["Charges"]
    assert (values["D1"].value, values["D2"].value) == (61, PT_UNITS(61.0)) and PT_UNITS(61.0) == 4


def test_recalc_refuses_to_overwrite_its_input(charge_book: Path) -> None:
    result = run_cli("recalc", str(charge_book), "-o", str(charge_book))
    assert result.returncode == 2 and "refusing to write over the input" in result.stderr


def test_recalc_of_a_file_that_is_not_a_workbook(tmp_path: Path) -> None:
    bogus = tmp_path / "notes.xlsx"
    bogus.write_text("not a zip")
    result = run_cli("recalc", str(bogus))
    assert result.returncode == 2 and "not a readable .xlsx/.xlsm workbook" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(("formula", "expected"), [
    ("=_xludf.PT_UNITS(A1)", "=PT_UNITS(A1)"),
    ("=_xldudf_XLWINGS_PT_FEE(A1,B1)", "=PT_FEE(A1,B1)"),
    ("=[1]!PT_UNITS(A1)+[1]!PT_UNITS(A2)", "=PT_UNITS(A1)+PT_UNITS(A2)"),
    ("='ptcalc.xlam'!PT_KX_CHECK(A1)", "=PT_KX_CHECK(A1)"),
    ("=SUM(A1:A3)", "=SUM(A1:A3)"),
])
def test_prefixes_excel_writes_are_normalised(formula: str, expected: str) -> None:
    assert normalise_formula(formula) == expected


def test_the_bench_recalc_book_computes_every_pt_cell(tmp_path: Path) -> None:
    """`ptcalc bench` times this book: its figure counts only if every PT_* cell gets a real value."""
    from ptcalc.bench import write_recalc_book

    book, out = tmp_path / "bench.xlsx", tmp_path / "values.xlsx"
    write_recalc_book(book, rows=40)
    result = run_cli("recalc", str(book), "-o", str(out))
    assert result.returncode == 0 and "recalculated 80 formula cells" in result.stdout, result.stdout
    assert "evaluate to an error" not in result.stdout
    sheet = openpyxl.load_workbook(out)["Charges"]
    for row in sheet.iter_rows(min_row=2, values_only=True):
        code, minutes, locality, dos, units, fee = row
        assert units == PT_UNITS(float(minutes), code) if minutes is not None else isinstance(units, (int, float))
        assert fee == pytest.approx(PT_FEE(code, units, locality, dos))


def test_an_argument_left_out_of_a_pt_call_means_not_given_as_in_excel(tmp_path: Path) -> None:
    """Excel hands a left-out argument to a function as 'not given'; the engine alone would hand it 0
    (=PT_FEE("97110",,...) would then price zero units). Built-ins keep Excel's own rule."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws["A1"] = '=PT_FEE("97110",,"13202-01",2026)'
    ws["A2"] = '=PT_FEE("97110",,,2026)'
    ws["A3"] = "=PT_UNITS(38,)"
    ws["A4"] = '=ROUND(PT_FEE("97110", ,"13202-01",2026),0)'
    ws["A5"] = "=IF(TRUE,,1)"  # Excel: 0
    ws["B1"] = ArrayFormula("B1:B2", '=PT_UNITS(C1:C2,D1:D2,)')
    ws["C1"], ws["C2"], ws["D1"], ws["D2"] = 33, 7, "97110", "97140"
    book, out = tmp_path / "left-out.xlsx", tmp_path / "values.xlsx"
    wb.save(book)
    result = run_cli("recalc", str(book), "-o", str(out))
    assert result.returncode == 0 and "evaluate to an error" not in result.stdout, result.stdout
    values = openpyxl.load_workbook(out).active
    assert values["A1"].value == PT_FEE("97110", None, "13202-01", 2026) > 0
    assert values["A2"].value == PT_FEE("97110", None, None, 2026) == PT_FEE("97110")
    assert values["A3"].value == PT_UNITS(38.0) == 3
    assert values["A4"].value == round(PT_FEE("97110", None, "13202-01", 2026))
    assert values["A5"].value == 0
    assert [values["B1"].value, values["B2"].value] == [u[0] for u in PT_UNITS([33.0, 7.0], ["97110", "97140"])]
