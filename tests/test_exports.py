"""Practice-management exports read as a person reads them (issue: real charge sheets).

Every case asserts what must be found and what must not: a false alarm on a correct line fails
the test as surely as a miss.
"""
from __future__ import annotations

import csv
import json
import re
from datetime import date, datetime, time, timedelta
from pathlib import Path

import openpyxl
import pytest

from ptcalc.errors import PtcalcInputError
from ptcalc.scrub import scrub_file

from .conftest import ROOT
from .test_reference import run_cli

AS_OF = "2026-11-22"
TITLE = ["Charge Detail Report - Riverside Physical Therapy - 03/01/2026 to 03/07/2026"]
HEADER = ["Patient Name", "Acct #", "DOS", "CPT Code", "Mod 1", "Mod 2", "Units", "Minutes", "Rendering Provider",
          "Primary Insurance", "Charge Amt"]
# 12 claim lines (sheet rows 3-14). Real mistakes: row 6 (a Medicare line without GP) and row 10 (3 units of
# 97112 for 20 minutes).
LINES = [
    ["Doe, Jane", "A1001", "03/02/2026", "97161 - PT Eval Low", "GP", "", 1, 20, "Kim Lee, DPT", "Medicare Part B", "$150.00"],
    ["Doe, Jane", "A1001", "03/02/2026", "97110 - Ther Ex", "GP", "", 2, 30, "Kim Lee, DPT", "Medicare Part B", "$110.00"],
    ["Doe, Jane", "A1001", "03/02/2026", "97140 - Manual Ther", "GP", "", 1, 12, "Kim Lee, DPT", "Medicare Part B", "$52.00"],
    ["Roe, Rich", "A1002", "3/3/2026", "97110 - Ther Ex", "", "", 1, 15, "Kim Lee, DPT", "Medicare Part B", "$55.00"],
    ["Poe, Pat", "A1003", "3/3/2026", "97530 - Ther Activ", "GO", "", 2, 30, "Sam Ortiz, OTR/L", "Medicare Part B", "$120.00"],
    ["Poe, Pat", "A1003", "3/3/2026", "97535 - Self Care", "GO", "", 1, 15, "Sam Ortiz, OTR/L", "Medicare Part B", "$55.00"],
    ["Ray, Jo", "A1004", "3/2/26", "97110 - Ther Ex", "GP", "", 1, 8, "Kim Lee, DPT", "Aetna PPO", "$55.00"],
    ["Ray, Jo", "A1004", "3/2/26", "97112 - Neuro Re-ed", "GP", "", 3, 20, "Kim Lee, DPT", "Aetna PPO", "$174.00"],
    ["Ray, Jo", "A1004", "3/2/26", "97140 - Manual Ther", "GP", "", 1, 8, "Kim Lee, DPT", "Aetna PPO", "$52.00"],
    ["Fox, Al", "A1005", "03/04/2026", "97110 - Ther Ex", "GP", "CQ", 2, 30, "Lou Baker, PTA", "Medicare Part B", "$110.00"],
    ["Fox, Al", "A1005", "03/04/2026", "97116 - Gait", "GP", "CQ", 1, 15, "Lou Baker, PTA", "Medicare Part B", "$55.00"],
    ["Kay, Bo", "A1006", "03/05/2026", "97530 - Ther Activ", "GO", "", 1, 15, "Sam Ortiz, OTR/L", "BCBS of Texas", "$60.00"],
]
FOOTER = [[""] * len(HEADER), ["", "", "", "Total", "", "", 17, "", "", "", "$1,038.00"]]
ERRORS = {(6, "MOD001"), (10, "UNT001")}  # sheet rows: title 1, header 2, lines 3-14, blank 15, totals 16


def _rows() -> list[list[object]]:
    return [TITLE + [""] * (len(HEADER) - 1), HEADER, *LINES, *FOOTER]


def export_csv(path: Path) -> Path:
    with path.open("w", newline="") as handle:
        csv.writer(handle).writerows(_rows())
    return path


def export_xlsx(path: Path) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Charge Detail"
    for row in _rows():
        ws.append([_typed(v) for v in row])
    for cells in ws.iter_rows(min_row=3, max_row=14):
        cells[2].number_format = "mm/dd/yyyy"
    wb.save(path)
    return path


def _typed(value: object) -> object:
    if isinstance(value, str) and value.count("/") == 2 and value[0].isdigit():
        month, day, year = value.split("/")
        return datetime(int(year) + (2000 if len(year) == 2 else 0), int(month), int(day))
    return value


def scrub_json(path: Path, *args: str) -> tuple[int, dict]:
    result = run_cli("scrub", str(path), "--format", "json", "--as-of", AS_OF, *args)
    assert result.stdout, result.stderr
    return result.returncode, json.loads(result.stdout)


def rows_and_rules(sheet: Path, text: str) -> set[tuple[int, str]]:
    """(sheet row, rule) of every finding on a csv written from `text`."""
    sheet.write_text(text)
    return {(f["row"], f["rule"]) for f in scrub_json(sheet)[1]["findings"]}


@pytest.mark.parametrize("make", [export_csv, export_xlsx], ids=["csv", "xlsx"])
def test_a_practice_management_export_is_read_as_a_person_reads_it(make, tmp_path: Path) -> None:
    code, report = scrub_json(make(tmp_path / f"export.{'csv' if make is export_csv else 'xlsx'}"))
    findings = report["findings"]
    assert code == 1
    assert report["summary"]["lines"] == 12                       # the 12 claim lines, no more
    assert report["summary"]["not_claim_lines"] == 1 and report["summary"]["blank_rows"] == 1
    assert report["reading"]["header_row"] == 2 and report["reading"]["title_rows"] == [1]
    assert report["reading"]["not_claim_lines"] == {"16": "Total"}
    assert {f["row"] for f in findings} <= set(range(3, 15))      # nothing on the title, blank or totals rows
    serious = {(f["row"], f["rule"]) for f in findings if f["status"] == "fail" and f["severity"] in ("error", "warning")}
    assert serious == ERRORS                                      # the real mistakes, and only them
    fields = report["reading"]["fields"]
    assert fields["patient_id"].startswith("Acct #") and fields["cpt"].startswith("CPT Code")
    assert fields["modifiers"] == "Mod 1 (E) + Mod 2 (F) (merged in order)"
    assert fields["payer"].startswith("Primary Insurance") and fields["provider_name"].startswith("Rendering")
    assert fields["patient_id"] == "Acct # (B) + Patient Name (A) (read together)"  # an account may be a family's
    assert report["reading"]["columns_not_used"] == []
    assert not [f for f in findings if f["rule"] == "DAT008"]     # every payer and provider was recognised


def test_the_export_judges_names_as_their_payer_and_discipline(tmp_path: Path) -> None:
    _, report = scrub_json(export_csv(tmp_path / "export.csv"))
    on = {}
    for f in report["findings"]:
        on.setdefault(f["row"], []).append(f)
    # Aetna (rows 9-11) is commercial: units under the AMA per-code rule, no Medicare-only rules.
    assert "under the AMA rule" in [f["message"] for f in on[10] if f["rule"] == "UNT001"][0]
    assert not {f["rule"] for r in (9, 10, 11) for f in on.get(r, [])} & {"MOD003", "MOD005", "POC001", "TEL001"}
    # Sam Ortiz, OTR/L (rows 7, 8, 14) is an OT: GO is the right modifier, nothing says otherwise.
    assert not [f for r in (7, 8, 14) for f in on.get(r, []) if f["rule"] in ("MOD001", "MOD002")]
    # Lou Baker, PTA (rows 12-13) is an assistant: CQ is expected on his units, not a finding.
    assert not [f for r in (12, 13) for f in on.get(r, []) if f["rule"] in ("MOD005", "MOD007")]


def test_a_column_map_names_headers_ptcalc_does_not_know(tmp_path: Path) -> None:
    sheet = tmp_path / "odd.csv"
    sheet.write_text("Pt Ref,Visit On,Svc,Count,Mins,Mod A,Mod B,Plan Kind\n"
                     "Z1,2026-03-02,97110,2,30,GP,,medicare\n"
                     "Z1,2026-03-02,97140,1,15,GP,59,medicare\n")
    refused = run_cli("scrub", str(sheet), "--format", "json", "--as-of", AS_OF)
    assert refused.returncode == 2 and "no header row names" in refused.stderr
    mapping = tmp_path / "map.yaml"
    mapping.write_text("Pt Ref: patient_id\nVisit On: dos\nSvc: cpt\nCount: units\nMins: minutes\n"
                       "Mod A: modifiers\nMod B: modifiers\nPlan Kind: payer_type\n")
    code, report = scrub_json(sheet, "--columns", str(mapping))
    assert code == 0 and report["summary"]["lines"] == 2
    assert report["reading"]["mapped_by_file"] == ["cpt", "dos", "minutes", "modifiers", "patient_id", "payer_type",
                                                   "units"]
    assert {f["rule"] for f in report["findings"]} == {"MOD010"}  # 59 with no edit to bypass: Mod B was read
    shown = run_cli("columns", str(sheet), "--columns", str(mapping))
    assert shown.returncode == 0 and re.search(r"\n  cpt +<- Svc \(C\)\n", shown.stdout)


def test_codes_with_descriptions_prefixes_and_glued_modifiers(tmp_path: Path) -> None:
    sheet = tmp_path / "codes.csv"
    sheet.write_text("patient_id,dos,cpt,units,minutes,modifiers\n"
                     "C1,2026-03-02,CPT 97110,1,15,GP\n"
                     "C2,2026-03-02,97110GP,1,15,\n"
                     "C3,2026-03-02,97140 - Manual therapy,1,15,GP\n")
    code, report = scrub_json(sheet)
    assert code == 0, report["findings"]
    assert not report["findings"]                                 # GP glued to the code was read as GP


def test_semicolon_csv_with_decimal_commas_and_money(tmp_path: Path) -> None:
    sheet = tmp_path / "eu.csv"
    sheet.write_text("patient_id;dos;cpt;units;minutes;modifiers;charge\n"
                     "E1;02.03.2026;97110;1;15;GP;\"1.234,50\"\n".replace("02.03.2026", "2026-03-02")
                     + "E2;2026-03-02;97110;1;7,5;GP;55,00\n")
    code, report = scrub_json(sheet)
    rows = {(f["row"], f["rule"]) for f in report["findings"]}
    assert (3, "UNT001") in rows                                  # 7,5 minutes is 7.5, not 75: under 8, no unit
    assert not [r for r in rows if r[0] == 2]                     # 1.234,50 read as money, no problem


def test_a_workbook_is_read_from_its_charges_sheet(tmp_path: Path) -> None:
    book = tmp_path / "book.xlsx"
    wb = openpyxl.Workbook()
    wb.active.title = "Start"
    wb.active.append(["Read me first"])
    charges = wb.create_sheet("Charges")
    charges.append(["patient_id", "dos", "cpt", "units", "minutes", "modifiers"])
    charges.append(["W1", datetime(2026, 3, 2), "97110", 1, 15, "GP"])
    wb.save(book)
    code, report = scrub_json(book)
    assert code == 0 and report["summary"]["sheet"] == "Charges" and report["summary"]["lines"] == 1


def test_a_roster_names_providers_without_credentials(ref_copy: Path, tmp_path: Path) -> None:
    roster = ref_copy / "providers.yaml"
    roster.write_text(roster.read_text().replace("roster: []", 'roster:\n  - {name: "Dana Whit", provider_type: PTA}\n'
                                                 '  - {npi: "1999999999", provider_type: OT}'))
    sheet = tmp_path / "roster.csv"
    sheet.write_text("Acct,DOS,CPT,Units,Minutes,Mod 1,Mod 2,Therapist,NPI,Insurance\n"
                     "R1,2026-03-02,97110,1,15,GP,CQ,Dana Whit,,Medicare\n"
                     "R2,2026-03-02,97530,1,15,GO,,Someone Else,1999999999,Medicare\n"
                     "R3,2026-03-02,97110,1,15,GP,,Dana Whit,,Medicare\n"
                     "R4,2026-03-02,97110,1,15,GP,,\"WHIT, DANA M.\",,Medicare\n")   # as an export writes her
    code, report = scrub_json(sheet, "--reference", str(ref_copy))
    rules = {(f["row"], f["rule"]) for f in report["findings"]}
    assert {(4, "MOD005"), (5, "MOD005")} <= rules      # Dana Whit is a PTA: her unit needs CQ
    assert not rules & {(2, "MOD005"), (2, "MOD007"), (3, "MOD002"), (2, "DAT008"), (3, "DAT008"), (5, "DAT008")}


def test_more_export_shapes_footers_and_names(tmp_path: Path) -> None:
    sheet = tmp_path / "shapes.csv"
    sheet.write_text("Account Number,Patient,Visit Date,CPT/HCPCS,Modifier 1,Modifier 2,Qty,Mins,Provider,Payer Name\n"
                     "M1,\"Doe, J\",03/02/2026 12:00:00 AM,97110,GP,,1,15,\"Smith, John PT\",Medicare\n"
                     "M2,\"Roe, K\",03/02/2026 12:00:00 AM,97530,GO,,1,15,\"Mary Lee, MS, OTR/L\",UHC Community Plan\n"
                     "M3,\"Poe, L\",03/02/2026 12:00:00 AM,92507,GN,,1,,\"Ann Fox, MS, CCC-SLP\",Medicare\n"
                     ",Report Total,,,,,3,,,\n"
                     "Page 1 of 1,,,,,,,,,\n")
    code, report = scrub_json(sheet)
    assert code == 0, report["findings"]
    assert report["summary"]["lines"] == 3 and report["summary"]["not_claim_lines"] == 2
    assert report["reading"]["fields"]["patient_id"].startswith("Account Number")
    assert report["reading"]["fields"]["patient_id"] == "Account Number (A) + Patient (B) (read together)"
    assert report["reading"]["columns_not_used"] == []
    assert not [f for f in report["findings"] if f["status"] == "fail" and f["severity"] in ("error", "warning")]
    assert not [f for f in report["findings"] if f["rule"] == "DAT008"]  # every payer and provider recognised


def test_a_claim_line_that_mentions_a_total_knee_is_still_judged(tmp_path: Path) -> None:
    sheet = tmp_path / "knee.csv"
    sheet.write_text("patient_id,dos,cpt,units,minutes,modifiers,note\n"
                     "K1,2026-03-02,97O10,1,15,GP,s/p total knee\n")
    code, report = scrub_json(sheet)
    assert report["summary"]["lines"] == 1 and report["summary"]["not_claim_lines"] == 0
    assert [(f["row"], f["rule"]) for f in report["findings"]] == [(2, "DAT005")]


def test_a_financial_class_column_speaks_in_payer_names_too(tmp_path: Path) -> None:
    sheet = tmp_path / "classes.csv"
    sheet.write_text("patient_id,dos,cpt,units,minutes,modifiers,Financial Class\n"
                     "F1,2026-03-02,97110,1,8,GP,Blue Cross\n"
                     "F1,2026-03-02,97140,1,8,GP,Blue Cross\n"
                     "F2,2026-03-02,97110,1,15,GP,Medicare HMO\n"
                     "F3,2026-03-02,97110,1,15,GP,Martian Health\n")
    _, report = scrub_json(sheet)
    found = {(f["row"], f["rule"]) for f in report["findings"]}
    assert (5, "DAT002") in found                                   # unknown: said on its line
    assert not {r for r in found if r[0] in (2, 3, 4)}              # Blue Cross: commercial, AMA units 1 + 1


@pytest.mark.parametrize(("kind", "payer_type"), [
    ("BC", "commercial"), ("BX", "commercial"), ("PI", "workers_comp"), ("VA", "medicare_advantage"),
    ("CHAMPUS", "medicare_advantage"), ("MCAID", "medicaid")])
def test_financial_class_abbreviations_are_payer_types(kind: str, payer_type: str) -> None:
    # Before: a DAT002 on every line of the class ("'BC' is not one of commercial, medicaid, ...")
    from ptcalc.refdata import load_reference
    from ptcalc.scrub.lines import _payer_type
    from ptcalc.scrub.names import payer_class

    assert _payer_type(payer_class(kind, load_reference())) == payer_type


def test_private_alone_is_refused_asking_whether_insurance_or_private_pay() -> None:
    """A financial class `Private` is used for both (commercial insurance, or the patient paying): before, the same
    refusal as an unknown class, listing the payer types without saying which two it could be."""
    from ptcalc.refdata import load_reference
    from ptcalc.scrub.lines import _payer_type
    from ptcalc.scrub.names import payer_class

    with pytest.raises(PtcalcInputError, match=r"^payer_type: 'Private' is private insurance \(commercial\) or "
                                               r"private pay \(self_pay\)\? Write which$"):
        _payer_type(payer_class("Private", load_reference()))


def test_a_blank_or_unreadable_payer_type_cell_takes_the_type_its_payer_name_says(tmp_path: Path) -> None:
    # Before: a blank class beside Aetna was Traditional Medicare, unsaid (MOD001 for no GP on a commercial
    # line), and `Government` beside VA CCN a DAT002.
    sheet = tmp_path / "classes.csv"
    sheet.write_text("Patient ID,Date of Service,CPT Code,Modifier(s),Units,Minutes,Primary Insurance,Insurance Type\n"
                     "C1,03/02/2026,97110,,2,30,Aetna,\n"
                     "C2,03/02/2026,97110,GP,2,30,VA CCN,Government\n"
                     "C3,03/02/2026,97110,GP,2,30,Zeta Trust,Other\n"        # neither says: the class's DAT002
                     "C4,03/02/2026,97110,,2,30,Zeta Trust,\n"               # a name ptcalc does not know: said
                     "C5,03/02/2026,97110,,2,30,,\n"                         # nothing at all: the default
                     "C6,03/02/2026,97110,,2,30,Aetna,Medicare\n")           # the class says: it counts
    _, report = scrub_json(sheet)
    found = {(f["row"], f["rule"], f["status"]): f["message"] for f in report["findings"]}
    # Rows 5-7 are judged as Traditional Medicare: MOD001 applies, no_data as no Medicare line carries GP
    # (a billing system may add it to Medicare's claims: test_the_discipline_modifiers_a_system_adds_...)
    assert set(found) == {(3, "DAT008", "fail"), (4, "DAT002", "fail"), (5, "DAT008", "fail"),
                          (5, "MOD001", "no_data"), (6, "MOD001", "no_data"), (7, "MOD001", "no_data")}
    assert found[(3, "DAT008", "fail")] == ("payer type: 'Government' is no payer type; judged by its payer 'VA CCN' "
                                            "as medicare advantage")
    assert "'Zeta Trust' is not a payer ptcalc recognises, judged as Traditional Medicare" in found[(5, "DAT008", "fail")]


def test_a_dual_eligible_class_without_a_payer_it_knows_is_traditional_medicare_said(tmp_path: Path) -> None:
    """A `Dual` financial class (Medicare and Medicaid: Medicare pays first) beside no payer name, or one ptcalc does
    not know, was a DAT002 error on every line: a correct line flagged. It is judged as Traditional Medicare, the
    line saying a D-SNP would be Medicare Advantage; a D-SNP's name still says so, and `Other` is still asked."""
    sheet = tmp_path / "duals.csv"
    sheet.write_text("Acct,DOS,CPT,Mod,Units,Minutes,Financial Class,Insurance\n"
                     "D1,03/02/2026,97110,GP,1,15,Dual,\nD2,03/02/2026,97110,GP,1,15,Dual,Zeta Trust\n"
                     "D3,03/02/2026,97110,GP,1,15,Dual,Humana Gold Plus D-SNP\nD4,03/02/2026,97110,GP,1,15,Other,\n")
    _, report = scrub_json(sheet)
    found = {(f["row"], f["rule"]): f["message"] for f in report["findings"]}
    assert set(found) == {(2, "DAT008"), (3, "DAT008"), (4, "DAT008"), (5, "DAT002")}
    assert found[(2, "DAT008")] == ("payer type: 'Dual' (a dual eligible: Medicare pays first, Medicaid last) judged "
                                    "as Traditional Medicare; no payer is named, and a dual eligible special needs "
                                    "plan (D-SNP) is Medicare Advantage")
    assert "its payer 'Zeta Trust' is not one ptcalc knows" in found[(3, "DAT008")]
    assert found[(4, "DAT008")].endswith("judged by its payer 'Humana Gold Plus D-SNP' as medicare advantage")
    # An insurer's or a Medicaid plan's name beside `Dual` is its D-SNP (Medicaid pays last): Medicare Advantage,
    # not the commercial or Medicaid rules its name alone would give
    sheet.write_text("Acct,DOS,CPT,Mod,Units,Minutes,Financial Class,Insurance\n"
                     "D1,03/02/2026,97110,GP,1,15,Dual,Aetna\nD2,03/02/2026,97110,GP,1,15,Dual,Molina Healthcare\n")
    _, report = scrub_json(sheet)
    assert [f["message"] for f in report["findings"]] == [
        "payer type: 'Dual' (a dual eligible: Medicare pays first, Medicaid last) with 'Aetna': judged as its "
        "Medicare Advantage plan for dual eligibles (a D-SNP)",
        "payer type: 'Dual' (a dual eligible: Medicare pays first, Medicaid last) with 'Molina Healthcare': judged as "
        "its Medicare Advantage plan for dual eligibles (a D-SNP)"]


@pytest.mark.parametrize(("financial_class", "payer_type"), [
    ("Self", "self_pay"), ("Charity Care", "self_pay"), ("MCARE", "medicare"), ("MED B", "medicare"),
    ("MA PLAN", "medicare_advantage"), ("HMO MEDICARE", "medicare_advantage"), ("Managed Medicare", "medicare_advantage"),
    ("MCR/MCD", "medicare"),
    # Before: COM, COMM, SP, HMO, PPO, CI, MB were DAT002 on every line of their class.
    ("COM", "commercial"), ("COMM", "commercial"), ("SP", "self_pay"), ("HMO", "commercial"), ("PPO", "commercial"),
    ("CI", "commercial"), ("MB", "medicare"), ("Managed Care", "commercial"),
    ("Private Insurance", "commercial"), ("Private Pay", "self_pay"), ("Veterans Affairs", "medicare_advantage"),
    ("Pro Bono", "self_pay")])
def test_financial_classes_as_practices_abbreviate_them(financial_class: str, payer_type: str) -> None:
    """Before: `Self`, `MCARE`, `MED B`, `MA PLAN` were unreadable (DAT002), `HMO MEDICARE` and `Managed
    Medicare` Traditional Medicare, `MCR/MCD` Medicaid."""
    from ptcalc.refdata import load_reference
    from ptcalc.scrub.lines import _payer_type
    from ptcalc.scrub.names import payer_class

    assert _payer_type(payer_class(financial_class, load_reference())) == payer_type


def test_a_credential_column_is_read_as_provider_types(tmp_path: Path) -> None:
    found = rows_and_rules(tmp_path / "credentials.csv", "patient_id,dos,cpt,units,minutes,modifiers,Credential\n"
                                                         "C1,2026-03-02,97110,1,15,GP,DPT\n"
                                                         "C2,2026-03-02,97530,1,15,GO,OTR/L\n"
                                                         "C3,2026-03-02,97110,1,15,GP,PTA\n")
    assert found == {(4, "MOD005")}                                  # the PTA's unit needs CQ; DPT and OTR/L fine


@pytest.mark.parametrize(("physical", "occupational", "speech"), [
    ("PT", "OT", "ST"), ("Physical Therapy", "Occupational Therapy", "Speech Therapy"),
    ("physical", "occupational", "Speech-Language Pathology"), ("PT", "OT", "SP"), ("PT", "OT", "Speech")])
def test_a_discipline_column_is_read_as_the_discipline_it_names(tmp_path: Path, physical: str, occupational: str,
                                                                 speech: str) -> None:
    """A Discipline column names the therapy (`ST` for speech): before, each of these was a DAT002 error."""
    found = rows_and_rules(tmp_path / "discipline.csv",
                           "patient_id,dos,cpt,units,minutes,modifiers,Discipline,Therapist\n"
                           f"D1,2026-03-02,97110,1,15,GP,{physical},Mary St Clair\n"
                           f"D2,2026-03-02,97530,1,15,GO,{occupational},Ann Lee\n"
                           f"D3,2026-03-02,92507,1,30,GN,{speech},Bo Ng\n"
                           f"D4,2026-03-02,92507,1,30,GP,{speech},Bo Ng\n")
    assert found == {(5, "MOD002")}                # GP on the speech therapist's line; the others are right


WORDY_HEADER = ["Patient Name", "Pt Acct No", "Date of Birth", "Svc Dt", "Posting Date", "Proc Code", "CPT Mod 1",
                "CPT Mod 2", "Billed Qty", "Tx Minutes", "Total Visit Minutes", "Treating Provider",
                "Referring Provider", "Primary Payor", "Secondary Insurance", "Line Item Charge", "Allowed Amount",
                "Paid Amount"]


def _wordy(line: list[object]) -> list[object]:
    """A LINES row under WORDY_HEADER, with a distractor in every column that must not be read."""
    name, acct, dos, code, mod1, mod2, units, minutes, provider, payer, charge = line
    return [name, acct, "01/15/1950", dos, "03/09/2026", code, mod1, mod2, units, minutes, 90, provider,
            "Dr. Ann Who, MD", payer, "Medicaid of Texas", charge, "$40.00", "$31.50"]


def test_headers_no_synonym_names_are_read_by_their_words(tmp_path: Path) -> None:
    sheet = tmp_path / "wordy.csv"
    with sheet.open("w", newline="") as handle:
        csv.writer(handle).writerows([TITLE, WORDY_HEADER, *map(_wordy, LINES)])
    code, report = scrub_json(sheet)
    serious = {(f["row"], f["rule"]) for f in report["findings"] if f["status"] == "fail"
               and f["severity"] in ("error", "warning")}
    assert code == 1 and report["summary"]["lines"] == 12
    assert serious == ERRORS                                   # the export's two mistakes, and only them
    fields = report["reading"]["fields"]
    assert fields["patient_id"] == "Pt Acct No (B) + Patient Name (A) (read together)"
    assert {name: source.split(" (")[0] for name, source in fields.items() if name != "modifiers"} == {
        "patient_id": "Pt Acct No", "dos": "Svc Dt", "cpt": "Proc Code", "units": "Billed Qty",
        "minutes": "Tx Minutes", "payer": "Primary Payor", "charge": "Line Item Charge",
        "provider_name": "Treating Provider", "secondary_payer": "Secondary Insurance"}  # the claim's second payer
    assert fields["modifiers"] == "CPT Mod 1 (G) + CPT Mod 2 (H) (merged in order)"
    assert [c.split(" (")[0] for c in report["reading"]["columns_not_used"]] == [
        "Date of Birth", "Posting Date", "Total Visit Minutes", "Referring Provider", "Allowed Amount", "Paid Amount"]
    assert "columns_unclear" not in report["reading"]


