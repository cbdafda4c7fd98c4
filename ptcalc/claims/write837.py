"""A small ANSI X12 837P (005010X222A1) writer for synthetic claims: tests, samples and the bench.

It writes what a practice-management system sends for outpatient therapy: one billing provider,
one claim (2300) per patient and date, one service line (2400) per charge line with the code and
modifiers (SV101), charge (SV102), units (SV104), place of service (SV105) and date (DTP*472), the
payer (2010BB) with its claim filing indicator (SBR09), the rendering provider's NPI and taxonomy
(2310B), a line control number (REF*6R, echoed by the 835), and the minutes in a line note (NTE*ADD `MIN=30 PTA=10`): the 837 has no minutes field.
Synthetic patients only; never real data.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date

FILING = {"medicare": "MB", "medicare_advantage": "16", "medicaid": "MC", "workers_comp": "WC",
          "commercial": "CI", "self_pay": "ZZ"}
TAXONOMY = {"PT": "225100000X", "PTA": "225200000X", "OT": "225X00000X", "OTA": "224Z00000X",
            "SLP": "235Z00000X"}
PROVIDER_NPI = {"PT": "1234567893", "PTA": "1245319599", "OT": "1111111112", "OTA": "1222222220",
                "SLP": "1333333338"}


def _date(value: object) -> str:
    day = value if isinstance(value, date) else date.fromisoformat(str(value))
    return day.strftime("%Y%m%d")


def line_control(claim_id: str, number: int) -> str:
    """The line item control number (REF*6R) an 835 echoes back for the line."""
    return f"{claim_id}.{number}"[:50]


def write_837(lines: Iterable[dict], control: int = 1, when: date = date(2026, 3, 9)) -> str:
    """An 837P interchange holding `lines` (dicts with the charge-sheet fields), one claim per
    claim_id (or patient and date). Segments end with `~` and a newline."""
    claims: dict[str, list[dict]] = {}
    for line in lines:
        key = str(line.get("claim_id") or f"{line['patient_id']}-{_date(line['dos'])}")
        claims.setdefault(key, []).append(line)
    segments = [
        f"ISA*00*          *00*          *ZZ*PTCALCSUBMIT   *ZZ*PTCALCRECEIVE  *{when:%y%m%d}*1200*^*00501*"
        f"{control:09d}*0*T*:",
        f"GS*HC*PTCALCSUBMIT*PTCALCRECEIVE*{when:%Y%m%d}*1200*{control}*X*005010X222A1",
        "ST*837*0001*005010X222A1",
        f"BHT*0019*00*PTC{control:06d}*{when:%Y%m%d}*1200*CH",
        "NM1*41*2*SYNTHETIC THERAPY CLINIC*****46*SUBMIT01",
        "PER*IC*BILLING OFFICE*TE*5555550100",
        "NM1*40*2*SYNTHETIC PAYER HUB*****46*RECEIVE01",
        "HL*1**20*1",
        "NM1*85*2*SYNTHETIC THERAPY CLINIC*****XX*1497758544",
        "N3*100 MAIN ST",
        "N4*SPRINGFIELD*IL*627010000",
        "REF*EI*123456789",
    ]
    hl = 1
    for claim_id, claim_lines in claims.items():
        first = claim_lines[0]
        hl += 1
        payer_type = str(first.get("payer_type") or "medicare")
        segments += [
            f"HL*{hl}*1*22*0",
            f"SBR*P*18*******{FILING.get(payer_type, 'CI')}",
            f"NM1*IL*1*SYNTHETIC*PATIENT****MI*{first['patient_id']}",
            "N3*1 TEST LANE",
            "N4*SPRINGFIELD*IL*627010000",
            "DMG*D8*19500101*U",
            f"NM1*PR*2*{str(first.get('payer') or payer_type.upper()).upper()[:60]}*****PI*PAYER01",
            f"CLM*{claim_id}*{sum(float(l.get('charge') or 0) for l in claim_lines):.2f}***"
            f"{first.get('pos') or '11'}:B:1*Y*A*Y*Y",
            "HI*ABK:M5450",
        ]
        provider = str(first.get("provider_type") or "PT")
        segments += [f"NM1*82*1*THERAPIST*SYNTHETIC****XX*{PROVIDER_NPI.get(provider, PROVIDER_NPI['PT'])}",
                     f"PRV*PE*PXC*{TAXONOMY.get(provider, TAXONOMY['PT'])}"]
        for number, line in enumerate(claim_lines, start=1):
            modifiers = [m for m in str(line.get("modifiers") or "").replace(",", " ").split() if m][:4]
            procedure = ":".join(["HC", str(line["cpt"])] + modifiers)
            segments += [f"LX*{number}",
                         f"SV1*{procedure}*{float(line.get('charge') or 0):.2f}*UN*{line['units']}*"
                         f"{line.get('pos') or ''}**1",
                         f"DTP*472*D8*{_date(line['dos'])}",
                         f"REF*6R*{line_control(claim_id, number)}"]
            note = " ".join(f"{label}={line[key]}" for label, key in (("MIN", "minutes"), ("PTA", "pta_minutes"))
                            if line.get(key) not in (None, ""))
            if note:
                segments.append(f"NTE*ADD*{note}")
    count = len(segments) - 2 + 1  # ST through SE
    segments += [f"SE*{count}*0001", f"GE*1*{control}", f"IEA*1*{control:09d}"]
    return "~\n".join(segments) + "~\n"
