"""837P claim files: read with pyx12, scrubbed with the same rules as a charge sheet."""
from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path

import pytest

from ptcalc.claims.write837 import write_837
from ptcalc.synthetic import charge_lines

from .test_reference import run_cli

AS_OF = "2026-11-22"
FIELDS = ["claim_id", "patient_id", "dos", "cpt", "modifiers", "units", "minutes", "pta_minutes", "charge", "pos",
          "payer_type", "payer", "provider_type"]


def _lines(count: int = 400) -> list[dict]:
    lines = [{k: line.get(k) for k in FIELDS[1:]} for line in charge_lines(count, seed=7, mistake_rate=0.15)]
    lines = [line for line in lines if line["cpt"] and str(line["units"]).isdigit()  # X12 carries clean values
             and line["dos"] and line["patient_id"] and not str(line["minutes"] or "0").strip("0123456789.")]
    for line in lines:
        line["claim_id"] = f"{line['patient_id']}-{str(line['dos']).replace('-', '')}"
    lines.sort(key=lambda line: line["claim_id"])  # the 837 groups lines by claim
    return lines


def _findings(document: dict) -> Counter:
    return Counter((f["row"], f["patient_id"], f["dos"], f["cpt"], f["rule"], f["status"]) for f in document["findings"])


def test_a_generated_837_scrubs_to_the_findings_of_the_sheet_it_was_written_from(tmp_path: Path) -> None:
    lines = _lines()
    sheet = tmp_path / "claims.csv"
    with sheet.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, FIELDS)
        writer.writeheader()
        writer.writerows(lines)
    claims = tmp_path / "claims.837"
    claims.write_text(write_837(lines))
    from_sheet = run_cli("scrub", str(sheet), "--format", "json", "--as-of", AS_OF)
    from_claims = run_cli("scrub", str(claims), "--format", "json", "--as-of", AS_OF)
    assert from_claims.returncode == from_sheet.returncode, from_claims.stderr
    sheet_doc, claims_doc = json.loads(from_sheet.stdout), json.loads(from_claims.stdout)
    assert claims_doc["summary"]["lines"] == sheet_doc["summary"]["lines"] == len(lines)
    assert _findings(claims_doc) == _findings(sheet_doc) and sum(_findings(sheet_doc).values()) > 10
    assert claims_doc["reading"]["fields"]["claim_line"].startswith("claim_line")
    first = claims_doc["findings"][0]
    assert first["claim_id"] == lines[first["row"] - 2]["claim_id"] and first["claim_line"]  # points at the claim


def institutional_837(claims: list[tuple[str, str, str, list[tuple[str, str, str, int, float]]]]) -> str:
    """An 837I (005010X223A2) as a hospital outpatient department sends its therapy: claims of (claim id,
    patient, CCYYMMDD, lines of (revenue code, code, modifiers, units, charge)), type of bill 13."""
    segments = ["ISA*00*          *00*          *ZZ*HOSPSUBMIT     *ZZ*PAYERRECV      *260309*1200*^*00501*000000002*0*T*:",
                "GS*HC*HOSPSUBMIT*PAYERRECV*20260309*1200*2*X*005010X223A2", "ST*837*0001*005010X223A2",
                "BHT*0019*00*HOSP0001*20260309*1200*CH", "NM1*41*2*SYNTHETIC COMMUNITY HOSPITAL*****46*HOSP01",
                "PER*IC*BILLING OFFICE*TE*5555550100", "NM1*40*2*SYNTHETIC MAC*****46*MAC01", "HL*1**20*1",
                "PRV*BI*PXC*282N00000X", "NM1*85*2*SYNTHETIC COMMUNITY HOSPITAL*****XX*1497758544",
                "N3*200 HOSPITAL DR", "N4*SPRINGFIELD*IL*627010000", "REF*EI*123456789"]
    for number, (claim_id, patient, day, lines) in enumerate(claims, start=2):
        segments += [f"HL*{number}*1*22*0", "SBR*P*18*******MA", f"NM1*IL*1*SYNTHETIC*PATIENT****MI*{patient}",
                     "N3*1 TEST LANE", "N4*SPRINGFIELD*IL*627010000", "DMG*D8*19500101*F",
                     "NM1*PR*2*MEDICARE PART B*****PI*MAC01",
                     f"CLM*{claim_id}*{sum(line[4] for line in lines):.2f}***13:A:1**A*Y*Y", f"DTP*434*RD8*{day}-{day}",
                     "CL1*1*1*01", "HI*ABK:M5450", "NM1*71*1*THERAPIST*ATTENDING****XX*1234567893"]
        for at, (revenue, code, modifiers, units, charge) in enumerate(lines, start=1):
            segments += [f"LX*{at}", f"SV2*{revenue}*{':'.join(['HC', code, *modifiers.split()])}*{charge:.2f}*UN*{units}",
                         f"DTP*472*D8*{day}", f"REF*6R*{claim_id}.{at}"]
    segments += [f"SE*{len(segments) - 1}*0001", "GE*1*2", "IEA*1*000000002"]
    return "~\n".join(segments) + "~\n"


def test_an_837i_from_a_hospital_outpatient_department_is_judged_by_the_same_rules(tmp_path: Path) -> None:
    """Outpatient therapy billed on the institutional claim is paid under the same fee schedule and therapy
    rules. Before: every line an ERROR (no code, no units: the reader knew SV1 only)."""
    claims = tmp_path / "hospital.837"
    claims.write_text(institutional_837([
        ("C1", "H1", "20260302", [("0420", "97161", "GP", 1, 150.0), ("0420", "97110", "GP", 2, 110.0),
                                  ("0420", "97140", "GP", 1, 55.0)]),   # evaluation + 97140: no edit
        ("C2", "H2", "20260302", [("0420", "97110", "", 1, 55.0)]),    # no GP: MOD001
        ("C3", "H3", "20260303", [("0430", "97530", "GO", 2, 120.0)]),  # OT by its revenue code: clean
        ("C4", "H4", "20260303", [("0420", "97530", "GO", 1, 60.0)]),   # GO on a PT revenue code: MOD002
        ("C5", "H5", "20260304", [("0420", "97150", "GP", 1, 40.0), ("0420", "97110", "GP", 1, 55.0)]),  # PTP001
    ]))
    result = run_cli("scrub", str(claims), "--format", "json", "--as-of", AS_OF)
    report = json.loads(result.stdout)
    assert result.returncode == 1 and "source_problems" not in report["reading"]  # pyx12 found it valid
    assert report["summary"]["lines"] == 8 and report["summary"]["sheet"] == "837 service lines"
    failing = {(f["row"], f["rule"]) for f in report["findings"] if f["status"] == "fail"}
    assert failing == {(5, "MOD001"), (7, "MOD002"), (9, "PTP001")}
    assert {f["rule"] for f in report["findings"] if f["status"] == "no_data"} == {"UNT005"}  # no minutes in an 837
    assert not any(f["rule"].startswith("TEL") for f in report["findings"])  # type of bill 13 is no place of service
    assert next(f for f in report["findings"] if f["rule"] == "MOD001")["claim_id"] == "C2"
    # CMS edits an institutional claim with its outpatient hospital NCCI tables, which ptcalc does not have: said
    assert report["reading"]["hospital_edits"].startswith("revenue_code (P): revenue codes make these an "
                                                          "institutional claim's lines (UB-04, 837I), which CMS edits")