@pytest.mark.parametrize(("header", "field"), [
    ("Tx Minutes", "minutes"), ("TxMinutes", "minutes"), ("Treatment Time", "minutes"), ("Provider Cred", "provider_type"),
    ("Rendering Credential", "provider_type"), ("Pt Acct No", "patient_id"), ("Client ID", "patient_id"),
    ("Svc Dt", "dos"), ("Appointment Date", "dos"), ("CPTCode", "cpt"), ("Billing Code", "cpt"), ("# Units", "units"),
    ("Primary Payor", "payer"), ("Ins Plan", "payer"), ("Fin Class", "payer_type"), ("Place of Svc", "pos"),
    ("Fee Amount", "charge"), ("CPT Modifier", "modifiers"), ("Assistant Time", "pta_minutes"),
    ("Provider NPI #", "provider_npi"), ("Invoice No", "claim_id"), ("Primary Insurance Type", "payer_type"),
    ("Billed Minutes", "minutes"), ("Pat#", "patient_id"), ("Chg", "charge"), ("Line Chg", "charge"),
    ("Chg Code", "cpt"),
    # ...and what must not be read as a field: a wrong column makes false alarms on correct lines.
    ("Date of Birth", None), ("Posting Date", None), ("DOS To", None), ("Eval Date", None), ("Allowed Amount", None),
    ("Paid Amt", None), ("Unit Charge", None), ("Charge Code Description", None),
    ("Secondary Insurance", "secondary_payer"),
    ("Insurance ID", None), ("Guarantor Account", None), ("Patient Balance", None), ("Total Visit Minutes", None),
    ("Untimed Minutes", None), ("Visits Remaining", None), ("Referring Provider", None), ("Billing NPI", None),
    ("Active status", "charge_status"), ("Claim Status", "charge_status"), ("Voided", "void_flag"),
    ("POS Description", None), ("Service Location", None), ("Modified By", None), ("Void Date", None),
    ("Patient Status", None), ("Eligibility Status", None),
    ("insurance_type_id", None), ("Fin Class Code", None),
    # a key into the export's own tables is not CMS's code (WebPT's extracts: place_of_service_id 2 is no POS 02)
    ("place_of_service_id", None), ("POS ID", None), ("cpt_code_id", None), ("Procedure Code ID", None),
    ("Total Timed Minutes", "visit_timed_minutes"), ("Visit Total Timed Mins", "visit_timed_minutes"),
    ("Total Treatment Time", None), ("Total Treatment Minutes", None), ("Total Untimed Minutes", None),
    ("Service Start Date", "dos"), ("Svc Begin Dt", "dos"), ("Service End Date", None),
    ("Plan of Care Start Date", "poc_start"), ("Episode Service Start Date", None),
    ("Rev Code", "revenue_code"), ("Revenue Cd", "revenue_code"), ("UB Rev", "revenue_code"),
    ("Revenue Code Description", None), ("Rev Code Amount", None),
    # a claim's later payers are not the line's payer: the secondary or "other" insurance is its second payer
    ("Sec Ins", "secondary_payer"), ("Other Insurance", "secondary_payer"), ("Ins 2", "secondary_payer"),
    ("2nd Payer", "secondary_payer"), ("Third Party Payer", "payer"), ("3rd Party Payer", "payer"),
    ("Other Ins Type", None), ("Secondary Financial Class", None), ("Sec Fin Class", None), ("Pri Ins", "payer"),
    ("Supplemental Insurance", "secondary_payer"), ("Crossover Payer", "secondary_payer"),
    ("COB Payer", "secondary_payer"), ("Tertiary Insurance", None), ("Secondary Ins ID", None),
    # a patient's dollars toward the KX threshold are not the line's charge
    ("KX Amount Used", None), ("Prior Therapy Amount", None), ("Amount Toward Threshold", None), ("YTD Charges", None),
    ("Line Charge", "charge"),
    # a plan's start or end (of care, or of cover) is no payer
    ("Plan Start", None), ("Plan End", None), ("Plan Thru", None), ("Plan Expires", None), ("Health Plan", "payer"),
    # Rethink's and CentralReach's billing exports name the payer its funder
    ("Funder", "payer"), ("Funder Name", "payer"), ("Funder Type", "payer_type"), ("Funder ID", None),
    # a procedure code's modifiers are its modifiers, not a second code column (HL7's `Procedure Code Modifier`)
    ("Procedure Code Modifiers", "modifiers"), ("Proc Code Mods", "modifiers"), ("Billed Payer", "payer"),
    # a plan of care's period and signature as EMRs word them; not a plan before it, its status or its type
    ("POC Expiration Date", "poc_end"), ("Certification Period End", "poc_end"), ("Cert Through Date", "poc_end"),
    ("Plan of Care Expiration", "poc_end"), ("Certified Until", "poc_end"), ("Certification Period Start", "poc_start"),
    ("Care Plan Start", "poc_start"), ("MD Signature Date", "poc_certified"), ("Cert Signed On", "poc_certified"),
    ("POC Start/End", None), ("Last Cert End", None), ("Physician Signature", None), ("POC Signed By", None),
    ("Cert Status", None), ("Plan of Care Type", None), ("Case End Date", None), ("Episode End", None),
    ("Auth Expiration", None), ("Certification Number", None),
])
def test_header_words_name_a_field_or_nothing(header: str, field: str | None) -> None:
    from ptcalc.scrub.header_words import fields_by_words

    assert fields_by_words(header) == ([field] if field else [])


def test_service_dates_headed_from_and_to_as_on_a_cms_1500_are_the_date_of_service(tmp_path: Path) -> None:
    """CMS-1500's box 24A heads a line's dates `From` and `To`, and so does Kareo's encounter grid: the sheet was
    refused, "no header row names ... dos". A bare `From` of dates is the date of service and `To` its last day (a
    line over several days refused on its line); a `From` of times (a schedule's start) is no date, and the refusal
    no longer takes the data row below the header (an account number, a code) for a grid's column headings."""
    sheet = tmp_path / "encounters.csv"
    sheet.write_text("Patient ID,Primary Insurance,From,To,Procedure,Mod 1,Mod 2,Units,Minutes\n"
                     "10021,Medicare Part B,03/02/2026,03/02/2026,97110,GP,,2,30\n"
                     "10021,Medicare Part B,03/02/2026,03/02/2026,97140,GP,,1,5\n"
                     "10022,Aetna,03/02/2026,03/04/2026,97530,GP,,2,30\n")
    _, report = scrub_json(sheet)
    assert {(f["row"], f["rule"], f["status"]) for f in report["findings"]} == {(3, "UNT001", "fail"),
                                                                                (4, "DAT002", "fail")}
    assert report["reading"]["fields"]["dos"] == "From (C)" and report["reading"]["fields"]["dos_to"] == "To (D)"
    sheet.write_text("Patient ID,From,To,Procedure,Units,Minutes\n10021,9:00 AM,9:30 AM,97110,2,30\n"
                     "10022,10:00 AM,10:30 AM,97110,2,30\n")
    refused = run_cli("scrub", str(sheet), "--format", "json", "--as-of", AS_OF)
    assert refused.returncode == 2 and "no dos" in refused.stderr
    assert "head a column per code" not in refused.stderr  # a data row's account number and code are no grid


def test_webpts_charges_extract_keys_its_insurance_types_by_number(tmp_path: Path) -> None:
    """WebPT's Charges extract gives each line's insurance type as a key, `insurance_type_id` (3 = Medicare, 9 =
    Commercial, 16 = Medicare Replacement...: WebPT Analytics help): unread, every line was judged as Traditional
    Medicare, a commercial line's 59 a warning where its payer is not bound by NCCI. The keys are read as WebPT's
    table says; a number outside it leaves the column unread (no other export's numbers are guessed at)."""
    sheet = tmp_path / "charges_extract.csv"
    text = ("record_id,visit_date,cpt,patient_id,insurance_type_id,units,note_type,cpt_modifier\n"
            "1,2026-03-02,97140,501,3,1,DN,GP 59\n2,2026-03-03,97140,502,{key},1,DN,GP 59\n"
            "3,2026-03-04,97140,503,16,1,DN,GP\n")
    sheet.write_text(text.format(key=9))
    _, report = scrub_json(sheet)
    assert {(f["row"], f["severity"]) for f in report["findings"] if f["rule"] == "MOD010"} == {(2, "warning"),
                                                                                             (3, "info")}
    assert report["reading"]["fields"]["payer_type"].startswith("insurance_type_id (E) (WebPT's insurance type "
                                                                "keys: 1 HMO, 2 PPO, 3 Medicare,")
    sheet.write_text(text.format(key=18))
    _, report = scrub_json(sheet)
    assert {(f["row"], f["severity"]) for f in report["findings"] if f["rule"] == "MOD010"} == {(2, "warning"),
                                                                                             (3, "warning")}
    assert "insurance_type_id (E)" in report["reading"]["columns_not_used"]


def test_a_charge_webpts_extract_flags_removed_is_no_claim_line(tmp_path: Path) -> None:
    """WebPT's standard extract flags each record 1 = New, 2 = Modified, 3 = Removed (`export_flag`): a removed
    charge was judged, beside the line that replaced it a duplicate (DAT003) and a split timed code (UNT006)."""
    sheet = tmp_path / "charges_extract.csv"
    sheet.write_text("record_id,visit_date,cpt,patient_id,insurance_type_id,units,cpt_modifier,export_flag\n"
                     "1,2026-03-02,97110,501,3,2,GP,1\n2,2026-03-02,97110,501,3,2,GP,3\n"
                     "3,2026-03-02,97140,501,3,1,GP,2\n")
    _, report = scrub_json(sheet)
    assert {(f["row"], f["rule"]) for f in report["findings"]} == {(2, "UNT005"), (4, "UNT005")}
    assert report["reading"]["not_claim_lines"] == {"3": "removed (export_flag: 3)"}
    assert report["reading"]["fields"]["export_flag"] == "export_flag (H)"


@pytest.mark.parametrize(("header", "off", "said"), [
    ("Ins Billable", ("N", "No"), "not billed to insurance"), ("Do Not Bill", ("Y", "X"), "not billed"),
])
def test_a_charge_the_export_says_is_not_billed_to_insurance_is_no_claim_line(header: str, off: tuple[str, str],
                                                                              said: str, tmp_path: Path) -> None:
    """Fusion's charges not marked `Ins Billable` are "not printed on the claim" (the patient's statement only), and
    a `Do Not Bill` mark keeps a charge off it: judged, such a charge beside the visit's billed line of its code was
    a split timed code (UNT006) and its supply a DAT005. Kept in place as not claim lines, said why; a charge the
    column bills is judged."""
    sheet = tmp_path / "charges.csv"
    on = "Y" if header == "Ins Billable" else ""
    sheet.write_text(f"Patient,Date,CPT,Mod,Units,Minutes,{header},Insurance\n"
                     f"F1,03/02/2026,97110,GP,2,30,{on},Medicare\nF1,03/02/2026,97110,GP,1,15,{off[0]},Medicare\n"
                     f"F2,03/02/2026,A4556,,1,,{off[1]},Medicare\nF3,03/02/2026,97112,GP,2,15,{on},Medicare\n")
    _, report = scrub_json(sheet)
    assert {(f["row"], f["rule"]) for f in report["findings"]} == {(5, "UNT001")}
    assert report["reading"]["not_claim_lines"] == {"3": f"{said} ({header}: {off[0]})",
                                                    "4": f"{said} ({header}: {off[1]})"}


def test_webpts_billing_charges_extract_is_read_without_its_internal_keys(tmp_path: Path) -> None:
    """WebPT's Billing Charges extract (RevFlow) carries `place_of_service_id`, "Internal Revflow Place of Service
    ID": read as the place of service, its key 2 was POS 02, telehealth, and every line a TEL002 warning. Its keys
    are not read; its codes, split modifiers and insurance class are."""
    sheet = tmp_path / "billing_charges.csv"
    sheet.write_text(
        "record_id,patient_account_number,date_of_service,cpt_code,mod1,mod2,units,cur_insurance_code,"
        "cur_insurance_class,charge_amount,visit_id,place_of_service_id,treating_therapist_id\n"
        "1,70001,2026-03-02 00:00:00,97161,GP,,1,MCARE,Medicare,150.00,8001,2,41\n"
        "2,70001,2026-03-02 00:00:00,97110,,,2,MCARE,Medicare,120.00,8001,2,41\n"
        "3,70002,2026-03-03 00:00:00,97110,GP,,2,AETNA,Commercial,120.00,8002,2,41\n")
    _, report = scrub_json(sheet)
    assert {(f["row"], f["rule"]) for f in report["findings"] if f["status"] == "fail"} == {(3, "MOD001")}
    assert "pos" not in report["reading"]["fields"]
    assert "place_of_service_id (L)" in report["reading"]["columns_not_used"]
    assert report["reading"]["fields"]["modifiers"] == "mod1 (E) + mod2 (F) (merged in order)"


def test_an_export_with_the_visits_total_timed_minutes_judges_each_visit_on_it(tmp_path: Path) -> None:
    """An EMR records what CMS §220.3 asks of the note: the visit's total timed minutes and total treatment
    time, not each code's minutes. The total judges the visit's timed units; total treatment time (untimed
    minutes in it too) is not read; no line is no_data for lacking its own minutes."""
    sheet = tmp_path / "visits.csv"
    sheet.write_text(
        "Acct #,DOS,CPT Code,Mod 1,Units,Total Timed Minutes,Total Treatment Time,Primary Insurance\n"
        "T1,03/02/2026,97161,GP,1,38,58,Medicare Part B\n"    # eval (untimed) + 38 timed minutes = 3 units
        "T1,03/02/2026,97110,GP,2,38,58,Medicare Part B\n"
        "T1,03/02/2026,97140,GP,1,38,58,Medicare Part B\n"
        "T2,03/02/2026,97110,GP,2,20,20,Medicare Part B\n"    # 20 minutes are 1 unit: UNT001
        "T3,03/03/2026,97110,GP,1,40,40,Medicare Part B\n"    # 40 minutes are 3 units, 2 billed: UNT002 (info)
        "T3,03/03/2026,97112,GP,1,40,40,Medicare Part B\n"
        "T4,03/03/2026,97110,GP,1,,45,Medicare Part B\n")     # no total for this visit: UNT005, as before
    code, report = scrub_json(sheet)
    found = {(f["row"], f["rule"], f["status"]) for f in report["findings"]}
    assert found == {(5, "UNT001", "fail"), (6, "UNT002", "fail"), (8, "UNT005", "no_data")}
    assert report["reading"]["fields"]["visit_timed_minutes"] == "Total Timed Minutes (F)"
    assert "Total Treatment Time (G)" in report["reading"]["columns_not_used"]
    shown = run_cli("columns", str(sheet))
    assert "no minutes column: each visit's timed units are checked against its total timed minutes" in shown.stdout


VISIT_TOTALS_ON_EVERY_LINE = ("Acct,DOS,CPT,Mod,Units,Minutes,Insurance\n"
                              "V1,03/02/2026,97110,GP,2,45,Medicare\n"       # 45 minutes: 3 units, 2 + 1
                              "V1,03/02/2026,97140,GP,1,45,Medicare\n"
                              "V2,03/02/2026,97110,GP,2,38,Medicare\n"       # 38 minutes: 3 units, 2 + 1 + 0
                              "V2,03/02/2026,97112,GP,1,38,Medicare\n"
                              "V2,03/02/2026,97140,GP,0,38,Medicare\n"
                              "V3,03/03/2026,97110,GP,2,38,Medicare\n"       # 4 units for 38 minutes: UNT001
                              "V3,03/03/2026,97140,GP,2,38,Medicare\n"
                              "V4,03/03/2026,97110,GP,2,30,Medicare\n")


def test_a_minutes_column_holding_each_visits_total_on_every_line_is_read_as_the_total(tmp_path: Path) -> None:
    # Before: read per line, V1's 45 minutes counted twice (90 minutes, 6 units: UNT002 on every line of V1
    # and V2) and V3's overbilling was missed (76 minutes support 5 units).
    sheet = tmp_path / "totals.csv"
    sheet.write_text(VISIT_TOTALS_ON_EVERY_LINE)
    _, report = scrub_json(sheet)
    assert report["reading"]["fields"]["visit_timed_minutes"] == "Minutes (F)"
    assert "minutes" not in report["reading"]["fields"] and report["reading"]["minutes_are_visit_totals"]
    assert {(f["row"], f["rule"], f["status"]) for f in report["findings"]} == {(7, "UNT001", "fail")}
    assert "read as the visit's total timed minutes" in run_cli("columns", str(sheet)).stdout


@pytest.mark.parametrize("text", [
    # Minutes per line that happen to be equal: the units fit them per line (2 x 15 minutes = 2 units), not once.
    "Acct,DOS,CPT,Mod,Units,Minutes,Insurance\n"
    "E1,03/02/2026,97110,GP,1,15,Medicare\nE1,03/02/2026,97140,GP,1,15,Medicare\n"
    "E2,03/02/2026,97110,GP,2,23,Medicare\nE2,03/02/2026,97112,GP,1,23,Medicare\n",
    # One visit's units fit once, but another visit's minutes differ line to line: minutes per line.
    VISIT_TOTALS_ON_EVERY_LINE + "V5,03/04/2026,97110,GP,2,30,Medicare\nV5,03/04/2026,97140,GP,1,15,Medicare\n",
    # Only one visit of two codes says so: not enough to read a column differently.
    "Acct,DOS,CPT,Mod,Units,Minutes,Insurance\n"
    "W1,03/02/2026,97110,GP,2,45,Medicare\nW1,03/02/2026,97140,GP,1,45,Medicare\n"])
def test_minutes_per_line_are_not_taken_for_visit_totals(text: str, tmp_path: Path) -> None:
    sheet = tmp_path / "per-line.csv"
    sheet.write_text(text)
    _, report = scrub_json(sheet)
    assert report["reading"]["fields"]["minutes"] == "Minutes (F)" and "minutes_are_visit_totals" not in report["reading"]


def test_a_column_map_that_names_minutes_is_followed(tmp_path: Path) -> None:
    sheet, mapping = tmp_path / "totals.csv", tmp_path / "map.yaml"
    sheet.write_text(VISIT_TOTALS_ON_EVERY_LINE)
    mapping.write_text("Minutes: minutes\n")
    _, report = scrub_json(sheet, "--columns", str(mapping))
    assert report["reading"]["fields"]["minutes"] == "Minutes (F)" and "minutes_are_visit_totals" not in report["reading"]


def test_two_headers_whose_words_both_say_minutes_are_not_guessed_between(tmp_path: Path) -> None:
    sheet = tmp_path / "unclear.csv"
    sheet.write_text("patient_id,dos,cpt,units,modifiers,Tx Minutes,Treatment Time\n"
                     "U1,2026-03-02,97110,2,GP,30,45\n")
    _, report = scrub_json(sheet)
    assert report["reading"]["columns_unclear"] == {"minutes": ["Tx Minutes (F)", "Treatment Time (G)"]}
    assert "minutes" in report["reading"]["fields_absent"]
    assert [(f["rule"], f["status"]) for f in report["findings"]] == [("UNT005", "no_data")]  # asks, never guesses
    shown = run_cli("columns", str(sheet))
    assert "minutes: not read, Tx Minutes (F) and Treatment Time (G) could each be it" in shown.stdout


def test_a_report_grouped_by_patient_without_a_patient_column_reads_the_patient_from_its_headings(
        tmp_path: Path) -> None:
    # Before: refused ("no header row names patient_id"), though a person reads each line's patient above it.
    sheet = tmp_path / "by-patient.csv"
    sheet.write_text("Daily Charge Report,,,,,\n"
                     "DOS,CPT,Mod,Units,Minutes,Insurance\n"
                     "\"Patient: Doe, Jane (Acct 1001)\",,,,,\n"
                     "03/02/2026,97150,GP,1,30,Medicare\n"
                     "03/02/2026,97110,GP,1,15,Medicare\n"           # Jane's: 97110 beside group therapy, no 59
                     "\"Patient: Roe, Rick (Acct 1002)\",,,,,\n"
                     "03/02/2026,97110,GP,1,15,Medicare\n")          # Rick's: no pair (not Jane's visit)
    _, report = scrub_json(sheet)
    assert report["reading"]["fields"]["patient_id"] == "the patient headings (Patient: …) above the lines"
    assert report["reading"]["from_headings"] == {"patient_id": 3} and report["summary"]["lines"] == 3
    assert [(f["row"], f["rule"], f["patient_id"]) for f in report["findings"]] == [
        (5, "PTP001", "Doe, Jane (Acct 1001)")]
    assert report["reading"]["not_claim_lines"]["3"] == "a heading: 'Patient: Doe, Jane (Acct 1001)' alone, no date or code"
    # No headings and no patient column: still refused, saying what is missing
    sheet.write_text("DOS,CPT,Mod,Units,Minutes\n03/02/2026,97110,GP,1,15\n")
    result = run_cli("scrub", str(sheet), "--format", "json", "--as-of", AS_OF)
    assert result.returncode == 2 and "no patient_id" in result.stderr


def test_a_report_grouped_by_provider_without_a_provider_column_reads_each_lines_provider_from_its_heading(
        tmp_path: Path) -> None:
    # Before: the headings were only not-lines; every line was judged as a PT's, and the assistant's 97110
    # without CQ was not found.
    sheet = tmp_path / "by-provider.csv"
    sheet.write_text("Charges by Provider,,,,,,\n"
                     "Acct,DOS,CPT,Mod,Units,Minutes,Insurance\n"
                     "\"Provider: Amy Jones, DPT\",,,,,,\n"
                     "P1,03/02/2026,97110,GP,2,30,Medicare\n"
                     "\"Therapist: Kim Lee, PTA\",,,,,,\n"
                     "P2,03/02/2026,97110,GP,2,30,Medicare\n"           # the assistant's, no CQ: MOD005
                     "P3,03/02/2026,97112,GP CQ,1,15,Medicare\n"
                     "Total for Kim Lee,,,,3,,\n")
    _, report = scrub_json(sheet)
    assert report["reading"]["fields"]["provider_name"] == "the provider headings (Provider: …) above the lines"
    assert report["reading"]["from_headings"] == {"provider": 3}
    assert [(f["row"], f["rule"]) for f in report["findings"]] == [(6, "MOD005")]
    # With a provider column, a heading names no line's provider (the column does)
    sheet.write_text("Acct,DOS,CPT,Mod,Units,Minutes,Insurance,Rendering Provider\n"
                     "\"Provider: Kim Lee, PTA\",,,,,,,\n"
                     "P2,03/02/2026,97110,GP,2,30,Medicare,\"Amy Jones, DPT\"\n")
    _, report = scrub_json(sheet)
    assert report["reading"]["fields"]["provider_name"] == "Rendering Provider (H)" and report["findings"] == []


def test_a_report_grouped_by_provider_has_headings_and_subtotals_that_are_not_lines(tmp_path: Path) -> None:
    sheet = tmp_path / "grouped.csv"
    sheet.write_text("Acct,DOS,CPT,Modifiers,Units,Minutes,Primary Insurance,Charges\n"
                     "Provider: Amy Jones PT,,,,,,,\n"
                     "G1,03/02/2026,97110,GP,2,30,Medicare,$110.00\n"
                     "G1,03/02/2026,97140,GP,1,15,Medicare,$52.00\n"
                     ",,,,3,,,$162.00\n"
                     "Provider: Rob Diaz PTA,,,,,,,\n"
                     "G2,03/03/2026,97110,GP CQ,1,15,Medicare,$55.00\n"
                     ",,,,1,,,\"$1,055.00\"\n"
                     "G3,,,,2,,,\n"
                     ",,Subtotal for 97110,,3,,,\n"
                     ",,,,,,,\n")
    _, report = scrub_json(sheet)
    assert report["reading"]["not_claim_lines"] == {
        "2": "a heading: 'Provider: Amy Jones PT' alone, no date or code",
        "5": "a subtotal: amounts only, no patient, date or code",
        "6": "a heading: 'Provider: Rob Diaz PTA' alone, no date or code",
        "8": "a subtotal: amounts only, no patient, date or code", "10": "Subtotal for 97110"}
    assert report["summary"]["lines"] == 4 and report["summary"]["blank_rows"] == 1
    # The claim lines are clean; a row with a patient and units but no date or code is still a line, and says so.
    assert {(f["row"], f["rule"]) for f in report["findings"]} == {(9, "DAT001")}
    assert {f["message"] for f in report["findings"]} == {"dos is empty; the line cannot be billed",
                                                         "cpt is empty; the line cannot be billed"}


@pytest.mark.parametrize("text", ["2026-03-02", "2026/03/02", "2026.03.02", "03/02/2026", "3/2/26", "03-02-2026",
                                  "2026-03-02T00:00:00", "03/02/2026 12:00:00 AM", "20260302", 20260302, "2-Mar-26",
                                  "02-Mar-2026", "2 March 2026", "Mar 2, 2026", "March 2 2026", "Mar. 2, 2026",
                                  "2 Mar 2026 10:00 AM", "Mon 03/02/2026", "Monday, 03/02/2026", "03/02/2026 (Mon)",
                                  "Mon. 3/2/26", "03/02/2026 - 03/02/2026", "03/02/2026-03/02/2026",
                                  "03/02/2026 08:00 AM - 08:30 AM", "2026-03-02T00:00:00Z", "2026-03-02T00:00:00.000Z",
                                  "2026-03-02T09:30:00-05:00", "2026-03-02 09:30:00 +0000", "Mar-02-2026", "March-2-26",
                                  # ordinals and a clock's short a/p (before: not dates, DAT002)
                                  "March 2nd, 2026", "2nd March 2026", "03/02/26 10:00a", "03/02/2026 10:00 p.m.",
                                  # SAS's DATE9 and mainframe reports' (before: DAT002)
                                  "02MAR2026", "2Mar2026", "02mar2026 08:00"])
def test_dates_as_exports_write_them(text: object) -> None:
    from ptcalc.values import parse_date

    assert parse_date(text, "dos") == datetime(2026, 3, 2).date()


@pytest.mark.parametrize("text", ["3.2.2026", "2/30/2026", "2026-13-02", "20261302", "2-Foo-26", "Mon 2, 2026",
                                  "Ma 2, 2026", "March 32, 2026", "2026-03", "March 2026", "02MAR26", "30FEB2026",
                                  "Tue 03/02/2026", "03/02/2026 (Sun)",   # 2 March 2026 is a Monday
                                  "03/02/2026 - 03/05/2026"])             # four days: one line is one day
def test_dates_that_are_not_one_date_are_refused(text: str) -> None:
    from ptcalc.errors import PtcalcInputError
    from ptcalc.values import parse_date

    with pytest.raises(PtcalcInputError, match="dos: .* (is not a date|spans several days; a line is one date)"):
        parse_date(text, "dos")


@pytest.mark.parametrize(("value", "minutes"), [
    ("15", 15.0), ("15 min", 15.0), ("8 mins", 8.0), ("23m", 23.0), ("0:15", 15.0), ("00:15:00", 15.0),
    ("1:05", 65.0), (time(0, 15), 15.0), (timedelta(minutes=23), 23.0), ("1h 5m", 65.0), ("0h38m", 38.0),
    ("1 hr 5 min", 65.0), ("1 hour 5 minutes", 65.0)])
def test_minutes_as_exports_write_them(value: object, minutes: float) -> None:
    from ptcalc.values import parse_minutes

    assert parse_minutes(value) == minutes


def test_units_written_with_their_word_are_read_and_other_text_is_not(tmp_path: Path) -> None:
    sheet = tmp_path / "units.csv"
    sheet.write_text("Acct,DOS,CPT,Mods,Units,Minutes\nU1,03/02/2026,97110,GP,2 units,30\n"
                     "U2,03/02/2026,97110,GP,1u,15\nU3,03/02/2026,97110,GP,x2,30\nU4,03/02/2026,97110,GP,1.00 UN,15\n"
                     "U5,03/02/2026,97110,GP,2 UN,15\n")
    _, report = scrub_json(sheet)
    assert [(f["row"], f["rule"], f["message"][:20]) for f in report["findings"]] == [
        (4, "DAT002", "units: 'x2' is not a"), (6, "UNT001", "97110: 2 units bille")]  # `2 UN` read as 2 units


def test_minutes_in_the_units_column_are_refused_as_minutes_not_counted_as_units(tmp_path: Path) -> None:
    """`15 min` where the units go: read as 15 units it was DAT002's "more than 32" at best, and `2 min` passed as
    2 units. The row's own minutes beside it do not make it units: which units the claim meant is not written."""
    sheet = tmp_path / "units.csv"
    sheet.write_text("Acct,DOS,CPT,Mods,Units,Minutes\nM1,03/02/2026,97110,GP,38 min,38\n"
                     "M2,03/02/2026,97140,GP,2 min,2\nM3,03/02/2026,97112,GP,1 unit,15\n")
    _, report = scrub_json(sheet)
    assert [(f["row"], f["rule"], f["field"]) for f in report["findings"]] == [(2, "DAT002", "units"),
                                                                              (3, "DAT002", "units")]
    assert "is 38 minutes, not units" in report["findings"][0]["message"]


@pytest.mark.parametrize("value", ["15:00", "0:75", "10:05", "fifteen", "15 hours", "1 hr", "1h 75m"])
def test_minutes_that_could_mean_two_things_are_refused(value: str) -> None:
    from ptcalc.errors import PtcalcInputError
    from ptcalc.values import parse_minutes

    with pytest.raises(PtcalcInputError, match="is not a number"):  # 15:00: h:mm or mm:ss? The cell says which
        parse_minutes(value)


def test_time_cells_in_the_minutes_column_are_minutes_and_stay_durations_in_the_copy(tmp_path: Path) -> None:
    sheet = tmp_path / "times.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Charges"
    ws.append(["patient_id", "dos", "cpt", "units", "minutes", "modifiers"])
    ws.append(["T1", datetime(2026, 3, 2), "97110", 1, time(0, 15), "GP"])
    ws.append(["T1", datetime(2026, 3, 2), "97140", 1, timedelta(minutes=23), "GP"])
    ws.append(["T2", datetime(2026, 3, 2), "97110", 2, "30 min", "GP"])
    ws.append(["T3", datetime(2026, 3, 2), "97110", 1, "0:07", "GP"])
    ws["E2"].number_format = "h:mm"
    ws["E3"].number_format = "[h]:mm"
    wb.save(sheet)
    _, report = scrub_json(sheet)
    # 15 + 23 = 38 minutes support 3 units (the second for 97140); 0:07 is 7 minutes, under the 8 a unit needs.
    assert {(f["row"], f["rule"]) for f in report["findings"]} == {(3, "UNT002"), (5, "UNT001")}
    copy = tmp_path / "times.scrubbed.xlsx"
    assert run_cli("scrub", str(sheet), "-o", str(copy), "--as-of", AS_OF).returncode == 1
    cells = openpyxl.load_workbook(copy)["Charges"]
    assert [cells[c].value for c in ("E2", "E3")] == [timedelta(minutes=15), timedelta(minutes=23)]
    assert all(cells[c].number_format in ("h:mm", "[h]:mm") for c in ("E2", "E3"))  # a duration, as the user had it


