"""Where things live: bundled resources and the user's data, log, cache and backup folders.

Works the same from a checkout, an installed wheel and the frozen PyInstaller bundle.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from platformdirs import PlatformDirs

from . import APP_ID, ORG_NAME

_PACKAGE_DIR = Path(__file__).resolve().parent


def is_frozen() -> bool:
    return bool(getattr(sys, "frozen", False))


def bundle_root() -> Path:
    """The folder the frozen bundle unpacks into, or the repository root from a checkout."""
    if is_frozen():
        return Path(getattr(sys, "_MEIPASS", Path(sys.executable).parent))
    return _PACKAGE_DIR.parent


def resource_path(*parts: str) -> Path:
    """A data file shipped with the program (looked up in the package first, then the bundle)."""
    inside_package = _PACKAGE_DIR.joinpath(*parts)
    if inside_package.exists():
        return inside_package
    return bundle_root().joinpath(*parts)


def migrations_dir() -> Path:
    """The Alembic scripts: ``pmo_desktop/migrations`` when installed, ``db/`` in a checkout."""
    packaged = _PACKAGE_DIR / "migrations"
    if (packaged / "env.py").exists():
        return packaged
    candidate = bundle_root() / "db"
    return candidate


def _dirs() -> PlatformDirs:
    return PlatformDirs(appname=APP_ID, appauthor=ORG_NAME)


def _ensure_private(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    if os.name == "posix":
        path.chmod(0o700)
    return path


def user_data_dir() -> Path:
    """Where the default database lives (override with PMO_DATA_DIR)."""
    override = os.environ.get("PMO_DATA_DIR")
    return _ensure_private(Path(override) if override else Path(_dirs().user_data_dir))


def user_log_dir() -> Path:
    override = os.environ.get("PMO_LOG_DIR")
    return _ensure_private(Path(override) if override else Path(_dirs().user_log_dir))


def user_cache_dir() -> Path:
    override = os.environ.get("PMO_CACHE_DIR")
    return _ensure_private(Path(override) if override else Path(_dirs().user_cache_dir))


def backup_dir() -> Path:
    return _ensure_private(user_data_dir() / "backups")


def default_database_path() -> Path:
    return user_data_dir() / "portfolio.db"
