"""PT_FEE's engine: RVU × GPCI × CF, therapy MPPR, CQ/CO at 85%, status B/I/N at zero."""
from __future__ import annotations

import itertools
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from ptcalc import PtcalcInputError, load_reference, visit_fee
from ptcalc.values import normalise_code, parse_count
from udfs import PT_FEE


def fee(codes, units=None, locality="national", day=2026, modifiers=None) -> float:
    return float(visit_fee(codes, units, locality, day, modifiers).total)


@pytest.mark.parametrize(("codes", "units", "locality", "day", "expected"), [
    (["97110"], [1], "national", 2026, 29.06),            # spec golden values, CF 33.4009
    (["97110"], [2], "national", 2026, 51.27),
    (["97161", "97110", "97140"], [1, 2, 1], "national", 2026, 163.49),
    (["97161", "97110", "97140"], [1, 2, 1], "national", 2025, 162.37),   # facts §3.3 worked example
    (["97530", "97110", "97140"], [1, 2, 1], "national", 2025, 98.97),    # facts §3.3 treatment-only visit
    (["97110"], [1], "13202-01", 2025, 32.26),             # facts §4.1 locality table (2025)
    (["97140"], [1], "13202-01", 2025, 30.44),
    (["97530"], [1], "10112-00", 2025, 31.85),
    (["97161"], [1], "09102-04", 2025, 101.22),
    (["97164"], [1], "12402-01", 2025, 75.79),
    (["97161"], [1], "01112-75", 2025, 102.50),
    (["97110"], [1], "13202-01", 2026, 32.43),             # 2026 GPCIs, work GPCI with the 1.0 floor
    (["97161"], [1], "10112-00", 2026, 91.96),
])
def test_allowed_amounts_match_cms_arithmetic(codes, units, locality, day, expected) -> None:
    assert fee(codes, units, locality, day) == pytest.approx(expected, abs=0.001)


def test_mppr_pays_the_highest_pe_unit_in_full_wherever_it_is_listed() -> None:
    visit = visit_fee(["97110", "97530"], [1, 1], "national", 2026)
    first, second = visit.lines
    assert (first.full_units, first.reduced_units) == (0, 1)
    assert (second.full_units, second.reduced_units) == (1, 0)
    assert visit.total == Decimal("57.28")  # 22.21 (97110, half PE) + 35.07 (97530 in full)


def test_a_second_unit_of_the_same_code_is_reduced() -> None:
    line = visit_fee(["97110"], [3], "national", 2026).lines[0]
    assert (line.full_units, line.reduced_units) == (1, 2)
    assert line.amount == Decimal("29.06") + 2 * Decimal("22.21")


def test_assistant_lines_are_paid_at_85_percent_after_the_mppr() -> None:
    assert fee(["97110"], [1], modifiers=["GP CQ"]) == 24.70           # 29.06 × 0.85
    visit = visit_fee(["97530", "97110"], [1, 2], "national", 2026, ["GP", "GP,CQ"])
    assert visit.lines[1].amount == Decimal("37.76")                     # 2 × 22.21 × 0.85 = 37.757


def test_the_assistant_rate_applies_from_its_effective_date(ref_copy) -> None:
    policy = ref_copy / "policy.yaml"
    policy.write_text(policy.read_text().replace("effective_from: 2022-01-01", "effective_from: 2026-06-01"))
    ref = load_reference(ref_copy)
    before = visit_fee(["97110"], [1], "national", "2026-05-31", "GP CQ", reference=ref)
    after = visit_fee(["97110"], [1], "national", "2026-06-01", "GP CQ", reference=ref)
    assert (before.total, after.total) == (Decimal("29.06"), Decimal("24.70"))


@pytest.mark.parametrize("code", ["97010", "97014", "G0282", "97169"])
def test_bundled_invalid_and_noncovered_codes_price_at_zero(code: str) -> None:
    assert fee([code], [1]) == 0.0


def test_zero_priced_codes_do_not_take_the_full_mppr_unit() -> None:
    assert fee(["97010", "97110"], [1, 1]) == 29.06


@pytest.mark.parametrize(("args", "message"), [
    ((["99999"], [1]), "'99999' is not in the 2026 fee schedule"),
    ((["97110"], [1], "00000-99"), "locality: '00000-99' is not a Medicare locality"),
    ((["97039"], [1]), "status C"),
    ((["97110"], [1.5]), "units: 1.5 is not a whole number"),
    ((["97110", "97140"], [1]), "must align"),
    ((["97110"], [1], "national", 2024), "no fee schedule for 2024"),
    ((["97110"], [1], "national", "next tuesday"), "date: 'next tuesday' is not a date"),
    (([None], [2]), "has units but no code"),
])
def test_bad_input_raises_a_value_error(args, message) -> None:
    with pytest.raises(PtcalcInputError) as caught:
        visit_fee(*args)
    assert message in str(caught.value)


