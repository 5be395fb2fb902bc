"""pmo_desktop: the PMO's portfolio, resource, risk and governance database on the desktop."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("pmo-desktop")
except PackageNotFoundError:  # running from a checkout that was never installed
    __version__ = "0.1.0"

APP_NAME = "PMO Desktop"
APP_ID = "pmo-desktop"
ORG_NAME = "pmo-desktop"
