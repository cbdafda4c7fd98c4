"""The shipped workbook: up to date with reference/, recalculable headlessly, synced both ways."""
from __future__ import annotations

import hashlib
import shutil
import zipfile
from datetime import datetime
from pathlib import Path

import openpyxl
from openpyxl.worksheet.formula import ArrayFormula
import pytest

from ptcalc import load_reference
from ptcalc.scrub import RawSheet, scrub_sheet
from ptcalc.scrub.columns import COLUMNS
from ptcalc.scrub.context import select_profile
from udfs import PT_EVAL_TIER, PT_FEE, PT_FEE_EXPLAIN, PT_KX_CHECK, PT_UNITS
from udfs.macros import scrub_book

from .conftest import ROOT
from .fakebook import FakeBook
from .test_reference import run_cli

SHIPPED = ROOT / "workbook" / "ptcalc.xlsm"
COL = {c.name: i + 1 for i, c in enumerate(COLUMNS)}
UNITS_COL, FEE_COL, DAY_FEE_COL, KX_COL = (len(COLUMNS) + i for i in (1, 2, 3, 4))


def _formula_text(value: object) -> object:
    """An array formula (Excel's CSE formula) as its range and text: openpyxl's objects do not compare equal."""
    return (value.ref, value.text) if isinstance(value, ArrayFormula) else value


def fingerprint(path: Path) -> dict:
    wb = openpyxl.load_workbook(path)
    sheets = {ws.title: [[_formula_text(c.value) for c in row] for row in ws.iter_rows()] for ws in wb.worksheets}
    names = {name: defined.attr_text for name, defined in wb.defined_names.items()}
    return {"order": wb.sheetnames, "sheets": sheets, "names": names}


