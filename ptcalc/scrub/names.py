"""Payer and provider names -> payer and provider types, from the editable tables in reference/
(payer_names.yaml, providers.yaml): what an export's `Primary Insurance` and `Rendering Provider`
columns say about the line."""
from __future__ import annotations

import re
from typing import Any

from ..refdata.model import Reference, fold_name, person_key
from .cells import filled, plain
from .lines import PAYER_TYPES


def payer_class(value: Any, ref: Reference) -> Any:
    """A payer-type cell as a payer type: itself when it is one, else what the payer-name table says it
    means, else the cell (the parser then reports it on the line)."""
    if not isinstance(value, str) or "".join(ch for ch in value.lower() if ch.isalnum()) in PAYER_TYPES:
        return value
    return payer_type_of(value, ref) or value


def payer_type_of(name: Any, ref: Reference) -> str | None:
    """The payer type of the longest known name in `name`. An insurer's Medicaid plan is Medicaid, its
    Medicare plan Medicare Advantage and its workers' comp plan workers' comp ("UnitedHealthcare Medicaid",
    "UnitedHealthcare Community Plan", "Medica Medicare"), not the insurer's commercial type; a Medicare supplement (Medigap) pays after Traditional Medicare, which the claim goes
    to first. So does a dual eligible's (`Medicare/Medicaid`, `MCR/MCD`): Medicaid pays last, after Medicare
    or the Medicare Advantage plan."""
    if not filled(name):
        return None
    folded = f" {fold_name(str(name))} "
    words = set(folded.split())
    if words & {"supplement", "supplemental", "medigap"}:
        return "medicare"
    if "marketplace" in words:  # an ACA marketplace plan is individual commercial cover, whoever sells it
        return "commercial"
    matched = [(known, kind) for known, kind in ref.payer_names if f" {known} " in folded]  # longest name first
    kinds = [kind for _, kind in matched]
    if "medicaid" in kinds and "medicare" in kinds:  # dual eligible (an MA plan's brand and its Medicaid plan is not)
        return "medicare_advantage" if {"medicare_advantage", "commercial"} & set(kinds) else "medicare"
    if "commercial" in kinds and "medicaid" in words:
        return "medicaid"
    if "commercial" in kinds and "medicare" in words:
        return "medicare_advantage"
    if kinds and kinds[0] == "commercial":  # an insurer's brand, then its product's name: the product says what
        # the plan is ("UnitedHealthcare Community Plan" is Medicaid, "Cigna Workers Comp" workers' comp)
        return next((kind for kind in kinds if kind in _PRODUCT_KINDS), "commercial")
    if matched and matched[0][0] == "medicare" and "medicare_advantage" in kinds:
        return "medicare_advantage"  # a Medicare Advantage plan's brand beside the word Medicare ("WellCare Medicare")
    return kinds[0] if kinds else None


_PRODUCT_KINDS = ("medicaid", "medicare_advantage", "workers_comp")


# Words a health plan's name has and Traditional Medicare's never does ("Acme Health Plan", "Geisinger Health
# Plan", "Harvard Pilgrim Health Care"): a payer ptcalc does not know by name is a plan, judged as commercial.
_PLAN_WORDS = (" health plan ", " healthplan ", " health care ", " healthcare ", " health insurance ")


def looks_like_a_health_plan(name: Any) -> bool:
    return filled(name) and any(words in f" {fold_name(str(name))} " for words in _PLAN_WORDS)


# A hospital's revenue code names the therapy (042x physical, 043x occupational, 044x speech-language);
# GP/GO/GN say which therapy plan of care a line is under.
REVENUE_DISCIPLINES = {"042": "PT", "043": "OT", "044": "SLP"}
MODIFIER_DISCIPLINES = {"GP": "PT", "GO": "OT", "GN": "SLP"}


# What a Discipline (or Service Type) column says: the therapy, not the provider's credential. Whole cells only:
# `ST` inside a provider's name is as likely Saint as speech therapy.
_DISCIPLINE_CELLS = {"physicaltherapy": "PT", "physical": "PT", "occupationaltherapy": "OT", "occupational": "OT",
                     "speechtherapy": "SLP", "speech": "SLP", "speechlanguagepathology": "SLP",
                     "speechpathology": "SLP", "speechlanguage": "SLP", "st": "SLP", "sp": "SLP"}


