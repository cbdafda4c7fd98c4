"""PT evaluation tier (97161 / 97162 / 97163): the lowest tier any component supports.

CPT requires every component to meet a level; the code is set by the weakest one
(facts §7.1). Medicare pays the three the same, so the tier is an audit question.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .errors import PtcalcInputError
from .values import describe, is_blank, parse_count

TIERS = ("low", "moderate", "high")
PT_EVALUATION_CODES = {"low": "97161", "moderate": "97162", "high": "97163"}
# A tier's word, and as EMR drop-downs abbreviate it (`Low / Mod / High`, `Medium`)
ABBREVIATIONS = {"mod": "moderate", "medium": "moderate", "med": "moderate"}
TIER_WORDS = {**{tier: tier for tier in TIERS}, **ABBREVIATIONS}
PRESENTATIONS = {"stable": "low", "evolving": "moderate", "unstable": "high", **TIER_WORDS}


@dataclass(frozen=True)
class EvaluationTier:
    code: str
    tier: str
    components: dict[str, str]  # component -> the tier it supports

    @property
    def limiting(self) -> list[str]:
        return [name for name, tier in self.components.items() if tier == self.tier]

    def explain(self) -> str:
        parts = ", ".join(f"{name} {tier}" for name, tier in self.components.items())
        return f"{self.code} ({self.tier} complexity): {parts}; the lowest sets the code ({', '.join(self.limiting)})."


def comorbidity_tier(count: int) -> str:
    return "low" if count == 0 else "moderate" if count <= 2 else "high"


def exam_tier(count: int) -> str:
    return "low" if count <= 2 else "moderate" if count == 3 else "high"


# The CPT descriptors' own words for the clinical presentation, most severe first ("unstable" holds "stable").
PRESENTATION_PHRASES = (("unstable", "high"), ("unpredictable", "high"), ("evolving", "moderate"),
                        ("changing", "moderate"), ("stable", "low"), ("uncomplicated", "low"))
_RANGE = re.compile(r"^(\d+)\s*(?:-|–|to)\s*(\d+)$")
_NEGATION = frozenset({"not", "no", "non", "never"})
_OR_MORE = re.compile(r"^(\d+)\s*(?:\+|or more|and more|or greater)$")
_WORD_BREAKS = re.compile(r"[\s/,;&-]+")


def _tier_word(value: Any, field: str, words: dict[str, str], phrases: tuple[tuple[str, str], ...] = ()) -> str:
    """A tier from its word (`Low`, `moderate complexity`) or, for the presentation, the descriptor's
    phrase (`evolving clinical presentation with changing characteristics`)."""
    # Words apart however a note joins them: `unstable/unpredictable`, `moderate-complexity`
    text = " ".join(_WORD_BREAKS.split(str(value).lower())).strip().removesuffix(" complexity") \
        if isinstance(value, str) else None
    if text in words:
        return words[text]
    said = set(text.split()) if text else set()
    found = None if said & _NEGATION else next((tier for phrase, tier in phrases if phrase in said), None)
    if found is None:
        raise PtcalcInputError(f"{field}: {describe(value)} is not one of "
                               f"{', '.join(word for word in words if word not in ABBREVIATIONS)}")
    return found


def _count_as_written(value: Any, field: str, minimum: int, tier_of: Callable[[int], str]) -> int:
    """A count, or the descriptors' ranges as notes write them: `none` 0, `1-2` 1, `3 or more` / `3+` 3
    (the lower bound); a range that spans two tiers (`0-2` comorbidities) is refused."""
    if isinstance(value, str):
        text = " ".join(value.lower().split())
        if text in ("none", "no", "zero"):
            value = "0"
        elif found := _RANGE.match(text):
            low, high = int(found.group(1)), int(found.group(2))
            if low > high or tier_of(low) != tier_of(high):
                raise PtcalcInputError(f"{field}: {describe(value)} spans more than one tier; give the count")
            value = str(low)
        elif found := _OR_MORE.match(text):
            value = found.group(1)
    return parse_count(value, field, minimum=minimum)


def evaluation_tier(comorbidities: Any, exam_elements: Any, presentation: Any,
                    decision: Any = None) -> EvaluationTier:
    components = {
        "history": comorbidity_tier(_count_as_written(comorbidities, "comorbidities", 0, comorbidity_tier)),
        "examination": exam_tier(_count_as_written(exam_elements, "exam_elements", 1, exam_tier)),
        "presentation": _tier_word(presentation, "presentation", PRESENTATIONS, PRESENTATION_PHRASES),
    }
    if not is_blank(decision):
        components["decision making"] = _tier_word(decision, "decision", TIER_WORDS)
    tier = min(components.values(), key=TIERS.index)
    return EvaluationTier(PT_EVALUATION_CODES[tier], tier, components)
