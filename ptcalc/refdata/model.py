"""The reference data as typed, indexed Python objects, built from validated table files."""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from ..errors import ReferenceDataError
from .yamlio import Located


QUALITY_STATUS = "M"  # the PFS status of measurement codes: quality data codes (MIPS), reported, never paid


@dataclass(frozen=True, slots=True)
class CodeInfo:
    code: str
    label: str
    timing: str  # timed (15-minute units), untimed (1 per session), other (own time descriptor)
    discipline: str
    family: str

    @property
    def timed(self) -> bool:
        return self.timing == "timed"

    @property
    def is_evaluation(self) -> bool:
        return self.family in ("evaluation", "re_evaluation")


@dataclass(frozen=True, slots=True)
class FeeRow:
    code: str
    status: str
    not_for_payment: bool
    work: float
    pe: float  # non-facility PE: therapy is paid at the non-facility rate in every setting
    mp: float
    mult_proc: int
    pctc: str

    @property
    def total_rvu(self) -> float:
        return round(self.work + self.pe + self.mp, 2)


@dataclass(frozen=True, slots=True)
class FeeSchedule:
    year: int
    release: str
    released: date | None
    source: str
    source_file: str
    effective_from: date
    effective_to: date | None
    conversion_factor: float
    rows: dict[str, FeeRow]
    quality_codes: frozenset[str] = frozenset()  # status M: quality data codes (MIPS), reported, never paid
    # The file's codes outside the PT code set (an E/M visit 99213, a chiropractor's 98940): real codes, not typos.
    # Written in the YAML as codes separated by spaces (yamlio.CodeList)
    other_codes: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class ConversionFactor:
    effective_from: date
    effective_to: date
    amount: float
    track: str
    source: str
    confidence: str


@dataclass(frozen=True, slots=True)
class Gpci:
    locality: str
    state: str
    name: str
    work: float
    pe: float
    mp: float


NATIONAL_GPCI = Gpci("national", "", "National (GPCI 1.000)", 1.0, 1.0, 1.0)


@dataclass(frozen=True, slots=True)
class GpciTable:
    year: int
    source: str
    source_file: str
    work_column: str
    rows: dict[str, Gpci]


@dataclass(frozen=True, slots=True)
class KxThreshold:
    year: int
    pt_slp: float
    ot: float
    source: str
    confidence: str


@dataclass(frozen=True, slots=True)
class ReviewThreshold:
    from_year: int
    to_year: int
    amount: float
    source: str


@dataclass(frozen=True, slots=True)
class MueRow:
    code: str
    units: int
    mai: int
    rationale: str


@dataclass(frozen=True, slots=True)
class MueTable:
    release: str
    source_file: str
    effective_from: date
    rows: dict[str, MueRow]


@dataclass(frozen=True, slots=True)
class PtpPair:
    column1: str
    column2: str
    modifier_indicator: int
    effective_from: date | None  # None: in force from the start of the table
    deleted: date | None  # the last day in force (CMS's deletion date)
    rationale: str
    source: str
    confidence: str
    note: str = ""

    def in_force(self, day: date) -> bool:
        """The edit applies to a date of service (indicator 9 edits were deleted retroactively: never)."""
        return (self.modifier_indicator != 9 and (self.effective_from is None or self.effective_from <= day)
                and (self.deleted is None or day <= self.deleted))


@dataclass(frozen=True, slots=True)
class PtpTable:
    release: str
    source: str
    source_file: str | None
    in_force_on: date | None  # the day the file's edits were in force (its vintage), when known
    pairs: tuple[PtpPair, ...]
    by_column1: dict[str, tuple[PtpPair, ...]]

    def pairs_between(self, first: str, second: str) -> tuple[PtpPair, ...]:
        return tuple(p for p in self.by_column1.get(first, ()) if p.column2 == second)


@dataclass(frozen=True, slots=True)
class PtpOverride:
    column1: str
    column2: str
    deny_with_modifier: bool
    source: str


