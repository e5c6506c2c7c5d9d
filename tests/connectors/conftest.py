import os

import pytest

from sdc_settings import load_settings
from warehouse.lake import lake_connection


@pytest.fixture
def settings(workspace):
    return load_settings(os.environ)


@pytest.fixture
def lake(settings):
    with lake_connection(settings) as con:
        yield con
