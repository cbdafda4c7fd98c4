"""ANSI X12 837P (005010X222A1) and 837I (005010X223A2) files -> charge lines, read and validated by pyx12.

Each service line (loop 2400) becomes a row of a charge sheet with the scrub's own column names,
so the same rules, reports and exit codes apply:

- patient: the subscriber's member id (2010BA NM109); a patient who is not the subscriber (loop 2000C, a
  child on a family plan) is that id and the patient's name (2010CA: `patients.dependent_id`);
- claim id CLM01, service line LX01, place of service SV105 or CLM05-1;
- date of service DTP*472 of the line (or of the claim); a range of several days is refused on its line;
- code and modifiers SV101-2 … SV101-6, charge SV102, units SV104 (a quantity in minutes, SV103 `MJ`, is the
  line's DAT002: therapy is billed in units);
- 837I (hospital outpatient, SNF, CORF, rehabilitation agency therapy, paid under the same fee schedule
  and therapy rules): code and modifiers SV202-2 … SV202-6, charge SV203, units SV205; the revenue code
  SV201 names the discipline (042x PT, 043x OT, 044x SLP), the rendering provider is 2420C or 2310D,
  and CLM05-1 is the type of bill, not a place of service;
- rendering provider: 2420A at the line, else 2310B, else the billing provider (2000A PRV); its
  taxonomy decides the provider type (2251* PT, 2252* PTA, 225X* OT, 224Z* OTA, 235Z* SLP; an athletic
  trainer's 2255A2300X, a massage therapist's 225700000X or a chiropractor's 111N* is no therapist: PRV003; a
  physician's 20*, a nurse practitioner's 363L* or a physician assistant's 363A* furnishes therapy under a plan);
- payer: 2010BB NM103, and the claim filing indicator SBR09 decides the payer type (MB medicare,
  16 medicare_advantage, MC medicaid, WC workers_comp, CI/BL/HM commercial, …: `FILING_TYPES`);
- the second payer of a claim sent to the primary (2000B SBR01 P): the other subscriber's payer (loop 2320 whose
  SBR01 is S, its 2330B NM103), whose unit rule may differ (UNT008);
- a claim sent to a later payer (2000B SBR01 S or T) after Medicare or an MA plan paid (the loop 2320 whose SBR01 is
  P, or S for a tertiary's claim, names it: its SBR09 and 2330B NM103) carries the lines billed to Medicare first,
  and a supplement pays on Medicare's decision: they are judged as Medicare's, with the claim's other earlier
  payer, else its own, as the second payer. Judged as the destination's, they were held to a commercial plan's AMA
  unit rule and went without KX and CQ/CO. A claim to Medicare as the secondary (after an employer's plan) is
  judged as Medicare's, as before;
- the line item control number REF*6R (an 835 echoes it: `ptcalc backtest` matches on it);
- an 837P of X12's errata version 005010X222A2 (as the TR3's examples are written) is read with the A1 map,
  pyx12 having none of it, and the reading says so;
- a claim whose frequency code (CLM05-3) is 8 voids one sent before: its lines are kept as not claim
  lines ("voided"), not judged;
- minutes: an 837 has no minutes field; a line note (NTE) `MIN=30 PTA=10` carries them when the
  sender writes one. Without minutes the unit rules say no_data.

A file pyx12 cannot parse is refused naming the segment and its position; a claim with errors
keeps its lines (the rules judge what is readable) and the errors are listed in the reading.
"""
from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

from ..errors import UsageError
from ..scrub.names import discipline_of_revenue_code
from ..scrub.reader import RawSheet
from .patients import dependent_id
from .sniff import CLAIMS_THEN_REMITS, ISA_LENGTH, interchanges, transaction_sets, x12_text

HEADER = ["claim_id", "claim_line", "patient_id", "dos", "cpt", "modifiers", "units", "minutes", "pta_minutes",
          "charge", "pos", "payer_type", "payer", "provider_type", "rendering_npi", "line_control", "status",
          "secondary_payer", "revenue_code"]
MEDICARE_TYPES = ("medicare", "medicare_advantage")
_EARLIER = {"S": ("P",), "T": ("P", "S")}  # 2000B SBR01 -> the 2320 loops (SBR01) of the payers that paid before
PROFESSIONAL, PROFESSIONAL_ERRATA = "005010X222A1", "005010X222A2"  # GS08 / ST03: the 837P's version
MINUTES_BASIS = "MJ"  # SV103: the quantity SV104 is minutes (anesthesia's), not units (UN)
VOID_FREQUENCY = "8"  # CLM05-3: a claim that voids (cancels) one sent before: its lines are not billed
FILING_TYPES = {"MB": "medicare", "MA": "medicare", "16": "medicare_advantage", "MC": "medicaid",
                "WC": "workers_comp", "CI": "commercial", "BL": "commercial", "HM": "commercial",
                "12": "commercial", "13": "commercial", "14": "commercial", "15": "commercial", "17": "commercial",
                "LM": "commercial", "ZZ": "self_pay"}
