"""Which rows of an export are claim lines: totals, subtotals, visit totals, headings, the header printed
again on a new page, voided charges and reversals are kept in place but not judged; a line printed under its
visit's first line takes the visit's cells from it."""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from operator import itemgetter
from typing import TYPE_CHECKING, Any

from .cells import NOT_A_LINE, amount_of, code_of, filled, has_code, is_amount, is_date, is_rule, plain
from .header_names import header_key
from .header_words import header_words

if TYPE_CHECKING:
    from .layout import SheetLayout

# Per-line fields: never carried down from the line above (everything else of a visit may be).
_LINE_FIELDS = frozenset({"cpt", "units", "minutes", "modifiers", "pta_minutes", "charge", "claim_line"})


@dataclass
class VisitCarry:
    """What carries from one chunk of rows into the next: the last full line (a visit's lines may continue),
    the patient and the date of the last group headings (`Patient: A100 - DOE JANE`, `DOS: 03/02/2026`
    above their lines), and how many lines took a field from a heading."""

    above: list[Any] | None = None
    headings: dict[str, Any] = field(default_factory=dict)  # patient_id / dos -> the heading's value
    provider: str | None = None  # the last `Provider: Amy Jones, PTA` heading, on a sheet without a provider column
    from_headings: dict[str, int] = field(default_factory=dict)


# Group headings naming the patient or the date of service of the lines that follow.
_HEADING_LABELS = {
    "patient_id": re.compile(r"^\s*(?:patient|pt|client|account|acct|chart|mrn)\s*(?:name|#|no\.?|number|id)?\s*:"
                             r"\s*(?P<value>\S.*?)\s*$", re.I),
    "dos": re.compile(r"^\s*(?:date\s+of\s+service|service\s+date|visit\s+date|dos|date)\s*:\s*(?P<value>\S.*?)\s*$",
                      re.I),
}


def carry_visit_cells_down(layout: SheetLayout, data: list[list[Any]], carry: VisitCarry | None = None,
                           merged_over: Callable[[int, int], bool] | None = None
                           ) -> tuple[list[list[Any]], dict[int, str], VisitCarry]:
    """Reports that group a visit's lines print the patient, the date and the rest of the visit on its
    first line only. A line with a code but neither patient nor date takes the visit's blank cells from
    the line above (a note on it says so, DAT008, unless `merged_over(index, column)` says the sheet
    merges its patient and date cells with the line above: it shows them there); a row without a code
    in between breaks the visit. Reports grouped by patient or by date print it once, in a heading row
    above the group's lines (`Patient: A100 - DOE JANE`, `Date of Service: 03/02/2026`, or the cell alone
    in its column): a line with a code takes a blank patient or date from the heading (the sheet shows it
    there; the reading counts them), until a line names its own. Returns the rows (filled copies where
    carried; `data` itself is not changed), the notes by index, and what carries into the next chunk."""
    carry = carry or VisitCarry()
    at_of = {name: layout.columns[name] for name in ("patient_id", "dos")}
    patient_at, dos_at, code_at = at_of["patient_id"], at_of["dos"], layout.columns["cpt"]
    carried = [at for name, at in (*layout.columns.items(), *layout.extra.items()) if name not in _LINE_FIELDS] + \
        layout.patient_columns  # a patient named by several columns (last, first, birth date): all of them
    width = max(carried) + 1
    rows, notes, above, headings = data, {}, carry.above, carry.headings
    provider_at = layout.extra["provider_name"] if layout.provider_headings else None
    for i, row in enumerate(data):
        if provider_at is not None:  # a report grouped by provider: each line takes its group's provider
            coded = code_at < len(row) and has_code(row[code_at])
            if (provider := _labelled(row, _PROVIDER_HEADING)) is not None:
                carry.provider = provider
            elif not coded and any(isinstance(v, str) and NOT_A_LINE.search(v) for v in row):
                carry.provider = None  # the group's total: lines after it are not its provider's
            elif carry.provider is not None and coded:
                row = list(row) + [None] * max(provider_at + 1 - len(row), 0)
                row[provider_at] = carry.provider
                if rows is data:
                    rows = list(data)
                rows[i] = row
                carry.from_headings["provider"] = carry.from_headings.get("provider", 0) + 1
        size = len(row)
        patient = patient_at < size and filled(row[patient_at])
        dated = dos_at < size and filled(row[dos_at])
        if patient and dated:  # a full line (most rows): it ends any heading of a patient or date not its own
            if headings:
                _end_other_headings(headings, row, at_of)
            above = row
            continue
        coded = code_at < size and has_code(row[code_at])
        if not coded:
            heading = _heading(row, at_of)
            if heading is not None:
                headings[heading[0]] = heading[1]
        elif headings and (patient or dated):
            _end_other_headings(headings, row, at_of)
        missing = [name for name, has in (("patient_id", patient), ("dos", dated)) if not has]
        if coded and headings and all(name in headings for name in missing):  # a line under its headings
            if rows is data:
                rows = list(data)
            completed = list(row) + [None] * max(max(at_of.values()) + 1 - size, 0)
            for name in missing:
                completed[at_of[name]] = headings[name]
                carry.from_headings[name] = carry.from_headings.get(name, 0) + 1
            rows[i] = above = completed
        elif coded and above is not None and merged_over is not None and (patient or dated) and \
                all(merged_over(i, at_of[name]) for name in missing):
            # The patient (or the date) merged down over this line, which gives the other: the sheet shows the
            # merged value here (a patient's cell spanning two visits' lines), a new visit
            if rows is data:
                rows = list(data)
            completed = list(row) + [None] * max(max(at_of.values()) + 1 - size, 0)
            for name in missing:
                completed[at_of[name]] = above[at_of[name]]
            rows[i] = above = completed
        elif patient or dated or above is None or not coded:
            above = None  # a heading, a total, a blank row or a half-filled line between: the visit ends
        else:
            if rows is data:
                rows = list(data)
            completed = list(row) + [None] * (width - len(row))
            for at in carried:
                if not filled(completed[at]) and at < len(above):
                    completed[at] = above[at]
            rows[i] = completed
            if merged_over is None or not (merged_over(i, patient_at) and merged_over(i, dos_at)):
                notes[i] = "carried down: patient, date and the visit's other blank cells read from the line above"
    carry.above = above
    return rows, notes, carry


