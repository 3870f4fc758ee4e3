"""Fixtures of the plugin suite: the engine with its plugins acting on an in-process sandbox."""

from __future__ import annotations

from typing import Iterator

import pytest

from tests.engine.harness import Harness, make_harness
from tests.sandbox.cloud import SandboxCloud, sandbox_cloud


@pytest.fixture
def cloud() -> Iterator[SandboxCloud]:
    """A fresh in-memory sandbox; ``cloud.connect("demo")`` sees what the stacks made."""
    with sandbox_cloud() as running:
        yield running


@pytest.fixture
def harness(tmp_path, cloud: SandboxCloud) -> Iterator[Harness]:
    """An engine whose plugins act on ``cloud`` (in the stack's project, ``demo`` by default)."""
    with make_harness(tmp_path, cloud=cloud.connections) as running:
        yield running
