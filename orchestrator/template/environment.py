"""Environments: the parameter values and resource registry a stack is created with.

Users layer environments: an inline ``environment`` and request ``parameters``,
or several environment files merged in order on the server.  This module
checks an environment's sections, and merges layers the way Heat's API and
engine do, so that the same request gives the same stack here and in Heat.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Mapping, Sequence

from .errors import Path, Problem, TemplateError
from .functions.base import type_name as _kind
from .loader import Document, load
from .registry import ResourceRegistry

SECTIONS = (PARAMETERS, PARAMETER_DEFAULTS, RESOURCE_REGISTRY, EVENT_SINKS, ENCRYPTED_PARAM_NAMES,
            PARAMETER_MERGE_STRATEGIES) = (
    "parameters", "parameter_defaults", "resource_registry", "event_sinks", "encrypted_param_names",
    "parameter_merge_strategies")

MERGE_STRATEGIES = (OVERWRITE, MERGE, DEEP_MERGE) = ("overwrite", "merge", "deep_merge")
DEFAULT_STRATEGY_KEY = "default"

_NO_SOURCE = "<environment>"
_EMPTY_REGISTRY = {"resources": {}}
_REQUEST = "<request>"


@dataclass(frozen=True)
class Environment:
    """A checked environment.  Construct directly for trusted values, or with ``from_data``."""

    parameters: dict[str, Any] = field(default_factory=dict)
    parameter_defaults: dict[str, Any] = field(default_factory=dict)
    resource_registry: ResourceRegistry = field(default_factory=ResourceRegistry)
    event_sinks: list[dict[str, Any]] = field(default_factory=list)
    encrypted_param_names: list[str] = field(default_factory=list)
    parameter_merge_strategies: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_data(cls, data: Any, document: Document | None = None, *, legacy_flat: bool = False) -> Environment:
        """Check environment data; raise ``TemplateError`` listing every problem.

        Environment files and the API's ``environment`` only accept sections
        (Heat's ``environment_format.validate``).  ``legacy_flat`` is for
        dicts the engine builds itself, which Heat's ``Environment`` still
        reads in the old flat form: without a ``parameters`` section, every
        top-level key that is not a section is a parameter.
        """
        checker = _Checker(document)
        if data is None:
            data = {}
        if not isinstance(data, dict):
            checker.problem("The environment is not a valid YAML mapping data type.", ())
            raise TemplateError(checker.problems)
        if legacy_flat and PARAMETERS not in data:
            flat = {k: v for k, v in data.items() if k not in SECTIONS}
            data = {k: v for k, v in data.items() if k in SECTIONS}
            data[PARAMETERS] = flat
        values: dict[str, Any] = {}
        for key, value in data.items():
            if key not in _SECTION_CHECKS:
                checker.problem(f'environment has wrong section "{key}" (the sections are {", ".join(SECTIONS)})',
                                (key,))
            elif value is None:
                checker.problem(f'environment has empty section "{key}"', (key,))
            else:
                values[key] = _SECTION_CHECKS[key](checker, copy.deepcopy(value), (key,))
        if checker.problems:
            raise TemplateError(checker.problems)
        return cls(**values)

    def to_data(self) -> dict[str, Any]:
        """JSON-able data that ``from_data`` turns back into an equal environment."""
        data = {
            PARAMETERS: copy.deepcopy(self.parameters),
            PARAMETER_DEFAULTS: copy.deepcopy(self.parameter_defaults),
            RESOURCE_REGISTRY: self.resource_registry.to_data(),
            EVENT_SINKS: copy.deepcopy(self.event_sinks),
            ENCRYPTED_PARAM_NAMES: list(self.encrypted_param_names),
        }
        if self.parameter_merge_strategies:
            data[PARAMETER_MERGE_STRATEGIES] = dict(self.parameter_merge_strategies)
        return data


def load_environment(text: str | bytes, name: str = "<environment>") -> Environment:
    """Parse and check an environment file (YAML or JSON)."""
    document = load(text, name)
    return Environment.from_data(document.data, document)


# -- checking sections -------------------------------------------------------------------


class _Checker:
    def __init__(self, document: Document | None):
        self.document = document
        self.problems: list[Problem] = []

    def problem(self, message: str, path: Path) -> None:
        if self.document is not None:
            self.problems.append(self.document.problem(message, path))
        else:
            self.problems.append(Problem(message, tuple(path), _NO_SOURCE))

    def mapping(self, value: Any, path: Path, what: str) -> dict:
        if not isinstance(value, dict):
            self.problem(f"The {path[0]} section must be a map of {what}, not {_kind(value)}", path)
            return {}
        for key in value:
            if not isinstance(key, str):
                self.problem(f"{what} must be named by strings, not {key!r}", path + (key,))
        return value

    def sequence(self, value: Any, path: Path, what: str) -> list:
        if not isinstance(value, list):
            self.problem(f"The {path[0]} section must be a list of {what}, not {_kind(value)}", path)
            return []
        return value


def _check_parameters(checker: _Checker, value: Any, path: Path) -> dict:
    return checker.mapping(value, path, "parameter values")


def _check_registry(checker: _Checker, value: Any, path: Path) -> ResourceRegistry:
    try:
        return ResourceRegistry.from_data(value, checker.document, path)
    except TemplateError as exc:
        checker.problems.extend(exc.problems)
        return ResourceRegistry()


def _check_event_sinks(checker: _Checker, value: Any, path: Path) -> list:
    sinks = checker.sequence(value, path, "event sinks")
    for index, sink in enumerate(sinks):
        if not isinstance(sink, dict):
            checker.problem(f"an event sink must be a map with a type, not {_kind(sink)}", path + (index,))
        elif not isinstance(sink.get("type"), str) or not sink["type"]:
            checker.problem('an event sink needs a "type" (such as zaqar-queue)', path + (index,))
    return sinks


def _check_encrypted_names(checker: _Checker, value: Any, path: Path) -> list:
    names = checker.sequence(value, path, "parameter names")
    for index, name in enumerate(names):
        if not isinstance(name, str):
            checker.problem(f"a parameter name must be a string, not {_kind(name)}", path + (index,))
    return names


def _check_strategies(checker: _Checker, value: Any, path: Path) -> dict:
    strategies = checker.mapping(value, path, "merge strategies")
    for name, strategy in strategies.items():
        if strategy not in MERGE_STRATEGIES:
            checker.problem(f'Unknown merge strategy "{strategy}" for {name!r}; use one of '
                            f'{", ".join(MERGE_STRATEGIES)}', path + (name,))
    return strategies


_SECTION_CHECKS: dict[str, Callable[[_Checker, Any, Path], Any]] = {
    PARAMETERS: _check_parameters,
    PARAMETER_DEFAULTS: _check_parameters,
    RESOURCE_REGISTRY: _check_registry,
    EVENT_SINKS: _check_event_sinks,
    ENCRYPTED_PARAM_NAMES: _check_encrypted_names,
    PARAMETER_MERGE_STRATEGIES: _check_strategies,
}


# -- the API's rule --------------------------------------------------------------------------


def environment_for_request(environment: Mapping[str, Any] | str | None, parameters: Mapping[str, Any] | None,
                            environment_files: list[str] | None, files: Mapping[str, str],
                            parameter_types: Mapping[str, str] | None = None,
                            documents: Mapping[str, Document] | None = None) -> Environment:
    """The environment a create/update/preview/validate request describes, as Heat builds it.

    With ``environment_files`` the inline ``environment`` is ignored (the
    client sent it only for servers that cannot merge files): the request
    ``parameters`` are the base and each file is merged on top, in order.
    Without them, the request ``parameters`` are laid over the inline
    environment's.  ``documents`` may hold already-parsed environment files
    (a local client keeps them, so that errors point at the user's lines).
    """
    problems: list[Problem] = []
    if parameters is None:
        parameters = {}
    elif not isinstance(parameters, Mapping):
        problems.append(Problem(f"parameters must be a map, not {_kind(parameters)}", ("parameters",), _REQUEST))
    if environment_files and not isinstance(environment_files, (list, tuple)):
        problems.append(Problem(f"environment_files must be a list, not {_kind(environment_files)}",
                                ("environment_files",), _REQUEST))
    if problems:
        raise TemplateError(problems)

    if environment_files:
        pairs = []
        for index, name in enumerate(environment_files):
            if not isinstance(name, str) or name not in files:
                problems.append(Problem(f'environment file {name!r} is not in the files map',
                                        ("environment_files", index), _REQUEST))
            else:
                pairs.append((name, (documents or {}).get(name) or files[name]))
        if problems:
            raise TemplateError(problems)
        return merge_environments(Environment(parameters=dict(parameters)), pairs, parameter_types)

    if isinstance(environment, (str, bytes)):
        base = load_environment(environment)
    else:
        base = Environment.from_data(environment)
    return replace(base, parameters={**base.parameters, **copy.deepcopy(dict(parameters))})


# -- the engine's merge ---------------------------------------------------------------------


def merge_environments(base: Environment, env_files: Sequence[tuple[str, str | Document]],
                       parameter_types: Mapping[str, str] | None = None) -> Environment:
    """Merge environment files (name, text or parsed document) into ``base`` in order, as Heat's engine does.

    Parameters merge one by one with their strategy (``overwrite`` unless
    the file's ``parameter_merge_strategies`` says otherwise); a strategy,
    once a file has used it for a parameter, holds for the later files.
    Parameters the template does not have are dropped when
    ``parameter_types`` (name -> parameter type) is given.  Every other
    section merges shallowly: a later file's top-level keys win.
    """
    merged = base.to_data()
    fixed: dict[str, str] = {}
    for name, text in env_files:
        document = text if isinstance(text, Document) else load(text, name)
        env = Environment.from_data(document.data, document)
        raw = document.data or {}
        merger = _ParameterMerger(document, name, env.parameter_merge_strategies, fixed, parameter_types)
        for section in (PARAMETERS, PARAMETER_DEFAULTS):
            values = getattr(env, section)
            if values:
                merged[section] = merger.merge(section, merged[section], values)
        merger.raise_if_failed()
        if raw.get(RESOURCE_REGISTRY):
            registry = merged[RESOURCE_REGISTRY]
            if registry == _EMPTY_REGISTRY:
                registry = {}  # what Heat merges into when the request had no registry
            merged[RESOURCE_REGISTRY] = _shallow_update(registry, copy.deepcopy(raw[RESOURCE_REGISTRY]))
        # Heat's merge fails on a second list; keeping both lists is what loading them does.
        merged[EVENT_SINKS] = merged[EVENT_SINKS] + env.event_sinks
        merged[ENCRYPTED_PARAM_NAMES] = merged[ENCRYPTED_PARAM_NAMES] + env.encrypted_param_names
    return Environment.from_data(merged)


def _shallow_update(old: dict, new: dict) -> dict:
    # As in Heat: into an empty section the new one goes as it is; otherwise its nulls are skipped.
    if not old:
        return new
    result = dict(old)
    result.update((k, v) for k, v in new.items() if v is not None)
    return result


class _Refused(Exception):
    """The parameter's type cannot be merged at all."""


class _ParameterMerger:
    """Merges one file's parameter sections, collecting problems located in that file."""

    def __init__(self, document: Document, name: str, strategies: Mapping[str, str], fixed: dict[str, str],
                 parameter_types: Mapping[str, str] | None):
        self.document = document
        self.name = name
        self.strategies = strategies
        self.fixed = fixed
        self.types = parameter_types
        self.problems: list[Problem] = []

    def strategy(self, key: str) -> str | None:
        default = self.strategies.get(DEFAULT_STRATEGY_KEY, OVERWRITE)
        strategy = self.strategies.get(key, self.fixed.get(key, default))
        if self.fixed.setdefault(key, strategy) != strategy:
            self.problems.append(self.document.problem(
                f"Conflicting merge strategy '{strategy}' for parameter '{key}' in file '{self.name}'.",
                (PARAMETER_MERGE_STRATEGIES, key)))
            return None
        return strategy

    def merge(self, section: str, old: dict, new: dict) -> dict:
        result = dict(old)
        for key, value in new.items():
            if value is None or (self.types is not None and key not in self.types):
                continue
            strategy = self.strategy(key)
            if strategy is None:
                continue
            if key not in result or strategy == OVERWRITE:
                result[key] = value
                continue
            kind = _parameter_kind(self.types.get(key) if self.types is not None else None, value)
            try:
                result[key] = _MERGE_BY_KIND[kind](result[key], value, strategy == DEEP_MERGE)
            except _Refused:
                self.problems.append(self.document.problem(
                    f"Invalid merge strategy '{strategy}' for parameter '{key}'.", (section, key)))
            except ValueError as exc:
                self.problems.append(self.document.problem(
                    f"Cannot {strategy.replace('_', ' ')} parameter '{key}': {exc}", (section, key)))
        return result

    def raise_if_failed(self) -> None:
        if self.problems:
            raise TemplateError(self.problems)


# -- merging one parameter value ---------------------------------------------------------------

_KINDS = {
    "string": "string", "String": "string",
    "number": "number", "Number": "number",
    "comma_delimited_list": "list", "CommaDelimitedList": "list", "List<Number>": "list",
    "json": "json", "Json": "json",
    "boolean": "boolean", "Boolean": "boolean",
}

_KIND_OF_VALUE = {bool: "boolean", int: "number", float: "number", list: "list", dict: "json", str: "string"}


def _parameter_kind(declared: str | None, value: Any) -> str:
    if declared is not None:
        # Other CFN types (AWS::EC2::KeyPair::KeyName, List<...>) are strings or lists.
        return _KINDS.get(declared, "list" if declared.startswith("List<") else "string")
    return _KIND_OF_VALUE.get(type(value), "string")


def _join_strings(old: Any, new: Any, deep: bool) -> str:
    return _as_string(old) + _as_string(new)


def _as_string(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    raise ValueError(f"a string parameter cannot hold {_kind(value)}")


def _add_numbers(old: Any, new: Any, deep: bool) -> int | float:
    return _as_number(old) + _as_number(new)


def _as_number(value: Any) -> int | float:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        for parse in (int, float):
            try:
                return parse(value)
            except ValueError:
                pass
    raise ValueError(f"{value!r} is not a number")


def _extend_lists(old: Any, new: Any, deep: bool) -> str | list:
    if isinstance(old, str) and isinstance(new, str):
        return f"{old},{new}" if old else new
    return _as_list(old) + _as_list(new)


def _as_list(value: Any) -> list:
    if isinstance(value, list):
        return list(value)
    if isinstance(value, str):
        return value.split(",") if value else []
    raise ValueError(f"a comma_delimited_list cannot hold {_kind(value)}")


def _merge_json(old: Any, new: Any, deep: bool) -> dict | list:
    old, new = _as_json(old), _as_json(new)
    if isinstance(old, dict) and isinstance(new, dict):
        return _deep_update(copy.deepcopy(old), new) if deep else _shallow_update(dict(old), new)
    if isinstance(old, list) and isinstance(new, list):
        return old + new
    raise ValueError(f"cannot merge {_kind(new)} into {_kind(old)}")


def _as_json(value: Any) -> Any:
    if isinstance(value, str):
        try:
            value = json.loads(value) if value else {}
        except ValueError as exc:
            raise ValueError(f"the value is not valid JSON ({exc})") from None
    if not isinstance(value, (dict, list)):
        raise ValueError(f"a json parameter cannot hold {_kind(value)}")
    return value


def _deep_update(old: dict, new: Mapping) -> dict:
    """Maps merge key by key, lists and strings are joined, anything else is replaced."""
    for key, value in new.items():
        if value is None:
            continue
        mine = old.get(key)
        if isinstance(value, dict) and isinstance(mine, dict) and mine:
            old[key] = _deep_update(mine, value)
        elif isinstance(value, list) and isinstance(mine, list) and mine:
            old[key] = mine + value
        elif isinstance(value, str) and isinstance(mine, str):
            old[key] = mine + value
        else:
            old[key] = copy.deepcopy(value)
    return old


def _refuse(old: Any, new: Any, deep: bool) -> Any:
    raise _Refused()


_MERGE_BY_KIND: dict[str, Callable[[Any, Any, bool], Any]] = {
    "string": _join_strings,
    "number": _add_numbers,
    "list": _extend_lists,
    "json": _merge_json,
    "boolean": _refuse,
}