@pytest.mark.parametrize(("cell", "modifiers"), [
    ("GP 59", ("GP", "59")), ("GPKX", ("GP", "KX")), ("GP59", ("GP", "59")), ("GPKXCQ", ("GP", "KX", "CQ")),
    ("[GP][59]", ("GP", "59")), ("GP.59", ("GP", "59")), ("gp:kx", ("GP", "KX")), ("N/A", ()), ("None", ()),
    ("GP5", ("GP5",)),  # an odd glued token is not guessed at: MOD008 names it
    # A description beside the modifier is no modifier; glued pairs stay pairs (an unknown one is named).
    ("GP - Physical Therapy", ("GP",)), ("GO - Occupational Therapy", ("GO",)), ("GP, 59 (distinct)", ("GP", "59")),
    ("GOCO", ("GO", "CO")), ("GPZZ", ("GP", "ZZ")),
    # The discipline named beside its modifier (before: PT and SLP were unknown modifiers, MOD008); alone, a cell's
    # `PT` stays (MOD008 names it, MOD001 asks for GP)
    ("GP (PT) 59", ("GP", "59")), ("GN - SLP", ("GN",)), ("GP - PT Plan, KX - Exceeds Threshold", ("GP", "KX")),
    ("PT", ("PT",)),
    # A description's short words are no modifiers (before: IN, THE, MET and NON, each a MOD008); after the
    # description's item ends, an unknown modifier is named again
    ("KX - Requirements specified in the medical policy have been met", ("KX",)),
    ("XU - Unusual non-overlapping service", ("XU",)), ("GP - Physical Therapy, KZ", ("GP", "KZ")),
    # a list written out as a web system's export writes it (before: '"GP"' and '"KX"', MOD008 and a MOD001)
    ('["GP", "KX"]', ("GP", "KX")), ("{GP,KX}", ("GP", "KX")), ("GP & KX", ("GP", "KX")), ("GP and 59", ("GP", "59")),
    ("GP_KX", ("GP", "KX"))])
def test_modifiers_as_exports_write_them(cell: str, modifiers: tuple[str, ...]) -> None:
    from ptcalc.refdata import load_reference
    from ptcalc.values import parse_modifiers

    assert parse_modifiers(cell, frozenset(load_reference(ROOT / "reference").modifiers)) == modifiers


def test_glued_modifiers_are_judged_as_separate_ones(tmp_path: Path) -> None:
    found = rows_and_rules(tmp_path / "glued.csv", "patient_id,dos,cpt,units,minutes,modifiers,provider_type\n"
                                                   "M1,2026-03-02,97110,1,15,GPCQ,PTA\n"
                                                   "M1,2026-03-02,97140,1,15,GP59,PT\n"
                                                   "M2,2026-03-02,97110,1,15,N/A,PT\n")
    # GP and CQ are seen on row 2 (no MOD001/MOD005/MOD008); 59 on row 3 has no edit to bypass (MOD010);
    # N/A is no modifier, so row 4 lacks GP.
    assert found == {(3, "MOD010"), (4, "MOD001")}


@pytest.mark.parametrize(("cell", "code", "glued"), [
    ("97110 - Ther Ex", "97110", ""), ("97110-Ther Ex", "97110", ""), ("97110 Therapeutic Exercise", "97110", ""),
    ("97110-GP", "97110", "GP"), ("97110-GP-59", "97110", "GP 59"), ("97110GP 59", "97110", "GP 59"),
    ("97110 - TE", "97110", ""), ("97110: Ther Ex", "97110", ""), ("Ther Ex (97110)", "97110", ""),
    ("THER EX - 97110", "97110", ""), ("CPT® 97110", "97110", ""), ("'97110", "97110", ""),
    ("Therapeutic exercise 15 min", "Therapeutic exercise 15 min", ""), ("Visit 12", "Visit 12", ""),
    # After a space: modifiers when every word is a modifier the reference knows, else a description.
    ("97110 GP", "97110", "GP"), ("97110 GP, 59", "97110", "GP 59"), ("97110 (GP)", "97110", "GP"),
    ("97110 TE", "97110", ""), ("97110 Ther Ex GP", "97110", ""), ("97110 x2", "97110", ""),
    # A dash between code and modifiers, as a hyphen or a Windows export's en dash (before: read as a description).
    ("97110 - GP", "97110", "GP"), ("97110 \u2013 GP, 59", "97110", "GP 59"), ("97110 - GP - Ther Ex", "97110", ""),
    # The code in brackets before its description (before: the whole cell, an unknown code).
    ("(97110) Ther Ex", "97110", ""), ("[97110] THER EX", "97110", ""), ("(97110) GP", "97110", "GP"),
    # After a semicolon, a slash or a comma (before: the GP was dropped as a description's)
    ("97110;GP", "97110", "GP"), ("97110/GP", "97110", "GP"), ("97110,GP 59", "97110", "GP 59"),
    ("97110/Ther Ex", "97110", "")])
def test_a_code_is_read_wherever_the_export_puts_it_in_the_cell(cell: str, code: str, glued: str) -> None:
    from ptcalc.refdata import load_reference
    from ptcalc.scrub.cells import code_of

    assert code_of(cell, frozenset(load_reference(ROOT / "reference").modifiers)) == (code, glued)


@pytest.mark.parametrize(("payer", "payer_type"), [
    ("Medicare Part B - Novitas", "medicare"), ("MCR", "medicare"), ("Cigna Medicare", "medicare_advantage"),
    ("UHC Dual Complete", "medicare_advantage"), ("Kaiser Senior Advantage", "medicare_advantage"),
    ("Tricare East", "medicare_advantage"), ("Aetna Better Health", "medicaid"), ("Amerigroup", "medicaid"),
    ("MCD", "medicaid"), ("Sedgwick", "workers_comp"), ("Auto Insurance - PIP", "workers_comp"),
    ("Aetna PPO", "commercial"), ("Cigna", "commercial"), ("Martian Health", None),
    ("Pipeline Health", None), ("Autumn Care", None),
    # An insurer's Medicaid or Medicare plan is that, not commercial; a supplement pays after Medicare.
    ("UnitedHealthcare Medicaid", "medicaid"), ("Medica Medicare", "medicare_advantage"), ("UMR", "commercial"),
    ("AARP Medicare Supplement", "medicare"), ("Mutual of Omaha Medigap", "medicare"),
    ("Tricare for Life", "medicare"),
    # Plan brands, the contractors of TRICARE and VA care, state Medicaid names, property and casualty insurers.
    ("Anthem MediBlue Access", "medicare_advantage"), ("SCAN Health Plan", "medicare_advantage"),
    ("Humana Military", "medicare_advantage"), ("TriWest Healthcare Alliance", "medicare_advantage"),
    ("Apple Health (Medicaid)", "medicaid"), ("SoonerCare", "medicaid"), ("Liberty Mutual WC", "workers_comp"),
    ("State Farm Auto", "workers_comp"), ("GEICO", "workers_comp"), ("Humana Gold Plus HMO", "medicare_advantage"),
    # Accident and personal-injury claims (before: judged as Traditional Medicare); the VA's other network.
    ("MVA", "workers_comp"), ("MVC - Progressive", "workers_comp"), ("Letter of Protection", "workers_comp"),
    ("LOP - Smith Law", "workers_comp"), ("Attorney Lien", "workers_comp"), ("Med Pay", "workers_comp"),
    ("Optum Serve (VA CCN)", "medicare_advantage"), ("Client Pay", None), ("Lopez Family Clinic", None),
    # An apostrophe joins its word (before: `Worker's Comp` read `worker s comp`, judged as Traditional Medicare).
    ("Worker's Comp", "workers_comp"), ("Workers' Comp", "workers_comp"), ("Workman\u2019s Compensation", "workers_comp"),
    ("MDCR", "medicare"), ("O'Connor Family Practice", None),
    # Dual eligibles: Medicare pays first (before: `Medicare/Medicaid` was judged as Medicaid: no KX, no CQ),
    # and a dual eligible special needs plan is Medicare Advantage.
    ("Medicare/Medicaid", "medicare"), ("MCR/MCD", "medicare"), ("Medi-Medi", "medicare"), ("QMB", "medicare"),
    ("Medicare - Medicaid secondary", "medicare"), ("UHC Dual Complete (Medicare/Medicaid)", "medicare_advantage"),
    ("Humana Medicare Medicaid D-SNP", "medicare_advantage"), ("Aetna Medicaid", "medicaid"),
    # A Medicare Advantage plan's brand beside `Medicare` (before: Traditional Medicare, KX and POC rules on it).
    ("WellCare Medicare", "medicare_advantage"), ("Medicare - WellCare", "medicare_advantage"),
    ("Medicare Part B", "medicare"), ("Railroad Medicare", "medicare"),
    # An insurer's name before its product's (before: the insurer's, commercial); public workers' comp (before:
    # unknown, judged as Traditional Medicare); more plan brands.
    ("UnitedHealthcare Community Plan", "medicaid"), ("Humana Healthy Horizons", "medicaid"),
    ("Anthem HealthKeepers Plus", "medicaid"), ("Cigna Workers Comp", "workers_comp"), ("BCBS FEP", "commercial"),
    ("Horizon BCBSNJ", "commercial"), ("UnitedHealthcare", "commercial"), ("AARP MedicareComplete", "medicare_advantage"),
    ("Highmark Freedom Blue", "medicare_advantage"), ("OWCP", "workers_comp"), ("WA L&I", "workers_comp"),
    ("Ohio BWC", "workers_comp"), ("SCIF", "workers_comp"), ("PA Medical Assistance", "medicaid"),
    ("Lilith Industries", None), ("Médicare Part B", "medicare"),  # accents off (a Windows-1252 export)
    # A plan type beside the programme's name
    ("Medicare Managed Care", "medicare_advantage"), ("Medicaid HMO", "medicaid"),
    # Humana sells no commercial medical plans since 2025: its HMO or PPO is Medicare Advantage (before: commercial,
    # judged by the AMA unit method without GP); its Medicaid plan stays Medicaid, not a dual eligible's
    ("Humana HMO", "medicare_advantage"), ("Humana", "medicare_advantage"), ("Humana Choice PPO", "medicare_advantage"),
    ("Humana Healthy Horizons in Ohio", "medicaid"),
    # Medicaid plans named without the word, and an MA plan (before: unknown, judged as Traditional Medicare)
    ("UPMC for You", "medicaid"), ("AmeriHealth Caritas Pennsylvania", "medicaid"), ("Simply Healthcare Plans", "medicaid"),
    ("Meridian Health Plan", "medicaid"), ("Passport Health Plan", "medicaid"), ("Keystone 65 HMO", "medicare_advantage"),
    # A Medicaid insurer's ACA marketplace plan is commercial (before: Medicaid, by the insurer's name)
    ("Molina Marketplace", "commercial"), ("CareSource Marketplace", "commercial"),
    # Medicare Advantage as a financial class abbreviates it (before: Traditional Medicare, by `Mcr`)
    ("Mcr Adv", "medicare_advantage"), ("MCR-ADVANTAGE", "medicare_advantage"), ("MAPD", "medicare_advantage"),
    ("MA-PD Humana", "medicare_advantage"), ("Medicare Part C", "medicare_advantage"), ("MA HMO", "medicare_advantage"),
    ("Mcr HMO", "medicare_advantage"), ("Mcr", "medicare"), ("Mcr Sec", "medicare"),
    # More plans named without their programme (before: unknown, judged as Traditional Medicare)
    ("NGS J6", "medicare"), ("AARP Supplemental", "medicare"), ("Buckeye Health Plan", "medicaid"),
    ("Peach State Health Plan", "medicaid"), ("TMHP", "medicaid"), ("CHIP", "medicaid"), ("Fidelis Care", "medicaid"),
    ("Fidelis Medicare Advantage", "medicare_advantage"), ("GHI", "commercial"), ("1199 National Benefit Fund", "commercial"),
    ("Local 32BJ", "commercial"), ("NALC Health Benefit Plan", "commercial"), ("CarePlus Health Plans", "medicare_advantage"),
    ("Devoted Health", "medicare_advantage"), ("Freedom Health", "medicare_advantage"), ("Chipotle Benefits", None),
    ("Hipster Health", None), ("Sliding Scale", "self_pay"), ("Occ Med", "workers_comp"),
    ("Concentra Occupational Health", "workers_comp"),
    ("Regence MedAdvantage", "medicare_advantage"), ("Regence BlueShield", "commercial"),
    ("Optum VACCN", "medicare_advantage"), ("Priority Partners", "medicaid"), ("Independent Health", "commercial"),
    ("MVP Health Care", "commercial"), ("American Specialty Health", "commercial"),
    # the patient pays (before: judged as Traditional Medicare, GP, KX and CQ asked of a cash visit)
    ("Patient Responsibility", "self_pay"), ("Uninsured", "self_pay"), ("Wellness Program", "self_pay"),
    ("Membership", "self_pay"), ("Courtesy", "self_pay"), ("Self Insured Plan", "commercial"),
    ("Self Funded - Meritain", "commercial"), ("C-SNP", "medicare_advantage"), ("MMP", "medicare_advantage"),
    ("Indemnity", "commercial")])
# whole words only: `pip`, `auto` are not inside others
def test_payer_names_as_exports_write_them(payer: str, payer_type: str | None) -> None:
    from ptcalc.refdata import load_reference
    from ptcalc.scrub.names import payer_type_of

    assert payer_type_of(payer, load_reference()) == payer_type


@pytest.mark.parametrize(("payer", "plan"), [
    ("Acme Health Plan", True), ("Geisinger Health Plan", True), ("Tufts HealthPlan", True),
    ("Pilgrim Health Care", True), ("Northwind Healthcare", True), ("Contoso Health Insurance", True),
    ("Acme Benefits", False), ("Planned Care Clinic", False), ("Health Partners Clinic", False), ("", False)])
def test_an_unknown_payer_whose_name_says_health_plan_is_judged_as_commercial(payer: str, plan: bool) -> None:
    from ptcalc.scrub.names import looks_like_a_health_plan

    assert looks_like_a_health_plan(payer) is plan


def test_an_unknown_health_plan_gets_no_medicare_rules_and_says_how_it_was_judged(tmp_path: Path) -> None:
    # No GP: Traditional Medicare's error (MOD001), not a commercial plan's (DAT008's fixture has the words).
    found = rows_and_rules(tmp_path / "plans.csv", "Acct,DOS,CPT,Modifiers,Units,Minutes,Primary Insurance\n"
                                                   "H1,03/06/2026,97110,,1,15,Geisinger Health Plan\n"
                                                   "H2,03/06/2026,97110,,1,15,Acme Benefits\n")
    assert found == {(2, "DAT008"), (3, "DAT008"), (3, "MOD001")}


@pytest.mark.parametrize(("provider", "provider_type"), [
    ("Kim Lee, DPT", "PT"), ("Physical Therapist", "PT"), ("Physical Therapist Assistant", "PTA"),
    ("PT Assistant", "PTA"), ("Kim Lee-PTA", "PTA"), ("Kim Lee, P.T.A.", "PTA"), ("Kim Lee, PT, ATC", "PT"),
    ("Occupational Therapy Assistant", "OTA"), ("Sam Ortiz, OT/L", "OT"), ("Ann Fox, SLP-CCC", "SLP"),
    ("Speech Language Pathologist", "SLP"),
    # Not a therapist who bills, or no credential: unrecognised (judged as a PT, and DAT008 says so).
    ("Kim Lee, PT Aide", None), ("Student PT", None), ("Kim Lee, ATC", None), ("Kim Lee", None),
    ("Tom Li, SLP-A", None), ("Tom Li, SLPA", None), ("Mia Wu, CCC-SLP", "SLP"),
    # Older degrees (before: unrecognised); a student however the word is joined (before: `PTA-student` a PTA).
    ("Bob Lee, BSPT", "PT"), ("Ann Ray LPT", "PT"), ("Mike Day PTA-Student", None),
    # Credentials joined by a slash, and `Asst` (before: unrecognised, and `PT Asst` a PT: a missing CQ unfound).
    ("Kim Lee PT/DPT", "PT"), ("PTA/LPTA", "PTA"), ("SLP/CCC", "SLP"), ("PT Asst", "PTA"), ("OT Asst.", "OTA"),
    ("Kim Lee, PT/Aide", None),
    # In brackets or after a bar, as hospital systems print a performing provider (before: unrecognised)
    ("SMITH, ANN [PT]", "PT"), ("Smith, Ann {OTR/L}", "OT"), ("Smith, Ann | PTA", "PTA"),
    ("Smith, Ann [PT Aide]", None),
    # degrees that name the profession (before: unrecognised, a DAT008 on each line); a strength coach is no therapist
    ("Bo Kim, MOT", "OT"), ("Jo Orr, MSOT", "OT"), ("Kay Ung, tDPT", "PT"), ("Ann Lee, CSCS", None)])
def test_provider_credentials_as_exports_write_them(provider: str, provider_type: str | None) -> None:
    from ptcalc.refdata import load_reference
    from ptcalc.scrub.names import provider_type_of

    assert provider_type_of(provider, None, load_reference()) == provider_type


def test_an_activity_report_with_a_totals_block_and_no_modifier_column(tmp_path: Path) -> None:
    """Shaped like a PM system's charges activity report: Primary/Secondary insurance, Dx columns, a
    posting date, and an 'Active Totals' block of labels and counts under the lines."""
    sheet = tmp_path / "activity.csv"
    sheet.write_text("Acct,Patient Name,Date of Service,CPT,Units,Amount,Dx1,Primary,Secondary,Date Posted,Provider\n"
                     "1001,\"Doe, Jane\",03/02/2026,97110,2,$110.00,M54.5,Medicare,AARP Supplement,03/03/2026,"
                     "\"Lee, Kim PT\"\n"
                     "1002,\"Roe, Al\",03/02/2026,97530,1,$60.00,M25.5,Aetna,,03/03/2026,\"Lee, Kim PT\"\n"
                     "Active Totals,,,,,,,,,,\n"
                     "Accounts,2,,,,,,,,,\n"
                     "Units,3,,,,,,,,,\n"
                     "Total Charge Amount,$170.00,,,,,,,,,\n")
    code, report = scrub_json(sheet)
    assert report["summary"]["lines"] == 2 and list(report["reading"]["not_claim_lines"]) == ["4", "5", "6", "7"]
    assert report["reading"]["fields"]["payer"] == "Primary (H)"           # not Secondary, not the Dx
    both = tmp_path / "both.csv"
    both.write_text("patient_id,dos,cpt,units,Primary,Primary Insurance\nB1,2026-03-02,97110,1,Y,Aetna\n")
    assert scrub_json(both)[1]["reading"]["fields"]["payer"] == "Primary Insurance (F)"  # the named one wins
    assert [c.split(" (")[0] for c in report["reading"]["columns_not_used"]] == [
        "Patient Name", "Dx1", "Secondary", "Date Posted"]
    # No modifiers column: whether GP is on the claim is unknown, not missing (no_data, no dollars at risk).
    gp = [f for f in report["findings"] if f["rule"] == "MOD001"]
    assert [(f["row"], f["status"], f["amount_at_risk"]) for f in gp] == [(2, "no_data", None)]
    assert gp[0]["message"].startswith("the sheet gives no modifiers (no column, or one no line fills); if the claim "
                                       "has none either: 97110")
    assert code == 0 and not [f for f in report["findings"] if f["status"] == "fail"]


def test_a_missing_modifier_is_still_a_failure_where_the_sheet_has_modifiers(tmp_path: Path) -> None:
    sheet = tmp_path / "mods.csv"
    sheet.write_text("patient_id,dos,cpt,units,minutes,modifiers\nN1,2026-03-02,97110,1,15,\n")
    _, report = scrub_json(sheet)
    assert [(f["rule"], f["status"]) for f in report["findings"]] == [("MOD001", "fail")]


def test_voided_and_inactive_charges_are_not_claim_lines(tmp_path: Path) -> None:
    sheet = tmp_path / "void.csv"
    sheet.write_text("Acct,DOS,CPT,Modifiers,Units,Minutes,Primary,Active status,Voided\n"
                     "V1,03/02/2026,97110,GP,2,30,Medicare,Active,\n"
                     "V1,03/02/2026,97110,GP,2,30,Medicare,Inactive,\n"   # the same charge, entered twice, one voided
                     "V2,03/02/2026,97140,GP,1,15,Medicare,Active,Y\n"
                     "V3,03/02/2026,97530,GP,1,15,Medicare,Billed,N\n")
    code, report = scrub_json(sheet)
    assert report["reading"]["not_claim_lines"] == {"3": "voided (Active status: Inactive)", "4": "voided (Voided: Y)"}
    assert report["summary"]["lines"] == 2 and code == 0
    assert not report["findings"]   # no duplicate-line finding on the voided copy of row 2


def test_an_appointment_that_did_not_happen_is_no_claim_line(tmp_path: Path) -> None:
    """An export of appointments with their codes (Rethink's billing export: `Appt Status`, "best practice ... only
    pull for complete appointments") lists no-shows and late cancellations with the codes booked: each was judged,
    a second visit of the same codes. Kept as "no service"; a cancelled one is voided as before."""
    sheet = tmp_path / "appointments.csv"
    sheet.write_text("Client ID,Date of Service,CPT,Mod,Units,Minutes,Appt Status,Funder\n"
                     "R1,03/02/2026,97110,GP,2,30,Complete,Medicare\nR1,03/02/2026,97110,GP,2,30,No Show,Medicare\n"
                     "R2,03/02/2026,97110,GP,2,30,Late Cancel,Medicare\n"
                     "R3,03/02/2026,97110,GP,2,30,Cancelled,Medicare\n")
    _, report = scrub_json(sheet)
    assert not report["findings"] and report["summary"]["lines"] == 1
    assert report["reading"]["not_claim_lines"] == {"3": "no service (Appt Status: No Show)",
                                                    "4": "no service (Appt Status: Late Cancel)",
                                                    "5": "voided (Appt Status: Cancelled)"}


def test_an_inactive_status_voids_a_charge_only_under_an_active_status_header(tmp_path: Path) -> None:
    sheet = tmp_path / "status.csv"
    sheet.write_text("patient_id,dos,cpt,units,minutes,modifiers,Status\n"
                     "S1,2026-03-02,97110,1,15,GP,Inactive\n"     # a discharged patient's charge still goes out
                     "S2,2026-03-02,97110,1,15,GP,Voided\n")
    _, report = scrub_json(sheet)
    assert report["reading"]["not_claim_lines"] == {"3": "voided (Status: Voided)"}
    assert report["summary"]["lines"] == 1


def test_a_report_printing_each_visit_once_carries_its_cells_down_to_the_visits_lines(tmp_path: Path) -> None:
    sheet = tmp_path / "visits.csv"
    sheet.write_text("Acct,DOS,CPT,Modifiers,Units,Minutes,Primary Insurance,Rendering Provider\n"
                     "1001,03/02/2026,97110,GP,2,30,Aetna,\"Jones, Amy PT\"\n"
                     ",,97140,GP,1,15,,\n"                   # Aetna's visit: judged as Aetna, not Medicare
                     "1002,03/02/2026,97110,GP,1,15,Medicare,\"Jones, Amy PT\"\n"
                     ",,97140,,1,15,,\n"                     # Medicare's visit; its own modifiers are its own
                     "Subtotal,,,,5,,,\n"
                     ",,97110,GP,1,15,,\n")                  # after a subtotal: no visit to belong to
    _, report = scrub_json(sheet)
    found = {(f["row"], f["rule"]) for f in report["findings"]}
    assert found == {(3, "DAT008"), (5, "DAT008"), (5, "MOD001"), (7, "DAT001")}
    assert report["reading"]["defaults_applied"] == {"carried down": 2}
    assert report["summary"]["lines"] == 5


def test_carried_cells_continue_across_the_reading_chunks(tmp_path: Path, monkeypatch) -> None:
    import ptcalc.scrub.runner as runner

    monkeypatch.setattr(runner, "CHUNK_ROWS", 2)  # the visit's second line starts the second chunk
    sheet = tmp_path / "chunks.csv"
    sheet.write_text("patient_id,dos,cpt,units,minutes,modifiers,payer\n"
                     "X0,2026-03-02,97110,1,15,GP,Medicare\n"
                     "X1,2026-03-02,97110,1,15,GP,Aetna\n"
                     ",,97140,1,15,GP,\n")
    result = runner.scrub_file(sheet, as_of=datetime(2026, 11, 22).date())
    assert {(f.row, f.rule) for f in result.findings} == {(4, "DAT008")}
    assert result.lines[-1].patient_id == "X1" and result.lines[-1].payer_type == "commercial"


@pytest.mark.parametrize("suffix", [".txt", ".tsv"])
def test_a_tab_delimited_text_export_is_read_like_a_csv(tmp_path: Path, suffix: str) -> None:
    sheet = tmp_path / f"export{suffix}"
    sheet.write_text("Acct\tDOS\tCPT\tMod 1\tUnits\tMinutes\tPrimary Insurance\n"
                     "T1\t03/02/2026\t97110\tGP\t2\t30\tMedicare\n"
                     "T1\t03/02/2026\t97140\t\t1\t15\tMedicare\n")
    code, report = scrub_json(sheet)
    assert report["summary"]["lines"] == 2
    assert [(f["row"], f["rule"]) for f in report["findings"]] == [(3, "MOD001")]   # GP missing on the second


def test_a_text_file_that_is_an_837_is_read_as_claims(tmp_path: Path) -> None:
    claims = tmp_path / "claims.txt"
    claims.write_bytes((ROOT / "ptcalc" / "samples" / "claims_week.837").read_bytes())
    _, report = scrub_json(claims)
    assert report["summary"]["lines"] == 115 and "claim_id" in report["findings"][0]


def _two_row_export(path: Path, top: list[object], names: list[object], lines: list[list[object]],
                    merge: str | None = None) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Charge Detail Report"])
    ws.append([])
    ws.append(top)
    ws.append(names)
    if merge:
        ws.merge_cells(merge)
    for line in lines:
        ws.append(line)
    wb.save(path)
    return path


def test_a_line_whose_service_period_spans_several_days_is_refused_not_judged_as_its_first_day(
        tmp_path: Path) -> None:
    # `From DOS` / `To DOS`: 8 units over five days. Before: judged as 8 units on 03/02 (MUE001, a false error
    # per day) with `To DOS` unused; now refused on its date, as an 837's RD8 range is.
    found = rows_and_rules(tmp_path / "periods.csv", "Acct,From DOS,To DOS,CPT,Mod,Units,Minutes\n"
                           "R1,03/02/2026,03/02/2026,97110,GP,2,30\n"
                           "R2,03/02/2026,03/06/2026,97110,GP,8,120\n"
                           "R3,03/02/2026,,97110,GP,2,30\n")         # no end: the day it starts
    assert found == {(3, "DAT002")}
    _, report = scrub_json(tmp_path / "periods.csv")
    assert report["findings"][0]["message"] == "dos: '2026-03-02 - 2026-03-06' spans several days; a line is one " \
                                               "date of service"


def test_a_chart_number_beside_a_patient_name_column_is_the_patient_and_m1_m2_are_modifiers(tmp_path: Path) -> None:
    # Before: refused ("columns A (Chart #) and B (Patient) both mean 'patient_id'"), and M1/M2 not modifiers.
    sheet = tmp_path / "chart.csv"
    sheet.write_text("Chart #,Patient,Svc Date,Proc,M1,M2,Qty,Tx Min,Fin Class\n"
                     "1001,\"Adams, Amy\",03/02/2026,97150,GP,,1,30,MCR\n"
                     "1001,\"Adams, Amy\",03/02/2026,97110,GP,59,1,15,MCR\n"
                     "1002,\"Adams, Amy\",03/02/2026,97110,,,1,15,MCR\n")   # another patient of the same name
    _, report = scrub_json(sheet)
    fields = report["reading"]["fields"]
    assert (fields["patient_id"], fields["modifiers"]) == ("Chart # (A)", "M1 (E) + M2 (F) (merged in order)")
    assert {(f["row"], f["rule"], f["status"]) for f in report["findings"]} == {
        (3, "PTP001", "bypassed"), (4, "MOD001", "fail")}


