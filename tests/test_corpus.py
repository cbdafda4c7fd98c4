"""The bad-input corpus (tests/corpus/cases.yaml) and random sheets: exact findings or exit 2,
never a traceback, every line kept in order in the annotated copy."""
from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ptcalc import load_reference
from ptcalc.scrub import RawSheet, scrub_file, scrub_sheet
from ptcalc.scrub.report import to_csv, to_json
from ptcalc.scrub.report_xlsx import write_xlsx

from .conftest import ROOT
from .test_reference import run_cli

CASES = yaml.safe_load((Path(__file__).parent / "corpus" / "cases.yaml").read_text())["cases"]
AS_OF = date(2026, 11, 22)


def text(value: object) -> str:
    """A cell as comparable text: numbers by value, dates as ISO, blanks as ''."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat(" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return str(value)
    try:
        return repr(float(value)) if str(value).strip() else ""
    except ValueError:
        return str(value)


def assert_lines_survive(source_rows: list[list[str]], output: Path, sheet: str) -> None:
    copy = openpyxl.load_workbook(output)[sheet]
    width = max((len(r) for r in source_rows), default=0)
    for r, row in enumerate(source_rows, start=1):
        kept = [text(copy.cell(r, c).value) for c in range(1, width + 1)]
        assert kept == [text(v) for v in row] + [""] * (width - len(row)), f"row {r} changed"
    assert copy.max_row <= max(len(source_rows), 1)


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_corpus_case(case: dict, tmp_path: Path) -> None:
    sheet = tmp_path / "sheet.csv"
    sheet.write_text(case["csv"])
    as_of = case.get("as_of", AS_OF)
    if case.get("exit") == 2:
        result = run_cli("scrub", str(sheet), "--format", "json", "--as-of", str(as_of))
        assert result.returncode == 2 and case["stderr"] in result.stderr, result.stderr
        assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
        return
    result = scrub_file(sheet, as_of=as_of)
    have = [(f.row, f.rule, f.status, f.message) for f in result.findings]
    for row, rule, status, words in case.get("findings", []):
        assert any(h[:3] == (row, rule, status) and words in h[3] for h in have), f"{row} {rule} {words!r}: {have}"
    for row in case.get("clean", []):
        bad = [h for h, f in zip(have, result.findings) if h[0] == row and f.status == "fail"
               and f.severity in ("error", "warning")]
        assert not bad, bad
    for row in case.get("no_findings", []):
        assert not [h for h in have if h[0] == row]
    for row, rules in (case.get("clean_of") or {}).items():
        assert not [h for h in have if h[0] == row and h[1] in rules]
    for row, rules in (case.get("only") or {}).items():
        assert sorted(h[1] for h in have if h[0] == row) == sorted(rules), have
    output = tmp_path / "sheet.scrubbed.xlsx"
    write_xlsx(result, output)
    rows = [list(r) for r in csv.reader(io.StringIO(case["csv"]))]
    assert_lines_survive(rows, output, "sheet")


def test_excel_error_cells_in_a_workbook_are_reported_not_dropped(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Charges"
    ws.append(["patient_id", "dos", "cpt", "units", "minutes", "modifiers"])
    ws.append(["P1", datetime(2026, 3, 2), 97110, "#N/A", 15, "GP"])
    ws.append(["P2", "#VALUE!", 97110.0, 1, "#DIV/0!", "GP"])
    ws.append([None] * 6)
    ws.append(["P3", datetime(2026, 3, 2), "97110", 1, 15, "GP"])
    path = tmp_path / "errors.xlsx"
    wb.save(path)
    result = scrub_file(path, as_of=AS_OF)
    messages = {(f.row, f.message) for f in result.findings if f.rule == "DAT002"}
    assert messages == {(2, "units holds the Excel error #N/A"), (3, "dos holds the Excel error #VALUE!"),
                        (3, "minutes holds the Excel error #DIV/0!")}
    assert not [f for f in result.findings if f.row == 5 and f.status == "fail"]
    write_xlsx(result, tmp_path / "out.xlsx")
    copy = openpyxl.load_workbook(tmp_path / "out.xlsx")["Charges"]
    assert [copy.cell(r, 1).value for r in range(1, 6)] == ["patient_id", "P1", "P2", None, "P3"]


def test_error_cells_are_found_all_through_a_sheet_of_many_megabytes(tmp_path: Path) -> None:
    """The error-cell scan reads the sheet's XML a megabyte at a time: cells on either side of every cut count."""
    from ptcalc.scrub.reader import read_sheet

    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("Charges")
    ws.append(["patient_id", "dos", "cpt", "units", "minutes", "modifiers", "note"])
    errors = {}
    for r in range(2, 30_002):
        row = [f"P{r}", "2026-03-02", "97110", 1, 15, "GP", "x" * 150]
        if r % 3 == 0:
            col = r % 5
            row[col] = openpyxl.cell.WriteOnlyCell(ws, value="#REF!" if r % 2 else "#N/A")
            row[col].data_type = "e"
            errors[(r - 1, col)] = "#REF!" if r % 2 else "#N/A"
        ws.append(row)
    path = tmp_path / "long.xlsx"
    wb.save(path)
    rows = read_sheet(path, "Charges").rows
    found = {(r, c): value for r, row in enumerate(rows) for c, value in enumerate(row)
             if isinstance(value, str) and value.startswith("#")}
    assert found == errors and len(errors) == 10_000


