"""The PT_* functions called with what Excel hands them: floats, None, flat lists, blocks, dates."""
from __future__ import annotations

import inspect
import re
from datetime import datetime

import pytest

import ptcalc
from udfs import PT_EVAL_TIER, PT_FEE, PT_FEE_EXPLAIN, PT_KX_CHECK, PT_UNITS, PT_UNITS_EXPLAIN, UDFS


def test_units_of_single_cells_and_totals() -> None:
    assert PT_UNITS(38.0) == 3
    assert PT_UNITS(None) == 0
    assert PT_UNITS([8.0, 22.0, None]) == 2                 # CMS pools the column: 30 minutes
    assert PT_UNITS([8.0, 22.0, None], None, "ama") == 2     # AMA: 1 + 1
    assert PT_UNITS([[10.0, 5.0], [8.0, None]]) == 2         # a block: 23 minutes pooled


def test_units_with_codes_return_a_column_aligned_with_the_rows() -> None:
    assert PT_UNITS([24.0, 23.0], [97112.0, 97110.0]) == [[2], [1]]       # codes typed as numbers
    assert PT_UNITS([[24.0], [23.0]], [["97112"], ["97110"]], "CMS") == [[2], [1]]
    assert PT_UNITS([33.0, 7.0, None], ["97110", "97140", None]) == [[2], [1], [0]]
    assert PT_UNITS(23.0, "97110") == 2                                    # one cell each: a number


def test_a_visits_quality_data_codes_price_at_zero_and_an_unknown_code_is_still_refused() -> None:
    """A charge sheet's visit with the $0 quality data codes a practice reports for MIPS (CMS status M): before,
    `=PT_FEE(A2:A4)` was "'G8539' is not in the 2026 fee schedule"."""
    assert PT_FEE(["97110", "G8539", "0518F"]) == PT_FEE("97110") == 29.06
    assert "G8539 ×1: PFS status M, not paid separately = $0.00" in PT_FEE_EXPLAIN(["97110", "G8539"])
    with pytest.raises(ValueError, match="'99999' is not in the 2026 fee schedule"):
        PT_FEE(["97110", "99999"])


def test_units_read_a_code_written_with_its_modifiers_and_a_fee_still_asks_for_them_apart() -> None:
    """PT_UNITS over a charge sheet's `97112 GP` cells: before, "has modifiers after the code; give them as
    modifiers", an argument PT_UNITS does not have (units do not depend on modifiers). PT_FEE still refuses
    them: CQ/CO change the price and go in its modifiers argument."""
    assert PT_UNITS([24.0, 23.0], ["97112 GP", "97110-GP-CQ"]) == [[2], [1]]     # CMS §20.2 example 1
    assert PT_UNITS(23.0, "97110GP") == 2
    with pytest.raises(ValueError, match="has modifiers after the code; give them as modifiers"):
        PT_FEE("97110 CQ")


def test_units_explain_says_which_code_got_the_leftover_unit() -> None:
    text = PT_UNITS_EXPLAIN([18.0, 13.0, 10.0, 8.0], ["97110", "97140", "97116", "97035"])
    assert text.startswith("CMS: 49 timed minutes support 3 units.")
    assert "97035 8 min: 8 min left over (no leftover unit) = 0." in text


def test_eval_tier_accepts_floats_and_any_case() -> None:
    assert PT_EVAL_TIER(1.0, 3.0, "Evolving") == "97162"
    assert PT_EVAL_TIER(3.0, 4.0, "UNSTABLE", None) == "97163"


def test_fee_takes_cells_ranges_blocks_dates_and_modifier_ranges() -> None:
    assert PT_FEE("97110") == 29.06                                   # latest year by default
    assert PT_FEE(97110.0, 2.0) == 51.27
    assert PT_FEE([["97161"], ["97110"], ["97140"]], [[1.0], [2.0], [1.0]], "national",
                  datetime(2026, 3, 2)) == 163.49
    assert PT_FEE(["97161", "97110", "97140", None], [1.0, 2.0, 1.0, None], None, 2026.0) == 163.49
    assert PT_FEE(["97110", "97530"], [1.0, 1.0], "national", 2026, ["GP", "GP CQ"]) == 52.02  # 22.21 + 35.07 × 85%
    assert PT_FEE("97110", 1, "13202-01", "2025-06-30") == 32.26
    # Modifier cells as claim lines write them: a description's words are no modifiers, commas and case are read
    assert (PT_FEE("97110", 1, None, None, "GP - Physical Therapy"), PT_FEE("97110", 1, None, None, "gp,cq,kx,59"),
            PT_FEE("97110", 1, None, None, "N/A")) == (29.06, 24.70, 29.06)
    # A code with its description, and grouped thousands, are still read
    assert (PT_FEE("97110 - Ther Ex", "2"), PT_FEE("G0283 E-stim (97014 for commercial)")) == (51.27, 12.69)
    assert PT_KX_CHECK("$2,300.00", "1,000").startswith("KX+REVIEW")


