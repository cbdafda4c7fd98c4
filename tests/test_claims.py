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


def test_an_837_without_minutes_judges_units_as_no_data_not_errors(tmp_path: Path) -> None:
    claims = tmp_path / "no-minutes.837"
    claims.write_text(write_837([{"patient_id": "N1", "dos": "2026-03-02", "cpt": "97110", "modifiers": "GP",
                                  "units": 2, "charge": 110, "payer_type": "medicare", "provider_type": "PT"}]))
    result = run_cli("scrub", str(claims), "--format", "json", "--as-of", AS_OF)
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert [(f["rule"], f["status"]) for f in document["findings"]] == [("UNT005", "no_data")]
    assert "minutes" in document["reading"]["fields_absent"]


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
    ("ISA*00*garbage~IEA*1*000000001~", "not a readable X12 837P file"),
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
    expected = {"caught": 0, "missed": 0, "false_alarm": 0, "clean": 0}
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


def test_the_bundled_backtest_sample_is_what_the_generator_makes() -> None:
    from ptcalc.claims.sample import SAMPLE_CLAIMS, SAMPLE_REMITS, sample_files

    claims, remits = sample_files()
    assert SAMPLE_CLAIMS.read_text() == claims and SAMPLE_REMITS.read_text() == remits


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
