"""The shared acceptance cases, through the Excel layer exactly as check.py calls it."""
from __future__ import annotations

import math
import pytest
import yaml

from udfs import PT_EVAL_TIER, PT_FEE, PT_KX_CHECK, PT_UNITS

from .conftest import SHARED, SHARED_MISSING

if SHARED_MISSING:
    pytest.skip(SHARED_MISSING, allow_module_level=True)
CASES = SHARED / "acceptance"


def cases(name: str, key: str) -> list:
    return yaml.safe_load((CASES / name).read_text())[key]


@pytest.mark.parametrize("case", cases("units.yaml", "totals"))
def test_units_totals(case) -> None:
    minutes, want = case
    assert PT_UNITS(minutes) == want


@pytest.mark.parametrize("case", cases("units.yaml", "allocations"), ids=lambda c: c["name"])
def test_units_allocations(case) -> None:
    got = PT_UNITS(case["minutes"], case["codes"], case["method"])
    assert [row[0] for row in got] == case["expect"]


@pytest.mark.parametrize("case", cases("units.yaml", "errors"))
def test_units_errors(case) -> None:
    with pytest.raises(ValueError):
        PT_UNITS(case["minutes"], case.get("codes"), case.get("method", "CMS"))


@pytest.mark.parametrize("case", cases("eval_tier.yaml", "cases"))
def test_eval_tier(case) -> None:
    com, exam, pres, dec, want = case
    assert PT_EVAL_TIER(com, exam, pres, *([dec] if dec else [])) == want


@pytest.mark.parametrize("case", cases("eval_tier.yaml", "errors"))
def test_eval_tier_errors(case) -> None:
    with pytest.raises(ValueError):
        PT_EVAL_TIER(*case[:3])


@pytest.mark.parametrize("case", cases("fees.yaml", "cases"))
def test_fees(case) -> None:
    args = [case["codes"], case["units"], case["locality"], case["date"]] + (
        [case["modifiers"]] if "modifiers" in case else [])
    assert math.isclose(PT_FEE(*args), case["expect"], abs_tol=0.011)


@pytest.mark.parametrize("case", cases("fees.yaml", "errors"))
def test_fee_errors(case) -> None:
    with pytest.raises(ValueError):
        PT_FEE(case["codes"], case["units"], case.get("locality", "national"))


@pytest.mark.parametrize("case", cases("kx.yaml", "cases"))
def test_kx(case) -> None:
    ytd, visit, year, discipline, want = case
    assert PT_KX_CHECK(ytd, visit, year, discipline).split(":")[0] == want
