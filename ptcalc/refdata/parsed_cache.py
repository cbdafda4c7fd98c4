"""The reference tables as parsed, kept on disk between runs, so a command does not parse YAML again.

PyYAML composes and resolves every scalar in Python: parsing the reference folder costs a command
about as much as importing ptcalc, and more than scrubbing a day's charge sheet. The parse of each
file is kept as JSON (data only: reading it back runs no code) under the SHA-256 of the file's
text, the parser and this format, so an edited table is parsed afresh and a stale entry is never
read. Only a parse that succeeded is kept; a cache that cannot be read or written is passed over
(the file is parsed as before). The folder is `PTCALC_CACHE`, else `$XDG_CACHE_HOME/ptcalc`, else
`%LOCALAPPDATA%\\ptcalc` on Windows, else `~/.cache/ptcalc`; `PTCALC_CACHE=off` parses every time.
"""
from __future__ import annotations

import hashlib
import json
import os
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml

from .yamlio import Located, parse_yaml, read_text

CACHE_ENV = "PTCALC_CACHE"
KEPT_ENTRIES = 200  # past this many parses kept, the oldest go (a folder of tables edited often stays small)
FORMAT = "ptcalc-parsed-yaml-1"  # change when the parse or this encoding changes: old entries are then unused
_MAPPING, _DATE, _DATETIME = "@mapping", "@date", "@datetime"


def read_yaml_cached(path: Path) -> Any:
    """What `read_yaml(path)` returns, from the cache when this exact text was parsed before."""
    text = read_text(path)
    entry = _entry_for(text)
    if entry is not None:
        try:
            return json.loads(entry.read_bytes(), object_hook=_decode)
        except (OSError, ValueError, TypeError, KeyError):
            pass  # not there yet, or not whole: parse it
    document = parse_yaml(text, path)
    if entry is not None:
        _keep(entry, document)
    return document


def cache_directory() -> Path | None:
    setting = os.environ.get(CACHE_ENV)
    if setting is not None:
        return None if setting.strip().lower() in ("", "off", "0", "no") else Path(setting)
    base = (os.environ.get("XDG_CACHE_HOME") or (os.environ.get("LOCALAPPDATA") if os.name == "nt" else None)
            or os.path.join(os.path.expanduser("~"), ".cache"))
    return Path(base) / "ptcalc"


def _entry_for(text: str) -> Path | None:
    folder = cache_directory()
    if folder is None:
        return None
    key = hashlib.sha256(f"{FORMAT}\0{yaml.__version__}\0{text}".encode("utf-8", "surrogatepass")).hexdigest()
    return folder / "parsed-yaml" / f"yaml-{key}.json"


def _keep(entry: Path, document: Any) -> None:
    try:
        payload = json.dumps(_tagged(document), ensure_ascii=False).encode("utf-8")
    except (TypeError, ValueError):
        return  # a value this format does not hold: the file is parsed each time
    try:
        entry.parent.mkdir(parents=True, exist_ok=True)
        temporary = entry.with_name(f".{entry.name}.{os.getpid()}.tmp")
        temporary.write_bytes(payload)
        temporary.replace(entry)  # whole or not at all: a reader never sees half an entry
        entries = list(entry.parent.glob("yaml-*.json"))
        if len(entries) > KEPT_ENTRIES:
            for old in sorted(entries, key=lambda p: p.stat().st_mtime)[:len(entries) - KEPT_ENTRIES]:
                old.unlink(missing_ok=True)
    except OSError:
        pass


def _tagged(value: Any) -> Any:
    """The parse as JSON values: every mapping (a Located, keys of any type, their lines) and every date
    becomes a one-key object naming what it is, so no mapping of the table is ever read as one of them."""
    if isinstance(value, Located):
        return {_MAPPING: [value.line, [[_tagged(k), value.key_lines.get(k), _tagged(v)] for k, v in value.items()]]}
    if isinstance(value, list):
        return [_tagged(item) for item in value]
    if isinstance(value, datetime):
        return {_DATETIME: value.isoformat()}
    if isinstance(value, date):
        return {_DATE: value.isoformat()}
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    raise TypeError(f"{type(value).__name__} is not kept in the parse cache")


def _decode(tagged: dict) -> Any:
    (kind, value), = tagged.items()
    if kind == _MAPPING:
        line, items = value
        mapping = Located()
        mapping.line = line
        mapping.key_lines = {}
        for key, key_line, item in items:
            mapping[key] = item
            if key_line is not None:
                mapping.key_lines[key] = key_line
        return mapping
    if kind == _DATETIME:
        return datetime.fromisoformat(value)
    if kind == _DATE:
        return date.fromisoformat(value)
    raise KeyError(kind)
