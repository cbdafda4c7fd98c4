"""Synthetic charge sheets: a small outpatient clinic's visits, with the common billing mistakes.

Used by `ptcalc demo` (one week, every mistake kind a few times) and `ptcalc bench` (any number
of lines, a few percent of visits with a mistake). All patients are synthetic; the lines are
built correct with the engine (units by the payer's method) and then some are broken on purpose.
"""
from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date, timedelta

from .refdata import load_reference
from .units import allocate_units

HEADER = ("patient_id", "dos", "cpt", "modifiers", "units", "minutes", "payer_type", "payer", "provider_type",
          "pta_minutes", "pos", "charge", "poc_start", "poc_certified", "progress_report", "ytd_prior", "locality")
LOCALITY = "13282-99"  # Rest of New York
PAYERS = (("medicare", "Medicare Part B", 50), ("medicare_advantage", "Humana Medicare Advantage", 12),
          ("commercial", "Aetna", 8), ("commercial", "Blue Cross Blue Shield", 10), ("commercial", "UnitedHealthcare", 6),
          ("medicaid", "State Medicaid", 8), ("workers_comp", "State Insurance Fund", 4), ("self_pay", "", 2))
TIMED = ("97110", "97112", "97116", "97140", "97530", "97535", "97035", "97033")
CHARGES = {"97161": 160.0, "97162": 160.0, "97163": 160.0, "97164": 110.0, "97110": 55.0, "97112": 58.0,
           "97116": 55.0, "97140": 52.0, "97530": 60.0, "97535": 55.0, "97035": 30.0, "97033": 35.0,
           "97750": 60.0, "G0283": 25.0, "97014": 25.0, "97012": 28.0, "97165": 160.0, "97166": 160.0}
# NCCI pairs a careful biller bypasses with 59 when the services were distinct (column 1, column 2).
GROUP_EDITED = ("97110", "97112", "97116", "97140", "97530", "97535")  # NCCI column 2 of group therapy 97150
MISTAKES = ("missing_gp", "units_over", "e_stim_97014", "pta_without_cq", "pair_without_59", "typo_code",
            "text_minutes", "duplicate", "test_with_eval", "eval_two_units", "units_under", "telehealth_no_95",
            "wrong_discipline", "blank_units")


class _Clinic:
    def __init__(self, seed: int, start: date) -> None:
        self.random = random.Random(seed)
        self.start = start
        self.patients: list[dict] = []

    def patient(self, number: int) -> dict:
        rnd = self.random
        payer_type, payer, _ = rnd.choices(PAYERS, weights=[w for *_, w in PAYERS])[0]
        poc_start = self.start - timedelta(days=rnd.randint(0, 70))
        return {
            "id": f"P{number:05d}", "payer_type": payer_type, "payer": payer, "poc_start": poc_start,
            "poc_certified": poc_start + timedelta(days=rnd.randint(2, 20)),
            "progress_report": poc_start + timedelta(days=rnd.randint(0, 20)) if rnd.random() < 0.6 else None,
            # Some start the week just under the KX threshold and cross it; KX is only added for those already over.
            "ytd_prior": round(rnd.choice((0, 0, 400, 900, 1500, 2100, 2380, 2430, 2600)) + rnd.random() * 50, 2)
            if payer_type == "medicare" else None,
            "discipline": "OT" if rnd.random() < 0.15 else "PT", "evaluated": poc_start < self.start,
        }


def needs_bypass(first: str, second: str, day: date) -> bool:
    """An NCCI edit in force makes `second` column 2 of `first`, bypassable with 59 (indicator 1)."""
    return any(p.column2 == second and p.modifier_indicator == 1 and p.in_force(day)
               for p in load_reference().ptp.by_column1.get(first, ()))


def _visit_lines(clinic: _Clinic, patient: dict, day: date) -> list[dict]:
    rnd = clinic.random
    method = "CMS" if patient["payer_type"] in ("medicare", "medicare_advantage", "medicaid") else "AMA"
    discipline = patient["discipline"]
    modifier = "GO" if discipline == "OT" else "GP"
    codes, minutes = [], []
    if not patient["evaluated"]:
        codes.append(rnd.choice(("97165", "97166")) if discipline == "OT" else rnd.choice(("97161", "97162", "97163")))
        minutes.append(rnd.choice((30, 40, 45)))
        patient["evaluated"] = True
    for code in rnd.sample(TIMED[:6] if discipline == "PT" else ("97530", "97535", "97110"), rnd.randint(1, 3)):
        codes.append(code)
        minutes.append(rnd.choice((8, 10, 12, 15, 18, 20, 23, 25, 30, 38)))
    units = allocate_units(minutes, codes, method).units
    assistant = discipline == "PT" and len(codes) > 1 and rnd.random() < 0.25
    lines = []
    for code, mins, unit in zip(codes, minutes, units):
        if unit == 0:
            continue
        is_eval = code in ("97161", "97162", "97163", "97165", "97166")
        by_assistant = assistant and not is_eval
        mods = [modifier] + (["CQ"] if by_assistant else [])
        if any(needs_bypass(other, code, day) for other in codes):
            mods.append("59")  # distinct services of an NCCI edit that allows the modifier
        if patient["ytd_prior"] is not None and patient["ytd_prior"] > 2480:
            mods.append("KX")
        lines.append({
            "patient_id": patient["id"], "dos": day.isoformat(), "cpt": code, "modifiers": " ".join(mods),
            "units": unit, "minutes": "" if is_eval else mins, "payer_type": patient["payer_type"],
            "payer": patient["payer"], "provider_type": ("PTA" if by_assistant else discipline),
            "pta_minutes": mins if by_assistant else "", "pos": "11", "charge": CHARGES.get(code, 50.0) * unit,
            "poc_start": patient["poc_start"].isoformat(), "poc_certified": patient["poc_certified"].isoformat(),
            "progress_report": patient["progress_report"].isoformat() if patient["progress_report"] else "",
            "ytd_prior": patient["ytd_prior"] if patient["ytd_prior"] is not None else "", "locality": LOCALITY,
        })
    return lines


