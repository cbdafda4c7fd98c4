"""The scrub from the command line: inputs, outputs, exit codes, and nothing lost or changed."""
from __future__ import annotations

import csv
import dataclasses
import hashlib
import io
import json
import re
import shutil
import subprocess
import sys
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ptcalc

from ptcalc.demo import SAMPLE, sample_csv
from ptcalc.scrub import RawSheet, scrub_file, scrub_sheet
from ptcalc.scrub.catalogue import as_markdown
from ptcalc.scrub.report import REPORT_COLUMNS, csv_field, escape_formula, write_csv
from ptcalc.scrub.rules import all_rules

from .conftest import ROOT, SHARED, requires_shared
from .test_exports import scrub_json
from .test_reference import run_cli

# A copy of the shared acceptance sheet (../shared/acceptance/scrub/basic.csv) as an input the tests own.
BASIC = ROOT / "tests" / "data" / "basic.csv"
AS_OF = "2026-11-22"


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def as_xlsx(source: Path, target: Path, sheet: str = "Charges", blank_after: int | None = None) -> Path:
    """The csv as a typed Excel sheet: numbers as numbers, dates as dates (as an EMR export would be)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    with source.open(newline="") as handle:
        for index, row in enumerate(csv.reader(handle)):
            cells = []
            for value in row:
                if index and value.replace(".", "", 1).isdigit() and not value.startswith("9") and not \
                        value.startswith("G"):
                    cells.append(float(value) if "." in value else int(value))
                elif index and len(value) == 10 and value[4] == "-":
                    cells.append(datetime.fromisoformat(value))
                elif index and value.isdigit() and value.startswith("9"):
                    cells.append(int(value))  # codes typed as numbers
                else:
                    cells.append(value)
            ws.append(cells)
            if blank_after is not None and index == blank_after:
                ws.append([])
    wb.save(target)
    return target


@requires_shared
def test_the_shared_acceptance_check_passes() -> None:
    result = subprocess.run([sys.executable, str(SHARED / "acceptance" / "check.py")], cwd=ROOT,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:]
    assert result.stdout.strip().endswith("0 failed")


def test_csv_and_xlsx_of_the_same_sheet_give_the_same_findings(tmp_path: Path) -> None:
    book = as_xlsx(BASIC, tmp_path / "basic.xlsx")
    key = lambda r: [(f.row, f.rule, f.status, f.message) for f in r.findings]  # noqa: E731
    from_csv = scrub_file(BASIC, as_of=date(2026, 11, 22))
    from_xlsx = scrub_file(book, as_of=date(2026, 11, 22))
    assert key(from_csv) == key(from_xlsx) and len(from_csv.findings) > 5


def test_every_input_line_appears_in_the_annotated_copy_in_order(tmp_path: Path) -> None:
    book = as_xlsx(BASIC, tmp_path / "basic.xlsx", blank_after=5)
    before = digest(book)
    result = run_cli("scrub", str(book), "--as-of", AS_OF)
    assert result.returncode == 1, result.stderr
    assert digest(book) == before, "the input must never be modified"
    source = openpyxl.load_workbook(book)["Charges"]
    out = openpyxl.load_workbook(tmp_path / "basic.scrubbed.xlsx")
    assert out.sheetnames == ["Charges", "Scrub Report", "Scrub Summary"]
    copy = out["Charges"]
    width = source.max_column
    assert copy.max_row == source.max_row == 20  # header, 18 lines, one blank row
    for r in range(1, source.max_row + 1):
        assert [copy.cell(r, c).value for c in range(1, width + 1)] == \
               [source.cell(r, c).value for c in range(1, width + 1)], f"row {r}"
    assert [copy.cell(1, width + i).value for i in (1, 2, 3)] == ["Scrub Status", "Findings", "Expected Units"]
    assert copy.cell(7, width + 1).value is None  # the blank row stays blank
    assert copy.cell(6, width + 1).value == "ERROR" and copy.cell(6, width + 2).value.startswith("UNT001")
    assert copy.cell(6, width + 3).value == 1  # 20 minutes: 1 unit
    assert copy.cell(6, 7).fill.fgColor.rgb.endswith("FFC7CE")  # the units cell of that line is highlighted
    assert copy.cell(8, width + 2).value.startswith("MOD001")  # below the blank row, rows keep their place
    report = out["Scrub Report"]
    findings = scrub_file(book, as_of=date(2026, 11, 22)).findings
    assert report.cell(1, 1).value == "Row" and report.max_row == len(findings) + 1
    assert [report.cell(r + 2, 2).value for r in range(len(findings))] == [f.rule for f in findings]
    summary = [c.value for row in out["Scrub Summary"].iter_rows() for c in row]
    assert "Dollars at risk (errors and warnings)" in summary and "Reference data used" in summary
    assert out["Scrub Summary"]._charts, "the summary carries the findings chart"


def test_json_is_deterministic_and_complete() -> None:
    first = run_cli("scrub", str(BASIC), "--format", "json", "--as-of", AS_OF)
    second = run_cli("scrub", str(BASIC), "--format", "json", "--as-of", AS_OF)
    assert first.returncode == 1 and first.stdout == second.stdout
    document = json.loads(first.stdout)
    assert set(document) == {"findings", "summary", "reading", "data_versions"}
    finding = document["findings"][0]
    assert set(finding) >= {"row", "rule", "name", "severity", "status", "message", "fix", "amount_at_risk",
                            "patient_id", "dos", "cpt", "source"}
    assert document["summary"]["clean"] is False and document["data_versions"]["mue"].startswith("2026 Q2")


def test_csv_report_is_escaped_against_formula_injection(tmp_path: Path) -> None:
    sheet = tmp_path / "evil.csv"
    sheet.write_text("patient_id,dos,cpt,units,minutes,modifiers\n"
                     '"=HYPERLINK(""http://x"",""click"")",2026-03-02,97110,2,20,GP\n'
                     "@SUM(1),2026-03-02,97110,1,5,GP\n")
    out = tmp_path / "report.csv"
    result = run_cli("scrub", str(sheet), "-o", str(out), "--as-of", AS_OF)
    assert result.returncode == 1, result.stderr
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert {r["patient_id"] for r in rows} == {"'=HYPERLINK(\"http://x\",\"click\")", "'@SUM(1)"}
    xlsx = tmp_path / "evil.scrubbed.xlsx"
    assert run_cli("scrub", str(sheet), "--as-of", AS_OF).returncode == 1
    cell = openpyxl.load_workbook(xlsx)["evil"]["A2"]
    assert cell.data_type == "s" and cell.value.startswith("=HYPERLINK")  # text, not a formula


@given(st.lists(st.text(alphabet=st.sampled_from(list('ab ,"=\n\r\t;') + ["é", "\u2028"]), max_size=12),
                min_size=2, max_size=5))
@settings(max_examples=300, deadline=None)
def test_csv_fields_read_back_as_written(values: list[str]) -> None:
    record = ",".join(csv_field(value) for value in values) + "\n"
    assert next(csv.reader(io.StringIO(record, newline=""))) == values
    if not any("\r" in value for value in values):  # the csv module's own writer gives the same bytes
        written = io.StringIO()
        csv.writer(written, lineterminator="\n").writerow(values)
        assert written.getvalue() == record


def test_csv_report_reads_back_as_the_findings(tmp_path: Path) -> None:
    """Every report field read back by a csv reader: patients with commas, quotes, line breaks and formula
    starts, repeated across findings (each value is escaped once and reused)."""
    sheet = tmp_path / "awkward.csv"
    patients = ['Doe, Jane', 'O"Neil', "two\nlines", "=1+1", "-P1", "cr\rhere", "Doe, Jane"]
    with sheet.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["patient_id", "dos", "cpt", "units", "minutes", "modifiers"])
        for patient in patients:
            writer.writerow([patient, "2026-03-02", "97110", 3, 20, ""])
    result = scrub_file(sheet, as_of=date(2026, 11, 22))
    out = tmp_path / "report.csv"
    write_csv(result, out)
    with out.open(newline="", encoding="utf-8") as handle:
        read = list(csv.reader(handle))
    assert read[0] == list(REPORT_COLUMNS)
    records = [finding.as_dict() for finding in result.findings]
    expected = [["" if record[c] is None else str(escape_formula(record[c])) for c in REPORT_COLUMNS]
                for record in records]
    assert read[1:] == expected and len(expected) >= 2 * len(patients)
    assert {row[8] for row in read[1:]} == {"Doe, Jane", 'O"Neil', "two\nlines", "'=1+1", "'-P1", "cr\rhere"}


def test_a_clean_sheet_exits_0(tmp_path: Path) -> None:
    sheet = tmp_path / "clean.csv"
    sheet.write_text("patient,date of service,HCPCS,Qty,Mins,Mods\nP1,03/02/2026,97110,2,30,GP\n")
    result = run_cli("scrub", str(sheet), "--format", "json", "--as-of", AS_OF)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["summary"]["clean"] is True


@pytest.mark.parametrize(("content", "args", "message"), [
    ("patient_id,dos,units\nP1,2026-03-02,1\n", (), "but no cpt (cpt may be headed cpt, hcpcs, code, procedure"),
    ("patient_id,dos,cpt code,procedure code,units\nP1,2026-03-02,97110,97112,1\n", (),   # both hold codes
     "columns C (cpt code) and D (procedure code) both mean 'cpt'"),
    ("", (), "the sheet is empty"),
])
def test_unusable_sheets_exit_2_with_one_line(tmp_path: Path, content: str, args: tuple, message: str) -> None:
    sheet = tmp_path / "bad.csv"
    sheet.write_text(content)
    result = run_cli("scrub", str(sheet), *args)
    assert result.returncode == 2
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_unknown_sheet_unreadable_file_and_missing_file_exit_2(tmp_path: Path) -> None:
    book = as_xlsx(BASIC, tmp_path / "basic.xlsx")
    result = run_cli("scrub", str(book), "--sheet", "March")
    assert result.returncode == 2 and "no sheet named 'March' (sheets: Charges)" in result.stderr
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a workbook")
    result = run_cli("scrub", str(broken))
    assert result.returncode == 2 and "not a readable Excel workbook" in result.stderr
    result = run_cli("scrub", str(tmp_path / "nothing.xlsx"))
    assert result.returncode == 2 and "no such file" in result.stderr
    for result in (run_cli("scrub", str(broken)),):
        assert "Traceback" not in result.stderr


def test_the_sheet_option_picks_a_sheet(tmp_path: Path) -> None:
    book = as_xlsx(BASIC, tmp_path / "two.xlsx", sheet="March")
    wb = openpyxl.load_workbook(book)
    wb.create_sheet("Notes", 0).append(["nothing to see"])
    wb.save(book)
    found = run_cli("scrub", str(book), "--format", "json", "--as-of", AS_OF)  # the first sheet with a header
    assert found.returncode == 1 and json.loads(found.stdout)["summary"]["sheet"] == "March"
    named = run_cli("scrub", str(book), "--sheet", "Notes", "--format", "json", "--as-of", AS_OF)
    assert named.returncode == 2 and "row 1 looks like a title ('nothing to see')" in named.stderr
    result = run_cli("scrub", str(book), "--sheet", "March", "--format", "json", "--as-of", AS_OF)
    assert result.returncode == 1 and json.loads(result.stdout)["summary"]["sheet"] == "March"


def test_refuses_to_write_over_the_input(tmp_path: Path) -> None:
    sheet = shutil.copy(BASIC, tmp_path / "basic.csv")
    result = run_cli("scrub", str(sheet), "-o", str(sheet))
    assert result.returncode == 2 and "refusing to write over the input" in result.stderr


def test_demo_scrubs_the_bundled_sample_into_the_directory(tmp_path: Path) -> None:
    result = run_cli("demo", "--directory", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "clinic_week.scrubbed.xlsx").is_file()
    assert "at risk in errors and warnings" in result.stdout and "MOD003 missing-kx" in result.stdout


def test_the_bundled_sample_is_what_the_generator_makes() -> None:
    assert SAMPLE.read_text() == sample_csv()


def test_docs_rules_md_is_generated_from_the_rules() -> None:
    assert (ROOT / "docs" / "rules.md").read_text() == as_markdown() + "\n"
    listing = run_cli("rules")
    assert listing.returncode == 0 and listing.stdout.count("\n") == len(all_rules())


def test_ptcalc_rules_names_a_rule_and_says_all_about_it_with_the_payers_that_run_it(ref_copy: Path) -> None:
    """`ptcalc rules MOD005` (as `ruff rule F401`): before, "unrecognized arguments". The payers come from the
    reference data in force: a profile that disables a rule, or changes its severity, says so."""
    card = run_cli("rules", "MOD005", "kx-below-threshold")
    assert card.returncode == 0, card.stderr
    text = " ".join(card.stdout.split())
    assert text.startswith("MOD005 missing-assistant-modifier (error) Finds: Medicare: a unit the assistant")
    assert "Payers: Traditional Medicare; Medicare Advantage Not for: Medicaid; Commercial insurance;" in text
    assert "MOD004 kx-below-threshold (warning)" in text and "Payers: Traditional Medicare Not for:" in text
    assert 'Waivable: on its line, by a scrub_override cell "MOD005: why"' in text
    assert "Waivable: no: the value is corrected in its cell" in " ".join(run_cli("rules", "dat002").stdout.split())
    payers = ref_copy / "payers.yaml"
    text = payers.read_text()
    medicaid = text.index("profile: medicaid")
    payers.write_text(text[:medicaid] + text[medicaid:].replace("severity_overrides: {}", "severity_overrides: "
                                                                "{PTP001: warning}", 1).replace(
        "disabled_rules: []", "disabled_rules: [MUE001]", 1))
    ptp = " ".join(run_cli("rules", "PTP001", "--reference", str(ref_copy)).stdout.split())
    assert "Severity: Medicaid: warning (reference/payers.yaml)" in ptp and "Not for: Self-pay" in ptp
    mue = " ".join(run_cli("rules", "MUE001", "--reference", str(ref_copy)).stdout.split())
    assert "Not for: Medicaid; Workers' compensation; Self-pay" in mue and "Severity" not in mue
    unknown = run_cli("rules", "MOD03")
    assert unknown.returncode == 2 and unknown.stdout == ""
    assert unknown.stderr.strip().splitlines() == [
        "ptcalc rules: no rule 'MOD03' (did you mean MOD003, MOD011, MOD010?); `ptcalc rules` lists them all"]


def test_ptcalc_alone_lists_its_commands_and_every_command_prints_its_help() -> None:
    """`ptcalc` with nothing after it, a person's first try: before, "error: the following arguments are required:
    COMMAND" and no list of commands."""
    alone = run_cli()
    assert alone.returncode == 2 and alone.stdout == ""
    assert "demo" in alone.stderr and "scrub a charge sheet" in alone.stderr and "Start with `ptcalc demo`" in \
        " ".join(alone.stderr.split())
    assert "required" not in alone.stderr
    for command in ("demo", "info", "scrub", "columns", "backtest", "rules", "recalc", "sync", "build-workbook",
                    "bench", "import"):
        helped = run_cli(command, "-h")
        assert helped.returncode == 0 and helped.stdout.startswith(f"usage: ptcalc {command}"), command


