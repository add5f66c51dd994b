"""Shared fixtures: the source checkout, the shipped tables, the source texts."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def root() -> Path:
    """The source checkout."""
    return ROOT


@pytest.fixture(scope="session")
def tables():
    """Every shipped table, loaded once (tests must not modify it; copy first)."""
    from usjapan_data import load_tables

    return load_tables()


@pytest.fixture(scope="session")
def sources_dir() -> Path:
    """The folder of source texts: $USJAPAN_DATA_SOURCES, else ../shared/sources.

    In CI (CI=true) a missing folder fails the run instead of skipping.
    """
    value = os.environ.get("USJAPAN_DATA_SOURCES")
    path = Path(value) if value else ROOT.parent / "shared" / "sources"
    if not path.is_dir():
        message = f"no source texts at {path}; set USJAPAN_DATA_SOURCES"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path
