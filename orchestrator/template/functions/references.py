"""Functions that refer to something outside the snippet.

``get_param``, ``get_resource``, ``get_attr`` (in its three historical forms),
``get_file`` and ``resource_facade``.  They are the only functions that read
the ``Scope``; ``get_resource`` and ``get_attr`` are where implicit
dependencies between resources come from.
"""

from __future__ import annotations

from typing import Any, Collection, Iterator

from ..errors import InvalidArguments
from .base import Function, Scope, calls_in, is_function, require, resolve, unknown_reference


class GetParam(Function):
    """``get_param: name`` or ``get_param: [name, key_or_index, ...]``."""

    __slots__ = ()

    def check(self) -> None:
        args = self.args
        if is_function(args):
            return
        require(bool(args), f'Function "{self.name}" must have arguments')
        require(isinstance(args, (str, list)), f'Argument to "{self.name}" must be string or list')
        if isinstance(args, list):
            require(is_function(args[0]) or isinstance(args[0], str),
                    f'Parameter name in "{self.name}" must be string', (0,))

    def _name_and_path(self, scope: Scope) -> tuple[str, list]:
        args = resolve(self.args, scope)
        if not args:
            raise InvalidArguments(f'Function "{self.name}" must have arguments')
        if isinstance(args, str):
            return args, []
        if not isinstance(args, list):
            raise InvalidArguments(f'Argument to "{self.name}" must be string or list')
        if not isinstance(args[0], str):
            raise InvalidArguments(f'Parameter name in "{self.name}" must be string')
        return args[0], args[1:]

    def validate(self, scope: Scope) -> None:
        super().validate(scope)
        name = self.literal_name()
        if name is not None and not scope.has_parameter(name):
            raise InvalidArguments(
                f"The Parameter ({name}) was not provided: the template declares no parameter {name!r}")

    def literal_name(self) -> str | None:
        """The parameter's name when the template writes it; ``None`` when it is computed at run time."""
        args = self.args
        name = args[0] if isinstance(args, list) and args else args
        return name if isinstance(name, str) else None

    def result(self, scope: Scope) -> Any:
        name, path = self._name_and_path(scope)
        value = scope.parameter(name)
        for key in path:
            # Heat gives '' for a path that leads nowhere, and templates rely on it.
            if isinstance(value, dict):
                if not isinstance(key, (str, int)) or isinstance(key, bool) or key not in value:
                    return ""
                value = value[key]
            elif isinstance(value, (list, str)):
                try:
                    value = value[int(key)] if isinstance(key, (str, int)) else ""
                except (ValueError, IndexError):
                    return ""
            else:
                return ""
        return value


class GetResource(Function):
    """``get_resource: name``: the reference id of a resource of this stack."""

    __slots__ = ()

    def check(self) -> None:
        require(is_function(self.args) or isinstance(self.args, str),
                f'Argument to "{self.name}" must be a resource name (a string)')

    def _resource_name(self, scope: Scope) -> str:
        name = resolve(self.args, scope)
        if not isinstance(name, str):
            raise InvalidArguments(f'Argument to "{self.name}" must be a resource name (a string)')
        return name

    def validate(self, scope: Scope) -> None:
        super().validate(scope)
        _check_resource(scope, self._resource_name(scope))

    def dependencies(self, scope: Scope) -> Iterator[str]:
        yield from super().dependencies(scope)
        yield self._resource_name(scope)

    def result(self, scope: Scope) -> Any:
        return scope.reference(self._resource_name(scope))


def _check_resource(scope: Scope, name: str) -> None:
    if not scope.has_resource(name):
        raise InvalidArguments(unknown_reference(name))


def select_from_attribute(value: Any, path: list | tuple) -> Any:
    """Follow ``path`` into an attribute value; ``None`` where it leads nowhere."""
    for key in path:
        if isinstance(value, dict):
            value = value.get(key) if isinstance(key, (str, int, float, bool)) else None
        elif isinstance(value, list):
            try:
                value = value[int(key)]
            except (TypeError, ValueError, IndexError):
                return None
        else:
            return None
        if value is None:
            return None
    return value