def test_a_chart_number_beside_a_patient_name_keys_the_patients_and_a_thru_dos_bounds_the_line(
        tmp_path: Path) -> None:
    # Before: `Patient Name` outranked `Chart #` (a bare "chart" was a generic word), so two patients of one
    # name were one visit (a false UNT006 on 97110 billed for each), and `Thru DOS` was not read (a line over
    # three days judged as its first day's).
    sheet = tmp_path / "medisoft.csv"
    sheet.write_text("Chart #,Patient Name,From DOS,Thru DOS,Proc Code,Mod 1,Mod 2,Qty,Tx Minutes,Ins Class\n"
                     "1001,\"Doe, Jane\",03/02/2026,03/02/2026,97110,GP,,2,30,Medicare\n"
                     "1002,\"Doe, Jane\",03/02/2026,03/02/2026,97110,GP,,2,30,Medicare\n"
                     "1003,\"Roe, Rick\",03/02/2026,03/04/2026,97530,GP,,2,30,Medicare\n")
    _, report = scrub_json(sheet)
    reading = report["reading"]
    assert (reading["fields"]["patient_id"], reading["columns_not_used"]) == ("Chart # (A)", ["Patient Name (B)"])
    assert {(f["row"], f["rule"]) for f in report["findings"]} == {(4, "DAT002")}
    # Beside an account column, the account keys the patients (and the chart column is left unread)
    sheet.write_text("Chart,Acct #,DOS,CPT,Mod,Units,Minutes\nC1,A1,03/02/2026,97110,GP,2,30\n")
    assert scrub_json(sheet)[1]["reading"]["fields"]["patient_id"] == "Acct # (B)"


def test_the_clinics_locality_prices_the_lines_that_give_none_and_the_reading_says_where(tmp_path: Path) -> None:
    # Before: always national rates, unsaid: a KX total near the threshold could be $100 off the clinic's own.
    sheet = tmp_path / "kx.csv"
    sheet.write_text("Acct,DOS,CPT,Mod,Units,Minutes,YTD Prior,Locality\n"
                     "K1,03/02/2026,97110,GP,2,30,2450,\n"                   # blank: the clinic's
                     "K2,03/02/2026,97110,GP,2,30,2450,national\n")          # said: national, as written
    national = scrub_json(sheet)[1]
    manhattan = scrub_json(sheet, "--locality", "13202-01")[1]
    amounts = [{f["row"]: f["amount_at_risk"] for f in report["findings"] if f["rule"] == "MOD003"}
               for report in (national, manhattan)]
    assert amounts[0] == {2: 51.27, 3: 51.27} and amounts[1][3] == 51.27 and amounts[1][2] > 55
    assert "locality" not in national["reading"]  # a blank locality cell is national, as the column says
    assert manhattan["reading"]["locality"].startswith("lines whose locality cell is blank priced at 13202-01")
    # Without a locality column the KX message says the total is at national rates
    sheet.write_text("Acct,DOS,CPT,Mod,Units,Minutes,YTD Prior\nK1,03/02/2026,97110,GP,2,30,2450\n")
    messages = [f["message"] for f in scrub_json(sheet)[1]["findings"]] + \
        [f["message"] for f in scrub_json(sheet, "--locality", "Manhattan")[1]["findings"]]
    assert "is $2,501.27 at national rates, over" in messages[0] and "at national rates" not in messages[1]
    result = run_cli("scrub", str(sheet), "--format", "json", "--locality", "Atlantis")
    assert result.returncode == 2 and result.stderr.startswith("ptcalc scrub: --locality: 'Atlantis' is not a ")


@pytest.mark.parametrize("header", ["Medical Record #", "Med Rec #", "Client", "Client ID", "Person Nbr",
                                    "Resident Name", "Resident ID"])
def test_a_medical_record_or_client_number_is_the_patient(header: str, tmp_path: Path) -> None:
    # Before: no patient column found, the sheet refused (therapy practices often say client, hospitals MRN, NextGen
    # Person Nbr, a skilled nursing facility's Part B therapy the resident).
    sheet = tmp_path / "mrn.csv"
    sheet.write_text(f"{header},DOS,CPT,Mod,Units,Minutes\nR1,03/02/2026,97110,GP,1,15\n")
    _, report = scrub_json(sheet)
    assert report["reading"]["fields"]["patient_id"] == f"{header} (A)" and report["findings"] == []


def test_a_teaching_hospitals_resident_beside_the_patients_name_is_not_the_patient(tmp_path: Path) -> None:
    # A bare `Resident` may be the resident physician: the patient stays the `Patient Name` column
    sheet = tmp_path / "resident.csv"
    sheet.write_text("Patient Name,Resident,DOS,CPT,Mod,Units,Minutes\n"
                     '"Doe, Jane",Dr. Who,03/02/2026,97110,GP,1,15\n"Roe, Rick",Dr. Who,03/02/2026,97110,GP,1,15\n')
    _, report = scrub_json(sheet)
    assert report["reading"]["fields"]["patient_id"] == "Patient Name (A)" and report["findings"] == []


@pytest.mark.parametrize("header", ["MD", "MA", "M5"])
def test_two_letter_headers_that_are_not_modifier_columns(header: str) -> None:
    from ptcalc.scrub.header_names import SPLIT_MODIFIER, header_key

    assert not SPLIT_MODIFIER.match(header_key(header)) and SPLIT_MODIFIER.match(header_key("M4"))


def test_cells_written_as_excel_text_formulas_are_the_text_they_show(tmp_path: Path) -> None:
    # `="00123"` keeps an ID's leading zeros when Excel opens the csv. Before: every such cell was unreadable
    # (DAT002 on the date, units and minutes; the code unknown).
    sheet = tmp_path / "formulas.csv"
    sheet.write_text('patient_id,dos,cpt,modifiers,units,minutes,payer\n'
                     '="00123",="03/02/2026",="97110",="GP",="2",="30",="Medicare"\n'
                     '"=""00124""",03/02/2026,"=""97110""",,2,30,Medicare\n'
                     '00125,03/02/2026,97110,GP,2,30,"=""Acme"" Health Plan"\n')  # a formula with more after it: text
    _, report = scrub_json(sheet)
    assert [(f["row"], f["rule"], f["patient_id"]) for f in report["findings"]] == [
        (3, "MOD001", "00124"), (4, "DAT008", "00125")]


def test_headers_wrapped_in_their_cells_are_named_on_one_line(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    wb.active.append(["Patient\nAccount #", "Date of\nService", "CPT\nCode", "Modifier\n1", "Units", "Minutes",
                      "Referring\nProvider"])
    wb.active.append(["W1", datetime(2026, 3, 2), "97110", "GP", 2, 30, "Dr Who"])
    wb.save(tmp_path / "wrapped.xlsx")
    _, report = scrub_json(tmp_path / "wrapped.xlsx")
    assert report["reading"]["fields"]["dos"] == "Date of Service (B)"
    assert report["reading"]["columns_not_used"] == ["Referring Provider (G)"] and report["findings"] == []


def test_modifier_columns_headed_by_a_merged_group_above_them_are_all_read(tmp_path: Path) -> None:
    # `Modifiers` merged over `Mod 1` … `Mod 4`: the 59 in Mod 2 lets 97110 be billed beside group therapy.
    sheet = _two_row_export(
        tmp_path / "detail.xlsx",
        ["Acct #", "Service Date", "CPT", "Modifiers", None, None, None, "Units", "Minutes", "Primary Insurance"],
        [None, None, None, "Mod 1", "Mod 2", "Mod 3", "Mod 4", None, None, None],
        [["M1", datetime(2026, 3, 2), "97110", "GP", "59", None, None, 1, 15, "Medicare Part B"],
         ["M1", datetime(2026, 3, 2), "97150", "GP", None, None, None, 1, 30, "Medicare Part B"],
         ["M2", datetime(2026, 3, 2), "97110", "GP", None, None, None, 1, 15, "Medicare Part B"],
         ["M2", datetime(2026, 3, 2), "97150", "GP", None, None, None, 1, 30, "Medicare Part B"]],
        merge="D3:G3")
    _, report = scrub_json(sheet)
    assert report["reading"]["header_rows"] == [3, 4] and report["reading"]["title_rows"] == [1]
    assert report["reading"]["fields"]["modifiers"] == "Mod 1 (D) + Mod 2 (E) + Mod 3 (F) + Mod 4 (G) (merged in order)"
    assert report["summary"]["lines"] == 4                        # the row of names is no line (no DAT001 on it)
    found = {(f["row"], f["rule"], f["status"]) for f in report["findings"]}
    assert found == {(5, "PTP001", "bypassed"), (7, "PTP001", "fail")}   # 59 read from Mod 2; M2 has none


@pytest.mark.parametrize("numbers", [[1, 2, 3, 4], ["1", "2", "3", "4"]])
def test_modifier_columns_numbered_alone_under_their_group_are_read(numbers: list, tmp_path: Path) -> None:
    # `Modifiers` over `1` … `4` (a report writer's numbers, as numbers or text), `Patient` over `ID` and `Name`.
    # Before: the row of names was taken for data (it has digits): the header was row 4 alone, no modifiers
    # column (MOD001 no_data on every line) and the patient's name read as the patient.
    sheet = _two_row_export(
        tmp_path / "numbered.xlsx",
        ["Patient", None, "Service Date", "CPT", "Modifiers", None, None, None, "Units", "Minutes"],
        ["ID", "Name", None, None, *numbers, None, None],
        [["N1", "Doe, Jane", datetime(2026, 3, 2), "97110", "GP", None, None, None, 2, 30],
         ["N1", "Doe, Jane", datetime(2026, 3, 2), "97140", "GP", "59", None, None, 1, 15],
         ["N2", "Doe, Jane", datetime(2026, 3, 2), "97110", None, None, None, None, 1, 15]])
    _, report = scrub_json(sheet)
    fields = report["reading"]["fields"]
    assert report["reading"]["header_rows"] == [3, 4] and fields["patient_id"] == "Patient ID (A)"
    assert fields["modifiers"] == ("Modifiers 1 (E) + Modifiers 2 (F) + Modifiers 3 (G) + Modifiers 4 (H) "
                                   "(merged in order)")
    assert {(f["row"], f["rule"], f["status"]) for f in report["findings"]} == {
        (6, "MOD010", "fail"), (7, "MOD001", "fail")}    # 59 without an NCCI pair; no GP on N2's line


@pytest.mark.parametrize("names", [["ID", "Name", None, None, 5, 6, 7, 8, None, None],   # not 1-4
                                   ["ID", "Name", None, None, "GP", None, None, None, 2, 30]])  # a line
def test_numbers_that_cannot_name_modifier_columns_are_no_second_header_row(names: list, tmp_path: Path) -> None:
    sheet = _two_row_export(tmp_path / "data.xlsx",
                            ["Patient ID", "Patient Name", "Service Date", "CPT", "Modifiers", None, None, None,
                             "Units", "Minutes"], names, [])
    result = run_cli("scrub", str(sheet), "--format", "json", "--as-of", AS_OF)
    assert "header_rows" not in json.loads(result.stdout)["reading"], result.stderr


def test_groups_above_column_names_make_one_header(tmp_path: Path) -> None:
    # `Patient` over Name and Account, `Service` over From and To, `Provider` over Name and Credential.
    sheet = _two_row_export(
        tmp_path / "grouped.xlsx",
        ["Patient", None, "Service", None, "CPT", "Units", "Minutes", "Provider", None, "Payer"],
        ["Name", "Account", "From", "To", None, None, None, "Name", "Credential", None],
        [["Doe, Jane", "G1", datetime(2026, 3, 2), datetime(2026, 3, 2), "97110", 2, 30, "Amy Jones", "PTA", "Medicare"],
         ["Roe, Rick", "G2", datetime(2026, 3, 3), datetime(2026, 3, 3), "97110", 2, 30, "Rob Diaz", "PT", "Medicare"]])
    _, report = scrub_json(sheet)
    fields = report["reading"]["fields"]
    assert (fields["patient_id"], fields["dos"], fields["provider_type"], fields["provider_name"]) == (
        "Patient Account (B) + Patient Name (A) (read together)", "Service From (C)", "Provider Credential (I)",
        "Provider Name (H)")
    assert report["reading"]["columns_not_used"] == []
    assert fields["dos_to"] == "Service To (D)"  # the same day as From on every line: nothing to say
    # The sheet has no modifiers column: GP and CQ are unknown, not missing; the assistant's line is judged as one.
    assert {(f["row"], f["rule"], f["status"]) for f in report["findings"]} == {
        (5, "MOD001", "no_data"), (6, "MOD001", "no_data"), (5, "MOD005", "no_data")}


def test_a_heading_or_a_title_is_not_taken_for_a_second_header_row(tmp_path: Path) -> None:
    sheet = tmp_path / "report.csv"
    sheet.write_text("Daily Charges by Provider,,,,,\n"
                     "Acct,DOS,CPT,Modifiers,Units,Minutes\n"
                     "Provider: Amy Jones PT,,,,,\n"
                     "H1,03/02/2026,97110,GP,2,30\n")
    _, report = scrub_json(sheet)
    assert report["reading"]["header_row"] == 2 and "header_rows" not in report["reading"]
    assert report["reading"]["title_rows"] == [1] and report["summary"]["lines"] == 1
    assert report["findings"] == []


def test_a_report_with_a_row_per_visit_and_numbered_codes_is_read_as_a_line_per_code(tmp_path: Path) -> None:
    # Before: refused ("CPT 1 (C) and CPT 2 (E) could each be the code ... export one row per charge line").
    sheet = tmp_path / "visits.csv"
    sheet.write_text("Visit Summary,,,,,,,,,,,,,,\n"
                     "Patient,DOS,Payer,CPT 1,Units 1,Min 1,Mod 1-1,Mod 1-2,CPT 2,Units 2,Min 2,Mod 2-1,Mod 2-2,"
                     "CPT 3,Dx 1\n"
                     "W1,03/02/2026,Medicare Part B,97110,2,30,GP,,97140,1,15,GP,,,M54.50\n"       # clean
                     "W2,03/02/2026,Medicare Part B,97150,1,30,GP,,97110,1,15,GP,,,M54.50\n"       # 97110: no 59
                     ",,,,,,,,,,,,,,\n"
                     "W3,03/02/2026,Medicare Part B,97110,3,20,GP,KX,,,,,,,M54.50\n"               # 3 units, 20 min
                     "Total,,,,7,,,,,2,,,,,\n")
    _, report = scrub_json(sheet)
    found = {(f["row"], f["source_row"], f["rule"]) for f in report["findings"]}
    assert found == {(6, 4, "PTP001"), (8, 6, "UNT001")}
    summary, reading = report["summary"], report["reading"]
    assert (summary["lines"], summary["blank_rows"], summary["not_claim_lines"]) == (5, 1, 1)
    assert reading["reshaped"].startswith("a row per visit with numbered codes (CPT 1, CPT 2, CPT 3): each code "
                                          "read as a line of its own")
    assert (reading["fields"]["cpt"], reading["fields"]["modifiers"]) == ("CPT (F)", "Mod 1 (I) + Mod 2 (J) "
                                                                                     "(merged in order)")
    assert reading["columns_not_used"] == ["Dx 1 (D)"]  # not the Source Row column ptcalc added (E)
    # The annotated copy lists the lines, each with its row in the file
    copy = tmp_path / "visits.xlsx"
    assert run_cli("scrub", str(sheet), "-o", str(copy), "--as-of", AS_OF).returncode == 1
    rows = list(openpyxl.load_workbook(copy)["visits"].iter_rows(min_row=3, max_col=8, values_only=True))
    assert [(r[3], r[4], r[5]) for r in rows] == [
        ("M54.50", 3, "97110"), ("M54.50", 3, "97140"), ("M54.50", 4, "97150"), ("M54.50", 4, "97110"),
        (None, None, None), ("M54.50", 6, "97110"), (None, 7, None)]


def test_a_grid_with_a_column_per_code_is_read_as_a_line_per_filled_cell(tmp_path: Path) -> None:
    """A clinic's charge grid: a row per visit, a column headed by each code, the cell its units (0 or blank: not
    billed), a modifiers column for the visit, a total row. Before: refused, no column is the code."""
    sheet = tmp_path / "grid.csv"
    sheet.write_text("Week of March 2,,,,,,,,\n"
                     "Patient,DOS,Mods,97110 Ther Ex,97140 Manual,97530,97161,Total Timed Minutes,Payer\n"
                     "G1,03/02/2026,GP,2,1,,,45,Medicare\n"            # 45 minutes: 3 units, clean
                     "G2,03/02/2026,GP,0,,1,1,15,Medicare\n"           # evaluation + 97530: clean (no edit since 2020)
                     "G3,03/03/2026,GP,3,,,,20,Medicare\n"             # 3 units for 20 minutes: UNT001
                     "Total,,,5,1,1,1,,\n")
    _, report = scrub_json(sheet)
    assert {(f["row"], f["source_row"], f["rule"]) for f in report["findings"]} == {(7, 5, "UNT001")}
    summary, reading = report["summary"], report["reading"]
    assert (summary["lines"], summary["not_claim_lines"]) == (5, 1)
    assert reading["reshaped"].startswith("a row per visit with a column per code (97110, 97140, 97530, 97161): "
                                          "each code's filled cell read as a line of that code")
    assert (reading["fields"]["cpt"], reading["fields"]["units"]) == ("CPT (G)", "Units (H)")


def test_a_grid_of_numbers_typed_as_headings_with_minutes_per_code(tmp_path: Path) -> None:
    """Headings typed as numbers (97110 in a number cell) and a `Min` column beside each code's units."""
    path = tmp_path / "grid.xlsx"
    book = openpyxl.Workbook()
    book.active.append(["Acct", "Date of Service", "Modifier", 97110, "97110 Min", 97140, "97140 Min"])
    book.active.append(["N1", datetime(2026, 3, 2), "GP", 2, 33, 1, 7])     # CMS example: 33 + 7 minutes, 2 + 1
    book.active.append(["N2", datetime(2026, 3, 2), "GP", 2, 20, 1, 8])     # 28 minutes: 2 units, 1 of each
    book.save(path)
    _, report = scrub_json(path)
    assert [(f["source_row"], f["cpt"], f["rule"]) for f in report["findings"]] == [(3, "97110", "UNT001")]
    assert report["reading"]["fields"]["minutes"] == "Minutes (G)" and report["summary"]["lines"] == 4


def test_a_grid_whose_patient_and_date_a_column_map_names_is_read(tmp_path: Path) -> None:
    sheet = tmp_path / "grid.csv"
    sheet.write_text("Who,When,97110,97140 Manual\nG1,03/02/2026,2,1\n")
    refused = run_cli("scrub", str(sheet), "--format", "json", "--as-of", AS_OF)
    assert refused.returncode == 2 and "97110 (C), 97140 Manual (D) head a column per code: a row per visit is read " \
        "as a line per filled cell where the header names the patient or the date" in refused.stderr
    (tmp_path / "map.yaml").write_text("Who: patient_id\nWhen: dos\n")
    _, report = scrub_json(sheet, "--columns", str(tmp_path / "map.yaml"))
    assert report["summary"]["lines"] == 2 and report["reading"]["reshaped"].startswith("a row per visit with a column")


def test_a_grids_codes_are_read_from_headings_as_people_write_them(tmp_path: Path) -> None:
    """The code after its description or after `Units`/`Min`; a heading naming another field beside a code (`97110
    Auth Thru`, a date) or a total is no code's units."""
    sheet = tmp_path / "grid.csv"
    sheet.write_text("Patient,DOS,Mod,Ther Ex (97110),97110 Min,Units 97140,Min 97140,97110 Auth Thru,Total 97110\n"
                     "K1,03/02/2026,GP,2,30,1,15,03/31/2026,9\n")
    _, report = scrub_json(sheet)
    assert report["reading"]["reshaped"].startswith("a row per visit with a column per code (97110, 97140)")
    assert report["summary"]["lines"] == 2 and report["findings"] == []  # 30 + 15 minutes: 2 + 1 units, clean
    assert (report["reading"]["fields"]["units"], report["reading"]["fields"]["minutes"]) == ("Units (H)",
                                                                                              "Minutes (I)")
    assert report["reading"]["columns_not_used"] == ["97110 Auth Thru (D)", "Total 97110 (E)"]


CLAIMS_PER_PAYER = (
    "Claim #,Patient,DOS,CPT,Mod,Units,Minutes,Payer\n"
    "C100,P1,03/02/2026,97110,GP,2,30,Medicare\n"
    "C100,P1,03/02/2026,97140,GP,1,15,Medicare\n"
    "C101,P1,03/02/2026,97110,GP,2,30,AARP Medigap\n"     # the secondary's claim: the same two charges
    "C101,P1,03/02/2026,97140,GP,1,15,AARP Medigap\n"
    "C102,P2,03/02/2026,97110,GP,2,30,Medicare\n"
    "C103,P2,03/02/2026,97110,GP,2,30,Medicare\n"         # the same payer on another claim: billed twice
    "C104,P3,03/03/2026,97110,GP,2,30,Medicare\n"
    "C105,P3,03/03/2026,97110,GP,1,15,Humana Gold Plus\n")  # another service (units, minutes): a line of its own


def test_a_charge_listed_for_each_payer_is_judged_once(tmp_path: Path) -> None:
    """A claims export lists a visit's charges on the primary's claim and again on the secondary's. Before: each
    copy was a duplicate (DAT003) and a code billed twice in its visit (UNT006), and its units and KX dollars counted
    twice. Now the later listing is kept in place, not judged, naming the row that is; the same payer twice, or
    another service, is judged as before."""
    sheet = tmp_path / "claims.csv"
    sheet.write_text(CLAIMS_PER_PAYER)
    _, report = scrub_json(sheet)
    found = {(f["row"], f["rule"]) for f in report["findings"]}
    assert not found & {(4, "DAT003"), (4, "UNT006"), (5, "DAT003"), (5, "UNT006")}
    assert {(7, "DAT003"), (7, "UNT006"), (9, "UNT006")} <= found and (9, "DAT003") not in found
    assert report["reading"]["not_claim_lines"] == {
        "4": "the charge of row 2 listed again, for AARP Medigap (row 2: Medicare); judged once, on row 2",
        "5": "the charge of row 3 listed again, for AARP Medigap (row 3: Medicare); judged once, on row 3"}
    assert (report["summary"]["lines"], report["summary"]["not_claim_lines"]) == (6, 2)


def test_a_minutes_log_grid_is_read_and_says_the_units_each_code_earns(tmp_path: Path) -> None:
    """A therapist's minutes log: a column of minutes per code and no units. Before: refused (no code's units).
    Each filled cell is a line without units (DAT001: the claim needs them), saying the units its visit's minutes
    earn under the 8-minute rule; 0 minutes is no line."""
    sheet = tmp_path / "minutes.csv"
    sheet.write_text("Patient,DOS,Mod,Payer,97110 Min,97140 Min,97530 Min\n"
                     "M1,03/02/2026,GP,Medicare,33,7,\n"       # CMS's example: 40 minutes, 2 + 1 units
                     "M2,03/02/2026,GP,Medicare,20,8,0\n")     # 28 minutes: 2 units, 1 of each; 97530 no line
    _, report = scrub_json(sheet)
    assert report["reading"]["reshaped"].startswith("a row per visit with a column per code (97110, 97140, 97530): "
                                                    "each code's filled cell read as a line of that code, its minutes")
    said = [(f["source_row"], f["cpt"], f["rule"], f["message"].split(": ", 1)[1]) for f in report["findings"]]
    assert said == [(2, "97110", "DAT001", "the minutes support 2 units of 97110 under the CMS 8-minute rule"),
                    (2, "97140", "DAT001", "the minutes support 1 unit of 97140 under the CMS 8-minute rule"),
                    (3, "97110", "DAT001", "the minutes support 1 unit of 97110 under the CMS 8-minute rule"),
                    (3, "97140", "DAT001", "the minutes support 1 unit of 97140 under the CMS 8-minute rule")]
    assert report["summary"]["lines"] == 4
    copy = tmp_path / "minutes.xlsx"
    run_cli("scrub", str(sheet), "-o", str(copy), "--as-of", AS_OF)
    rows = list(openpyxl.load_workbook(copy)["minutes"].iter_rows(min_row=2, values_only=True))
    assert [(row[5], row[-1]) for row in rows] == [("97110", 2), ("97140", 1), ("97110", 1), ("97140", 1)]


def test_a_line_without_units_gets_the_units_its_minutes_earn_and_the_visits_other_lines_wait(tmp_path: Path) -> None:
    """Only the line without units has expected units (DAT001 says them): the visit's billed lines are judged
    against the 8-minute rule once it is filled (the 97110 line's 2 units for 20 of 28 minutes is not said yet)."""
    sheet = tmp_path / "visit.csv"
    sheet.write_text("Patient,DOS,Payer,CPT,Mod,Units,Minutes\n"
                     "V1,03/02/2026,Medicare,97110,GP,2,20\nV1,03/02/2026,Medicare,97140,GP,,8\n")
    result = scrub_file(sheet, as_of=date.fromisoformat(AS_OF))
    assert [(f.row, f.rule) for f in result.findings] == [(3, "DAT001")]
    assert result.expected_units == {2: None, 3: 1}


def test_a_grids_check_marks_are_one_unit_each_said_on_the_line(tmp_path: Path) -> None:
    """A grid whose cells are marks (`X`, `✓`) for the services given: each is 1 unit, and the line says it was read
    so (DAT008); not a number error (before: DAT002 'X' is not a number on each)."""
    sheet = tmp_path / "marks.csv"
    sheet.write_text("Patient,DOS,Mod,Payer,97161,97110,97110 Min,97140,97140 Min\n"
                     "X1,03/02/2026,GP,Medicare,X,,,,\n"             # evaluation: 1 unit
                     "X2,03/03/2026,GP,Medicare,,x,15,✓,10\n"        # 25 minutes: 2 units, 1 of each: clean
                     "X3,03/04/2026,GP,Medicare,,X,5,,\n"            # 5 minutes earn no unit: UNT001
                     "X4,03/05/2026,GP,Medicare,,2,30,0,\n", encoding="utf-8")
    _, report = scrub_json(sheet)
    found = [(f["source_row"], f["cpt"], f["rule"], f["field"]) for f in report["findings"]]
    assert found == [(2, "97161", "DAT008", "units"), (3, "97110", "DAT008", "units"), (3, "97140", "DAT008", "units"),
                     (4, "97110", "UNT001", "units"), (4, "97110", "DAT008", "units")]  # the error first
    assert [f["message"] for f in report["findings"]][:3] == [
        "units: 97161's cell holds the mark 'X', read as 1 unit (the grid gives no count)",
        "units: 97110's cell holds the mark 'x', read as 1 unit (the grid gives no count)",
        "units: 97140's cell holds the mark '✓', read as 1 unit (the grid gives no count)"]
    assert report["summary"]["lines"] == 5  # 97140's 0 on X4: not billed


@pytest.mark.parametrize("header", [
    "Acct,DOS,CPT,Mod 1,Mod 2,Mod 3,Mod 4,Units,Minutes,Dx 1,Dx 2",            # split modifiers, numbered diagnoses
    "Acct,DOS,CPT,Units,Minutes,Modifier 1,Modifier 2,ICD Code 1,ICD Code 2"])
def test_a_line_per_row_sheet_with_numbered_columns_is_not_reshaped(header: str, tmp_path: Path) -> None:
    sheet = tmp_path / "lines.csv"
    values = {"Acct": "L1", "DOS": "03/02/2026", "CPT": "97110", "Units": "2", "Minutes": "30"}
    sheet.write_text(header + "\n" + ",".join(values.get(name, "GP" if "Mod" in name else "M54.50")
                                               for name in header.split(",")) + "\n")
    _, report = scrub_json(sheet)
    assert "reshaped" not in report["reading"] and report["summary"]["lines"] == 1
    assert all("source_row" not in f for f in report["findings"])


def test_a_claim_per_row_export_reads_each_service_line_with_its_own_charge(tmp_path: Path) -> None:
    # `Line 1 CPT`, `Line 1 Charge`…: the claim's `Total Charge` is the visit's, not a line's
    path = tmp_path / "claims.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Claim #", "Patient", "DOS", "Payer Type", "Total Charge", "Line 1 CPT", "Line 1 Mod 1",
                  "Line 1 Units", "Line 1 Charge", "Line 2 CPT", "Line 2 Mod 1", "Line 2 Units", "Line 2 Charge"])
    sheet.append(["C100", "K1", datetime(2026, 3, 2), "Medicare", 200.0, "97014", "GP", 1, 25.0, "97110", "GP", 2,
                  175.0])
    book.save(path)
    _, report = scrub_json(path)
    assert report["reading"]["fields"]["charge"] == "Charge (I)"
    assert "Total Charge (visit) (E)" in report["reading"]["columns_not_used"]
    assert {(f["source_row"], f["cpt"], f["rule"]) for f in report["findings"]} == {(2, "97014", "COV001"),
                                                                                   (2, "97110", "UNT005")}