TAXONOMY_TYPES = (("2251", "PT"), ("2252", "PTA"), ("225X", "OT"), ("224Z", "OTA"), ("235Z", "SLP"),
                  # no therapists: the scrub reads them as it reads the credential (PRV003)
                  ("2255A2300X", "ATC"), ("225700000X", "LMT"), ("111N", "DC"),
                  # physicians (allopathic and osteopathic 20…, podiatric 213E…) and nonphysician practitioners
                  # (nurse practitioners 363L…, physician assistants 363A…, clinical nurse specialists 364S…), who
                  # furnish therapy under a plan or incident to a physician's service
                  ("20", "MD"), ("213E", "DPM"), ("363L", "NP"), ("363A", "PA"), ("364S", "CNS"))
_NOTE_MINUTES = re.compile(r"\bMIN(?:UTES)?\s*[=:]\s*(\d+(?:\.\d+)?)", re.I)
_NOTE_ASSISTANT = re.compile(r"\b(?:PTA|OTA|ASSISTANT)\s*[=:]\s*(\d+(?:\.\d+)?)", re.I)


_ENVELOPES = {"isa": "interchange (ISA-IEA)", "gs": "functional group (GS-GE)", "st": "transaction (ST-SE)",
              "seg": "segment", "ele": "element"}


