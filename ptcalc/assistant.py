"""Which units of a service need CQ/CO: the assistant's share judged per 15-minute unit.

Medicare pays a therapy service furnished "in whole or in part" by a PTA/OTA at 85% and wants
CQ (PT) / CO (OT) on it (SSA §1834(v)). The CY 2020 rule applies a 10% de minimis standard to
each unit of a timed code (and to the whole of an untimed one); the CY 2022 rule decides the
final unit(s) (facts §1.7; CMS "Billing Examples Using CQ/CO Modifiers"):

- a full 15 minutes furnished by the assistant alone is a CQ unit; by the therapist alone, not;
- the last unit, made of the minutes left over: billed without CQ when the therapist furnished
  at least 8 of them (the midpoint) on their own, with CQ when the therapist furnished fewer and
  the assistant's minutes are more than 10% of that unit; where the assistant furnished as many
  minutes as the therapist or more, secondary sources read the rule both ways, so either billing
  is accepted (never a false alarm);
- two units left, each furnished 9-14 minutes by each: one unit with CQ, one without.

CMS Scenario 1: PTA 23 + PT 13 minutes of 97110 (2 units): the PTA's full 15 minutes make one CQ
unit; the last unit (PT 13, PTA 8) goes without CQ.
"""
from __future__ import annotations

from dataclasses import dataclass

UNIT_MINUTES = 15
MIDPOINT = 8


@dataclass(frozen=True, slots=True)
class AssistantUnits:
    """How many of a service's units must carry CQ/CO (a range where the rule allows either)."""

    units: int
    cq_min: int
    cq_max: int
    reason: str

    def accepts(self, cq_units: int) -> bool:
        return self.cq_min <= cq_units <= self.cq_max

    def split(self) -> str:
        """'1 unit without CQ and 1 unit with CQ', the billing the rule asks for (the minimum)."""
        plain, assisted = self.units - self.cq_min, self.cq_min
        parts = []
        if plain:
            parts.append(f"{plain} unit{'s' if plain != 1 else ''} without")
        if assisted:
            parts.append(f"{assisted} unit{'s' if assisted != 1 else ''} with")
        return " and ".join(parts)


def _minutes(value: float) -> str:
    return f"{value:g} min"


def assistant_units(units: int, total_minutes: float, assistant_minutes: float, *, timed: bool,
                    de_minimis: float = 0.10, supported_units: int | None = None) -> AssistantUnits:
    """The CQ/CO units of `units` billed units of one code on one visit.

    `total_minutes` are all minutes of the code that day, `assistant_minutes` those the assistant
    furnished on their own (time spent together counts as the therapist's). `supported_units` is
    what the minutes support for the code (the visit's 8-minute-rule allocation); billing fewer
    units leaves room to bill the therapist's, billing more adds units either way.
    """
    assistant = max(0.0, min(assistant_minutes, total_minutes))
    therapist = total_minutes - assistant
    if units <= 0:
        return AssistantUnits(units, 0, 0, "no units billed")
    if assistant <= 0:
        return AssistantUnits(units, 0, 0, "the therapist furnished all of it")
    if not timed:
        share = assistant / total_minutes if total_minutes else 1.0
        if share <= de_minimis:
            return AssistantUnits(units, 0, 0, f"the assistant's {_minutes(assistant)} of {_minutes(total_minutes)} "
                                  f"is within the {de_minimis:.0%} de minimis")
        return AssistantUnits(units, units, units, f"the assistant furnished {share:.0%} of the service")
    supported = units if supported_units is None else supported_units
    a_full, a_left = divmod(assistant, UNIT_MINUTES)
    t_full, t_left = divmod(therapist, UNIT_MINUTES)
    a_full, t_full = int(a_full), int(t_full)
    reasons = []
    if a_full:
        reasons.append(f"the assistant alone furnished {a_full} full 15-minute unit{'s' if a_full != 1 else ''}")
    if t_full:
        reasons.append(f"the therapist alone furnished {t_full} full unit{'s' if t_full != 1 else ''}")
    remaining = supported - a_full - t_full
    low = high = 0
    if remaining > 0:
        left = f"the minutes left over (therapist {_minutes(t_left)}, assistant {_minutes(a_left)})"
        if a_left <= de_minimis * (a_left + t_left):
            reasons.append(f"{left}: the assistant's share is within the {de_minimis:.0%} de minimis, no CQ")
        elif remaining == 1:
            if t_left >= MIDPOINT and a_left < t_left:
                reasons.append(f"{left}: the therapist's {MIDPOINT}+ minutes bill the last unit without CQ")
            elif t_left >= MIDPOINT:
                high = 1
                reasons.append(f"{left}: the therapist furnished {MIDPOINT}+ minutes but the assistant as many or "
                               "more; the last unit may be billed either way")
            else:
                low = high = 1
                reasons.append(f"{left}: the therapist furnished fewer than {MIDPOINT}, so the last unit takes CQ")
        else:
            therapist_unit = 1 if t_left >= MIDPOINT else 0
            high = remaining - therapist_unit
            low = high if a_left >= MIDPOINT else max(0, high - 1)
            reasons.append(f"{left} make {remaining} units: {therapist_unit} without CQ, {high} with")
    cq_min, cq_max = a_full + low, a_full + high
    if units < supported:  # fewer units billed than supported: the therapist's units may be the ones billed
        therapist_possible = t_full + (1 if t_left >= MIDPOINT else 0)
        cq_min = max(0, min(cq_min, units - therapist_possible))
    elif units > supported:
        cq_max += units - supported
    cq_min, cq_max = min(cq_min, units), min(cq_max, units)
    return AssistantUnits(units, cq_min, cq_max, "; ".join(reasons) or "no unit is the assistant's")