class GetAttThenSelect(Function):
    """``get_attr: [resource, attribute, path...]`` as in HOT 2013-05-23.

    The attribute is read whole and the path is followed here.
    """

    __slots__ = ()
    _forms = "[resource_name, attribute, (path), ...]"
    #: whether the resource follows the path (from 2014-10-16) or this call does (2013-05-23)
    _resource_follows_path = False

    def check(self) -> None:
        args = self.args
        require(isinstance(args, list), f'Argument to "{self.name}" must be a list')
        require(len(args) >= 2, f'Arguments to "{self.name}" must be of the form {self._forms}')
        require(is_function(args[0]) or isinstance(args[0], str),
                f'The resource name in "{self.name}" must be a string', (0,))

    def _parts(self, scope: Scope) -> tuple[str, Any, list]:
        resource = resolve(self.args[0], scope)
        if not isinstance(resource, str):
            raise InvalidArguments(f'The resource name in "{self.name}" must be a string', (0,))
        attribute = resolve(self.args[1], scope) if len(self.args) > 1 else None
        path = resolve(self.args[2:], scope)
        return resource, attribute, path

    def validate(self, scope: Scope) -> None:
        super().validate(scope)
        resource, attribute, _ = self._parts(scope)
        _check_resource(scope, resource)
        if attribute is not None:
            if not isinstance(attribute, str):
                raise InvalidArguments(f'The attribute name in "{self.name}" must be a string', (1,))
            scope.check_attribute(resource, attribute)

    def dependencies(self, scope: Scope) -> Iterator[str]:
        yield from super().dependencies(scope)
        yield self._parts(scope)[0]

    def result(self, scope: Scope) -> Any:
        resource, attribute, path = self._parts(scope)
        return select_from_attribute(scope.attribute(resource, attribute, ()), path)

    def referenced_attribute(self, scope: Scope) -> tuple[str, str | None, tuple]:
        """``(resource, attribute, path)``: what this call asks of the resource, which the engine must keep.

        ``attribute`` is ``None`` for the one-argument ``get_attr: [resource]``
        (every attribute).  ``path`` is the part of the path handed to the
        resource: ``()`` for the 2013-05-23 form, which reads the attribute
        whole and follows the path itself.  Path items are as the arguments
        resolve (usually strings and integers).  Raises ``InvalidArguments``,
        or ``TemplateError`` from resolving the arguments, when the names
        cannot be worked out from ``scope`` (an argument read from another
        resource before that resource exists, say).
        """
        resource, attribute, path = self._parts(scope)
        if len(self.args) == 1:
            return resource, None, ()
        if not isinstance(attribute, str):
            raise InvalidArguments(f'The attribute name in "{self.name}" must be a string', (1,))
        return resource, attribute, tuple(path) if self._resource_follows_path else ()


class GetAtt(GetAttThenSelect):
    """``get_attr`` from HOT 2014-10-16: the path is handed to the resource."""

    __slots__ = ()
    _resource_follows_path = True

    def result(self, scope: Scope) -> Any:
        resource, attribute, path = self._parts(scope)
        return scope.attribute(resource, attribute, tuple(path))


class GetAttAll(GetAtt):
    """``get_attr`` from HOT 2015-10-15: ``[resource]`` alone gives every attribute."""

    __slots__ = ()
    _forms = "[resource_name] or [resource_name, attribute, (path), ...]"

    def check(self) -> None:
        args = self.args
        require(isinstance(args, list), f'Argument to "{self.name}" must be a list')
        require(len(args) >= 1, f'Arguments to "{self.name}" can be of the next forms: {self._forms}')
        require(is_function(args[0]) or isinstance(args[0], str),
                f'The resource name in "{self.name}" must be a string', (0,))

    def result(self, scope: Scope) -> Any:
        if len(self.args) == 1:
            return scope.all_attributes(self._parts(scope)[0])
        return super().result(scope)


class GetFile(Function):
    """``get_file: key``: the content of ``key`` in the stack's files map."""

    __slots__ = ()

    def check(self) -> None:
        require(is_function(self.args) or isinstance(self.args, str),
                f'Argument to "{self.name}" must be a string')

    def _content(self, scope: Scope) -> str:
        key = resolve(self.args, scope)
        if not isinstance(key, str):
            raise InvalidArguments(f'Argument to "{self.name}" must be a string')
        content = scope.file(key)
        if content is None:
            raise InvalidArguments(f'No content found in the "files" section for {self.name} path: {key}')
        return content

    def validate(self, scope: Scope) -> None:
        super().validate(scope)
        if isinstance(self.args, str):
            self._content(scope)

    def result(self, scope: Scope) -> Any:
        return self._content(scope)


class ResourceFacade(Function):
    """``resource_facade: metadata|deletion_policy|update_policy`` of the parent resource."""

    __slots__ = ()
    keys = ("metadata", "deletion_policy", "update_policy")

    def _usage(self) -> str:
        return f'Incorrect arguments to "{self.name}" should be: {self.name}: ({"|".join(self.keys)})'

    def check(self) -> None:
        if not is_function(self.args):
            require(self.args in self.keys, self._usage())

    def result(self, scope: Scope) -> Any:
        key = resolve(self.args, scope)
        require(key in self.keys, self._usage())
        return scope.facade(key)


def reads_parameters(tree: Any, names: Collection[str]) -> bool:
    """Whether ``tree`` may read one of the parameters ``names``.

    A ``get_param`` whose name is computed at run time counts, and so does
    any CFN ``Ref``: it names a parameter or a resource, which only the
    scope can tell.
    """
    if not names:
        return False
    for call in calls_in(tree):
        if isinstance(call, GetParam):
            name = call.literal_name()
            if name is None or name in names:
                return True
        elif call.name == "Ref":  # cfn.Ref (cfn.py imports this module, so not by class)
            return True
    return False