def test_a_reversed_charge_and_its_reversal_are_not_claim_lines(tmp_path: Path) -> None:
    # 97140 entered without GP, reversed (-1 unit), entered again with GP: the claim carries the last one only.
    sheet = tmp_path / "reversal.csv"
    sheet.write_text("Acct,DOS,CPT,Modifiers,Units,Minutes,Primary Insurance,Charges\n"
                     "R1,03/02/2026,97110,GP,2,30,Medicare,$110.00\n"
                     "R1,03/02/2026,97140 - Manual,,1,15,Medicare,$55.00\n"
                     "R1,03/02/2026,97140,,-1,,Medicare,($55.00)\n"
                     "R1,03/02/2026,97140,GP,1,15,Medicare,$55.00\n"
                     "R2,03/03/2026,97112,GP,1,15,Medicare,($58.00)\n"         # a reversal of a charge not here
                     "R3,03/03/2026,97110,GP,1,15,Medicare,$55.00\n"
                     "R3,03/03/2026,97110,GP,1,-15,Medicare,$55.00\n")         # negative minutes: a mistake
    _, report = scrub_json(sheet)
    assert report["reading"]["not_claim_lines"] == {
        "3": "reversed by row 4", "4": "a reversal (negative units or charge) of row 3",
        "6": "a reversal (negative units or charge); the charge it takes back is not above it"}
    assert report["summary"]["lines"] == 4
    # No MOD001 or UNT006 on the reversed pair; the line with negative minutes is still a line, judged.
    assert {(f["row"], f["rule"]) for f in report["findings"] if f["status"] == "fail"} == {
        (8, "DAT002"), (8, "UNT006")}



def test_a_reversal_without_a_code_takes_back_no_blank_row(tmp_path: Path) -> None:
    # Found by the random-sheet test: a line of negative units with no patient, date or code was read as the
    # reversal of the blank row above the charges (blank fields matched blank fields): "row 2 reversed by row 4".
    sheet = tmp_path / "blank.csv"
    sheet.write_text("Acct,DOS,CPT,Modifiers,Units,Minutes,Primary Insurance\n"
                     ",,,,,,\n"
                     "R1,03/02/2026,97110,GP,1,15,Medicare\n"
                     ",,,GP,-1,15,Medicare\n")
    _, report = scrub_json(sheet)
    assert report["reading"]["not_claim_lines"] == {
        "4": "a reversal (negative units or charge); the charge it takes back is not above it"}
    assert report["summary"]["lines"] == 1 and report["summary"]["blank_rows"] == 1


def test_a_reversal_printed_with_a_trailing_minus_is_read_as_one(tmp_path: Path) -> None:
    # `2-`, `110.00-`: some report writers print a negative so. Before: the reversal was a line whose units and
    # charge were unreadable (DAT002), and both it and the charge after it UNT006 on a correct bill.
    sheet = tmp_path / "trailing.csv"
    sheet.write_text("Acct,DOS,CPT,Mod,Units,Minutes,Charge\n"
                     "R1,03/02/2026,97110,GP,2,30,110.00\n"
                     "R1,03/02/2026,97110,GP,2-,30,110.00-\n"
                     "R1,03/02/2026,97110,GP,1,15,55.00\n")
    _, report = scrub_json(sheet)
    assert report["reading"]["not_claim_lines"] == {"2": "reversed by row 3",
                                                    "3": "a reversal (negative units or charge) of row 2"}
    assert (report["summary"]["lines"], report["findings"]) == (1, [])

LEDGER = ("Acct,DOS,Type,CPT,Mod,Units,Minutes,Amount,Insurance\n"
          "L1,03/02/2026,Charge,97110,GP,2,30,$90.00,Medicare\n"
          "L1,03/02/2026,Payment,,,,,($55.12),Medicare\n"
          "L1,03/02/2026,Charge,97140,,1,15,$50.00,Medicare\n"              # no GP: MOD001
          "L2,03/03/2026,Charge,97110,,1,15,$45.00,Medicare\n"              # no GP: MOD001
          "L2,03/03/2026,Write-off,97110,GP,,,($10.00),Medicare\n"
          "L2,03/03/2026,Adjustment,97110,GP,1,,$5.00,Medicare\n")          # a debit adjustment, with a unit


@pytest.mark.parametrize("typed", [True, False], ids=["with a Type column", "amounts alone"])
def test_a_ledgers_payments_and_write_offs_are_not_charges_and_take_no_charge_back(typed: bool, tmp_path: Path) -> None:
    # Before: the write-off (-$10.00 beside 97110) was read as the reversal of L2's $45.00 charge, which was
    # then not judged (its missing GP unfound); the debit adjustment was a line of 97110 without minutes.
    text = LEDGER if typed else "\n".join(",".join(cells[:2] + cells[3:]) for cells in
                                            (line.split(",") for line in LEDGER.splitlines()[:-1])) + "\n"
    sheet = tmp_path / "ledger.csv"
    sheet.write_text(text)
    _, report = scrub_json(sheet)
    assert report["summary"]["lines"] == 3
    assert {(f["row"], f["rule"]) for f in report["findings"]} == {(4, "MOD001"), (5, "MOD001")}
    if typed:
        assert report["reading"]["fields"]["transaction_type"] == "Type (C)"
        assert report["reading"]["not_claim_lines"] == {"3": "not a charge (Type: Payment)",
                                                        "6": "not a charge (Type: Write-off)",
                                                        "7": "not a charge (Type: Adjustment)"}
    else:
        assert report["reading"]["not_claim_lines"]["6"] == ("a negative amount without units (an adjustment or "
                                                             "a write-off), not a charge")


def test_a_workbook_with_a_charge_sheet_per_clinic_names_the_sheets_it_did_not_scrub(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    for title, line in (("Clinic A", ["A1", datetime(2026, 3, 2), "97110", "GP", 2, 30]),
                        ("Notes", None),
                        ("Clinic B", ["B1", datetime(2026, 3, 2), "97110", "", 2, 30])):
        sheet = book.create_sheet(title)
        if line:
            sheet.append(["Acct", "DOS", "CPT", "Modifiers", "Units", "Minutes"])
            sheet.append(line)
        else:
            sheet.append(["Read me: one sheet per clinic"])
    book.remove(book.active if book.active.title == "Sheet" else book["Sheet"])
    path = tmp_path / "clinics.xlsx"
    book.save(path)
    result = run_cli("scrub", str(path), "--format", "json", "--as-of", AS_OF)
    report = json.loads(result.stdout)
    assert report["summary"]["sheet"] == "Clinic A" and report["findings"] == []
    assert report["reading"]["other_charge_sheets"] == ["Clinic B"]            # not "Notes": it has no header
    assert "other charge sheets, not scrubbed: 'Clinic B' (scrub each with --sheet NAME)" in result.stderr
    assert "'Clinic B'" in run_cli("columns", str(path)).stdout
    _, chosen = scrub_json(path, "--sheet", "Clinic B")
    assert [(f["row"], f["rule"]) for f in chosen["findings"]] == [(2, "MOD001")]
    assert "other_charge_sheets" not in chosen["reading"]                     # a sheet the user chose: no note


def test_a_visit_total_row_is_not_a_line_but_a_line_without_its_code_still_is(tmp_path: Path) -> None:
    sheet = tmp_path / "visits.csv"
    sheet.write_text("Acct,DOS,CPT,Description,Modifiers,Units,Minutes,Charges\n"
                     "V1,03/02/2026,97110,Ther Ex,GP,2,30,$110.00\n"
                     "V1,03/02/2026,97140,Manual,GP,1,15,$55.00\n"
                     "V1,03/02/2026,,Visit Total,,3,45,$165.00\n"          # says total, adds up: a total
                     "V2,03/03/2026,97110,Ther Ex,GP,2,30,$110.00\n"
                     "V2,03/03/2026,97140,Manual,GP,1,15,$55.00\n"
                     "V2,03/03/2026,,,,3,,$165.00\n"                       # adds up two lines: a total
                     "V3,03/03/2026,97110,Ther Ex,GP,1,15,$55.00\n"
                     "V3,03/03/2026,,Total knee,,1,15,$55.00\n"            # one line above, no `total` of it...
                     "V4,03/04/2026,97110,Ther Ex,GP,2,30,$110.00\n"
                     "V4,03/04/2026,97140,Manual,GP,1,15,$55.00\n"
                     "V4,03/04/2026,,,,2,,$110.00\n"                       # does not add up: a line, code missing
                     "V5,03/04/2026,97112,Neuro,GP,1,15,$58.00\n"
                     "V5,03/04/2026,97140,Manual,GP,1,15,$52.00\n"
                     "V5,03/04/2026,9711,Ther Ex,GP,2,30,$110.00\n")     # adds up, but a mistyped code: a line
    _, report = scrub_json(sheet)
    assert report["reading"]["not_claim_lines"] == {"4": "a visit's total: the sums of rows 2-3",
                                                   "7": "a visit's total: the sums of rows 5-6"}
    assert {(f["row"], f["rule"]) for f in report["findings"]} == {(9, "DAT001"), (12, "DAT001"), (15, "DAT005")}


def test_two_columns_headed_alike_are_told_apart_by_their_values(tmp_path: Path) -> None:
    # An internal charge code beside the CPT code; a place-of-service name beside its code; the clinic's
    # `Provider` beside the rendering provider (who is a PTA: the CQ check needs to know).
    sheet = tmp_path / "alike.csv"
    sheet.write_text("Acct,DOS,Procedure Code,CPT Code,Units,Minutes,Mods,Place of Service,POS,Provider,"
                     "Rendering Provider\n"
                     "A1,03/02/2026,TE15,97110,2,30,GP,Telehealth,10,Riverside PT,Lou Baker PTA\n")
    _, report = scrub_json(sheet)
    fields = report["reading"]["fields"]
    assert (fields["cpt"], fields["pos"], fields["provider_name"]) == (
        "CPT Code (D)", "POS (I)", "Rendering Provider (K)")
    assert {(f["rule"], f["status"]) for f in report["findings"]} == {("MOD005", "fail")}  # CQ is missing
    # Two code columns with different codes cannot be told apart: refused, saying which and how to choose.
    sheet.write_text("Acct,DOS,Procedure Code,CPT Code,Units\nA1,03/02/2026,97112,97110,1\n")
    result = run_cli("scrub", str(sheet), "--format", "json")
    assert result.returncode == 2 and "both mean 'cpt'" in result.stderr
    # Two claim-number columns (optional) that cannot be told apart: neither is read, the scrub goes on.
    sheet.write_text("Acct,DOS,CPT,Units,Mods,Claim No,Encounter ID\nA1,03/02/2026,97110,1,GP,C1,E1\n")
    code, report = scrub_json(sheet)
    assert code == 0 and report["reading"]["columns_unclear"] == {"claim_id": ["Claim No (F)", "Encounter ID (G)"]}


def test_a_medicare_advantage_plan_filed_as_commercial_is_judged_as_one(tmp_path: Path) -> None:
    # PM systems file MA plans under a commercial financial class; 837s under the generic CI filing code.
    sheet = tmp_path / "classes.csv"
    sheet.write_text("Acct,DOS,CPT,Mods,Units,Minutes,Financial Class,Primary Insurance,Rendering Provider\n"
                     "M1,03/02/2026,97110,GP,2,30,Commercial,Humana Gold Plus,Lou Baker PTA\n"
                     "M2,03/02/2026,97110,GP,2,30,Commercial,Aetna PPO,Lou Baker PTA\n"        # commercial: no CQ rule
                     "M3,03/02/2026,97110,GP,2,30,Medicare,Humana Gold Plus,Lou Baker PTA\n")  # the class decides
    _, report = scrub_json(sheet)
    found = {(f["row"], f["rule"]) for f in report["findings"]}
    assert found == {(2, "MOD005"), (2, "DAT008"), (4, "MOD005")}
    note = next(f["message"] for f in report["findings"] if f["rule"] == "DAT008")
    assert note == "payer type: 'Humana Gold Plus' is a Medicare Advantage plan, judged as one (its payer type says Commercial)"
    claims = tmp_path / "claims.837"
    text = (ROOT / "ptcalc" / "samples" / "claims_week.837").read_text()
    first = text.index("NM1*PR*2*AETNA")
    claims.write_text(text[:first] + text[first:].replace("NM1*PR*2*AETNA", "NM1*PR*2*HUMANA GOLD PLUS", 1))
    _, report = scrub_json(claims)
    assert "SBR*P*18*******CI~" in text[:first]
    notes = [f for f in report["findings"] if f["rule"] == "DAT008" and "Medicare Advantage" in f["message"]]
    assert notes and {f["claim_id"] for f in notes} == {"P01001-20260303"}


def test_a_report_that_prints_its_header_on_every_page_has_one_header(tmp_path: Path) -> None:
    sheet = tmp_path / "pages.csv"
    sheet.write_text("Charge Detail\nAcct,DOS,CPT,Mods,Units,Minutes,Primary Insurance\n"
                     "H1,03/02/2026,97110,GP,2,30,Medicare\nPage 1 of 2,,,,,,\n\n"
                     "Charge Detail\nacct,DOS ,CPT,Mods,Units,Minutes,Primary Insurance\n"
                     "H2,03/02/2026,97110,GP,2,30,Medicare\n"
                     "H3,03/02/2026,CPT,GP,2,30,Medicare\n"      # a line whose code says CPT is still a line
                     "Page 2 of 2,,,,,,\n")
    _, report = scrub_json(sheet)
    assert report["reading"]["not_claim_lines"] == {
        "4": "Page 1 of 2", "6": "a heading: 'Charge Detail' alone, no date or code",
        "7": "the header again (a new page of the report)", "10": "Page 2 of 2"}
    assert {(f["row"], f["rule"]) for f in report["findings"]} == {(9, "DAT005")}


def test_values_printed_beside_their_header_are_read_from_there(tmp_path: Path) -> None:
    # Crystal Reports' Excel export: `DOS` merged over B:C with the dates in C, `CPT` over D:E with codes in E.
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Acct", "DOS", None, "CPT", None, "Units", "Minutes", "Mods", "PTA Minutes", None])
    sheet.merge_cells("B1:C1")
    sheet.merge_cells("D1:E1")
    for code, units, minutes, note in (("97110", 2, 30, "tolerated well"), ("97140", 1, 15, "")):
        sheet.append(["C1", None, datetime(2026, 3, 2), None, code, units, minutes, "GP", None, note])
    path = tmp_path / "crystal.xlsx"
    book.save(path)
    _, report = scrub_json(path)
    assert report["reading"]["values_beside_header"] == ["DOS (B): its values are in column C",
                                                         "CPT (D): its values are in column E"]
    assert report["findings"] == []
    # An empty optional column keeps its place: the notes beside `PTA Minutes` are not minutes.
    assert "pta_minutes" in report["reading"]["fields"] and report["reading"]["fields"]["pta_minutes"] == "PTA Minutes (I)"


def test_formulas_a_program_wrote_but_never_calculated_are_named_on_their_lines(tmp_path: Path) -> None:
    import xlsxwriter

    book = openpyxl.Workbook()  # openpyxl saves formulas without values, as many exporters do
    sheet = book.active
    sheet.append(["Acct", "DOS", "CPT", "Mods", "Minutes", "Units"])
    sheet.append(["F1", datetime(2026, 3, 2), "97110", "GP", 30, "=ROUND(E2/15,0)"])
    path = tmp_path / "never_calculated.xlsx"
    book.save(path)
    _, report = scrub_json(path)
    assert [(f["rule"], f["message"]) for f in report["findings"]] == [
        ("DAT001", "units is empty; the line cannot be billed: the minutes support 2 units of 97110 under the CMS "
                   "8-minute rule"),
        ("DAT008", "formula not calculated: F2 holds a formula with no saved value (read as empty); open and save "
                   "the workbook in Excel, or `ptcalc recalc` it")]
    assert run_cli("recalc", str(path)).returncode == 0                       # the advice works
    assert scrub_json(tmp_path / "never_calculated.values.xlsx")[1]["findings"] == []
    saved = tmp_path / "calculated.xlsx"  # a formula with its saved value, as Excel writes it: read, no note
    writer = xlsxwriter.Workbook(str(saved))
    ws = writer.add_worksheet()
    ws.write_row(0, 0, ["Acct", "DOS", "CPT", "Mods", "Minutes", "Units"])
    ws.write_row(1, 0, ["F1", "03/02/2026", "97110", "GP", 30])
    ws.write_formula(1, 5, "=ROUND(E2/15,0)", None, 2)
    writer.close()
    assert scrub_json(saved)[1]["findings"] == []


def test_a_patient_and_date_merged_over_a_visits_lines_are_read_on_each_line_without_a_note(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Acct", "DOS", "CPT", "Modifiers", "Units", "Minutes", "Primary Insurance"])
    sheet.append(["M1", datetime(2026, 3, 2), "97110", "GP", 2, 30, "Medicare"])
    sheet.append([None, None, "97140", "", 1, 15, None])
    sheet.append([None, None, "97112", "GP", 1, 15, None])
    sheet.append(["M2", datetime(2026, 3, 2), "97110", "GP", 2, 30, "Aetna"])
    sheet.append([None, None, "97140", "GP", 1, 15, None])     # blank, not merged: carried down, with a note
    for cells in ("A2:A4", "B2:B4", "G2:G4"):
        sheet.merge_cells(cells)
    path = tmp_path / "merged.xlsx"
    book.save(path)
    _, report = scrub_json(path)
    assert {(f["row"], f["rule"]) for f in report["findings"]} == {(3, "MOD001"), (6, "DAT008")}
    missing_gp = next(f for f in report["findings"] if f["rule"] == "MOD001")
    assert missing_gp["patient_id"] == "M1" and "Traditional Medicare" in missing_gp["message"]  # read from the merge


@pytest.mark.parametrize("merged", [True, False], ids=["merged", "blank"])
def test_a_patient_merged_over_two_visits_is_each_visits_patient(merged: bool, tmp_path: Path) -> None:
    """A patient's cell merged over two days' lines (each line with its date) shows the patient on both.
    Before: the second day's line was DAT001, patient empty. A blank cell, not merged, beside a new date
    is still missing: it may be another patient."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Patient", "Acct", "DOS", "CPT", "Mod", "Units", "Minutes", "Insurance"])
    sheet.append(["Doe, Jane", "A1", datetime(2026, 3, 2), "97110", "GP", 2, 30, "Medicare"])
    sheet.append([None, None, None, "97140", "GP", 1, 15, "Medicare"])
    sheet.append(["Roe, Rick", "A2", datetime(2026, 3, 2), "97110", "GP", 1, 15, "Medicare"])
    sheet.append([None, None, datetime(2026, 3, 3), "97110", "GP", 1, 15, "Medicare"])
    sheet.append(["Poe, Al", "A3", datetime(2026, 3, 4), "97110", "GP", 1, 15, "Medicare"])
    sheet.append(["Fox, Bo", "A4", None, "97110", "GP", 1, 15, "Medicare"])   # the day merged over two patients
    for cells in ("A2:A3", "B2:B3", "C2:C3") + (("A4:A5", "B4:B5", "C6:C7") if merged else ()):
        sheet.merge_cells(cells)
    path = tmp_path / "merged.xlsx"
    book.save(path)
    _, report = scrub_json(path)
    assert {(f["row"], f["rule"], f["field"]) for f in report["findings"]} == (
        set() if merged else {(5, "DAT001", "patient_id"), (7, "DAT001", "dos")})


def test_a_heading_under_an_unnamed_first_column_is_not_a_second_header_row(tmp_path: Path) -> None:
    sheet = tmp_path / "numbered.csv"
    sheet.write_text(",Acct,DOS,CPT,Modifiers,Units,Minutes\n"
                     "Therapist: Amy Jones PT,,,,,,\n"
                     "1,H1,03/02/2026,97110,GP,2,30\n")
    _, report = scrub_json(sheet)
    assert "header_rows" not in report["reading"]  # the heading names the lines' provider, no column
    assert report["reading"]["fields"]["provider_name"] == "the provider headings (Provider: …) above the lines"
    assert report["summary"]["lines"] == 1 and report["findings"] == []


def test_a_place_of_service_printed_with_its_name_is_read_as_its_code(tmp_path: Path) -> None:
    found = rows_and_rules(tmp_path / "pos.csv", "Acct,DOS,CPT,Mods,Units,Minutes,POS\n"
                           "S1,03/02/2026,97110,GP,1,15,11 - Office\n"
                           "S2,03/02/2026,97140,GP 95,1,15,Telehealth (10)\n"
                           "S3,03/02/2026,97110,GP,1,15,Office\n"
                           "S4,03/02/2026,97110,GP,1,15,Patient's Home\n"
                           "S5,03/02/2026,97140,GP,1,15,Skilled Nursing Facility\n"
                           "S6,03/02/2026,97110,GP 95,1,15,Telehealth\n"
                           "S7,03/02/2026,97110,GP,1,15,Outpatient Hospital\n"
                           "S8,03/02/2026,97110,GP,1,15,Hospital\n"
                           "S9,03/02/2026,97140,GP 95,1,15,POS: 02\n"
                           "S10,03/02/2026,97140,GP 95,1,15,Telehealth\n")
    # 97140 is not on Medicare's telehealth list: found only because POS 10 was read from `Telehealth (10)` (and
    # 02 from `POS: 02`, before a DAT002). The code set's names are read as their codes (before: `Office` was a
    # DAT002). A name two codes share is read as either, which every rule judges alike (before: a DAT002 error on
    # a line billed right, `Telehealth` and `Outpatient Hospital`): telehealth for the telehealth list (row 11); a
    # name the code set does not have (`Hospital`) is still refused. `Skilled Nursing Facility` is POS 31, a Part A
    # stay: a Traditional Medicare line there is the SNF's to bill (COV005).
    assert found == {(3, "TEL003"), (6, "COV005"), (9, "DAT002"), (10, "TEL003"), (11, "TEL003")}


def test_fees_and_payments_in_the_code_column_are_not_claim_lines_but_unknown_codes_are(tmp_path: Path) -> None:
    sheet = tmp_path / "fees.csv"
    sheet.write_text("Acct,DOS,CPT,Mods,Units,Minutes,Primary Insurance,Charges\n"
                     "N1,03/02/2026,97110,GP,2,30,Medicare,110\n"
                     "N2,03/02/2026,NOSHOW,,1,,Medicare,50\n"
                     "N3,03/02/2026,Late Cancel Fee,,1,,Aetna,25\n"
                     "N4,03/02/2026,Pt Payment,,1,,Aetna,30\n"
                     "N5,03/02/2026,9711,GP,1,15,Aetna,30\n"          # a mistyped code: still a line
                     "N6,03/02/2026,Ther Ex,GP,1,15,Aetna,30\n"       # a description without its code: a line
                     # WebPT's no-charge marks (a note with NC001 or NORCM is not billable): were DAT005 lines
                     "N7,03/02/2026,NC001,,1,,Medicare,0\nN8,03/02/2026,NORCM,,1,,Medicare,0\n"
                     "N9,03/02/2026,No Charge,,1,,Aetna,0\n")
    _, report = scrub_json(sheet)
    assert report["reading"]["not_claim_lines"] == {
        "3": "not a procedure: 'NOSHOW' (a fee, a payment or an adjustment)",
        "4": "not a procedure: 'Late Cancel Fee' (a fee, a payment or an adjustment)",
        "5": "not a procedure: 'Pt Payment' (a fee, a payment or an adjustment)",
        "8": "not a procedure: 'NC001' (a no-charge visit's mark)",
        "9": "not a procedure: 'NORCM' (a no-charge visit's mark)",
        "10": "not a procedure: 'No Charge' (a no-charge visit's mark)"}
    assert {(f["row"], f["rule"]) for f in report["findings"]} == {(6, "DAT005"), (7, "DAT005")}


def test_a_locality_column_may_give_the_locality_by_its_name(tmp_path: Path) -> None:
    sheet = tmp_path / "localities.csv"
    sheet.write_text("patient_id,dos,cpt,units,minutes,modifiers,Medicare Locality\n"   # KX: no GP (MOD001), priced
                     "L1,2026-03-02,97110,1,15,KX,13202-01 Manhattan\n"
                     "L2,2026-03-02,97110,1,15,KX,Manhattan\n"
                     "L3,2026-03-02,97110,1,15,KX,1320201\n")
    _, report = scrub_json(sheet)
    assert [(f["row"], f["rule"], f["amount_at_risk"]) for f in report["findings"]] == [
        (2, "MOD001", 32.43), (3, "MOD001", 32.43), (4, "MOD001", 32.43)]  # priced in Manhattan, no DAT002


@pytest.mark.parametrize(("cell", "codes"), [
    ("97110, 97140", ["97110", "97140"]), ("97110/97140", ["97110", "97140"]),
    ("97110 x2 + 97140 x1", ["97110", "97140"]), ("97110 & G0283", ["97110", "G0283"]),
    ("97110 (2); 97140 (1)", ["97110", "97140"]),
    # ...and what is one code: a description, a description naming another code, the code twice, modifiers
    ("97110 - Ther Ex", []), ("G0283 E-stim unattended (97014 for commercial)", []),
    ("97110 - Ther Ex (97110)", []), ("97110 GP 59", []), ("97110", []), (97110.0, []),
])
def test_a_cell_listing_several_codes_is_told_from_a_code_and_its_description(cell: object, codes: list[str]) -> None:
    from ptcalc.scrub.cells import codes_listed

    assert codes_listed(cell) == codes


def test_a_row_with_several_codes_in_its_code_cell_is_refused_not_read_as_its_first(tmp_path: Path) -> None:
    """Before: `97110, 97140` was read as 97110 alone, so the row's 3 units for 40 minutes looked right."""
    sheet = tmp_path / "listed.csv"
    sheet.write_text('patient_id,dos,cpt,units,minutes,modifiers\nA,2026-03-02,"97110, 97140",3,40,GP\n'
                     "B,2026-03-02,97110 - Ther Ex (97110),2,30,GP\n")
    _, report = scrub_json(sheet)
    assert [(f["row"], f["rule"], f["message"]) for f in report["findings"]] == [
        (2, "DAT002", "cpt: '97110, 97140' holds 2 codes (97110, 97140); a claim line has one: put each code on its "
                      "own line with its units and minutes")]


def test_without_a_provider_type_the_line_says_its_discipline(tmp_path: Path) -> None:
    """A clinic of three disciplines whose export names no provider type: a GO line is an OT's, a 92507
    line an SLP's, a 0430 revenue code occupational therapy. Before: all judged as a PT's, so every
    correct OT and SLP line was a MOD002 error."""
    sheet = tmp_path / "disciplines.csv"
    sheet.write_text("Acct,DOS,Rev Code,CPT,Mod,Units,Minutes,Primary Insurance\n"
                     "A,03/02/2026,,97530,GO,2,30,Medicare\n"       # OT by its modifier: clean
                     "B,03/02/2026,,92507,GN,1,30,Medicare\n"       # SLP: clean
                     "C,03/02/2026,,97166,,1,45,Medicare\n"         # an OT evaluation without GO: add GO
                     "D,03/02/2026,0430,97535,GO,1,15,Medicare\n"   # the revenue code says OT too: clean
                     "E,03/02/2026,0420,97530,GO,1,15,Medicare\n")  # revenue code PT, modifier GO: MOD002
    _, report = scrub_json(sheet)
    assert [(f["row"], f["rule"], f["fix"]) for f in report["findings"]] == [
        (4, "MOD001", "Add GO (the provider is OT)"), (6, "MOD002", "Use GP instead of GO")]
    assert report["reading"]["fields"]["revenue_code"] == "Rev Code (C)"


def test_a_therapist_without_a_credential_is_judged_by_the_lines_discipline(tmp_path: Path) -> None:
    sheet = tmp_path / "names.csv"
    sheet.write_text("Acct,DOS,CPT,Mod,Units,Minutes,Primary Insurance,Therapist\n"
                     "A,03/02/2026,97530,GO,2,30,Medicare,Jane Roe\n"
                     "B,03/02/2026,97110,GO,1,15,Medicare,Kim Lee PT\n")   # a PT named: GO is wrong
    _, report = scrub_json(sheet)
    assert [(f["row"], f["rule"], f["message"]) for f in report["findings"]] == [
        (2, "DAT008", "provider type: 'Jane Roe' has no credential ptcalc recognises and is not on the roster, "
                      "judged as an OT (its GO modifier)"),
        (3, "MOD002", "GO means an OT plan of care but the provider is PT")]


def test_a_blank_credential_cell_is_the_lines_discipline_not_a_pt(tmp_path: Path) -> None:
    sheet = tmp_path / "credentials.csv"
    sheet.write_text("Acct,DOS,CPT,Mod,Units,Minutes,Primary Insurance,Credential\n"
                     "A,03/02/2026,97530,GO,2,30,Medicare,\n"        # blank: an OT line by its GO, clean
                     "B,03/02/2026,92507,GN,1,30,Medicare,\n"        # blank: SLP, clean
                     "C,03/02/2026,97110,GO,1,15,Medicare,DPT\n")    # a PT named: GO is wrong
    _, report = scrub_json(sheet)
    assert [(f["row"], f["rule"]) for f in report["findings"]] == [(4, "MOD002")]


def test_a_plan_sent_to_the_referring_physician_certifies_it_from_2025(tmp_path: Path) -> None:
    """42 CFR 424.24(c) from 2025: a signed referral order and the plan sent within 30 days certify the
    initial plan without a signature on it. An export with a `POC Sent Date` column: sent in time is clean,
    sent late (and unsigned) an error; without the column an unsigned plan is a warning to check the record
    (before: an error on every line after day 30 of every referred patient's plan)."""
    header = "Acct,DOS,CPT,Mod,Units,Minutes,Primary Insurance,Start of Care,POC Signed"
    rows = ("A,03/02/2026,97110,GP,1,15,Medicare,01/05/2026,",         # day 56, unsigned
            "B,03/02/2026,97110,GP,1,15,Medicare,01/05/2026,03/01/2026",  # signed late
            "C,03/02/2026,97110,GP,1,15,Medicare,01/05/2026,01/20/2026")  # signed in time
    sent = ("01/09/2026", "02/20/2026", "")
    with_sent = tmp_path / "sent.csv"
    with_sent.write_text(f"{header},POC Sent Date\n" + "".join(f"{row},{date}\n" for row, date in zip(rows, sent)))
    _, report = scrub_json(with_sent)
    assert report["reading"]["fields"]["poc_sent"] == "POC Sent Date (J)"
    assert [(f["row"], f["rule"], f["severity"]) for f in report["findings"]] == [(3, "POC001", "error")]
    assert "and sent 2026-02-20, after 2026-02-04 to the referring physician/NPP" in report["findings"][0]["message"]
    without = tmp_path / "unsent.csv"
    without.write_text(f"{header}\n" + "".join(f"{row}\n" for row in rows))
    _, report = scrub_json(without)
    assert [(f["row"], f["rule"], f["severity"]) for f in report["findings"]] == [(2, "POC001", "warning"),
                                                                                  (3, "POC001", "warning")]


GROUPED = """Charge Detail by Patient
Acct,Patient,DOS,CPT,Mod,Units,Minutes,Insurance
Patient: A100 - DOE JANE,,,,,,,
,,03/02/2026,97110,GP,2,30,Medicare
,,03/02/2026,97140,GP,1,15,Medicare
Patient Total,,,,,3,45,
A101,,,,,,,
,,03/02/2026,97110,GP,3,30,Medicare
,,03/04/2026,97530,,2,30,Medicare
Provider: Amy Jones,,,,,,,
,,03/05/2026,97110,GP,1,15,Medicare
Grand Total,,,,,7,,
"""


def test_a_report_grouped_by_patient_gives_each_line_its_heading_s_patient(tmp_path: Path) -> None:
    """Crystal-style `Charge Detail by Patient`: the patient printed once in a heading row (`Patient: …`,
    or the account cell alone) above lines whose patient cell is blank. Before: every line a DAT001
    error (patient_id is empty). A heading of another group (`Provider: …`) within a patient's names no
    patient of its own: the lines under it stay the patient's; nor does a total."""
    sheet = tmp_path / "grouped.csv"
    sheet.write_text(GROUPED)
    _, report = scrub_json(sheet)
    found = [(f["row"], f["rule"], f["patient_id"]) for f in report["findings"]]
    # The provider heading names row 11's provider (no provider column): a name without a credential, said
    assert found == [(8, "UNT001", "A101"), (9, "MOD001", "A101"), (11, "DAT008", "A101")], found
    assert report["reading"]["from_headings"] == {"patient_id": 5, "provider": 1}
    assert set(report["reading"]["not_claim_lines"]) == {"3", "6", "7", "10", "12"}
    assert "patient_id of 5 lines from the group heading above them (a report grouped by patient)" in run_cli("columns", str(sheet)).stdout
    sheet.write_text("Acct,DOS,CPT,Mod,Units,Minutes\nProvider: Amy Jones,,,,,\n,03/05/2026,97110,GP,1,15\n"
                     "Total for Amy Jones,,,,1,15\n,03/05/2026,97110,GP,1,15\n")
    _, report = scrub_json(sheet)
    # The provider's (to its total), never a patient: no credential in the heading, said on its line
    assert [(f["row"], f["rule"]) for f in report["findings"]] == [(3, "DAT001"), (3, "DAT008"), (5, "DAT001")]
    assert report["reading"]["from_headings"] == {"provider": 1}


def test_a_patient_heading_reaches_lines_in_the_next_chunk_and_yields_to_lines_with_their_own(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from datetime import date

    from ptcalc.scrub import runner

    sheet = tmp_path / "grouped.csv"
    sheet.write_text("Acct,DOS,CPT,Mod,Units,Minutes\nPatient: A100,,,,,\n,03/02/2026,97110,GP,1,15\n"
                     ",03/03/2026,97110,GP,1,15\nB200,03/03/2026,97110,GP,1,15\n,03/04/2026,97110,GP,1,15\n")
    monkeypatch.setattr(runner, "CHUNK_ROWS", 2)  # the heading and its second line in different chunks
    result = runner.scrub_file(sheet, as_of=date(2026, 11, 22), stream=True)
    assert [(line.row, line.patient_id) for line in result.lines] == [(3, "A100"), (4, "A100"), (5, "B200"),
                                                                      (6, None)]


def test_a_report_grouped_by_date_and_patient_gives_lines_both_headings(tmp_path: Path) -> None:
    """`Daily Charges`: a date heading, patient headings under it, then code lines; a line naming its own
    date is its own. `Date: pending` is not a date heading, so the line under it has no date (DAT001)."""
    sheet = tmp_path / "daily.csv"
    sheet.write_text("Acct,DOS,CPT,Mod,Units,Minutes,Insurance\n"
                     "Date of Service: 03/02/2026,,,,,,\n"
                     "A100,,,,,,\n"
                     ",,97110,GP,2,30,Medicare\n"          # A100 on 03/02
                     "A101,,97140,GP,1,15,Medicare\n"      # its own patient, the heading's date
                     "DOS: 03/03/2026,,,,,,\n"
                     "A100,,97110,GP,3,30,Medicare\n"      # 03/03: 3 units for 30 minutes
                     "A100,03/09/2026,97110,GP,1,15,Medicare\n"
                     "Date: pending,,,,,,\n"
                     "A102,,97110,GP,1,15,Medicare\n")
    _, report = scrub_json(sheet)
    found = [(f["row"], f["rule"], f["patient_id"], f["dos"]) for f in report["findings"]]
    assert found == [(7, "UNT001", "A100", "2026-03-03"), (10, "DAT001", "A102", None)], found
    assert report["reading"]["from_headings"] == {"patient_id": 1, "dos": 3}


def test_a_payer_s_own_pair_policy_is_not_dated_as_an_ncci_edit(tmp_path: Path) -> None:
    """A payer override (reference/payers.yaml) is the payer's policy: its message names the payer and
    source, not the vintage of the NCCI file, which says nothing about it. Aetna and Humana dropped the same
    policy (WebPT's post, updated 2023-04-18): Aetna's bill of the pair is not denied."""
    sheet = tmp_path / "payers.csv"
    sheet.write_text("patient_id,dos,cpt,units,minutes,modifiers,payer\nA1,2026-03-02,97530,1,15,GP,Anthem\n"
                     "A1,2026-03-02,97140,1,15,GP 59,Anthem\n"
                     "A2,2026-03-02,97530,1,15,GP 59,Aetna\nA2,2026-03-02,97140,1,15,GP,Aetna\n")
    _, report = scrub_json(sheet)
    [finding] = [f for f in report["findings"] if f["severity"] != "info"]
    assert finding["rule"] == "PTP002" and "the payer (Anthem) denies 97530 with 97140 even with 59" in finding["message"]
    assert finding["row"] == 2 and "NCCI edits of" not in finding["message"]
    # Aetna's 59 is only questioned (MOD010, info: a commercial plan's own edits may pair codes NCCI does not)
    assert [(f["row"], f["rule"]) for f in report["findings"] if f["patient_id"] == "A2"] == [(4, "MOD010")]


def test_a_date_alone_in_its_column_heads_the_lines_under_it_and_is_not_a_line(tmp_path: Path) -> None:
    """An xlsx `Daily Charge Report` prints each day once, in the DOS column of a row of its own. Before:
    that row was a claim line with three DAT001 errors, and the lines under it had no date."""
    import datetime as dt

    book = tmp_path / "daily.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Acct", "DOS", "CPT", "Mod", "Units", "Minutes", "Insurance"])
    ws.append([None, dt.datetime(2026, 3, 2)])
    ws.append(["A100", None, "97110", "GP", 2, 30, "Medicare"])
    ws.append(["A101", None, "97140", "GP", 3, 30, "Medicare"])
    wb.save(book)
    _, report = scrub_json(book)
    assert [(f["row"], f["rule"], f["dos"]) for f in report["findings"]] == [(4, "UNT001", "2026-03-02")]
    assert report["reading"]["not_claim_lines"] == {"2": "a heading: the date '2026-03-02' alone, no patient or code"}
    assert report["reading"]["from_headings"] == {"dos": 2} and report["summary"]["lines"] == 2


def test_the_plan_sent_column_is_told_from_a_claim_s_sent_date(tmp_path: Path) -> None:
    sheet = tmp_path / "sent.csv"
    sheet.write_text("Acct,DOS,CPT,Units,Minutes,Mod,Date Sent,Claim Sent Date,Plan Sent Date,Start of Care\n"
                     "A1,03/02/2026,97110,1,15,GP,03/05/2026,03/05/2026,01/09/2026,01/05/2026\n")
    _, report = scrub_json(sheet)
    assert report["reading"]["fields"]["poc_sent"] == "Plan Sent Date (I)"
    assert {"Date Sent (G)", "Claim Sent Date (H)"} <= set(report["reading"]["columns_not_used"])


@pytest.mark.parametrize("clock", ["text", "cells"])
def test_a_time_column_holding_times_of_day_is_not_read_as_minutes(tmp_path: Path, clock: str) -> None:
    """A schedule's `Time` says when the visit was (10:30 AM): read as minutes, every line was an error."""
    header = ["Visit Date", "Time", "Acct #", "Proc Code", "Mod1", "Qty", "Ins Plan"]
    times = [("10:30 AM", time(10, 30)), ("10:30 AM", time(10, 30)), ("1:15 PM", time(13, 15)), ("14:45", time(14, 45))]
    codes = [("A1", "97110", 2), ("A1", "97140", 1), ("A2", "97110", 2), ("A3", "97530", 1)]
    if clock == "text":
        sheet = tmp_path / "schedule.csv"
        with sheet.open("w", newline="") as handle:
            csv.writer(handle).writerows([header] + [["03/02/2026", text, *code[:2], "GP", code[2], "Medicare"]
                                                     for (text, _), code in zip(times, codes)])
    else:
        sheet = tmp_path / "schedule.xlsx"
        wb = openpyxl.Workbook()
        ws = wb.active
        ws.append(header)
        for (_, cell), code in zip(times, codes):
            ws.append([datetime(2026, 3, 2), cell, *code[:2], "GP", code[2], "Medicare"])
            ws.cell(ws.max_row, 2).number_format = "h:mm AM/PM"
        wb.save(sheet)
    _, report = scrub_json(sheet)
    reading = report["reading"]
    assert "minutes" not in reading["fields"] and reading["times_of_day"] == ["Time (B)"]
    assert "Time (B)" not in reading["columns_not_used"]
    rules = {(f["row"], f["rule"], f["status"]) for f in report["findings"]}
    assert not {r for r in rules if r[1] in ("DAT002", "UNT001", "UNT002", "UNT003")}  # no false alarms
    assert {(row, "UNT005", "no_data") for row in (2, 3, 4, 5)} <= rules  # the minutes are unknown, and said so
    assert "Time (B): times of day" in run_cli("columns", str(sheet)).stdout


def test_a_time_column_holding_durations_is_still_read_as_minutes(tmp_path: Path) -> None:
    sheet = tmp_path / "durations.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Visit Date", "Time", "Acct #", "Proc Code", "Mod1", "Qty", "Ins Plan"])
    ws.append([datetime(2026, 3, 2), time(0, 38), "A1", "97110", "GP", 3, "Medicare"])  # 38 minutes: 3 units
    ws.append([datetime(2026, 3, 2), "0:20", "A2", "97110", "GP", 2, "Medicare"])  # 20 minutes: 1 unit, not 2
    ws.append([datetime(2026, 3, 2), 22, "A3", "97110", "GP", 2, "Medicare"])  # 22 minutes: 1 unit, not 2
    ws["B2"].number_format = "h:mm"
    wb.save(sheet)
    _, report = scrub_json(sheet)
    assert report["reading"]["fields"]["minutes"] == "Time (B)" and "times_of_day" not in report["reading"]
    assert {(f["row"], f["rule"]) for f in report["findings"]} == {(3, "UNT001"), (4, "UNT001")}


