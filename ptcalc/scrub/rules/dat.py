"""DAT: the data itself — empty, unreadable, duplicated, future-dated and unknown."""
from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator

from ...refdata import Reference
from ..columns import CLAIMS_AS_SENT
from ..context import KX_BUCKETS, ScrubContext
from ..findings import Finding
from ..lines import ChargeLine
from .base import Rule

CONTRACT = "ptcalc charge-sheet contract (product spec §3, §7)"
_NOTED_FIELDS = {"payer type": "payer", "units": "units"}  # a DAT008 note `payer type: ...` is about that cell
_JUDGING_NOTES = frozenset({"payer type", "provider type"})  # the notes of whom a line was judged for
_LOOKALIKES = str.maketrans({"O": "0", "I": "1", "L": "1", "S": "5", "B": "8"})
# HCPCS Level II codes for supplies (A), durable medical equipment (E, K) and orthotics and prosthetics (L):
# DMEPOS, which the physician fee schedule does not price (a hand therapist's custom splint, a TENS unit)
_DMEPOS_CODE = re.compile(r"[AEKL]\d{4}")


def _lookalike(code: str, ref: Reference) -> str | None:
    """The known code `code` is a typo of (`97O10` -> 97010), if any."""
    guess = code.translate(_LOOKALIKES)
    return guess if guess != code and guess in ref.codes else None


def other_profession_code(code: str | None, ref: Reference) -> bool:
    """A code CMS's fee schedule lists outside the PT code set, the quality data codes and DMEPOS: another
    profession's service on a multidisciplinary clinic's sheet (an E/M visit 99213, a chiropractic manipulation
    98940), which ptcalc does not judge."""
    return code in ref.other_codes and code not in ref.codes and not _DMEPOS_CODE.fullmatch(code)


def self_pay_own_code(line: ChargeLine, ref: Reference) -> bool:
    """A self-pay line's code that ptcalc does not know and that is no typo of one it knows: a clinic's own code for
    its self-pay rate or a supply (WebPT Billing's custom codes, used "to charge a lower rate for Self Pay patients").
    No claim goes to a payer: the line is counted in the reading, not judged."""
    return line.payer_type == "self_pay" and line.cpt is not None and line.cpt not in ref.codes and \
        line.cpt not in ref.quality_codes and line.cpt not in ref.other_codes and _lookalike(line.cpt, ref) is None


class MissingRequiredValue(Rule):
    id = "DAT001"
    name = "missing-required-value"
    severity = "error"
    condition = "A required cell (patient_id, dos, cpt, units) is empty"
    fix = "Fill it in"
    source = CONTRACT
    overridable = False
    needs = ()

    def check(self, ctx: ScrubContext) -> Iterator[Finding]:
        for line in ctx.lines:
            for problem in line.problems:  # mostly empty: the common case costs one check
                if problem.kind != "missing":
                    continue
                message, fix = f"{problem.field} is empty; the line cannot be billed", None
                if problem.field == "units" and (supported := self._units_supported(ctx, line)):
                    message, fix = f"{message}: {supported}", "Bill the expected units (shown)"
                yield self.finding(ctx, line, message, field=problem.field, fix=fix)

    @staticmethod
    def _units_supported(ctx: ScrubContext, line: ChargeLine) -> str | None:
        """The units a line without any should carry, in words: what its minutes support under the payer's
        8-minute rule (a minutes log lists minutes, the claim needs units), or an untimed code's one."""
        expected = ctx.expected_units_by_row().get(line.row)
        if expected is None:
            return None
        if line.cpt not in ctx.ref.timed_codes:
            return f"{line.cpt} is untimed, billed as 1 unit"
        method = ctx.unit_method_of(line)
        return (f"the minutes support {expected} unit{'s' if expected != 1 else ''} of {line.cpt} under the "
                f"{method} 8-minute rule" + (" (bill it with 0 units, or leave it off)" if expected == 0 else ""))


class UnreadableValue(Rule):
    id = "DAT002"
    name = "unparseable-value"
    severity = "error"
    condition = ("A value cannot be read: text in minutes or units, a bad date, an Excel error value, "
                 "negative or absurd minutes (> 480 on one line), units that are not whole or absurd (> 32); on an "
                 "837 (claims as sent, where no line is left unbilled as a sheet's 0 units are) a service line of 0 "
                 "units")
    fix = "Correct the cell"
    source = CONTRACT + "; a claim's units of service (837P SV104, 837I SV205): RARC M53 (missing/incomplete/invalid " \
        "days or units of service)"
    overridable = False
    needs = ()

    def check(self, ctx: ScrubContext) -> Iterator[Finding]:
        claims = CLAIMS_AS_SENT in ctx.columns
        for line in ctx.lines:
            for problem in line.problems:
                if problem.kind == "unreadable":
                    yield self.finding(ctx, line, problem.message, field=problem.field)
            if claims and line.units == 0:
                yield self.finding(ctx, line, f"units: {line.cpt} is billed on the claim with 0 units; a payer "
                                   "rejects a service line of no units (RARC M53)", field="units",
                                   fix="Bill the units furnished, or take the line off the claim")


