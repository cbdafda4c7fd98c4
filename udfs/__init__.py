"""ptcalc's Excel layer: the PT_* worksheet functions (and, in `udfs.macros`, the scrub macro)."""
from .pt_udfs import PT_EVAL_TIER, PT_FEE, PT_FEE_EXPLAIN, PT_KX_CHECK, PT_UNITS, PT_UNITS_EXPLAIN, UDFS

__all__ = ["PT_EVAL_TIER", "PT_FEE", "PT_FEE_EXPLAIN", "PT_KX_CHECK", "PT_UNITS", "PT_UNITS_EXPLAIN", "UDFS"]