def test_fee_explain_shows_the_mppr_and_the_data_used() -> None:
    text = PT_FEE_EXPLAIN(["97161", "97110"], [1.0, 2.0], "national", 2026)
    assert "2026 July release (RVU26C)" in text and "2 × $22.21 (MPPR half PE)" in text


def test_kx_check_with_empty_cells_and_dates() -> None:
    assert PT_KX_CHECK(2300.0, None, datetime(2026, 5, 1), None).startswith("APPROACHING: $180.00 left")
    assert PT_KX_CHECK(None).startswith("OK: $2,480.00 left")


@pytest.mark.parametrize(("call", "message"), [
    (lambda: PT_UNITS("abc"), "minutes: 'abc' is not a number"),
    (lambda: PT_UNITS([10.0, "x"], ["97110", "97140"]), "minutes: 'x' is not a number (row 2 of the range)"),
    (lambda: PT_UNITS([10.0], [True]), "codes: True is not a procedure code"),
    (lambda: PT_UNITS(10.0, "97110", "fast"), "method: 'fast' is not CMS (the 8-minute rule) or AMA"),
    (lambda: PT_UNITS(38.0, "AMA"), "codes: 'AMA' is a unit method, not a code: the method comes after the codes"),
    (lambda: PT_EVAL_TIER("two", 3.0, "stable"), "comorbidities: 'two' is not a number"),
    (lambda: PT_FEE("97110", "two"), "units: 'two' is not a number"),
    (lambda: PT_FEE("97110", 1, "Springfield"), "locality: 'Springfield' is not a Medicare locality"),
    (lambda: PT_FEE("97110", 1, "national", "soon"), "date: 'soon' is not a date"),
    (lambda: PT_KX_CHECK("lots"), "ytd_allowed: 'lots' is not a number"),
    # Before: the first code priced alone (29.06, 97140 silently dropped), and `2,1` read as 21 units (473.26)
    (lambda: PT_FEE("97110, 97140"), "codes: '97110, 97140' holds 2 codes (97110, 97140); give each code its own"),
    (lambda: PT_FEE("97110", "2,1"), "units: '2,1' is not a number"),
    (lambda: PT_UNITS([30.0, 15.0], ["97110", "97140 97530"]), "codes: '97140 97530' holds 2 codes"),
    (lambda: PT_FEE("97110 x2"), "codes: '97110 x2' has a quantity after the code; give it as the units"),
    # An argument in the locality's place (PT_FEE's third) is named for what it is
    (lambda: PT_FEE("97110", 2, "GP CQ"), "locality: 'GP CQ' is modifiers, not a Medicare locality"),
    (lambda: PT_FEE("97110", 1, "2026-03-02"), "locality: '2026-03-02' is a date, not a Medicare locality"),
    # Before: a typo of CQ priced at the full rate (29.06), a locality in the modifiers' place ignored
    (lambda: PT_FEE("97110", 1, None, None, "CW"), "modifiers: 'CW' is not a modifier ptcalc knows"),
    (lambda: PT_FEE("97110", 1, "national", 2026, "13202-01"), "modifiers: '13202-01': 13202, 01 are not modifiers"),
    # A range says which of its rows holds the bad cell
    (lambda: PT_FEE(["97110", "97140"], [1.0, "x"]), "units: 'x' is not a number (row 2 of the range)"),
    (lambda: PT_FEE(["97110", "97140"], [1.0, 1.0], None, None, ["GP", "CW"]), "leave others out (row 2 of the range)"),
])
def test_bad_cells_raise_value_error_naming_argument_and_value(call, message) -> None:
    with pytest.raises(ValueError) as caught:
        call()
    assert message in str(caught.value)