# What a Role column says: a therapist or an assistant, of the line's own discipline (GP: PT or PTA).
_ROLE_CELLS = {"therapist": False, "clinician": False, "assistant": True, "asst": True, "therapistassistant": True,
               "therapyassistant": True}
ASSISTANT_OF = {"PT": "PTA", "OT": "OTA"}


def role_cell(value: Any) -> bool | None:
    """True for a cell naming an assistant's role, False for a therapist's, None for anything else."""
    return _ROLE_CELLS.get("".join(ch for ch in str(value).lower() if ch.isalnum())) if filled(value) else None


def provider_type_cell(value: Any, ref: Reference) -> str | None:
    """A provider-type cell: a credential or title (`DPT`, `OTR/L`, `Physical Therapist Assistant`), or the
    discipline a Discipline column names (`Physical Therapy`, `Speech`, `ST`); None when it says neither."""
    said = _DISCIPLINE_CELLS.get("".join(ch for ch in str(value).lower() if ch.isalnum())) if filled(value) else None
    return said or provider_type_of(value, None, ref)


def discipline_of_revenue_code(value: Any) -> str | None:
    text = str(plain(value)).strip() if filled(value) else ""
    return REVENUE_DISCIPLINES.get(text.zfill(4)[:3]) if text.isdigit() and len(text) <= 4 else None


def provider_type_of(name: Any, npi: Any, ref: Reference) -> str | None:
    if filled(npi) and str(plain(npi)).strip() in ref.provider_roster:
        return ref.provider_roster[str(plain(npi)).strip()]
    if not filled(name):
        return None
    text = str(name)
    if (person := person_key(text)) in ref.provider_roster:
        return ref.provider_roster[person]
    tokens = _credential_tokens(text)
    if not _STAFF_WHO_DO_NOT_BILL.keys().isdisjoint(_parts(tokens)):
        return None  # "PT Aide", "Student PT": not a provider who bills therapy (not_a_therapist says who)
    folded = f" {fold_name(text)} "
    titles = [(fold_name(c), kind) for c, kind in ref.provider_credentials.items() if " " in c]
    for title, kind in sorted(titles, key=lambda t: -len(t[0])):  # "Physical Therapist Assistant"
        if f" {title} " in folded:
            return kind
    for token in reversed(tokens):  # credentials follow the name: "Jane Smith, DPT, OCS"
        for part in (token, *reversed(_JOINED.split(token))):  # CCC-SLP; Kim Lee-PTA; PT/DPT (OTR/L is one)
            if part in ref.provider_credentials:
                return ref.provider_credentials[part]
    return None


def not_a_therapist(name: Any, npi: Any, ref: Reference) -> str | None:
    """Who a rendering provider is when they are no therapist or assistant who bills therapy — a student, an
    aide, a technician, an SLP assistant, or (without a therapist's credential beside it) an athletic trainer,
    a massage therapist or a chiropractor; None for a therapist, an assistant, or a name that says nothing."""
    if not filled(name) or (filled(npi) and str(plain(npi)).strip() in ref.provider_roster) \
            or person_key(str(name)) in ref.provider_roster:
        return None
    parts = _parts(_credential_tokens(str(name)))
    staff = [_STAFF_WHO_DO_NOT_BILL[part] for part in parts if part in _STAFF_WHO_DO_NOT_BILL]
    if staff:
        return "a student" if "a student" in staff else staff[0]
    if provider_type_of(name, None, ref) is None:
        return next((_OTHER_PROFESSIONS[part] for part in parts if part in _OTHER_PROFESSIONS), None)
    return None


def _credential_tokens(text: str) -> list[str]:
    """`Lee, Kim P.T.A.` -> LEE, KIM, PTA."""
    return [t.replace(".", "") for t in re.split(r"[\s,;()\[\]{}|]+", text.upper()) if t]


def _parts(tokens: list[str]) -> list[str]:
    """The tokens and their joined parts: `PTA-Student` is PTA-STUDENT, PTA and STUDENT; `PT/Aide` PT and AIDE."""
    return [part for token in tokens for part in (token, *(_JOINED.split(token) if _JOINED.search(token) else ()))]


_JOINED = re.compile(r"[-/]")  # credentials written together: CCC-SLP, PT/DPT