def _with_other_payer(text: str, responsibility: str) -> str:
    """Each claim with an other subscriber's payer (loop 2320 SBR01 `responsibility`, 2330B Medicare Part B) before
    its first service line, the transaction's segment count kept right."""
    other = ["SBR*" + responsibility + "*18*******MB", "OI***Y***Y", "NM1*IL*1*SYNTHETIC*PATIENT****MI*M1MCR",
             "NM1*PR*2*MEDICARE PART B*****PI*MAC01"]
    segments = text.split("~\n")
    for at in reversed([i for i, segment in enumerate(segments) if segment == "LX*1"]):
        segments[at:at] = other
    start, end = next(i for i, s in enumerate(segments) if s.startswith("ST*")), next(
        i for i, s in enumerate(segments) if s.startswith("SE*"))
    segments[end] = f"SE*{end - start + 1}*0001"
    return "~\n".join(segments)


def test_an_837s_second_payer_is_read_for_its_unit_rule(tmp_path: Path) -> None:
    """A claim to an AMA-rule plan whose loop 2320 names Medicare as the secondary: 10 + 10 minutes are 2 units to
    the plan and 1 to Medicare (UNT008, the primary's rule judging); without the loop nothing is said. Where the
    other payer is the primary (this claim is the secondary's), the lines are Medicare's first: the CMS rule judges
    them (UNT001: 2 units for 20 minutes), the plan's rule is the second payer's."""
    lines = [{"patient_id": "M1", "dos": "2026-03-02", "cpt": code, "modifiers": "GP", "units": 1, "minutes": 10,
              "charge": 55, "payer_type": "commercial", "payer": "Aetna PPO", "provider_type": "PT"}
             for code in ("97110", "97140")]
    claims = tmp_path / "cob.837"

    def scrub(text: str) -> dict:
        claims.write_text(text)
        result = run_cli("scrub", str(claims), "--format", "json", "--as-of", AS_OF)
        document = json.loads(result.stdout)
        said = [note for note in document["reading"].get("source_problems", []) if "sent to a secondary" not in note]
        assert said == [], said  # pyx12 found it valid
        return document

    secondary = scrub(_with_other_payer(write_837(lines), "S"))
    assert [(f["row"], f["rule"]) for f in secondary["findings"]] == [(2, "UNT008")]
    assert "the second payer, MEDICARE PART B (CMS rule), 1 unit" in secondary["findings"][0]["message"]
    assert scrub(write_837(lines))["findings"] == []
    to_secondary = scrub(_with_other_payer(write_837(lines).replace("SBR*P*", "SBR*S*", 1), "P"))
    assert [(f["row"], f["rule"]) for f in to_secondary["findings"]] == [(2, "UNT008"), (3, "UNT001")]
    assert "the second payer, AETNA PPO (AMA rule), 2 units" in to_secondary["findings"][0]["message"]


@pytest.mark.parametrize("sent_to", ["S", "T", "T after a plan"])
def test_a_claim_sent_to_a_later_payer_after_medicare_is_judged_as_medicare_s(sent_to: str, tmp_path: Path) -> None:
    """A practice sends the secondary (or tertiary) payer the claim after the primary paid, with the primary in loop
    2320 (SBR01 P): the same lines, billed to Medicare first. Before, they were judged as the destination's, a
    commercial plan's: a PTA's Medicare lines without CQ said nothing. A tertiary's claim after an employer's plan
    and Medicare (2320 P the plan, 2320 S Medicare) is Medicare's too."""
    lines = [{"patient_id": "S1", "dos": "2026-03-02", "cpt": "97110", "modifiers": "GP", "units": 2, "minutes": 30,
              "pta_minutes": 30, "charge": 110, "payer_type": "commercial", "payer": "Aetna PPO",
              "provider_type": "PTA"},
             {"patient_id": "S2", "dos": "2026-03-02", "cpt": "97110", "modifiers": "GP CQ", "units": 2, "minutes": 30,
              "pta_minutes": 30, "charge": 110, "payer_type": "commercial", "payer": "Aetna PPO",
              "provider_type": "PTA"}]
    claims = tmp_path / "secondary.837"
    text = write_837(lines).replace("SBR*P*", f"SBR*{sent_to[0]}*")
    if sent_to == "S":
        claims.write_text(_with_other_payer(text, "P"))
    else:
        both = _with_other_payer(_with_other_payer(text, "P"), "S")
        claims.write_text(both if sent_to == "T" else both.replace("SBR*P*18*******MB", "SBR*P*18*******CI"))
    report = json.loads(run_cli("scrub", str(claims), "--format", "json", "--as-of", AS_OF).stdout)
    assert [(f["row"], f["rule"]) for f in report["findings"]] == [(2, "MOD005")]  # S2's CQ line: clean
    assert report["reading"]["source_problems"] == [
        "2 claims sent to a secondary or tertiary payer (2000B SBR01 S or T) after Medicare: judged as billed to the "
        "Medicare or Medicare Advantage payer their loop 2320 names as the primary, which their lines went to first"]
    to_primary = write_837(lines)  # the same lines sent to the plan as the primary: its rules, no CQ rule
    claims.write_text(_with_other_payer(to_primary, "S"))
    report = json.loads(run_cli("scrub", str(claims), "--format", "json", "--as-of", AS_OF).stdout)
    assert report["findings"] == [] and "source_problems" not in report["reading"]
    after_a_plan = _with_other_payer(to_primary.replace("SBR*P*", "SBR*S*"), "P").replace("*******MB", "*******CI")
    claims.write_text(after_a_plan)  # the plan's claim after another plan paid: the plan's rules, as before
    report = json.loads(run_cli("scrub", str(claims), "--format", "json", "--as-of", AS_OF).stdout)
    assert report["findings"] == [] and "source_problems" not in report["reading"]


def test_a_claim_to_medicare_as_the_secondary_payer_is_judged_as_medicare_s(tmp_path: Path) -> None:
    """Medicare Secondary Payer: the employer's plan paid first (loop 2320 SBR01 P), the claim goes to Medicare
    (2000B SBR01 S), whose edits apply to it: a PTA's line without CQ is still MOD005."""
    lines = [{"patient_id": "S1", "dos": "2026-03-02", "cpt": "97110", "modifiers": "GP", "units": 2, "minutes": 30,
              "pta_minutes": 30, "charge": 110, "payer_type": "medicare", "provider_type": "PTA"}]
    claims = tmp_path / "msp.837"
    claims.write_text(_with_other_payer(write_837(lines).replace("SBR*P*", "SBR*S*"), "P").replace(
        "SBR*P*18*******MB", "SBR*P*18*******CI").replace("MEDICARE PART B*****PI*MAC01", "ACME HEALTH PLAN*****PI*77"))
    report = json.loads(run_cli("scrub", str(claims), "--format", "json", "--as-of", AS_OF).stdout)
    assert [(f["row"], f["rule"]) for f in report["findings"]] == [(2, "MOD005")]
    assert "source_problems" not in report["reading"]


