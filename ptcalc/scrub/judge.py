"""Judging charge lines patient by patient: the unit of work the scrub partitions on.

Every rule judges within one patient (a line, a visit, a day, a patient's KX year), so the
lines can be split into partitions that never cut a patient in two and judged one partition
at a time: the judging's memory (indexes, visits, prices) then follows the partition, not
the file, and partitions can go to several processes (`--jobs`). A partition is
`crc32(patient_id) mod K`, stable across processes and runs: the hash partitioning a
distributed engine applies to a key, so a billing company can give `partition_of` to Spark
(`partitionBy`) or Dask (`shuffle` on it) and run the same `judge_partition` on each
partition there (docs/performance.md, Scale).
"""
from __future__ import annotations

import os
import signal
import sys
import zlib
from dataclasses import dataclass, field
from datetime import date
from operator import attrgetter

from ..cores import usable_cores
from ..refdata import Reference
from .context import ScrubContext
from .findings import Finding, sort_key
from .lines import ChargeLine
from .rules import all_rules

# About this many lines per partition. Small partitions keep each rule's pass over them in the CPU's
# cache: at 25,000 lines a partition's lines (~1 KB each) outgrow it and judging a line cost ~1.4x what
# it costs on a 10,000-line sheet; at 1,000 the cost per line is flat from 10,000 to 100,000 lines
# (measured: -15 to -26% judging time at 100,000 lines; 500 and below pay more in per-partition setup).
PARTITION_LINES = 1_000

# `--jobs` not given (the command line; the Excel macro judges in its own process): a sheet of this many lines is
# judged in one process per core, up to AUTO_JOBS_MAX. Below, starting a process costs about what it saves
# (measured at 20,000 lines: judging 0.58-0.69 s in one process, 0.45-0.49 s in two). Above, the processes' memory
# would add up: a forked worker's own memory is ~0.9 KB per line of its share, and a million lines must scrub in
# 1.5 GB. Only where processes start by fork (Linux): a spawned worker would be sent every line.
AUTO_JOBS_LINES = (20_000, 250_000)
AUTO_JOBS_MAX = 4


@dataclass
class Judgement:
    findings: list[Finding] = field(default_factory=list)
    expected_units: dict[int, int | None] = field(default_factory=dict)  # row -> units the line should carry
    pricing_fallbacks: set[str] = field(default_factory=set)  # pricing bases used in place of missing data
    latest_service: date | None = None  # the last date of service of a judgeable line (the data versions said)
    payer_copies: dict[int, str] = field(default_factory=dict)  # row -> why not judged: another payer's listing

    def add(self, other: "Judgement") -> None:
        self.findings.extend(other.findings)
        self.expected_units.update(other.expected_units)
        self.pricing_fallbacks |= other.pricing_fallbacks
        self.payer_copies.update(other.payer_copies)
        if other.latest_service and (not self.latest_service or other.latest_service > self.latest_service):
            self.latest_service = other.latest_service

    def __reduce__(self) -> tuple:
        """Pickled with its findings as columns of field values (`--jobs` sends judgements between
        processes): a third of the time of pickling each finding, and the receiving process, still
        judging its own share, spends less of its time unpickling. The columns are read in one pass over
        the findings (sorted, they lie scattered in memory: a pass per field took twice as long)."""
        fields = Finding.__slots__
        columns = list(zip(*map(attrgetter(*fields), self.findings))) or [()] * len(fields)
        return _judgement_from_columns, (columns, self.expected_units, self.pricing_fallbacks, self.latest_service,
                                         self.payer_copies)


def _judgement_from_columns(columns: list[tuple], expected_units: dict[int, int | None],
                            pricing_fallbacks: set[str], latest_service: date | None,
                            payer_copies: dict[int, str]) -> Judgement:
    return Judgement(list(map(Finding, *columns)), expected_units, pricing_fallbacks, latest_service, payer_copies)


def judge_partition(lines: list[ChargeLine], ref: Reference, columns: set[str], as_of: date) -> Judgement:
    """Every rule over lines that hold each of their patients whole."""
    ctx = ScrubContext(ref, lines, columns, as_of)
    rules = all_rules()
    ctx.findings = [finding for rule in rules if not rule.reviews_findings for finding in rule.check(ctx)]
    findings = ctx.findings + [finding for rule in rules if rule.reviews_findings for finding in rule.check(ctx)]
    fallbacks = {f for basis in ctx.pricing_bases for f in basis.fallbacks}
    latest = max([line.dos for line in ctx.judgeable_lines], default=None)
    return Judgement(findings, ctx.expected_units_by_row(), fallbacks, latest, ctx.payer_copies)


def partition_of(patient_id: str | None, partitions: int) -> int:
    """A stable partition number (the same in every process and on every run)."""
    return zlib.crc32((patient_id or "").encode("utf-8", "surrogatepass")) % partitions


