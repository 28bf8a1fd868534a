"""One env server for the whole test session, started the way users start it (no URL given)."""
import os
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
os.environ.setdefault("SPARS_GYM_ROOT", str(REPO))

from spars_gym.client import LocalServer  # noqa: E402

# Small games: short episodes keep the API tests fast.
SMALL = {"maxSteps": 12, "phantoms": {"count": 4, "seed": 3, "shape": [32, 64, 64]}}


@pytest.fixture(scope="session")
def server():
    s = LocalServer()
    yield s
    s.stop()


@pytest.fixture(scope="session")
def url(server):
    return server.url
