"""Finding, reading, validating and caching the reference tables.

The directory is, in order: the one passed in, `PTCALC_REFERENCE`, the `reference/` folder of
the ptcalc checkout the command runs in, that of the source tree ptcalc was imported from, or
the copy packaged inside an installed wheel. Tables are parsed once per
process and re-read when a file changes (checked at most once a second, so a long-lived Excel
UDF server picks up edits without paying for a stat on every call). Between processes, each file's
parse is kept on disk by its text (parsed_cache), so a command starts without parsing YAML.
"""
from __future__ import annotations

import functools
import hashlib
import os
import time
from dataclasses import dataclass
from pathlib import Path

from ..errors import ReferenceDataError
from . import model
from .model import Reference
from .schema import validate
from .parsed_cache import read_yaml_cached

ENV_VAR = "PTCALC_REFERENCE"
RECHECK_SECONDS = 1.0
REQUIRED_CONSTANTS = (
    "poc_certification_days", "poc_recertification_days", "progress_report_treatment_days",
    "assistant_payment_rate", "assistant_de_minimis", "timed_code_single_line_from",
    "max_minutes_per_line", "max_units_per_line", "ncci_bypass_modifiers", "telehealth_pos",
    "telehealth_modifier",
)
SINGLE_TABLES = ("codes", "conversion_factors", "thresholds", "mue", "ptp", "payers", "policy", "modifiers",
                 "telehealth")
YEARLY_TABLES = ("fee_schedule", "gpci")
OPTIONAL_TABLES = ("payer_names", "providers", "carc")  # name maps for exports, denial reasons for backtests


_PACKAGE = Path(__file__).resolve().parents[1]
_SOURCE_TREE = _PACKAGE.parent / "reference"
# A source checkout uses its reference/ folder; an installed wheel carries a copy in the package.
_BUILT_IN = _SOURCE_TREE if (_SOURCE_TREE / "codes.yaml").is_file() else _PACKAGE / "_reference"