def _end_other_headings(headings: dict[str, Any], row: list[Any], at_of: dict[str, int]) -> None:
    """A line naming its own patient or date: no heading speaks for lines of that field any more."""
    for name, at in at_of.items():
        if name in headings and at < len(row) and filled(row[at]) and plain(row[at]) != headings[name]:
            del headings[name]


_PROVIDER_HEADING = re.compile(r"^\s*(?:rendering\s+)?(?:provider|therapist|clinician|practitioner)(?:\s+name)?\s*:"
                               r"\s*(?P<value>\S.*?)\s*$", re.I)


def _labelled(row: list[Any], label: re.Pattern[str]) -> str | None:
    """The value of a heading row whose one filled cell is `Label: value`."""
    present = [value for value in row if filled(value)]
    found = label.match(str(plain(present[0]))) if len(present) == 1 else None
    return found.group("value") if found else None


def names_a_patient(row: list[Any]) -> bool:
    """A heading row labelled with the patient (`Patient: Doe, Jane (Acct 1001)`), its one filled cell."""
    return _labelled(row, _HEADING_LABELS["patient_id"]) is not None


def names_a_provider(row: list[Any]) -> bool:
    """A heading row labelled with the rendering provider (`Provider: Amy Jones, PTA`, `Therapist: …`)."""
    return _labelled(row, _PROVIDER_HEADING) is not None


def _heading(row: list[Any], at_of: dict[str, int]) -> tuple[str, Any] | None:
    """The patient or date of service a heading row names: its one filled cell, labelled as one
    (`Patient: A100`, `DOS: 03/02/2026`) or alone in that field's column; another group's label
    (`Provider: Amy Jones`) or a total names neither."""
    present = [(at, value) for at, value in enumerate(row) if filled(value)]
    if len(present) != 1:
        return None
    at, value = present[0]
    text = str(plain(value)).strip()
    if NOT_A_LINE.search(text):  # `Total for A100`, `Subtotal`: not a heading
        return None
    for name, label in _HEADING_LABELS.items():
        labelled = label.match(text)
        if labelled and (name != "dos" or is_date(labelled.group("value"))):
            return name, labelled.group("value")
    for name, column in at_of.items():
        if at == column and not _LABELLED.match(text) and (name != "dos" or is_date(value)):
            return name, value if name == "dos" else text
    return None


