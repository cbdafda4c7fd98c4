"""A small ANSI X12 835 (005010X221A1) writer for synthetic remittances: tests and the backtest demo.

One claim payment (CLP) per claim, one service payment (SVC) per line with its date (DTM*472), the
line control number it was billed with (REF*6R) and its adjustments (CAS group*reason*amount): a
denied line is paid 0 with the whole charge adjusted by the denial's reason. Synthetic data only.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from .write837 import _date, line_control


def write_835(lines: Iterable[dict], denials: dict[tuple[str, int], tuple[str, str]], allowed: float = 0.8,
              control: int = 1, when: date = date(2026, 4, 1)) -> str:
    """An 835 for the claims of `lines` (as given to write_837). `denials` maps (claim id, line number)
    to (group, CARC), e.g. ("CO", "97"); every other line is paid `allowed` of its charge."""
    claims: dict[str, list[dict]] = {}
    for line in lines:
        key = str(line.get("claim_id") or f"{line['patient_id']}-{_date(line['dos'])}")
        claims.setdefault(key, []).append(line)
    body = []
    total = 0.0
    for claim_id, claim_lines in claims.items():
        charge = sum(float(l.get("charge") or 0) for l in claim_lines)
        paid_lines = []
        for number, line in enumerate(claim_lines, start=1):
            billed = float(line.get("charge") or 0)
            denial = denials.get((claim_id, number))
            paid = 0.0 if denial else round(billed * allowed, 2)
            paid_lines.append((number, line, billed, paid, denial))
        paid_total = round(sum(p for _, _, _, p, _ in paid_lines), 2)
        total += paid_total
        status = "4" if paid_total == 0 else "1"
        body += [f"CLP*{claim_id}*{status}*{charge:.2f}*{paid_total:.2f}**MB*PAYER{claim_id}"[:80],
                 f"NM1*QC*1*SYNTHETIC*PATIENT****MI*{claim_lines[0]['patient_id']}"]
        for number, line, billed, paid, denial in paid_lines:
            modifiers = [m for m in str(line.get("modifiers") or "").replace(",", " ").split() if m][:4]
            body += [f"SVC*{':'.join(['HC', str(line['cpt'])] + modifiers)}*{billed:.2f}*{paid:.2f}**{line['units']}",
                     f"DTM*472*{_date(line['dos'])}"]
            if denial:
                body.append(f"CAS*{denial[0]}*{denial[1]}*{billed:.2f}")
            elif billed > paid:
                body.append(f"CAS*CO*45*{billed - paid:.2f}")
            body.append(f"REF*6R*{line_control(claim_id, number)}")
    segments = [
        f"ISA*00*          *00*          *ZZ*PTCALCPAYER    *ZZ*PTCALCCLINIC   *{when:%y%m%d}*1200*^*00501*"
        f"{control:09d}*0*T*:",
        f"GS*HP*PTCALCPAYER*PTCALCCLINIC*{when:%Y%m%d}*1200*{control}*X*005010X221A1",
        "ST*835*0001",
        f"BPR*I*{total:.2f}*C*ACH*CCP*01*999999999*DA*123456*1512345678**01*999999999*DA*654321*{when:%Y%m%d}",
        f"TRN*1*PTC{control:08d}*1512345678",
        f"DTM*405*{when:%Y%m%d}",
        "N1*PR*SYNTHETIC PAYER",
        "N3*1 PAYER WAY",
        "N4*SPRINGFIELD*IL*627010000",
        "PER*BL*PAYER SUPPORT*TE*5555550199",
        "N1*PE*SYNTHETIC THERAPY CLINIC*XX*1497758544",
        "LX*1",
        *body,
    ]
    segments.append(f"SE*{len(segments) - 2 + 1}*0001")
    segments += [f"GE*1*{control}", f"IEA*1*{control:09d}"]
    return "~\n".join(segments) + "~\n"