@pytest.fixture(scope="module")
def recalculated(tmp_path_factory: pytest.TempPathFactory) -> openpyxl.Workbook:
    out = tmp_path_factory.mktemp("recalc") / "values.xlsx"
    result = run_cli("recalc", str(SHIPPED), "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert "evaluate to an error" not in result.stdout, result.stdout
    return openpyxl.load_workbook(out)


def test_the_committed_workbook_is_up_to_date_with_reference(tmp_path: Path) -> None:
    rebuilt = tmp_path / "ptcalc.xlsm"
    result = run_cli("build-workbook", "-o", str(rebuilt))
    assert result.returncode == 0, result.stderr
    assert fingerprint(rebuilt) == fingerprint(SHIPPED), "run `ptcalc build-workbook` and commit the workbook"


def test_the_workbook_keeps_the_xlwings_vba_project_and_settings() -> None:
    with zipfile.ZipFile(SHIPPED) as archive:
        assert "xl/vbaProject.bin" in archive.namelist()
    wb = openpyxl.load_workbook(SHIPPED, keep_vba=True)
    assert wb.sheetnames[:6] == ["Start", "Charges", "Evaluation", "Fee Lookup", "KX Tracker", "xlwings.conf"]
    conf = {row[0].value: row[1].value for row in wb["xlwings.conf"].iter_rows(max_row=9)}
    assert conf["UDF Modules"] == "udfs.pt_udfs"
    assert all(name.startswith("Ref_") for name in wb.sheetnames[6:]) and "Ref_FeeSchedule_2026" in wb.sheetnames
    for name in ("CPT_CODES", "MODIFIERS", "LOCALITIES", "PAYER_TYPES", "PROVIDER_TYPES", "PAYER_METHODS"):
        assert name in wb.defined_names
    formulas = [c.value for ws in wb.worksheets for row in ws.iter_rows() for c in row
                if isinstance(c.value, str) and c.value.startswith("=")]
    assert formulas


def test_every_pt_cell_recalculates_to_what_the_engine_gives(recalculated: openpyxl.Workbook) -> None:
    ref = load_reference()
    charges = recalculated["Charges"]
    checked = 0
    fees: dict[tuple, float] = {}
    rows = [r for r in range(2, charges.max_row + 1) if charges.cell(r, COL["cpt"]).value]
    for r in rows:
        value = lambda name: charges.cell(r, COL[name]).value  # noqa: E731
        fee = PT_FEE(value("cpt"), value("units"), value("locality") or "national", value("dos"), value("modifiers"))
        assert charges.cell(r, FEE_COL).value == pytest.approx(fee, abs=1e-9)
        fees[(value("patient_id"), value("dos"), r)] = fee
        checked += 1
    # Units from minutes: the visit's allocation (CMS pools a visit's timed minutes), the units the scrub expects
    visits: dict[tuple, list[int]] = {}
    for r in rows:
        kind = charges.cell(r, COL["provider_type"]).value
        discipline = "OT" if kind in ("OT", "OTA") else "SLP" if kind == "SLP" else "PT"
        visits.setdefault((charges.cell(r, COL["patient_id"]).value, charges.cell(r, COL["dos"]).value, discipline),
                          []).append(r)
    sheet = RawSheet(Path("Charges.xlsx"), "Charges",
                     [[c.value for c in row][:len(COLUMNS)] for row in charges.iter_rows(max_row=max(rows))])
    expected = scrub_sheet(sheet, ref, datetime(2026, 11, 22).date()).expected_units
    pooled = 0
    for members in visits.values():
        lines = [r for r in members if charges.cell(r, COL["minutes"]).value not in (None, "")]
        if not lines:
            continue
        method = select_profile(ref, charges.cell(lines[0], COL["payer_type"]).value or "medicare", "").unit_method
        units = PT_UNITS([charges.cell(r, COL["minutes"]).value for r in lines],
                         [charges.cell(r, COL["cpt"]).value for r in lines], method)
        assert [charges.cell(r, UNITS_COL).value for r in lines] == [u[0] for u in units]
        for r in lines:
            if ref.codes[str(charges.cell(r, COL["cpt"]).value)].timed and expected.get(r) is not None:
                assert charges.cell(r, UNITS_COL).value == expected[r], r
        line_alone = [PT_UNITS(charges.cell(r, COL["minutes"]).value, charges.cell(r, COL["cpt"]).value, method)
                      for r in lines]
        pooled += [u[0] for u in units] != line_alone
    assert pooled  # the sample has visits whose pooled units differ from each line's alone
    # Allowed for the day: PT_FEE over the patient's lines of the day (the MPPR across them), on its first line
    days: dict[tuple, list[int]] = {}
    for r in rows:
        days.setdefault((charges.cell(r, COL["patient_id"]).value, charges.cell(r, COL["dos"]).value), []).append(r)
    day_fees: dict[tuple, float] = {}
    for (patient, day), members in days.items():
        cell = lambda r, name: charges.cell(r, COL[name]).value  # noqa: E731
        allowed = PT_FEE([cell(r, "cpt") for r in members], [cell(r, "units") for r in members],
                         cell(members[0], "locality") or "national", day, [cell(r, "modifiers") for r in members])
        assert charges.cell(members[0], DAY_FEE_COL).value == pytest.approx(allowed, abs=1e-9)
        assert all(charges.cell(r, DAY_FEE_COL).value in (None, "") for r in members[1:])
        day_fees[(patient, day)] = allowed
    assert any(len(m) > 1 and day_fees[k] < sum(fees[(*k, r)] for r in m) for k, m in days.items())  # the MPPR
    for r in rows:
        value = lambda name: charges.cell(r, COL[name]).value  # noqa: E731
        if value("payer_type") not in (None, "medicare"):
            assert charges.cell(r, KX_COL).value in (None, "")
            continue
        patient, day = value("patient_id"), value("dos")
        before = sum(f for (p, d), f in day_fees.items() if p == patient and d < day)
        same_day = day_fees[(patient, day)]
        expected = PT_KX_CHECK((value("ytd_prior") or 0) + before, same_day, day, value("provider_type"))
        assert charges.cell(r, KX_COL).value == expected
    assert checked >= 30
    evaluation = recalculated["Evaluation"]
    assert evaluation["B9"].value == PT_EVAL_TIER(2, 3, "evolving", None) == "97162"
    lookup = recalculated["Fee Lookup"]
    assert lookup["B9"].value == PT_FEE("97110", 2, "national", 2026, "GP") == 51.27
    assert lookup["B10"].value == PT_FEE_EXPLAIN("97110", 2, "national", 2026, "GP")
    for r in range(13, 28):
        assert lookup.cell(r, 2).value == PT_FEE(lookup.cell(r, 1).value, 1, "national", 2026)
    tracker = recalculated["KX Tracker"]
    for r in range(5, tracker.max_row + 1):
        patient = tracker.cell(r, 1).value
        if patient:
            total = sum(f for (p, _), f in day_fees.items() if p == patient)
            assert tracker.cell(r, 5).value == pytest.approx(total)
            assert tracker.cell(r, 6).value == PT_KX_CHECK(tracker.cell(r, 4).value, tracker.cell(r, 5).value,
                                                           2026, "PT")


def test_sync_twice_changes_nothing_and_leaves_other_sheets_alone(tmp_path: Path) -> None:
    book = shutil.copy(SHIPPED, tmp_path / "book.xlsm")
    before = fingerprint(book)
    for _ in range(2):
        result = run_cli("sync", str(book))
        assert result.returncode == 0, result.stderr
        assert fingerprint(book) == before
    assert "xl/vbaProject.bin" in zipfile.ZipFile(book).namelist()
    result = run_cli("sync", str(book), "--to-yaml")
    assert result.returncode == 0 and "no changes" in result.stdout


def _row_of(ws, value: str, column: int = 1) -> int:  # noqa: ANN001
    return next(r for r in range(1, ws.max_row + 1) if ws.cell(r, column).value == value)


def test_an_edit_in_a_ref_sheet_round_trips_to_yaml_and_back(tmp_path: Path, ref_copy: Path) -> None:
    book = Path(shutil.copy(SHIPPED, tmp_path / "book.xlsm"))
    wb = openpyxl.load_workbook(book, keep_vba=True)
    wb["Ref_Thresholds"].cell(_row_of(wb["Ref_Thresholds"], "warning_margin"), 2).value = 300
    codes = wb["Ref_Codes"]
    codes.cell(_row_of(codes, "97110"), 2).value = "Therapeutic exercise (strength, range of motion)"
    fees = wb["Ref_FeeSchedule_2026"]
    fees.cell(_row_of(fees, "97110"), 4).value = 0.46  # work RVU (a correction CMS publishes mid-year)
    wb.save(book)
    result = run_cli("sync", str(book), "--to-yaml", "--reference", str(ref_copy))
    assert result.returncode == 0, result.stderr
    assert "thresholds.yaml" in result.stdout and "codes.yaml" in result.stdout
    ref = load_reference(ref_copy)
    assert ref.warning_margin == 300 and ref.codes["97110"].label.endswith("range of motion)")
    # the fee schedule's codes outside therapy, which no sheet shows (too many for a cell), stay in its YAML
    assert ref.fee_schedules[2026].rows["97110"].work == 0.46 and "99213" in ref.fee_schedules[2026].other_codes
    assert ref.other_codes == load_reference(ROOT / "reference").other_codes
    assert (ref_copy / "codes.yaml").read_text().startswith("# The PT code set")  # the header comment is kept
    assert (ref_copy / "mue.yaml").read_text() == (ROOT / "reference" / "mue.yaml").read_text()  # untouched
    fresh = Path(shutil.copy(SHIPPED, tmp_path / "fresh.xlsm"))
    assert run_cli("sync", str(fresh), "--reference", str(ref_copy)).returncode == 0
    thresholds = openpyxl.load_workbook(fresh)["Ref_Thresholds"]
    assert thresholds.cell(_row_of(thresholds, "warning_margin"), 2).value == 300


@pytest.mark.parametrize(("column", "value", "message"), [
    (3, "timd", "timing: 'timd' is not one of timed, untimed, other"),
    (1, "9711", "code: '9711' is not a CPT/HCPCS code"),
])
def test_a_bad_edit_is_refused_naming_sheet_and_cell(tmp_path: Path, ref_copy: Path, column: int, value: str,
                                                     message: str) -> None:
    book = Path(shutil.copy(SHIPPED, tmp_path / "book.xlsm"))
    wb = openpyxl.load_workbook(book, keep_vba=True)
    codes = wb["Ref_Codes"]
    row = _row_of(codes, "97110")
    codes.cell(row, column).value = value
    wb.save(book)
    before = hashlib.sha256((ref_copy / "codes.yaml").read_bytes()).hexdigest()
    result = run_cli("sync", str(book), "--to-yaml", "--reference", str(ref_copy))
    assert result.returncode == 2
    letter = "ABCDEFG"[column - 1]
    assert f"Ref_Codes!{letter}{row}:" in result.stderr and message in result.stderr, result.stderr
    assert hashlib.sha256((ref_copy / "codes.yaml").read_bytes()).hexdigest() == before


def test_the_scrub_macro_runs_on_the_shipped_workbook(tmp_path: Path) -> None:
    wb = openpyxl.load_workbook(SHIPPED, keep_vba=True)
    charges = wb["Charges"]
    before = [[c.value for c in row[:KX_COL]] for row in charges.iter_rows()]
    scrub_book(FakeBook(wb, "ptcalc.xlsm"), as_of=datetime(2026, 11, 22).date())
    assert [[c.value for c in row[:KX_COL]] for row in charges.iter_rows()] == before
    statuses = [charges.cell(r, KX_COL + 1).value for r in range(2, charges.max_row + 1)
                if charges.cell(r, COL["cpt"]).value]
    assert statuses and set(statuses) <= {"CLEAN", "INFO", "WARN", "ERROR", "NO_DATA"}
    assert {"Scrub Report", "Scrub Summary"} <= set(wb.sheetnames)


def test_the_workbooks_vba_is_the_pinned_xlwings_version() -> None:
    import re as regex

    import xlwings

    from ptcalc.workbook.build import template

    pin = regex.search(r'"xlwings==([\d.]+)"', (ROOT / "pyproject.toml").read_text()).group(1)
    assert xlwings.__version__ == pin, "the installed xlwings is not the one pyproject.toml pins"
    with zipfile.ZipFile(SHIPPED) as shipped, zipfile.ZipFile(template()) as quickstart:
        # The VBA (which loads xlwings64-<version>.dll by name) is xlwings' own, byte for byte.
        assert shipped.read("xl/vbaProject.bin") == quickstart.read("xl/vbaProject.bin")


def test_the_xlwings_conf_sheet_sets_only_the_function_module() -> None:
    ws = openpyxl.load_workbook(SHIPPED, read_only=True)["xlwings.conf"]
    rows = [row for row in ws.iter_rows(values_only=True) if any(v is not None for v in row)]
    assert rows == [("UDF Modules", "udfs.pt_udfs")]
