"""String functions: list_join, str_replace (three strictness levels), str_split, digest, make_url.

Each function checks the shape of its literal arguments when it is parsed
and checks again, after resolution, whatever came from other functions.
Behaviour and messages follow Heat's, including its leniencies (``None``
joins as an empty string, a ``None`` string splits to ``None``).
"""

from __future__ import annotations

import functools
import hashlib
import json
from typing import Any
from urllib import parse as urlparse

from ..errors import InvalidArguments, PathItem
from .base import Function, Scope, contains_functions, is_function, require, resolve, type_name


def _json(value: Any) -> str:
    """The JSON text Heat substitutes for a map or list (keys sorted)."""
    return json.dumps(value, sort_keys=True)


def _short(value: Any) -> str:
    return repr(value)[:200]


# -- list_join --------------------------------------------------------------------


class Join(Function):
    """``list_join: [delimiter, [items]]`` as in HOT 2013-05-23."""

    __slots__ = ()
    _example = '"{name}" : [ " ", [ "str1", "str2"]]'

    def _arity_ok(self, count: int) -> bool:
        return count == 2

    def check(self) -> None:
        usage = f'Incorrect arguments to "{self.name}" should be: ' + self._example.format(name=self.name)
        require(isinstance(self.args, list) and self._arity_ok(len(self.args)), usage)
        if not is_function(self.args[0]):
            self._check_delimiter(self.args[0])

    def _check_delimiter(self, delimiter: Any) -> None:
        require(isinstance(delimiter, str),
                f'"{self.name}" delimiter must be a string, not {type_name(delimiter)}', (0,))

    def _require_list(self, value: Any, index: int) -> None:
        require(isinstance(value, list), f'"{self.name}" must operate on a list, not {type_name(value)}', (index,))

    def _items(self, scope: Scope) -> list:
        items = resolve(self.args[1], scope)
        if items is None:
            return []
        self._require_list(items, 1)
        return items

    def _text(self, item: Any) -> str:
        if item is None:
            return ""
        require(isinstance(item, str), f"Items to join must be strings not {_short(item)}")
        return item

    def result(self, scope: Scope) -> str:
        items = self._items(scope)
        delimiter = resolve(self.args[0], scope)
        self._check_delimiter(delimiter)
        return delimiter.join(self._text(item) for item in items)


class JoinMultiple(Join):
    """``list_join: [delimiter, list, list, ...]`` from HOT 2015-10-15."""

    __slots__ = ()
    _example = '"{name}" : [ " ", [ "str1", "str2"] ...]'

    def _arity_ok(self, count: int) -> bool:
        return count >= 2

    def _items(self, scope: Scope) -> list:
        items: list = []
        for index, arg in enumerate(self.args[1:], 1):
            value = resolve(arg, scope)
            # Heat skips every empty value here, not only null.
            if value:
                self._require_list(value, index)
                items.extend(value)
        return items

    def _text(self, item: Any) -> str:
        if item is None or isinstance(item, str):
            return item or ""
        require(isinstance(item, (dict, list)), f"Items to join must be string, map or list not {_short(item)}")
        try:
            return _json(item)
        except (TypeError, ValueError):
            raise InvalidArguments(f"Items to join must be string, map or list. "
                                   f"{_short(item)} failed json serialization") from None


# -- str_replace ----------------------------------------------------------------


def _substitute(text: str, pairs: list[tuple[str, str]], found: set[str]) -> str:
    """Replace each placeholder in turn, only in text that no earlier placeholder matched.

    A substituted value is never searched again, and a shorter placeholder
    inside a longer one's match is not replaced (nor counted as found).
    """
    segments = [(True, text)]  # (still to be searched, text)
    for placeholder, value in pairs:
        searched = []
        for open_, piece in segments:
            parts = piece.split(placeholder) if open_ else [piece]
            if len(parts) > 1:
                found.add(placeholder)
            for index, part in enumerate(parts):
                if index:
                    searched.append((False, value))
                searched.append((open_, part))
        segments = searched
    return "".join(piece for _, piece in segments)


def _longest_first(keys: Any) -> list[str]:
    return sorted(sorted(keys), key=len, reverse=True)


