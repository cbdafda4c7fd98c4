"""Where a patient stands against the Medicare therapy (KX) threshold for the year.

PT and SLP share one bucket, OT has its own of the same amount (SSA §1833(g)). Above the
threshold, lines need KX; above the targeted medical review threshold they may be reviewed.
"""
from __future__ import annotations

from typing import Any, NamedTuple

from .errors import PtcalcInputError
from .periods import by_year
from .refdata import Reference, load_reference
from .values import describe, is_blank, money_number, parse_amount, parse_date_or_year

BUCKETS = {"PT": "PT/SLP", "PTA": "PT/SLP", "SLP": "PT/SLP", "ST": "PT/SLP", "OT": "OT", "OTA": "OT",
           "GP": "PT/SLP", "GN": "PT/SLP", "GO": "OT"}  # the discipline, or its therapy modifier
# The discipline in words: "Physical therapy", "Speech-language pathology", "Occupational therapy".
BUCKET_WORDS = (("occupational", "OT"), ("physical", "PT/SLP"), ("speech", "PT/SLP"))
STATUSES = ("OK", "APPROACHING", "KX", "KX+REVIEW")


def bucket_of(discipline: Any, ref: Reference | None = None) -> str:
    """The KX bucket of a discipline, its therapy modifier, the discipline in words, or (with the reference data)
    a credential as a Credentials column writes it (`DPT`, `OTR/L`, `CCC-SLP`: reference/providers.yaml)."""
    if is_blank(discipline):
        return "PT/SLP"
    text = str(discipline).strip()
    bucket = BUCKETS.get(text.upper()) or next((b for word, b in BUCKET_WORDS if word in text.lower()), None)
    if bucket is None and ref is not None:
        bucket = BUCKETS.get(ref.provider_credentials.get(text.upper(), ""))
    if bucket is None:
        raise PtcalcInputError(f"discipline: {describe(discipline)} is not PT, SLP or OT")
    return bucket


def money(value: float) -> str:
    return f"${value:,.2f}"


class KxStatus(NamedTuple):  # immutable; a named tuple is made in a third of a frozen dataclass's time (per KX day)
    status: str
    year: int
    bucket: str
    total: float
    threshold: float
    review_threshold: float
    warning_margin: float
    notes: tuple[str, ...] = ()
    threshold_year: int | None = None  # the year whose threshold is used, when the reference data lacks `year`'s

    @property
    def needs_kx(self) -> bool:
        return self.status in ("KX", "KX+REVIEW")

    @property
    def threshold_words(self) -> str:
        """`the 2026 KX threshold of $2,480.00`, naming the year whose amount it is: before the reference data
        has a new year's threshold, the one before is used, and a message must not call it the new year's."""
        if self.threshold_year in (None, self.year):
            return f"the {self.year} KX threshold of {money(self.threshold)}"
        return (f"the {self.threshold_year} KX threshold of {money(self.threshold)} (the {self.year} threshold is "
                "not in the reference data yet)")

    @property
    def message(self) -> str:
        what = f"{self.threshold_words} ({self.bucket})"
        if self.status in ("OK", "APPROACHING"):
            text = f"{money(self.threshold - self.total)} left before {what}"
        else:
            text = (f"{money(self.total)} this year is {money(self.total - self.threshold)} over {what}; "
                    "add KX to this visit's lines if the records document medical necessity")
            if self.status == "KX+REVIEW":
                text += f"; also over the {money(self.review_threshold)} targeted medical review threshold"
        return f"{self.status}: {text}" + "".join(f" ({note})" for note in self.notes)


def kx_threshold(ref: Reference, year: int, bucket: str) -> tuple[float, float, list[str], int]:
    """(KX threshold, review threshold, fallback notes, the year of the threshold used) for a year and bucket
    (cached per reference)."""
    key = ("kx_threshold", year, bucket)
    if key not in ref.caches:
        ref.caches[key] = _kx_threshold(ref, year, bucket)
    return ref.caches[key]


def _kx_threshold(ref: Reference, year: int, bucket: str) -> tuple[float, float, list[str], int]:
    in_force = by_year(ref.kx_thresholds, year, "KX threshold")
    row = in_force.table
    notes = []  # the threshold's own fallback is said by KxStatus.threshold_words
    review = next((r for r in ref.review_thresholds if r.from_year <= year <= r.to_year), None)
    if review is None:
        review = max(ref.review_thresholds, key=lambda r: r.to_year)
        notes.append(f"no {year} review threshold in the reference data; {money(review.amount)} used")
    return (row.ot if bucket == "OT" else row.pt_slp), review.amount, notes, in_force.year


def kx_status(ytd_allowed: Any, visit_allowed: Any = 0, date_of_service: Any = None,
              discipline: Any = "PT", reference: Reference | None = None) -> KxStatus:
    ref = reference or load_reference()
    total = parse_amount(money_number(ytd_allowed), "ytd_allowed") + \
        parse_amount(money_number(visit_allowed), "visit_allowed")
    year = (max(ref.kx_thresholds) if is_blank(date_of_service)
            else parse_date_or_year(date_of_service, "date").year)
    bucket = bucket_of(discipline, ref)
    return status_for_total(ref, round(total, 2), year, bucket)


def status_for_total(ref: Reference, total: float, year: int, bucket: str) -> KxStatus:
    threshold, review, notes, threshold_year = kx_threshold(ref, year, bucket)
    margin = ref.warning_margin
    if total > review:
        status = "KX+REVIEW"
    elif total > threshold:
        status = "KX"
    elif threshold - total > margin:
        status = "OK"
    else:
        status = "APPROACHING"
    return KxStatus(status, year, bucket, total, threshold, review, margin, tuple(notes), threshold_year)