def test_every_function_and_argument_is_described_for_the_wizard() -> None:
    assert set(UDFS) == {"PT_UNITS", "PT_UNITS_EXPLAIN", "PT_EVAL_TIER", "PT_FEE", "PT_FEE_EXPLAIN", "PT_KX_CHECK"}
    for name, function in UDFS.items():
        assert function.__name__ == name and function.__doc__
        params = list(inspect.signature(function).parameters)
        assert list(function.argument_docs) == params
        assert all(len(doc) > 10 for doc in function.argument_docs.values())


def test_counts_and_minutes_a_sheet_computed_are_the_numbers_it_shows() -> None:
    # `=Minutes/15` can store 2 as 1.9999999999999998, `=(End-Start)*1440` 8 minutes as 7.999999999999972
    assert PT_FEE("97110", 2 - 2 ** -52) == PT_FEE("97110", 2)
    assert PT_UNITS((8 / 24 + 8 / 1440 - 8 / 24) * 1440) == 1
    with pytest.raises(ValueError, match="not a whole number"):
        PT_FEE("97110", 1.5)


def test_functions_agree_with_the_engine() -> None:
    minutes, codes = [30.0, 20.0, 10.0], ["97162", "97110", "97140"]
    assert [r[0] for r in PT_UNITS(minutes, codes)] == ptcalc.allocate_units(minutes, codes).units
    assert PT_FEE(codes, [1, 1, 1]) == float(ptcalc.visit_fee(codes, [1, 1, 1]).total)


def test_a_visits_range_with_blank_rows_and_no_units_prices_the_codes_it_holds() -> None:
    """`=PT_FEE(A2:A6)` over a visit's column sized for more codes than it has: a blank row is no line (the default
    unit belongs to a code). Before, it was refused as "row 3 has units but no code". A blank row given units is
    still refused, and a range of blanks alone is no visit."""
    visit = PT_FEE([["97161"], ["97110"], ["97140"]], [[1.0], [2.0], [1.0]], "national", 2026.0)
    assert PT_FEE([["97161"], [None], ["97110"], ["97110"], ["97140"], [None]], None, "national", 2026.0) == visit
    assert PT_FEE(["97110", "", None]) == PT_FEE("97110") == 29.06
    with pytest.raises(ValueError, match="row 2 has units but no code"):
        PT_FEE(["97110", None], [1.0, 2.0])
    with pytest.raises(ValueError, match="no procedure code given"):
        PT_FEE([[None], [None]])


class JsNull:
    """What older xlwings Lite runtimes (Pyodide >= 0.28) pass for a blank argument."""


@pytest.mark.parametrize("blank", [None, "", "  ", JsNull()], ids=["None", "empty", "spaces", "JsNull"])
def test_a_blank_optional_argument_means_not_given(blank) -> None:
    assert PT_UNITS(38.0, blank, blank) == 3
    assert PT_FEE("97110", blank, blank, 2026.0, blank) == 29.06
    assert PT_FEE("97110", 1.0, "national", blank) == PT_FEE("97110")  # default year: the latest
    assert PT_KX_CHECK(2300.0, blank, 2026.0, blank).startswith("APPROACHING")
    assert PT_EVAL_TIER(2.0, 4.0, "evolving", blank) == "97162"
    assert PT_UNITS([10.0, JsNull(), 5.0]) == 1                       # a blank inside a range: 0 minutes


@pytest.mark.parametrize("error", ["#N/A", "#VALUE!", "#DIV/0!", "#REF!", {"type": "Error", "basicValue": "#N/A"}])
def test_an_excel_error_in_an_argument_is_refused_naming_it_never_read_as_blank(error) -> None:
    shown = error["basicValue"] if isinstance(error, dict) else error
    with pytest.raises(ValueError, match=f"locality: the cell holds the Excel error {re.escape(shown)}"):
        PT_FEE("97110", 1.0, error)
    with pytest.raises(ValueError, match="service_date: the cell holds the Excel error"):
        PT_KX_CHECK(100.0, 0.0, error)
    with pytest.raises(ValueError, match="minutes: the cell holds the Excel error"):
        PT_UNITS([10.0, error, 5.0])
    with pytest.raises(ValueError, match="method: the cell holds the Excel error"):
        PT_UNITS(38.0, None, error)