def test_a_payer_profile_on_the_qp_track_prices_its_lines_with_the_qp_conversion_factor() -> None:
    ref = ptcalc.load_reference(ROOT / "reference")
    sheet = RawSheet(Path("qp.csv"), "qp", [["patient_id", "dos", "cpt", "units", "minutes", "modifiers"],
                                            ["Q1", date(2026, 3, 2), "97110", 1, 15, ""]])
    amounts = {}
    for track in ("non_qp", "qp"):
        payers = tuple(dataclasses.replace(p, conversion_factor_track=track) if p.profile == "medicare" else p
                       for p in ref.payers)
        result = scrub_sheet(sheet, dataclasses.replace(ref, payers=payers, caches={}), date(2026, 11, 22))
        amounts[track] = next(f.amount_at_risk for f in result.findings if f.rule == "MOD001")
    assert amounts == {"non_qp": Decimal("29.06"), "qp": Decimal("29.20")}  # 0.87 RVU x 33.4009 / 33.5675


def test_the_annotated_workbook_reads_like_a_report(tmp_path: Path) -> None:
    source = tmp_path / "formatted.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Charges"
    ws.append(["patient_id", "dos", "cpt", "units", "minutes", "modifiers", "charge"])
    for day in (2, 3):
        ws.append(["F1", datetime(2026, 3, day), "97110", 3, 20, "GP", 150.0])  # 3 units for 20 minutes
    for row in ws.iter_rows(min_row=2):
        row[1].number_format = "mm/dd/yyyy"
        row[6].number_format = '"$"#,##0.00'
    wb.save(source)
    out = tmp_path / "formatted.scrubbed.xlsx"
    assert run_cli("scrub", str(source), "-o", str(out), "--as-of", AS_OF).returncode == 1
    book = openpyxl.load_workbook(out)
    assert book.active.title == "Scrub Summary"                          # opens on the verdict
    copy = book["Charges"]
    assert copy["B2"].number_format == "mm/dd/yyyy" and copy["G2"].number_format == '"$"#,##0.00'  # user's formats
    assert copy["B3"].number_format == "mm/dd/yyyy"                      # highlighted rows keep them too
    report = book["Scrub Report"]
    for r in range(2, report.max_row + 1):  # wrapped message and fix have room (about 77 characters a line)
        needed = max(-(-len(report.cell(r, 6).value) // 77), -(-len(report.cell(r, 7).value) // 49))
        assert report.row_dimensions[r].height >= 15 * needed, (r, report.cell(r, 6).value)
    summary = [tuple(row) for row in book["Scrub Summary"].iter_rows(values_only=True)]
    header = next(row for row in summary if row[0] == "Rule")
    assert header[3:7] == ("Failed", "Bypassed", "No data", "Dollars flagged")
    unt001 = next(row for row in summary if row[0] and str(row[0]).startswith("UNT001"))
    assert unt001[2] == "error" and unt001[3] == 2 and unt001[4] == 0    # counts under their own headers
    labels = [row[0] for row in summary if row[0]]
    assert "Dates judged as of" in labels and "As of" not in labels     # one "as of", said plainly


def test_an_output_name_that_does_not_say_xlsx_csv_or_json_is_refused(tmp_path: Path) -> None:
    result = run_cli("scrub", str(BASIC), "-o", str(tmp_path / "out.txt"), "--as-of", AS_OF)
    assert result.returncode == 2 and "must end in .xlsx, .csv or .json" in result.stderr
    assert not (tmp_path / "out.txt").exists()
    result = run_cli("scrub", str(BASIC), "-o", str(tmp_path / "out.csv"), "--format", "json", "--as-of", AS_OF)
    assert result.returncode == 2 and "make them agree" in result.stderr
    assert run_cli("scrub", str(BASIC), "-o", str(tmp_path / "out.json"), "--as-of", AS_OF).returncode == 1
    assert json.loads((tmp_path / "out.json").read_text())["findings"]


def test_every_report_row_links_to_its_line_past_excels_hyperlink_limit(tmp_path: Path, monkeypatch) -> None:
    from ptcalc.scrub import report_xlsx

    monkeypatch.setattr(report_xlsx, "URL_LIMIT", 3)  # the same path as 65,000 findings, on a small sheet
    result = scrub_file(BASIC, as_of=date(2026, 11, 22))
    out = tmp_path / "links.xlsx"
    report_xlsx.write_xlsx(result, out)
    report = openpyxl.load_workbook(out)["Scrub Report"]
    assert report.cell(2, 1).hyperlink.location.endswith(f"!A{result.findings[0].row}")
    formula = report.cell(6, 1).value
    row = result.findings[4].row
    assert formula == "=HYPERLINK(\"#'basic'!A%d\",\"%d\")" % (row, row)


def test_a_reviewer_waives_a_finding_on_its_line_with_the_reason(tmp_path: Path) -> None:
    """A `Scrub Override` cell, as a linter's noqa: the rule IDs, then why. The finding stays in the report
    (bypassed, with the reason); other rules, other lines and a waiver without a reason are not waived."""
    sheet = tmp_path / "reviewed.csv"
    sheet.write_text(
        "patient_id,dos,cpt,modifiers,units,minutes,payer_type,Scrub Override\n"
        "W1,2026-03-02,97150,GP,1,,medicare,\n"
        'W1,2026-03-02,97110,GP,3,20,medicare,"PTP001: group at 9am, 97110 alone at 2pm (see note)"\n'
        "W2,2026-03-02,97150,GP,1,,medicare,\n"
        "W2,2026-03-02,97110,GP,1,15,medicare,PTP001\n"
        "W3,2026-03-02,97150,GP,1,,medicare,\n"
        "W3,2026-03-02,97110,GP,1,15,medicare,\"ptp001 and MOD010 - reviewed by JD\"\n"
        "W4,2026-03-02,97110,GP,1,abc,medicare,DAT002: fine\n"
        "W5,2026-03-02,97110,GP,1,15,medicare,looks fine to me\n")
    code, report = scrub_json(sheet)
    found = {(f["row"], f["rule"], f["status"]) for f in report["findings"]}
    assert (3, "PTP001", "bypassed") in found and (3, "UNT001", "fail") in found  # only the rule it names
    waived = next(f for f in report["findings"] if (f["row"], f["rule"]) == (3, "PTP001"))
    assert waived["message"].endswith("waived on the sheet: group at 9am, 97110 alone at 2pm (see note)")
    assert (7, "PTP001", "bypassed") in found  # lower-case IDs, `and`, a dash
    assert {(5, "PTP001", "fail"), (5, "DAT002", "fail")} <= found  # no reason: not waived, and said so
    messages = {(f["row"], f["message"]) for f in report["findings"] if f["rule"] == "DAT002"}
    assert (5, "scrub_override: 'PTP001' gives no reason: write the rule, then why (PTP001: distinct 15-minute "
               "blocks, see note)") in messages
    assert any(row == 8 and "DAT002 cannot be waived" in m for row, m in messages)  # a bad cell is corrected
    assert any(row == 9 and "names no rule" in m for row, m in messages)
    assert (8, "DAT002", "bypassed") not in found
    assert report["reading"]["fields"]["scrub_override"] == "Scrub Override (H)"
    assert code == 1 and report["summary"]["bypassed"] == 2


@pytest.mark.parametrize(("cell", "rules", "reason"), [
    ("PTP001: distinct", {"PTP001"}, "distinct"), ("ptp001/mod010 ok", {"PTP001", "MOD010"}, "ok"),
    ("[PTP001] see note", {"PTP001"}, "see note"), ("PTP001 & MOD010 - 2nd session", {"PTP001", "MOD010"}, "2nd session"),
    ("PTP001", None, "gives no reason"), ("Reviewed PTP001", None, "names no rule"),
    ("PTP0011 x", None, "names no rule"), ("XYZ123: x", None, "XYZ123 cannot be waived"),
    ("DAT002: fine", None, "DAT002 cannot be waived")])
def test_a_waiver_cell_is_read_as_rules_then_a_reason(cell: str, rules: set[str] | None, reason: str) -> None:
    from ptcalc.errors import PtcalcInputError
    from ptcalc.scrub.lines import LineParser

    parser = LineParser({}, str, 480.0, 32, overridable=frozenset(r.id for r in all_rules() if r.overridable))
    if rules is None:
        with pytest.raises(PtcalcInputError, match=re.escape(reason)):
            parser._override(cell)
    else:
        waiver = parser._override(cell)
        assert (waiver.rules, waiver.reason) == (rules, reason)


def test_units_over_the_minutes_name_an_unlisted_service_only_where_one_would_explain_them(tmp_path: Path) -> None:
    # A service whose minutes earned no unit is not on a billing export, but the CMS rule counts its minutes: a
    # correct bill then shows one unit more than its listed minutes support. The fix says which minutes would
    # explain it; not where none would (4 units for 20 minutes), under the AMA rule (each code alone) or where the
    # sheet gives the visit's total timed minutes.
    sheet = tmp_path / "units.csv"
    sheet.write_text("Acct,DOS,CPT,Mod,Units,Minutes,Payer Type\n"
                     "U1,03/02/2026,97110,GP,2,22,Medicare\n"
                     "U2,03/02/2026,97110,GP,4,20,Medicare\n"
                     "U3,03/02/2026,97110,,2,22,Commercial\n")
    fixes = {f["row"]: f["fix"] for f in scrub_json(sheet)[1]["findings"] if f["rule"] == "UNT001"}
    assert fixes == {2: "Bill 1 unit of 97110, unless the note records another timed service of 1-7 minutes that "
                        "earned no unit (the CMS rule counts its minutes): then add it to the sheet with 0 units",
                     3: "Bill 1 unit of 97110", 4: "Bill 1 unit of 97110"}
    sheet.write_text("Acct,DOS,CPT,Mod,Units,Minutes,Total Timed Minutes\nU1,03/02/2026,97110,GP,2,22,22\n")
    assert [f["fix"] for f in scrub_json(sheet)[1]["findings"] if f["rule"] == "UNT001"] == ["Bill 1 unit of 97110"]


def test_minutes_computed_from_clock_times_are_not_a_units_mismatch(tmp_path) -> None:
    """An xlsx whose minutes a formula computed from start and end times holds 7.999999999999972 for 08:00 to 08:08
    (Excel shows 8): one unit is right. Before: UNT001 said 8 minutes support 0 units."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["patient_id", "dos", "cpt", "units", "minutes", "modifiers", "payer_type", "provider_type"])
    eight = (8 / 24 + 8 / 1440 - 8 / 24) * 1440  # what `=(End-Start)*1440` stores for 08:00 to 08:08
    assert eight != 8
    sheet.append(["P1", "2026-03-02", "97110", 1, eight, "GP", "medicare", "PT"])
    sheet.append(["P2", "2026-03-02", "97110", 1, 7.0, "GP", "medicare", "PT"])  # 7 minutes: still no unit
    book.save(tmp_path / "clock.xlsx")
    result = scrub_file(tmp_path / "clock.xlsx", as_of=date(2026, 4, 1))
    assert {f.row for f in result.findings if f.rule == "UNT001" and f.status == "fail"} == {3}
    assert result.expected_units[2] == 1


def test_units_a_sheet_computed_from_minutes_are_the_units_it_shows() -> None:
    """`=Minutes/15` can store 2 as 1.9999999999999998 (Excel writes 17 digits; the macro hands the float over).
    Before: DAT002, "not a whole number of units". A real 1.5 is still refused."""
    header = ["patient_id", "dos", "cpt", "units", "minutes", "modifiers"]
    rows = [["P1", "2026-03-02", "97110", 2 - 2 ** -52, 30.0, "GP"], ["P2", "2026-03-02", "97110", 1.5, 30.0, "GP"]]
    result = scrub_sheet(RawSheet(Path("computed.xlsx"), "Charges", [header, *rows]), as_of=date(2026, 4, 1))
    assert [line.units for line in result.lines] == [2, None]
    assert {(f.row, f.rule) for f in result.findings if f.status == "fail"} == {(3, "DAT002")}


def test_a_time_cell_of_minutes_as_xlwings_hands_it_to_the_macro_is_read_as_its_minutes_or_refused() -> None:
    """The macro reads the sheet through xlwings: a minutes cell formatted as a time (0:38) arrives as a date-time on
    Excel's day zero (classic): 38 minutes (3 units), not an unreadable value nor a time of day; a real date in
    minutes still is unreadable. As a fraction of a day (0.0264, a number), it is refused naming the time it shows:
    read as 0.03 minutes, its 3 units were an overbilling."""
    header = ["patient_id", "dos", "cpt", "modifiers", "units", "minutes", "payer", "pta_minutes"]
    rows = [["P1", datetime(2026, 3, 2), "97110", "GP", 3.0, datetime(1899, 12, 30, 0, 38), "Medicare", None],
            ["P2", datetime(2026, 3, 2), "97110", "GP", 4.0, datetime(1899, 12, 30, 0, 38), "Medicare", None],
            ["P3", datetime(2026, 3, 2), "97110", "GP", 3.0, datetime(2026, 3, 2, 0, 38), "Medicare", None],
            ["P4", 46083.0, "97110", "GP", 3.0, 38 / 1440, "Medicare", None],
            ["P5", 46083.0, "97110", "GP CQ", 3.0, 38.0, "Medicare", 38 / 1440]]
    result = scrub_sheet(RawSheet(Path("macro.xlsx"), "Charges", [header, *rows]), as_of=date(2026, 4, 1))
    assert result.status(2) == "CLEAN"
    assert [(f.rule, f.message) for f in result.by_row[3]] == [
        ("UNT001", "97110: 4 units billed for 38 minutes; the visit's 38 timed minutes support 3 units under the CMS "
                   "rule, 3 of them for 97110")]
    assert [f.rule for f in result.by_row[4]] == ["DAT002"]
    for row, field in ((5, "minutes"), (6, "pta_minutes")):
        assert [(f.rule, f.field) for f in result.by_row[row]] == [("DAT002", field)]
        assert result.by_row[row][0].message == (f"{field}: 0.026389 is less than a minute: a time cell (0:38) read "
                                                 "as its fraction of a day? Give the minutes as a number")


@pytest.mark.parametrize(("modifier", "said"), [
    ("CW", "(CO or CQ?)"), ("QC", "(CQ?)"), ("PG", "(GP?)"), ("58", "(59?)"), ("XK", "(KX?)"),
    ("GB", ""),  # one letter from GP, GO, GN, GA, GY, GZ and GX: no guess
    ("C", ""), ("ABC", "")])
def test_an_unknown_modifier_asks_about_the_therapy_modifiers_it_is_one_typo_from(modifier: str, said: str) -> None:
    header = ["patient_id", "dos", "cpt", "modifiers", "units", "minutes", "payer"]
    sheet = RawSheet(Path("m.csv"), "m", [header, ["P1", "2026-03-02", "97110", f"GP {modifier}", 1, 15, "Medicare"]])
    found = [f.message for f in scrub_sheet(sheet, as_of=date(2026, 4, 1)).findings if f.rule == "MOD008"]
    assert found == [f"modifier {modifier!r} is not a modifier ptcalc knows" + (f" {said}" if said else "")]


def test_the_summary_line_counts_one_line_as_one_line() -> None:
    from ptcalc.scrub_command import summary_line

    summary = {"lines": 1, "source": "e.csv", "lines_by_status": {"ERROR": 0, "CLEAN": 1}, "dollars_at_risk": 0}
    assert summary_line(summary, None) == "scrubbed 1 line of e.csv: 1 CLEAN; $0.00 at risk"
    assert summary_line({**summary, "lines": 2, "lines_by_status": {"CLEAN": 2}}, None).startswith("scrubbed 2 lines")
