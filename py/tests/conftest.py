"""Shared set-up of the Python package's tests: they run from the
repository's root (the paths of the examples and the tutorial are relative
to it), and find the `spikefab` CLI that `make test` built."""

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def at_root(monkeypatch):
    monkeypatch.chdir(ROOT)


@pytest.fixture
def cli():
    """The path of the `spikefab` command (SPIKEFAB_BIN, else the test profile's build)."""
    path = Path(os.environ.get("SPIKEFAB_BIN", ROOT / "target" / "ci" / "spikefab"))
    if not path.exists():
        pytest.fail(f"no spikefab command at {path}: build it (make test does) or set SPIKEFAB_BIN")
    return path