def test_an_837p_of_x12s_errata_version_is_read_as_the_version_hipaa_adopted(tmp_path: Path) -> None:
    """005010X222A2 (X12's errata of the 837P, as the TR3's examples are written): pyx12 has no map of it, and the
    file was refused as "Map not found". Read with the A1 map, the lines are judged and the reading says so."""
    lines = [{"patient_id": "E1", "dos": "2026-03-02", "cpt": "97110", "modifiers": "", "units": 1, "minutes": 15,
              "charge": 55, "payer_type": "medicare", "provider_type": "PT"}]
    claims = tmp_path / "errata.837"
    claims.write_text(write_837(lines).replace("005010X222A1", "005010X222A2"))
    result = run_cli("scrub", str(claims), "--format", "json", "--as-of", AS_OF)
    report = json.loads(result.stdout)
    assert result.returncode == 1 and [(f["row"], f["rule"]) for f in report["findings"]] == [(2, "MOD001")]
    assert report["reading"]["source_problems"] == [
        "version 005010X222A2 (X12's errata of the 837P) read as 005010X222A1, the version HIPAA adopted: the two "
        "differ in a few situational rules, not in the segments read here"]


def test_an_837_without_minutes_judges_units_as_no_data_not_errors(tmp_path: Path) -> None:
    claims = tmp_path / "no-minutes.837"
    claims.write_text(write_837([{"patient_id": "N1", "dos": "2026-03-02", "cpt": "97110", "modifiers": "GP",
                                  "units": 2, "charge": 110, "payer_type": "medicare", "provider_type": "PT"}]))
    result = run_cli("scrub", str(claims), "--format", "json", "--as-of", AS_OF)
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert [(f["rule"], f["status"]) for f in document["findings"]] == [("UNT005", "no_data")]
    assert "minutes" in document["reading"]["fields_absent"]
    assert "hospital_edits" not in document["reading"] and "revenue_code" not in document["reading"]["fields"]


def test_a_practices_837p_for_a_hospital_or_snf_patient_is_the_facilitys_to_bill(tmp_path: Path) -> None:
    """An 837P is the practice's own professional claim: for a hospital's patient (POS 22) Medicare pays no
    independently practicing PT for 97110 (PFS PC/TC indicator 7, COV006), and for a SNF Part A resident (POS 31)
    only the SNF bills therapy (COV005). The office line beside them is clean."""
    claims = tmp_path / "facilities.837"
    line = {"dos": "2026-03-02", "cpt": "97110", "modifiers": "GP", "units": 2, "charge": 110, "payer_type": "medicare",
            "provider_type": "PT"}
    claims.write_text(write_837([{**line, "patient_id": "H1", "pos": "22"}, {**line, "patient_id": "S1", "pos": "31"},
                                 {**line, "patient_id": "O1", "pos": "11"}]))
    document = json.loads(run_cli("scrub", str(claims), "--format", "json", "--as-of", AS_OF).stdout)
    assert {(f["patient_id"], f["rule"]) for f in document["findings"] if f["status"] == "fail"} == {
        ("H1", "COV006"), ("S1", "COV005")}


def test_a_snf_residents_line_denied_co_109_is_caught_by_its_rule(tmp_path: Path) -> None:
    """Medicare denies a practice's therapy to a SNF resident CO-109, "send the claim to the correct payer" (Palmetto
    GBA, consolidated billing denials): the backtest counts it caught by the rule that expects it (COV005), and
    the office line beside it clean."""
    from ptcalc.claims.write835 import write_835

    line = {"dos": "2026-03-02", "cpt": "97110", "modifiers": "GP", "units": 2, "minutes": 30, "charge": 110,
            "payer_type": "medicare", "provider_type": "PT"}
    lines = [{**line, "patient_id": "S1", "claim_id": "S1", "pos": "31"},
             {**line, "patient_id": "O1", "claim_id": "O1", "pos": "11"}]
    (tmp_path / "claims.837").write_text(write_837(lines))
    (tmp_path / "remits.835").write_text(write_835(lines, {("S1", 1): ("CO", "109")}))
    out = tmp_path / "backtest.json"
    result = run_cli("backtest", str(tmp_path / "claims.837"), str(tmp_path / "remits.835"), "-o", str(out),
                     "--as-of", AS_OF)
    report = json.loads(out.read_text())
    assert result.returncode == 0
    assert (report["totals"]["caught"]["lines"], report["totals"]["clean"]["lines"]) == (1, 1)
    assert report["by_reason"]["109"]["caught_by_expected_rule"] == 1


def test_a_quantity_in_minutes_sv103_mj_is_refused_naming_the_minutes(tmp_path: Path) -> None:
    """SV103 `MJ`: SV104 is minutes, a basis payers take for anesthesia alone. Read as units, 38 minutes were "38 is
    more than 32 on one line" and 2 minutes passed as 2 units; a line billed in units (UN) beside them is clean."""
    line = {"patient_id": "J1", "dos": "2026-03-02", "cpt": "97110", "modifiers": "GP", "units": 2, "charge": 110,
            "payer_type": "medicare", "provider_type": "PT"}
    text = write_837([line, {**line, "patient_id": "J2", "units": 38}, {**line, "patient_id": "J3", "cpt": "97010",
                                                                          "units": 1, "modifiers": "GP"}])
    text = text.replace("*UN*2*", "*MJ*2*", 1).replace("*UN*38*", "*MJ*38*", 1)
    assert text.count("*MJ*") == 2
    claims = tmp_path / "minutes.837"
    claims.write_text(text)
    document = json.loads(run_cli("scrub", str(claims), "--format", "json", "--as-of", AS_OF).stdout)
    refused = [(f["row"], f["field"], f["message"]) for f in document["findings"] if f["rule"] == "DAT002"]
    assert [(row, field) for row, field, _ in refused] == [(2, "units"), (3, "units")]
    assert "'2 MJ' is 2 minutes, not units" in refused[0][2] and "'38 MJ' is 38 minutes" in refused[1][2]
    assert not [f for f in document["findings"] if f["row"] == 4 and f["rule"] != "COV002"]


def test_a_line_dated_with_a_range_of_days_is_refused_and_a_one_day_range_is_that_day(tmp_path: Path) -> None:
    # DTP*472*RD8: from-to dates. 4 units of 97110 over five days would be judged as one day's 4 units
    # (UNT001 on 30 minutes) if read as the first day; a range of one day (as some systems send every line) is that day.
    line = {"patient_id": "S1", "dos": "2026-03-02", "cpt": "97110", "modifiers": "GP", "units": 2, "minutes": 30,
            "charge": 110, "payer_type": "medicare", "provider_type": "PT"}
    text = write_837([line, {**line, "patient_id": "S2"}])
    spans = text.replace("DTP*472*D8*20260302", "DTP*472*RD8*20260302-20260306", 1)
    spans = spans.replace("DTP*472*D8*20260302", "DTP*472*RD8*20260302-20260302", 1)
    assert spans.count("RD8") == 2
    claims = tmp_path / "spans.837"
    claims.write_text(spans)
    document = json.loads(run_cli("scrub", str(claims), "--format", "json", "--as-of", AS_OF).stdout)
    assert [(f["row"], f["rule"], f["field"]) for f in document["findings"]] == [(2, "DAT002", "dos")]
    assert "spans several days; a line is one date of service" in document["findings"][0]["message"]


