"""A notebook's declared parameters (its ``parameters`` cell) and the typing of given values.

A parameter's type is its annotation (``n: int = 3``) or else the type of its default literal
(``n = 3`` is an ``int``); a default of ``None`` accepts any value. Values given as text (``-p n
5`` on the command line) are parsed to that type; values given typed (YAML, JSON) are checked.
Every mistake is reported before the notebook executes, naming the valid parameters.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from interlace.errors import NotebookError, did_you_mean

__all__ = ["Parameter", "declared_parameters", "typed_parameters"]


def _bool(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in ("true", "yes", "1", "on"):
        return True
    if lowered in ("false", "no", "0", "off"):
        return False
    raise ValueError("not true/false")


def _container(kind: type) -> Callable[[str], Any]:
    def parse(text: str) -> Any:
        value = yaml.safe_load(text)
        if not isinstance(value, kind):
            raise ValueError(f"not a {kind.__name__}")
        return value

    return parse


# type name -> (Python types a typed value may have, parser for a value given as text)
TYPES: dict[str, tuple[tuple[type, ...], Callable[[str], Any]]] = {
    "str": ((str,), str),
    "int": ((int,), int),
    "float": ((float, int), float),
    "bool": ((bool,), _bool),
    "list": ((list,), _container(list)),
    "dict": ((dict,), _container(dict)),
    "any": ((object,), yaml.safe_load),
}


@dataclass(frozen=True, slots=True)
class Parameter:
    name: str
    type: str  # a key of TYPES
    default: str  # the default as written in the parameters cell

    def describe(self) -> str:
        return f"{self.name}: {self.type} = {self.default}"


def declared_parameters(path: Path, notebook: Any) -> dict[str, Parameter] | None:
    """The parameters of ``notebook`` (an nbformat node), or None if no cell is tagged ``parameters``."""
    from papermill.translators import PythonTranslator

    cell = next((c for c in notebook.cells if "parameters" in c.get("metadata", {}).get("tags", [])), None)
    if cell is None:
        return None
    out = {}
    for p in PythonTranslator.inspect(cell):
        out[p.name] = Parameter(p.name, _type_of(p.inferred_type_name, p.default), p.default)
    return out


def _type_of(annotation: str, default: str) -> str:
    annotation = (annotation or "None").strip()
    if annotation in TYPES:
        return annotation
    if annotation != "None":
        return "any"
    try:
        value = ast.literal_eval(default)
    except (ValueError, SyntaxError):
        return "any"
    return "any" if value is None else next((n for n, (types, _) in TYPES.items() if type(value) in types), "any")


def typed_parameters(notebook: str, declared: dict[str, Parameter] | None,
                     given: Mapping[str, Any]) -> dict[str, Any]:
    """``given`` checked against ``declared`` and converted to the declared types."""
    if not given:
        return {}
    if declared is None:
        raise NotebookError(
            f"parameters were given ({', '.join(given)}) but {notebook} has no cell tagged 'parameters'",
            origin=notebook,
            hint="tag the cell that assigns the defaults with 'parameters' (View > Cell Toolbar > Tags "
            "in Jupyter), or run it without -p")
    valid = ", ".join(p.describe() for p in declared.values()) or "none"
    out = {}
    for name, value in given.items():
        parameter = declared.get(name)
        if parameter is None:
            raise NotebookError(
                f"unknown parameter '{name}'.{did_you_mean(name, declared)} The parameters cell declares: {valid}",
                origin=notebook, hint="pass one of the declared names, or declare it in the parameters cell")
        out[name] = _convert(notebook, parameter, value, valid)
    return out


def _convert(notebook: str, parameter: Parameter, value: Any, valid: str) -> Any:
    types, parse = TYPES[parameter.type]
    try:
        if isinstance(value, str) and parameter.type != "str":
            return parse(value)
        if isinstance(value, types) and not (parameter.type in ("int", "float") and isinstance(value, bool)):
            return value
    except ValueError:
        pass
    raise NotebookError(
        f"parameter '{parameter.name}' must be {parameter.type} (declared `{parameter.describe()}`), "
        f"got {json.dumps(value, default=str)}",
        origin=notebook, hint=f"give a {parameter.type} value for '{parameter.name}' (parameters: {valid})")
