"""The shape of every reference table, and the check that reports `file:line: field: problem`.

A table file is a mapping with `table: <kind>` plus metadata and one or more lists of rows.
Each kind below lists its metadata fields and, per list, its row fields. Unknown fields are
errors, so a typo in a hand edit is caught instead of silently ignored.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from ..errors import ReferenceDataError
from .yamlio import Located

CODE_PATTERN = re.compile(r"^(?:\d{5}|[A-Z]\d{4}|\d{4}[A-Z])$")
LOCALITY_PATTERN = re.compile(r"^\d{5}-\d{2}$")
SEVERITIES = ("error", "warning", "info")
CONFIDENCE = ("high", "medium", "low")


@dataclass(frozen=True)
class Field:
    kind: str  # str, code, locality, int, number, bool, date, enum, list, codes, mapping, severity_map, rows
    required: bool = True
    nullable: bool = False
    choices: tuple = ()
    minimum: float | None = None
    row_schema: str | None = None  # for kind "rows" nested inside a row (payer overrides)


def _f(kind: str, **kw: Any) -> Field:
    return Field(kind, **kw)


OPTIONAL = {"required": False}
SOURCE = _f("str")
EFFECTIVE = {"effective_from": _f("date"), "effective_to": _f("date", nullable=True)}
TABLE_META = {"table": _f("str"), "title": _f("str"), "source": SOURCE, **EFFECTIVE}

ROWS: dict[str, dict[str, Field]] = {
    "codes": {
        "code": _f("code"),
        "label": _f("str"),
        "timing": _f("enum", choices=("timed", "untimed", "other")),
        "discipline": _f("enum", choices=("PT", "OT", "SLP", "AT", "therapy")),
        "family": _f("enum", choices=(
            "evaluation", "re_evaluation", "procedure", "modality_supervised",
            "modality_attended", "group", "test", "orthotic_prosthetic", "cognitive",
            "caregiver_training", "work_hardening", "remote_monitoring", "wound", "unlisted",
            "dry_needling", "strapping", "communication_technology")),
        "source": _f("str", **OPTIONAL),
    },
    "fee_schedule": {
        "code": _f("code"),
        "status": _f("enum", choices=tuple("ABCDEFGHIJKLMNPQRSTVX")),
        "not_for_payment": _f("bool"),
        "work": _f("number", minimum=0),
        "pe_nonfacility": _f("number", minimum=0),
        "pe_facility": _f("number", minimum=0),
        "mp": _f("number", minimum=0),
        "mult_proc": _f("int", minimum=0),
        "pctc": _f("str"),
    },
    "conversion_factors": {
        "effective_from": _f("date"),
        "effective_to": _f("date"),
        "amount": _f("number", minimum=0),
        "track": _f("enum", choices=("standard", "non_qp", "qp")),
        "source": SOURCE,
        "confidence": _f("enum", choices=CONFIDENCE),
    },
    "gpci": {
        "locality": _f("locality"),
        "state": _f("str"),
        "name": _f("str"),
        "work": _f("number", minimum=0),
        "pe": _f("number", minimum=0),
        "mp": _f("number", minimum=0),
        "work_unfloored": _f("number", minimum=0, **OPTIONAL),
    },
    "kx": {
        "year": _f("int", minimum=2018),
        "pt_slp": _f("number", minimum=0),
        "ot": _f("number", minimum=0),
        "source": SOURCE,
        "confidence": _f("enum", choices=CONFIDENCE),
    },
    "review": {
        "from_year": _f("int", minimum=2018),
        "to_year": _f("int", minimum=2018),
        "amount": _f("number", minimum=0),
        "source": SOURCE,
    },
    "mue": {
        "code": _f("code"),
        "units": _f("int", minimum=0),
        "mai": _f("enum", choices=(1, 2, 3)),
        "rationale": _f("str"),
    },
    "ptp": {
        "column1": _f("code"),
        "column2": _f("code"),
        "modifier_indicator": _f("enum", choices=(0, 1, 9)),
        # Absent: in force from the start (the CSV extract has no effective dates).
        "effective_from": _f("date", nullable=True, **OPTIONAL),
        # The last day the edit was in force (CMS's deletion date); null: in force.
        "deleted": _f("date", nullable=True),
        "rationale": _f("str", **OPTIONAL),
        # Absent: the table's source, high confidence (a CMS file).
        "source": _f("str", **OPTIONAL),
        "confidence": _f("enum", choices=CONFIDENCE, **OPTIONAL),
        "note": _f("str", **OPTIONAL),
    },
    "modifiers": {
        "modifier": _f("str"),
        "meaning": _f("str"),
        "kind": _f("enum", choices=(
            "discipline", "assistant", "threshold", "ncci_bypass", "telehealth", "liability", "other")),
        "discipline": _f("enum", choices=("PT", "OT", "SLP"), **OPTIONAL),
        "source": SOURCE,
    },
    "payers": {
        "profile": _f("str"),
        "label": _f("str"),
        "payer_types": _f("list"),
        "payer_names": _f("list", **OPTIONAL),
        "follows_cms": _f("bool"),
        "unit_method": _f("enum", choices=("CMS", "AMA")),
        "discipline_modifier_required": _f("bool"),
        "kx_applies": _f("bool"),
        "assistant_modifiers_apply": _f("bool"),
        "ncci_applies": _f("bool"),
        "mue_applies": _f("bool"),
        "plan_of_care_rules": _f("bool"),
        "telehealth_requires_95": _f("bool"),
        "prefer_x_modifiers": _f("bool"),
        # Which conversion factor prices this payer's lines: non_qp (default), or qp for a Qualifying APM
        # Participant (2026: 33.5675 vs 33.4009).
        "conversion_factor_track": _f("enum", choices=("non_qp", "qp"), **OPTIONAL),
        "noncovered_statuses": _f("list"),
        "bundled_statuses": _f("list"),
        "code_replacements": _f("rows", row_schema="code_replacement"),
        # Codes with a paid PFS status that this payer does not cover from a therapist (a coverage decision)
        "noncovered_codes": _f("rows", row_schema="noncovered_code", **OPTIONAL),
        # Therapy to a facility's patient is billed by the facility alone (Traditional Medicare): a SNF resident in a
        # Part A stay (consolidated billing, COV005), a hospital's outpatient or inpatient (PFS PCTC 7, COV006)
        "facility_bills_therapy": _f("bool", **OPTIONAL),
        "ptp_overrides": _f("rows", row_schema="ptp_override"),
        "severity_overrides": _f("severity_map"),
        "disabled_rules": _f("list"),
        "source": SOURCE,
        **EFFECTIVE,
    },
    "code_replacement": {"code": _f("code"), "replacement": _f("code"), "source": SOURCE},
    "noncovered_code": {"code": _f("code"), "why": _f("str"), "source": SOURCE},
    "ptp_override": {
        "column1": _f("code"), "column2": _f("code"), "deny_with_modifier": _f("bool"), "source": SOURCE},
    "constants": {
        "name": _f("str"),
        "value": _f("any"),
        "meaning": _f("str"),
        "source": SOURCE,
        **EFFECTIVE,
    },
    "telehealth": {
        "code": _f("code"),
        "effective_from": _f("date"),
        "effective_to": _f("date", nullable=True),
        "confidence": _f("enum", choices=CONFIDENCE),
        "source": _f("str", **OPTIONAL),
    },
    "payer_names": {
        "name": _f("str"),
        "payer_type": _f("enum", choices=("medicare", "medicare_advantage", "medicaid", "commercial",
                                          "workers_comp", "self_pay")),
        "source": _f("str", **OPTIONAL),
    },
    "credentials": {
        "credential": _f("str"),
        "provider_type": _f("enum", choices=("PT", "PTA", "OT", "OTA", "SLP")),
    },
    "roster": {
        "name": _f("str", **OPTIONAL),
        "npi": _f("str", **OPTIONAL),
        "provider_type": _f("enum", choices=("PT", "PTA", "OT", "OTA", "SLP")),
    },
    "carc": {
        "carc": _f("str"),
        "meaning": _f("str"),
        "rules": _f("list"),
        "source": _f("str", **OPTIONAL),
    },
    "telehealth_windows": {
        "profile": _f("str"),
        "effective_from": _f("date"),
        "effective_to": _f("date"),
        "source": SOURCE,
    },
}

# Per table kind: metadata fields, and which row lists it has (list name -> row schema).
TABLES: dict[str, tuple[dict[str, Field], dict[str, str]]] = {
    "codes": (TABLE_META, {"rows": "codes"}),
    "fee_schedule": ({**TABLE_META, "year": _f("int", minimum=1990), "release": _f("str"),
                      "released": _f("date", nullable=True), "source_file": _f("str"),
                      "conversion_factor": _f("number", minimum=0), "quality_codes": _f("list", **OPTIONAL),
                      "other_codes": _f("str", **OPTIONAL)},
                     {"rows": "fee_schedule"}),
    "conversion_factors": ({"table": _f("str"), "title": _f("str")}, {"rows": "conversion_factors"}),
    "gpci": ({**TABLE_META, "year": _f("int", minimum=1990), "source_file": _f("str"),
              "work_column": _f("str")}, {"rows": "gpci"}),
    "thresholds": ({"table": _f("str"), "title": _f("str"),
                    "warning_margin": _f("number", minimum=0), "warning_margin_source": SOURCE},
                   {"kx": "kx", "review": "review"}),
    "mue": ({**TABLE_META, "release": _f("str"), "source_file": _f("str")}, {"rows": "mue"}),
    "ptp": ({**TABLE_META, "release": _f("str"), "source_file": _f("str", nullable=True),
             "in_force_on": _f("date", nullable=True, **OPTIONAL)},
            {"rows": "ptp"}),
    "modifiers": (TABLE_META, {"rows": "modifiers"}),
    "telehealth": (TABLE_META, {"rows": "telehealth"}),
    "payer_names": (TABLE_META, {"rows": "payer_names"}),
    "carc": (TABLE_META, {"rows": "carc"}),
    "providers": (TABLE_META, {"credentials": "credentials", "roster": "roster"}),
    "payers": ({"table": _f("str"), "title": _f("str")}, {"rows": "payers"}),
    "policy": ({"table": _f("str"), "title": _f("str")},
               {"constants": "constants", "telehealth_windows": "telehealth_windows"}),
}


class _Problems:
    def __init__(self, path: Path | str) -> None:
        self.path = path
        self.items: list[str] = []

    def add(self, line: int | str, field: str, problem: str) -> None:
        """`file:line: field: problem` for YAML; `Sheet!C17: field: problem` for a workbook's Ref_ sheet."""
        where = f"{self.path}:{line}" if isinstance(line, int) else f"{self.path}!{line}"
        self.items.append(f"{where}: {field}: {problem}")


