"""The one settings object. Read from environment variables (prefix TALENTCAST_) or a `.env` file."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from pydantic import model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from features.contract import DEFAULT_SEED


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TALENTCAST_", env_file=".env", extra="ignore")

    # Where the SQLite database, MLflow store and artifacts live.
    home: Path = Path(".talentcast")
    # Any SQLAlchemy URL; default is a SQLite file under `home`. PostgreSQL: postgresql+psycopg://...
    database_url: str | None = None
    # MLFLOW_TRACKING_URI (un-prefixed, MLflow's own variable) overrides this when set.
    mlflow_tracking_uri: str | None = None
    environment: str = "development"  # development | production
    max_upload_bytes: int = 20 * 1024 * 1024
    default_region: str = "450200"  # the demo city, Liuzhou; in a real workspace, its region (workspace.json)
    horizon_years: int = 5
    random_seed: int = DEFAULT_SEED

    @model_validator(mode="after")
    def _fill_defaults(self) -> "Settings":
        self.home = Path(self.home)
        if not self.database_url:
            self.database_url = f"sqlite:///{(self.home / 'talentcast.db').resolve()}"
        if not self.mlflow_tracking_uri:
            import os

            self.mlflow_tracking_uri = os.environ.get("MLFLOW_TRACKING_URI") or (
                f"sqlite:///{(self.home / 'mlflow.db').resolve()}"
            )
        if "default_region" not in self.model_fields_set:
            region = _workspace_region(self.home)
            if region:
                self.default_region = region
        if self.environment not in {"development", "production"}:
            raise ValueError("TALENTCAST_ENVIRONMENT must be 'development' or 'production'")
        return self

    @property
    def artifacts_dir(self) -> Path:
        return (self.home / "mlartifacts").resolve()

    def ensure_home(self) -> Path:
        self.home.mkdir(parents=True, exist_ok=True)
        return self.home


def _workspace_region(home: Path) -> str | None:
    """The region of the real workspace in `home` (workspace.json, written by talentcast.workspace), else None.

    Read here rather than through talentcast.workspace, which settings must not import (it sits above it)."""
    try:
        data = json.loads((Path(home) / "workspace.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if isinstance(data, dict) and data.get("kind") == "real" and data.get("region"):
        return str(data["region"])
    return None


@lru_cache
def get_settings() -> Settings:
    """Cached settings; tests call `get_settings.cache_clear()` after changing the environment."""
    return Settings()