def checkout_root(start: Path | None = None) -> Path | None:
    """The ptcalc checkout the current directory is in (its pyproject names ptcalc), if any."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        project = folder / "pyproject.toml"
        if (folder / "reference" / "codes.yaml").is_file() and project.is_file():
            try:
                if 'name = "ptcalc"' in project.read_text(encoding="utf-8"):
                    return folder
            except (OSError, UnicodeDecodeError):
                return None
    return None


def source_tree_directory() -> Path:
    """reference/ of the checkout this command runs in, else of the source tree ptcalc was imported from."""
    root = checkout_root()
    return root / "reference" if root else _SOURCE_TREE


def packaged_directory() -> Path:
    return _PACKAGE / "_reference"


def default_directory() -> Path:
    """`PTCALC_REFERENCE`, else reference/ of the checkout the command runs in (so `ptcalc` and
    `python -m ptcalc` read the same tables there), else the copy ptcalc was installed with."""
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env)
    return _default_for(os.getcwd())


@functools.lru_cache(maxsize=64)
def _default_for(cwd: str) -> Path:  # a worksheet function asks on every call: look once per folder
    root = checkout_root(Path(cwd))
    return root / "reference" if root else _BUILT_IN


@dataclass
class _Entry:
    checked: float
    signature: tuple
    reference: Reference


_cache: dict[Path, _Entry] = {}
_default: tuple[float, Path] | None = None  # when default_directory() was last asked, and its answer


def _signature(directory: Path) -> tuple:
    try:
        files = sorted(p for p in directory.iterdir() if p.suffix == ".yaml")
    except OSError as exc:
        raise ReferenceDataError(f"{directory}: reference directory cannot be read: {exc.strerror}") from None
    return tuple((p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in files)


def load_reference(directory: str | Path | None = None) -> Reference:
    """The reference data of a directory (default: default_directory()), cached until a file changes. The files
    and the default directory (the environment and the working folder) are looked at again at most once every
    RECHECK_SECONDS: a worksheet function asks on every call, and those looks cost more than its arithmetic."""
    global _default  # noqa: PLW0603 - one default per process
    now = time.monotonic()
    if directory is not None:
        path = directory if isinstance(directory, Path) else Path(directory)
    elif _default is not None and now - _default[0] < RECHECK_SECONDS:
        path = _default[1]
    else:
        path = default_directory()
        _default = (now, path)
    entry = _cache.get(path)
    if entry is not None and now - entry.checked < RECHECK_SECONDS:
        return entry.reference
    signature = _signature(path)
    if entry is not None and entry.signature == signature:
        entry.checked = now
        return entry.reference
    reference = _read(path, signature)
    _cache[path] = _Entry(now, signature, reference)
    return reference


def clear_cache() -> None:
    global _default  # noqa: PLW0603
    _cache.clear()
    _default = None


def _read(directory: Path, signature: tuple) -> Reference:
    if not signature:
        raise ReferenceDataError(f"{directory}: no reference tables (*.yaml) found")
    documents: dict[str, list[tuple[Path, object]]] = {}
    for name, _, _ in signature:
        path = directory / name
        document = read_yaml_cached(path)
        kind = validate(document, path)
        documents.setdefault(kind, []).append((path, document))
    for kind in SINGLE_TABLES + YEARLY_TABLES:
        if kind not in documents:
            raise ReferenceDataError(f"{directory}: no `table: {kind}` file found")
    for kind in SINGLE_TABLES + OPTIONAL_TABLES:
        if len(documents.get(kind, ())) > 1:
            names = ", ".join(p.name for p, _ in documents[kind])
            raise ReferenceDataError(f"{directory}: `table: {kind}` appears in more than one file ({names})")

    def one(kind: str, build):  # noqa: ANN001, ANN202 - a local helper
        path, document = documents[kind][0]
        return build(document, path)

    fee_schedules = _yearly(documents["fee_schedule"], model.build_fee_schedule)
    gpcis = _yearly(documents["gpci"], model.build_gpci)
    kx, review = one("thresholds", model.build_thresholds)
    thresholds_doc = documents["thresholds"][0][1]
    constants, windows = one("policy", model.build_policy)
    policy_path = documents["policy"][0][0]
    for name in REQUIRED_CONSTANTS:
        if name not in constants:
            raise ReferenceDataError(f"{policy_path}:1: constants: {name!r} is missing")
    version = hashlib.sha256(repr((str(directory), signature)).encode()).hexdigest()[:12]
    return Reference(
        directory=directory, version=version,
        codes=one("codes", model.build_codes),
        fee_schedules=fee_schedules,
        conversion_factors=one("conversion_factors", model.build_conversion_factors),
        gpcis=gpcis, kx_thresholds=kx, review_thresholds=review,
        warning_margin=float(thresholds_doc["warning_margin"]),
        warning_margin_source=thresholds_doc["warning_margin_source"],
        mue=one("mue", model.build_mue), ptp=one("ptp", model.build_ptp),
        payers=one("payers", model.build_payers), constants=constants, telehealth_windows=windows,
        telehealth_codes=one("telehealth", model.build_telehealth),
        modifiers=one("modifiers", model.build_modifiers),
        payer_names=one("payer_names", model.build_payer_names) if "payer_names" in documents else (),
        denial_reasons=one("carc", model.build_carc) if "carc" in documents else {},
        **(dict(zip(("provider_credentials", "provider_roster"), one("providers", model.build_providers)))
           if "providers" in documents else {}),
    )


def _yearly(found: list, build) -> dict:  # noqa: ANN001
    tables: dict = {}
    for path, document in found:
        table = build(document, path)
        if table.year in tables:
            raise ReferenceDataError(f"{path}:{document.line_of('year')}: year: {table.year} is in another file too")
        tables[table.year] = table
    return tables


__all__ = ["Reference", "ReferenceDataError", "clear_cache", "default_directory", "load_reference"]
