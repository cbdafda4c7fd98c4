"""The charge-sheet columns (product spec §3) and their aliases; scrub/header_names.py matches headers to them."""
from __future__ import annotations

import re
from dataclasses import dataclass


# Among the fields judged: a mark that the sheet's lines carry revenue codes, an institutional claim's (UB-04, 837I: a
# hospital's, a SNF's), whose rules for place of service are not a practice's
INSTITUTIONAL = "revenue codes: an institutional claim's lines"
# ... and that they are an 837P's: the practice's professional claim as sent (a hospital bills its therapy on an 837I)
PROFESSIONAL_CLAIM = "an 837P: the practice's professional claim as sent"
# ... and that they are claims as sent at all (an 837P or 837I): each line is billed, whatever its units
CLAIMS_AS_SENT = "an 837: claims as sent"


@dataclass(frozen=True)
class Column:
    name: str
    required: bool
    aliases: tuple[str, ...]
    meaning: str


COLUMNS: tuple[Column, ...] = (
    Column("patient_id", True, ("patient", "mrn", "account"), "patient identifier"),
    Column("dos", True, ("date of service", "service date", "date"), "date of service"),
    Column("cpt", True, ("hcpcs", "code", "procedure"), "CPT/HCPCS code"),
    Column("units", True, ("qty", "billed units"), "units billed on the line"),
    Column("minutes", False, ("timed minutes", "mins"), "direct one-on-one minutes of this service"),
    Column("modifiers", False, ("modifier", "mods"), "modifiers: GP 59, GP,59 or GP-59"),
    Column("payer_type", False, ("plan type", "financial class"), "medicare, medicare_advantage, medicaid, "
           "commercial, workers_comp, self_pay"),
    Column("payer", False, ("insurance", "carrier"), "payer name"),
    Column("provider_type", False, ("discipline", "credential"), "PT, PTA, OT, OTA, SLP"),
    Column("pta_minutes", False, ("assistant minutes",), "minutes a PTA/OTA furnished independently"),
    Column("pos", False, ("place of service",), "place of service, two digits"),
    Column("charge", False, ("billed amount",), "billed amount"),
    # The spec's alias `start of care` is read too (header_names.py), after a certification period's own start
    # (`Cert From`): an episode's start of care is the first period's start, not a recertified one's.
    Column("poc_start", False, (), "first day of the plan-of-care certification period"),
    Column("poc_certified", False, ("poc signed", "cert date"), "date the physician/NPP certified it"),
    Column("poc_end", False, ("cert thru", "certification end"), "last day of the certification period (the "
           "plan's Cert Thru): visits after it need a recertification"),
    Column("poc_sent", False, ("poc sent", "plan sent"), "date the plan was sent to the physician/NPP who referred "
           "the patient (from 2025, with a signed order, it certifies the initial plan)"),
    Column("progress_report", False, ("last progress note",), "date of the last progress report"),
    Column("ytd_prior", False, ("cap used elsewhere",), "allowed dollars this year before this sheet"),
    Column("locality", False, ("medicare locality",), "MAC-LL locality key"),
    Column("claim_id", False, (), "claim identifier"),
    Column("claim_line", False, ("claim line", "line number"), "service line number within the claim (837 LX)"),
    Column("visit_timed_minutes", False, ("total timed minutes", "total timed code minutes"),
           "the visit's total timed code treatment minutes (what CMS §220.3 has the note record), on its lines; "
           "judges the visit's timed units when there are no minutes per line"),
    Column("auth_number", False, ("authorization number", "auth #"), "the payer's prior-authorization number"),
    Column("auth_visits", False, ("authorized visits", "visits authorized"), "visits the authorization covers"),
    Column("auth_start", False, ("auth start date", "authorization start"), "first day the authorization covers"),
    Column("auth_end", False, ("auth end date", "authorization end"), "last day the authorization covers"),
    Column("scrub_override", False, ("scrub override", "ptcalc override"), "a reviewed finding waived, with why: the "
           "rule IDs, then the reason (`PTP001: distinct 15-minute blocks, see note`); the finding is listed as "
           "bypassed with the reason"),
)
BY_NAME = {c.name: c for c in COLUMNS}
REQUIRED = tuple(c.name for c in COLUMNS if c.required)
# Headers ptcalc appends to the annotated copy; ignored when a scrubbed sheet is scrubbed again.
OUTPUT_HEADERS = ("Scrub Status", "Findings", "Expected Units")

_FOLD = re.compile(r"[\s_]+")


def fold(header: object) -> str:
    """Case-, space- and underscore-insensitive form of a header."""
    return _FOLD.sub("", str(header).strip().lower()) if header is not None else ""


_OUTPUT = {fold(h) for h in OUTPUT_HEADERS}


def column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def is_output_header(cell: object) -> bool:
    return fold(cell) in _OUTPUT
