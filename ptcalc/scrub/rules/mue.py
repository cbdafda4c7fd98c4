"""MUE: medically unlikely edits — per line (MAI 1) or per date of service (MAI 2 and 3)."""
from __future__ import annotations

from collections.abc import Iterator

from ...fees import PRICED_STATUSES
from ..context import ScrubContext
from ..findings import Finding
from .base import Rule

MAI_WORDS = {1: "a line edit (more units may go on another line with a modifier)",
             2: "a per-day policy limit that cannot be appealed",
             3: "a per-day clinical limit, appealable with documentation"}


class UnitsExceedMue(Rule):
    id = "MUE001"
    name = "units-exceed-mue"
    severity = "error"
    condition = ("Units of a code exceed its MUE: per line for MAI 1, per date of service for MAI 2 and 3 (the "
                 "patient's units of the code that day, a PT's and an OT's together: the sheet is one billing "
                 "provider)")
    fix = "Reduce units; with MAI 3 only with documentation on appeal"
    # CR 5402 (MLN Matters, 2007): an MUE tests the claim lines of one beneficiary, code, date of service and
    # billing provider, so a group's PT and OT lines of one code and day count together
    source = ("CMS NCCI practitioner MUE table (reference/mue.yaml); CMS CR 5402: an MUE tests one beneficiary's "
              "lines of a code on a date of service from one billing provider")
    needs = ("patient_id", "dos", "cpt", "units")
    applies = staticmethod(lambda profile: profile.mue_applies)

    def check(self, ctx: ScrubContext) -> Iterator[Finding]:
        table = ctx.ref.mue
        # Over the MUE is only possible for a line over it on its own, or a code on several lines of one day.
        repeated = [group for group in ctx.repeated_codes if group[0].cpt in table.rows]
        in_repeated = {id(line) for group in repeated for line in group}
        alone = [[line] for line in ctx.judgeable_lines if line.units is not None and line.cpt in table.rows
                 and line.units > table.rows[line.cpt].units and id(line) not in in_repeated]
        for line in ctx.judgeable_lines:
            if line.cpt not in table.rows and line.units is not None and line.units > 1 \
                    and self.applies_to(ctx, line):
                yield self.finding(ctx, line, f"{line.cpt} has no MUE in the reference MUE table ({table.release}): "
                                   f"{line.units} units cannot be judged", status="no_data", field="units",
                                   fix="Check the units against the current CMS MUE table")
        for group in alone + repeated:
            code_lines = [line for line in group if line.units is not None and self.applies_to(ctx, line)]
            if not code_lines:
                continue
            code = code_lines[0].cpt
            mue = table.rows[code]
            if mue.units == 0 and (row := ctx.fee_row(code_lines[0])) is not None \
                    and row.status not in PRICED_STATUSES:
                continue  # an MUE of 0 restates that Medicare does not pay the code: COV001-003 say so
            if mue.mai == 1:
                over = [(l, l.units, "on this line") for l in code_lines if l.units > mue.units]
            else:
                total = sum(l.units for l in code_lines)
                rows = "" if len(code_lines) == 1 else f" (rows {', '.join(str(l.row) for l in code_lines)})"
                over = [(code_lines[0], total, f"on this date of service{rows}")] if total > mue.units else []
            for line, units, label in over:
                where = f"MUE {mue.units} ({MAI_WORDS[mue.mai]}; {table.release})"
                price = ctx.unit_price(line)
                excess = units - mue.units
                yield self.finding(ctx, line, f"{code}: {units} unit{'s' if units != 1 else ''} {label} "
                                   f"exceed its {where}",
                                   field="units", amount=price * excess if price is not None else None,
                                   fix=f"Bill at most {mue.units} unit{'s' if mue.units != 1 else ''} of {code}"
                                   + (" (appeal with documentation for more)" if mue.mai == 3 else ""))