def _break(lines: list[dict], kind: str, rnd: random.Random) -> list[dict]:
    """Put one mistake of `kind` into a visit's lines (returns the new lines)."""
    first, last = lines[0], lines[-1]
    if kind == "missing_gp":
        last["modifiers"] = " ".join(m for m in last["modifiers"].split() if m not in ("GP", "GO"))
    elif kind == "units_over" and isinstance(last["units"], int):  # (an earlier mistake may have blanked it)
        last["units"] += 1
    elif kind == "units_under" and isinstance(last["units"], int) and last["units"] > 1:
        last["units"] -= 1
    elif kind == "e_stim_97014":
        lines.append({**last, "cpt": "97014", "units": 1, "minutes": "", "charge": 25.0, "pta_minutes": ""})
    elif kind == "pta_without_cq":
        last.update(provider_type="PTA", pta_minutes=last["minutes"],
                    modifiers=" ".join(m for m in last["modifiers"].split() if m != "CQ"))
    elif kind == "pair_without_59":  # group therapy beside a one-on-one code: NCCI column 2 needs 59
        if not any(line["cpt"] in GROUP_EDITED for line in lines):
            lines.append({**last, "cpt": "97110", "units": 1, "minutes": 15, "charge": 55.0})
        lines.append({**last, "cpt": "97150", "units": 1, "minutes": "", "charge": 40.0, "pta_minutes": ""})
    elif kind == "typo_code":
        last["cpt"] = last["cpt"].replace("0", "O", 1) if "0" in last["cpt"] else last["cpt"][:-1]
    elif kind == "text_minutes":
        last["minutes"] = rnd.choice(("see note", "15:00", "?"))  # text that is not minutes (15:00: h:mm or mm:ss?)
    elif kind == "duplicate":
        lines.append(dict(last))
    elif kind == "test_with_eval":
        lines.append({**first, "cpt": "97750", "units": 1, "minutes": 15, "charge": 60.0})
    elif kind == "eval_two_units":
        lines.insert(0, {**first, "cpt": "97164", "units": 2, "minutes": "", "charge": 220.0})
    elif kind == "telehealth_no_95":
        for line in lines:
            line["pos"] = "02"
    elif kind == "wrong_discipline":
        last["modifiers"] = last["modifiers"].replace("GP", "GO") if "GP" in last["modifiers"] else "GN"
    elif kind == "blank_units":
        last["units"] = ""
    return lines


def charge_lines(count: int, seed: int = 20260302, start: date = date(2026, 3, 2), mistake_rate: float = 0.05,
                 every_mistake: bool = False, patients: int | None = None, until: date | None = None) -> Iterator[dict]:
    """`count` charge lines (fewer if `until` comes first) over working days from `start`, by date then patient.

    every_mistake: cycle through every mistake kind (the demo), else break `mistake_rate` of visits at random.
    patients: the clinic's case load (default: about `count` / 7, i.e. about a week of visits).
    """
    clinic = _Clinic(seed, start)
    rnd = clinic.random
    case_load = [clinic.patient(n) for n in range(1001, 1001 + (patients or max(8, count // 7)))]
    produced, day, visit_number = 0, start, 0
    while produced < count and (until is None or day <= until):
        if day.weekday() < 5:
            for patient in case_load:
                if rnd.random() > 0.45:
                    continue
                visit_number += 1
                kinds = []
                if every_mistake and visit_number % 2 == 0:
                    kinds = [MISTAKES[(visit_number // 2) % len(MISTAKES)]]
                elif not every_mistake:  # a rate above 1 puts several mistakes into every visit
                    whole = int(mistake_rate)
                    kinds = [rnd.choice(MISTAKES) for _ in range(whole + (rnd.random() < mistake_rate - whole))]
                lines = _visit_lines(clinic, patient, day)
                if not lines:
                    continue
                for kind in kinds:
                    lines = _break(lines, kind, rnd)
                for line in lines:
                    yield line
                    produced += 1
                    if produced >= count:
                        return
        day += timedelta(days=1)
