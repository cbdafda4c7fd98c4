"""The reference tables' parse kept on disk: the same tables as parsing the YAML, never a stale one."""
from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import pytest

from ptcalc import ReferenceDataError
from ptcalc.refdata import clear_cache, load_reference
from ptcalc.refdata import parsed_cache
from ptcalc.refdata.parsed_cache import CACHE_ENV, read_yaml_cached
from ptcalc.refdata.yamlio import Located, read_yaml

from .conftest import ROOT


@pytest.fixture
def cache(tmp_path: Path, monkeypatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv(CACHE_ENV, str(folder))
    return folder


def entries(folder: Path) -> list[Path]:
    return sorted(folder.glob("parsed-yaml/yaml-*.json"))


def same(a: object, b: object) -> bool:
    """Equal values of the same types, each mapping with the same lines (what error messages cite)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, Located):
        return (a.line, a.key_lines, list(a)) == (b.line, b.key_lines, list(b)) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(map(same, a, b))
    return a == b or (isinstance(a, float) and math.isnan(a) and math.isnan(b))


def test_every_shipped_table_reads_back_from_the_cache_as_parsed(cache: Path, monkeypatch) -> None:
    tables = sorted((ROOT / "reference").glob("*.yaml"))
    parsed = [read_yaml(path) for path in tables]
    first = [read_yaml_cached(path) for path in tables]  # parsed, and kept
    assert len(entries(cache)) == len(tables)

    def no_yaml(*args: object) -> None:
        raise AssertionError("parsed the YAML again")

    monkeypatch.setattr(parsed_cache, "parse_yaml", no_yaml)
    again = [read_yaml_cached(path) for path in tables]
    for path, one, two, three in zip(tables, parsed, first, again):
        assert same(one, two) and same(one, three), path.name
    assert not same(parsed[0], parsed[1])  # the comparison can fail


def test_values_and_mappings_that_look_like_the_encoding_round_trip(cache: Path, tmp_path: Path) -> None:
    table = tmp_path / "t.yaml"
    table.write_text("a: 2026-01-01\nb: {'@date': x}\nc: [1, 1.5, .nan, .inf, true, null, '2026-01-01']\n"
                     "2026: year\nd: 2026-01-01 10:30:00\n", encoding="utf-8")
    expected = read_yaml(table)
    for _ in range(2):  # parsed, then read back
        found = read_yaml_cached(table)
        assert same(found, expected)
    assert found["b"] == {"@date": "x"} and isinstance(found["b"], Located) and found.line_of(2026) == 4


def test_an_edited_table_is_parsed_again(cache: Path, tmp_path: Path) -> None:
    table = tmp_path / "t.yaml"
    table.write_text("value: 1\n", encoding="utf-8")
    assert read_yaml_cached(table) == {"value": 1}
    table.write_text("value: 2\n", encoding="utf-8")
    assert read_yaml_cached(table) == {"value": 2}
    assert len(entries(cache)) == 2


def test_a_damaged_entry_is_parsed_again_and_replaced(cache: Path, tmp_path: Path) -> None:
    table = tmp_path / "t.yaml"
    table.write_text("value: [1, 2]\n", encoding="utf-8")
    read_yaml_cached(table)
    for damage in (b'{"@mapping": [1, [["value", 1', b'{"value": 3}', b"", b"\xff\xfe"):
        entries(cache)[0].write_bytes(damage)
        assert read_yaml_cached(table) == {"value": [1, 2]}
        assert read_yaml_cached(table) == {"value": [1, 2]}  # from the entry written again


def test_a_cache_that_cannot_be_written_or_is_off_parses_every_time(tmp_path: Path, monkeypatch) -> None:
    table = tmp_path / "t.yaml"
    table.write_text("value: 1\n", encoding="utf-8")
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("", encoding="utf-8")
    monkeypatch.setenv(CACHE_ENV, str(not_a_folder))
    assert read_yaml_cached(table) == {"value": 1}
    monkeypatch.setenv(CACHE_ENV, "off")
    assert parsed_cache.cache_directory() is None
    assert read_yaml_cached(table) == {"value": 1}
    assert {p.name for p in tmp_path.iterdir()} == {"t.yaml", "file"}


def test_broken_yaml_is_never_kept_and_still_names_file_and_line(cache: Path, tmp_path: Path) -> None:
    table = tmp_path / "t.yaml"
    table.write_text("a: 1\nb: [unclosed\n", encoding="utf-8")
    for _ in range(2):
        with pytest.raises(ReferenceDataError, match=r"t\.yaml:\d+: yaml"):
            read_yaml_cached(table)
    table.write_text("a: 1\na: 2\n", encoding="utf-8")
    with pytest.raises(ReferenceDataError, match=r"t\.yaml:2: a: appears twice"):
        read_yaml_cached(table)
    assert entries(cache) == []


def test_only_so_many_entries_are_kept(cache: Path, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(parsed_cache, "KEPT_ENTRIES", 3)
    (cache / "parsed-yaml").mkdir(parents=True)
    (cache / "parsed-yaml" / "notes.json").write_text("{}", encoding="utf-8")  # not an entry: left alone
    table = tmp_path / "t.yaml"
    for value in range(6):
        table.write_text(f"value: {value}\n", encoding="utf-8")
        read_yaml_cached(table)
    assert len(entries(cache)) == 3
    assert (cache / "parsed-yaml" / "notes.json").is_file()


def test_a_new_process_loads_the_reference_from_the_cache(cache: Path) -> None:
    """The point of it: a command starts without parsing YAML (and gets the same tables)."""
    clear_cache()
    fresh = load_reference(ROOT / "reference")
    assert len(entries(cache)) == len(list((ROOT / "reference").glob("*.yaml")))
    probe = ("import sys, ptcalc.refdata.yamlio as y\n"
             "def no_yaml(*a): raise SystemExit('parsed YAML')\n"
             "y.parse_yaml = no_yaml\n"
             "import ptcalc.refdata.parsed_cache as c; c.parse_yaml = no_yaml\n"
             "from ptcalc.refdata import load_reference\n"
             f"r = load_reference({str(ROOT / 'reference')!r})\n"
             "print(len(r.codes), len(r.payers), r.version)")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [str(len(fresh.codes)), str(len(fresh.payers)), fresh.version]
