"""The PT_* worksheet functions: thin wrappers that turn cells into engine calls and back.

One module serves classic xlwings on Windows (`UDF Modules` = `udfs.pt_udfs` in the
`xlwings.conf` sheet, then "Import Functions") and xlwings Lite (same decorators). Bad input
raises ValueError naming the argument and the value: xlwings Lite shows #VALUE! with the message
on the cell's error tip; classic xlwings writes the message into the cell (its generated VBA
returns `Err.Description`). Argument names are valid VBA names (classic xlwings writes each
into a VBA `Function` line: `date` would not compile), checked by the tests.
"""
from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

from xlwings import arg, func

import ptcalc
from ptcalc.values import is_blank

from .shapes import clean_argument, column, flatten, is_range

CATEGORY = "PT Billing"


def excel_function(**docs: str) -> Callable[[Callable], Callable]:
    """Register as an xlwings function (classic and Lite) with a wizard description per argument.

    The same as stacking `@func` over one `@arg(name, doc=..., err_to_str=True)` per parameter;
    declaring the docs here lets the module refuse a function whose arguments are not all
    described. Every argument is cleaned first (`shapes.clean_argument`): an empty cell, None
    or Lite's `JsNull` is "not given", and an Excel error value (#N/A, which err_to_str hands
    over as text instead of a silent None) is refused naming the argument.
    """
    def decorate(function: Callable) -> Callable:
        params = list(inspect.signature(function).parameters)
        if set(params) != set(docs) or not function.__doc__:
            raise TypeError(f"{function.__name__}: describe every argument {params} and the function")

        @functools.wraps(function)
        def cleaned(*args: Any) -> Any:
            return function(*[clean_argument(value, name) for value, name in zip(args, params)])

        decorated: Callable = cleaned
        for name in reversed(params):
            decorated = arg(name, doc=docs[name], err_to_str=True)(decorated)
        decorated = func(category=CATEGORY)(decorated)
        decorated.argument_docs = {name: docs[name] for name in params}
        return decorated
    return decorate


@excel_function(
    minutes="Direct one-on-one minutes: a cell, or a column range aligned with codes. Empty = 0.",
    codes="Optional: the CPT/HCPCS code of each row (text or number, e.g. 97110).",
    method='"CMS" (Medicare 8-minute rule, default) or "AMA" (per-code rule).',
)
def PT_UNITS(minutes: Any, codes: Any = None, method: Any = "CMS") -> Any:
    """Billable 15-minute units for one patient on one date of service (CMS 8-minute rule or AMA)."""
    if is_blank(codes) and not is_range(codes):
        return ptcalc.total_units(flatten(minutes), method)
    allocation = ptcalc.allocate_units(flatten(minutes), flatten(codes), method)
    if not is_range(minutes) and not is_range(codes):
        return allocation.units[0]
    return column(allocation.units)


@excel_function(
    minutes="Direct one-on-one minutes of each service, aligned with codes.",
    codes="The CPT/HCPCS code of each row.",
    method='"CMS" (default) or "AMA".',
)
def PT_UNITS_EXPLAIN(minutes: Any, codes: Any, method: Any = "CMS") -> str:
    """In words: how the visit's minutes become units, and which code got which unit and why."""
    return ptcalc.allocate_units(flatten(minutes), flatten(codes), method).explain()


@excel_function(
    comorbidities="Personal factors and/or comorbidities affecting the plan of care: a count, or none, 1-2, 3+.",
    exam_elements="Elements examined (body structures/functions, activity limitations, "
                  "participation restrictions): 1-2, 3, 4+.",
    presentation='"stable", "evolving" or "unstable" (or low/moderate/high, or the descriptor\'s words).',
    decision='Optional clinical decision making: "low", "moderate" or "high".',
)
def PT_EVAL_TIER(comorbidities: Any, exam_elements: Any, presentation: Any, decision: Any = None) -> str:
    """The PT evaluation code (97161/97162/97163) the documentation supports: the lowest tier any part meets."""
    return ptcalc.evaluation_tier(comorbidities, exam_elements, presentation, decision).code


def _visit_fee(codes: Any, units: Any, locality: Any, service_date: Any, modifiers: Any) -> ptcalc.VisitFee:
    code_cells = flatten(codes)
    unit_cells = None if is_blank(units) and not is_range(units) else flatten(units)
    modifier_cells = flatten(modifiers) if is_range(modifiers) else modifiers
    return ptcalc.visit_fee(code_cells, unit_cells, locality, service_date, modifier_cells)


@excel_function(
    codes="One code, or the codes of one patient's visit (a range).",
    units="Units of each code (number or aligned range); default 1.",
    locality='"national" (default) or a Medicare locality: MAC-LL ("13202-01") or its name ("Manhattan").',
    service_date="Date of service, or a year such as 2026; default: the latest year in the reference data.",
    modifiers="Modifiers (text or aligned range); CQ/CO lines are paid at 85%.",
)
def PT_FEE(codes: Any, units: Any = None, locality: Any = "national", service_date: Any = None,
           modifiers: Any = None) -> float:
    """Medicare PFS allowed amount (non-facility) for one patient's services on one date, with the therapy MPPR."""
    return float(_visit_fee(codes, units, locality, service_date, modifiers).total)


@excel_function(
    codes="The codes of one patient's visit.",
    units="Units of each code; default 1.",
    locality='"national" (default), MAC-LL or the locality\'s name.',
    service_date="Date of service or year.",
    modifiers="Modifiers (text or aligned range).",
)
def PT_FEE_EXPLAIN(codes: Any, units: Any = None, locality: Any = "national", service_date: Any = None,
                   modifiers: Any = None) -> str:
    """In words: each line's unit prices, which unit was paid in full under the MPPR, and the data used."""
    return _visit_fee(codes, units, locality, service_date, modifiers).explain()


@excel_function(
    ytd_allowed="Allowed dollars already incurred this calendar year in the bucket.",
    visit_allowed="Allowed dollars of the visit being billed (default 0).",
    service_date="Date of service or year; default: the latest year in the reference data.",
    discipline='"PT" (default) or "SLP" share one bucket; "OT" has its own (also GP/GN/GO, the words, or a '
               'credential: DPT, OTR/L).',
)
def PT_KX_CHECK(ytd_allowed: Any, visit_allowed: Any = 0, service_date: Any = None, discipline: Any = "PT") -> str:
    """Where the patient stands against the Medicare KX threshold: OK, APPROACHING, KX or KX+REVIEW, with the figures."""
    return ptcalc.kx_status(ytd_allowed, visit_allowed, service_date, discipline).message


UDFS = {f.__name__: f for f in (PT_UNITS, PT_UNITS_EXPLAIN, PT_EVAL_TIER, PT_FEE, PT_FEE_EXPLAIN, PT_KX_CHECK)}
