"""What the window remembers between runs, in QSettings: geometry, tabs, headers, recent databases.

Office settings live in the database; only this workstation's preferences live here. The file is
INI everywhere (organisation and application "pmo-desktop"), so tests can point
``QSettings.setPath(IniFormat, UserScope, tmp)`` at a temporary folder.
"""

from __future__ import annotations

from PySide6.QtCore import QSettings
from sqlalchemy.engine import URL

from ... import APP_ID, ORG_NAME
from ...model.database import normalise_url

MAX_RECENT = 8
RECENT_KEY = "recent/databases"


def app_settings() -> QSettings:
    """This user's preferences for PMO Desktop."""
    return QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, ORG_NAME, APP_ID)


def url_to_remember(url: URL | str) -> str:
    """The URL as stored in the recent list: any password is dropped, never written to disk.

    A server database is reopened with the password from the driver's own store (for
    PostgreSQL, PGPASSWORD or ~/.pgpass).
    """
    url = normalise_url(str(url)) if not isinstance(url, URL) else url
    if url.password is not None:
        url = URL.create(url.drivername, url.username, None, url.host, url.port, url.database, url.query)
    return url.render_as_string(hide_password=False)


class RecentDatabases:
    """The most recently opened databases, newest first, at most MAX_RECENT."""

    def __init__(self, settings: QSettings | None = None):
        self._settings = settings or app_settings()

    def urls(self) -> list[str]:
        value = self._settings.value(RECENT_KEY, [])
        if isinstance(value, str):  # QSettings returns a lone string for a one-item list
            value = [value]
        return [str(v) for v in value or [] if v][:MAX_RECENT]

    def add(self, url: URL | str) -> None:
        remembered = url_to_remember(url)
        urls = [remembered, *(u for u in self.urls() if u != remembered)]
        self._settings.setValue(RECENT_KEY, urls[:MAX_RECENT])

    def remove(self, url: str) -> None:
        self._settings.setValue(RECENT_KEY, [u for u in self.urls() if u != url])

    def clear(self) -> None:
        self._settings.remove(RECENT_KEY)
