"""Header names -> charge-line fields: the spec's column names and aliases, broad synonyms ranked best
first, and the rendering provider's name and NPI columns (read for the provider type)."""
from __future__ import annotations

import re

from .columns import BY_NAME, COLUMNS


# Extra header words per field, best first; a later group is used only when no earlier one is there
# (an export with both `Acct #` and `Patient Name` keys patients by the account).
SYNONYMS: dict[str, tuple[tuple[str, ...], ...]] = {
    "patient_id": (("patient id", "patient no", "patient number", "patient account", "patient acct", "acct",
                    "acct #", "acct no", "account number", "account no", "chart number", "pt id", "patient #", "medical record", "medical record number", "medical record no",
                    "med rec", "med rec no", "client id", "client no", "client number", "client #",
                    # NextGen's `Person Nbr`; a skilled nursing facility's resident (Part B therapy there)
                    "person nbr", "person number", "person id", "resident id", "resident no", "resident number"),
                   # A bare `Chart` or `Chart #` (one header key): the chart number, beside a name column (`Patient
                   # Name`); beside an account column, the account keys patients. So does Epic's hospital account
                   # (`HAR`: one patient's, a recurring therapy series' visits on one) where no MRN is beside it.
                   ("chart", "har", "hospital account", "hospital account number", "hosp acct", "har number"),
                   # not a bare `Resident`: a teaching hospital's export may name the resident physician so
                   ("patient name", "pt name", "name", "client name", "resident name")),
    "dos": (("dos", "dos from", "from date", "from dos", "svc date", "service from", "date of svc", "visit date",
             "treatment date"),),
    "cpt": (("cpt code", "procedure code", "proc code", "proc", "cpt/hcpcs", "hcpcs code", "service code",
             "charge code", "billing code", "cpt hcpcs", "cpt description"),),
    "units": (("units billed", "quantity", "unit", "svc units", "service units", "charge units"),),
    "minutes": (("time", "min", "minutes timed", "treatment minutes", "timed mins"),),
    "payer_type": (("insurance type", "payer class", "coverage type", "fin class", "plan category"),),
    "payer": (("primary insurance", "primary payer", "insurance name", "payer name", "plan", "plan name",
               "insurance company", "primary ins", "ins", "insurance carrier", "billed to"), ("primary",)),
    "provider_type": (("credentials", "provider credential", "provider type"),),
    "pta_minutes": (("pta minutes", "ota minutes", "pta/ota minutes", "assistant mins"),),
    "pos": (("place", "pos code"),),
    "charge": (("charge amt", "charge amount", "charges", "amount", "billed", "fee", "total charge",
                "line charge", "billed charge"),),
    "poc_start": (("cert from", "cert start", "cert start date", "certification start", "certification start date",
                   "cert period start", "cert from date", "poc from", "plan of care from", "plan of care start",
                   "poc start date", "certification from"),
                  ("start of care", "soc", "soc date", "start of care date")),
    "poc_end": (("cert through", "cert end", "cert end date", "certification end date", "certification thru",
                 "certification through", "cert to", "cert thru date", "poc end", "poc end date", "poc thru", "poc to",
                 "poc through", "plan of care end", "plan of care end date", "plan of care to", "plan of care thru",
                 "plan of care through", "certified through", "certified thru", "cert exp", "cert expiration",
                 "poc expiration", "cert period end", "certification to", "cert expires", "recert due",
                 "recert due date", "plan of care expires"),),
    # The day the physician or NPP signed (certified) the plan, as EMRs name it
    "poc_certified": (("certification date", "poc cert date", "cert signed", "cert signed date", "certified date",
                       "date certified", "certification signed", "poc signed date", "poc signed by md",
                       "plan signed", "plan signed date", "plan of care signed", "physician signature date",
                       "md signed", "md signed date", "date signed by md", "signed poc received", "poc received",
                       "cert received", "cert received date"),),
    "poc_sent": (("poc sent date", "date poc sent", "poc sent to md", "poc faxed", "plan of care sent",
                  "poc sent to physician", "plan sent to physician", "poc transmitted", "plan sent date",
                  "date plan sent", "plan of care sent date", "poc faxed date", "poc sent to referring"),),
    "progress_report": (("last progress report", "progress note date", "progress report date", "pn date",
                         "last pn", "last pn date", "last progress note date", "last re-eval",
                         "last reassessment"),),
    # The patient's allowed therapy dollars this year before the sheet (another clinic's, an earlier EMR's): the
    # KX running total starts from it. Not a `Cap Used` that may count the sheet's own visits.
    "ytd_prior": (("prior allowed", "prior ytd", "prior ytd allowed", "ytd prior allowed", "prior therapy amount",
                   "prior therapy allowed", "prior therapy dollars", "medicare cap used elsewhere",
                   "outside therapy amount"),),
    "visit_timed_minutes": (("total timed code treatment minutes", "total timed", "total timed mins",
                             "timed minutes total", "total timed min", "visit timed minutes", "ttm"),),
    # A payer's prior authorization: its number, visits and period (never `Auth Units` or a bare `Visits`).
    "auth_number": (("auth number", "auth no", "authorization", "authorization no", "prior auth", "prior auth #",
                     "prior auth number", "pa number", "auth"),),
    "auth_visits": (("auth visits", "approved visits", "visits approved", "auth visit count", "total auth visits",
                     "authorized visit count", "auth visits total"),),
    "auth_start": (("auth start", "auth from", "auth begin", "auth effective", "auth effective date",
                    "authorization start date", "auth from date", "auth begin date"),),
    "auth_end": (("auth end", "auth thru", "auth through", "auth to", "auth exp", "auth expiration",
                  "auth expiration date", "auth exp date", "authorization end date", "auth thru date",
                  "auth expires", "authorization expiration"),),
    "claim_id": (("claim", "claim no", "claim number", "claim #", "invoice", "invoice no", "encounter",
                  "encounter id", "visit id", "ticket", "csn", "encounter csn", "contact serial number"),),  # Epic's CSN
}
# Not charge-line fields, but read to find the provider type when there is no provider-type column.
# The rendering provider's own names first: an export may also have a bare `Provider` (the clinic, the
# billing provider) or `NPI` beside them. Who furnished the service is read before whoever signed or billed it:
# WebPT's `Documenting Therapist` (a PTA or student who wrote the visit's note) beside its `Finalizing
# Therapist` (the PT whose name goes on the claim), its billing's `Treating Provider` beside `Billing Provider`
# (WebPT help: Documented Units report; Provider Charge Report): CQ/CO follow the assistant who furnished it.
PROVIDER_NAME = (("rendering provider", "rendering provider name", "treating therapist", "rendering",
                  "servicing provider", "documenting therapist", "documenting provider", "treating provider",
                  "treating clinician", "performing provider", "performing therapist", "performed by", "rendered by",
                  "seen by"),
                 # Jane's and other booking systems' `Staff Member`: the practitioner the appointment was with (not a
                 # bare `Staff`, which may be who entered the charge)
                 ("provider", "therapist", "clinician", "provider name", "staff member"))