@dataclass(frozen=True, slots=True)
class PayerProfile:
    profile: str
    label: str
    payer_types: tuple[str, ...]
    payer_names: tuple[str, ...]
    follows_cms: bool
    unit_method: str
    discipline_modifier_required: bool
    kx_applies: bool
    assistant_modifiers_apply: bool
    ncci_applies: bool
    mue_applies: bool
    plan_of_care_rules: bool
    telehealth_requires_95: bool
    prefer_x_modifiers: bool
    noncovered_statuses: frozenset[str]
    bundled_statuses: frozenset[str]
    code_replacements: dict[str, tuple[str, str]]  # code -> (replacement, source)
    ptp_overrides: dict[tuple[str, str], PtpOverride]
    severity_overrides: dict[str, str]
    disabled_rules: frozenset[str]
    source: str
    conversion_factor_track: str = "non_qp"
    noncovered_codes: dict[str, tuple[str, str]] = field(default_factory=dict)  # code -> (why, source)
    facility_bills_therapy: bool = False  # therapy at a SNF (POS 31) or a hospital is the facility's (COV005, COV006)


@dataclass(frozen=True, slots=True)
class Constant:
    name: str
    value: Any
    meaning: str
    source: str
    effective_from: date
    effective_to: date | None


@dataclass(frozen=True, slots=True)
class TelehealthWindow:
    profile: str
    effective_from: date
    effective_to: date
    source: str


@dataclass(frozen=True, slots=True)
class TelehealthCode:
    code: str
    effective_from: date
    effective_to: date | None
    confidence: str
    source: str

    def on_list(self, day: date) -> bool:
        return self.effective_from <= day and (self.effective_to is None or day <= self.effective_to)


@dataclass(frozen=True, slots=True)
class ModifierInfo:
    modifier: str
    meaning: str
    kind: str
    discipline: str | None
    source: str


@dataclass(frozen=True)
class Reference:
    """Everything the engine knows, read from one reference directory."""

    directory: Path
    version: str  # changes whenever any file changes; keys the engine's caches
    codes: dict[str, CodeInfo]
    fee_schedules: dict[int, FeeSchedule]
    conversion_factors: tuple[ConversionFactor, ...]
    gpcis: dict[int, GpciTable]
    kx_thresholds: dict[int, KxThreshold]
    review_thresholds: tuple[ReviewThreshold, ...]
    warning_margin: float
    warning_margin_source: str
    mue: MueTable
    ptp: PtpTable
    payers: tuple[PayerProfile, ...]
    constants: dict[str, Constant]
    telehealth_windows: tuple[TelehealthWindow, ...]
    telehealth_codes: dict[str, tuple[TelehealthCode, ...]]
    modifiers: dict[str, ModifierInfo]
    payer_names: tuple[tuple[str, str], ...] = ()  # (folded name, payer type), longest name first
    provider_credentials: dict[str, str] = field(default_factory=dict)  # credential (upper) -> provider type
    provider_roster: dict[str, str] = field(default_factory=dict)  # folded name or NPI -> provider type
    denial_reasons: dict[str, tuple[str, tuple[str, ...]]] = field(default_factory=dict)  # CARC -> (meaning, rules)
    site_localities: dict[str, str] = field(default_factory=dict)  # a clinic's sites (fold_name) -> MAC-LL: settings
    # The unit rule of a claim whose two payers count timed units differently (AMA, CMS): `primary` (the line's payer)
    # or `cms` (the 8-minute rule); a clinic's setting (clinic_settings.py)
    unit_method_conflict: str = "primary"
    caches: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def latest_fee_schedule(self) -> FeeSchedule:
        return self.fee_schedules[max(self.fee_schedules)]

    def constant(self, name: str) -> Any:
        return self.constants[name].value

    @property
    def quality_codes(self) -> frozenset[str]:
        """The quality data codes (CMS status M: MIPS measures reported on claims at $0) of every year's file."""
        if "quality_codes" not in self.caches:
            self.caches["quality_codes"] = frozenset().union(*(s.quality_codes for s in self.fee_schedules.values()))
        return self.caches["quality_codes"]

    @property
    def other_codes(self) -> frozenset[str]:
        """The codes CMS's fee schedule files list outside the PT code set and the quality data codes: another
        profession's services (an E/M visit, a chiropractic manipulation), which ptcalc does not judge."""
        if "other_codes" not in self.caches:
            self.caches["other_codes"] = frozenset().union(*(s.other_codes for s in self.fee_schedules.values()))
        return self.caches["other_codes"]

    @property
    def timed_codes(self) -> frozenset[str]:
        """The codes billed in 15-minute units (codes.yaml timing: timed)."""
        if "timed_codes" not in self.caches:
            self.caches["timed_codes"] = frozenset(code for code, info in self.codes.items() if info.timed)
        return self.caches["timed_codes"]


