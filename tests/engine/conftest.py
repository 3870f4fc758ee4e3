"""Fixtures of the engine suite (the corpus suite uses them too: see ``tests/corpus/conftest.py``)."""

from __future__ import annotations

from contextlib import ExitStack
from dataclasses import replace
from typing import Any, Callable, Iterator

import pytest

from resources.registry import PluginRegistry

from .harness import FAST, Harness, make_harness


@pytest.fixture
def harness(tmp_path) -> Iterator[Harness]:
    """A harness with the ``FAST`` settings, on a database of its own."""
    with make_harness(tmp_path) as harness:
        yield harness


@pytest.fixture
def harness_with(tmp_path) -> Iterator[Callable[..., Harness]]:
    """Make harnesses with other settings, closed when the test ends.

    ``harness_with(lock_lease=2.0)`` is a harness whose settings are ``FAST``
    with those fields changed; ``plugins=`` gives it a registry of the test's
    own instead of the discovered one.  Each harness has a database of its own.
    """
    with ExitStack() as harnesses:
        made = 0

        def make(*, plugins: PluginRegistry | None = None, **settings: Any) -> Harness:
            nonlocal made
            made += 1
            folder = tmp_path / f"harness-{made}"
            folder.mkdir()
            return harnesses.enter_context(make_harness(folder, replace(FAST, **settings), plugins))

        yield make
