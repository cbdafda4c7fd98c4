"""`ptcalc demo`: the engine on a sample visit (the scrub of a sample sheet comes with the scrub)."""
from __future__ import annotations

from pathlib import Path

from .evaluation import evaluation_tier
from .fees import visit_fee
from .kx import kx_status
from .units import allocate_units


def run_demo(directory: Path) -> int:
    codes = ["97162", "97110", "97140", "97530"]
    minutes = [30, 24, 10, 14]
    allocation = allocate_units(minutes, codes, "CMS")
    tier = evaluation_tier(2, 3, "evolving")
    fee = visit_fee(codes, allocation.units, "national", "2026-03-02", ["GP", "GP", "GP 59", "GP"])
    print("Sample visit, synthetic patient P001, 2026-03-02 (Medicare, national rates)")
    print(f"  Units  {allocation.explain()}")
    print(f"  Eval   {tier.explain()}")
    print(f"  Fee    {fee.explain()}")
    print(f"  KX     {kx_status(2310, fee.total, '2026-03-02', 'PT').message}")
    return 0