def not_claim_lines(layout: SheetLayout, data: list[list[Any]], first_row: int) -> dict[int, str]:
    """Totals, subtotals, group headings and page footers: a row without a code, and without a patient
    or a date, whose text says so; a row of amounts alone (a subtotal); a row whose patient cell alone is
    filled, or whose one cell is a label (a heading such as `Provider: Amy Jones`); below a report's
    totals (`Grand Total`, `Active Totals`), every row without a date or code (`Accounts 12`, `Units 60`);
    the header printed again, or a rule line (`-----`) under it; a fee or payment in the code column
    (`NOSHOW`, `COPAY`); a visit's total; voided charges and reversals (below).
    Elsewhere a row with a note in it stays a line (DAT001 asks for its cells), and a row with nothing but
    blanks is counted apart. `first_row`: the sheet row of data[0], for the rows a reason names."""
    code_at = layout.columns["cpt"]
    dos_at, patient_at = layout.columns["dos"], layout.columns["patient_id"]
    found = {}
    is_code = {}
    footer = False
    voiding = [(at, _void_words(name, layout.headers[at]), _NOT_ON_THE_CLAIM[name][0])
               for name, at in layout.extra.items() if name in _NOT_ON_THE_CLAIM]
    entry_at = layout.extra.get("transaction_type")
    entries: dict[Any, bool] = {}  # a transaction type's cell -> it names a payment, an adjustment, a fee...
    headers = [[_folded(cell) for cell in row] for row in layout.header_cells]
    diagnoses = _diagnosis_columns(layout)
    grouping = frozenset(at for name, at in (*layout.columns.items(), *layout.extra.items()) if name in _GROUPED_BY)
    charge_of: dict[int, int] = {}  # a charge listed again for its next diagnosis -> the row judged
    for i, row in enumerate(data):
        void = next(((at, what) for at, words, what in voiding if at < len(row) and _folded(row[at]) in words),
                    None) if voiding else None
        if void is not None:  # a voided or deleted charge: the export keeps it, the claim does not
            at, what = void
            what = "no service" if _folded(row[at]) in _NO_SERVICE_STATUS else what
            found[i] = f"{what} ({layout.name(at)}: {str(plain(row[at])).strip()[:30]})"
            continue
        if entry_at is not None and entry_at < len(row) and filled(entry := row[entry_at]):
            if entry not in entries:
                entries[entry] = isinstance(entry, str) and _is_a_fee_or_payment(entry)
            if entries[entry]:  # a ledger's payment or adjustment, whatever its code and amount
                found[i] = f"not a charge ({layout.name(entry_at)}: {entry.strip()[:30]})"
                continue
        code = row[code_at] if code_at < len(row) else None
        if code not in is_code:
            is_code[code] = has_code(code)
        if is_code[code]:
            if diagnoses and i and (i - 1 not in found or i - 1 in charge_of) and \
                    _listed_again_for_a_diagnosis(row, data[i - 1], diagnoses):
                charge_of[i] = charge_of.get(i - 1, i - 1)
                found[i] = (f"the charge of row {first_row + charge_of[i]} listed again, for its next diagnosis; "
                            f"judged once, on row {first_row + charge_of[i]}")
            continue
        if any(_repeats(header, row) for header in headers):
            found[i] = "the header again (a new page of the report)"
            continue
        if _is_rule_line(row):
            found[i] = "a rule line (---- under the header or between groups)"
            continue
        if isinstance(code, str) and _is_a_fee_or_payment(code):
            found[i] = f"not a procedure: {code.strip()[:30]!r} (a fee, a payment or an adjustment)"
            continue
        if isinstance(code, str) and header_key(code) in _NO_CHARGE_MARKS:
            found[i] = f"not a procedure: {code.strip()[:30]!r} (a no-charge visit's mark)"
            continue
        dated, patient = (at < len(row) and filled(row[at]) for at in (dos_at, patient_at))
        said = next((value.strip()[:60] for value in row if isinstance(value, str) and NOT_A_LINE.search(value)),
                    None)
        if dated and patient:  # a claim line, whatever its notes say (e.g. "total knee"), unless the visit's total
            labelled = said is not None and any(isinstance(v, str) and _TOTAL_LABEL.match(v) for v in row)
            total = _visit_total(layout, data, i, labelled, is_code)
            if total is not None:
                found[i] = f"a visit's total: the sums of rows {first_row + total[0]}-{first_row + total[1]}"
            continue
        present = [value for value in row if filled(value)]
        if diagnoses and present and all(at in diagnoses for at, value in enumerate(row) if filled(value)):
            found[i] = "a diagnosis of the charge above, on a row of its own (its next diagnosis)"
            continue
        if said is not None:
            found[i] = said
            footer = footer or bool(_TOTALS_BLOCK.search(said))  # what follows without a date or code is its block
        elif not present or (dated and len(present) > 1):
            continue
        elif dated:  # the date alone: a report grouped by date heads its lines with it (or a patient's heading)
            text = str(plain(row[dos_at])).strip()
            found[i] = (f"a heading: the date {text[:20]!r} alone, no patient or code" if is_date(row[dos_at])
                        else f"a heading: {text[:40]!r} alone, no date or code")
            continue
        elif not patient and all(map(is_amount, present)):
            found[i] = "a subtotal: amounts only, no patient, date or code"
        elif len(present) == 1 and (patient or (isinstance(present[0], str) and _LABELLED.match(present[0]))):
            found[i] = f"a heading: {str(present[0]).strip()[:40]!r} alone, no date or code"
        elif grouping and all(at in grouping for at, value in enumerate(row) if filled(value)):
            found[i] = f"a heading: {str(present[0]).strip()[:40]!r} alone, no patient, date or code (a report " \
                       "grouped by it)"
        elif footer:
            found[i] = "below a totals row, no date or code (the report's totals block)"
    found.update(reversals(layout, data, first_row, skip=found))
    return found