# Aides, technicians, students, and speech-language pathology assistants: whatever else the name says ("PT
# Aide", "Student PT"). CMS Pub. 100-02 ch.15 §230 B (a student's services are not paid under Part B),
# §230.1 C / §230.2 C (an aide's services are not therapy services), §230.3 C ("Services of speech-language
# pathology assistants are not recognized for Medicare coverage").
_STAFF_WHO_DO_NOT_BILL = {"AIDE": "an aide", "TECH": "a technician", "TECHNICIAN": "a technician",
                          "STUDENT": "a student", "SPT": "a student", "SPTA": "a student", "SOTA": "a student",
                          "OTS": "a student", "SLPA": "a speech-language pathology assistant",
                          "SLP-A": "a speech-language pathology assistant"}
# Professions that furnish no Medicare therapy service, when no therapist's credential stands beside them
# ("Kim Lee, PT, ATC" is a PT). A chiropractor's Medicare services are spinal manipulation only (CMS Pub.
# 100-02 ch.15 §240).
_OTHER_PROFESSIONS = {"ATC": "an athletic trainer", "LAT": "an athletic trainer", "LMT": "a massage therapist",
                      "DC": "a chiropractor", "CSCS": "a strength and conditioning coach"}


# Physicians and nonphysician practitioners furnish therapy too, under a therapy plan or incident to a physician's
# service: their lines carry the plan's GP, GO or GN and are judged by it, and for a "sometimes therapy" code
# Medicare processes their claims without one (CMS Pub. 100-04 ch.5 §20, the applicable outpatient rehabilitation
# codes, as WPS, a Part B MAC, restates it: "Claims from physicians (all specialty codes) and nonphysician
# practitioners ... may be processed without therapy modifiers" for those codes). Who they are, as PRV003 must not
# take them for someone who furnishes no therapy.
_CLINICIAN_CREDENTIALS = {
    **dict.fromkeys(("MD", "DO", "DPM"), "a physician"),
    **dict.fromkeys(("NP", "FNP", "ANP", "AGNP", "AGPCNP", "AGACNP", "ACNP", "PNP", "CRNP", "CNP", "APRN", "APNP",
                     "DNP"), "a nurse practitioner"),
    **dict.fromkeys(("PA", "PAC"), "a physician assistant"), "CNS": "a clinical nurse specialist"}
_CLINICIAN_TITLES = {"physician": "a physician", "podiatrist": "a physician",  # not `Doctor`: a DPT is one
                     "nurse practitioner": "a nurse practitioner", "physician assistant": "a physician assistant",
                     "clinical nurse specialist": "a clinical nurse specialist"}
CLINICIANS = frozenset(_CLINICIAN_CREDENTIALS.values())
# A credential after a person's name, in the capitals it is written in (`Rahman, Md` is a name: Md for Mohammed).
# `DO` only after a comma or in brackets (`Minh Do`, `Do, Minh` are names); a bare `PA` never (`Vang, Pa`).
# A board's suffix is the same credential (`FNP-C`, `FNP-BC`).
_CLINICIAN_AFTER_NAME = re.compile(r"(?<=\S)(?P<before>\s*[,(]\s*|\s+)(?P<credential>PA-C|P\.A\.-C|(?:M\.?D|D\.?O|DPM|"
                                   r"[A-Z]{0,4}N\.?P|APRN|DNP|CNS)(?:-C|-BC)?)\.?(?=\s*(?:[,)]|$))")


def clinician_named(name: Any) -> str | None:
    """`Ann Jones, MD` -> a physician; `Kim Lee NP` -> a nurse practitioner; None for a name without such a
    credential after it."""
    if not isinstance(name, str):
        return None
    for found in _CLINICIAN_AFTER_NAME.finditer(name):
        letters = re.sub(r"[^A-Z]", "", found["credential"])
        if letters == "DO" and not {",", "("} & set(found["before"]):
            continue
        if (who := _clinician_credential(letters)) is not None:
            return who
    return None


def clinician_cell(value: Any) -> str | None:
    """A credential or provider-type cell naming a physician or a nonphysician practitioner (`MD`, `PA-C`,
    `FNP-BC`, `Nurse Practitioner`), else None."""
    if not isinstance(value, str):
        return None
    return _clinician_credential(re.sub(r"[^A-Z]", "", value.upper())) or _CLINICIAN_TITLES.get(fold_name(value))


def _clinician_credential(letters: str) -> str | None:
    return _CLINICIAN_CREDENTIALS.get(letters) or _CLINICIAN_CREDENTIALS.get(re.sub(r"B?C$", "", letters))
