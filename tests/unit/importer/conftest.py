"""Shared fixtures for the importer tests: where the spreadsheet corpus lives."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]


def corpus_dir() -> Path:
    """PMO_CORPUS_DIR, or ../shared/corpus beside the repository."""
    return Path(os.environ.get("PMO_CORPUS_DIR", REPO.parent / "shared" / "corpus"))


@pytest.fixture(scope="session")
def corpus() -> Path:
    """The corpus folder; tests that need it are skipped when it is not there."""
    folder = corpus_dir()
    if not (folder / "templates").is_dir():
        pytest.skip(f"spreadsheet corpus not found at {folder} (set PMO_CORPUS_DIR)")
    return folder
