"""POC: plan of care (Medicare) — certification, 90-day recertification, progress reports.

Judged only when the sheet has the columns: a blank cell in a present column means the
date is not recorded; an absent column means ptcalc cannot tell, and says nothing.
"""
from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Iterator
from datetime import date, timedelta

from ..context import ScrubContext
from ..findings import Finding
from ..lines import PROGRESS_REPORT
from .base import Rule

MANUAL = "CMS Pub. 100-02 ch.15 §220.1.3"


class _PlanRule(Rule):
    applies = staticmethod(lambda profile: profile.plan_of_care_rules)
    columns: tuple[str, ...] = ("poc_start",)

    def lines(self, ctx: ScrubContext):  # noqa: ANN201 - iterator of lines
        if not set(self.columns) <= ctx.columns:
            return iter(())
        return super().lines(ctx)


class PlanNotCertified(_PlanRule):
    id = "POC001"
    name = "plan-not-certified"
    severity = "error"
    condition = ("dos more than 30 days after poc_start, and poc_certified is empty or later than poc_start + 30 "
                 "days. From 2025 a plan sent to the referring physician/NPP within those 30 days (poc_sent) also "
                 "certifies it; on a sheet without poc_sent the finding is a warning: the record may hold that route")
    fix = "Get the plan certified (a delayed certification needs a documented reason)"
    source = (MANUAL + " B (certification within 30 days of the first treatment); 42 CFR 424.24(c) as amended "
              "for 2025 (a signed order and the plan sent to the referring physician/NPP)")
    needs = ("patient_id", "dos", "cpt", "poc_start", "poc_certified")
    columns = ("poc_start", "poc_certified")

    def check(self, ctx: ScrubContext) -> Iterator[Finding]:
        days = ctx.ref.constant("poc_certification_days")
        referral = ctx.ref.constants["poc_referral_sent_days"]
        sent_known = "poc_sent" in ctx.columns
        deadlines: dict[date, date] = {}  # poc_start -> the day certification is due (a plan's lines share one)
        for line in self.lines(ctx):
            if line.poc_start is None:
                continue
            deadline = deadlines.get(line.poc_start)
            if deadline is None:
                deadline = deadlines[line.poc_start] = line.poc_start + timedelta(days=days)
            if line.dos <= deadline or (line.poc_certified is not None and line.poc_certified <= deadline):
                continue
            when = f"certified {line.poc_certified.isoformat()}, after" if line.poc_certified else "not certified by"
            message = f"plan of care started {line.poc_start.isoformat()} is {when} {deadline.isoformat()} ({days} days)"
            if line.dos < referral.effective_from or "poc_sent" in line.bad:
                yield self.finding(ctx, line, message, field="poc_certified", amount=ctx.allowed(line))
                continue
            sent_by = line.poc_start + timedelta(days=referral.value)
            if line.poc_sent is not None and line.poc_sent <= sent_by:
                continue  # the 2025 route: a signed order (in the record) and the plan sent in time
            if sent_known:
                sent = f"sent {line.poc_sent.isoformat()}, after" if line.poc_sent else "not sent by"
                yield self.finding(ctx, line, f"{message}, and {sent} {sent_by.isoformat()} to the referring "
                                   "physician/NPP", field="poc_certified", amount=ctx.allowed(line))
                continue
            yield self.finding(ctx, line, f"{message}; since 2025 a signed referral order and the plan sent to the "
                               f"referring physician/NPP by {sent_by.isoformat()} also certify it: the sheet does not "
                               "say (no poc_sent column)", field="poc_certified", severity="warning",
                               amount=ctx.allowed(line),
                               fix="Check the record holds the signed order and the date the plan was sent (or add a "
                                   "poc_sent column); else get the plan certified")