def test_an_export_with_the_payer_s_authorization_judges_its_dates_and_visits(tmp_path: Path) -> None:
    sheet = tmp_path / "auth.csv"
    sheet.write_text(
        "Acct #,DOS,CPT,Mod 1,Units,Minutes,Primary Insurance,Auth #,Auth Visits,Auth Start,Auth Exp,Auth Units,Visits\n"
        "A1,03/02/2026,97110,GP,2,30,Aetna PPO,AU-1,3,03/01/2026,03/31/2026,24,1\n"
        "A1,03/04/2026,97110,GP,2,30,Aetna PPO,AU-1,3,03/01/2026,03/31/2026,24,2\n"
        "A1,03/04/2026,97140,GP,1,15,Aetna PPO,AU-1,3,03/01/2026,03/31/2026,24,2\n"
        "A1,03/06/2026,97110,GP,2,30,Aetna PPO,AU-1,3,03/01/2026,03/31/2026,24,3\n"
        "A1,03/09/2026,97110,GP,2,30,Aetna PPO,AU-1,3,03/01/2026,03/31/2026,24,4\n"
        "A1,04/02/2026,97110,GP,2,30,Aetna PPO,AU-1,3,03/01/2026,03/31/2026,24,5\n"
        "A2,03/02/2026,97110,GP,2,30,Medicare,,,,,,1\n")
    code, report = scrub_json(sheet)
    fields = report["reading"]["fields"]
    assert (fields["auth_number"], fields["auth_visits"], fields["auth_start"], fields["auth_end"]) == (
        "Auth # (H)", "Auth Visits (I)", "Auth Start (J)", "Auth Exp (K)")
    assert {"Auth Units (L)", "Visits (M)"} <= set(report["reading"]["columns_not_used"])
    # The 3rd visit uses the authorization up; the 4th is past it; 04/02 is after it ends; Medicare has none.
    assert {(f["row"], f["rule"]) for f in report["findings"]} == {(5, "AUT003"), (6, "AUT002"), (7, "AUT001")}
    assert code == 1


def test_a_certification_period_is_read_from_its_own_columns_before_the_start_of_care(tmp_path: Path) -> None:
    """`Cert From` / `Cert Thru` give the current (recertified) period; the episode's `Start of Care` is its
    first period's start: judged on it, every visit after day 90 of a recertified patient was a POC002 error."""
    sheet = tmp_path / "recert.csv"
    sheet.write_text("Acct #,DOS,CPT,Mod 1,Units,Minutes,Financial Class,Start of Care,Cert From,Cert Thru,"
                     "Plan of Care End\n"
                     "R1,05/15/2026,97110,GP,1,15,Medicare,01/02/2026,04/01/2026,06/29/2026,\n"
                     "R1,07/02/2026,97110,GP,1,15,Medicare,01/02/2026,04/01/2026,06/29/2026,\n")
    _, report = scrub_json(sheet)
    fields = report["reading"]["fields"]
    assert (fields["poc_start"], fields["poc_end"]) == ("Cert From (I)", "Cert Thru (J)")
    assert "payer" not in fields  # `Plan of Care End` is no insurance plan
    assert {(f["row"], f["rule"]) for f in report["findings"]} == {(3, "POC002")}


_TWO_ANNAS = [["Smith", "Anna", "01/02/1950", "03/02/2026", "97110", "GP", 2, 30, "Medicare Part B"],
              ["Smith", "Anna", "01/02/1950", "03/02/2026", "97140", "GP", 1, 15, "Medicare Part B"],
              ["Smith", "Anna", "07/08/1961", "03/02/2026", "97110", "GP", 2, 30, "Medicare Part B"],
              ["Smith", "Anna", "07/08/1961", "03/02/2026", "97530", "GP", 1, 15, "Medicare Part B"],
              ["Smith", "Bob", "05/06/1948", "03/02/2026", "97110", "", 2, 30, "Medicare Part B"]]


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_patients_named_by_last_name_first_name_and_birth_date_are_keyed_by_all_three(kind: str,
                                                                                       tmp_path: Path) -> None:
    # Before: no patient column found, the sheet refused — a common export shape (no account number).
    header = ["Last Name", "First Name", "DOB", "Date of Service", "CPT", "Mod 1", "Units", "Minutes",
              "Primary Insurance"]
    sheet = tmp_path / f"names.{kind}"
    if kind == "csv":
        with sheet.open("w", newline="") as handle:
            csv.writer(handle).writerows([header, *_TWO_ANNAS])
    else:
        wb = openpyxl.Workbook()
        for row in [header, *_TWO_ANNAS]:
            wb.active.append([_typed(v) for v in row])
        wb.save(sheet)
    _, report = scrub_json(sheet)
    assert report["reading"]["fields"]["patient_id"] == "Last Name (A) + First Name (B) + DOB (C) (read together)"
    assert report["reading"]["columns_not_used"] == []
    # Two patients of one name seen the same day are two patients: no duplicate line, no repeated code
    assert {(f["row"], f["rule"]) for f in report["findings"]} == {(6, "MOD001")}
    assert report["findings"][0]["patient_id"] == "Smith, Bob (1948-05-06)"


def test_without_a_birth_date_patients_of_one_name_are_one_patient_and_a_name_column_takes_the_birth_date(
        tmp_path: Path) -> None:
    sheet = tmp_path / "names.csv"
    with sheet.open("w", newline="") as handle:  # the sheet itself cannot tell the two Annas apart
        csv.writer(handle).writerows([["Pt Last Name", "Pt First Name", "DOS", "CPT", "Mod", "Units", "Minutes"],
                                      *([r[0], r[1], *r[3:8]] for r in _TWO_ANNAS)])
    _, report = scrub_json(sheet)
    assert report["reading"]["fields"]["patient_id"] == "Pt Last Name (A) + Pt First Name (B) (read together)"
    assert (4, "DAT003") in {(f["row"], f["rule"]) for f in report["findings"]}
    with sheet.open("w", newline="") as handle:  # `Smith, Anna` in a Patient Name column, beside the birth date
        csv.writer(handle).writerows([["Patient Name", "Birth Date", "DOS", "CPT", "Mod", "Units", "Minutes"],
                                      *([f"{r[0]}, {r[1]}", *r[2:8]] for r in _TWO_ANNAS)])
    _, report = scrub_json(sheet)
    assert report["reading"]["fields"]["patient_id"] == "Patient Name (A) + Birth Date (B) (read together)"
    assert {(f["row"], f["rule"]) for f in report["findings"]} == {(6, "MOD001")}
    with sheet.open("w", newline="") as handle:  # a patient number is the patient: the birth date is not read
        csv.writer(handle).writerows([["Patient", "DOB", "DOS", "CPT", "Mod", "Units", "Minutes"],
                                      *([f"A10{i // 2}", *r[2:8]] for i, r in enumerate(_TWO_ANNAS))])
    _, report = scrub_json(sheet)
    assert report["reading"]["fields"]["patient_id"] == "Patient (A)"
    assert report["reading"]["columns_not_used"] == ["DOB (B)"]
    assert {(f["row"], f["rule"]) for f in report["findings"]} == {(6, "MOD001")}


def test_a_report_printing_a_named_patient_once_per_visit_carries_every_part_of_the_name_down(tmp_path: Path) -> None:
    sheet = tmp_path / "grouped.csv"
    sheet.write_text("Last Name,First Name,DOB,Date of Service,CPT,Mod,Units,Minutes\n"
                     "Smith,Anna,01/02/1950,03/02/2026,97110,GP,2,30\n"
                     ",,,,97140,GP,1,15\n"
                     "Smith,Anna,07/08/1961,03/02/2026,97110,GP,2,30\n"
                     ",,,,97110,GP,1,15\n")   # the second Anna's visit bills 97110 twice: UNT006
    _, report = scrub_json(sheet)
    found = {(f["row"], f["rule"], f["patient_id"]) for f in report["findings"] if f["rule"] != "DAT008"}
    assert found == {(5, "UNT006", "Smith, Anna (1961-07-08)")}   # each carried line is its visit's patient


def test_a_rendering_provider_who_is_a_student_an_aide_or_an_athletic_trainer(tmp_path: Path) -> None:
    # Before: each judged as a PT with an info note that the name had "no credential ptcalc recognises".
    sheet = tmp_path / "staff.csv"
    sheet.write_text("Acct,DOS,CPT,Mod,Units,Minutes,Payer,Rendering Provider\n"
                     "P1,03/02/2026,97110,GP,2,30,Medicare,\"Fit, Joe ATC\"\n"
                     "P2,03/02/2026,97110,GP,2,30,Medicare,\"Doe, Jane SPT\"\n"
                     "P3,03/02/2026,97110,GP,2,30,Medicare,\"Lee, Kim PT, ATC\"\n"
                     "P4,03/02/2026,97110,GP,2,30,Medicare,\"Roe, Al PT Aide\"\n"
                     "P5,03/02/2026,97110,GP,2,30,Aetna PPO,\"Roe, Al PT Aide\"\n")
    _, report = scrub_json(sheet)
    found = {(f["row"], f["rule"], f["severity"]) for f in report["findings"] if f["rule"] != "DAT008"}
    assert found == {(2, "PRV003", "error"), (3, "PRV004", "warning"), (5, "PRV003", "error")}
    notes = {f["row"]: f["message"] for f in report["findings"] if f["rule"] == "DAT008"}
    assert notes[6] == "provider type: 'Roe, Al PT Aide' is an aide (no therapist), judged as a PT (its GP modifier)"
    assert 4 not in notes   # a PT who is also an athletic trainer is a PT
    # The annotated copy highlights the provider's name, the cell that says who rendered the line
    copy = tmp_path / "staff.scrubbed.xlsx"
    run_cli("scrub", str(sheet), "-o", str(copy), "--as-of", AS_OF)
    names = [row[7] for row in openpyxl.load_workbook(copy).worksheets[0].iter_rows(min_row=2, max_row=6)]
    assert [cell.fill.fgColor.rgb if cell.fill.fill_type else None for cell in names] == [
        "FFFFC7CE", "FFFFEB9C", None, "FFFFC7CE", None]   # error, warning, clean, error, an aide on Aetna: info


def test_a_fee_below_the_medicare_allowed_amount_is_money_left_on_the_table(tmp_path: Path) -> None:
    from ptcalc.fees import visit_fee

    # SSA §1848(a)(1): Medicare pays the lesser of the charge and the fee schedule amount.
    sheet = tmp_path / "fees.csv"
    sheet.write_text("Acct,DOS,CPT,Mod,Units,Minutes,Charge,Locality\n"
                     "F1,03/02/2026,97110,GP,1,15,$20.00,13282-99\n"     # below the allowed amount
                     "F2,03/02/2026,97110,GP,1,15,$55.00,13282-99\n"     # above it
                     "F3,03/02/2026,97110,GP,1,15,$20.00,\n")            # national rates: nobody's locality
    _, report = scrub_json(sheet)
    allowed = visit_fee(["97110"], [1], "13282-99", "2026-03-02").total
    assert [(f["row"], f["rule"], f["amount_at_risk"]) for f in report["findings"]] == [
        (2, "COV004", round(float(allowed) - 20, 2))]
    assert report["summary"]["dollars_left_on_table"] == round(float(allowed) - 20, 2)


def test_a_role_column_saying_therapist_or_assistant_takes_the_lines_discipline(tmp_path: Path) -> None:
    # Before: `Assistant` and `Therapist` were a DAT002 on every line ("not one of PT, PTA, OT, OTA, SLP").
    found = rows_and_rules(tmp_path / "role.csv", "Acct,DOS,CPT,Mod,Units,Minutes,Payer,Provider Role\n"
                                                  "A1,03/02/2026,97110,GP,1,15,Medicare,Assistant\n"     # a PTA: CQ
                                                  "A2,03/02/2026,97110,GP CQ,1,15,Medicare,Assistant\n"
                                                  "A3,03/02/2026,97530,GO,1,15,Medicare,Therapist\n"
                                                  "A4,03/02/2026,97530,GO,1,15,Medicare,Assistant\n"     # an OTA: CO
                                                  "A5,03/02/2026,92507,GN,1,,Medicare,Assistant\n")      # an SLPA
    assert found == {(2, "MOD005"), (5, "MOD005"), (6, "PRV003")}


def test_a_plan_date_written_pending_or_not_signed_is_no_date_yet(tmp_path: Path) -> None:
    # Before: a DAT002 error on each such line, even a plan's fifth day, when no certification is due yet.
    found = rows_and_rules(tmp_path / "pending.csv", "Acct,DOS,CPT,Mod,Units,Minutes,POC Start,Cert Date\n"
                                                     "A1,03/05/2026,97110,GP,1,15,03/01/2026,Pending\n"
                                                     "A2,03/05/2026,97110,GP,1,15,03/01/2026,N/A\n"
                                                     "A3,04/15/2026,97110,GP,1,15,03/01/2026,Not signed\n"
                                                     "A4,03/05/2026,97110,GP,1,15,03/01/2026,Faxed 3/2\n")
    assert found == {(4, "POC001"), (5, "DAT002")}   # day 46 uncertified; a note in a date cell is still refused


def test_n_a_or_a_dash_in_an_optional_cell_is_a_blank_cell(tmp_path: Path) -> None:
    # Before: a DAT002 error on the evaluation's `N/A` minutes, and on every `-` an export prints for nothing.
    found = rows_and_rules(tmp_path / "na.csv", "Acct,DOS,CPT,Mod,Units,Minutes,PTA Minutes,YTD Prior\n"
                                                "A1,03/05/2026,97161,GP,1,N/A,N/A,N/A\n"
                                                "A2,03/05/2026,97150,GP,1,-,-,-\n"
                                                "A3,03/05/2026,97110,GP,1,N/A,,\n"          # a timed code: no minutes
                                                "A4,03/05/2026,97110,GP,N/A,15,,\n")        # units are required
    assert found == {(4, "UNT005"), (5, "DAT002")}


def test_a_comma_that_groups_no_thousands_is_not_read_away(tmp_path: Path) -> None:
    # Before: `22,5` minutes (a decimal comma in a comma-delimited file) were 225 minutes, a false UNT002 saying
    # 15 units were earned, and `2,1` units were 21 (MUE001, UNT001): plausible wrong numbers, not unreadable cells.
    found = rows_and_rules(tmp_path / "commas.csv", "Acct,DOS,CPT,Mod,Units,Minutes,Charge\n"
                           'C1,03/02/2026,97110,GP,2,"22,5",$100.00\n'
                           'C2,03/02/2026,97110,GP,"2,1",30,$100.00\n'
                           'C3,03/02/2026,97110,GP,2,30,"$1,100.00"\n')   # grouped thousands: a charge
    assert found == {(2, "DAT002"), (3, "DAT002")}


def test_a_sheet_whose_text_dates_are_day_first_is_read_day_first(tmp_path: Path) -> None:
    # Before: 16/03/2026 was DAT002 and 09/03/2026 was 3 September (after the plan's 90 days: POC002, and a
    # visit in the future of an April as-of date), 02/03/2026 was 3 February.
    sheet = tmp_path / "day_first.csv"
    sheet.write_text("patient_id,dos,cpt,modifiers,units,minutes,payer_type,poc_start\n"
                     "P1,02/03/2026,97110,GP,2,30,medicare,02/03/2026\n"
                     "P1,09/03/2026,97110,GP,2,30,medicare,02/03/2026\n"
                     "P1,16/03/2026,97110,GP,2,30,medicare,02/03/2026\n"
                     "P1,19/03/2026,97110,GP,2,30,medicare,02/03/2026\n"
                     "P2,05/03/2026,97140,GP,3,20,medicare,\n")             # 3 units for 20 minutes
    _, report = scrub_json(sheet, "--as-of", "2026-04-01")
    assert [(f["row"], f["rule"], f["dos"]) for f in report["findings"]] == [(6, "UNT001", "2026-03-05")]
    assert report["reading"]["dates_day_first"].startswith("text dates read day first, as '16/03/2026' (16 March 2026)")
    columns = run_cli("columns", str(sheet))
    assert "dates: text dates read day first" in columns.stdout


