"""KX status: every threshold year, both buckets, the warning margin and the review threshold."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from ptcalc import PtcalcInputError, kx_status

THRESHOLDS = {2018: 2010, 2019: 2040, 2020: 2080, 2021: 2110, 2022: 2150, 2023: 2230, 2024: 2330,
              2025: 2410, 2026: 2480}


@pytest.mark.parametrize("year", sorted(THRESHOLDS))
@pytest.mark.parametrize("discipline", ["PT", "SLP", "OT"])
def test_each_year_and_bucket_at_the_margins(year: int, discipline: str) -> None:
    threshold = THRESHOLDS[year]
    status = lambda total: kx_status(total, 0, year, discipline).status  # noqa: E731
    assert status(threshold - 250.01) == "OK"
    assert status(threshold - 250) == "APPROACHING"
    assert status(threshold) == "APPROACHING"
    assert status(threshold + 0.01) == "KX"
    assert status(3000) == "KX"
    assert status(3000.01) == "KX+REVIEW"


def test_the_visit_is_added_to_the_year_to_date() -> None:
    assert kx_status(2400, 79.99, 2026).status == "APPROACHING"
    assert kx_status(2400, 80.01, 2026).status == "KX"


def test_message_gives_the_figures() -> None:
    assert kx_status(2300, 0, 2026).message == \
        "APPROACHING: $180.00 left before the 2026 KX threshold of $2,480.00 (PT/SLP)"
    message = kx_status(2950, 100, 2026, "OT").message
    assert message.startswith("KX+REVIEW: $3,050.00 this year is $570.00 over the 2026 KX threshold of $2,480.00 (OT)")
    assert "$3,000.00 targeted medical review threshold" in message


def test_a_later_year_uses_the_latest_threshold_and_says_so() -> None:
    status = kx_status(2500, 0, 2027)
    assert status.status == "KX" and status.threshold == 2480
    # The amount is named as 2026's (before: "over the 2027 KX threshold of $2,480.00", a year CMS had not set).
    assert status.message == ("KX: $2,500.00 this year is $20.00 over the 2026 KX threshold of $2,480.00 (the 2027 "
                              "threshold is not in the reference data yet) (PT/SLP); add KX to this visit's lines "
                              "if the records document medical necessity")
    assert "2027 KX threshold" not in status.message


def test_a_scrub_of_a_year_without_its_threshold_names_the_year_it_judged_by(tmp_path: Path) -> None:
    from .test_reference import run_cli

    sheet = tmp_path / "january.csv"
    sheet.write_text("patient_id,dos,payer,cpt,modifiers,units,minutes,ytd_prior\n"
                     "Y1,2027-01-05,Medicare,97110,GP,1,15,2500\n"
                     "Y2,2027-01-05,Medicare,97110,GP KX,1,15,100\n")
    report = json.loads(run_cli("scrub", str(sheet), "--format", "json", "--as-of", "2027-01-10").stdout)
    messages = {(f["row"], f["rule"]): f["message"] for f in report["findings"]}
    assert set(messages) == {(2, "MOD003"), (3, "MOD004")}
    assert all("the 2026 KX threshold of $2,480.00 (the 2027 threshold is not in the reference data yet)" in m
               for m in messages.values()), messages
    assert "2027 KX threshold not in the reference data; 2026 used" in report["data_versions"]["fallbacks"]


@pytest.mark.parametrize(("args", "message"), [
    ((-1, 0, 2026), "ytd_allowed: -1 is negative"),
    (("lots", 0, 2026), "ytd_allowed: 'lots' is not a number"),
    ((100, 0, 2026, "PTX"), "discipline: 'PTX' is not PT, SLP or OT"),
    ((100, 0, 2017), "no KX threshold for 2017"),
])
def test_bad_input(args, message) -> None:
    with pytest.raises(PtcalcInputError) as caught:
        kx_status(*args)
    assert message in str(caught.value)


@pytest.mark.parametrize(("ytd", "visit", "discipline", "bucket"), [
    ("$2,300.00", "$ 100", "PT", "PT/SLP"), ("2300 USD", 100, "Physical Therapy", "PT/SLP"),
    (2300, 100, "Occupational therapy", "OT"), (2300, 100, "GO", "OT"), (2300, 100, "GN", "PT/SLP"),
    (2300, 100, "Speech-language pathology", "PT/SLP"),
    # a Credentials column's cell (reference/providers.yaml); before: "'OTR/L' is not PT, SLP or OT"
    (2300, 100, "OTR/L", "OT"), (2300, 100, "COTA", "OT"), (2300, 100, "DPT", "PT/SLP"),
    (2300, 100, "CCC-SLP", "PT/SLP"),
])
def test_dollars_and_disciplines_as_a_sheet_writes_them(ytd, visit, discipline, bucket) -> None:
    status = kx_status(ytd, visit, 2026, discipline)
    assert status.total == 2400 and status.bucket == bucket