def _by_key(rows: list[Located], key: str, path: Path, build: Any) -> dict:
    out: dict = {}
    for row in rows:
        value = row[key]
        if value in out:
            raise ReferenceDataError(f"{path}:{row.line_of(key)}: {key}: {value!r} is listed twice")
        out[value] = build(row)
    return out


def build_codes(doc: Located, path: Path) -> dict[str, CodeInfo]:
    return _by_key(doc["rows"], "code", path, lambda r: CodeInfo(
        r["code"], r["label"], r["timing"], r["discipline"], r["family"]))


def build_fee_schedule(doc: Located, path: Path) -> FeeSchedule:
    rows = _by_key(doc["rows"], "code", path, lambda r: FeeRow(
        r["code"], r["status"], r["not_for_payment"], float(r["work"]), float(r["pe_nonfacility"]),
        float(r["mp"]), int(r["mult_proc"]), r["pctc"]))
    return FeeSchedule(doc["year"], doc["release"], doc["released"], doc["source"], doc["source_file"],
                       doc["effective_from"], doc["effective_to"], float(doc["conversion_factor"]), rows,
                       frozenset(doc.get("quality_codes") or ()), frozenset((doc.get("other_codes") or "").split()))


def build_conversion_factors(doc: Located, path: Path) -> tuple[ConversionFactor, ...]:
    factors = []
    for r in doc["rows"]:
        if r["effective_to"] < r["effective_from"]:
            raise ReferenceDataError(f"{path}:{r.line_of('effective_to')}: effective_to: is before effective_from")
        factors.append(ConversionFactor(r["effective_from"], r["effective_to"], float(r["amount"]),
                                        r["track"], r["source"], r["confidence"]))
    return tuple(sorted(factors, key=lambda c: (c.track, c.effective_from)))


def build_gpci(doc: Located, path: Path) -> GpciTable:
    rows = _by_key(doc["rows"], "locality", path, lambda r: Gpci(
        r["locality"], r["state"], r["name"], float(r["work"]), float(r["pe"]), float(r["mp"])))
    return GpciTable(doc["year"], doc["source"], doc["source_file"], doc["work_column"], rows)


def build_thresholds(doc: Located, path: Path) -> tuple[dict[int, KxThreshold], tuple[ReviewThreshold, ...]]:
    kx = _by_key(doc["kx"], "year", path, lambda r: KxThreshold(
        int(r["year"]), float(r["pt_slp"]), float(r["ot"]), r["source"], r["confidence"]))
    review = tuple(ReviewThreshold(int(r["from_year"]), int(r["to_year"]), float(r["amount"]), r["source"])
                   for r in doc["review"])
    return kx, review


def build_mue(doc: Located, path: Path) -> MueTable:
    rows = _by_key(doc["rows"], "code", path, lambda r: MueRow(r["code"], int(r["units"]), int(r["mai"]),
                                                               r["rationale"]))
    return MueTable(doc["release"], doc["source_file"], doc["effective_from"], rows)


def build_ptp(doc: Located, path: Path) -> PtpTable:
    pairs = tuple(PtpPair(r["column1"], r["column2"], int(r["modifier_indicator"]), r.get("effective_from"),
                          r["deleted"], r.get("rationale", ""), r.get("source") or doc["source"],
                          r.get("confidence", "high"), r.get("note", ""))
                  for r in doc["rows"])
    by_column1: dict[str, list[PtpPair]] = {}
    for pair in pairs:
        by_column1.setdefault(pair.column1, []).append(pair)
    return PtpTable(doc["release"], doc["source"], doc.get("source_file"), doc.get("in_force_on"), pairs,
                    {code: tuple(found) for code, found in by_column1.items()})