class _Collect:
    """pyx12 error handler that keeps every error with its segment and line."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.seg: Any = None
        self.line = 0
        self.before = 0  # the segments of the file before the interchange being read (its lines count from 1)
        self.interchange = ""  # which one, in a file of several

    def add_isa_loop(self, seg: Any, src: Any) -> None:
        self._at(seg, src)

    add_gs_loop = add_st_loop = add_isa_loop

    def add_seg(self, map_node: Any, seg: Any, seg_count: Any, cur_line: Any, ls_id: Any) -> None:
        self.seg, self.line = seg, cur_line

    def add_ele(self, map_node: Any) -> None:
        pass

    def _at(self, seg: Any, src: Any) -> None:
        self.seg, self.line = seg, getattr(src, "cur_line", self.line)

    def _error(self, code: str, text: str) -> None:
        segment = self.seg.get_seg_id() if self.seg is not None else "?"
        self.errors.append(f"segment {segment} at line {self.before + self.line}: {text} (code {code})")

    def isa_error(self, code: str, text: str) -> None:
        self._error(code, text)

    gs_error = st_error = isa_error

    def seg_error(self, code: str, text: str, err_val: Any = None, src_line: Any = None) -> None:
        self._error(code, text)

    def ele_error(self, code: str, text: str, err_val: Any = None, refdes: Any = None) -> None:
        self._error(code, text + (f" ({refdes})" if refdes else ""))

    def close_isa_loop(self, *args: Any) -> None:
        pass

    close_gs_loop = close_st_loop = close_isa_loop

    def handle_errors(self, errors: list) -> None:
        for kind, code, text, value, line in errors:  # an envelope's count or control number that is wrong
            where = f" at line {self.before + line}" if line else ""
            self.errors.append(f"{self.interchange}{_ENVELOPES.get(kind, kind)}{where}: {text} (code {code})")


def read_837(path: Path) -> tuple[RawSheet, list[str]]:
    """The service lines of an 837P or 837I as a charge sheet, and the validation problems pyx12 found."""
    import pyx12.errors
    import pyx12.params
    import pyx12.x12context

    text = x12_text(path.read_bytes().decode("ascii", errors="replace"))
    if "IEA" not in text[-256:].upper():
        raise UsageError(f"{path}: the X12 file ends without its IEA segment (cut short?); ask for the whole file")
    said = []
    if PROFESSIONAL_ERRATA in text:  # X12's later errata of the 837P, which pyx12 has no map of
        text = text.replace(PROFESSIONAL_ERRATA, PROFESSIONAL)
        said.append(f"version {PROFESSIONAL_ERRATA} (X12's errata of the 837P) read as {PROFESSIONAL}, the version "
                    "HIPAA adopted: the two differ in a few situational rules, not in the segments read here")
    params = pyx12.params.params()
    errors = _Collect()
    rows: list[list[Any]] = [list(HEADER)]
    to_later_payers = 0  # claims sent to a secondary or tertiary payer after Medicare, judged as Medicare's
    try:
        sent = interchanges(text)
        errors.errors.extend(_repeated_control_numbers([interchange for _, interchange in sent]))
        for number, (errors.before, interchange) in enumerate(sent, 1):
            errors.interchange = f"interchange {number} of {len(sent)}: " if len(sent) > 1 else ""
            with io.StringIO(interchange) as handle:
                reader = pyx12.x12context.X12ContextReader(params, errors, handle)
                billing_type = None
                for node in reader.iter_segments("2000B"):  # one subscriber at a time; 2000A's segments stream by
                    if node.id == "PRV":  # the billing provider's taxonomy (2000A)
                        billing_type = _provider_type(node.get_value("PRV03"))
                    elif node.id == "HL" and node.get_value("HL03") == "20":
                        billing_type = None  # a new billing provider
                    elif node.id == "2000B":
                        lines, later = _subscriber_lines(node, billing_type)
                        rows.extend(lines)
                        to_later_payers += later
    except (pyx12.errors.X12Error, pyx12.errors.EngineError, ValueError, IndexError, KeyError) as exc:
        where = f" near line {errors.before + errors.line}" if errors.line else ""
        raise UsageError(f"{path}: not a readable X12 837 file{where}: {exc}") from None
    if errors.errors and len(rows) == 1:
        raise UsageError(f"{path}: not a readable X12 837 file: {errors.errors[0]}")
    if len(rows) == 1 and transaction_sets(text) == {"835"}:
        raise UsageError(f"{path}: an 835 remittance (what a payer paid and denied), not a claim file: give the 837 "
                         f"the claims went out in ({CLAIMS_THEN_REMITS})")
    if len(rows) == 1:
        raise UsageError(f"{path}: no 837 service lines (loop 2400) found; is this a claim file (837P or 837I)?")
    for name in ("minutes", "pta_minutes", "status", "revenue_code"):  # no line carries them: the source has none
        at = rows[0].index(name)
        if all(row[at] is None for row in rows[1:]):
            rows = [row[:at] + row[at + 1:] for row in rows]
    if to_later_payers:
        said.append(f"{to_later_payers} claim{'s' if to_later_payers != 1 else ''} sent to a secondary or tertiary "
                    "payer (2000B SBR01 S or T) after Medicare: judged as billed to the Medicare or Medicare Advantage "
                    "payer their loop 2320 names as the primary, which their lines went to first")
    return RawSheet(path, "837 service lines", rows, notes=said, claims_as_sent=True), errors.errors


def _repeated_control_numbers(sent: list[str]) -> list[str]:
    """Interchanges of one file under one control number (ISA13): the same batch sent twice, most often (each is
    read alone, so pyx12 cannot see it)."""
    seen: dict[str, int] = {}
    said = []
    for number, interchange in enumerate(sent, 1):
        isa = interchange.lstrip()
        elements = isa[:ISA_LENGTH].split(isa[3]) if len(isa) >= ISA_LENGTH else []
        control = elements[13] if len(elements) > 13 else None
        if control in seen:
            said.append(f"interchange {number} of {len(sent)}: ISA control number {control} is interchange "
                        f"{seen[control]}'s too (the same interchange sent twice?)")
        elif control:
            seen[control] = number
    return said


def _subscriber_lines(subscriber: Any, billing_type: str | None) -> tuple[list[list[Any]], int]:
    """The subscriber's claims' lines, and how many of the claims went to a later payer after Medicare (judged as
    Medicare's). A claim to Medicare as the secondary payer (after an employer's plan) is Medicare's own: judged as
    its destination's, as a claim to the primary is."""
    filing = subscriber.get_value("SBR09") or ""
    payer_type = FILING_TYPES.get(filing)
    payer = next((p.get_value("NM103") for p in subscriber.select("2010BB")), None) or ""
    member = next((m.get_value("NM109") for m in subscriber.select("2010BA")), None)
    sent_to = subscriber.get_value("SBR01")
    claims = [(claim, member) for claim in subscriber.select("2300")]
    for patient in subscriber.select("2000C"):  # the patient is not the subscriber
        name = next(iter(patient.select("2010CA")), None)
        who = dependent_id(name.get_value("NM109"), member, name.get_value("NM103"), name.get_value("NM104")) \
            if name is not None else member
        claims += [(claim, who) for claim in patient.select("2300")]
    rows, later = [], 0
    for claim, who in claims:
        # The payers before this one: the primary for a secondary's claim, the primary and secondary for a tertiary's
        earlier = [] if payer_type in MEDICARE_TYPES else \
            [other for responsibility in _EARLIER.get(sent_to, ()) if (other := _other_payer(claim, responsibility))]
        medicare = next((other for other in earlier if other[0] in MEDICARE_TYPES), None)
        if medicare is not None:  # to a later payer, after Medicare or an MA plan
            second = next((other for other in earlier if other is not medicare), (payer_type, payer))
            rows.extend(_claim_lines(claim, who, *medicare, second[1], billing_type))
            later += 1
        else:
            second = _other_payer(claim, "S") if sent_to == "P" else None
            rows.extend(_claim_lines(claim, who, payer_type, payer, second[1] if second else None, billing_type))
    return rows, later


