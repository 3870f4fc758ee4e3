"""The CloudFormation-style functions that HOT 2013-05-23 still accepts.

Old templates mix these with HOT functions.  Where Heat implements a CFN
function as a HOT one in disguise (``Fn::Join``, ``Fn::Replace``,
``Fn::ResourceFacade``) the class here is a subclass of the HOT one that
only changes the argument layout.
"""

from __future__ import annotations

import json
import re
from typing import Any, Iterator

from ..errors import InvalidArguments
from . import references, strings
from .base import Function, Scope, is_function, require, resolve, type_name, unknown_reference


class Ref(Function):
    """``Ref: name``: a parameter's value, else a resource's reference id."""

    __slots__ = ()

    def check(self) -> None:
        require(is_function(self.args) or isinstance(self.args, str),
                f'Argument to "{self.name}" must be a parameter or resource name (a string)')

    def _target(self, scope: Scope) -> tuple[str, bool]:
        """The name referred to and whether it is a resource."""
        name = resolve(self.args, scope)
        require(isinstance(name, str),
                f'Argument to "{self.name}" must be a parameter or resource name (a string), not {type_name(name)}')
        # Heat looks for a resource first; a template may not use one name for both.
        if scope.has_resource(name):
            return name, True
        if scope.has_parameter(name):
            return name, False
        raise InvalidArguments(unknown_reference(name, "parameter or resource"))

    def validate(self, scope: Scope) -> None:
        super().validate(scope)
        self._target(scope)

    def dependencies(self, scope: Scope) -> Iterator[str]:
        yield from super().dependencies(scope)
        name, is_resource = self._target(scope)
        if is_resource:
            yield name

    def result(self, scope: Scope) -> Any:
        name, is_resource = self._target(scope)
        return scope.reference(name) if is_resource else scope.parameter(name)


class GetAZs(Function):
    """``Fn::GetAZs: region``: the availability zones (the region is ignored, as in Heat).

    Only a scope that knows the cloud can answer; any other gives no zones.
    """

    __slots__ = ()

    def result(self, scope: Scope) -> list:
        return list(scope.availability_zones())


class Select(Function):
    """``Fn::Select: [index, list_or_map]``; an index that selects nothing gives ``''``.

    The collection may also be JSON text, since attributes often are.
    """

    __slots__ = ()

    def check(self) -> None:
        require(isinstance(self.args, list) and len(self.args) == 2,
                f'Arguments to "{self.name}" must be of the form [index, collection]')

    def result(self, scope: Scope) -> Any:
        index = resolve(self.args[0], scope)
        collection = resolve(self.args[1], scope)
        # '' is what other functions give for a value not available yet.
        if collection == "":
            return ""
        if isinstance(collection, str):
            try:
                collection = json.loads(collection)
            except ValueError as exc:
                raise InvalidArguments(f'"{self.name}": {exc}', (1,)) from None
        if isinstance(collection, dict):
            require(isinstance(index, str), f'Index to "{self.name}" must be a string', (0,))
            return collection.get(index, "")
        if isinstance(collection, list):
            try:
                index = int(index)
            except (TypeError, ValueError):
                raise InvalidArguments(f'Index to "{self.name}" must be an integer', (0,)) from None
            return collection[index] if -len(collection) <= index < len(collection) else ""
        if collection is None:
            return ""
        raise InvalidArguments(f"Arguments to {self.name} not fully resolved: the collection is "
                               f"{type_name(collection)}, not a list, a map or JSON text of one", (1,))


class Join(strings.Join):
    """``Fn::Join: [delimiter, [items]]``: ``list_join`` of HOT 2013-05-23."""

    __slots__ = ()


class Split(Function):
    """``Fn::Split: [delimiter, string]``."""

    __slots__ = ()

    def check(self) -> None:
        require(isinstance(self.args, list) and len(self.args) == 2,
                f'Incorrect arguments to "{self.name}" should be: "{self.name}" : [ ",", "str1,str2"]')

    def result(self, scope: Scope) -> list:
        delimiter = resolve(self.args[0], scope)
        text = resolve(self.args[1], scope)
        require(isinstance(delimiter, str) and delimiter != "",
                f"Delimiter for {self.name} must be a non-empty string", (0,))
        require(isinstance(text, str), f"String to split must be string; got {type_name(text)}", (1,))
        return text.split(delimiter)


class Replace(strings.Replace):
    """``Fn::Replace: [{placeholder: value}, string]``: ``str_replace`` of HOT 2013-05-23."""

    __slots__ = ()
    _params_at = 0
    _template_at = 1

    def check(self) -> None:
        require(isinstance(self.args, list) and len(self.args) == 2,
                f'Incorrect arguments to "{self.name}" should be: {{"{self.name}": '
                '[ {"$var1": "foo", "%var2%": "bar"}, "$var1 is %var2%"]}')
        self._check_literals()


class Base64(Function):
    """``Fn::Base64: value``: the value itself; Heat accepts user data as plain text."""

    __slots__ = ()

    def result(self, scope: Scope) -> str:
        value = resolve(self.args, scope)
        require(isinstance(value, str), f'"{self.name}" argument must be a string, not {type_name(value)}')
        return value


_MEMBER = re.compile(r"\.member\.([0-9]+)\.(.*)")


class MemberListToMap(Function):
    """``Fn::MemberListToMap: [key_name, value_name, [members]]``.

    Turns the AWS query form ``.member.N.<key_name>=k``, ``.member.N.<value_name>=v``
    into ``{k: v}``; members lacking either part are left out.
    """

    __slots__ = ()

    def check(self) -> None:
        require(isinstance(self.args, list) and len(self.args) == 3,
                f'Wrong Arguments try: "{{"{self.name}": ["Name", "Value", '
                '[".member.0.Name=key", ".member.0.Value=door"]]}"')
        for index, role in enumerate(("Key", "Value")):
            if not is_function(self.args[index]):
                self._check_name(self.args[index], role, index)

    def _check_name(self, value: Any, role: str, index: int) -> None:
        require(isinstance(value, str), f"{self.name} {role} Name must be a string", (index,))

    def result(self, scope: Scope) -> dict:
        key_name, value_name, members = (resolve(arg, scope) for arg in self.args)
        self._check_name(key_name, "Key", 0)
        self._check_name(value_name, "Value", 1)
        require(isinstance(members, list), "Member list must be a list", (2,))
        fields: dict[int, dict[str, str]] = {}
        for item in members:
            require(isinstance(item, str), "Member list items must be strings", (2,))
            name, equals, value = item.partition("=")
            require(bool(equals), f'Member list item "{item}" must be of the form ".member.<n>.<name>=<value>"',
                    (2,))
            match = _MEMBER.match(name)
            if match:
                fields.setdefault(int(match.group(1)), {})[match.group(2)] = value
        return {member[key_name]: member[value_name] for _, member in sorted(fields.items())
                if key_name in member and value_name in member}


class ResourceFacade(references.ResourceFacade):
    """``Fn::ResourceFacade: Metadata|DeletionPolicy|UpdatePolicy``: ``resource_facade`` in CFN spelling."""

    __slots__ = ()
    _scope_keys = {"Metadata": "metadata", "DeletionPolicy": "deletion_policy", "UpdatePolicy": "update_policy"}
    keys = tuple(_scope_keys)

    def result(self, scope: Scope) -> Any:
        key = resolve(self.args, scope)
        require(key in self.keys, self._usage())
        return scope.facade(self._scope_keys[key])
