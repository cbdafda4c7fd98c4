"""Who a claim's patient is when the patient is not the subscriber (a child or a spouse on a family plan)."""
from __future__ import annotations


def dependent_id(own_id: str | None, subscriber_id: str | None, last: str | None, first: str | None) -> str | None:
    """The patient id of a dependent: the member id, then the patient's name, `W123456789 (DOE, ANNA)`.

    X12 5010 gives the dependent no id of its own (837 loop 2010CA NM109 is not used; a patient with a member
    id of their own is sent as the subscriber), so every child on one plan carries the subscriber's id. Read
    as the id alone, two siblings seen the same day would be one patient with one visit: one's lines
    duplicates of the other's (DAT003), their minutes and units pooled. The name tells them apart; an 835
    names the patient (NM1*QC beside the insured's NM1*IL) the same way, so the backtest matches on it too.
    """
    member = own_id or subscriber_id
    name = ", ".join(part.strip() for part in (last, first) if part and part.strip())
    if not name:
        return member
    return f"{member} ({name})" if member else name
