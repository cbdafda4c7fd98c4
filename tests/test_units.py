"""Units: the CMS 8-minute rule with the §20.2 allocation, and the AMA per-code rule."""
from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ptcalc import PtcalcInputError, allocate_units, total_units, units_for_minutes

TIMED = ["97110", "97112", "97116", "97140", "97530", "97035", "97535", "97113"]


@pytest.mark.parametrize(("minutes", "units"), [
    (0, 0), (7, 0), (7.9, 0), (8, 1), (22, 1), (23, 2), (37, 2), (38, 3), (52, 3), (53, 4),
    (67, 4), (68, 5), (82, 5), (83, 6), (97, 6), (98, 7), (112, 7), (113, 8), (127, 8), (128, 9),
])
def test_chart_of_section_20_2(minutes: float, units: int) -> None:
    assert units_for_minutes(minutes) == units


@pytest.mark.parametrize(("minutes", "codes", "expected"), [
    ([24, 23], ["97112", "97110"], [2, 1]),                              # example 1
    ([20, 20], ["97112", "97110"], [2, 1]),                              # example 2, tie
    ([33, 7], ["97110", "97140"], [2, 1]),                               # example 3
    ([18, 13, 10, 8], ["97110", "97140", "97116", "97035"], [1, 1, 1, 0]),  # example 4
    ([7, 7, 7], ["97112", "97110", "97140"], [1, 0, 0]),                 # example 5
], ids=["example-1", "example-2", "example-3", "example-4", "example-5"])
def test_cms_worked_examples(minutes: list, codes: list, expected: list) -> None:
    allocation = allocate_units(minutes, codes, "CMS")
    assert allocation.units == expected
    assert allocation.total == units_for_minutes(sum(minutes))


def test_ama_and_cms_differ_on_the_same_visit() -> None:
    codes = ["97110", "97140", "97530"]
    assert allocate_units([8, 8, 8], codes, "CMS").units == [1, 0, 1]
    assert allocate_units([8, 8, 8], codes, "AMA").units == [1, 1, 1]
    assert allocate_units([33, 7], ["97110", "97140"], "AMA").units == [2, 0]
    assert total_units([8, 8, 8], "CMS") == 2 and total_units([8, 8, 8], "AMA") == 3


def test_tie_goes_to_higher_rvu_then_earlier_row_and_is_reported() -> None:
    # 97110 and 97116 have the same 2026 total RVU (0.87): the earlier row wins.
    allocation = allocate_units([20, 20], ["97116", "97110"], "CMS")
    assert allocation.units == [2, 1]
    assert "Tie" in allocation.explain() and "97116" in allocation.notes[0]


def test_untimed_codes_get_one_unit_and_their_minutes_are_not_pooled() -> None:
    allocation = allocate_units([30, 20, 10], ["97162", "97110", "97140"], "CMS")
    assert allocation.units == [1, 1, 1]
    assert allocation.timed_minutes == 30


def test_same_code_on_several_rows_is_combined_on_its_first_row() -> None:
    allocation = allocate_units([10, 20, 10], ["97110", "97140", "97110"], "CMS")
    assert allocation.units == [2, 1, 0]


def test_blank_rows_are_zero_and_numeric_codes_are_accepted() -> None:
    assert allocate_units([23, None, None], [97110.0, None, ""], "cms").units == [2, 0, 0]


def test_explanation_names_the_code_that_got_the_leftover_unit() -> None:
    text = allocate_units([33, 7], ["97110", "97140"]).explain()
    assert "40 timed minutes support 3 units" in text
    assert "97140 7 min: 7 min left over (gets a leftover unit) = 1" in text


