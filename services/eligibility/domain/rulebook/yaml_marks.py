"""Read a YAML file and remember the line of every node, so errors can name file AND line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

PathKey = tuple[str | int, ...]


class RuleFileError(ValueError):
    """A rule file is malformed. The message starts with `file:line:`."""

    def __init__(self, file: Path, line: int | None, message: str) -> None:
        self.file = file
        self.line = line
        self.problem = message
        where = f"{file}:{line}" if line is not None else str(file)
        super().__init__(f"{where}: {message}")


class MarkedDocument:
    """The parsed data plus a map from each node's path to its 1-based line."""

    def __init__(self, file: Path, data: Any, lines: dict[PathKey, int]) -> None:
        self.file = file
        self.data = data
        self._lines = lines

    def with_data(self, data: Any) -> MarkedDocument:
        """The same file and lines over other data (a loader that completes a document)."""
        return MarkedDocument(self.file, data, self._lines)

    def line_of(self, loc: tuple[Any, ...]) -> int | None:
        """Line of the deepest node along `loc`. Items of `loc` that are not data keys (pydantic adds
        discriminator tags and validator names) are skipped."""
        path: PathKey = ()
        for item in loc:
            key = item if isinstance(item, int) else str(item)
            if (*path, key) in self._lines:
                path = (*path, key)
        return self._lines.get(path)

    def error(self, loc: tuple[Any, ...], message: str) -> RuleFileError:
        return RuleFileError(self.file, self.line_of(loc), message)


# libyaml's parser when PyYAML was built with it (the wheels are): the same safe constructor, its
# nodes carry the same marks, and it parses about ten times faster than the pure-Python one (the rule
# book is read at every start of the eligibility service).
_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_marked(file: Path) -> MarkedDocument:
    try:
        text = file.read_text(encoding="utf-8")
        loader = _LOADER(text)
        try:  # parsed once: the node tree gives the lines, the same tree the data
            node = loader.get_single_node()
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        raise RuleFileError(file, line, f"YAML syntax: {exc.problem or exc}") from exc
    except (OSError, yaml.YAMLError) as exc:
        raise RuleFileError(file, None, str(exc)) from exc
    lines: dict[PathKey, int] = {}
    if node is not None:
        _index(node, (), lines)
    return MarkedDocument(file, data, lines)


def _index(node: yaml.Node, path: PathKey, lines: dict[PathKey, int]) -> None:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            _index(value_node, (*path, str(key_node.value)), lines)
            # The key's own line is more useful than the value's for a block mapping or list.
            lines[(*path, str(key_node.value))] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _index(item, (*path, index), lines)
