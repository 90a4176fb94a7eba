"""Fixtures of the integration tier (the root conftest gives the databases, app and county)."""
import pytest

from common.i18n_build import compile_catalogs


@pytest.fixture(scope="session", autouse=True)
def compiled_catalogs():
    """Pages are checked in Chinese and English: the catalogs are compiled once per run."""
    compile_catalogs()
