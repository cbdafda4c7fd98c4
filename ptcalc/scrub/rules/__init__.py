"""The rule catalogue: importing the family modules registers every rule in REGISTRY."""
from . import aut, cov, dat, mod, mue, poc, prv, ptp, tel, unt  # noqa: F401 - registers the rules
from .base import REGISTRY, Rule

FAMILIES = ("DAT", "UNT", "MOD", "PTP", "MUE", "COV", "PRV", "POC", "TEL", "AUT")


def all_rules() -> list[Rule]:
    """Every rule, in catalogue order (family, then number)."""
    return sorted(REGISTRY.values(), key=lambda r: (FAMILIES.index(r.id[:3]), r.id))


__all__ = ["FAMILIES", "REGISTRY", "Rule", "all_rules"]