_DIAGNOSIS_WORDS = frozenset({"dx", "diagnosis", "diagnoses", "diag", "icd", "icd10"})
# The fields a report groups its lines by, printing the group's name alone on a row above them (a provider's, a
# payer's): a row of those cells alone is the group's heading
_GROUPED_BY = frozenset({"provider_name", "provider_npi", "provider_type", "payer", "payer_type", "locality"})


def _diagnosis_columns(layout: SheetLayout) -> frozenset[int]:
    """The columns of a line's diagnoses (`Dx Code`, `ICD-10`, `Diagnosis 2`, `Dx Pointer`): a charge report may list
    a charge once per diagnosis, or its further diagnoses on rows of their own."""
    read = set(layout.columns.values()) | set(layout.extra.values())
    return frozenset(at for at, header in enumerate(layout.headers)
                     if at not in read and not _DIAGNOSIS_WORDS.isdisjoint(header_words(header)))


def _listed_again_for_a_diagnosis(row: list[Any], above: list[Any], diagnoses: frozenset[int]) -> bool:
    """The row above's charge again, every cell the same but a diagnosis: the charge listed for its next
    diagnosis (every cell the same is a duplicate, DAT003's)."""
    width = max(len(row), len(above))
    row, above = row + [None] * (width - len(row)), above + [None] * (width - len(above))
    differ = [at for at in range(width) if _folded(row[at]) != _folded(above[at])]
    return bool(differ) and all(at in diagnoses for at in differ)


# Charges a practice-management export lists beside the procedures, in its code column, that go on no claim.
_FEES_AND_PAYMENTS = ("noshow", "latecancel", "latecx", "cancellationfee", "copay", "coinsurance", "deductible",
                      "payment", "refund", "adjustment", "writeoff", "financecharge", "statementfee", "recordsfee",
                      "membership", "giftcard", "balanceforward", "discount", "credit")


# What an EMR writes in a visit's code when the visit is not charged: WebPT's NC001 and NORCM (its Documented Units
# report: a note with either is not billable), `No Charge`, `NC`
_NO_CHARGE_MARKS = frozenset({"nc001", "norcm", "nc", "nocharge", "nochg", "nocharges", "nochargevisit"})


def _is_a_fee_or_payment(text: str) -> bool:
    """`NOSHOW`, `No Show Fee`, `Late Cancel`, `COPAY`, `Pt Payment`, `Adjustment` (the cell holds no code)."""
    letters = "".join(ch for ch in text.lower() if ch.isalpha())
    return any(word in letters for word in _FEES_AND_PAYMENTS)


def _is_rule_line(row: list[Any]) -> bool:
    """Every filled cell a rule (`-----`): a printed report's line under its header or between groups."""
    present = [value for value in row if filled(value)]
    return bool(present) and all(isinstance(value, str) and is_rule(value) for value in present)