@pytest.mark.parametrize(("dates", "found"), [
    (("03/02/2026", "03/16/2026"), set()),                          # a US sheet: 03/02 is 2 March
    (("16/03/2026", "17/03/2026", "03/18/2026"), {(2, "DAT002"), (3, "DAT002")}),  # both orders: neither is assumed
    # A US week with a typo: read day first, its dates would fall in five months; read month first, in one
    (("03/02/2026", "03/03/2026", "03/04/2026", "03/05/2026", "03/06/2026", "16/03/2026", "13/03/2026"),
     {(7, "DAT002"), (8, "DAT002")}),
    (("03/02/2026", "16/03/2026"), {(3, "DAT002")}),                 # one such date: more likely a typo
])
def test_day_first_is_read_only_where_the_dates_say_so(dates: tuple[str, ...], found: set,
                                                               tmp_path: Path) -> None:
    sheet = tmp_path / "dates.csv"
    sheet.write_text("patient_id,dos,cpt,modifiers,units,minutes,payer_type\n" +
                     "".join(f"P{i},{d},97110,GP,2,30,medicare\n" for i, d in enumerate(dates)))
    _, report = scrub_json(sheet, "--as-of", "2026-04-01")
    assert {(f["row"], f["rule"]) for f in report["findings"]} == found
    assert "dates_day_first" not in report["reading"]
    if found:
        assert any("'16/03/2026' is written day first (16 is no month); write it month first, 03/16/2026" in
                   f["message"] for f in report["findings"])


def test_therapy_at_a_snf_in_a_part_a_stay_is_the_snfs_to_bill_not_a_practices(tmp_path: Path) -> None:
    """SNF consolidated billing: therapy to a resident in a covered Part A stay (POS 31) is in the SNF's payment and
    billed by the SNF alone; a practice's Medicare line there is denied (COV005, CMS Recovery Audit topic 0138). A
    nursing facility (POS 32), a Medicare Advantage plan, and a sheet of revenue codes (the SNF's own institutional
    claim) are not judged so."""
    sheet = tmp_path / "snf.csv"
    text = ("Acct,DOS,CPT,Mod,Units,Minutes,Insurance,POS{rev}\n"
            "S1,03/02/2026,97110,GP,2,30,Medicare Part B,31{code}\n"
            "S2,03/02/2026,97110,GP,2,30,Medicare Part B,32{code}\n"
            "S3,03/02/2026,97110,GP,2,30,Humana Gold Plus,31{code}\n")
    sheet.write_text(text.format(rev="", code=""))
    _, report = scrub_json(sheet)
    assert [(f["row"], f["rule"], f["status"]) for f in report["findings"]] == [(2, "COV005", "fail")]
    sheet.write_text(text.format(rev=",Rev Code", code=",0420"))
    _, report = scrub_json(sheet)
    assert not report["findings"]


def test_an_epic_hospital_transaction_export_keys_patients_by_its_hospital_account(tmp_path: Path) -> None:
    """Epic's hospital billing exports key a patient's visits by the hospital account (`HAR`, one patient's; a
    recurring therapy series' visits share one) and give Epic's own procedure code beside the CPT/HCPCS: the sheet
    was refused, "no patient_id". HAR keys the patients where no MRN is beside it; the CPT/HCPCS is the code."""
    sheet = tmp_path / "transactions.csv"
    text = ("HAR,{mrn}Service Date,Procedure Code,Procedure Description,CPT/HCPCS,Modifiers,Quantity,Revenue Code,"
            "Primary Payor\n"
            "5001,{m1}03/02/2026,PT1001,HC THER EX EA 15 MIN,97110,GP,2,0420,MEDICARE\n"
            "5001,{m1}03/02/2026,PT1001,HC THER EX EA 15 MIN,97110,GP,2,0420,MEDICARE\n"
            "5002,{m2}03/02/2026,PT1002,HC MANUAL THER EA 15 MIN,97140,,1,0420,MEDICARE\n")
    sheet.write_text(text.format(mrn="", m1="", m2=""))
    _, report = scrub_json(sheet)
    assert (report["reading"]["fields"]["patient_id"], report["reading"]["fields"]["cpt"]) == ("HAR (A)",
                                                                                              "CPT/HCPCS (E)")
    assert {(f["row"], f["rule"]) for f in report["findings"] if f["status"] == "fail"} == {
        (3, "DAT003"), (3, "UNT006"), (4, "MOD001")}
    sheet.write_text(text.format(mrn="MRN,", m1="E77,", m2="E77,"))  # one patient, two accounts: the MRN keys
    _, report = scrub_json(sheet)
    assert report["reading"]["fields"]["patient_id"] == "MRN (B)" and "HAR (A)" in report["reading"]["columns_not_used"]
    # Without a patient column the refusal names what the header lacks, not what data cells (`15 MIN`) look like
    sheet.write_text(text.format(mrn="", m1="", m2="").replace("HAR,", "Visit Seq,", 1))
    refused = run_cli("scrub", str(sheet), "--format", "json", "--as-of", AS_OF)
    assert refused.returncode == 2 and "but no patient_id (patient_id may be headed" in refused.stderr
    assert "HC THER EX" not in refused.stderr


def test_a_hospital_charge_export_reads_its_performing_providers_and_encounters(tmp_path: Path) -> None:
    # A hospital outpatient export (Epic-like): MRN, CSN, revenue codes, HCPCS, `Performing Provider` with the
    # credential in brackets. Before: `SMITH, ANN [PT]` was no credential (DAT008 on every line), CSN unused.
    sheet = tmp_path / "hospital.csv"
    sheet.write_text(
        "MRN,CSN,Service Date,Rev Code,HCPCS,Modifier 1,Modifier 2,Quantity,Charge Amount,Department,Primary Payer,"
        "Performing Provider\n"
        'E1001,88001,03/02/2026,0424,97163,GP,,1,$420.00,OP REHAB PT,MEDICARE PART A & B,"SMITH, ANN [PT]"\n'
        'E1001,88001,03/02/2026,0420,97110,GP,,2,$190.00,OP REHAB PT,MEDICARE PART A & B,"SMITH, ANN [PT]"\n'
        'E1002,88002,03/02/2026,0430,97530,GO,,2,$200.00,OP REHAB OT,BCBS PPO,"RAY, ANN [OT]"\n'
        'E1003,88003,03/02/2026,0440,92507,GN,,1,$180.00,OP REHAB SLP,MEDICARE PART A & B,"POE, LIZ [SLP]"\n'
        'E1004,88004,03/02/2026,0420,97110,,,3,$285.00,OP REHAB PT,MEDICARE PART A & B,"SMITH, ANN [PT]"\n')
    _, report = scrub_json(sheet)
    assert (report["reading"]["fields"]["claim_id"], report["reading"]["columns_not_used"]) == (
        "CSN (B)", ["Department (J)"])
    assert report["reading"]["hospital_edits"].startswith("Rev Code (D): revenue codes make these an institutional")
    assert sorted((f["row"], f["rule"], f["status"], f["claim_id"]) for f in report["findings"]) == [
        (3, "UNT005", "no_data", "88001"), (4, "UNT005", "no_data", "88002"),      # no minutes in the export
        (6, "MOD001", "fail", "88004"), (6, "UNT005", "no_data", "88004")]


def test_a_webpt_charges_extract_reads_its_insurance_types_and_the_documenting_therapist(tmp_path: Path) -> None:
    # WebPT's Charges extract names insurance types its own way (WCOMP, POS, Employer, Medicare Replacement) and
    # gives two therapists: the Documenting one (a PTA or student who wrote the visit's note) and the
    # Finalizing one (the PT on the claim). Before: WCOMP and POS were DAT008, Employer a DAT002 error, and the
    # two therapist columns were unclear, so neither was read and a PTA's Medicare line without CQ went unseen.
    sheet = tmp_path / "webpt.csv"
    head = ("Date of Service,EMR Patient ID,Patient Name,Primary Insurance Type,Primary Insurance,"
            "Finalizing Therapist,Documenting Therapist,Note Type,CPT Code,CPT Modifier,Units\n")
    rows = [("WCOMP", "Travelers", "Smith, Ann PT", "97110", "GP"),               # 2
            ("POS", "Cigna", "Smith, Ann PT", "97110", "GP"),                     # 3
            ("Employer", "Acme Corp Health Plan", "Smith, Ann PT", "97110", "GP"),  # 4
            ("Medicare Replacement", "Humana Gold Plus", "Smith, Ann PT", "97110", "GP"),  # 5
            ("Medicare", "Medicare Part B", "Lee, Bob PTA", "97110", "GP"),        # 6: a PTA's visit, no CQ
            ("Medicare", "Medicare Part B", "Lee, Bob PTA", "97110", "GP CQ"),     # 7: as billed right
            ("BCBS", "BCBS of Texas", "Lee, Bob PTA", "97110", "GP"),              # 8: no CQ rule for it
            ("POS", "Humana Gold Plus HMO-POS", "Lee, Bob PTA", "97110", "GP")]    # 9: an MA plan's POS
    sheet.write_text(head + "".join(f'03/0{2 + i % 5}/2026,{1001 + i},"Doe, Pat",{kind},{payer},"Smith, Ann PT",'
                                    f'"{documenting}",DN,{code},{modifiers},2\n'
                                    for i, (kind, payer, documenting, code, modifiers) in enumerate(rows)))
    _, report = scrub_json(sheet, "--as-of", "2026-04-01")
    assert report["reading"]["fields"]["provider_name"] == "Documenting Therapist (G)"
    assert "Finalizing Therapist (F)" in report["reading"]["columns_not_used"]
    assert "columns_unclear" not in report["reading"]
    found = sorted((f["row"], f["rule"]) for f in report["findings"] if f["rule"] != "UNT005")  # no minutes
    assert found == [(6, "MOD005"), (9, "DAT008"), (9, "MOD005")]
    assert any("'Humana Gold Plus HMO-POS' is a Medicare Advantage plan, judged as one (its payer type says POS)"
               in f["message"] for f in report["findings"] if f["rule"] == "DAT008")


def test_a_booking_systems_staff_member_is_the_rendering_provider(tmp_path: Path) -> None:
    """Jane's and other booking systems' exports name the practitioner `Staff Member`. Before, the column was not
    used: every line was a PT's, and a PTA's Medicare line without CQ went unseen."""
    sheet = tmp_path / "jane.csv"
    sheet.write_text("Date,Patient,Staff Member,Treatment,Billing Code,Modifiers,Units,Minutes,Insurer,Fee\n"
                     '2026-03-02,Ann Able,"Sam Smith, PT",Follow-up,97110,GP,2,30,Medicare,90.00\n'    # 2
                     '2026-03-03,Cat Cole,"Pat Park, PTA",Follow-up,97110,GP CQ,2,30,Medicare,90.00\n'  # 3: right
                     '2026-03-03,Dan Dee,"Pat Park, PTA",Follow-up,97110,GP,2,30,Medicare,90.00\n'      # 4: no CQ
                     '2026-03-03,Eve Elm,"Pat Park, PTA",Follow-up,97530,GP,2,30,Aetna,100.00\n')       # 5: no rule
    _, report = scrub_json(sheet, "--as-of", "2026-04-01")
    assert report["reading"]["fields"]["provider_name"] == "Staff Member (C)"
    assert [(f["row"], f["rule"]) for f in report["findings"]] == [(4, "MOD005")]
    # A bare `Staff` may be who entered the charge (`Front Desk`): not read, no line said to have an unknown provider
    sheet.write_text("Date,Patient,Staff,Billing Code,Modifiers,Units,Minutes,Insurer\n"
                     "2026-03-02,Ann Able,Front Desk,97110,GP,2,30,Medicare\n")
    _, report = scrub_json(sheet, "--as-of", "2026-04-01")
    assert "provider_name" not in report["reading"]["fields"] and report["findings"] == []


def test_a_booking_systems_appointment_length_on_each_line_is_not_read_as_each_codes_minutes(tmp_path: Path) -> None:
    """Jane's `Duration (min)` is the appointment's length, printed on each of its lines (an evaluation's minutes
    and the time between codes included). Before, read as each code's minutes, every visit of two codes was
    under-billed (UNT002: 45 minutes on each of 97110 and 97140 "support 6 units"), a nudge to bill units that
    were not furnished. Now it is said and not read: the units cannot be checked (UNT005, no_data)."""
    sheet = tmp_path / "jane.csv"
    sheet.write_text("Date,Patient,Staff Member,Billing Code,Modifiers,Units,Duration (min),Insurer\n"
                     '2026-03-02,Ann Able,"Sam Smith, PT",97110,GP,2,45,Medicare\n'
                     '2026-03-02,Ann Able,"Sam Smith, PT",97140,GP,1,45,Medicare\n'
                     '2026-03-02,Bob Best,"Sam Smith, PT",97161,GP,1,60,Medicare\n'
                     '2026-03-02,Bob Best,"Sam Smith, PT",97110,GP,1,60,Medicare\n')
    _, report = scrub_json(sheet, "--as-of", "2026-04-01")
    assert report["reading"]["visit_length"].startswith("Duration (min) (G): each visit's lines carry one length")
    assert "minutes" in report["reading"]["fields_absent"]
    assert {(f["rule"], f["status"]) for f in report["findings"]} == {("UNT005", "no_data")}
    # A clinic whose export says `Duration` for each code's minutes, 15 a code: read as minutes, and 2 units
    # for 15 minutes is still UNT001
    sheet.write_text("Date,Patient,Billing Code,Modifiers,Units,Duration (min),Insurer\n"
                     "2026-03-02,Ann Able,97110,GP,1,15,Medicare\n2026-03-02,Ann Able,97140,GP,1,15,Medicare\n"
                     "2026-03-02,Bob Best,97110,GP,1,15,Medicare\n2026-03-02,Bob Best,97112,GP,2,15,Medicare\n"
                     "2026-03-03,Bob Best,97110,GP,1,15,Medicare\n2026-03-03,Bob Best,97530,GP,1,15,Medicare\n")
    _, report = scrub_json(sheet, "--as-of", "2026-04-01")
    assert report["reading"]["fields"]["minutes"] == "Duration (min) (F)" and "visit_length" not in report["reading"]
    assert [(f["row"], f["rule"]) for f in report["findings"]] == [(5, "UNT001")]


@pytest.mark.parametrize("header", ["Prior Therapy Amount", "Prior Allowed", "Medicare Cap Used Elsewhere"])
def test_the_dollars_a_patient_had_before_the_sheet_start_the_kx_total(header: str, tmp_path: Path) -> None:
    """An export's column of the allowed therapy dollars before the sheet (another clinic's, an earlier EMR's).
    Before, `Prior Therapy Amount` was read as the line's charge and the others not at all: the KX total started
    at $0 and P1's visit over the threshold passed without KX."""
    sheet = tmp_path / "kx.csv"
    sheet.write_text(f"Patient,DOS,CPT,Mod,Units,Minutes,Insurance,{header}\n"
                     "P1,2026-03-02,97110,GP,2,30,Medicare,2450\n"     # 2: over the $2,480 threshold, no KX
                     "P1,2026-03-09,97110,GP KX,2,30,Medicare,2450\n"  # 3: right
                     "P2,2026-03-02,97110,GP,2,30,Medicare,100\n")     # 4: far below
    _, report = scrub_json(sheet, "--as-of", "2026-04-01")
    assert report["reading"]["fields"]["ytd_prior"] == f"{header} (H)" and "charge" not in report["reading"]["fields"]
    assert [(f["row"], f["rule"]) for f in report["findings"]] == [(2, "MOD003")]


def test_plan_of_care_dates_as_emrs_name_them_are_read(tmp_path: Path) -> None:
    """`POC Signed Date` (the physician's certification), `PN Date` (the last progress note) and `Billed To` (the
    payer) were not read, and `Plan Start` / `Plan End` were taken for payer names. P1's plan, unsigned, is past its
    30 days (POC001); P2's, signed in time, is not."""
    sheet = tmp_path / "poc.csv"
    sheet.write_text("Patient,DOS,CPT,Mod,Units,Minutes,Billed To,Plan Start,Plan End,POC Start,POC Signed Date,"
                     "PN Date\n"
                     "P1,2026-03-02,97110,GP,2,30,Medicare,2026-01-02,2026-12-31,2026-01-05,,2026-02-20\n"
                     "P1,2026-03-09,97110,GP,2,30,Medicare,2026-01-02,2026-12-31,2026-01-05,,2026-02-20\n"
                     "P2,2026-03-02,97110,GP,2,30,Medicare,2026-01-01,2026-12-31,2026-02-20,2026-02-25,\n")
    _, report = scrub_json(sheet, "--as-of", "2026-04-01")
    fields = report["reading"]["fields"]
    assert (fields["payer"], fields["poc_certified"], fields["progress_report"]) == (
        "Billed To (G)", "POC Signed Date (K)", "PN Date (L)")
    assert report["reading"]["columns_not_used"] == ["Plan Start (H)", "Plan End (I)"]
    assert [(f["row"], f["rule"]) for f in report["findings"]] == [(2, "POC001"), (3, "POC001")]


def test_a_payer_named_in_a_company_and_a_plan_column_is_read_from_both(tmp_path: Path) -> None:
    # Kareo's charge export: `Primary Insurance Company` and `Primary Insurance Plan`. Before, the two columns
    # were unclear and neither was read: every line was Traditional Medicare, the Aetna line without GP an error.
    sheet = tmp_path / "kareo.csv"
    sheet.write_text(
        "Service Date,Patient ID,Procedure Code,Procedure Modifier1,Procedure Modifier2,Units,Unit Charge,"
        "Total Charges,Rendering Provider,Primary Insurance Company,Primary Insurance Plan\n"
        '3/2/2026,20001,97110,,,1,55.00,55.00,"Smith, Ann PT",Aetna,Aetna Choice POS II\n'
        '3/2/2026,20002,97110,,,1,55.00,55.00,"Smith, Ann PT",Medicare,Medicare Part B\n'
        '3/2/2026,20003,97110,GP,,1,55.00,55.00,"Smith, Ann PT",Humana,Gold Plus HMO\n'
        '3/2/2026,20004,97110,,,1,55.00,55.00,"Smith, Ann PT",,\n')
    result = scrub_file(sheet, as_of=date(2026, 4, 1))
    assert result.reading["fields"]["payer"] == ("Primary Insurance Company (J) + Primary Insurance Plan (K) "
                                                 "(read together)")
    assert "columns_unclear" not in result.reading
    assert [(line.payer, line.payer_type) for line in result.lines] == [
        ("Aetna Choice POS II", "commercial"), ("Medicare Part B", "medicare"),
        ("Humana Gold Plus HMO", "medicare_advantage"), ("", "medicare")]
    # A blank payer: Traditional Medicare, as on any sheet. MOD001 judges both Medicare lines, no_data as neither
    # carries GP (a billing system may add it to Medicare's claims); not the Aetna line
    assert sorted((f.row, f.rule, f.status) for f in result.findings if f.rule == "MOD001") == [
        (3, "MOD001", "no_data"), (5, "MOD001", "no_data")]
    assert not [f for f in result.findings if f.status == "fail"]
    assert result.reading["lines_without_payer"] == 1  # ... and the reading says so


def test_lines_whose_payer_cells_are_blank_are_counted_in_the_reading_not_flagged(tmp_path: Path) -> None:
    # A blank payer type and payer is judged as Traditional Medicare (the contract's default), which was silent
    # on a sheet that has the columns. A sheet may write only its non-Medicare payers: no finding on the lines.
    from ptcalc.scrub.layout import format_reading

    sheet = tmp_path / "payers.csv"
    sheet.write_text("patient_id,dos,cpt,modifiers,units,minutes,payer_type,payer\n"
                     "B1,2026-03-02,97110,GP,2,30,,\n"               # counted
                     "B2,2026-03-02,97110,GP,2,30,,\n"               # counted
                     "B3,2026-03-02,97110,,2,30,commercial,\n"       # a payer type: not counted
                     "B4,2026-03-02,97110,GP,2,30,,Medicare Part B\n"  # a payer: not counted
                     "B5,2026-03-02,,GP,2,30,,\n")                   # no code: DAT001, not counted
    result = scrub_file(sheet, as_of=date(2026, 4, 1))
    assert result.reading["lines_without_payer"] == 2
    assert "payer blank on 2 lines (no payer type, no payer): judged as Traditional Medicare" in \
        format_reading(result.reading)
    assert [(f.row, f.rule) for f in result.findings] == [(6, "DAT001")]
    assert [line.payer_type for line in result.lines[:2]] == ["medicare", "medicare"]
    sheet.write_text("patient_id,dos,cpt,modifiers,units,minutes\nB1,2026-03-02,97110,GP,2,30\n")
    result = scrub_file(sheet, as_of=date(2026, 4, 1))  # no payer column: the reading says that instead
    assert "lines_without_payer" not in result.reading
    assert "no payer_type column: Traditional Medicare for every line" in format_reading(result.reading)


def test_a_carrier_column_beside_a_plan_name_column_is_read_with_it(tmp_path: Path) -> None:
    # `Plan Name` is a payer synonym, `Carrier Name` only the payer by its words: before, the plan alone was read
    # (`Open Access`, no payer ptcalc knows: Traditional Medicare, a false MOD001 and DAT008 on an Aetna line).
    sheet = tmp_path / "carrier.csv"
    sheet.write_text("DOS,Patient ID,CPT,Mod,Units,Minutes,Carrier Name,Plan Name,Secondary Carrier,Insurance Group\n"
                     "03/02/2026,X1,97110,,2,30,Aetna,Open Access,Medicare,GRP123\n")
    result = scrub_file(sheet, as_of=date(2026, 4, 1))
    assert result.reading["fields"]["payer"] == "Carrier Name (G) + Plan Name (H) (read together)"
    assert result.reading["columns_not_used"] == ["Insurance Group (J)"]
    assert result.reading["fields"]["secondary_payer"] == "Secondary Carrier (I)"
    assert [(line.payer, line.payer_type) for line in result.lines] == [("Aetna Open Access", "commercial")]
    # no GP: not required by Aetna, but by Medicare, which gets the claim next
    assert [(f.rule, f.severity) for f in result.findings] == [("MOD001", "warning")]


def test_a_column_map_naming_the_payer_s_column_is_followed(tmp_path: Path) -> None:
    from ptcalc.scrub.header_names import header_key

    sheet = tmp_path / "carrier.csv"
    sheet.write_text("DOS,Patient ID,CPT,Mod,Units,Minutes,Carrier Name,Plan Name\n"
                     "03/02/2026,X1,97110,GP,2,30,Aetna,Medicare Part B\n")
    result = scrub_file(sheet, as_of=date(2026, 4, 1), column_map={header_key("Plan Name"): "payer"})
    assert result.reading["fields"]["payer"] == "Plan Name (H)"
    assert [(line.payer, line.payer_type) for line in result.lines] == [("Medicare Part B", "medicare")]


def test_a_note_type_column_shows_the_progress_reports_poc003_counts_from(tmp_path: Path) -> None:
    # WebPT's `Note Type` (IE initial evaluation, DN daily note, PN progress note, RE re-evaluation, DS discharge).
    # Before, a sheet with the start of care and no progress-report dates counted every visit from the start of
    # care: a PN written on the 10th visit still left visits 11 and 12 flagged as a report overdue.
    from ptcalc.scrub.lines import note_kind

    assert [note_kind(v) for v in ("IE", "DN", "PN", "RE", "DS", "Progress Note", "PN/Recert", "Re-Eval",
                                   "Daily Note", "Initial Evaluation", "Discharge Summary")] == \
        [None, None, "progress report", "progress report", None, "progress report", "progress report",
         "progress report", None, None, None]
    days = ["03/02/2026", "03/03/2026", "03/04/2026", "03/05/2026", "03/06/2026", "03/09/2026", "03/10/2026",
            "03/11/2026", "03/12/2026", "03/13/2026", "03/16/2026", "03/17/2026"]

    def sheet(tenth: str) -> Path:
        notes = ["IE"] + ["DN"] * 8 + [tenth, "DN", "DN"]
        path = tmp_path / f"webpt-{tenth.strip('#').replace('/', '-')}.csv"
        path.write_text("Date of Service,Patient ID,Note Type,CPT Code,Modifier,Units,Minutes,Insurance Type,"
                        "Start of Care\n" + "".join(
                            f"{day},W100,{note},{'97161' if note == 'IE' else '97110'},GP,1,"
                            f"{30 if note == 'IE' else 15},Medicare,03/02/2026\n" for day, note in zip(days, notes)))
        return path

    result = scrub_file(sheet("PN"), as_of=date(2026, 4, 1))
    assert result.reading["fields"]["note_type"] == "Note Type (C)"
    assert not [f for f in result.findings if f.rule == "POC003"]
    for tenth in ("DN", "#N/A"):  # no progress note (an Excel error there says none, and is no DAT002 on the line)
        result = scrub_file(sheet(tenth), as_of=date(2026, 4, 1))
        assert [(f.row, f.rule) for f in result.findings] == [(12, "POC003"), (13, "POC003")]


def test_an_ncci_pair_past_the_quarter_of_the_edits_vintage_names_it_and_one_within_it_does_not(
        tmp_path: Path) -> None:
    """The PTP table is the July 2024 release: a pair on a date past that quarter says which edits judged it
    (CMS may have changed the pair since); a pair within the quarter does not."""
    sheet = tmp_path / "pairs.csv"
    sheet.write_text("patient_id,dos,cpt,units,minutes,modifiers,payer\n"
                     "A1,2024-09-30,97150,1,,GP,Medicare\nA1,2024-09-30,97110,1,15,GP,Medicare\n"
                     "A2,2024-10-01,97150,1,,GP,Medicare\nA2,2024-10-01,97110,1,15,GP,Medicare\n")
    _, report = scrub_json(sheet, "--as-of", "2024-12-01")
    pairs = {f["patient_id"]: f["message"] for f in report["findings"] if f["rule"] == "PTP001"}
    assert set(pairs) == {"A1", "A2"}, report["findings"]
    assert "NCCI edits of" not in pairs["A1"]
    assert pairs["A2"].endswith(" (NCCI edits of July 2024)"), pairs["A2"]


@pytest.mark.parametrize("header, names", [
    ("Acct #,Patient Name", ['"Doe, Anna"', '"Doe, Ben"']),
    ("Account No,Last Name,First Name", ["Doe,Anna", "Doe,Ben"]),
], ids=["name", "last-first"])
def test_two_children_on_one_family_account_are_two_patients(header: str, names: list[str], tmp_path: Path) -> None:
    """A practice-management account is often the guarantor's, one for a family: read alone, a brother's
    97110 was a duplicate of his sister's (DAT003), and their visits, units and KX totals were pooled."""
    sheet = tmp_path / "family.csv"
    line = "03/02/2026,97110,GP,2,30,Aetna"
    sheet.write_text(f"{header},DOS,CPT,Mod,Units,Minutes,Insurance\n"
                     f"F100,{names[0]},{line}\nF100,{names[1]},{line}\nF100,{names[1]},{line}\n")
    _, report = scrub_json(sheet)
    found = {(f["row"], f["rule"]) for f in report["findings"] if f["severity"] != "info"}
    assert (4, "DAT003") in found and {row for row, _ in found} == {4}  # the sister's line is no duplicate
    assert {f["patient_id"] for f in report["findings"]} == {"F100 (Doe, Ben)"}
    assert report["reading"]["columns_not_used"] == []


def test_a_code_column_no_header_names_is_found_by_its_cells(tmp_path: Path) -> None:
    """`Service`, `Item`: headers that name no code. Before: the sheet was refused ("no header row names
    cpt"). The one column whose cells hold therapy codes is the code, and the reading says why."""
    sheet = tmp_path / "service.csv"
    sheet.write_text("Patient ID,DOS,Service,Mod,Units,Minutes,Zip,Payer\n"
                     "S1,03/02/2026,97110 - Ther Ex,GP,3,30,62701,Medicare\n"
                     "S1,03/02/2026,97140,GP,1,10,62701,Medicare\n"
                     "S2,03/02/2026,97161,GP,1,30,62702,Medicare\n"
                     ",Total,,,5,70,,\n")
    _, report = scrub_json(sheet)
    assert report["reading"]["fields"]["cpt"] == "Service (C) (no header names the code: its cells hold codes)"
    assert {(f["row"], f["rule"]) for f in report["findings"] if f["severity"] != "info"} == {(2, "UNT001")}
    assert report["summary"]["lines"] == 3 and report["reading"]["columns_not_used"] == ["Zip (G)"]