PROVIDER_NPI = (("rendering npi", "rendering provider npi"), ("npi", "provider npi"))
# What kind of entry a row of a ledger export is (`Charge`, `Payment`, `Adjustment`, `Write-off`): only a
# charge is a claim line. A bare `Type` too: read only for those words, it changes nothing on a sheet whose
# `Type` says something else (a visit's type, a discipline).
TRANSACTION_TYPE = (("transaction type", "trans type", "txn type", "tran type", "entry type", "posting type",
                     "transaction", "line type", "charge type"), ("type",))
# The last day of a line's service period, beside its first (`DOS From`, `DOS To`): a line is one day, so a
# period of several is refused on the line rather than judged as its first day with every day's units.
DOS_TO = (("to dos", "dos to", "to date", "date to", "thru date", "through date", "service to", "svc to", "dos thru",
           "dos through", "thru dos", "through dos", "svc thru", "svc through", "dos end", "service end date", "date of service to", "service thru", "service through", "to date of service", "end date of "
           "service"),)
# The patient's own name and birth date, for an export with no patient identifier (`Last Name`, `First Name`,
# `DOB`): read together as the patient, the birth date telling two patients of one name apart. A patient-name
# column beside a birth-date column is read with it too.
PATIENT_LAST_NAME = (("last name", "patient last name", "pt last name", "patient last", "pt last", "last", "lname",
                      "surname", "patient surname", "client last name", "family name"),)
PATIENT_FIRST_NAME = (("first name", "patient first name", "pt first name", "patient first", "pt first", "first",
                       "fname", "given name", "client first name"),)
PATIENT_BIRTH_DATE = (("dob", "date of birth", "birth date", "birthdate", "patient dob", "pt dob", "patient date of "
                       "birth", "patient birth date", "birthday", "client dob"),)
