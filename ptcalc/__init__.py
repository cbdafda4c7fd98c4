"""ptcalc: a billing engine for US outpatient physical therapy.

The engine is pure Python over plain values; Excel (`udfs`), files and the command line are
adapters around these functions.
"""
from .errors import PtcalcInputError, ReferenceDataError
from .evaluation import EvaluationTier, evaluation_tier
from .fees import VisitFee, VisitPricer, visit_fee
from .kx import KxStatus, kx_status
from .refdata import Reference, load_reference
from .units import UnitAllocation, allocate_units, total_units, units_for_minutes

__version__ = "0.1.0"


def main() -> None:
    """xlwings' *Run main* button, and the SampleCall macro, of `ptcalc.xlsm`: scrub the open workbook.

    xlwings runs `import <workbook name>; <workbook name>.main()`; the Excel layer is imported
    only then, so the engine itself never imports xlwings.
    """
    from udfs.macros import pt_scrub_runpython

    pt_scrub_runpython()

__all__ = [
    "EvaluationTier", "KxStatus", "PtcalcInputError", "Reference", "ReferenceDataError", "UnitAllocation",
    "VisitFee", "VisitPricer", "allocate_units", "evaluation_tier", "kx_status", "load_reference",
    "total_units", "units_for_minutes", "visit_fee",
]