def test_taxonomy_and_filing_indicator_decide_provider_and_payer(tmp_path: Path) -> None:
    claims = tmp_path / "types.837"
    claims.write_text(write_837([
        {"patient_id": "T1", "dos": "2026-03-02", "cpt": "97530", "modifiers": "GO", "units": 1, "minutes": 15,
         "charge": 60, "payer_type": "commercial", "payer": "Aetna", "provider_type": "OT"},
        {"patient_id": "T2", "dos": "2026-03-02", "cpt": "97110", "modifiers": "GP", "units": 1, "minutes": 15,
         "pta_minutes": 15, "charge": 55, "payer_type": "medicare", "provider_type": "PTA"},
    ]))
    document = json.loads(run_cli("scrub", str(claims), "--format", "json", "--as-of", AS_OF).stdout)
    rules = {(f["row"], f["rule"]) for f in document["findings"]}
    assert (2, "MOD002") not in rules        # OT taxonomy 225X…: GO is right
    assert (3, "MOD005") in rules            # PTA taxonomy 2252…: the unit needs CQ


@pytest.mark.parametrize(("text", "said"), [
    ("ISA*00*garbage", "ends without its IEA segment"),
    ("ISA*00*garbage~IEA*1*000000001~", "not a readable X12 837 file"),
    (lambda: write_837([{"patient_id": "M1", "dos": "2026-03-02", "cpt": "97110", "units": 1}])[:400],
     "ends without its IEA segment"),
    (lambda: write_837([{"patient_id": "M1", "dos": "2026-03-02", "cpt": "97110", "units": 1}]).replace(
        "ST*837*", "ST*835*"), "segment ST at line 3: Segment ST*835 not found"),
])
def test_malformed_x12_is_refused_with_one_line(text, said: str, tmp_path: Path) -> None:
    claims = tmp_path / "bad.837"
    claims.write_text(text() if callable(text) else text)
    result = run_cli("scrub", str(claims), "--format", "json", "--as-of", AS_OF)
    assert result.returncode == 2 and said in result.stderr, result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_one_bad_claim_is_judged_with_its_problems_the_rest_as_usual(tmp_path: Path) -> None:
    good = {"patient_id": "G1", "dos": "2026-03-02", "cpt": "97110", "modifiers": "GP", "units": 1, "minutes": 15,
            "charge": 55, "payer_type": "medicare", "provider_type": "PT"}
    bad = {**good, "patient_id": "B1", "cpt": "97O10"}  # a letter O in the code
    claims = tmp_path / "mixed.837"
    claims.write_text(write_837([good, bad]))
    result = run_cli("scrub", str(claims), "--format", "json", "--as-of", AS_OF)
    document = json.loads(result.stdout)
    assert document["summary"]["lines"] == 2
    assert {(f["row"], f["rule"]) for f in document["findings"]} == {(3, "DAT005")}


def test_the_backtest_counts_match_an_independent_tally(tmp_path: Path) -> None:
    import random

    from ptcalc.claims.write835 import write_835

    lines = _lines(300)
    claims = tmp_path / "claims.837"
    claims.write_text(write_837(lines))
    scrub = json.loads(run_cli("scrub", str(claims), "--format", "json", "--as-of", AS_OF).stdout)
    flagged_rows = {f["row"] for f in scrub["findings"] if f["status"] == "fail" and f["severity"] in ("error", "warning")}
    numbers: dict[str, int] = {}
    keys = []
    for line in lines:  # (claim id, line number) in the order the 837 wrote them: sheet rows 2, 3, ...
        numbers[line["claim_id"]] = numbers.get(line["claim_id"], 0) + 1
        keys.append((line["claim_id"], numbers[line["claim_id"]]))
    rnd = random.Random(11)
    denials = {}
    for index, key in enumerate(keys):
        if rnd.random() < (0.6 if index + 2 in flagged_rows else 0.1):
            denials[key] = ("CO", rnd.choice(["97", "151", "4", "50"]))
    remits = tmp_path / "remits.835"
    remits.write_text(write_835(lines, denials))
    expected = {"caught": 0, "missed": 0, "intended": 0, "false_alarm": 0, "clean": 0}
    by_reason: dict[str, list[int]] = {}
    for index, key in enumerate(keys):
        flagged, denied = index + 2 in flagged_rows, key in denials
        verdict = ("caught" if flagged else "missed") if denied else ("false_alarm" if flagged else "clean")
        expected[verdict] += 1
        if denied:
            tally = by_reason.setdefault(denials[key][1], [0, 0, 0])
            tally[0] += 1
            tally[1 if flagged else 2] += 1
    out = tmp_path / "backtest.json"
    result = run_cli("backtest", str(claims), str(remits), "-o", str(out), "--as-of", AS_OF)
    assert result.returncode == 0, result.stderr
    report = json.loads(out.read_text())
    assert {k: v["lines"] for k, v in report["totals"].items() if k != "unmatched"} == expected
    assert report["totals"]["unmatched"]["lines"] == 0 and expected["caught"] and expected["missed"]
    assert {r: [e["denied"], e["caught"], e["missed"]] for r, e in report["by_reason"].items()} == by_reason
    xlsx = tmp_path / "backtest.xlsx"
    assert run_cli("backtest", str(claims), str(remits), "-o", str(xlsx), "--as-of", AS_OF).returncode == 0
    import openpyxl

    book = openpyxl.load_workbook(xlsx)
    assert book.active.title == "Backtest Summary" and book["Backtest Summary"]._charts
    assert book["Remittance Lines"].max_row == len(lines) + 1


def _wrapped_at_80(text: str) -> str:
    flat = text.replace("\n", "")
    return "\n".join(flat[i:i + 80] for i in range(0, len(flat), 80)) + "\n"


def _separators(text: str) -> str:  # elements `|`, components `>`, segments `!` (the ISA's own choice)
    isa, rest = text[:106], text[106:]
    parts = isa.split("*")
    parts[11], parts[16] = "{", ">!"
    return "|".join(parts) + rest.replace("~", "!").replace(":", ">").replace("*", "|")


@pytest.mark.parametrize("shape", [
    _wrapped_at_80,                                     # a clearinghouse's fixed 80-character lines
    lambda text: "\ufeff" + text,                       # a byte-order mark
    lambda text: "\r\n\r\n" + text.replace("\n", "\r\n"),  # blank lines first, Windows line ends
    lambda text: text.replace("~\n", "\n"),             # the line break as the segment terminator
    lambda text: text.replace("\n", ""),                 # one line
    _separators])
