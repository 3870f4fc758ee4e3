"""Where the shared corpus of real Heat templates lives."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

# The engine suite's fixture (re-exported: see __all__), for the corpus templates run on a real engine.
from tests.engine.conftest import harness

__all__ = ["corpus", "corpus_root", "harness", "manifest"]

_CANDIDATES = (
    os.environ.get("ORCHESTRATOR_CORPUS", ""),
    str(Path(__file__).resolve().parents[2].parent / "shared" / "corpus" / "heat-templates"),
    "/work/shared/corpus/heat-templates",
)


def corpus_root() -> Path:
    """The heat-templates corpus; a missing corpus fails the tests rather than skipping them."""
    for candidate in _CANDIDATES:
        if candidate and (Path(candidate) / "MANIFEST.json").is_file():
            return Path(candidate)
    raise RuntimeError("the Heat template corpus was not found; set ORCHESTRATOR_CORPUS to its folder "
                       f"(looked in {', '.join(c for c in _CANDIDATES if c)})")


def manifest() -> dict:
    """The corpus's MANIFEST.json: every file, its kind, and the references that could not be copied."""
    return json.loads((corpus_root() / "MANIFEST.json").read_text())


@pytest.fixture(scope="session")
def corpus() -> Path:
    return corpus_root()