POOLS = {
    "patient_id": st.sampled_from(["P1", "P2", "P3", "", " P4 ", "=1+1", None, 12345.0]),
    "dos": st.sampled_from(["2026-03-02", "03/03/2026", "2026-02-30", "", "#N/A", None, 46085.0, "soon",
                            datetime(2026, 3, 4), date(2025, 12, 31), "2031-01-01"]),
    "cpt": st.sampled_from(["97110", "97140", "97530", "97161", "97014", "97010", "97O10", "", None, 97112.0,
                            "g0283", "97546", "#REF!", "97164", "97750"]),
    "units": st.sampled_from([1, 2, 3, 0, -1, 1.5, 40, "", None, "two", "#N/A", 1.0, "7"]),
    "minutes": st.sampled_from([15, 8, 7, 38, 0, -5, 500, "", None, "abc", 22.5, "30"]),
    "modifiers": st.sampled_from(["GP", "gp 59", "GP,KX", "GP-CQ", "", None, "ZZ", "GO", "59", "GP XU", "#N/A"]),
    "payer_type": st.sampled_from(["medicare", "commercial", "Medicare Advantage", "", "BCBS", None]),
    "payer": st.sampled_from(["Medicare Part B", "Aetna", "", None, "#N/A", "Anthem Blue Cross"]),
    "locality": st.sampled_from([None, "13202-01", "national", "#N/A", "bogus"]),
    "provider_type": st.sampled_from(["PT", "PTA", "OT", "", None, "DPT"]),
    "pta_minutes": st.sampled_from([None, 0, 10, 30, "x"]),
    "pos": st.sampled_from(["11", "02", 10.0, "", "Office"]),
    "ytd_prior": st.sampled_from([None, 0, 2400, 2470.5, "lots", -3]),
    "poc_start": st.sampled_from([None, "2026-01-02", "2025-10-01", "bad"]),
}
HEADER = list(POOLS)
row_strategy = st.one_of(st.fixed_dictionaries(POOLS).map(lambda d: [d[h] for h in HEADER]),
                         st.just([None] * len(HEADER)))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(row_strategy, min_size=0, max_size=25))
def test_random_sheets_never_crash_and_keep_one_output_row_per_input_row(rows: list, tmp_path: Path) -> None:
    sheet = RawSheet(Path("random.xlsx"), "Charges", [HEADER] + rows)
    result = scrub_sheet(sheet, load_reference(ROOT / "reference"), AS_OF)
    filled = [i + 2 for i, row in enumerate(rows) if any(v not in (None, "") and str(v).strip() for v in row)]
    lines = [line.row for line in result.lines]  # every filled row is a line or not a claim line (a reversal…)
    assert sorted(lines + list(result.not_lines)) == filled and not set(lines) & set(result.not_lines)
    assert all(2 <= f.row <= len(rows) + 1 and f.row in lines for f in result.findings)
    document = json.loads(to_json(result))  # json and csv: every finding on a real line, in row order
    assert document["summary"]["lines"] == len(lines)
    json_rows = [f["row"] for f in document["findings"]]
    csv_rows = [int(r["row"]) for r in csv.DictReader(io.StringIO(to_csv(result)))]
    assert json_rows == csv_rows == sorted(json_rows) and set(json_rows) <= set(lines)
    output = tmp_path / "random.scrubbed.xlsx"
    write_xlsx(result, output)
    copy = openpyxl.load_workbook(output)["Charges"]
    for r, row in enumerate([HEADER] + rows, start=1):
        assert [text(copy.cell(r, c).value) for c in range(1, len(HEADER) + 1)] == [text(v) for v in row]
