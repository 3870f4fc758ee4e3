"""Fixtures of the API tests: one live service per test module."""

from __future__ import annotations

import pytest

from .service import LiveService, live_service


@pytest.fixture(scope="module")
def service(tmp_path_factory) -> LiveService:
    with live_service(tmp_path_factory.mktemp("service")) as running:
        yield running
