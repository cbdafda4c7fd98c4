"""AUT: a payer's prior authorization, judged when the sheet has its columns (auth_visits, auth_start,
auth_end, auth_number).

An authorization covers some visits in a period; a visit outside the period, or past the count, is
denied (CARC 197: precertification/authorization absent; 198: exceeded). Only the sheet's own visits
are counted: visits under the authorization before the sheet are not on it, so a count the sheet
passes is passed, and one it reaches is at least reached. A line with no authorization cell filled
has no authorization to judge (Medicare needs none).
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import date

from ..context import ScrubContext
from ..findings import Finding
from ..lines import ChargeLine
from .base import Rule

SOURCE = "the payer's prior authorization (the sheet's auth columns); denials CARC 197 (absent) and 198 (exceeded)"
_AUTH_FIELDS = ("auth_number", "auth_visits", "auth_start", "auth_end")


def _authorization_visits(rule: Rule, ctx: ScrubContext) -> dict[tuple, dict[date, list[ChargeLine]]]:
    """Authorization -> its billed lines by date of service, in date order. An authorization is its number
    for the patient, else the patient's discipline with the same period and count."""
    if ctx.columns.isdisjoint(_AUTH_FIELDS):
        return {}
    authorizations: dict[tuple, dict[date, list[ChargeLine]]] = defaultdict(lambda: defaultdict(list))
    for line in rule.lines(ctx):
        if line.auth_number is None and line.auth_visits is None and line.auth_start is None \
                and line.auth_end is None:
            continue
        key = (line.patient_id, line.auth_number) if line.auth_number is not None else \
            (line.patient_id, line.discipline, line.auth_start, line.auth_end, line.auth_visits)
        authorizations[key][line.dos].append(line)
    return {key: dict(sorted(days.items())) for key, days in authorizations.items()}


def _visits_in_period(rule: Rule, ctx: ScrubContext) -> Iterator[list[list[ChargeLine]]]:
    """Per authorization, its visits (a day's lines) within its dates, in date order."""
    for days in _authorization_visits(rule, ctx).values():
        yield [lines for lines in days.values() if all(map(_covered, lines))]


def _named(line: ChargeLine) -> str:
    return f" ({line.auth_number})" if line.auth_number else ""


def _covered(line: ChargeLine) -> bool:
    return (line.auth_start is None or line.dos >= line.auth_start) and \
        (line.auth_end is None or line.dos <= line.auth_end)


class OutsideAuthorization(Rule):
    id = "AUT001"
    name = "outside-authorization"
    severity = "error"
    condition = "The date of service is before auth_start or after auth_end of the line's authorization"
    fix = "Get the authorization extended or a new one before billing, or correct its dates"
    source = SOURCE
    needs = ("patient_id", "dos", "cpt", "auth_start", "auth_end")

    def check(self, ctx: ScrubContext) -> Iterator[Finding]:
        for days in _authorization_visits(self, ctx).values():
            for lines in days.values():
                for line in lines:
                    if _covered(line):
                        continue
                    when = (f"before the authorization{_named(line)} starts ({line.auth_start.isoformat()})"
                            if line.auth_start is not None and line.dos < line.auth_start else
                            f"after the authorization{_named(line)} ends ({line.auth_end.isoformat()})")
                    yield self.finding(ctx, line, f"{line.dos.isoformat()} is {when}", field="dos",
                                       amount=ctx.allowed(line))


class _VisitCountRule(Rule):
    """A rule on the authorization's count of visits."""

    source = SOURCE
    needs = ("patient_id", "dos", "cpt", "auth_visits", "auth_start", "auth_end")


class VisitsExceedAuthorization(_VisitCountRule):
    id = "AUT002"
    name = "visits-exceed-authorization"
    severity = "error"
    condition = ("A visit past the number of visits the authorization covers (auth_visits), counting the sheet's "
                 "visits under it in its period (visits before the sheet are not on it: the count is a lower bound)")
    fix = "Get more visits authorized before billing this one"

    def check(self, ctx: ScrubContext) -> Iterator[Finding]:
        for visits in _visits_in_period(self, ctx):
            for count, lines in enumerate(visits, start=1):
                authorized = lines[0].auth_visits
                if authorized is None or count <= authorized:
                    continue
                for line in lines:
                    yield self.finding(ctx, line, f"visit {count} on the sheet under the authorization{_named(line)}, "
                                       f"which covers {authorized} visit{'s' if authorized != 1 else ''}",
                                       field="auth_visits", amount=ctx.allowed(line))


class AuthorizationUsedUp(_VisitCountRule):
    id = "AUT003"
    name = "authorization-used-up"
    severity = "info"
    condition = ("The visit that uses the last visit the authorization covers (at the latest: visits before the "
                 "sheet may have used it sooner)")
    fix = "Request more visits before the next one"

    def check(self, ctx: ScrubContext) -> Iterator[Finding]:
        for visits in _visits_in_period(self, ctx):
            authorized = visits[0][0].auth_visits if visits else None
            if authorized and len(visits) >= authorized:
                line = visits[authorized - 1][0]
                yield self.finding(ctx, line, f"visit {authorized} of the {authorized} the authorization"
                                   f"{_named(line)} covers: the next visit needs more authorized",
                                   field="auth_visits")
