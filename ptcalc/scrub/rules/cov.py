"""COV: coverage — codes a payer replaces, bundles or does not cover."""
from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal

from ..columns import INSTITUTIONAL, PROFESSIONAL_CLAIM
from ..context import ScrubContext
from ..findings import Finding
from ..lines import ChargeLine
from .base import Rule

STATUS_WORDS = {"I": "not valid for Medicare (another code is used)", "N": "not covered", "B": "bundled",
                "P": "bundled or excluded", "E": "excluded by regulation", "X": "a statutory exclusion"}


class CodeReplacedForPayer(Rule):
    id = "COV001"
    name = "code-replaced-for-payer"
    severity = "error"
    condition = "A code the payer does not accept and replaces (Medicare: 97014 -> G0283)"
    fix = "Bill the replacement"
    source = "PFS status I for 97014; payer profile code_replacements (reference/payers.yaml)"

    def check(self, ctx: ScrubContext) -> Iterator[Finding]:
        replaced = {code for profile in ctx.ref.payers for code in profile.code_replacements}
        for line in self.lines(ctx, code=lambda code: code in replaced):
            replacement = ctx.profile(line).code_replacements.get(line.cpt)
            if replacement:
                code, _ = replacement
                yield self.finding(ctx, line, f"{ctx.profile(line).label} does not accept {line.cpt}; it pays "
                                   f"{code} for this service", amount=ctx.price_alone(line, code),
                                   fix=f"Bill {code} instead of {line.cpt}")


def _lines_with_status(rule: Rule, ctx: ScrubContext, statuses_of: str) -> Iterator[tuple]:
    """(line, fee schedule row) where the line's PFS status is in its payer profile's `statuses_of` set."""
    for line in rule.lines(ctx, code=ctx.unpaid_somewhere):
        row = ctx.fee_row(line)
        if row is not None and row.status in getattr(ctx.profile(line), statuses_of):
            yield line, row


class BundledCode(Rule):
    id = "COV002"
    name = "bundled-code"
    severity = "warning"
    condition = "A status-B code (e.g. 97010) billed to Medicare: never paid separately"
    fix = "Remove it or expect $0"
    source = "CMS PFS status indicator B (RVU file definitions)"

    def check(self, ctx: ScrubContext) -> Iterator[Finding]:
        for line, row in _lines_with_status(self, ctx, "bundled_statuses"):
            yield self.finding(ctx, line, f"{line.cpt} has PFS status {row.status} ({STATUS_WORDS[row.status]}): "
                               f"{ctx.profile(line).label} never pays it separately")


class NoncoveredCode(Rule):
    id = "COV003"
    name = "noncovered-code"
    severity = "error"
    condition = ("A status I/N code for the payer (e.g. 97169-97172, G0282), or a code its payer profile does not cover "
                 "from a therapist (Traditional Medicare: dry needling 20560-20561). Status bypassed when GY, GA or GZ "
                 "bills the line expecting the denial")
    fix = "Do not bill it to this payer (or, when the patient asks for a claim, bill it with GY for the denial)"
    source = ("CMS PFS status indicators I and N (RVU file definitions); payer profile noncovered_codes "
              "(reference/payers.yaml: NCD 30.3.3 for dry needling)")

    def check(self, ctx: ScrubContext) -> Iterator[Finding]:
        for line, row in _lines_with_status(self, ctx, "noncovered_statuses"):
            profile = ctx.profile(line)
            if line.cpt not in profile.code_replacements:
                yield self._finding(ctx, line, f"{line.cpt} has PFS status {row.status} "
                                    f"({STATUS_WORDS.get(row.status, 'not payable')}) for {profile.label}")
        listed = {code for profile in ctx.ref.payers for code in profile.noncovered_codes}
        for line in self.lines(ctx, code=lambda code: code in listed):
            profile = ctx.profile(line)
            if line.cpt in profile.noncovered_codes:
                why, source = profile.noncovered_codes[line.cpt]
                yield self._finding(ctx, line, f"{line.cpt} is not covered by {profile.label}: {why}", source,
                                    amount=ctx.allowed(line))  # priced by the fee schedule, never paid

    def _finding(self, ctx: ScrubContext, line: ChargeLine, message: str, source: str | None = None,
                 amount: Decimal | None = None) -> Finding:
        """Billed with GY, GA or GZ, the denial is what the line asks for (a claim the patient wants sent)."""
        found = self.finding(ctx, line, message, amount=amount)
        if source:
            found.source = source
        expected_denial = ctx.expected_denial(line)
        if expected_denial is not None and found.status == "fail":
            meaning = ctx.ref.modifiers[expected_denial].meaning
            found.status, found.amount_at_risk = "bypassed", None
            found.message = f"{message}; {expected_denial} ({meaning}) bills it expecting the denial"
        return found


class ChargeBelowAllowed(Rule):
    id = "COV004"
    name = "charge-below-allowed"
    severity = "info"
    condition = ("Medicare and plans that follow CMS: a line of one unit billed below its fee-schedule allowed "
                 "amount at its locality (MPPR and CQ/CO applied), which is paid instead. Not judged: lines priced "
                 "at national rates (no locality), and lines of several units (an export's fee may be per unit or "
                 "the line's total)")
    fix = "Raise the clinic's fee for the code to at least the allowed amount"
    source = ("SSA §1848(a)(1) (payment is 80 percent of the lesser of the actual charge or the fee schedule "
              "amount); reference fee schedule and GPCIs")
    needs = ("patient_id", "dos", "cpt", "units", "charge", "locality")
    applies = staticmethod(lambda profile: profile.follows_cms)

    def check(self, ctx: ScrubContext) -> Iterator[Finding]:
        if "charge" not in ctx.columns:
            return
        exact: dict[float, Decimal] = {}  # a fee as written (a clinic's fees recur: each converted once)
        for line in self.lines(ctx):
            if line.charge is None or line.locality == "national" or line.units != 1:
                continue  # national rates are nobody's: a clinic's fee is compared with its own locality's
            allowed = ctx.allowed(line)
            if allowed is None:
                continue
            # The fee as written, not the binary float it was read as: 28.27 reads as 28.269999..., below $28.27
            written = exact.get(line.charge)
            if written is None:
                written = exact[line.charge] = Decimal(str(line.charge))
            if not written < allowed:
                continue
            charge = written.quantize(Decimal("0.01"))
            yield self.finding(ctx, line, f"{line.cpt}: billed ${charge:,.2f}, below the ${allowed:,.2f} allowed "
                               f"for it at {line.locality}; the lesser of the two is paid", field="charge",
                               amount=allowed - charge)