def test_x12_files_read_the_same_however_the_sender_lays_them_out(shape, tmp_path: Path) -> None:
    # Before: a wrapped file was refused (its ISA broken across lines), and one with a byte-order mark or a
    # blank first line was "unsupported file type '.837'".
    from ptcalc.claims.sample import SAMPLE_CLAIMS, SAMPLE_REMITS

    reports = []
    for claims, remits in ((SAMPLE_CLAIMS, SAMPLE_REMITS), (tmp_path / "sent.837", tmp_path / "sent.835")):
        if claims.parent == tmp_path:
            claims.write_text(shape(SAMPLE_CLAIMS.read_text()), newline="")
            remits.write_text(shape(SAMPLE_REMITS.read_text()), newline="")
            assert claims.read_bytes() != SAMPLE_CLAIMS.read_bytes()
        scrub = run_cli("scrub", str(claims), "--format", "json", "--as-of", AS_OF)
        assert scrub.returncode == 1, scrub.stderr  # 1: the sample has errors to find
        out = tmp_path / f"{claims.stem}-backtest.json"
        backtest = run_cli("backtest", str(claims), str(remits), "-o", str(out), "--as-of", AS_OF)
        assert backtest.returncode == 0, backtest.stderr
        reports.append((json.loads(scrub.stdout)["findings"], json.loads(out.read_text())["totals"]))
    assert reports[0] == reports[1] and reports[0][0] and reports[0][1]["caught"]["lines"]


def test_the_bundled_backtest_sample_is_what_the_generator_makes() -> None:
    from ptcalc.claims.sample import SAMPLE_CLAIMS, SAMPLE_REMITS, sample_files

    claims, remits = sample_files()
    assert SAMPLE_CLAIMS.read_text() == claims and SAMPLE_REMITS.read_text() == remits


def test_a_remittance_given_for_claims_and_claims_for_a_remittance_are_named_as_what_they_are() -> None:
    """An 835 scrubbed, or the backtest's two files swapped: before, "no 837 service lines (loop 2400) found; is
    this a claim file?", which did not say what the file was or which way round the backtest takes them."""
    from ptcalc.claims.sample import SAMPLE_CLAIMS, SAMPLE_REMITS

    usage = "(`ptcalc backtest CLAIMS.837 REMITS.835` sets a payer's 835 beside the claims it answers"
    for command, said in [
        (("scrub", str(SAMPLE_REMITS), "--format", "json"),
         f"{SAMPLE_REMITS}: an 835 remittance (what a payer paid and denied), not a claim file: give the 837 the "
         f"claims went out in {usage})"),
        (("backtest", str(SAMPLE_REMITS), str(SAMPLE_CLAIMS)),
         f"{SAMPLE_REMITS}: an 835 remittance (what a payer paid and denied), not a claim file: give the 837 the "
         f"claims went out in {usage})"),
        (("backtest", str(SAMPLE_CLAIMS), str(SAMPLE_CLAIMS)),
         f"{SAMPLE_CLAIMS}: an 837 claim file, not a remittance: give the 835 the payer sent back {usage}: the "
         "claims first)")]:
        result = run_cli(*command)
        assert result.returncode == 2 and result.stdout == ""
        assert result.stderr.strip().splitlines() == [f"ptcalc {command[0]}: {said}"]


def test_a_claim_that_voids_an_earlier_one_is_not_judged(tmp_path: Path) -> None:
    # CLM05-3 = 8: the claim cancels one sent before; its lines (here without GP) go on no claim to be paid.
    lines = [{"claim_id": claim, "patient_id": "V1", "dos": "2026-03-02", "cpt": "97110", "modifiers": modifiers,
              "units": 2, "minutes": 30, "charge": 110, "payer_type": "medicare", "provider_type": "PT"}
             for claim, modifiers in (("V1-OLD", ""), ("V1-NEW", "GP"))]
    text = write_837(lines)
    void = text.index("CLM*V1-OLD*")
    end = text.index("~", void)
    claims = tmp_path / "void.837"
    claims.write_text(text[:void] + text[void:end].replace(":B:1", ":B:8") + text[end:])
    document = json.loads(run_cli("scrub", str(claims), "--format", "json", "--as-of", AS_OF).stdout)
    assert document["reading"]["not_claim_lines"] == {"2": "voided (status: void)"}
    assert document["summary"]["lines"] == 1 and document["findings"] == []   # no MOD001, no duplicate
    claims.write_text(text)  # sent as an original claim, the line without GP is judged
    document = json.loads(run_cli("scrub", str(claims), "--format", "json", "--as-of", AS_OF).stdout)
    assert {(f["row"], f["rule"]) for f in document["findings"] if f["status"] == "fail"} >= {(2, "MOD001")}


def test_a_claim_denied_as_a_whole_and_a_reversal_in_the_835_are_read_as_payers_send_them(tmp_path: Path) -> None:
    import re

    from ptcalc.claims.read835 import read_835
    from ptcalc.claims.write835 import write_835

    lines = [{"claim_id": claim, "patient_id": "W1", "dos": "2026-03-02", "cpt": code, "modifiers": "GP",
              "units": 1, "minutes": 15, "charge": 55} for claim, code in (("W1-A", "97110"), ("W1-A", "97140"),
                                                                         ("W1-B", "97112"))]
    text = write_835(lines, {})
    # W1-A denied at the claim (CO-109, no line CAS); W1-B's payment is reversed by a second CLP (status 22).
    text = re.sub(r"CLP\*W1-A\*1\*110\.00\*88\.00([^~]*)~", r"CLP*W1-A*4*110.00*0.00\1~\nCAS*CO*109*110.00~", text)
    text = re.sub(r"(SVC\*HC:971(?:10|40):GP\*55\.00\*)44\.00", r"\g<1>0.00", text)
    text = re.sub(r"(SVC\*HC:971(?:10|40):GP\*55\.00\*0\.00\*\*1~\nDTM\*472\*20260302~\n)CAS\*CO\*45\*11\.00~\n",
                  r"\1", text)
    block = text[text.index("CLP*W1-B"):text.index("SE*")]
    text = text.replace(block, block + block.replace("CLP*W1-B*1*", "CLP*W1-B*22*"))
    # The payer paid W1-B's line as another code: SVC06 says what was billed.
    text = text.replace("SVC*HC:97112:GP*55.00*44.00**1", "SVC*HC:97530*55.00*44.00**1*HC:97112:GP")
    remits = tmp_path / "remits.835"
    remits.write_text(text)
    read = read_835(remits)
    assert [(r.claim_id, r.code, r.modifiers, r.reasons, r.denied) for r in read] == [
        ("W1-A", "97110", ("GP",), ["CO-109"], True), ("W1-A", "97140", ("GP",), ["CO-109"], True),
        ("W1-B", "97112", ("GP",), [], False)]