class DuplicateLine(Rule):
    id = "DAT003"
    name = "duplicate-line"
    severity = "warning"
    condition = "Two lines are identical in patient, dos, cpt, modifiers, units and minutes"
    fix = ("Remove the duplicate; if both were furnished (two sessions, or two clinicians, that day), bill one line "
           "with the day's units: the 8-minute rule counts a code's minutes for the day, and a payer denies the "
           "second line as a duplicate")
    source = CONTRACT
    needs = ("patient_id", "dos", "cpt", "units", "minutes", "modifiers")

    def check(self, ctx: ScrubContext) -> Iterator[Finding]:
        # Identical lines share patient, date and code: only codes repeated on a day can be duplicates.
        candidates = sorted((line for group in ctx.repeated_codes for line in group), key=lambda l: l.row)
        seen: dict[tuple, int] = {}
        for line in candidates:
            if not line.bad.isdisjoint(self.needs) or line.units == 0:  # two lines billing nothing bill nothing twice
                continue
            key = (line.patient_id, line.dos, line.cpt, tuple(sorted(line.modifiers)), line.units, line.minutes)
            if key in seen:
                yield self.finding(ctx, line, f"same patient, date, code, modifiers, units and minutes as row "
                                   f"{seen[key]}", amount=ctx.allowed(line))
            else:
                seen[key] = line.row


class FutureDate(Rule):
    id = "DAT004"
    name = "future-date"
    severity = "error"
    condition = "The date of service is after the as-of date"
    fix = "Correct the date"
    source = CONTRACT
    overridable = False
    needs = ("dos",)

    def check(self, ctx: ScrubContext) -> Iterator[Finding]:
        for line in ctx.lines:
            if line.dos is not None and line.dos > ctx.as_of:
                yield self.finding(ctx, line, f"dos {line.dos.isoformat()} is after {ctx.as_of.isoformat()} "
                                   "(the as-of date)", field="dos")


class UnknownCode(Rule):
    id = "DAT005"
    name = "unknown-code"
    severity = "info"
    condition = ("The code is not in the reference tables; nothing else can be judged on the line (status no_data). "
                 "A supply, equipment, orthotic or prosthetic code (HCPCS A, E, K, L: DMEPOS) is said to be one. "
                 "Not a quality data code CMS lists with status M (MIPS measures, reported at $0), nor another "
                 "profession's code CMS's fee schedule lists (an E/M visit 99213, a chiropractic manipulation 98940 "
                 "on a multidisciplinary clinic's sheet), nor a self-pay line's code of the clinic's own (no typo of a "
                 "known code): those lines are counted in the reading, not judged")
    fix = ("Check the code against the treatment note (a typo?); a valid code ptcalc does not know yet must be "
           "added to its code table by whoever maintains ptcalc")
    source = ("reference/codes.yaml; HCPCS Level II A, E, K and L codes (supplies, equipment, orthotics, prosthetics): "
              "DMEPOS, billed to Medicare's DME MACs (CMS DMEPOS jurisdiction list); the codes of CMS's PFS relative "
              "value file (reference/fee_schedule_*.yaml other_codes)")
    overridable = False
    needs = ("cpt",)

    def check(self, ctx: ScrubContext) -> Iterator[Finding]:
        quality = ctx.ref.quality_codes
        for line in ctx.lines:
            if line.cpt is None or line.cpt in ctx.ref.codes or line.cpt in quality:
                continue
            if self_pay_own_code(line, ctx.ref) or other_profession_code(line.cpt, ctx.ref):
                continue  # counted in the reading, not judged
            if _DMEPOS_CODE.fullmatch(line.cpt):
                yield self.finding(ctx, line, f"{line.cpt} is a supply, equipment, orthotic or prosthetic code "
                                   "(DMEPOS), which the physician fee schedule does not price: not judged",
                                   status="no_data",
                                   fix="Check the line goes to the payer that pays it: for Medicare, most DMEPOS "
                                       "is billed to the DME MAC under the clinic's DMEPOS supplier number, not on "
                                       "the therapy claim to the A/B MAC (CMS's DMEPOS jurisdiction list says which)")
                continue
            guess = _lookalike(line.cpt, ctx.ref)
            hint = f" (did you mean {guess}?)" if guess else ""
            yield self.finding(ctx, line, f"{line.cpt} is not in the reference code table; nothing else is "
                               f"judged on this line{hint}", status="no_data")


