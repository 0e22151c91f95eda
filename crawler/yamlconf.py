"""YAML configuration files validated by pydantic, with errors that name the file, the line and the fix."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

Model = TypeVar("Model", bound=BaseModel)
Path_ = tuple[str | int, ...]


class ConfigError(Exception):
    """An invalid configuration file; ``str()`` is a message fit to show the operator as is."""

    def __init__(self, file: Path, line: int | None, problem: str, fix: str | None = None) -> None:
        self.file, self.line, self.problem, self.fix = file, line, problem, fix
        where = f"{file}:{line}" if line else str(file)
        message = f"{where}: {problem}"
        if fix:
            message += f"\n  fix: {fix}"
        super().__init__(message)


class ConfigValueError(ValueError):
    """A validator's complaint that knows its own fix, so the operator is told more than "correct it"."""

    def __init__(self, problem: str, fix: str) -> None:
        super().__init__(problem)
        self.fix = fix


def _to_python(node: yaml.Node, path: Path_, lines: dict[Path_, int]) -> Any:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = yaml.safe_load(yaml.serialize(key_node))
            result[key] = _to_python(value_node, (*path, key), lines)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_to_python(item, (*path, index), lines) for index, item in enumerate(node.value)]
    return yaml.safe_load(yaml.serialize(node))


def read_yaml(file: Path) -> tuple[Any, dict[Path_, int]]:
    """Parse a YAML file into plain data plus a map from each value's path to its line number."""
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ConfigError(
            file, None, "file not found", "create it, or point --config at the right folder"
        ) from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(file, None, "not UTF-8 text", "save the file as UTF-8") from exc
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise ConfigError(
            file, line, f"invalid YAML: {exc.problem or exc}", "check indentation, colons and quotes"
        ) from exc
    lines: dict[Path_, int] = {}
    if node is None:
        return None, lines
    return _to_python(node, (), lines), lines


def _line_for(location: Sequence[str | int], lines: dict[Path_, int]) -> int | None:
    path = tuple(location)
    while path:
        if path in lines:
            return lines[path]
        path = path[:-1]
    return lines.get(())


def _fix_for(error_type: str, field: str, message: str) -> str:
    if error_type == "missing":
        return f"add the required field '{field}' to this entry"
    if error_type == "extra_forbidden":
        return f"remove '{field}' or correct its spelling"
    if error_type == "literal_error" or "Input should be" in message:
        return f"give '{field}' one of the allowed values"
    return f"correct the value of '{field}'"


def validate(file: Path, data: Any, lines: dict[Path_, int], model: type[Model], root: Path_ = ()) -> Model:
    """Validate ``data`` with a pydantic model, turning the first error into a ``ConfigError``."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        location = (*root, *error["loc"])
        field = str(location[-1]) if location else "(top level)"
        where = ".".join(str(part) for part in location) or "(top level)"
        message = error["msg"]
        if error["type"] == "value_error":
            message = message.removeprefix("Value error, ")
        original = error.get("ctx", {}).get("error")
        fix = original.fix if isinstance(original, ConfigValueError) else None
        raise ConfigError(
            file,
            _line_for(location, lines),
            f"{where}: {message}",
            fix or _fix_for(error["type"], field, error["msg"]),
        ) from exc


def check_unique(
    file: Path, lines: dict[Path_, int], section: Path_, field: str, values: Sequence[str], noun: str
) -> None:
    """Raise ``ConfigError`` at the first entry of ``section`` whose ``field`` repeats an earlier one.

    Models cannot know lines, so uniqueness is checked here: the operator is pointed at the second
    entry, the one to rename or delete, and told where the first is.
    """
    first_lines: dict[str, int | None] = {}
    for index, value in enumerate(values):
        line = _line_for((*section, index, field), lines)
        if value in first_lines:
            raise ConfigError(
                file,
                line,
                f"{noun} {field} {value!r} appears twice (first at line {first_lines[value]})",
                f"give each {noun} a unique {field}",
            )
        first_lines[value] = line