def build_payers(doc: Located, path: Path) -> tuple[PayerProfile, ...]:
    def profile(r: Located) -> PayerProfile:
        return PayerProfile(
            r["profile"], r["label"], tuple(t.lower() for t in r["payer_types"]),
            tuple(n.lower() for n in r.get("payer_names") or ()), r["follows_cms"], r["unit_method"],
            r["discipline_modifier_required"], r["kx_applies"], r["assistant_modifiers_apply"],
            r["ncci_applies"], r["mue_applies"], r["plan_of_care_rules"], r["telehealth_requires_95"],
            r["prefer_x_modifiers"], frozenset(r["noncovered_statuses"]), frozenset(r["bundled_statuses"]),
            {c["code"]: (c["replacement"], c["source"]) for c in r["code_replacements"]},
            {(o["column1"], o["column2"]): PtpOverride(o["column1"], o["column2"], o["deny_with_modifier"],
                                                       o["source"]) for o in r["ptp_overrides"]},
            dict(r["severity_overrides"]), frozenset(r["disabled_rules"]), r["source"],
            r.get("conversion_factor_track", "non_qp"),
            {c["code"]: (c["why"], c["source"]) for c in r.get("noncovered_codes") or ()},
            bool(r.get("facility_bills_therapy", False)))

    return tuple(_by_key(doc["rows"], "profile", path, profile).values())


def build_policy(doc: Located, path: Path) -> tuple[dict[str, Constant], tuple[TelehealthWindow, ...]]:
    constants = _by_key(doc["constants"], "name", path, lambda r: Constant(
        r["name"], r["value"], r["meaning"], r["source"], r["effective_from"], r["effective_to"]))
    windows = tuple(TelehealthWindow(r["profile"], r["effective_from"], r["effective_to"], r["source"])
                    for r in doc["telehealth_windows"])
    return constants, windows


def build_telehealth(doc: Located, path: Path) -> dict[str, tuple[TelehealthCode, ...]]:
    codes: dict[str, list[TelehealthCode]] = {}
    for r in doc["rows"]:
        if r["effective_to"] is not None and r["effective_to"] < r["effective_from"]:
            raise ReferenceDataError(f"{path}:{r.line_of('effective_to')}: effective_to: is before effective_from")
        codes.setdefault(r["code"], []).append(TelehealthCode(r["code"], r["effective_from"], r["effective_to"],
                                                              r["confidence"], r.get("source") or doc["source"]))
    return {code: tuple(spans) for code, spans in codes.items()}


def fold_name(text: str) -> str:
    """A name for matching: lower case, letters and digits only, single spaces, accents off (`Médicare` is
    `medicare`, as a Windows-1252 export or a French-Canadian keyboard writes it); an apostrophe joins
    (`Worker's Comp` and `Workers' Comp` are `workers comp`, `O'Brien` is `obrien`)."""
    if not text.isascii():
        text = "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))
    text = text.lower().replace("'", "").replace("\u2019", "")
    return " ".join("".join(ch if ch.isalnum() else " " for ch in text).split())


def person_key(text: str) -> str:
    """A person's name for matching a roster, in any order and without initials: `Lee, Kim A.`, `KIM LEE` and
    `Kim Lee` are one person (exports write `Last, First`, a roster is typed `First Last`)."""
    return " ".join(sorted(word for word in fold_name(text).split() if len(word) > 1))


def build_payer_names(doc: Located, path: Path) -> tuple[tuple[str, str], ...]:
    names = {fold_name(r["name"]): r["payer_type"] for r in doc["rows"]}
    return tuple(sorted(names.items(), key=lambda item: (-len(item[0]), item[0])))


def build_providers(doc: Located, path: Path) -> tuple[dict[str, str], dict[str, str]]:
    credentials = {r["credential"].upper(): r["provider_type"] for r in doc["credentials"]}
    roster: dict[str, str] = {}
    for r in doc["roster"]:
        if not r.get("name") and not r.get("npi"):
            raise ReferenceDataError(f"{path}:{r.line}: roster: give a name or an npi")
        for key in (person_key(r["name"]) if r.get("name") else None, r.get("npi")):
            if key:
                roster[key] = r["provider_type"]
    return credentials, roster


def build_carc(doc: Located, path: Path) -> dict[str, tuple[str, tuple[str, ...]]]:
    return _by_key(doc["rows"], "carc", path, lambda r: (r["meaning"], tuple(r["rules"])))


def build_modifiers(doc: Located, path: Path) -> dict[str, ModifierInfo]:
    return _by_key(doc["rows"], "modifier", path, lambda r: ModifierInfo(
        r["modifier"], r["meaning"], r["kind"], r.get("discipline"), r["source"]))
