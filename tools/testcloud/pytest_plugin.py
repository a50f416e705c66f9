"""The `testcloud` pytest fixture and the `cloud` marker.

    def test_something(testcloud):
        db = testcloud.get("mariadb")        # started on first use, once per session
        db.sql("SELECT 1"); db.logs["error"]

The fixture is session-scoped: each daemon starts at most once per test
session, when a test first asks for it, and everything it started is stopped
by PID (and its data deleted) when the session ends. With
OPSBUNDLES_TESTCLOUD=<state dir> the session uses the cloud recorded there
instead (`python -m testcloud up --state DIR`, or `nox -s cloud`): it reuses
the running daemons, starts any that are missing into that cloud, and stops
nothing (the cloud's owner runs `down`). OPSBUNDLES_TESTCLOUD_KEEP=1 keeps a
session's own cloud's data and logs for a look afterwards.

Every test that uses the fixture is marked `cloud`, so `pytest -m "not
cloud"` runs the suite without daemons and `-m cloud` runs only those tests.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from .cloud import Cloud

ENV = "OPSBUNDLES_TESTCLOUD"


def pytest_configure(config):
    config.addinivalue_line("markers", "cloud: needs the real-daemon test cloud (tools/testcloud)")
    config.addinivalue_line(
        "markers",
        "openstack: needs our packaged keystone, placement and glance in the test cloud"
        " (builds debs and a chroot the first time): run by `nox -s cloud`",
    )


def pytest_collection_modifyitems(items):
    for item in items:
        if "testcloud" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.cloud)


@pytest.fixture(scope="session")
def testcloud():
    shared = os.environ.get(ENV)
    if shared:
        yield Cloud(Path(shared))
        return
    state_dir = Path(tempfile.mkdtemp(prefix="testcloud-"))
    keep = bool(os.environ.get(f"{ENV}_KEEP"))
    cloud = Cloud(state_dir)
    try:
        yield cloud
    finally:
        cloud.down(remove=not keep)
        if not keep:
            shutil.rmtree(state_dir, ignore_errors=True)