def test_a_line_applied_to_the_deductible_or_paid_by_an_earlier_payer_is_allowed_not_denied(tmp_path: Path) -> None:
    """Paid $0 is not denied: January's Medicare lines go to the Part B deductible (PR-1), and a secondary
    payer pays nothing the primary paid (OA-23). Before: both counted as denials the scrub missed."""
    import re

    from ptcalc.claims.read835 import read_835
    from ptcalc.claims.write835 import write_835

    lines = [{"claim_id": "D1", "patient_id": "D1", "dos": "2026-01-05", "cpt": code, "modifiers": "GP", "units": 1,
              "minutes": 15, "charge": 55} for code in ("97110", "97140", "97112")]
    text = write_835(lines, {("D1", 3): ("CO", "97")})
    text = re.sub(r"(SVC\*HC:97110:GP\*55\.00\*)44\.00(\*\*1~\nDTM\*472\*20260105~\n)CAS\*CO\*45\*11\.00~",
                  r"\g<1>0.00\2CAS*CO*45*11.00*1~\nCAS*PR*1*44.00~", text)
    text = re.sub(r"(SVC\*HC:97140:GP\*55\.00\*)44\.00(\*\*1~\nDTM\*472\*20260105~\n)CAS\*CO\*45\*11\.00~",
                  r"\g<1>0.00\2CAS*OA*23*55.00~", text)
    remits = tmp_path / "remits.835"
    remits.write_text(text)
    read = read_835(remits)
    assert [(r.code, r.paid, r.denied, r.reasons, r.reason) for r in read] == [
        ("97110", 0.0, False, [], None), ("97140", 0.0, False, [], None), ("97112", 0.0, True, ["CO-97"], "97")]


def test_a_quality_data_code_adjusted_as_reporting_only_is_not_a_denial(tmp_path: Path) -> None:
    """A MIPS quality data code billed at a nominal $0.01 comes back CO-246 ("for required reporting only"):
    before, a denial the scrub missed in every backtest of a practice that reports its measures on claims."""
    from ptcalc.claims.read835 import read_835
    from ptcalc.claims.write835 import write_835

    lines = [{"claim_id": "Q1", "patient_id": "Q1", "dos": "2026-03-02", "cpt": code, "modifiers": "GP", "units": 1,
              "minutes": 15, "charge": charge} for code, charge in (("97110", 55), ("G8539", 0.01), ("97140", 55))]
    remits = tmp_path / "remits.835"
    remits.write_text(write_835(lines, {("Q1", 2): ("CO", "246"), ("Q1", 3): ("CO", "97")}))
    assert [(r.code, r.paid, r.denied, r.reasons) for r in read_835(remits)] == [
        ("97110", 44.0, False, []), ("G8539", 0.0, False, []), ("97140", 0.0, True, ["CO-97"])]


def test_a_line_billed_for_its_denial_and_denied_is_intended_not_missed(tmp_path: Path) -> None:
    """GA (ABN signed) above the KX threshold: the clinic bills the line so that Medicare denies it and the
    patient pays. Its PR-50 is what was asked for, not a denial the scrub missed; the same denial of a
    line without GA is a miss."""
    from ptcalc.claims.write835 import write_835

    base = {"dos": "2026-06-02", "cpt": "97110", "units": 1, "minutes": 15, "charge": 55, "payer_type": "medicare",
            "provider_type": "PT"}
    lines = [{**base, "patient_id": "G1", "claim_id": "G1-1", "modifiers": "GP GA"},
             {**base, "patient_id": "G2", "claim_id": "G2-1", "modifiers": "GP"},
             {**base, "patient_id": "G3", "claim_id": "G3-1", "modifiers": "GP GA"}]
    claims, remits = tmp_path / "claims.837", tmp_path / "remits.835"
    claims.write_text(write_837(lines))
    remits.write_text(write_835(lines, {("G1-1", 1): ("PR", "50"), ("G2-1", 1): ("CO", "50")}))
    out = tmp_path / "backtest.json"
    assert run_cli("backtest", str(claims), str(remits), "-o", str(out), "--as-of", AS_OF).returncode == 0
    report = json.loads(out.read_text())
    assert [line["verdict"] for line in report["lines"]] == ["intended", "missed", "clean"]
    assert report["totals"]["intended"] == {"lines": 1, "dollars": 55.0}
    assert report["by_reason"]["50"]["intended"] == 1 and report["by_reason"]["50"]["missed"] == 1


def test_a_rendering_taxonomy_of_no_therapist_is_named(tmp_path: Path) -> None:
    # A chiropractor (111N…) rendering 97140 on a Medicare claim (before: judged as a PT, clean).
    lines = [{"patient_id": "C1", "dos": "2026-03-02", "cpt": "97110", "modifiers": "GP", "units": 1, "minutes": 15,
              "charge": 55, "payer_type": "medicare", "provider_type": "PT"},
             {"patient_id": "C2", "dos": "2026-03-02", "cpt": "97140", "modifiers": "GP", "units": 1, "minutes": 15,
              "charge": 55, "payer_type": "medicare", "provider_type": "PTA"}]
    claims = tmp_path / "dc.837"
    claims.write_text(write_837(lines).replace("PRV*PE*PXC*225200000X", "PRV*PE*PXC*111N00000X"))
    document = json.loads(run_cli("scrub", str(claims), "--format", "json", "--as-of", AS_OF).stdout)
    found = {(f["row"], f["rule"]) for f in document["findings"] if f["status"] == "fail" and f["severity"] != "info"}
    assert found == {(3, "PRV003")}
    assert "a chiropractor" in next(f["message"] for f in document["findings"] if f["rule"] == "PRV003")


def test_a_physicians_or_nurse_practitioners_taxonomy_is_no_therapist_and_no_one_who_furnishes_no_therapy(
        tmp_path: Path) -> None:
    """A physician's (207X…) or NP's (363L…) claim: its therapeutic exercise carries GP like a PT's, its wound care
    (a sometimes-therapy code) is processed without one; before, judged as a PT's (MOD001 on the wound care)."""
    base = {"dos": "2026-03-02", "units": 1, "charge": 90, "payer_type": "medicare", "provider_type": "PT"}
    lines = [{**base, "patient_id": "W1", "cpt": "97597", "modifiers": ""},
             {**base, "patient_id": "W2", "cpt": "97110", "modifiers": "GP", "minutes": 15},
             {**base, "patient_id": "W3", "cpt": "97110", "modifiers": "", "minutes": 15}]
    for taxonomy in ("207X00000X", "363LF0000X"):
        claims = tmp_path / f"{taxonomy}.837"
        claims.write_text(write_837(lines).replace("PRV*PE*PXC*225100000X", f"PRV*PE*PXC*{taxonomy}"))
        document = json.loads(run_cli("scrub", str(claims), "--format", "json", "--as-of", AS_OF).stdout)
        found = {(f["row"], f["rule"]) for f in document["findings"] if f["status"] == "fail"}
        assert found == {(4, "MOD001")}                   # the exercise without GP; no PRV003, no DAT008


