"""Shared test fixtures. Every test gets its own TALENTCAST_HOME (SQLite + MLflow store) under tmp_path."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("MLFLOW_ENABLE_TELEMETRY", "false")

REPO_ROOT = Path(__file__).resolve().parents[1]
REAL_DATA = REPO_ROOT / "talentcast" / "data" / "real"


@pytest.fixture(autouse=True)
def isolated_home(tmp_path, monkeypatch):
    """Point talentcast (database, MLflow store, artifacts) at a fresh directory for each test."""
    home = tmp_path / "tc-home"
    monkeypatch.setenv("TALENTCAST_HOME", str(home))
    monkeypatch.delenv("TALENTCAST_DATABASE_URL", raising=False)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    from talentcast.settings import get_settings

    get_settings.cache_clear()
    yield home
    get_settings.cache_clear()