def test_dates_arrive_as_datetime_iso_text_excel_serial_or_year() -> None:
    expected = fee(["97110"], [1], day=2026)
    for day in (datetime(2026, 3, 2), date(2026, 3, 2), "2026-03-02", "03/02/2026", 46083, 2026.0):
        assert fee(["97110"], [1], day=day) == expected


def test_a_year_beyond_the_data_uses_the_latest_tables_and_says_so() -> None:
    visit = visit_fee(["97110"], [1], "13202-01", "2027-02-01")
    assert visit.total == Decimal("32.43")
    assert any("2027 GPCIs not in the reference data; 2026 used" in f for f in visit.basis.fallbacks)
    assert "2026 used" in visit.explain()


PRICED = ["97110", "97112", "97140", "97530", "97161", "97164", "97010", "G0283", "97035", "97150"]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(PRICED), st.integers(0, 4)), min_size=1, max_size=5),
       st.data())
def test_fees_never_fall_when_a_unit_is_added(visit, data) -> None:
    codes, units = [c for c, _ in visit], [u for _, u in visit]
    before = visit_fee(codes, units, "national", 2026).total
    index = data.draw(st.integers(0, len(codes) - 1))
    units[index] += 1
    assert visit_fee(codes, units, "national", 2026).total >= before


FEE_CASES = yaml.safe_load((Path(__file__).parent / "fixtures" / "fees.yaml").read_text())["cases"]


@pytest.mark.parametrize("case", FEE_CASES, ids=lambda c: c["name"])
def test_fee_fixture_in_every_row_order(case: dict) -> None:
    rows = list(zip(case["codes"], case["units"], case.get("modifiers") or ["GP"] * len(case["codes"])))
    for order in itertools.permutations(rows):
        codes, units, modifiers = (list(column) for column in zip(*order))
        fee = visit_fee(codes, units, "national", date(2026, 3, 2), modifiers, track=case.get("track", "non_qp"))
        assert fee.total == Decimal(str(case["expect"])), (order, fee.explain())


def test_pt_fee_refuses_an_assistant_modifier_on_an_evaluation() -> None:
    with pytest.raises(ValueError, match="CQ on 97161, an evaluation code"):
        PT_FEE(["97161", "97110"], [1, 1], "national", 2026, ["GP CQ", "GP"])


@pytest.mark.parametrize("locality", ["13202-01", "13202-01 Manhattan", "13202-01 - MANHATTAN", "1320201",
                                      1320201.0, "Manhattan", " manhattan "])
def test_a_locality_is_read_as_people_write_it(locality: object) -> None:
    """The key as CMS's GPCI file writes it, with its name as a list shows it, glued from the file's two
    columns, or the locality's own name."""
    assert fee(["97110"], [1], locality, 2026) == 32.43


@pytest.mark.parametrize("locality", ["Springfield", "13202-07", "13202", "NY", "13202-011"])
def test_a_locality_no_gpci_file_has_is_refused_saying_how_to_write_one(locality: str) -> None:
    with pytest.raises(PtcalcInputError, match="is not a Medicare locality .*'13202-01'.*'Manhattan'"):
        fee(["97110"], [1], locality, 2026)


@pytest.mark.parametrize(("locality", "suggested"), [
    ("Los Angeles", ["'01182-18' (LOS ANGELES-LONG BEACH-ANAHEIM (LOS ANGELES/ORANGE CNTY))"]),
    ("boston", ["'14212-01' (METROPOLITAN BOSTON)"]),
    ("San Francisco", ["'01112-05' (SAN FRANCISCO-OAKLAND-BERKELEY (SAN FRANCISCO/SAN MATEO/ALAMEDA/CONTRA COSTA "
                       "CNTY))", "'01112-52' (SAN FRANCISCO-OAKLAND-BERKELEY (MARIN CNTY))"]),
    ("Springfield", []), ("Chicgo", []),
    ("Rest of", []),  # in more than a few names: nothing to suggest
])
def test_part_of_a_localitys_name_is_refused_suggesting_the_localities_it_names(locality: str,
                                                                              suggested: list[str]) -> None:
    """Never taken: a price at a locality the sheet did not name could be wrong ('California' is in REST OF
    CALIFORNIA, not a Los Angeles clinic's locality); only suggested, with its key."""
    with pytest.raises(PtcalcInputError) as refused:
        fee(["97110"], [1], locality, 2026)
    message = str(refused.value)
    assert message.startswith(f"locality: '{locality}' is not a Medicare locality")
    assert message.endswith(f"; did you mean {' or '.join(suggested)}?" if suggested else "'Manhattan')")


