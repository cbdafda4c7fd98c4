"""Reading a header by its words, for the headers no synonym names (`Tx Minutes`, `Provider Cred`,
`Pt Acct No`, `Svc Dt`, `CPT Modifier 1`, `Primary Payor`).

A header names a field when it holds a word of each of the rule's groups and none of its excluded
words: `Tx Minutes` is minutes, `PTA Minutes` and `Total Visit Minutes` are not; `Date of Service`
is the date of service, `Date of Birth` and `Posting Date` are not; `Charge Amount` is the charge,
`Allowed Amount` and `Paid Amount` are not; `Primary Payor` is the payer, `Secondary Insurance` and
`Insurance ID` are not. The exclusions lean towards leaving a column unread (it is then named in
"how the sheet was read") rather than reading the wrong one: a wrong column makes false alarms.
"""
from __future__ import annotations

import re

Rule = tuple[tuple[frozenset[str], ...], frozenset[str]]  # (a word of each group, none of these words)


def _rule(*groups: str, unless: str = "") -> Rule:
    return tuple(frozenset(g.split()) for g in groups), frozenset(unless.split())


_MONEY = "allowed paid payment pmt adjust adjustment adj balance bal expected contract contractual due copay " \
         "coinsurance deductible writeoff write"
# A claim's other payers (`Secondary Insurance`, `Sec Ins`, `Ins 2`, `Other Insurance`: CMS-1500 box 9's "other
# insured") are not the line's payer, beside it or alone. Not `third`: a `Third Party Payer` is the insurer.
_LATER_PAYERS = "secondary sec second tertiary ter other supplemental crossover cob 2 3"
_NOT_THE_PAYER = "type class category classification id number no num member policy group subscriber " \
                 "address phone responsibility resp code status date auth authorization city state zip " \
                 "care episode start begin end thru through expires expiration exp signed sent " + _LATER_PAYERS + \
                 " " + _MONEY
_NOT_THE_SECOND_PAYER = " ".join(word for word in _NOT_THE_PAYER.split() if word not in _LATER_PAYERS.split()) + \
    " tertiary ter 3 primary pri"
_NOT_THE_DAY = "birth dob post posted posting entry entered created paid payment billed bill cert certification " \
               "certified soc progress eval evaluation onset injury referral to thru through end last next first " \
               "auth authorization start admit discharge"
_NOT_LINE_MINUTES = "pta ota cota assistant asst untimed start end total visit travel wait session scheduled " \
                    "appointment appt group in out stamp"
_POC = "poc cert certification certified recert recertification"
_PLAN_ENDS = "end thru through to until exp expiration expires expiry"
_NOT_THE_PLAN_DAY = "auth authorization sent faxed due request requested signed signature received by status type " \
                    "id number no num name last prior previous"  # not `Last Cert End`: maybe the plan before

