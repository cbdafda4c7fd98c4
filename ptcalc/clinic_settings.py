"""A clinic's settings, kept beside its exports: `ptcalc.yaml` in a folder.

A billing company keeps each clinic's exports in a folder of their own and scrubs them all in one
command; what differs between clinics (the Medicare locality that prices their lines, the headers
their practice-management system writes, the sheet their charges are on) is said once, in the
clinic's folder, instead of on every command line — and so is who works there and which plans its
patients have, which the reference tables (providers.yaml, payer_names.yaml) can only say for everyone:

    locality: 01182-18       # MAC-LL, or the locality's name (Manhattan)
    sheet: Charges
    columns:                 # headers ptcalc does not recognise, as in a --columns file
      Pt Acct: patient_id
    providers:               # the clinic's staff by name or NPI: PT, PTA, OT, OTA or SLP
      Kim Lee: PTA
      "1234567893": PT
    payers:                  # plan names and financial classes its exports write, and their payer types
      Sunshine Senior Plan: medicare_advantage
    locations:               # a practice of several sites: each site's locality, for a column naming the site
      Downtown LA: 01182-18
      Oakland: 01112-05
    unit_method_conflict: cms  # a claim whose two payers count timed units differently (an AMA-rule plan primary,
                               # Medicare secondary): judged by the 8-minute rule; `primary` (the default): the
                               # primary payer's rule. UNT008 says where the two give other units.

A file's settings are those of every `ptcalc.yaml` in its folder and the folders above it, the nearest
winning (as .editorconfig's cascade): a billing company names the plans of a region once, in the folder of
its clinics, and each clinic its locality and staff in its own; a file scrubbed alone reads as it does in
the batch. A value (locality, sheet) is the nearest file's; a mapping's entries (columns, providers, payers,
locations) add up, the nearer file's entry winning for a name both give. What the command line says wins
over the files: a `--locality` prices every file of the batch, and a
`--columns` map's headers are added to the file's (its entry wins where both name a header). The
clinic's providers and payers are added to the reference tables' roster and names (the clinic's entry
wins where both name one).
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import reduce
from pathlib import Path
from typing import Any

from .errors import PtcalcInputError, UsageError
from .localities import locality_key
from .refdata import Reference, load_reference
from .refdata.model import fold_name, person_key
from .refdata.schema import ROWS
from .refdata.yamlio import read_yaml
from .scrub.layout import column_map_from
from .scrub.reader import is_workbook

SETTINGS_FILE = "ptcalc.yaml"
SETTINGS = ("columns", "locality", "locations", "payers", "providers", "sheet", "unit_method_conflict")
UNIT_METHOD_CONFLICT = ("primary", "cms")
PROVIDER_TYPES = ROWS["roster"]["provider_type"].choices
PAYER_TYPES = ROWS["payer_names"]["payer_type"].choices


@dataclass(frozen=True)
class ClinicSettings:
    """What the `ptcalc.yaml` files above an export say (nothing, for a file none is above)."""
    paths: tuple[Path, ...] = ()  # the files read, the outermost first
    locality: str | None = None  # a MAC-LL key or "national", checked against the GPCI files
    locality_file: Path | None = None  # the file that set it
    sheet: str | None = None
    sheet_file: Path | None = None
    columns: dict[str, str] = field(default_factory=dict)  # header key -> field, as load_column_map's
    providers: dict[str, str] = field(default_factory=dict)  # NPI or person_key(name) -> provider type
    payers: dict[str, str] = field(default_factory=dict)  # folded payer name -> payer type
    locations: dict[str, str] = field(default_factory=dict)  # folded site name -> MAC-LL
    unit_method_conflict: str | None = None  # primary or cms (UNIT_METHOD_CONFLICT); None: not said

    def within(self, inner: "ClinicSettings") -> "ClinicSettings":
        """These settings (a folder's) with those of a folder inside it: its values win, the mappings add up."""
        return ClinicSettings(self.paths + inner.paths,
                              *((inner.locality, inner.locality_file) if inner.locality else
                                (self.locality, self.locality_file)),
                              *((inner.sheet, inner.sheet_file) if inner.sheet else (self.sheet, self.sheet_file)),
                              {**self.columns, **inner.columns}, {**self.providers, **inner.providers},
                              {**self.payers, **inner.payers}, {**self.locations, **inner.locations},
                              inner.unit_method_conflict or self.unit_method_conflict)

    def reference(self, ref: Reference) -> Reference:
        """The reference data with the clinic's staff on the roster, its plan names among the payer names and its
        sites' names as localities (the same tables otherwise: prices, edits and their caches are shared)."""
        if not self.providers and not self.payers and not self.locations and not self.unit_method_conflict:
            return ref
        names = {**dict(ref.payer_names), **self.payers}
        return replace(ref, provider_roster={**ref.provider_roster, **self.providers},
                       payer_names=tuple(sorted(names.items(), key=lambda item: (-len(item[0]), item[0]))),
                       site_localities={**ref.site_localities, **self.locations},
                       unit_method_conflict=self.unit_method_conflict or ref.unit_method_conflict)

    def locality_or(self, said: str | None) -> tuple[str | None, str]:
        """The locality to price with and where it was said (the command line's first)."""
        if said is not None or self.locality is None:
            return said, "--locality"
        return self.locality, str(self.locality_file)

    def sheet_or(self, said: str | None, source: Path) -> tuple[str | None, str | None]:
        """The sheet to read and the settings file that named it (None: the command line or the default): a
        clinic's sheet is a workbook's, its csv exports are read as they are."""
        if said is not None or self.sheet is None or not is_workbook(source):
            return said, None
        return self.sheet, str(self.sheet_file)

    def columns_with(self, said: dict[str, str] | None) -> dict[str, str] | None:
        """The column map: the settings' headers and the command line's (which win)."""
        merged = {**self.columns, **(said or {})}
        return merged or None

    def described(self) -> str:
        """What the settings set, for the report's reading."""
        said = [f"locality {self.locality}" if self.locality else "", f"sheet {self.sheet!r}" if self.sheet else "",
                _counted(self.columns, "column name"), _counted(self.providers, "provider"),
                _counted(self.payers, "payer name"), _counted(self.locations, "location"),
                f"unit_method_conflict {self.unit_method_conflict}" if self.unit_method_conflict else ""]
        return f"{', '.join(map(str, self.paths))}: {', '.join(filter(None, said)) or 'nothing set'}"


def settings_for(source: Path) -> ClinicSettings:
    """The settings of the ptcalc.yaml files at and above the file's folder, the nearest winning (read for each
    file: a few lines of YAML, and an edit between two runs of one process is seen)."""
    found = [folder / SETTINGS_FILE for folder in source.resolve().parents if (folder / SETTINGS_FILE).is_file()]
    return reduce(ClinicSettings.within, [load_settings(path, _shown(path)) for path in reversed(found)],
                  ClinicSettings())


def _shown(path: Path) -> Path:
    """The settings file as the user would name it: from where they are when it is below, else whole."""
    try:
        return path.relative_to(Path.cwd().resolve())
    except ValueError:
        return path


def load_settings(path: Path, shown: Path | None = None) -> ClinicSettings:
    """A settings file read and checked: a problem is one line naming the file and the setting."""
    shown = shown or path
    try:
        document = read_yaml(path)
    except Exception as exc:  # noqa: BLE001 - any reading problem is one clear line
        raise UsageError(f"{shown}: the settings cannot be read ({str(exc).splitlines()[0]})") from None
    if document is None:
        return ClinicSettings((shown,))
    if not isinstance(document, dict):
        raise UsageError(f"{shown}: settings are lines of `setting: value` ({', '.join(SETTINGS)})")
    unknown = [str(key) for key in document if key not in SETTINGS]
    if unknown:
        raise UsageError(f"{shown}: {unknown[0]!r} is not a setting (the settings: {', '.join(SETTINGS)})")
    locality, sheet = _locality(document.get("locality"), str(shown)), _sheet(document.get("sheet"), shown)
    return ClinicSettings((shown,), locality, shown if locality else None, sheet, shown if sheet else None,
                          _columns(document.get("columns"), shown), _providers(document.get("providers"), shown),
                          _payers(document.get("payers"), shown), _locations(document.get("locations"), shown),
                          _unit_method_conflict(document.get("unit_method_conflict"), shown))


def _counted(entries: dict, what: str) -> str:
    return f"{len(entries)} {what}{'s' if len(entries) != 1 else ''}" if entries else ""


def _locality(value: Any, where: str) -> str | None:
    if value is None:
        return None
    try:
        return locality_key(load_reference(), str(value))
    except PtcalcInputError as exc:
        raise UsageError(f"{where}: {exc}") from None


def _sheet(value: Any, shown: Path) -> str | None:
    if value is None:
        return None
    if not isinstance(value, (str, int)) or isinstance(value, bool) or not str(value).strip():
        raise UsageError(f"{shown}: sheet: {value!r} is not a sheet's name")
    return str(value)


def _columns(value: Any, shown: Path) -> dict[str, str]:
    if value is None:
        return {}
    return column_map_from(value, f"{shown}: columns")


def _named(value: Any, shown: Path, setting: str, kinds: tuple[str, ...]) -> dict[str, str]:
    """A `name: kind` mapping, each kind one of `kinds`."""
    if value is None:
        return {}
    if not isinstance(value, dict) or not value:
        raise UsageError(f"{shown}: {setting}: give lines of `name: type` (types: {', '.join(kinds)})")
    for name, kind in value.items():
        if kind not in kinds:
            raise UsageError(f"{shown}: {setting}: {name!s}: {kind!r} is not one of {', '.join(kinds)}")
    return {str(name).strip(): kind for name, kind in value.items()}


def _providers(value: Any, shown: Path) -> dict[str, str]:
    """Staff by NPI (ten digits) or by name, as the reference roster keys them (a name in any order)."""
    return {name if name.isdigit() else person_key(name): kind
            for name, kind in _named(value, shown, "providers", PROVIDER_TYPES).items()}


def _payers(value: Any, shown: Path) -> dict[str, str]:
    return {fold_name(name): kind for name, kind in _named(value, shown, "payers", PAYER_TYPES).items()}


def _unit_method_conflict(value: Any, shown: Path) -> str | None:
    if value is None:
        return None
    if str(value).strip().lower() not in UNIT_METHOD_CONFLICT:
        raise UsageError(f"{shown}: unit_method_conflict: {value!r} is not one of {', '.join(UNIT_METHOD_CONFLICT)} "
                         "(the primary payer's unit rule, or the CMS 8-minute rule, for a claim whose payers differ)")
    return str(value).strip().lower()


def _locations(value: Any, shown: Path) -> dict[str, str]:
    """Site name -> its locality (checked as `locality` is)."""
    if value is None:
        return {}
    if not isinstance(value, dict) or not value:
        raise UsageError(f"{shown}: locations: give lines of `site: locality` (e.g. `Oakland: 01112-05`)")
    sites = {}
    for site, locality in value.items():
        key = _locality(locality, f"{shown}: locations: {site}")
        if key is None:
            raise UsageError(f"{shown}: locations: {site}: give the site's locality (MAC-LL or its name)")
        sites[fold_name(str(site))] = key
    return sites