# CMS Place of Service 31: "a facility which primarily provides inpatient skilled nursing care ... to patients who are
# in a Part A stay". Not 32 (a nursing facility): a resident there may be in a part that is not Medicare-certified,
# where a practice bills its own therapy.
SNF_PART_A_STAY = "31"
# A payer named as Part A alone (`Medicare Part A`, `MCR A`): the SNF's own record of the stay, which Part A pays per
# diem, not a practice's claim to Part B
_PART_A_ONLY = re.compile(r"\b(?:part|medicare|mcr)\s*a\b(?!.*\bb\b)", re.I)


class SnfConsolidatedBilling(Rule):
    id = "COV005"
    name = "snf-consolidated-billing"
    severity = "error"
    condition = ("Traditional Medicare: a therapy line at place of service 31 (a skilled nursing facility, the patient "
                 "in a covered Part A stay) on the practice's own claim: therapy there is in the SNF's payment, and "
                 "only the SNF bills it (consolidated billing). Not judged on a sheet of revenue codes (an "
                 "institutional claim: the SNF's own), on a line whose payer is Part A alone (the SNF's record of "
                 "the stay), nor at POS 32 (a nursing facility, which may not be Medicare-certified)")
    fix = ("Bill the SNF under your arrangement with it (it bills Medicare for the therapy); take the line off the "
           "Medicare claim")
    source = ("SSA §1862(a)(18), §1888(e)(2)(A); CMS Pub. 100-04 ch.6 §10.1-10.3 (SNF consolidated billing); CMS "
              "Recovery Audit topic 0138, SNF consolidated billing for therapies; CMS Place of Service code set (31)")
    needs = ("patient_id", "dos", "cpt", "pos")
    applies = staticmethod(lambda profile: profile.facility_bills_therapy)

    def check(self, ctx: ScrubContext) -> Iterator[Finding]:
        if INSTITUTIONAL in ctx.columns:
            return
        for line in self.lines(ctx, pos=lambda pos: pos == SNF_PART_A_STAY):
            if line.payer and _PART_A_ONLY.search(line.payer):
                continue
            yield self.finding(ctx, line, "place of service 31: the patient is in a skilled nursing facility's "
                               "Part A stay, whose payment covers therapy; Medicare pays the SNF for it (consolidated "
                               "billing), not a practice's claim", field="pos", amount=ctx.allowed(line))


# CMS Place of Service codes of a hospital's patients: an off-campus outpatient department (19), an inpatient (21), an
# on-campus outpatient department (22), the emergency room (23)
HOSPITAL_PATIENTS = {"19": "an outpatient of an off-campus hospital department", "21": "a hospital inpatient",
                     "22": "an outpatient of an on-campus hospital department", "23": "in a hospital's emergency room"}
NOT_FOR_A_THERAPIST_IN_A_HOSPITAL = "7"  # the PFS PC/TC indicator of the therapy codes


class TherapistBilledHospitalPatient(Rule):
    id = "COV006"
    name = "therapist-billed-hospital-patient"
    severity = "error"
    condition = ("Traditional Medicare, on an 837P (the practice's own professional claim as sent): a PT or OT line "
                 "of a code with PFS PC/TC indicator 7 at place of service 19, 21, 22 or 23 (a hospital's outpatient, "
                 "inpatient or emergency patient), for which Medicare pays no independently practicing therapist: "
                 "the hospital bills it. Not judged on a charge sheet, which may be a hospital's own export without "
                 "its revenue codes")
    fix = "Bill the hospital under your arrangement with it (it bills Medicare on its institutional claim)"
    source = ("CMS PFS Relative Value File, PC/TC indicator 7: 'payment may not be made if the service is provided to "
              "either a patient in a hospital outpatient department or to an inpatient of the hospital by an "
              "independently practicing physical or occupational therapist' (RVU file documentation); CMS Place of "
              "Service code set (19, 21, 22, 23)")
    needs = ("patient_id", "dos", "cpt", "pos")
    applies = staticmethod(lambda profile: profile.facility_bills_therapy)

    def check(self, ctx: ScrubContext) -> Iterator[Finding]:
        if PROFESSIONAL_CLAIM not in ctx.columns:
            return
        for line in self.lines(ctx, pos=HOSPITAL_PATIENTS.__contains__):
            row = ctx.fee_row(line)
            if row is None or row.pctc != NOT_FOR_A_THERAPIST_IN_A_HOSPITAL or line.discipline not in ("PT", "OT"):
                continue
            yield self.finding(ctx, line, f"place of service {line.pos}: the patient is {HOSPITAL_PATIENTS[line.pos]}; "
                               f"Medicare pays no independently practicing {line.discipline} for {line.cpt} there "
                               "(PC/TC indicator 7): the hospital bills it", field="pos", amount=ctx.allowed(line))