def _family_plan(text: str, children: dict[str, tuple[str, str]]) -> str:
    """write_837's claims sent as a family plan's: the subscriber (2000B, the plan's member id), then the child
    treated (2000C: a name and no id of its own, as X12 5010 sends a dependent), by claim id."""
    segments, out, hl, subscriber = text.split("~\n"), [], 1, 0
    for segment in segments:
        if segment.startswith("HL*") and segment.endswith("*22*0"):
            hl += 1
            subscriber = hl
            segment = f"HL*{hl}*1*22*1"
        elif segment.startswith("CLM*"):
            last, first = children[segment.split("*")[1]]
            hl += 1
            out += [f"HL*{hl}*{subscriber}*23*0", "PAT*19", f"NM1*QC*1*{last}*{first}", "N3*1 TEST LANE",
                    "N4*SPRINGFIELD*IL*627010000", "DMG*D8*20150101*F"]
        out.append(segment)
    start = next(i for i, s in enumerate(out) if s.startswith("ST*"))
    end = next(i for i, s in enumerate(out) if s.startswith("SE*"))
    out[end] = f"SE*{end - start + 1}*0001"
    return "~\n".join(out)


FAMILY = {"A1": ("DOE", "ANNA"), "B1": ("DOE", "BEN")}


def _family_lines() -> list[dict]:
    line = {"patient_id": "W100", "dos": "2026-03-02", "cpt": "97110", "modifiers": "GP", "units": 2, "minutes": 30,
            "charge": 110, "payer_type": "commercial", "payer": "Aetna", "provider_type": "PT"}
    return [{**line, "claim_id": "A1"}, {**line, "claim_id": "B1"}, {**line, "claim_id": "B1"}]


def test_two_children_on_one_family_plan_seen_the_same_day_are_two_patients(tmp_path: Path) -> None:
    """5010 sends a dependent under the subscriber's member id, with a name and no id of its own. Read as the
    member id alone, a brother's 97110 was a duplicate of his sister's (DAT003) and their visits one."""
    claims = tmp_path / "family.837"
    claims.write_text(_family_plan(write_837(_family_lines()), FAMILY))
    out = tmp_path / "family.csv"
    result = run_cli("scrub", str(claims), "--format", "csv", "-o", str(out), "--as-of", AS_OF)
    assert result.returncode == 0 and "note:" not in result.stderr, result.stderr  # a valid 837; a warning
    found = list(csv.DictReader(out.open()))
    assert {(f["row"], f["rule"]) for f in found if f["severity"] != "info"} >= {("4", "DAT003")}
    assert {f["row"] for f in found} == {"4"}  # the sister's line (row 2) and the brother's first are clean
    assert {f["patient_id"] for f in found} == {"W100 (DOE, BEN)"}


def test_an_835_names_a_dependent_as_the_837_does(tmp_path: Path) -> None:
    from ptcalc.claims.read835 import read_835
    from ptcalc.claims.read837 import read_837
    from ptcalc.claims.write835 import write_835

    claims = tmp_path / "family.837"
    claims.write_text(_family_plan(write_837(_family_lines()), FAMILY))
    sent = {row[0]: row[2] for row in read_837(claims)[0].rows[1:]}
    text = write_835(_family_lines(), {})
    for claim, (last, first) in FAMILY.items():  # the patient (QC), then the insured (IL): a dependent
        head = text.index(f"CLP*{claim}*")
        qc = text.index("NM1*QC*1*SYNTHETIC*PATIENT****MI*W100", head)
        text = (text[:qc] + f"NM1*QC*1*{last}*{first}~\nNM1*IL*1*DOE*JOHN****MI*W100"
                + text[qc + len("NM1*QC*1*SYNTHETIC*PATIENT****MI*W100"):])
    remits = tmp_path / "family.835"
    remits.write_text(text)
    assert {r.claim_id: r.patient_id for r in read_835(remits)} == sent == {"A1": "W100 (DOE, ANNA)",
                                                                             "B1": "W100 (DOE, BEN)"}
    # Some payers send the insured always: the same name as the patient's is no dependent.
    patient = "NM1*QC*1*SYNTHETIC*PATIENT****MI*W100"
    remits.write_text(write_835(_family_lines(), {}).replace(patient, patient + "~\n" + patient.replace("QC", "IL")))
    assert {r.patient_id for r in read_835(remits)} == {"W100"}


def test_a_wrong_envelope_count_is_a_note_naming_the_envelope(tmp_path: Path) -> None:
    text = write_837(_family_lines())
    claims = tmp_path / "count.837"
    claims.write_text(text.replace(text[text.index("SE*"):text.index("*0001~\nGE")], "SE*99"))
    result = run_cli("scrub", str(claims), "--format", "json", "--as-of", AS_OF)
    assert json.loads(result.stdout)["summary"]["lines"] == 3
    assert "note:" in result.stderr and "transaction (ST-SE): SE count of 99" in result.stderr, result.stderr
    assert "(code 4)" in result.stderr and "at line None" not in result.stderr


def test_a_line_paid_in_part_for_a_denial_reason_is_denied_in_part(tmp_path: Path) -> None:
    """A payer that pays 2 of 3 units and adjusts the third with CO-151: the scrub's UNT001 on that line was
    a catch, not a false alarm (before: false_alarm), and an unflagged line cut so is a partial miss. A
    paid line's contract (CO-45), MIPS penalty (CO-237), sequestration (CO-253) and coinsurance (PR-2) are
    no denial."""
    import re

    from ptcalc.claims.write835 import write_835

    base = {"patient_id": "U1", "claim_id": "U1-1", "dos": "2026-03-02", "modifiers": "GP", "payer_type": "medicare",
            "provider_type": "PT"}
    lines = [{**base, "cpt": "97110", "units": 3, "minutes": 30, "charge": 150},     # UNT001: 30 minutes, 2 units
             {**base, "patient_id": "U2", "claim_id": "U2-1", "cpt": "97530", "units": 2, "minutes": 30, "charge": 120},
             {**base, "patient_id": "U3", "claim_id": "U3-1", "cpt": "97140", "units": 1, "minutes": 15, "charge": 50}]
    claims, remits = tmp_path / "claims.837", tmp_path / "remits.835"
    claims.write_text(write_837(lines))
    text = write_835(lines, {})
    text = re.sub(r"(SVC\*HC:97110:GP\*150\.00\*120\.00\*\*3~\nDTM\*472\*20260302~\n)CAS\*CO\*45\*30\.00~",
                  r"\1CAS*CO*45*20.00*3*151*10.00*1~", text)
    text = re.sub(r"(SVC\*HC:97530:GP\*120\.00\*96\.00\*\*2~\nDTM\*472\*20260302~\n)CAS\*CO\*45\*24\.00~",
                  r"\1CAS*CO*45*12.00**151*12.00*1~", text)
    text = re.sub(r"(SVC\*HC:97140:GP\*50\.00\*)40\.00(\*\*1~\nDTM\*472\*20260302~\n)CAS\*CO\*45\*10\.00~",
                  r"\g<1>30.00\2CAS*CO*45*10.00**237*0.80**253*0.60~\nCAS*PR*2*8.60~", text)
    assert text.count("*151*") == 2 and "*237*" in text
    remits.write_text(text)
    out = tmp_path / "backtest.json"
    assert run_cli("backtest", str(claims), str(remits), "-o", str(out), "--as-of", AS_OF).returncode == 0
    report = json.loads(out.read_text())
    assert [(line["verdict"], line.get("partly_denied")) for line in report["lines"]] == [
        ("caught", 10.0), ("missed", 12.0), ("clean", None)]
    assert report["totals"]["caught"] == {"lines": 1, "dollars": 10.0}
    assert report["totals"]["false_alarm"]["lines"] == 0
    assert report["by_reason"]["151"]["denied"] == 2 and report["by_reason"]["151"]["dollars_denied"] == 22.0
    assert set(report["by_reason"]) == {"151"}
    xlsx = tmp_path / "backtest.xlsx"
    assert run_cli("backtest", str(claims), str(remits), "-o", str(xlsx), "--as-of", AS_OF).returncode == 0
    import openpyxl

    rows = openpyxl.load_workbook(xlsx)["Remittance Lines"].iter_rows(min_row=2, values_only=True)
    outcomes = [row[9] for row in rows]
    assert outcomes == ["caught before billing (denied in part: $10.00)", "missed (denied in part: $12.00)",
                        "paid, not flagged"]