def _other_payer(claim: Any, responsibility: str) -> tuple[str | None, str | None] | None:
    """The payer type (its SBR09) and name (2330B NM103) of the claim's other subscriber loop (2320) whose payer
    is `responsibility` (P primary, S secondary), if the claim has one."""
    for other in claim.select("2320"):
        if other.get_value("SBR01") == responsibility:
            name = next((p.get_value("NM103") for p in other.select("2330B")), None)
            return FILING_TYPES.get(other.get_value("SBR09") or ""), name
    return None


def _claim_lines(claim: Any, patient: str | None, payer_type: str | None, payer: str | None, second: str | None,
                 billing_type: str | None) -> list[list[Any]]:
    claim_id = claim.get_value("CLM01")
    # CLM05-2 `B`: CLM05-1 is the place of service (837P); `A`: the type of bill (837I), no place of service
    claim_pos = claim.get_value("CLM05-1") if claim.get_value("CLM05-2") != "A" else None
    status = "void" if claim.get_value("CLM05-3") == VOID_FREQUENCY else None
    claim_date = claim.get_value("DTP03") if claim.get_value("DTP01") == "472" else None
    rendering = next(iter(claim.select("2310D" if claim_pos is None else "2310B")), None)
    claim_npi = rendering.get_value("NM109") if rendering is not None else None
    claim_type = _provider_type(rendering.get_value("PRV03")) if rendering is not None else None
    rows = []
    for line in claim.select("2400"):
        institutional = bool(line.get_value("SV201"))  # SV2: revenue code, then the HCPCS composite
        line_provider = next(iter(line.select("2420C" if institutional else "2420A")), None)
        npi = (line_provider.get_value("NM109") if line_provider is not None else None) or claim_npi
        if institutional:  # no taxonomy for the therapist: the revenue code names the discipline
            provider = discipline_of_revenue_code(line.get_value("SV201")) or claim_type or billing_type
            code, units, charge, pos = (line.get_value("SV202-2"), line.get_value("SV205"), line.get_value("SV203"),
                                        None)
            modifiers = " ".join(m for m in (line.get_value(f"SV202-{i}") for i in range(3, 7)) if m)
        else:
            provider = (_provider_type(line_provider.get_value("PRV03")) if line_provider is not None else None) \
                or claim_type or billing_type
            code, units, charge, pos = (line.get_value("SV101-2"), line.get_value("SV104"), line.get_value("SV102"),
                                        line.get_value("SV105") or claim_pos)
            if units and line.get_value("SV103") == MINUTES_BASIS:
                units = f"{units} {MINUTES_BASIS}"  # minutes, not units: the line's units say so (DAT002)
            modifiers = " ".join(m for m in (line.get_value(f"SV101-{i}") for i in range(3, 7)) if m)
        note = " ".join(n.get_value("NTE02") or "" for n in line.select("NTE")) or (line.get_value("NTE02") or "")
        minutes, assistant = _NOTE_MINUTES.search(note), _NOTE_ASSISTANT.search(note)
        day = line.get_value("DTP03") if line.get_value("DTP01") == "472" else claim_date
        rows.append([claim_id, line.get_value("LX01"), patient, _iso(day), code, modifiers, units,
                     minutes.group(1) if minutes else None, assistant.group(1) if assistant else None, charge,
                     pos, payer_type, payer, provider, npi,
                     next((r.get_value("REF02") for r in line.select("REF") if r.get_value("REF01") == "6R"), None),
                     status, second, line.get_value("SV201") if institutional else None])
    return rows


def _provider_type(taxonomy: str | None) -> str | None:
    if not taxonomy:
        return None
    return next((kind for prefix, kind in TAXONOMY_TYPES if taxonomy.upper().startswith(prefix)), None)


def _iso(value: str | None) -> str | None:
    """CCYYMMDD (D8), or CCYYMMDD-CCYYMMDD (RD8), as ISO. A range of one day is that day; a range of several
    stays a range, which the line's date refuses by name (DAT002: a therapy line is one date of service, and
    its units are judged per day), rather than being judged as its first day with every day's units."""
    if not value:
        return value
    days = [f"{day[:4]}-{day[4:6]}-{day[6:8]}" if len(day) == 8 and day.isdigit() else day
            for day in value.split("-")]
    return days[0] if len(set(days)) == 1 else " - ".join(days)