# The kind of note the visit's documentation is (WebPT's `Note Type`: IE, DN, PN, RE, DS): a progress note or a
# re-evaluation is the progress report POC003 counts treatment days from.
# Not `Document Type`: a ledger export's word for an invoice or a payment.
NOTE_TYPE = (("note type", "visit note type", "note category", "documentation type", "note kind"),)
# The kind of visit an appointment was booked as (`Progress Note`, `Re-Eval`, `Follow Up`, `Re-Check`): read for a
# progress report only where its words say one outright (a `Re-Check` is no re-evaluation), where no note type is.
VISIT_TYPE = (("visit type", "appointment type", "appt type", "visit category", "appointment category"),)
# The claim's second payer (CMS-1500 box 9's other insured's plan): the payer whose unit rule may differ from the
# line's (UNT008). Not a tertiary payer, and not its financial class or its member id (header_words.py).
SECONDARY_PAYER = (("secondary insurance", "secondary payer", "secondary payor", "secondary carrier", "secondary plan",
                    "secondary ins", "sec ins", "sec insurance", "sec payer", "ins 2", "insurance 2", "payer 2",
                    "secondary insurance name", "secondary payer name", "other insurance", "supplemental insurance"),)
# Whether an extract's record is new, modified or removed since the last (WebPT's standard extract: `export_flag`,
# 1 = New, 2 = Modified, 3 = Removed): a removed charge is no claim line.
EXPORT_FLAG = (("export flag",),)
# Whether a charge goes on the insurance claim at all: Fusion's `Ins Billable` (a charge not marked so "will not be
# printed on the claim", only on the patient's statement), a `Do Not Bill` mark (WebPT's notes "marked as Do Not
# Bill"). A charge that does not go on the claim is no claim line.
BILLABLE = (("ins billable", "insurance billable", "bill insurance", "bill to insurance"),)
DO_NOT_BILL = (("do not bill", "dnb", "no bill", "non billable", "not billable"),)
# Fields read beside the charge-line fields, by their header names (best group first).
EXTRA_FIELDS = {"provider_name": PROVIDER_NAME, "provider_npi": PROVIDER_NPI, "transaction_type": TRANSACTION_TYPE,
                "dos_to": DOS_TO, "patient_last_name": PATIENT_LAST_NAME, "patient_first_name": PATIENT_FIRST_NAME,
                "patient_birth_date": PATIENT_BIRTH_DATE, "note_type": NOTE_TYPE, "visit_type": VISIT_TYPE,
                "secondary_payer": SECONDARY_PAYER,
                "export_flag": EXPORT_FLAG, "billable": BILLABLE, "do_not_bill": DO_NOT_BILL}
SPLIT_MODIFIER = re.compile(r"^(?:(?:mods?|modifiers?)[1-4a-d]|m[1-4])$")  # `M1`, not `MD` (a doctor)


def header_key(text: object) -> str:
    """Header form for matching: letters and digits only, lower case (`Acct #` -> `acct`)."""
    return "".join(ch for ch in str(text).lower() if ch.isalnum()) if text is not None else ""


WORDS_RANK = 1.5  # a header read by its words: after the field's names and first synonyms, before the rest


# Words so common in exports that they mean a field only when nothing more specific is there.
GENERIC = frozenset({"date", "code", "procedure", "patient", "time", "name", "amount", "plan", "ins", "place", "min",
                     "unit", "fee", "billed", "claim", "proc"})


def _ranked_lookup() -> dict[str, tuple[str, int]]:
    """Header key -> (field, rank): the field's own name and the spec's aliases first, then the
    synonym groups in order, then the generic words."""
    lookup: dict[str, tuple[str, int]] = {}
    last = 1 + max(len(groups) for groups in SYNONYMS.values())
    for column in COLUMNS:
        for name in (column.name, *column.aliases):
            lookup.setdefault(header_key(name), (column.name, last if header_key(name) in GENERIC else 0))
        for rank, group in enumerate(SYNONYMS.get(column.name, ()), start=1):
            for name in group:
                lookup.setdefault(header_key(name), (column.name, last if header_key(name) in GENERIC else rank))
    for field_name, groups in EXTRA_FIELDS.items():
        for rank, group in enumerate(groups, start=1):
            for name in group:
                lookup.setdefault(header_key(name), (field_name, rank))
    return lookup


LOOKUP = _ranked_lookup()


def names_for(name: str) -> list[str]:
    column = BY_NAME[name]
    return [column.name, *column.aliases, *(n for group in SYNONYMS.get(name, ()) for n in group)]