def test_an_837_without_modifiers_is_a_claim_without_them_not_a_sheet_that_leaves_them_out(tmp_path: Path) -> None:
    """An export's modifiers column no line fills is read as absent (MOD001 no_data); an 837's lines are the
    claim as sent: no GP on two Medicare claims is MOD001 failing on both."""
    line = {"dos": "2026-03-02", "cpt": "97110", "units": 1, "minutes": 15, "charge": 55, "payer_type": "medicare",
            "provider_type": "PT"}
    claims = tmp_path / "nogp.837"
    claims.write_text(write_837([{**line, "patient_id": "N1"}, {**line, "patient_id": "N2"}]))
    document = json.loads(run_cli("scrub", str(claims), "--format", "json", "--as-of", AS_OF).stdout)
    assert {(f["row"], f["rule"], f["status"]) for f in document["findings"]} == {(2, "MOD001", "fail"),
                                                                                  (3, "MOD001", "fail")}
    assert "columns_empty" not in document["reading"]


def test_a_batch_file_of_several_interchanges_is_read_whole_and_each_checked_alone(tmp_path: Path) -> None:
    """A clearinghouse's file may hold several interchanges one after another (ISA...IEA, ISA...IEA). Before, pyx12
    read it as one and every such file carried a note that was not so ("Segment IEA exceeded max count")."""
    monday = {"patient_id": "M1", "dos": "2026-03-02", "cpt": "97110", "modifiers": "GP", "units": 1, "minutes": 15,
              "charge": 55, "payer_type": "medicare", "provider_type": "PT"}
    first = write_837([monday])
    second = write_837([{**monday, "patient_id": "T1", "dos": "2026-03-03"},
                        {**monday, "patient_id": "T1", "dos": "2026-03-03", "cpt": "97140"}], control=2)
    claims = tmp_path / "batch.837"
    claims.write_text(first + second)
    result = run_cli("scrub", str(claims), "--format", "json", "--as-of", AS_OF)
    document = json.loads(result.stdout)
    assert result.returncode == 0 and "note:" not in result.stderr, result.stderr
    assert document["summary"]["lines"] == 3 and document["findings"] == []
    assert "source_problems" not in document["reading"]
    # A problem in the second is said as the second's, its line counted from the top of the file
    broken = second.replace("ST*837*", "ST*835*", 1)
    claims.write_text(first + broken)
    said = run_cli("scrub", str(claims), "--format", "json", "--as-of", AS_OF)
    line = (first + broken).split("~").index(next(s for s in broken.split("~") if s.strip().startswith("ST*835"))) + 1
    assert f"segment ST at line {line}: Segment ST*835 not found" in said.stderr, said.stderr
    assert json.loads(said.stdout)["summary"]["lines"] == 1  # the first interchange's line is still judged
    count = second[second.index("SE*"):second.index("~", second.index("SE*"))]
    claims.write_text(first + second.replace(count, "SE*99*" + count.split("*")[2]))
    miscounted = run_cli("scrub", str(claims), "--format", "json", "--as-of", AS_OF)
    assert "note: batch.837: interchange 2 of 2: transaction (ST-SE): SE count of 99" in miscounted.stderr
    assert json.loads(miscounted.stdout)["summary"]["lines"] == 3
    claims.write_text(first + first)  # one control number twice: most often the same batch sent twice
    twice = run_cli("scrub", str(claims), "--format", "json", "--as-of", AS_OF)
    assert "interchange 2 of 2: ISA control number 000000001 is interchange 1's too" in twice.stderr
    assert "DAT003" in {f["rule"] for f in json.loads(twice.stdout)["findings"]}  # and its line is a duplicate


def test_the_backtest_judges_the_claims_with_the_clinics_settings(tmp_path: Path) -> None:
    """`ptcalc backtest` scrubs the claims as `ptcalc scrub` does, with the ptcalc.yaml of the clinic's folder (its
    locality, staff and plans): before, it ignored it, so a plan the clinic names as Medicare Advantage was judged
    as the claim's filing code says (commercial) in the backtest and as Medicare Advantage in the scrub."""
    from .conftest import ROOT

    for name in ("claims_week.837", "remits_week.835"):
        (tmp_path / name).write_bytes((ROOT / "ptcalc" / "samples" / name).read_bytes())

    def flags() -> dict[int, set[str]]:
        result = run_cli("backtest", str(tmp_path / "claims_week.837"), str(tmp_path / "remits_week.835"),
                         "-o", str(tmp_path / "week.backtest.json"), "--as-of", AS_OF)
        assert result.returncode == 0, result.stderr
        return {line["row"]: set(line["flags"]) for line in json.loads((tmp_path / "week.backtest.json").read_text())[
            "lines"]}

    def scrubbed() -> dict[int, set[str]]:
        result = run_cli("scrub", str(tmp_path / "claims_week.837"), "--format", "json", "--as-of", AS_OF)
        found: dict[int, set[str]] = {}
        for f in json.loads(result.stdout)["findings"]:
            if f["status"] == "fail" and f["severity"] in ("error", "warning"):
                found.setdefault(f["row"], set()).add(f["rule"])
        return found

    alone = flags()
    (tmp_path / "ptcalc.yaml").write_text("payers:\n  Aetna: medicare_advantage\n")
    clinic, by_scrub = flags(), scrubbed()
    assert clinic != alone  # the clinic's plan changes the judgement...
    assert clinic == {row: by_scrub.get(row, set()) for row in clinic}  # ...as the scrub of the same file judges it
    (tmp_path / "ptcalc.yaml").write_text("locality: Atlantis\n")
    refused = run_cli("backtest", str(tmp_path / "claims_week.837"), str(tmp_path / "remits_week.835"))
    assert refused.returncode == 2 and "ptcalc.yaml: locality: 'Atlantis' is not a Medicare locality" in refused.stderr