class ConflictingYtdPrior(Rule):
    id = "DAT006"
    name = "conflicting-ytd-prior"
    severity = "warning"
    condition = ("Two different ytd_prior values for one patient, calendar year and KX bucket (the KX total starts "
                 "from the first, in date order)")
    fix = "Give every line of the patient's year the same ytd_prior (or leave it on one line)"
    source = CONTRACT + "; KX accrual per patient, calendar year and bucket (SSA §1833(g))"
    needs = ("patient_id", "dos", "cpt", "ytd_prior")
    judges_unbilled = True

    def check(self, ctx: ScrubContext) -> Iterator[Finding]:
        values = {(line.patient_id, line.ytd_prior) for line in ctx.judgeable_lines if line.ytd_prior is not None}
        patients = Counter(patient for patient, _ in values)
        if len(patients) == len(values):
            return  # one value per patient (the usual case): none of a patient's years and buckets can have two
        totals: dict[tuple, list[ChargeLine]] = {}
        for line in self.lines(ctx):
            if line.ytd_prior is not None and patients[line.patient_id] > 1:
                key = (line.patient_id, line.dos.year, KX_BUCKETS.get(line.discipline or "PT"))
                totals.setdefault(key, []).append(line)
        for (patient, year, bucket), carrying in totals.items():
            if len({line.ytd_prior for line in carrying}) < 2:
                continue  # one value (the usual case): nothing to order
            carrying.sort(key=lambda l: (l.dos, l.row))
            earlier = carrying[0]
            for line in carrying[1:]:
                if line.ytd_prior != earlier.ytd_prior:
                    yield self.finding(ctx, line, f"ytd_prior {line.ytd_prior:,.2f} differs from "
                                       f"{earlier.ytd_prior:,.2f} on row {earlier.row} for {patient}'s {year} {bucket} "
                                       f"total; the KX total starts from {earlier.ytd_prior:,.2f}", field="ytd_prior")


class NoFeeData(Rule):
    id = "DAT007"
    name = "no-fee-data"
    severity = "info"
    condition = ("A known code that is not in the fee schedule the reference data has for its date of service (e.g. "
                 "a code added to the code set after that year's file was imported): status no_data")
    fix = "Check the fee for that year by hand; whoever maintains ptcalc can import that year's CMS fee schedule"
    source = "reference/fee_schedule_<year>.yaml (CMS PPRRVU files)"
    applies = staticmethod(lambda profile: profile.follows_cms)

    def check(self, ctx: ScrubContext) -> Iterator[Finding]:
        schedules = [ctx.fee_rows(year) for year in {dos.year for _, dos in ctx.days}]
        missing = {code for code in ctx.by_code if any(code not in rows for rows in schedules)}
        if not missing:
            return  # every code billed is in the fee schedule of every year billed (the usual case)
        for line in self.lines(ctx, code=missing.__contains__):
            if ctx.pricing_problem(line) is None and ctx.fee_row(line) is None:
                yield self.finding(ctx, line, f"{line.cpt} is not in the reference fee schedule used for "
                                   f"{line.dos.year}: its allowed amount, the patient's KX total and the dollars at "
                                   "risk leave it out", status="no_data")


class DefaultAssumed(Rule):
    id = "DAT008"
    name = "default-assumed"
    severity = "info"
    condition = ("The line was read with an assumption: a payer or rendering provider ptcalc does not recognise "
                 "(reference payer_names / providers tables) judged with the default (Traditional Medicare, PT), "
                 "a line that is not UTF-8, a cell longer than Excel holds, a line of delimited text wider than its "
                 "header whose values all read (the split value taken to be right of the columns read), or a mark (X, "
                 "✓) in a charge grid's code column read as 1 unit")
    fix = ("Check the line was judged for the right payer and discipline; add the name to ptcalc's payer or "
           "provider list (whoever maintains ptcalc), or add a Financial Class / credential column")
    source = "ptcalc charge-sheet contract: defaults are said, never silent"
    needs = ()

    def check(self, ctx: ScrubContext) -> Iterator[Finding]:
        for line in ctx.lines:
            for note in line.assumed:
                about = note.split(":", 1)[0]
                if about in _JUDGING_NOTES and other_profession_code(line.cpt, ctx.ref):
                    continue  # how a line no rule judges would have been judged: nothing to check
                yield self.finding(ctx, line, note, field=_NOTED_FIELDS.get(about))


class UnusedWaiver(Rule):
    id = "DAT009"
    name = "unused-waiver"
    severity = "info"
    condition = ("A scrub_override names a rule that found nothing on its line: the waiver is on another line than "
                 "the finding (PTP001 flags the column-2 code's line) or no longer applies")
    fix = "Move the waiver to the line the finding is on, or remove it"
    source = "ptcalc charge-sheet contract: a waiver is read, never ignored in silence (as ruff's unused noqa)"
    needs = ()
    judges_unbilled = True
    overridable = False
    reviews_findings = True

    def check(self, ctx: ScrubContext) -> Iterator[Finding]:
        if "scrub_override" not in ctx.columns:
            return
        for line in ctx.lines:
            if line.scrub_override is None:
                continue
            for rule in sorted(line.scrub_override.rules - ctx.rules_found.get(line.row, set())):
                rows = ctx.rows_found.get((rule, line.patient_id, line.dos))
                where = (f"; it found row {', '.join(map(str, sorted(set(rows))))} (the same patient and date): the "
                         "waiver belongs there") if rows else ""
                yield self.finding(ctx, line, f"the waiver names {rule}, which found nothing on this line{where}",
                                   field="scrub_override")