def patient_partitions(lines: list[ChargeLine], size: int = PARTITION_LINES) -> list[list[ChargeLine]]:
    """The lines in about len(lines)/size partitions by patient; lines keep their order inside one."""
    count = max(1, -(-len(lines) // size))
    if count == 1:
        return [lines]
    parts: list[list[ChargeLine]] = [[] for _ in range(count)]
    numbers: dict[str | None, int] = {}
    for line in lines:
        number = numbers.get(line.patient_id)
        if number is None:
            number = numbers[line.patient_id] = partition_of(line.patient_id, count)
        parts[number].append(line)
    return [part for part in parts if part]


# What starting worker processes raises where it cannot: no working sem_open (NotImplementedError, ImportError),
# fork refused (OSError: EAGAIN, ENOMEM). Judging itself does no I/O.
_NO_PROCESSES = (OSError, ImportError, NotImplementedError)


def worker_died(exc: BaseException) -> bool:
    """A worker process ended without finishing (BrokenProcessPool: the system stopped it, most often for lack of
    memory). The pool's module is imported only when a pool runs (not at every start: it and multiprocessing are
    a fifth of the command's import time; see forking()), so without it no pool ran."""
    pool = sys.modules.get("concurrent.futures.process")
    return pool is not None and isinstance(exc, pool.BrokenProcessPool)


_worker_state: tuple | None = None  # (ref, columns, as_of, the processes' shares of partitions when forked)


def _start_worker(*state: object) -> None:
    global _worker_state  # noqa: PLW0603 - one worker process, one scrub
    _worker_state = state
    leave_interrupts_to_the_parent()


def leave_interrupts_to_the_parent() -> None:
    """A worker process ignores Ctrl-C. The terminal sends it to every process of the command: the parent
    stops and says so in one line, while a worker interrupted as it waited for work printed a traceback."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _judge_share(share: int | list[list[ChargeLine]]) -> Judgement:
    """A process's share of the partitions, by number (a forked worker has them all already), or the
    share itself: judged one partition at a time, sent back as one judgement, its findings in report order
    (the parent then sorts runs already in order: a merge, not a sort)."""
    assert _worker_state is not None
    ref, columns, as_of, shares = _worker_state
    judged = _judge_all(shares[share] if isinstance(share, int) else share, ref, columns, as_of)
    judged.findings.sort(key=sort_key)
    return judged


def _judge_all(parts: list[list[ChargeLine]], ref: Reference, columns: set[str], as_of: date) -> Judgement:
    total = Judgement()
    for part in parts:
        total.add(judge_partition(part, ref, columns, as_of))
    return total


def auto_jobs(lines: int) -> int:
    """The processes that judge `lines` lines when the user does not say (AUTO_JOBS_LINES)."""
    low, high = AUTO_JOBS_LINES
    if not low <= lines <= high or not sys.platform.startswith("linux") or not forking():
        return 1
    return min(usable_cores(), AUTO_JOBS_MAX)


def forking() -> bool:
    import multiprocessing  # imported here: xlwings Lite (Pyodide) has no _multiprocessing to import

    return os.name == "posix" and "fork" in multiprocessing.get_all_start_methods()


def judge_lines(lines: list[ChargeLine], ref: Reference, columns: set[str], as_of: date, jobs: int | None = 1,
                partition_lines: int = PARTITION_LINES) -> Judgement:
    """Judge every line, partition by partition (in `jobs` processes when jobs > 1; None: auto_jobs); findings in
    report order. Where worker processes cannot start (no semaphores in some containers, no processes left) or
    one ends without finishing, this process judges them all: the same findings, only slower."""
    if jobs is None:
        jobs = auto_jobs(len(lines))
    if jobs > 1:  # at least one partition per process
        partition_lines = min(partition_lines, max(1, -(-len(lines) // jobs)))
    parts = patient_partitions(lines, partition_lines)
    workers = 1 if jobs <= 1 else min(jobs, len(parts), usable_cores())  # more processes than cores only cost memory
    if workers <= 1:
        total = _judge_all(parts, ref, columns, as_of)
    else:
        try:
            total = _judge_in_processes([parts[i::workers] for i in range(workers)], ref, columns, as_of)
        except Exception as exc:  # noqa: BLE001 - only the pool's own failures are judged again here
            if not isinstance(exc, _NO_PROCESSES) and not worker_died(exc):
                raise
            total = _judge_all(parts, ref, columns, as_of)
    total.findings.sort(key=sort_key)
    return total


def _judge_in_processes(shares: list[list[list[ChargeLine]]], ref: Reference, columns: set[str],
                        as_of: date) -> Judgement:
    """This process judges the first share itself, beside one worker per other share. Each worker sends
    its whole share's judgement back once, at the end (one message to unpickle, not one per partition,
    while this process is still judging); forked workers inherit the lines, so only share numbers go out."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor  # not at the top: see forking()

    forked = forking()
    context = multiprocessing.get_context("fork" if forked else "spawn")
    others = range(1, len(shares))
    with ProcessPoolExecutor(len(shares) - 1, mp_context=context, initializer=_start_worker,
                             initargs=(ref, columns, as_of, shares if forked else None)) as pool:
        judged = pool.map(_judge_share, others if forked else [shares[i] for i in others])
        total = _judge_all(shares[0], ref, columns, as_of)
        total.findings.sort(key=sort_key)  # while the workers finish
        for other in judged:
            total.add(other)
    return total