@pytest.mark.parametrize(("minutes", "codes", "method", "message"), [
    (["abc"], None, "CMS", "minutes: 'abc' is not a number"),
    ([10, "x"], ["97110", "97140"], "CMS", "(row 2 of the range)"),
    ([-5], None, "CMS", "minutes: -5 is negative"),
    ([10], ["99999"], "CMS", "'99999' is not in the reference code table"),
    ([10], ["97110"], "XYZ", "method: 'XYZ' is not CMS (the 8-minute rule) or AMA"),
    ([10, 5], ["97110"], "CMS", "must align"),
    ([10], [None], "CMS", "has 10 minutes but no code"),
    ([60], ["97546"], "CMS", "its own time descriptor"),
])
def test_bad_input_raises_a_value_error_naming_the_argument(minutes, codes, method, message) -> None:
    with pytest.raises(ValueError, match=None) as caught:
        if codes is None:
            total_units(minutes, method)
        else:
            allocate_units(minutes, codes, method)
    assert isinstance(caught.value, PtcalcInputError)
    assert message in str(caught.value)


@pytest.mark.parametrize(("name", "method"), [
    ("Medicare", "CMS"), ("8-minute rule", "CMS"), ("8 Minute Rule", "CMS"), ("AMA 8-minute rule", "AMA"),
    ("CPT", "AMA"), ("substantial portion", "AMA"), ("midpoint", "AMA"), (" ama ", "AMA")])
def test_the_unit_method_by_the_names_billing_staff_give_it(name: str, method: str) -> None:
    """CMS example 4's 8 + 8 + 8 minutes: 1, 0, 1 units by Medicare's rule, 1, 1, 1 by each code's own minutes.
    Before, every name but CMS and AMA was "not CMS or AMA"."""
    expected = [1, 0, 1] if method == "CMS" else [1, 1, 1]
    assert allocate_units([8, 8, 8], ["97110", "97140", "97112"], name).units == expected


@pytest.mark.parametrize("name", ["Rule of Eights", "rule of 8s"])
def test_a_name_that_means_either_unit_method_is_refused_saying_so(name: str) -> None:
    with pytest.raises(PtcalcInputError, match="names either rule: give CMS .* or AMA"):
        allocate_units([8, 8, 8], ["97110", "97140", "97112"], name)


visits = st.lists(st.tuples(st.sampled_from(TIMED), st.integers(0, 120)), min_size=1, max_size=6,
                  unique_by=lambda pair: pair[0])


@settings(max_examples=300, deadline=None)
@given(visits)
def test_cms_units_never_exceed_the_pooled_minutes(visit: list) -> None:
    codes, minutes = [c for c, _ in visit], [m for _, m in visit]
    allocation = allocate_units(minutes, codes, "CMS")
    assert allocation.total == units_for_minutes(sum(minutes))
    assert allocation.total * 15 <= sum(minutes) + 7
    for code_minutes, units in zip(minutes, allocation.units):
        assert units <= code_minutes // 15 + 1


@settings(max_examples=300, deadline=None)
@given(visits)
def test_cms_a_code_with_15_minutes_or_more_never_gets_zero(visit: list) -> None:
    codes, minutes = [c for c, _ in visit], [m for _, m in visit]
    for code_minutes, units in zip(minutes, allocate_units(minutes, codes, "CMS").units):
        if code_minutes >= 15:
            assert units >= code_minutes // 15


@settings(max_examples=200, deadline=None)
@given(visits)
def test_ama_units_are_per_code(visit: list) -> None:
    codes, minutes = [c for c, _ in visit], [m for _, m in visit]
    assert allocate_units(minutes, codes, "AMA").units == [units_for_minutes(m) for m in minutes]


def test_the_unlisted_service_minutes_are_those_a_full_search_finds() -> None:
    # UNT001's fix names the minutes of a service an export leaves off that would explain one unit more; the
    # bounded search must find exactly what trying every minute from 1 to 14 finds.
    import random

    from ptcalc.refdata import load_reference
    from ptcalc.scrub.rules.unt import unlisted_service_minutes
    from ptcalc.units import split_timed_units

    rvus = load_reference().latest_fee_schedule.rows
    rnd = random.Random(20261123)
    named = 0
    for _ in range(3000):
        codes = rnd.sample(["97110", "97140", "97530", "97112", "97116", "97535"], rnd.randint(1, 4))
        listed = tuple((code, rnd.randint(1, 60) + rnd.choice((0.0, 0.5))) for code in codes)
        billed = list(split_timed_units(listed, "CMS", rvus))
        billed[rnd.randrange(len(billed))] += 1
        fits = [x for x in range(1, 15) if split_timed_units((*listed, ("", float(x))), "CMS", rvus) == (*billed, 0)]
        want = None if not fits else f"{fits[0]}" if fits[0] == fits[-1] else f"{fits[0]}-{fits[-1]}"
        assert fits == list(range(fits[0], fits[-1] + 1)) if fits else True
        assert unlisted_service_minutes(listed, tuple(billed), rvus) == want, (listed, billed)
        named += want is not None
    assert 300 < named < 2700  # both answers are exercised


