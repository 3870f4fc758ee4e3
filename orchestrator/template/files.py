"""Gather the local files a template needs, the way the openstack client does.

The service never reads the user's disk: a client reads every ``get_file``
target, every child template (``type: something.yaml``, at any depth) and
every template an environment's registry maps to, relative to the file that
names it, rewrites those references to absolute ``file://`` URLs and sends
the contents in the ``files`` map.  Templates go into the map as JSON text.
``gather`` does the same for our own CLI, and also keeps the parsed
documents so that errors in a child template still point at its lines.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any, Callable
from urllib.parse import unquote, urljoin, urlparse
from urllib.request import pathname2url

from .errors import Path, Problem, TemplateError
from .loader import DEFAULT_LIMITS, Document, Limits, load
from .registry import BASE_URL, HOOKS, RESTRICTED, TEMPLATE_SUFFIXES

#: registry keys whose values are not type mappings (``resources`` holds mappings, one level down)
_REGISTRY_SKIP_KEYS = frozenset((BASE_URL, HOOKS, RESTRICTED))
#: how deep ``gather`` follows child templates by default
MAX_DEPTH = 10


@dataclass
class Bundle:
    """A template, its environment files and every file they use."""

    template: Document
    environment_files: list[str] = field(default_factory=list)
    files: dict[str, str] = field(default_factory=dict)
    documents: dict[str, Document] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)


def path_to_url(path: str) -> str:
    """``file://`` URL of a local path (absolute)."""
    return "file://" + pathname2url(os.path.abspath(path))


def url_to_path(url: str) -> str | None:
    """The local path of a ``file://`` URL, or ``None`` for any other URL."""
    parsed = urlparse(url)
    if parsed.scheme != "file":
        return None
    return unquote(parsed.path)


def gather(template_path: str, environment_paths: tuple[str, ...] | list[str] = (),
           limits: Limits = DEFAULT_LIMITS, max_depth: int = MAX_DEPTH) -> Bundle:
    """Read a template and environment files from disk with everything they refer to.

    Child templates are followed ``max_depth`` levels down (the template is
    level 0); a deeper one is reported instead of read.  Raises
    ``TemplateError`` only when the template itself cannot be read or
    parsed; any other file that is missing or broken is recorded in
    ``Bundle.problems`` so that all of them can be reported together.
    """
    gatherer = _Gatherer(limits, max_depth)
    url = path_to_url(template_path)
    document = gatherer.read_document(url, None)
    if document is None:
        raise TemplateError(gatherer.problems)
    gatherer.rewrite_template(document)
    bundle = Bundle(document, files=gatherer.files, documents=gatherer.documents, problems=gatherer.problems)
    for env_path in environment_paths:
        env_url = path_to_url(env_path)
        env_document = gatherer.read_document(env_url, None)
        if env_document is None:
            continue
        registry = env_document.data.get("resource_registry") if isinstance(env_document.data, dict) else None
        if isinstance(registry, dict):
            gatherer.rewrite_registry(registry, env_document, ("resource_registry",), env_url)
        gatherer.files[env_url] = json.dumps(env_document.data)
        gatherer.documents[env_url] = env_document
        bundle.environment_files.append(env_url)
    return bundle


class _Gatherer:
    def __init__(self, limits: Limits, max_depth: int = MAX_DEPTH):
        self.limits = limits
        self.max_depth = max_depth
        self.files: dict[str, str] = {}
        self.documents: dict[str, Document] = {}
        self.problems: list[Problem] = []
        self.depth = 0

    def read_text(self, url: str, referrer: Document | None, path: Path) -> str | None:
        local = url_to_path(url)
        if local is None:
            return None  # a remote URL: the service fetches it, or reports it missing
        try:
            size = os.path.getsize(local)
            if size > self.limits.max_bytes:
                message = (f"{url} is {size} bytes, more than the {self.limits.max_bytes} bytes a file of a "
                           "stack may have")
                self.problems.append(referrer.problem(message, path) if referrer else Problem(message, (), url))
                return None
            with open(local, "rb") as handle:
                return handle.read().decode("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            message = f"Could not fetch contents for {url}: {reason}"
            self.problems.append(referrer.problem(message, path) if referrer else Problem(message, (), url))
            return None

    def read_document(self, url: str, referrer: Document | None, path: Path = ()) -> Document | None:
        text = self.read_text(url, referrer, path)
        if text is None:
            return None
        try:
            return load(text, url, self.limits)
        except TemplateError as exc:
            self.problems.extend(exc.problems)
            return None

    # -- templates ----------------------------------------------------------------

    def rewrite_template(self, document: Document) -> None:
        """Rewrite ``get_file`` and template ``type`` references in place, reading their targets."""
        self.depth += 1
        try:
            _rewrite(document.data, (), document.name, self._template_reference(document))
        finally:
            self.depth -= 1

    def _template_reference(self, document: Document) -> Callable[[str, Any, Path, str], str | None]:
        def on_reference(key: str, value: Any, path: Path, base: str) -> str | None:
            if not isinstance(value, str):
                return None
            if key == "get_file":
                url = urljoin(base, value)
                if url not in self.files:
                    content = self.read_text(url, document, path)
                    if content is not None:
                        self.files[url] = content
                return url
            if key == "type" and value.endswith(TEMPLATE_SUFFIXES):
                url = urljoin(base, value)
                self.child_template(url, document, path)
                return url
            return None

        return on_reference

    def child_template(self, url: str, referrer: Document, path: Path) -> None:
        if url in self.files or url in self.documents:
            return
        if self.depth > self.max_depth:
            self.problems.append(referrer.problem(f"Template nesting is too deep at {url}", path))
            return
        self.documents[url] = document = self.read_document(url, referrer, path)  # type: ignore[assignment]
        if document is None:
            del self.documents[url]
            return
        self.rewrite_template(document)
        self.files[url] = json.dumps(document.data)

    # -- environments ------------------------------------------------------------

    def rewrite_registry(self, registry: dict, document: Document, path: Path, base: str) -> None:
        """Registry values naming templates become URLs relative to the environment file."""
        base = registry.get("base_url", base) if isinstance(registry.get("base_url"), str) else base
        for key, value in list(registry.items()):
            if key in _REGISTRY_SKIP_KEYS:
                continue
            if isinstance(value, dict):
                self.rewrite_registry(value, document, path + (key,), base)
            elif isinstance(value, str) and "::" not in value:
                url = urljoin(_directory(base), value)
                registry[key] = url
                self.child_template(url, document, path + (key,))


def _directory(url: str) -> str:
    return url if url.endswith("/") else url.rsplit("/", 1)[0] + "/"


def _rewrite(data: Any, path: Path, base: str, on_reference) -> None:
    """Walk a template, replacing each reference ``on_reference`` recognises by its URL."""
    stack = [(data, path)]
    while stack:
        node, node_path = stack.pop()
        if isinstance(node, dict):
            for key, value in list(node.items()):
                if isinstance(key, str):
                    url = on_reference(key, value, node_path + (key,), base)
                    if url is not None:
                        node[key] = url
                        continue
                if isinstance(value, (dict, list)):
                    stack.append((value, node_path + (key,)))
        elif isinstance(node, list):
            stack.extend((value, node_path + (index,)) for index, value in enumerate(node))