def _check_value(value: Any, spec: Field, where: str, line: int, problems: _Problems) -> None:
    if value is None:
        if not spec.nullable:
            problems.add(line, where, "is empty")
        return
    kind = spec.kind
    if kind == "any":
        return
    if kind in ("str", "code", "locality"):
        if not isinstance(value, str):
            hint = " (quote it: codes are text)" if kind == "code" else ""
            problems.add(line, where, f"{value!r} must be quoted text{hint}")
        elif kind == "code" and not CODE_PATTERN.match(value):
            problems.add(line, where, f"{value!r} is not a CPT/HCPCS code")
        elif kind == "locality" and not LOCALITY_PATTERN.match(value):
            problems.add(line, where, f"{value!r} is not a MAC-LL locality key such as '13202-01'")
    elif kind in ("int", "number"):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            problems.add(line, where, f"{value!r} is not a number")
        elif kind == "int" and not float(value).is_integer():
            problems.add(line, where, f"{value!r} is not a whole number")
        elif spec.minimum is not None and value < spec.minimum:
            problems.add(line, where, f"{value!r} is below {spec.minimum:g}")
    elif kind == "bool":
        if not isinstance(value, bool):
            problems.add(line, where, f"{value!r} must be true or false")
    elif kind == "date":
        if isinstance(value, datetime):
            problems.add(line, where, f"{value.isoformat(' ')} has a time of day; write the date alone (2026-01-01)")
        elif not isinstance(value, date):
            problems.add(line, where, f"{value!r} is not a date (write 2026-01-01)")
    elif kind == "enum":
        if value not in spec.choices:
            choices = ", ".join(str(c) for c in spec.choices)
            problems.add(line, where, f"{value!r} is not one of {choices}")
    elif kind == "list":
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            problems.add(line, where, "must be a list of quoted texts")
    elif kind == "severity_map":
        if not isinstance(value, dict):
            problems.add(line, where, "must be a mapping of rule ID to severity")
        else:
            for rule, severity in value.items():
                if severity not in SEVERITIES:
                    problems.add(line, f"{where}.{rule}", f"{severity!r} is not one of {', '.join(SEVERITIES)}")
    elif kind == "rows":
        if not isinstance(value, list):
            problems.add(line, where, "must be a list")
        else:
            for row in value:
                _check_mapping(row, ROWS[spec.row_schema], where, problems)


