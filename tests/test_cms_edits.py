"""The NCCI rules judged against CMS's own files as they are, not through the importers or reference/: every pair of
code-set codes the practitioner PTP extract lists, billed together on one visit, on dates either side of deletions
(an edit deleted from 2020-01-01 carries 2019-12-31, its last day in force); every code's practitioner MUE, billed
at it and one unit over it, on one line and on two."""
from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest

from ptcalc.refdata import load_reference
from ptcalc.refdata.model import CodeInfo
from ptcalc.scrub import scrub_file
from ptcalc.scrub.rules.ptp import ONE_EVALUATION_DISCIPLINES

CMS_FILES = Path(__file__).parents[1] / "data" / "cms"
PTP_FILE = CMS_FILES / "ncci_ptp_practitioner_2024-07.pt-any.csv"
MUE_FILES = [CMS_FILES / f"MCR_MUE_PractitionerServices_Eff_04-01-2026.{part}.csv"
             for part in ("pt-rows", "pt-extra-rows")]
RULES = ("PTP001", "PTP002", "PTP003", "PTP004")


def _in_force(row: dict[str, str], day: date) -> bool:
    deleted = row["deletion_date"].strip()
    if row["modifier_indicator"] == "9":  # deleted retroactively: never in force
        return False
    return deleted in ("", "*") or day <= date(int(deleted[:4]), int(deleted[4:6]), int(deleted[6:]))


def _one_evaluation_a_visit(one: CodeInfo, two: CodeInfo) -> bool:
    """Two evaluations of PT, or of OT: PTP003 says so, whatever the edit file (other disciplines' by the file)."""
    return one.is_evaluation and two.is_evaluation and one.discipline == two.discipline and \
        one.discipline in ONE_EVALUATION_DISCIPLINES


@pytest.mark.parametrize("modifiers", ["GP", "GP 59"])
@pytest.mark.parametrize("day", [date(2017, 6, 1), date(2019, 12, 31), date(2020, 1, 1), date(2026, 3, 2)])
def test_each_pair_of_cms_edit_file_is_flagged_as_it_says_on_its_date(day: date, modifiers: str,
                                                                         tmp_path: Path) -> None:
    ref = load_reference()
    with PTP_FILE.open(newline="") as handle:
        rows = [row for row in csv.DictReader(handle)
                if row["column_1"] in ref.codes and row["column_2"] in ref.codes and row["column_1"] != row["column_2"]]
    pairs = sorted({tuple(sorted((row["column_1"], row["column_2"]))) for row in rows})
    sheet = tmp_path / "pairs.csv"
    with sheet.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["patient_id", "dos", "cpt", "modifiers", "units", "minutes", "payer_type", "provider_type"])
        for number, pair in enumerate(pairs):
            for code in pair:
                writer.writerow([f"P{number}", day.isoformat(), code, modifiers, 1, 15, "medicare", "PT"])
    found: dict[tuple[str, str], set[tuple[str, str]]] = {}
    for finding in scrub_file(sheet, as_of=date(2026, 11, 22), ref=ref).findings:
        if finding.rule in RULES:
            found.setdefault((finding.patient_id, finding.cpt), set()).add((finding.rule, finding.status))
    expected: dict[tuple[str, str], set[tuple[str, str]]] = {}
    number_of = {pair: number for number, pair in enumerate(pairs)}
    for row in rows:
        if _in_force(row, day):
            first, second = row["column_1"], row["column_2"]
            one, two = ref.codes[first], ref.codes[second]
            key = (f"P{number_of[tuple(sorted((first, second)))]}", second)
            if _one_evaluation_a_visit(one, two):
                continue  # two PT (or two OT) evaluations: PTP003, on the visit's second (below)
            bypassable = row["modifier_indicator"] == "1"
            if one.is_evaluation and two.family == "test" and not bypassable:
                rule = "PTP004"  # a test on an evaluation's date, named as such
            else:
                rule = "PTP001" if bypassable else "PTP002"
            expected.setdefault(key, set()).add((rule, "bypassed" if bypassable and "59" in modifiers else "fail"))
    for number, (first, second) in enumerate(pairs):
        one, two = ref.codes[first], ref.codes[second]
        if _one_evaluation_a_visit(one, two):
            expected[(f"P{number}", second)] = {("PTP003", "fail")}  # each evaluation after the visit's first
    assert found == expected
    assert len(expected) > 300  # the file's in-force pairs were billed, not a handful


def test_each_codes_mue_in_cms_file_is_the_most_units_a_day_takes(tmp_path: Path) -> None:
    """At the MUE: nothing; one unit over on one line: MUE001; the MUE and one more unit on a second line (59, a
    distinct site): MUE001 where the MAI makes it a date-of-service edit (2, 3), nothing where it is per line (1)."""
    ref = load_reference()
    mues: dict[str, tuple[int, str]] = {}
    for path in MUE_FILES:
        with path.open(encoding="latin-1", newline="") as handle:
            for row in csv.reader(handle):
                if len(row) >= 3 and row[0] in ref.codes and row[1].isdigit() and 1 <= int(row[1]) <= 31:
                    mues[row[0]] = (int(row[1]), row[2][:1])  # above 32 units a line is a DAT002 first
    sheet = tmp_path / "mues.csv"
    with sheet.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["patient_id", "dos", "cpt", "modifiers", "units", "minutes", "payer_type", "provider_type"])
        for code, (mue, _) in mues.items():
            for patient, lines in (("at", [("GP", mue)]), ("over", [("GP", mue + 1)]),
                                   ("two lines", [("GP", mue), ("GP 59", 1)])):
                for modifiers, units in lines:
                    writer.writerow([f"{code} {patient}", "2026-04-06", code, modifiers, units, 15 * units,
                                     "medicare", "PT"])
    flagged = {finding.patient_id for finding in scrub_file(sheet, as_of=date(2026, 11, 22), ref=ref).findings
               if finding.rule == "MUE001" and finding.status == "fail"}
    assert flagged == {f"{code} {patient}" for code, (_, mai) in mues.items()
                       for patient in ("over", *(("two lines",) if mai in "23" else ()))}
    assert len(mues) > 40
