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


@pytest.mark.parametrize(("args", "code"), [
    (("none", "1-2", "stable"), "97161"),                       # the CPT descriptors' own ranges and words
    (("1-2", "3 or more", "Evolving clinical presentation with changing characteristics"), "97162"),
    (("3 or more", "4+", "unstable and unpredictable characteristics", "High complexity"), "97163"),
    (("3+", "4 or more", "Stable and/or uncomplicated characteristics"), "97161"),
    (("1 to 2", "3", "evolving", "moderate complexity"), "97162"),
    # joined by a slash or a hyphen, and the drop-downs' abbreviations (were refused)
    ((3, 4, "unstable/unpredictable"), "97163"), ((3, 4, "Unstable", "Moderate-Complexity"), "97162"),
    ((2, 3, "Mod"), "97162"), ((3, 4, "unstable", "Medium"), "97162"), ((3, 4, "High", "MOD"), "97162"),
])
def test_counts_and_presentations_as_the_note_writes_them(args, code) -> None:
    assert evaluation_tier(*args).code == code


@pytest.mark.parametrize(("args", "message"), [
    (("0-2", 3, "stable"), "comorbidities: '0-2' spans more than one tier"),     # 0 is low, 1-2 moderate
    ((1, "3-5", "evolving"), "exam_elements: '3-5' spans more than one tier"),
    ((1, 3, "not stable"), "presentation: 'not stable' is not one of"),          # never read past a negation
    ((1, 3, "wobbly"), "presentation: 'wobbly' is not one of stable, evolving, unstable, low, moderate, high$"),
    ((1, 3, "non-stable"), "presentation: 'non-stable' is not one of"),
])
def test_a_range_across_tiers_or_a_negated_presentation_is_refused(args, message) -> None:
    with pytest.raises(PtcalcInputError, match=message):
        evaluation_tier(*args)