WORD_RULES: dict[str, tuple[Rule, ...]] = {
    "patient_id": (
        _rule("acct account mrn chart", unless="guarantor insurance ins payer type class status name dob birth "
                                               "provider npi group policy member subscriber claim " + _MONEY),
        _rule("patient pt pat client", "id no num number identifier key",
              unless="guarantor insurance ins payer name dob birth provider npi policy member subscriber claim"),
    ),
    "dos": (
        _rule("dos", unless="to thru through end last"),
        _rule("date dt", "service services svc visit treatment tx appt appointment encounter session",
              unless=_NOT_THE_DAY),
        # `Service Start Date` (the first day of a claim line's span, which is one day for therapy): the
        # service's start, not a plan's or a certification's
        _rule("service services svc", "start begin", "date dt",
              unless="end to thru through plan care cert certification soc auth authorization episode"),
    ),
    "cpt": (
        _rule("cpt hcpcs", unless="description desc modifier modifiers mod units unit charge amount amt fee price "
                                  "name group category id key"),  # `cpt_code_id`: a row of the export's code table
        _rule("procedure proc service svc charge chg billing", "code cd",
              unless="description desc modifier modifiers mod mods dx diagnosis icd revenue rev place pos type id key"),
    ),
    "units": (
        _rule("units unit qty quantity", unless="price charge charges amount amt fee cost minutes min mins time "
                                                 "pta ota visit visits authorized auth remaining used type "
                                                 + _MONEY),
    ),
    "minutes": (
        _rule("min mins minute minutes", unless=_NOT_LINE_MINUTES),
        _rule("time", "tx treatment timed direct service therapy procedure", unless=_NOT_LINE_MINUTES),
    ),
    "modifiers": (
        _rule("modifier modifiers mod mods", unless="description desc date by user"),
    ),
    "payer_type": (  # not `insurance_type_id`: a number the export's own tables decode
        _rule("financial fin", "class classification category type group",
              unless=_LATER_PAYERS + " id code number no num"),
        _rule("payer payor insurance ins plan coverage carrier funder", "type class category classification",
              unless=_LATER_PAYERS + " id code number no num care"),  # not `Plan of Care Type`
    ),
    "payer": (
        # `Funder`: the payer as Rethink's and CentralReach's billing exports name it
        _rule("insurance payer payor carrier plan ins insurer funder", unless=_NOT_THE_PAYER),
        # `3rd Party Payer` (its words 3, rd, party, payer): the insurer, not a third one
        _rule("party", "payer payor insurer insurance", unless=" ".join(w for w in _NOT_THE_PAYER.split() if w != "3")),
    ),
    "secondary_payer": (  # `Sec Ins`, `Ins 2`, `Other Insurance`; not `Tertiary Ins`, `Secondary Ins ID`
        _rule("secondary sec second 2 other supplemental crossover cob", "insurance payer payor carrier plan ins "
              "insurer", unless=_NOT_THE_SECOND_PAYER),
    ),
    "provider_type": (
        _rule("credential credentials cred creds discipline licensure", unless="npi number no expiration exp date "
                                                                            "state"),
        _rule("provider prov rendering therapist clinician staff", "type role title level", unless="npi name id"),
    ),
    "pta_minutes": (
        _rule("pta ota cota assistant asst", "min mins minute minutes time"),
    ),
    "visit_timed_minutes": (  # `Total Treatment Time` counts untimed minutes too: not read
        _rule("total visit", "timed", unless="untimed pta ota cota assistant asst"),
    ),
    "pos": (  # not `place_of_service_id`: a key into the export's own table (WebPT's RevFlow extract), not CMS's code
        _rule("pos", unless="description desc name id key"),
        _rule("place", "service svc", unless="description desc name address id key"),
    ),
    "charge": (
        _rule("charge charges chg billed amount amt fee fees",
              unless="code cd date unit units qty per description desc type id number no entered by status "
                     "insurance ins payer payor carrier patient pt min mins minute minutes time "
                     # a patient's dollars toward the KX threshold (`KX Amount Used`, `Prior Therapy Amount`)
                     "prior ytd threshold kx cap toward used " + _MONEY),
    ),
    # The plan of care's certification period and signature, as EMRs word them (`POC Expiration Date`,
    # `Certification Period End`, `Care Plan Start`); never an authorization's, and never a day it was sent or due.
    "poc_start": (
        _rule(_POC, "start begin from effective", unless=_NOT_THE_PLAN_DAY + " " + _PLAN_ENDS),
        _rule("plan", "care", "start begin from effective", unless=_NOT_THE_PLAN_DAY + " " + _PLAN_ENDS),
    ),
    "poc_end": (
        _rule(_POC, _PLAN_ENDS, unless=_NOT_THE_PLAN_DAY + " start begin from effective"),
        _rule("plan", "care", _PLAN_ENDS, unless=_NOT_THE_PLAN_DAY + " start begin from effective"),
    ),
    "poc_certified": (  # a day only: a bare `Physician Signature` may be a Y/N mark
        _rule(_POC + " plan physician md doctor", "signed signature", "date dt on",
              unless="sent faxed due request requested by name status auth authorization"),
    ),
    "claim_id": (
        _rule("claim invoice encounter ticket", "id no num number identifier key",
              unless="line status date type payer ins insurance count"),
    ),
    # Not charge-line fields: a voided or deleted charge in an export is not a claim line.
    "charge_status": (
        _rule("status", unless="patient eligibility auth authorization case employment marital student account "
                               "referral cert certification poc plan care"),
    ),
    "void_flag": (
        _rule("void voided deleted reversed", unless="date by reason user"),
    ),
    "revenue_code": (  # a hospital's UB-04 revenue code (0420): names the line's therapy
        _rule("rev revenue", "code cd codes", unless="description desc amount amt total"),
        _rule("ub", "rev revenue"),
    ),
    "provider_npi": (
        _rule("npi", unless="referring ordering supervising billing facility group org organization"),
    ),
    "provider_name": (
        _rule("rendering provider prov therapist clinician practitioner",
              unless="npi id type credential credentials cred role title level referring ordering supervising "
                     "billing facility group taxonomy specialty number no"),
    ),
}
_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")


def header_words(header: object) -> frozenset[str]:
    """The words of a header, lower case: `TxMinutes (min)` -> tx, minutes, min; `#` counts as `number`."""
    return frozenset(word.lower() for word in _WORD.findall(str(header).replace("#", " number ")))


def fields_by_words(header: object) -> list[str]:
    """The fields whose word rules the header satisfies (more than one: the header is unclear)."""
    words = header_words(header)
    return [name for name, rules in WORD_RULES.items()
            if any(words.isdisjoint(unless) and all(not words.isdisjoint(g) for g in groups)
                   for groups, unless in rules)]
