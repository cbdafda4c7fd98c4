"""YAML reading that remembers line numbers, and writing in the house layout.

Reading uses PyYAML's safe loader only. Mappings come back as `Located` dicts that know
the line of each key, so a schema error can say `file:line: field: problem`.
"""
from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import yaml

from ..errors import ReferenceDataError


class Located(dict):
    """A mapping from YAML that knows its own line and the line of each key (1-based)."""

    line: int = 0
    key_lines: dict

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)


class _LineLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # libyaml when built: 7x faster
    """Safe loader whose mappings are `Located`, refusing anchors and aliases (a reference table
    never needs them, and an alias bomb would expand to gigabytes)."""

    def get_single_node(self):  # noqa: ANN201 - PyYAML's signature
        node = super().get_single_node()
        if node is not None:
            _refuse_shared_nodes(node)
        return node


def _refuse_shared_nodes(root: yaml.Node) -> None:
    """An alias makes the composed tree share a node: refuse it before anything is constructed."""
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            raise ReferenceDataError(f"{{file}}:{node.start_mark.line + 1}: yaml: anchors and aliases (&name, *name) "
                                     "are not allowed in reference tables; write the value out")
        seen.add(id(node))
        if isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
        elif isinstance(node, yaml.MappingNode):
            stack.extend(part for pair in node.value for part in pair)


def _construct_located(loader: _LineLoader, node: yaml.MappingNode) -> Located:
    mapping = Located()
    mapping.line = node.start_mark.line + 1
    mapping.key_lines = {}
    loader.flatten_mapping(node)
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in mapping:
            raise ReferenceDataError(f"{{file}}:{key_node.start_mark.line + 1}: {key}: appears twice")
        mapping[key] = loader.construct_object(value_node, deep=True)
        mapping.key_lines[key] = key_node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_located)


def read_yaml(path: Path) -> Any:
    """Parse a YAML file safely; syntax errors become ReferenceDataError naming file and line."""
    return parse_yaml(read_text(path), path)


def read_text(path: Path) -> str:
    """A table's text; a file that cannot be read is a ReferenceDataError naming it."""
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ReferenceDataError(f"{path}: cannot be read: {exc}") from None


def parse_yaml(text: str, path: Path) -> Any:
    """Parse YAML text as read_yaml does (errors name `path`)."""
    try:
        return yaml.load(text, Loader=_LineLoader)  # noqa: S506 - _LineLoader is a SafeLoader
    except ReferenceDataError as exc:
        raise ReferenceDataError(str(exc).replace("{file}", str(path))) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 0
        raise ReferenceDataError(f"{path}:{line}: yaml: {exc.problem or exc}") from None
    except yaml.YAMLError as exc:
        raise ReferenceDataError(f"{path}: yaml: {exc}") from None


class _HouseDumper(yaml.SafeDumper):
    """Block style for the table, one flow-style mapping per row, keys in given order, every value
    written out (no anchors: the loader refuses them)."""

    def ignore_aliases(self, data: object) -> bool:  # noqa: ARG002 - PyYAML's hook
        return True


def _represent_dict(dumper: yaml.SafeDumper, data: dict) -> yaml.MappingNode:
    return dumper.represent_mapping("tag:yaml.org,2002:map", data.items())


def _represent_row(dumper: yaml.SafeDumper, data: "FlowRow") -> yaml.MappingNode:
    return dumper.represent_mapping("tag:yaml.org,2002:map", data.items(), flow_style=True)


class FlowRow(dict):
    """A table row, written on one line."""


class CodeList(str):
    """Codes separated by spaces, written as a block of lines: 15,000 of them read in a millisecond, where a YAML
    list's items take 40 ms (each scalar is checked for a number, a date, a boolean)."""

    @classmethod
    def of(cls, codes: list[str]) -> "CodeList":
        return cls(textwrap.fill(" ".join(codes), 100) + "\n")


def _represent_code_list(dumper: yaml.SafeDumper, data: CodeList) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:str", str(data), style="|")


_HouseDumper.add_representer(dict, _represent_dict)
_HouseDumper.add_representer(Located, _represent_dict)
_HouseDumper.add_representer(FlowRow, _represent_row)
_HouseDumper.add_representer(CodeList, _represent_code_list)


def dump_table(header_comment: str, document: dict) -> str:
    """The YAML text of a reference table: a comment block, metadata, then one row per line."""
    rows = document.get("rows")
    body = dict(document)
    if rows is not None:
        body["rows"] = [FlowRow(row) for row in rows]
    text = yaml.dump(body, Dumper=_HouseDumper, sort_keys=False, allow_unicode=True, width=100_000,
                     default_flow_style=False)
    comment = "".join(f"# {line}".rstrip() + "\n" for line in header_comment.strip().splitlines())
    return comment + text


def write_table(path: Path, header_comment: str, document: dict) -> None:
    """Write a table atomically (temp file, then rename)."""
    text = dump_table(header_comment, document)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