def test_a_name_two_localities_share_is_refused_naming_both(ref_copy: Path) -> None:
    from ptcalc.localities import locality_key

    gpci = ref_copy / "gpci_2026.yaml"
    gpci.write_text(gpci.read_text().replace("name: NYC SUBURBS/LONG ISLAND", "name: MANHATTAN"))
    ref = load_reference(ref_copy)
    with pytest.raises(PtcalcInputError, match=r"'Manhattan' names 2 localities \(13202-01, 13202-02\)"):
        locality_key(ref, "Manhattan")
    assert locality_key(ref, "13202-02 Manhattan") == "13202-02"  # the key decides


@pytest.mark.parametrize("code", ["97110 - Ther Ex", "Ther Ex (97110)", "CPT 97110", " 97110 "])
def test_a_code_with_its_description_is_priced_as_the_code(code: str) -> None:
    assert PT_FEE(code, 1) == 29.06


@pytest.mark.parametrize("code", ["97110GP", "97110 CQ", "97110-59"])
def test_modifiers_after_the_code_are_refused_not_dropped(code: str) -> None:
    """CQ changes the price: a modifier glued to the code would be lost silently."""
    with pytest.raises(PtcalcInputError, match="has modifiers after the code; give them as modifiers"):
        PT_FEE(code, 1)


def test_a_visit_priced_again_is_remembered_and_the_memory_stays_bounded(monkeypatch) -> None:
    from ptcalc import fees

    pricer = fees.pricer_for(load_reference(), date(2026, 3, 2), "national")
    first = pricer.price(["97110", "97140"], [2, 1], [("GP",), ("GP", "CQ")])
    assert pricer.price(["97110", "97140"], [2, 1], [("GP",), ("GP", "CQ")]) is first
    # Another shape is another price: the units, the order of the codes and CQ/CO are part of the shape
    assert pricer.price(["97110", "97140"], [1, 1], [("GP",), ("GP", "CQ")]).total < first.total
    assert pricer.price(["97110", "97140"], [2, 1], [("GP",), ("GP",)]).total > first.total
    monkeypatch.setattr(fees, "_MAX_REMEMBERED_VISITS", 5)
    for units in range(1, 20):
        assert pricer.price(["97110"], [units], [()]).lines[0].units == units
        assert len(pricer._visits) <= 5
    # The scrub keeps its own memo of a day's amounts: it prices anew, the same fee, and the pricer keeps nothing
    remembered = dict(pricer._visits)
    anew = pricer.price_anew(["97110", "97140"], [3, 1], [("GP",), ("GP", "CQ")])
    assert anew == pricer.price(["97110", "97140"], [3, 1], [("GP",), ("GP", "CQ")]) and anew.total > first.total
    pricer._visits.clear()
    pricer._visits.update(remembered)
    pricer.price_anew(["97110", "97140"], [4, 1], [("GP",), ("GP", "CQ")])
    assert pricer._visits == remembered


def _outcome(parse, *args):
    try:
        return parse(*args)
    except PtcalcInputError as exc:
        return ("refused", str(exc).split(":")[0])


@settings(max_examples=400, deadline=None)
@given(code=st.text(alphabet="0123456789GgKkxX.é٣ ", min_size=4, max_size=6))
def test_a_code_cell_reads_the_same_whatever_path_it_takes(code: str) -> None:
    """normalise_code returns a plain five-character code as it is (PT_FEE's common case): the same as the
    general path gives for the same cell with spaces around it."""
    assert _outcome(normalise_code, code, "codes") == _outcome(normalise_code, f" {code} ", "codes")


@settings(max_examples=400, deadline=None)
@given(units=st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-3, 40).map(float),
                       st.sampled_from([-0.0, 2.0000000000000004, 1.9999999999999998, 1e16, 0.5])))
def test_a_units_cell_reads_the_same_as_a_number_or_as_its_text(units: float) -> None:
    """parse_count takes a whole float as it is (a cell's units): the same as the general path gives for its
    text, refusals included."""
    assert _outcome(parse_count, units, "units") == _outcome(parse_count, repr(units), "units")


@pytest.mark.parametrize(("locality", "key", "elsewhere"), [
    ("Manhattan, NY", "13202-01", "Manhattan, NJ"), ("MANHATTAN NY", "13202-01", "MANHATTAN KS"),
    ("Miami, FL", "09102-04", "Miami, OK"), ("Metropolitan Boston, MA", "14212-01", "Metropolitan Boston, NH")])
def test_a_localitys_name_with_its_state_is_the_locality(locality: str, key: str, elsewhere: str) -> None:
    """`Manhattan, NY`, as an address writes it, was refused (only `Manhattan` was the locality's name). The
    state must be the locality's own: `Manhattan, NJ` is still refused."""
    assert fee(["97110"], [1], locality, 2026) == fee(["97110"], [1], key, 2026)
    with pytest.raises(PtcalcInputError, match="is not a Medicare locality"):
        fee(["97110"], [1], elsewhere, 2026)