class Replace(Function):
    """``str_replace: {template, params}`` as in HOT 2013-05-23."""

    __slots__ = ()
    _template_at: PathItem = "template"
    _params_at: PathItem = "params"
    _serialises_json = False
    _strict = False
    _allows_empty = True

    def check(self) -> None:
        args = self.args
        require(isinstance(args, dict), f'Arguments to "{self.name}" must be a map')
        missing = [key for key in ("template", "params") if key not in args]
        require(not missing, f'"{self.name}" syntax should be {self.name}: {{template: "This is var1 template '
                             f'var2", params: {{var1: a, var2: string}}}} (missing: {", ".join(missing)})')
        self._check_literals()

    def _check_literals(self) -> None:
        template, params = self.args[self._template_at], self.args[self._params_at]
        require(is_function(params) or isinstance(params, dict),
                f'"{self.name}" parameters must be a mapping', (self._params_at,))
        if not is_function(template):
            self._check_template(template)
        if isinstance(params, dict):
            for placeholder, value in params.items():
                self._check_placeholder(placeholder)
                if not contains_functions(value):
                    self._replacement(placeholder, value)

    def _check_template(self, template: Any) -> None:
        require(isinstance(template, str), f'"{self.name}" template must be a string, not {type_name(template)}',
                (self._template_at,))

    def _check_placeholder(self, placeholder: Any) -> None:
        require(isinstance(placeholder, str), f'"{self.name}" param placeholders must be strings, '
                                              f'not {type_name(placeholder)}', (self._params_at,))
        require(placeholder != "", f'"{self.name}" param placeholders must not be empty', (self._params_at,))

    def _replacement(self, placeholder: str, value: Any) -> str:
        where = (self._params_at, placeholder)
        empty = (f"{self.name} has an undefined or empty value for param {placeholder}, "
                 "must be a defined non-empty value")
        if value is None:
            require(self._allows_empty, empty, where)
            return ""
        if isinstance(value, (str, int, float)):
            text = str(value)
        elif self._serialises_json and isinstance(value, (dict, list)):
            require(self._allows_empty or bool(value), empty, where)
            try:
                text = _json(value)
            except (TypeError, ValueError):
                raise InvalidArguments(f'"{self.name}" params must be strings, numbers, list or map. '
                                       f"Failed to json serialize {value}", where) from None
        elif self._serialises_json:
            raise InvalidArguments(f'"{self.name}" params must be strings, numbers, list or map; '
                                   f"param {placeholder} is {type_name(value)}", where)
        else:
            raise InvalidArguments(f'"{self.name}" params must be strings or numbers, '
                                   f"param {placeholder} is not valid", where)
        require(self._allows_empty or text != "", empty, where)
        return text

    def result(self, scope: Scope) -> str:
        template = resolve(self.args[self._template_at], scope)
        params = resolve(self.args[self._params_at], scope)
        self._check_template(template)
        require(isinstance(params, dict), f'"{self.name}" params must be a map, not {type_name(params)}',
                (self._params_at,))
        for placeholder in params:
            self._check_placeholder(placeholder)
        pairs = [(key, self._replacement(key, params[key])) for key in _longest_first(params)]
        found: set[str] = set()
        text = _substitute(template, pairs, found)
        missing = set(params) - found
        if self._strict and missing:
            raise InvalidArguments("The following params were not found in the template: "
                                   + ",".join(_longest_first(missing)), (self._params_at,))
        return text


class ReplaceJson(Replace):
    """``str_replace`` from HOT 2015-10-15: maps and lists are JSON-serialised."""

    __slots__ = ()
    _serialises_json = True


class ReplaceStrict(ReplaceJson):
    """``str_replace_strict``: every param must occur in the template."""

    __slots__ = ()
    _strict = True


class ReplaceVeryStrict(ReplaceStrict):
    """``str_replace_vstrict``: as strict, and no param value may be empty."""

    __slots__ = ()
    _allows_empty = False


# -- str_split --------------------------------------------------------------------


class StrSplit(Function):
    """``str_split: [delimiter, string, (index)]``."""

    __slots__ = ()

    def _usage(self) -> str:
        return f'Incorrect arguments to "{self.name}" should be: "{self.name}" : [ ",", "apples,pears", <index>]'

    def check(self) -> None:
        if not is_function(self.args):
            require(isinstance(self.args, list) and len(self.args) >= 2, self._usage())

    def result(self, scope: Scope) -> Any:
        args = resolve(self.args, scope)
        require(isinstance(args, list) and len(args) >= 2, self._usage())
        delimiter, text = args[0], args[1]
        if text is None:
            return None
        require(isinstance(text, str), f'The string to split with "{self.name}" must be a string, '
                                       f"not {type_name(text)}", (1,))
        require(isinstance(delimiter, str) and delimiter != "",
                f'The delimiter of "{self.name}" must be a non-empty string', (0,))
        parts = text.split(delimiter)
        if len(args) == 2:
            return parts
        try:
            index = int(args[2])
        except (TypeError, ValueError):
            raise InvalidArguments(f'Incorrect index to "{self.name}" should be: "{self.name}" : '
                                   f'[ ",", "apples,pears", <index>]', (2,)) from None
        try:
            return parts[index]
        except IndexError:
            raise InvalidArguments(f'Incorrect index to "{self.name}" should be between 0 and '
                                   f"{len(parts) - 1}", (2,)) from None