@pytest.mark.parametrize("text", [
    "Patient ID,DOS,Service,Units,Minutes,Zip\nS1,03/02/2026,Therapy visit,2,30,62701\n",  # zip codes are no codes
    "Patient ID,DOS,Service,Item,Units\nS1,03/02/2026,97110,97110,2\n",                   # two columns of codes
], ids=["zip", "two"])
def test_no_code_column_is_guessed_from_cells_that_are_not_codes_or_from_two(text: str, tmp_path: Path) -> None:
    sheet = tmp_path / "nocode.csv"
    sheet.write_text(text)
    result = run_cli("scrub", str(sheet), "--format", "json", "--as-of", AS_OF)
    assert result.returncode == 2 and "no header row names patient_id, dos, cpt, units" in result.stderr


def test_a_code_column_of_evaluations_and_modalities_is_found_by_its_cells_too(tmp_path: Path) -> None:
    """Codes the reference knows, timed or not (an evaluation day's sheet): the cells are codes."""
    sheet = tmp_path / "evals.csv"
    sheet.write_text("Patient ID,DOS,Item,Mod,Units,Minutes,Payer\n"
                     "V1,03/02/2026,97161,GP,1,30,Medicare\nV2,03/02/2026,97162,GP,1,40,Medicare\n"
                     "V3,03/02/2026,G0283,GP,1,,Medicare\nV4,03/02/2026,97165,GO,1,30,Medicare\n")
    _, report = scrub_json(sheet)
    assert report["reading"]["fields"]["cpt"].startswith("Item (C)") and report["summary"]["lines"] == 4
    assert not [f for f in report["findings"] if f["severity"] != "info"]


@pytest.mark.parametrize("minutes, expected", [
    (["", "", ""], {(2, "UNT005", "no_data"), (3, "UNT005", "no_data"), (4, "UNT005", "no_data")}),  # none fills it
    (["", "", "30"], {(2, "UNT005", "fail"), (3, "UNT005", "fail")}),             # one line has them: the rest lack
    (["", "abc", ""], {(2, "UNT005", "fail"), (3, "DAT002", "fail"), (4, "UNT005", "fail")}),  # unreadable: a value
], ids=["empty", "one filled", "unreadable"])
def test_a_minutes_column_empty_on_every_line_is_a_source_without_minutes(minutes: list[str], expected: set,
                                                                          tmp_path: Path) -> None:
    """An export whose Minutes column the clinic never fills (minutes are in the notes) gave an UNT005 error on
    every timed line: only false alarms. A column no line fills is read as a source without minutes, as an
    837 is: UNT005 no_data, and the reading says so."""
    sheet = tmp_path / "minutes.csv"
    rows = [("97110", 2), ("97140", 1), ("97112", 2)]
    sheet.write_text("Acct,DOS,CPT,Mod,Units,Minutes,Insurance\n" + "".join(
        f"{'E1' if i < 2 else 'E2'},03/02/2026,{code},GP,{units},{m},Medicare\n"
        for i, ((code, units), m) in enumerate(zip(rows, minutes))))
    _, report = scrub_json(sheet)
    found = {(f["row"], f["rule"], f["status"]) for f in report["findings"] if f["severity"] != "info"}
    assert found == expected
    assert bool(report["reading"].get("columns_empty")) == (minutes == ["", "", ""])


def test_a_modifiers_column_no_line_fills_is_a_sheet_without_modifiers(tmp_path: Path) -> None:
    """An export that leaves modifiers to the claim (the billing system adds GP and KX when it makes the claim)
    had MOD001 errors on every Medicare line: only false alarms. A `Mod` column no line of two or more visits
    fills reads as a sheet without modifiers: MOD001 no_data, and the reading says so. One modifier on one
    line, and the blank ones are missing again."""
    sheet = tmp_path / "mods.csv"
    text = ("Acct,DOS,CPT,Mod,Units,Minutes,Insurance\n"
            "M1,03/02/2026,97110,,2,30,Medicare\nM2,03/03/2026,97140,{mod},1,15,Medicare\n")
    sheet.write_text(text.format(mod=""))
    _, report = scrub_json(sheet)
    assert {(f["row"], f["rule"], f["status"]) for f in report["findings"]} == {(2, "MOD001", "no_data"),
                                                                                (3, "MOD001", "no_data")}
    assert report["reading"]["columns_empty"] == [
        "Mod (D) is empty on every line: read as a source without modifiers (a missing GP, KX, CQ, 59 or 95 "
        "cannot be told from one the claim has: no_data)"]
    sheet.write_text(text.format(mod="GP"))
    _, report = scrub_json(sheet)
    assert {(f["row"], f["rule"], f["status"]) for f in report["findings"]} == {(2, "MOD001", "fail")}
    assert "columns_empty" not in report["reading"]


def test_quality_data_codes_a_practice_reports_for_mips_are_counted_not_flagged_as_unknown(tmp_path: Path) -> None:
    """A practice reporting MIPS measures on its claims bills quality data codes at $0 (G8539, 0518F, G8942): CMS
    lists them with status M in the PFS file. Before: each a DAT005 "not in the reference code table", no_data,
    so no such sheet was ever clean. A code CMS does not list so (99999) still is."""
    sheet = tmp_path / "mips.csv"
    sheet.write_text("Acct,DOS,CPT,Mod,Units,Minutes,Insurance,Charge\n"
                     "Q1,03/02/2026,97110,GP,2,30,Medicare,110\nQ1,03/02/2026,G8539,,1,,Medicare,0.00\n"
                     "Q1,03/02/2026,0518F,,1,,Medicare,0.00\nQ2,03/03/2026,97112,GP,1,15,Medicare,55\n"
                     "Q2,03/03/2026,G8942,,1,,Medicare,0.01\nQ2,03/03/2026,99999,GP,1,15,Medicare,10\n")
    _, report = scrub_json(sheet)
    assert [(f["row"], f["rule"], f["status"]) for f in report["findings"]] == [(7, "DAT005", "no_data")]
    assert report["reading"]["quality_data_codes"] == (
        "3 lines report quality data codes (CMS status M: MIPS measures, reported at $0, never paid): not judged")


def test_a_clinics_own_codes_on_self_pay_lines_are_counted_not_flagged_as_unknown(tmp_path: Path) -> None:
    """Clinics bill self-pay patients under codes of their own for a lower rate (WebPT Billing's custom codes,
    `Eval60`): each was a DAT005 "not in the reference code table" (a typo?), no_data, though no claim goes to a
    payer. Counted in the reading, not judged; a typo of a known code on a self-pay line, and an unknown code on
    a Medicare line, still are DAT005."""
    sheet = tmp_path / "self_pay.csv"
    sheet.write_text("Acct,DOS,CPT,Mod,Units,Minutes,Financial Class\n"
                     "S1,03/02/2026,EVAL60,,1,,Self Pay\nS1,03/02/2026,97110,GP,2,30,Self Pay\n"
                     "S2,03/02/2026,97O10,,1,,Self Pay\nS3,03/02/2026,WELLNESS,,1,,Cash\n"
                     "S4,03/02/2026,EVAL60,GP,1,,Medicare\n")
    _, report = scrub_json(sheet)
    assert [(f["row"], f["rule"], f["status"]) for f in report["findings"]] == [(4, "DAT005", "no_data"),
                                                                                (6, "DAT005", "no_data")]
    assert report["reading"]["self_pay_codes"] == (
        "2 self-pay lines bill codes ptcalc does not know (a clinic's own codes for its self-pay rates or supplies): "
        "no claim goes to a payer, not judged")


def test_a_modifiers_column_that_never_says_the_discipline_is_a_sheet_without_gp_not_an_error_on_every_line(
        tmp_path: Path) -> None:
    """A billing system that adds GP/GO/GN when it makes the claim (WebPT Billing: "hardcoded for Medicare", not
    seen in its charge data) exports the charges with the modifiers a person typed (KX, CQ, 59) and never the
    discipline's: every Medicare line was a MOD001 error, only false alarms. Over two or more visits, MOD001 is
    no_data and the reading says why; the other modifiers are judged as written. One GP on one line, a single
    visit, or a sheet written to the contract: a line without one is missing it again."""
    sheet = tmp_path / "mods.csv"
    text = ("Acct,DOS,CPT,Mod,Units,Minutes,Insurance\n"
            "M1,03/02/2026,97110,{mod},2,30,Medicare\nM1,03/02/2026,97140,59,1,15,Medicare\n"
            "M2,03/03/2026,97112,KX,1,15,Medicare\n")
    sheet.write_text(text.format(mod=""))
    _, report = scrub_json(sheet)
    assert {(f["row"], f["rule"], f["status"]) for f in report["findings"]} == {
        (2, "MOD001", "no_data"), (3, "MOD001", "no_data"), (4, "MOD001", "no_data"), (3, "MOD010", "fail")}
    assert report["reading"]["columns_empty"] == [
        "Mod (D) has no GP, GO or GN on any line: read as a source whose billing system adds them to the claim (a "
        "missing one cannot be told from one the claim has: MOD001 no_data)"]
    gp = next(f for f in report["findings"] if f["rule"] == "MOD001")
    assert gp["message"].startswith("the sheet's modifiers have no GP, GO or GN on this payer's lines (its billing "
                                    "system may add them to the claim); if the claim has none either: 97110 has no GP")
    assert gp["amount_at_risk"] is None and gp["fix"] == "Check the claim carries GP"
    sheet.write_text(text.format(mod="GP"))
    _, report = scrub_json(sheet)
    assert {(f["row"], f["rule"], f["status"]) for f in report["findings"] if f["rule"] == "MOD001"} == {
        (3, "MOD001", "fail"), (4, "MOD001", "fail")}
    assert "columns_empty" not in report["reading"]
    sheet.write_text(text.format(mod="").replace("M2,03/03/2026", "M1,03/02/2026"))  # one visit: said on its lines
    assert {f["status"] for f in scrub_json(sheet)[1]["findings"] if f["rule"] == "MOD001"} == {"fail"}
    contract = tmp_path / "contract.csv"
    contract.write_text(text.format(mod="").replace("Acct,DOS,CPT,Mod,Units,Minutes,Insurance",
                                                    "patient_id,dos,cpt,modifiers,units,minutes,payer"))
    assert {f["status"] for f in scrub_json(contract)[1]["findings"] if f["rule"] == "MOD001"} == {"fail"}


def test_the_discipline_modifiers_a_system_adds_for_one_payer_type_are_read_so_for_that_payers_lines(
        tmp_path: Path) -> None:
    """WebPT adds GP to Medicare's claims in its billing (not in the charge data), while its EMR's insurance
    settings put GP on other payers' lines: the Medicare lines never show it and the others do. Each payer type
    is read on its own lines: Medicare's MOD001 no_data, and a Medicaid line of a payer type whose lines carry GP
    elsewhere still fails without it."""
    sheet = tmp_path / "mixed.csv"
    sheet.write_text("Acct,DOS,CPT,Mod,Units,Minutes,Insurance\n"
                     "W1,03/02/2026,97110,,2,30,Medicare Part B\nW2,03/03/2026,97140,KX,1,15,Medicare Part B\n"
                     "W3,03/02/2026,97110,GP,1,15,Medicaid\nW4,03/03/2026,97110,,1,15,Medicaid\n"
                     "W5,03/04/2026,97110,GP,1,15,Aetna\n")
    _, report = scrub_json(sheet)
    assert {(f["row"], f["rule"], f["status"]) for f in report["findings"]} == {
        (2, "MOD001", "no_data"), (3, "MOD001", "no_data"), (5, "MOD001", "fail")}
    assert report["reading"]["columns_empty"] == [
        "Mod (D) has no GP, GO or GN on any medicare line: read as a source whose billing system adds them to the "
        "claim (a missing one cannot be told from one the claim has: MOD001 no_data)"]


def test_an_assistant_minutes_column_no_line_fills_does_not_say_the_therapist_furnished_everything(
        tmp_path: Path) -> None:
    """An export template's `PTA Minutes` column left empty: CQ lines the supervising PT renders (as claims
    name the supervising therapist) were MOD007 warnings, "assistant 0 of 30 minutes". Read as a sheet
    without assistant minutes: CQ judged on the assistants' own lines. With minutes on one line, the
    blank ones are 0 again."""
    sheet = tmp_path / "pta.csv"
    text = ("Acct,DOS,CPT,Mod,Units,Minutes,Credentials,PTA Minutes\n"
            "Q1,03/02/2026,97110,GP CQ,2,30,PT,\nQ2,03/03/2026,97112,GP CQ,1,15,PT,{pta}\n"
            "Q3,03/03/2026,97530,GP,1,15,PTA,\n")
    sheet.write_text(text.format(pta=""))
    _, report = scrub_json(sheet)
    assert {(f["row"], f["rule"]) for f in report["findings"] if f["severity"] != "info"} == {(4, "MOD005")}
    assert report["reading"]["columns_empty"][0].startswith("PTA Minutes (H) is empty on every line")
    sheet.write_text(text.format(pta="10"))
    _, report = scrub_json(sheet)
    assert {(f["row"], f["rule"]) for f in report["findings"] if f["severity"] != "info"} == {(2, "MOD007"),
                                                                                            (4, "MOD005")}


def test_plan_of_care_columns_no_line_fills_do_not_call_every_plan_uncertified(tmp_path: Path) -> None:
    """An export with a `POC Signed` column its system never fills gave every Medicare visit past its plan's 30th
    day a POC001 finding, and a `POC Sent` column never filled made each an error, "not sent by": only false alarms.
    A plan-of-care column no line fills reads as a sheet without it: POC001 not judged without the certification
    date, a warning (the record may hold the route) without the date sent; the reading says so. One date on one
    line, and the blank ones are missing again."""
    sheet = tmp_path / "plans.csv"
    text = ("Acct,DOS,CPT,Mod,Units,Minutes,Insurance,Start of Care,POC Signed,POC Sent\n"
            "C1,05/04/2026,97110,GP,2,30,Medicare,03/02/2026,{signed},\n"
            "C2,05/05/2026,97112,GP,1,15,Medicare,03/03/2026,,\n"
            "C3,03/10/2026,97110,GP,1,15,Medicare,03/09/2026,,\n")
    sheet.write_text(text.format(signed=""))
    _, report = scrub_json(sheet)
    assert not [f for f in report["findings"] if f["rule"].startswith("POC")]
    assert report["reading"]["columns_empty"] == [
        "POC Signed (I) is empty on every line: read as a source without poc_certified (a plan's certification "
        "cannot be checked: POC001 not judged)",
        "POC Sent (J) is empty on every line: read as a source without poc_sent (a plan sent to the referring "
        "physician/NPP within 30 days, which certifies it from 2025, cannot be told: POC001 a warning)"]
    sheet.write_text(text.format(signed="04/20/2026"))  # certified late: a date the column does carry
    _, report = scrub_json(sheet)
    assert {(f["row"], f["rule"], f["severity"]) for f in report["findings"] if f["rule"].startswith("POC")} == {
        (2, "POC001", "warning"), (3, "POC001", "warning")}
    assert report["reading"]["columns_empty"] == [report["reading"]["columns_empty"][0]]
    assert report["reading"]["columns_empty"][0].startswith("POC Sent (J) is empty on every line")


def test_a_ytd_prior_column_no_line_fills_is_no_dollars_before_for_every_patient(tmp_path: Path) -> None:
    """Not read as absent, unlike an empty minutes or modifiers column: a blank `YTD Prior` is no allowed
    dollars before the sheet (spec §3), what every patient without therapy elsewhere this year has. KX on
    their lines is far below the threshold: MOD004 on both."""
    sheet = tmp_path / "prior.csv"
    sheet.write_text("Acct,DOS,CPT,Mod,Units,Minutes,Insurance,YTD Prior\n"
                     "K1,03/02/2026,97110,GP KX,1,15,Medicare,\nK2,03/03/2026,97110,GP KX,1,15,Medicare,\n")
    _, report = scrub_json(sheet)
    assert {(f["row"], f["rule"]) for f in report["findings"]} == {(2, "MOD004"), (3, "MOD004")}
    assert "columns_empty" not in report["reading"]


def test_a_sheet_written_to_the_contract_means_none_by_an_empty_column(tmp_path: Path) -> None:
    """ptcalc's own column names (the shipped workbook's Charges sheet, spec §3): a blank modifiers cell is
    no modifier and blank minutes are none, whatever the other lines say — MOD001 and UNT005 fail, as on
    one line. Only an export's own empty column is read as one it does not carry."""
    sheet = tmp_path / "contract.csv"
    sheet.write_text("patient_id,dos,cpt,modifiers,units,minutes,payer_type\n"
                     "C1,2026-03-02,97110,,1,,medicare\nC2,2026-03-03,97140,,1,,medicare\n")
    _, report = scrub_json(sheet)
    assert {(f["row"], f["rule"], f["status"]) for f in report["findings"]} == {
        (2, "MOD001", "fail"), (3, "MOD001", "fail"), (2, "UNT005", "fail"), (3, "UNT005", "fail")}
    assert "columns_empty" not in report["reading"]


@pytest.mark.parametrize("later, first", [("Sec Ins", "Pri Ins"), ("Other Insurance", "Insurance")])
def test_the_secondary_insurance_beside_the_primary_is_not_the_lines_payer(later: str, first: str,
                                                                           tmp_path: Path) -> None:
    """An employer plan primary, Medicare secondary (`Sec Ins` left of `Pri Ins`): both were read as the payer,
    their names joined (`Medicare Part B Aetna PPO`) and the line judged as a Medicare Advantage plan's, so a
    commercial line without GP was an MOD001 error. The primary is the line's payer; the other is its second payer
    (read for its unit rule, UNT008, and its modifiers: Medicare second, the line without GP is an MOD001 warning,
    the claim Medicare gets next carrying it). The Medicare primary's line without GP is still an MOD001 error."""
    sheet = tmp_path / "export.csv"
    sheet.write_text(f"Patient,DOS,CPT,Mod,Units,Minutes,{later},{first}\n"
                     "P1,3/2/26,97110,,2,30,Medicare Part B,Aetna PPO\n"
                     "P2,3/2/26,97110,,2,30,AARP Medigap Plan G,Medicare Part B\n")
    _, report = scrub_json(sheet)
    assert report["reading"]["fields"]["payer"] == f"{first} (H)"
    assert report["reading"]["fields"]["secondary_payer"] == f"{later} (G)"
    second, missing_gp = report["findings"]
    assert (second["row"], second["rule"], second["severity"]) == (2, "MOD001", "warning")
    assert "the claim's second payer (Medicare Part B)" in second["message"]
    assert (missing_gp["row"], missing_gp["rule"], missing_gp["severity"]) == (3, "MOD001", "error")
    assert "Traditional Medicare (Part B) requires one" in missing_gp["message"]


MERGED_MODIFIERS = [["Patient", "DOS", "CPT", "Modifiers", None, None, None, "Units", "Minutes", None],
                    ["P1", "03/02/2026", "97150", "GP", None, None, None, 1, 20, None],
                    ["P1", "03/02/2026", "97110", "GP", "59", None, None, 2, 30, None],  # distinct: bypassed, not denied
                    ["P2", "03/03/2026", "97110", "GP", "KX", None, None, 2, 30, "called twice"]]


@pytest.mark.parametrize("kind", ["xlsx, Modifiers merged over four columns", "csv, Modifiers over the first of four"])
def test_a_modifiers_header_over_four_columns_reads_them_all(kind: str, tmp_path: Path) -> None:
    """Read alone, the header's own column lost the 59 and the KX beside GP: the 59'd 97110 was denied as if
    it had none (a false PTP001), the KX silent. A note in an unheaded column further right is no modifier."""
    if kind.startswith("xlsx"):
        path = tmp_path / "charges.xlsx"
        book = openpyxl.Workbook()
        for row in MERGED_MODIFIERS:
            book.active.append(row)
        book.active.merge_cells("D1:G1")
        book.save(path)
    else:
        path = tmp_path / "charges.csv"
        path.write_text("".join(",".join("" if v is None else str(v) for v in row) + "\n" for row in MERGED_MODIFIERS))
    result = scrub_file(path, as_of=date(2026, 11, 22))
    assert [line.modifiers for line in result.lines] == [("GP",), ("GP", "59"), ("GP", "KX")]
    assert result.reading["fields"]["modifiers"] == ("Modifiers (D) + Modifiers (E) + Modifiers (F) + Modifiers (G) "
                                                     "(merged in order)")
    assert [(f.row, f.rule, f.status) for f in result.findings if f.severity != "info"] == [(3, "PTP001", "bypassed")]


def test_an_unheaded_column_beside_the_modifiers_that_holds_no_modifiers_is_not_read_as_them(tmp_path: Path) -> None:
    path = tmp_path / "charges.csv"
    path.write_text("Patient,DOS,CPT,Modifiers,,Units,Minutes\nP1,03/02/2026,97110,GP,PT,2,30\n"
                    "P2,03/02/2026,97140,GP,OT,1,15\n")
    result = scrub_file(path, as_of=date(2026, 11, 22))
    assert [line.modifiers for line in result.lines] == [("GP",), ("GP",)]
    assert result.reading["fields"]["modifiers"] == "Modifiers (D)" and not result.findings


def test_an_export_wording_modifiers_and_the_plan_of_care_its_own_way_is_read(tmp_path: Path) -> None:
    """`Procedure Code Modifiers` beside `Procedure Code` (read as neither before: MOD001 on every line of a correct
    Medicare bill) and `POC Expiration Date` (unread: a visit after the plan's end went unseen)."""
    found = rows_and_rules(tmp_path / "charges.csv",
                           "Claim ID,Patient ID,Service Date,Procedure Code,Procedure Code Modifiers,Units,Minutes,"
                           "Primary Payer,Primary Payer Category,Rendering Provider,POC Expiration Date\n"
                           '1001,P100,11/02/2026,97161,GP,1,30,Medicare Part B,Medicare,"Smith, Ann PT",01/30/2027\n'
                           '1001,P100,11/02/2026,97110,"GP,KX",2,30,Medicare Part B,Medicare,"Smith, Ann PT",01/30/2027\n'
                           '1002,P101,11/03/2026,97110,,1,15,Medicare Part B,Medicare,"Smith, Ann PT",01/30/2027\n'
                           '1003,P102,11/10/2026,97110,GP,1,15,Medicare Part B,Medicare,"Smith, Ann PT",11/05/2026\n')
    assert {(row, rule) for row, rule in found if rule[:3] in ("MOD", "POC")} == {(4, "MOD001"), (5, "POC002")}


def test_a_visit_booked_as_a_progress_note_is_the_progress_report_a_re_check_is_not(tmp_path: Path) -> None:
    """An appointment export's `Visit Type` (no note type beside it): a `PT Progress Note` visit starts the next ten
    treatment days (before: POC003 on patient A's 11th and 12th visits though the report was written on the 8th);
    a `Re-Check` is no re-evaluation, whatever its `Re`."""
    rows = ["Patient ID,DOS,CPT,Modifiers,Units,Minutes,Payer Type,Start of Care,Visit Type"]
    for patient, eighth in (("A", "PT Progress Note"), ("B", "Re-Check")):
        for visit in range(1, 13):
            kind = eighth if visit == 8 else "Initial Eval" if visit == 1 else "Follow Up"
            rows.append(f"{patient},{date(2026, 9, 1) + timedelta(days=2 * visit)},97110,GP,1,15,medicare,2026-09-03,"
                        f"{kind}")
    found = rows_and_rules(tmp_path / "appointments.csv", "\n".join(rows) + "\n")
    assert found == {(24, "POC003"), (25, "POC003")}                # patient B's 11th and 12th visits only


def test_a_multidisciplinary_clinics_other_codes_are_counted_not_judged(tmp_path: Path) -> None:
    """A physician's E/M visit and a chiropractor's manipulation beside the therapy (before: DAT005 no_data on each,
    and the sheet never clean); a typo and a code CMS does not list are still DAT005."""
    sheet = tmp_path / "clinic.csv"
    sheet.write_text("Patient ID,DOS,CPT,Modifiers,Units,Minutes,Payer Type,Rendering Provider\n"
                     'X1,11/02/2026,99213,25,1,,medicare,"Jones, Ann MD"\n'
                     'X1,11/02/2026,97110,GP,2,30,medicare,"Lee, Kim PT"\n'
                     'X2,11/02/2026,98940,AT,1,,medicare,"Ray, Al DC"\n'
                     'X2,11/02/2026,97140,GP,1,15,medicare,"Lee, Kim PT"\n'
                     'X3,11/02/2026,97O10,GP,1,,medicare,"Lee, Kim PT"\n')
    code, report = scrub_json(sheet)
    assert {(f["row"], f["rule"]) for f in report["findings"]} == {(6, "DAT005")}    # no DAT008 on the DC's line
    assert report["reading"]["other_codes"].startswith("2 lines bill another profession's codes")
    clean = tmp_path / "clean.csv"
    clean.write_text("\n".join(sheet.read_text().splitlines()[:5]) + "\n")
    assert scrub_json(clean)[1]["summary"]["clean"] is True


def test_codes_and_modifiers_in_quotes_as_a_web_systems_csv_writes_them(tmp_path: Path) -> None:
    """`"97110"` and `["GP", "KX"]` in their cells (before: DAT005 on every code, MOD008 and MOD001 on the list)."""
    found = rows_and_rules(tmp_path / "quoted.csv",
                           "Patient ID,DOS,CPT,Modifiers,Units,Minutes,Payer Type\n"
                           'Q1,2026-11-02,"""97110""","[""GP"", ""KX""]",1,15,medicare\n'
                           'Q1,2026-11-02,"""97140""",GP,1,10,medicare\n'
                           'Q2,2026-11-02,"""97110""","[""KX""]",1,15,medicare\n')
    assert found == {(4, "MOD001")}                                 # Q2's line has no GP; nothing else


def test_a_csv_whose_every_value_is_in_quotes_of_its_own_is_read_as_its_values(tmp_path: Path) -> None:
    """Values in quotes of their own (a writer's quotes around values already quoted, `"2"` in a cell): before, a
    DAT002 on every cell; a quote inside a value (`5" band`) is kept."""
    found = rows_and_rules(tmp_path / "twice.csv",
                           "Patient ID,DOS,CPT,Modifiers,Units,Minutes,Payer Type,Charge,Note\n"
                           '"""Q1""","""2026-11-02""","""97110""","""GP""","""2""","""30""","""medicare""",'
                           '"""$110.00""","""5"" band"""\n'
                           '"""Q1""","""2026-11-02""","""97140""","""GP""","""2""","""10""","""medicare""",'
                           '"""$104.00""",\n')
    assert found == {(3, "UNT001")}                    # 40 minutes are 3 units, not 4: the one real mistake


@pytest.mark.parametrize("listing", ["repeated", "own rows"])
def test_a_charge_report_listing_each_charges_diagnoses_judges_each_charge_once(tmp_path: Path, listing: str) -> None:
    """A charge listed once per diagnosis, or its next diagnosis on a row of its own (before: UNT006, DAT003 and a
    UNT001 of doubled minutes, or four DAT001 on each diagnosis row). A charge entered twice with its one diagnosis
    is still a duplicate."""
    def again(line: str, dx: str, pointer: int) -> str:
        return f"{line},{dx},{pointer}" if listing == "repeated" else f",,,,,,,{dx},{pointer}"

    ex, manual = "D1,11/02/2026,97110,GP,2,30,medicare", "D1,11/02/2026,97140,GP,1,10,medicare"
    found = rows_and_rules(tmp_path / "by_diagnosis.csv", "\n".join([
        "Patient ID,DOS,CPT,Modifiers,Units,Minutes,Payer Type,Dx Code,Dx Pointer",
        f"{ex},M54.50,1", again(ex, "M25.561", 2), f"{manual},M54.50,1", again(manual, "M25.561", 2),
        "D2,11/03/2026,97110,GP,1,15,medicare,M54.50,1", "D2,11/03/2026,97110,GP,1,15,medicare,M54.50,1"]) + "\n")
    assert found == {(7, "DAT003"), (7, "UNT006")}                 # D2's charge entered twice; D1 is right


def test_a_report_grouped_by_provider_heads_each_group_with_the_providers_name_alone(tmp_path: Path) -> None:
    """`Lee, Kim PT` alone in the provider column above her lines (before: four DAT001 on the heading); a row with
    a modifier, units and minutes but no patient, date or code is still an incomplete line."""
    found = rows_and_rules(tmp_path / "by_provider.csv",
                           "Patient ID,DOS,CPT,Modifiers,Units,Minutes,Payer Type,Rendering Provider\n"
                           ',,,,,,,"Lee, Kim PT"\n'
                           'D1,11/02/2026,97110,GP,2,30,medicare,"Lee, Kim PT"\n'
                           ',,,,,,medicare,"Ortiz, Sam OTR/L"\n'
                           'D2,11/02/2026,97530,GO,1,15,medicare,"Ortiz, Sam OTR/L"\n'
                           ',,,GP,2,30,,\n')
    assert found == {(6, "DAT001")}
