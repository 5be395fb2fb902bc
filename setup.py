"""Package list for setuptools: the Alembic scripts in db/ ship inside the wheel as pmo_desktop.migrations."""

from setuptools import find_packages, setup

setup(
    packages=[*find_packages(include=["pmo_desktop", "pmo_desktop.*"]), "pmo_desktop.migrations",
              "pmo_desktop.migrations.versions"],
    package_dir={"pmo_desktop.migrations": "db"},
)