# -- digest -----------------------------------------------------------------------


def _usable(algorithm: str) -> bool:
    try:
        hashlib.new(algorithm).hexdigest()
    except (TypeError, ValueError):  # shake_* need a length; FIPS builds refuse some
        return False
    return True


@functools.cache
def algorithms() -> frozenset[str]:
    """The digest algorithms this Python offers (lower case), found on first use."""
    return frozenset(name.lower() for name in hashlib.algorithms_available if _usable(name))


class Digest(Function):
    """``digest: [algorithm, value]``: a hex digest, with any algorithm hashlib offers."""

    __slots__ = ()

    def check(self) -> None:
        if not is_function(self.args):
            self._check(self.args)

    def _check(self, args: Any) -> None:
        require(isinstance(args, list) and all(is_function(a) or isinstance(a, str) for a in args),
                f'Argument to function "{self.name}" must be a list of strings')
        require(len(args) == 2, f'Function "{self.name}" usage: ["<algorithm>", "<value>"]')
        if not is_function(args[0]):
            require(args[0].lower() in algorithms(),
                    f"Algorithm must be one of {', '.join(sorted(algorithms()))}", (0,))

    def result(self, scope: Scope) -> str:
        args = resolve(self.args, scope)
        self._check(args)
        algorithm, value = args
        try:
            data = value.encode("latin-1")  # what Heat hashes: one byte per character
        except UnicodeEncodeError:
            raise InvalidArguments(f'The value to "{self.name}" must contain only Latin-1 characters',
                                   (1,)) from None
        return hashlib.new(algorithm.lower(), data).hexdigest()


# -- make_url ---------------------------------------------------------------------


class MakeURL(Function):
    """``make_url: {scheme, username, password, host, port, path, query, fragment}``.

    Builds a correctly quoted URL so templates need not hand-escape user
    names, passwords or IPv6 addresses.
    """

    __slots__ = ()
    KEYS = ("scheme", "username", "password", "host", "port", "path", "query", "fragment")

    def check(self) -> None:
        require(isinstance(self.args, dict), f'The arguments to "{self.name}" must be a map')
        invalid = sorted(str(key) for key in self.args if key not in self.KEYS)
        require(not invalid, f'Invalid arguments to "{self.name}": {", ".join(invalid)} '
                             f"(the arguments are {', '.join(self.KEYS)})")
        self._check_parts(self.args)

    def _check_parts(self, args: dict) -> None:
        for key, value in args.items():
            if is_function(value):
                continue
            if key == "query":
                require(isinstance(value, dict), f'The "query" argument to "{self.name}" must be a map', (key,))
            elif key == "port":
                self._port(value, args)
            else:
                require(isinstance(value, str), f'The "{key}" argument to "{self.name}" must be a string', (key,))

    def _port(self, value: Any, args: dict) -> int:
        try:
            if isinstance(value, bool):
                raise ValueError(value)
            port = int(value)
        except (TypeError, ValueError):
            raise InvalidArguments(f'Invalid URL port "{value}" for {self.name} called with {args}',
                                   ("port",)) from None
        require(0 < port <= 65535, f"Invalid URL port {port}, must be in range 1-65535", ("port",))
        return port

    def result(self, scope: Scope) -> str:
        args = resolve(self.args, scope)
        self._check_parts(args)
        scheme = args.get("scheme", "")
        require(":" not in scheme, "URL \"scheme\" should not contain ':'", ("scheme",))
        path = urlparse.quote(args.get("path", ""))
        query = urlparse.urlencode(args.get("query", {})).replace("%2F", "/")
        fragment = urlparse.quote(args.get("fragment", ""))
        return urlparse.urlunsplit((scheme, self._netloc(args), path, query, fragment))

    def _netloc(self, args: dict) -> str:
        username = urlparse.quote(args.get("username", ""), safe="")
        password = urlparse.quote(args.get("password", ""), safe="")
        userinfo = ""
        if username or password:
            userinfo = (f"{username}:{password}" if password else username) + "@"
        host = args.get("host", "")
        if host.startswith("[") and host.endswith("]"):
            host = host[1:-1]
        host = urlparse.quote(host, safe=":")
        if ":" in host:
            host = f"[{host}]"
        port = f":{self._port(args['port'], args)}" if args.get("port") else ""
        return userinfo + host + port