def _cms_rvus(path: Path) -> dict[str, tuple[str, Decimal, Decimal, Decimal, str]]:
    """HCPCS (no modifier) -> status, work, non-facility PE and MP RVUs, MULT PROC, read from CMS's own file."""
    import csv

    rows = {}
    with path.open(encoding="latin-1", newline="") as handle:
        for row in csv.reader(handle):
            if len(row) > 18 and len(row[0]) == 5 and not row[1] and row[5][:1].isdigit():
                rows[row[0]] = (row[3], Decimal(row[5]), Decimal(row[6]), Decimal(row[10]), row[18])
    return rows


def _cms_gpcis(path: Path) -> dict[str, tuple[Decimal, Decimal, Decimal]]:
    """MAC-LL -> work GPCI with the 1.0 floor, PE GPCI, MP GPCI (2025's file has no unfloored column)."""
    import csv

    with path.open(encoding="latin-1", newline="") as handle:
        rows = list(csv.reader(handle))
    header = next(row for row in rows if row and row[0].startswith("Medicare Administrative Contractor"))
    work = next(i for i, name in enumerate(header) if "PW GPCI" in name and "with 1.0 Floor" in name)
    return {f"{row[0].strip()}-{row[2].strip()}": (Decimal(row[work]), Decimal(row[work + 1]), Decimal(row[work + 2]))
            for row in rows if row and row[0].strip().isdigit()}


CMS_FILES = Path(__file__).parents[1] / "data" / "cms"
CMS_YEARS = {2025: ("PPRRVU2025_Oct.pt-rows.csv", "GPCI2025.csv", Decimal("32.3465")),
             2026: ("PPRRVU2026_Jul_nonQPP.csv", "GPCI2026.csv", Decimal("33.4009"))}


@pytest.fixture(scope="module")
def cms_tables() -> dict[int, tuple[dict, dict, Decimal]]:
    return {year: (_cms_rvus(CMS_FILES / rvus), _cms_gpcis(CMS_FILES / gpcis), factor)
            for year, (rvus, gpcis, factor) in CMS_YEARS.items()}


def _cms_fees(visit: list[tuple[str, int]], rvus: dict, gpci: tuple, factor: Decimal) -> set[Decimal]:
    """The allowed amount as CMS's formula gives it (facts §3.2-3.3), from the raw files: each unit (W×GW + PE×GPE
    + MP×GMP) × CF rounded to cents; of the units of MULT PROC 5 codes (the therapy MPPR's), the one with the
    highest PE paid in full and every other with half its PE; other codes in full; status other than A/T pays
    nothing. Where two codes tie for the highest PE, CMS does not say which is paid in full (the cents may
    differ): the amounts of either."""
    gw, gpe, gmp = gpci
    units = []
    for code, count in visit:
        status, work, pe, mp, mult = rvus[code]
        if status in ("A", "T"):
            full = (work * gw + pe * gpe + mp * gmp) * factor
            reduced = (work * gw + pe * gpe / 2 + mp * gmp) * factor if mult == "5" else full
            units += [(pe * gpe if mult == "5" else None, full, reduced)] * count
    highest = max((pe for pe, _, _ in units if pe is not None), default=None)
    cents = Decimal("0.01")
    return {sum(((full if i == top else reduced).quantize(cents, rounding="ROUND_HALF_UP")
                 for i, (_, full, reduced) in enumerate(units)), Decimal("0.00"))
            for top in [i for i, (pe, _, _) in enumerate(units) if pe is not None and pe == highest] or [None]}


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_every_locality_and_visit_prices_as_cms_arithmetic_on_cms_own_files(cms_tables, data) -> None:
    """Independent of the importers and the reference YAML: random visits of the code set, at random localities of
    either year, priced from CMS's PPRRVU and GPCI files as they are, must equal visit_fee to the cent."""
    year = data.draw(st.sampled_from(sorted(cms_tables)))
    rvus, gpcis, factor = cms_tables[year]
    codes = sorted(code for code in load_reference().codes if code in rvus and rvus[code][0] not in ("C", "R"))
    locality = data.draw(st.sampled_from(sorted(gpcis)))
    visit = data.draw(st.lists(st.tuples(st.sampled_from(codes), st.integers(1, 4)), min_size=1, max_size=5,
                               unique_by=lambda item: item[0]))
    priced = visit_fee([code for code, _ in visit], [count for _, count in visit], locality, year).total
    assert priced in _cms_fees(visit, rvus, gpcis[locality], factor), (year, locality, visit)