def _check_mapping(mapping: Any, fields: dict[str, Field], where: str, problems: _Problems) -> None:
    if not isinstance(mapping, Located):
        problems.add(getattr(mapping, "line", 0), where, "must be a mapping of field: value")
        return
    for key in mapping:
        if key not in fields:
            problems.add(mapping.line_of(key), f"{where}.{key}" if where else str(key), "unknown field")
    for name, spec in fields.items():
        label = f"{where}.{name}" if where else name
        if name not in mapping:
            if spec.required:
                problems.add(mapping.line, label, "is missing")
            continue
        _check_value(mapping[name], spec, label, mapping.line_of(name), problems)


def validate(document: Any, path: Path | str) -> str:
    """Check one parsed table file; return its kind or raise ReferenceDataError listing the problems."""
    problems = _Problems(path)
    if not isinstance(document, Located):
        raise ReferenceDataError(f"{path}:1: table: the file must be a mapping with a `table:` field")
    kind = document.get("table")
    if kind not in TABLES:
        known = ", ".join(TABLES)
        raise ReferenceDataError(f"{path}:{document.line_of('table')}: table: {kind!r} is not one of {known}")
    meta, lists = TABLES[kind]
    _check_mapping(document, {**meta, **{name: _f("any") for name in lists}}, "", problems)
    for list_name, row_schema in lists.items():
        rows = document.get(list_name)
        if not isinstance(rows, list):
            problems.add(document.line_of(list_name), list_name, "must be a list of rows")
            continue
        for index, row in enumerate(rows):
            _check_mapping(row, ROWS[row_schema], f"{list_name}[{index}]", problems)
    if problems.items:
        shown, hidden = problems.items[:10], len(problems.items) - 10
        more = f"\n(and {hidden} more problems in this file)" if hidden > 0 else ""
        raise ReferenceDataError("\n".join(shown) + more)
    return kind
