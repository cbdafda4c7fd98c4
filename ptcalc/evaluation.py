"""PT evaluation tier (97161 / 97162 / 97163): the lowest tier any component supports.

CPT requires every component to meet a level; the code is set by the weakest one
(facts §7.1). Medicare pays the three the same, so the tier is an audit question.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .errors import PtcalcInputError
from .values import describe, is_blank, parse_count

TIERS = ("low", "moderate", "high")
PT_EVALUATION_CODES = {"low": "97161", "moderate": "97162", "high": "97163"}
PRESENTATIONS = {"stable": "low", "evolving": "moderate", "unstable": "high",
                 "low": "low", "moderate": "moderate", "high": "high"}


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


def _tier_word(value: Any, field: str, words: dict[str, str]) -> str:
    text = str(value).strip().lower() if isinstance(value, str) else None
    if text not in words:
        raise PtcalcInputError(f"{field}: {describe(value)} is not one of {', '.join(words)}")
    return words[text]


def evaluation_tier(comorbidities: Any, exam_elements: Any, presentation: Any,
                    decision: Any = None) -> EvaluationTier:
    components = {
        "history": comorbidity_tier(parse_count(comorbidities, "comorbidities", minimum=0)),
        "examination": exam_tier(parse_count(exam_elements, "exam_elements", minimum=1)),
        "presentation": _tier_word(presentation, "presentation", PRESENTATIONS),
    }
    if not is_blank(decision):
        components["decision making"] = _tier_word(decision, "decision", {t: t for t in TIERS})
    tier = min(components.values(), key=TIERS.index)
    return EvaluationTier(PT_EVALUATION_CODES[tier], tier, components)
