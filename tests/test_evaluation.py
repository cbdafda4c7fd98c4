"""PT evaluation tier: the lowest tier any component supports."""
from __future__ import annotations

import pytest

from ptcalc import PtcalcInputError, evaluation_tier


@pytest.mark.parametrize(("args", "code"), [
    ((0, 2, "stable"), "97161"),
    ((1, 3, "evolving"), "97162"),
    ((3, 4, "unstable"), "97163"),
    ((3, 4, "unstable", "moderate"), "97162"),
    ((3, 4, "unstable", "low"), "97161"),
    ((2, 4, "high"), "97162"),
    ((5.0, 6.0, "Unstable", "HIGH"), "97163"),
    ((3, 4, "unstable", None), "97163"),
    ((3, 4, "unstable", ""), "97163"),
])
def test_lowest_component_sets_the_code(args, code) -> None:
    assert evaluation_tier(*args).code == code


def test_explanation_names_the_limiting_component() -> None:
    result = evaluation_tier(3, 2, "unstable")
    assert result.limiting == ["examination"]
    assert "examination low" in result.explain()


@pytest.mark.parametrize(("args", "message"), [
    ((1, 0, "evolving"), "exam_elements: 0 is below 1"),
    ((-1, 3, "evolving"), "comorbidities: -1 is below 0"),
    ((1.5, 3, "evolving"), "comorbidities: 1.5 is not a whole number"),
    ((1, 3, "wobbly"), "presentation: 'wobbly' is not one of"),
    ((1, 3, "stable", "extreme"), "decision: 'extreme' is not one of"),
    ((None, 3, "stable"), "comorbidities: is empty"),
])
def test_bad_input(args, message) -> None:
    with pytest.raises(PtcalcInputError) as caught:
        evaluation_tier(*args)
    assert message in str(caught.value)