class CertificationExpired(_PlanRule):
    id = "POC002"
    name = "certification-expired"
    severity = "error"
    condition = ("dos after the certification period: after poc_end (Cert Thru) where the sheet gives it, else past "
                 "the 90th calendar day of the plan of care, counting poc_start as day 1")
    fix = "Recertify the plan"
    source = (MANUAL + " C; 42 CFR 424.24(c) (recertification at least every 90 calendar days from the initial "
              "treatment, which is day 1)")
    needs = ("patient_id", "dos", "cpt", "poc_start", "poc_end")

    def lines(self, ctx: ScrubContext):  # noqa: ANN201 - either column is enough here
        if not {"poc_start", "poc_end"} & ctx.columns:
            return iter(())
        return Rule.lines(self, ctx)

    def check(self, ctx: ScrubContext) -> Iterator[Finding]:
        days = ctx.ref.constant("poc_recertification_days")
        by_end = "poc_end" in ctx.columns
        last_days: dict[date, date] = {}  # poc_start -> the certification's last day (poc_start is day 1)
        for line in self.lines(ctx):
            if by_end and line.poc_end is not None:
                # The period the sheet gives (a recertified one need not start at the start of care)
                if line.dos > line.poc_end:
                    yield self.finding(ctx, line, f"dos {line.dos.isoformat()} is after the certification period, "
                                       f"which ends {line.poc_end.isoformat()}", field="poc_end",
                                       amount=ctx.allowed(line))
                continue
            if line.poc_start is None:
                continue
            last_day = last_days.get(line.poc_start)
            if last_day is None:
                last_day = last_days[line.poc_start] = line.poc_start + timedelta(days=days - 1)
            if line.dos > last_day:
                day = (line.dos - line.poc_start).days + 1
                yield self.finding(ctx, line, f"dos {line.dos.isoformat()} is day {day} of the plan of care that "
                                   f"started {line.poc_start.isoformat()}; its certification covers {days} days, "
                                   f"through {last_day.isoformat()}", field="poc_start", amount=ctx.allowed(line))


def _visit_reports(ctx: ScrubContext, keys: dict[tuple, list]) -> dict[tuple, list[date]]:
    """(patient, discipline) of `keys` -> the dates of its visits that are a progress report themselves: the sheet's
    note type says so, or the visit bills a re-evaluation."""
    re_evaluations = frozenset(code for code, info in ctx.ref.codes.items() if info.family == "re_evaluation")
    reported: dict[tuple, set] = defaultdict(set)
    for visit in ctx.visits:
        key = (visit.patient_id, visit.discipline)
        if key in keys and any(l.note_type == PROGRESS_REPORT or l.cpt in re_evaluations for l in visit.lines):
            reported[key].add(visit.dos)
    return {key: sorted(dates) for key, dates in reported.items()}


class ProgressReportDue(_PlanRule):
    id = "POC003"
    name = "progress-report-due"
    severity = "warning"
    condition = ("The 11th treatment day since progress_report (or poc_start) with no newer progress report (a visit "
                 "on the sheet whose note is a progress note or re-evaluation, or that bills a re-evaluation, is one)")
    fix = "Write a progress report"
    source = "CMS Pub. 100-02 ch.15 §220.3 D (a progress report at least once every 10 treatment days)"
    needs = ("patient_id", "dos", "cpt", "poc_start", "progress_report")

    def lines(self, ctx: ScrubContext):  # noqa: ANN201 - either column is enough here
        if not {"poc_start", "progress_report"} & ctx.columns:
            return iter(())
        return Rule.lines(self, ctx)

    def check(self, ctx: ScrubContext) -> Iterator[Finding]:
        limit = ctx.ref.constant("progress_report_treatment_days")
        treatment_days: dict[tuple, set] = defaultdict(set)
        for visit in ctx.visits:
            treatment_days[(visit.patient_id, visit.discipline)].add(visit.dos)
        ordered = {key: sorted(days) for key, days in treatment_days.items() if len(days) > limit}
        if not ordered:
            return
        reports = _visit_reports(ctx, ordered)
        for line in self.lines(ctx):
            key = (line.patient_id, line.discipline or "PT")
            days = ordered.get(key)
            if days is None:
                continue  # not enough treatment days on the sheet for a report to be due
            if line.progress_report is not None:
                since, count = line.progress_report, bisect_right(days, line.dos) - bisect_right(days, line.progress_report)
                what = f"the last progress report ({since.isoformat()})"
            elif line.poc_start is not None:
                since, count = line.poc_start, bisect_right(days, line.dos) - bisect_left(days, line.poc_start)
                what = f"the start of care ({since.isoformat()})"
            else:
                continue
            # A visit on the sheet whose note is a progress report, or that bills a re-evaluation, on or after that
            # day: the next reporting period starts the treatment day after it (§220.3 D)
            at = bisect_right(reports.get(key, ()), line.dos)
            if count > limit and at and (latest := reports[key][at - 1]) >= since:
                count = bisect_right(days, line.dos) - bisect_right(days, latest)
                what = f"the progress report of {latest.isoformat()} (a progress note or re-evaluation on that visit)"
            if count > limit:
                yield self.finding(ctx, line, f"{line.dos.isoformat()} is treatment day {count} on this sheet since "
                                   f"{what}; a progress report is due every {limit} treatment days",
                                   field="progress_report" if "progress_report" in ctx.columns else "poc_start")
