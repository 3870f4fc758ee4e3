"""Fixtures of the sandbox suite: a fresh in-process sandbox per test."""

from __future__ import annotations

from typing import Iterator

import pytest

from .cloud import SandboxCloud, sandbox_cloud


@pytest.fixture
def cloud() -> Iterator[SandboxCloud]:
    """A fresh in-memory sandbox; ``cloud.connect("demo")`` is an openstacksdk connection."""
    with sandbox_cloud() as running:
        yield running
