"""Fixtures of the engine suite."""

from __future__ import annotations

import pytest

from .harness import FAST, make_harness


@pytest.fixture
def harness(tmp_path):
    harness, cleanup = make_harness(tmp_path, FAST)
    yield harness
    cleanup()
