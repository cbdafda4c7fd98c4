"""Every rule's YAML fixture (tests/fixtures/rules/<ID>.yaml), run by one generic test.

A fixture lists cases; each case is a few charge lines (on top of a default Medicare PT line)
and what the rule must say: `fail`, `bypassed`, `no_data` on the `flagged` lines (1-based,
default all), or `pass` (the rule says nothing); every rule a reviewer may waive has a case
waived by a `scrub_override` on its flagged lines; `message` / `fix` are texts a finding must
contain; `once`: one finding on each flagged line. `profiles` patches payer profiles for the whole
fixture; `as_of` sets the scrub date; `omit` leaves columns out of the sheet (e.g. payer_type, so the
payer's name decides), for the whole fixture or for one case; `claims_as_sent` reads the lines as an 837's (the claim
as sent, not a charge sheet), for the whole fixture or for one case.
"""
from __future__ import annotations

import dataclasses
from datetime import date
from pathlib import Path

import pytest
import yaml

from ptcalc import load_reference
from ptcalc.scrub import RawSheet, scrub_sheet
from ptcalc.scrub.columns import COLUMNS
from ptcalc.scrub.rules import all_rules

from .conftest import ROOT

FIXTURES = Path(__file__).parent / "fixtures" / "rules"
DEFAULT_LINE = {"patient_id": "P1", "dos": date(2026, 3, 2), "payer_type": "medicare", "provider_type": "PT",
                "modifiers": "GP"}


def fixture_cases() -> list:
    params = []
    for path in sorted(FIXTURES.glob("*.yaml")):
        fixture = yaml.safe_load(path.read_text())
        for case in fixture["cases"]:
            params.append(pytest.param(fixture, case, id=f"{fixture['rule']}: {case['name']}"))
    return params


def sheet_of(lines: list[dict], omit: tuple[str, ...] = (), claims_as_sent: bool = False) -> RawSheet:
    rows = [{**DEFAULT_LINE, **line} for line in lines]
    extra = [name for name in ("provider_name", "note_type", "secondary_payer") if any(name in row for row in rows)]
    names = [c.name for c in COLUMNS if any(c.name in row for row in rows) and c.name not in omit] + extra
    return RawSheet(Path("fixture.csv"), "fixture", [names] + [[row.get(n) for n in names] for row in rows],
                    claims_as_sent=claims_as_sent)


def reference_for(fixture: dict):  # noqa: ANN201 - a Reference
    ref = load_reference(ROOT / "reference")
    patches = fixture.get("profiles") or {}
    if not patches:
        return ref
    payers = tuple(dataclasses.replace(p, **patches.get(p.profile, {})) for p in ref.payers)
    return dataclasses.replace(ref, payers=payers, caches={})


@pytest.mark.parametrize(("fixture", "case"), fixture_cases())
def test_rule_fixture(fixture: dict, case: dict) -> None:
    rule = fixture["rule"]
    sheet = sheet_of(case["lines"], tuple(case.get("omit", fixture.get("omit", ()))),
                     case.get("claims_as_sent", fixture.get("claims_as_sent", False)))
    result = scrub_sheet(sheet, reference_for(fixture), fixture.get("as_of", date(2026, 11, 22)))
    mine = [f for f in result.findings if f.rule == rule]
    described = [(f.row, f.status, f.severity, f.message) for f in mine]
    if case["expect"] == "pass":
        assert not mine, f"{rule} should say nothing: {described}"
        return
    flagged = {n + 1 for n in case.get("flagged", range(1, len(case["lines"]) + 1))}  # header is row 1
    hits = [f for f in mine if f.status == case["expect"]]
    assert {f.row for f in hits} == flagged, f"expected {case['expect']} on rows {sorted(flagged)}: {described}"
    assert all(f.status == case["expect"] for f in mine), described
    if case.get("once"):  # one finding on each flagged line, however many lines make it
        assert len(hits) == len(flagged), described
    if "severity" in case:
        assert all(f.severity == case["severity"] for f in hits), described
    if "message" in case:
        assert any(case["message"] in f.message for f in hits), described
    if "fix" in case:
        assert any(case["fix"] in f.fix for f in hits), [f.fix for f in hits]
    for finding in hits:
        assert finding.fix and finding.source and finding.name


def test_every_rule_has_a_fixture_with_failing_passing_and_bypassed_lines() -> None:
    rules = all_rules()
    assert sorted(p.stem for p in FIXTURES.glob("*.yaml")) == sorted(rule.id for rule in rules)
    for rule in rules:
        cases = yaml.safe_load((FIXTURES / f"{rule.id}.yaml").read_text())["cases"]
        expects = {case["expect"] for case in cases}
        assert "pass" in expects and expects & {"fail", "no_data"}, rule.id
        # A rule a reviewer may waive has a case waived on its line (scrub_override naming it)
        waived = [c for c in cases if c["expect"] == "bypassed" and any("scrub_override" in l for l in c["lines"])]
        assert bool(waived) == (rule.overridable and "fail" in expects), rule.id
    assert "bypassed" in {c["expect"] for c in yaml.safe_load((FIXTURES / "PTP001.yaml").read_text())["cases"]}