def _repeats(header: list[str], row: list[Any]) -> bool:
    """The row is the header printed again: two or more cells, each the header's cell in its column."""
    cells = 0
    for at, value in enumerate(row):
        if filled(value):
            if at >= len(header) or header[at] != _folded(value):
                return False  # most rows differ at their first filled cell: the others are not read
            cells += 1
    return cells >= 2


def _visit_total(layout: SheetLayout, data: list[list[Any]], i: int, says_total: bool,
                 is_code: dict[Any, bool]) -> tuple[int, int] | None:
    """A report's visit total: a row with the patient and date, a blank code cell (or a total's label), after
    the visit's lines, whose units, minutes and charge (those filled) are the sums of those lines — at least
    two, or one under a total's label. (first, last) index of the lines it adds up, else None (a line)."""
    key_at = [layout.columns[name] for name in ("patient_id", "dos")]
    code_at = layout.columns["cpt"]
    if not says_total and code_at < len(data[i]) and filled(data[i][code_at]):
        return None  # `9711`: a line whose code is mistyped, not a total
    key = [_folded(data[i][at]) for at in key_at]
    lines = []
    for j in range(i - 1, -1, -1):
        row = data[j]
        code = row[code_at] if code_at < len(row) else None
        if not is_code.setdefault(code, has_code(code)) or [
                _folded(row[at]) if at < len(row) else "" for at in key_at] != key:
            break
        lines.append(j)
    if not lines or (len(lines) < 2 and not says_total):
        return None
    summed = 0
    for name in ("units", "minutes", "charge"):
        at = layout.columns.get(name)
        if at is None or at >= len(data[i]) or not filled(data[i][at]):
            continue
        total = _amount_of(data[i], at)
        parts = [_amount_of(data[j], at) if at < len(data[j]) and filled(data[j][at]) else 0.0 for j in lines]
        if total is None or any(p is None for p in parts) or abs(total - sum(parts)) > 0.005:
            return None
        summed += name != "minutes"
    return (lines[-1], lines[0]) if summed else None


def reversals(layout: SheetLayout, data: list[list[Any]], first_row: int, skip: dict[int, str]) -> dict[int, str]:
    """A charge entered and then reversed: the export lists the charge, then a line of negative units or
    charge for the same patient, date and code (often followed by the corrected charge). Neither goes on
    a claim: both are kept in place as not claim lines, each naming the other; a reversal whose charge
    is not in the sheet (or in an earlier reading chunk) is still no claim line. The charge a reversal
    takes back is the nearest one above it with the same patient, date, code and units, else the nearest
    with the same patient, date and code (a charge names a code: a reversal without one takes back nothing);
    a negative amount without units takes back only a charge of that amount (a ledger's partial write-off
    beside a charge leaves the charge on the claim)."""
    cells = [layout.columns.get(name) for name in ("units", "charge")]
    negative = {at: values for at in cells if at is not None
                if (values := {v for v in _distinct(data, at) if _is_negative(v)})}
    if not negative:
        return {}
    taking_back = [i for i, row in enumerate(data) if i not in skip and any(
        at < len(row) and row[at] in values for at, values in negative.items())]
    if not taking_back:
        return {}
    units_at = layout.columns.get("units")
    reversing = set(taking_back)
    wanted = {_visit_code(layout, data[i]) for i in taking_back}
    above: dict[tuple, list[int]] = {}  # patient, date and code -> the charges' rows, in order
    for j, row in enumerate(data):  # a charge names its code: a blank row is none (a code-less reversal matched it)
        if j not in skip and j not in reversing and (key := _visit_code(layout, row)) in wanted and key[2]:
            above.setdefault(key, []).append(j)
    found: dict[int, str] = {}
    charge_at = layout.columns.get("charge")
    for i in taking_back:
        charges = [j for j in reversed(above.get(_visit_code(layout, data[i]), [])) if j < i and j not in found]
        units = _amount_of(data[i], units_at)
        if units is None:  # an amount alone takes back the charge of that amount: another (a write-off) is none
            amount = _amount_of(data[i], charge_at)
            original = next((j for j in charges if amount is not None and _amount_of(data[j], charge_at) == -amount),
                            None)
            if original is None:
                found[i] = "a negative amount without units (an adjustment or a write-off), not a charge"
                continue
        else:
            same = [j for j in charges if _amount_of(data[j], units_at) == -units]
            original = (same or charges or [None])[0]
        if original is None:
            found[i] = "a reversal (negative units or charge); the charge it takes back is not above it"
        else:
            found[i] = f"a reversal (negative units or charge) of row {first_row + original}"
            found[original] = f"reversed by row {first_row + i}"
    return found