# Minutes a sheet computes from clock times (`=(End-Start)*1440`) carry a binary fraction's error: 08:00 to 08:08
# is 7.999999999999972 minutes, which Excel shows (and a therapist bills) as 8. Before: 0 units, 22 -> 1 unit.
@pytest.mark.parametrize(("start", "end", "units"), [("08:00", "08:08", 1), ("14:07", "14:30", 2),
                                                      ("09:00", "09:38", 3)])
def test_minutes_computed_from_clock_times_count_as_the_minutes_shown(start: str, end: str, units: int) -> None:
    def day_fraction(clock: str) -> float:
        hours, minutes = map(int, clock.split(":"))
        return hours / 24 + minutes / 1440

    minutes = (day_fraction(end) - day_fraction(start)) * 1440
    assert total_units([minutes]) == units
    assert allocate_units([minutes], ["97110"]).units == [units]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(TIMED), st.integers(1, 59)), min_size=1, max_size=5,
                unique_by=lambda pair: pair[0]))
def test_cms_split_gives_leftover_units_by_leftover_minutes_then_total_rvu_then_row(visit: list) -> None:
    """split_timed_units looks at RVUs only when equal leftovers fall on both sides of the cut: the same units as
    ranking every code by (leftover minutes, total RVU, row), the §20.2 allocation as the docstring states it."""
    from ptcalc.refdata import load_reference
    from ptcalc.units import split_timed_units

    rows = load_reference().latest_fee_schedule.rows
    visit = tuple((code, float(minutes)) for code, minutes in visit)
    full = [int(minutes // 15) for _, minutes in visit]
    remaining = units_for_minutes(sum(minutes for _, minutes in visit)) - sum(full)
    ranked = sorted(range(len(visit)), key=lambda i: (-(visit[i][1] - 15 * full[i]), -rows[visit[i][0]].total_rvu, i))
    expected = [units + (i in ranked[:max(remaining, 0)]) for i, units in enumerate(full)]
    assert list(split_timed_units(visit, "CMS", rows)) == expected


# A minutes cell formatted as a time (0:38): classic xlwings hands it to PT_UNITS as a date-time on Excel's day zero,
# xlwings Lite as its fraction of a day. Before: the first was refused as "not a number", the second billed 0 units.
@pytest.mark.parametrize("cell", [datetime(1899, 12, 30, 0, 38), datetime(1904, 1, 1, 0, 38), time(0, 38),
                                  timedelta(minutes=38), "0:38", 38.0])
def test_a_time_cell_of_minutes_counts_its_minutes(cell: object) -> None:
    assert total_units([cell]) == 3
    assert allocate_units([cell, 7.0], ["97110", "97140"]).units == [3, 0]  # 45 minutes: 3 units, 97110 8 min left over


@pytest.mark.parametrize(("cell", "shown"), [(38 / 1440, "0:38"), (0.5, "12:00"), (1 / 1440, "0:01")])
def test_a_number_under_a_minute_is_refused_as_a_time_cell_not_read_as_no_units(cell: float, shown: str) -> None:
    """Excel's time cell as Lite hands it over (a fraction of a day): refused saying how to give the minutes."""
    for call in (lambda: total_units([cell]), lambda: allocate_units([20, cell], ["97110", "97140"])):
        with pytest.raises(PtcalcInputError, match=rf"less than a minute: a time cell \({shown}\)\? .*1440.*'{shown}'"):
            call()
    with pytest.raises(PtcalcInputError, match=r"\(row 2 of the range\)"):
        allocate_units([20, cell], ["97110", "97140"])
    assert total_units([0.0, 1.0, 8.0]) == 1  # 0 and whole minutes are minutes
