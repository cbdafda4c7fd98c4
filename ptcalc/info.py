"""Which reference data is in force for a date: printed by `ptcalc info` and on every scrub report."""
from __future__ import annotations

from datetime import date

from .errors import PtcalcInputError
from .kx import money
from .periods import by_year, conversion_factor
from .refdata import Reference


def data_versions(ref: Reference, day: date) -> dict[str, object]:
    """The data versions that apply on `day`, with each fallback named (deterministic for a given day)."""
    fallbacks: list[str] = []
    versions: dict[str, object] = {"reference": str(ref.directory), "as_of": day.isoformat()}

    def in_force(tables: dict, what: str):  # noqa: ANN202 - local helper
        try:
            found = by_year(tables, day.year, what)
        except PtcalcInputError as exc:
            fallbacks.append(str(exc).removeprefix("date: "))
            return None
        if found.fallback:
            fallbacks.append(found.fallback)
        return found.table

    schedule = in_force(ref.fee_schedules, "fee schedule")
    versions["fee_schedule"] = (f"{schedule.release}, released {schedule.released}" if schedule else None)
    try:
        factor = conversion_factor(ref, day)
        if factor.fallback:
            fallbacks.append(factor.fallback)
        cf = factor.table
        versions["conversion_factor"] = (f"{cf.amount} ({cf.track.replace('_', '-')}, "
                                         f"{cf.effective_from} to {cf.effective_to})")
    except PtcalcInputError as exc:
        fallbacks.append(str(exc).removeprefix("date: "))
        versions["conversion_factor"] = None
    gpci = in_force(ref.gpcis, "GPCIs")
    versions["gpci"] = f"CY{gpci.year} ({gpci.source_file}; work GPCI column '{gpci.work_column}')" if gpci else None
    versions["mue"] = f"{ref.mue.release} ({ref.mue.source_file})"
    if ref.mue.effective_from > day:
        fallbacks.append(f"MUE table effective {ref.mue.effective_from} is later than {day}; used anyway")
    versions["ptp"] = ptp_version(ref)
    if (note := ptp_vintage_note(ref, day)) is not None:
        fallbacks.append(note)
    kx = in_force(ref.kx_thresholds, "KX threshold")
    versions["kx_threshold"] = f"{kx.year}: {money(kx.pt_slp)} PT/SLP, {money(kx.ot)} OT" if kx else None
    versions["fallbacks"] = fallbacks
    return versions


def ptp_version(ref: Reference) -> str:
    """The PTP table's release, size and limits, as every report and `ptcalc info` name it."""
    table = ref.ptp
    active = sum(1 for p in table.pairs if p.deleted is None and p.modifier_indicator != 9)
    dated = any(p.effective_from for p in table.pairs)
    limits = "" if dated else "; no effective dates (an edit counts from the start until its deletion date)"
    return f"{table.release} ({table.source_file}); {active} edits in force, {len(table.pairs)} rows{limits}"


def ptp_vintage_end(ref: Reference) -> date | None:
    """The first day past the quarter of the PTP table's vintage (None: the table has no vintage)."""
    vintage = ref.ptp.in_force_on
    if vintage is None:
        return None
    return date(vintage.year + (vintage.month + 2) // 12, (vintage.month + 2) % 12 + 1, 1)


def ptp_vintage_note(ref: Reference, day: date) -> str | None:
    """Said when a date of service is past the quarter of the PTP table's vintage."""
    quarter_end = ptp_vintage_end(ref)
    if quarter_end is None or day < quarter_end:
        return None
    vintage = ref.ptp.in_force_on
    return (f"NCCI PTP edits of {vintage:%B %Y} used for {day}: edits CMS added or deleted since are not in "
            "the reference data")


def format_versions(versions: dict[str, object]) -> str:
    labels = {
        "reference": "Reference data", "as_of": "Data in force on", "fee_schedule": "Fee schedule",
        "conversion_factor": "Conversion factor", "gpci": "GPCIs", "mue": "MUE table",
        "ptp": "NCCI PTP edits", "kx_threshold": "KX threshold",
    }
    lines = [f"{labels[key]:<18} {value if value is not None else 'none'}" for key, value in versions.items()
             if key in labels]
    for note in versions.get("fallbacks") or []:
        lines.append(f"{'Fallback':<18} {note}")
    return "\n".join(lines)


def format_catalogue(ref: Reference) -> str:
    """Everything the reference directory holds, year by year."""
    lines = [f"Reference directory: {ref.directory}"]
    for year, schedule in sorted(ref.fee_schedules.items()):
        quality = f", {len(schedule.quality_codes):,} quality data codes" if schedule.quality_codes else ""
        quality += f", {len(schedule.other_codes):,} other professions' codes" if schedule.other_codes else ""
        lines.append(f"  fee schedule {year}: {schedule.release} ({len(schedule.rows)} codes{quality}; "
                     f"{schedule.source_file})")
    for factor in ref.conversion_factors:
        lines.append(f"  conversion factor {factor.effective_from} to {factor.effective_to} "
                     f"{factor.track}: {factor.amount} ({factor.confidence} confidence)")
    for year, table in sorted(ref.gpcis.items()):
        lines.append(f"  GPCIs {year}: {len(table.rows)} localities ({table.source_file}; work = '{table.work_column}')")
    years = sorted(ref.kx_thresholds)
    lines.append(f"  KX thresholds: {years[0]}-{years[-1]}; warning margin {money(ref.warning_margin)}")
    for review in ref.review_thresholds:
        lines.append(f"  review threshold {review.from_year}-{review.to_year}: {money(review.amount)}")
    lines.append(f"  MUE: {ref.mue.release}, {len(ref.mue.rows)} codes")
    lines.append(f"  PTP: {ptp_version(ref)}")
    lines.append(f"  codes: {len(ref.codes)}; payer profiles: {', '.join(p.profile for p in ref.payers)}")
    return "\n".join(lines)