def _distinct(data: list[list[Any]], at: int) -> set[Any]:
    """One column's distinct cells (None where a short row does not reach it)."""
    try:
        return set(map(itemgetter(at), data))  # calamine's rows all reach it
    except IndexError:
        return {row[at] if at < len(row) else None for row in data}


def _visit_code(layout: SheetLayout, row: list[Any]) -> tuple[str, ...]:
    """Patient, date and code as written (`97110 - Ther Ex` is 97110)."""
    return tuple(_folded(code_of(row[at])[0] if name == "cpt" else row[at]) if at < len(row) else ""
                 for name, at in ((name, layout.columns[name]) for name in ("patient_id", "dos", "cpt")))


def _amount_of(row: list[Any], at: int | None) -> float | None:
    """The number a units, minutes or charge cell holds (`$1,165.00`, `(55.00)` is -55), else None."""
    return None if at is None or at >= len(row) else amount_of(row[at])


def _is_negative(value: object) -> bool:
    """-1, `-55.00`, `($55.00)`, `55.00-`: a number below zero as exports write one."""
    if not is_amount(value):
        return False
    if isinstance(value, (int, float)):
        return value < 0
    text = str(value).strip()
    return (text.startswith("(") or "-" in text) and any(ch in "123456789" for ch in text)


# An appointment's status for a visit that did not happen (an export of appointments with their codes: Rethink's
# billing export, a scheduler's): its no-show or late-cancel fee is the patient's, no therapy claim line
_NO_SERVICE_STATUS = frozenset({"no show", "no-show", "noshow", "no showed", "late cancel", "late cancellation",
                                "late cancelled", "late canceled", "late cx"})
_VOID_STATUS = frozenset({"void", "voided", "deleted", "reversed", "reversal", "cancelled", "canceled", "removed"}) | \
    _NO_SERVICE_STATUS
_VOID_FLAG = frozenset({"y", "yes", "true", "1", "x", "void", "voided", "deleted"})
_REMOVED_BY_EXPORT_FLAG = frozenset({"3"})  # WebPT's standard extract: 1 = New, 2 = Modified, 3 = Removed
_NOT_BILLABLE = frozenset({"n", "no", "false", "0"})
# The columns that may say a charge is not on the claim: what the reading calls such a charge, and the values that
# say so (a status column's: _void_words)
_NOT_ON_THE_CLAIM: dict[str, tuple[str, frozenset[str] | None]] = {
    "charge_status": ("voided", None), "void_flag": ("voided", _VOID_FLAG),
    "export_flag": ("removed", _REMOVED_BY_EXPORT_FLAG), "billable": ("not billed to insurance", _NOT_BILLABLE),
    "do_not_bill": ("not billed", _VOID_FLAG)}


def _void_words(name: str, header: object) -> frozenset[str]:
    """The values that take a charge off the claim in this column. `Inactive` only under an `Active status` header:
    a bare `Status` may be the patient's (an inactive, discharged patient's charges still go out)."""
    words = _NOT_ON_THE_CLAIM[name][1]
    if words is not None:
        return words
    return _VOID_STATUS | {"inactive"} if "active" in str(header).lower().split() else _VOID_STATUS


def _folded(value: object) -> str:
    return str(plain(value)).strip().lower() if filled(value) else ""


# A group heading in any column: `Therapist: Amy Jones`, `Location: Main St`.
_LABELLED = re.compile(r"^\s*[A-Za-z][A-Za-z .#&/-]{0,30}:\s*\S")
# A cell that is a total's label (`Visit Total`, `Total:`, `Subtotal for 03/02/2026`), not a note (`Total knee`).
_TOTAL_LABEL = re.compile(r"^\s*(?:(?:visit|day|daily|patient|encounter|claim|dos|date)\s+)?(?:sub-?\s*)?totals?"
                          r"\s*(?::.*|(?:for|of)\b.*)?$", re.I)
_TOTALS_BLOCK = re.compile(r"\b(?:grand\s+totals?|report\s+totals?|totals)\b", re.I)  # not a patient's subtotal
