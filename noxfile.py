"""Every way to check this repository, in one place.

- `nox`: every session in `nox.options.sessions`, which is what CI runs (.ci/run)
- `nox -s bench`: validate speed and memory, and every log parser's throughput,
  against baselines measured in the same run
- `nox -s site`: the browsable catalog in build/site, checked in a real browser
- `nox -s cloud`: the mini cloud from our own debs (keystone, placement, glance),
  and every suite's `openstack` tests against it
"""

import tempfile

import nox

nox.options.sessions = ["lint", "tests", "validate", "site", "cloud"]
nox.options.reuse_existing_virtualenvs = True
SITE = "build/site"  # the catalog `nox -s site` builds and tests (CI keeps it)


@nox.session
def lint(session):
    """ruff on the Python, yamllint on every YAML file (bad fixtures excepted)."""
    session.install("ruff", "yamllint")
    session.run("ruff", "check", "tools", "noxfile.py")
    session.run("ruff", "format", "--check", "tools", "noxfile.py")
    session.run("yamllint", "--strict", ".")


@nox.session
def tests(session):
    """The test suite of the opsbundle command and its checks."""
    session.install("-e", ".[test]")
    # the site's tests run in `nox -s site`, with the site they build kept; the
    # tests of our packaged OpenStack services run in `nox -s cloud`
    session.run(
        "pytest", "-q", "--ignore=tools/tests/static_site", "-m", "not openstack",
        *session.posargs,
    )  # fmt: skip


@nox.session
def validate(session):
    """Every bundle in the repository, with the real engines required."""
    session.install("-e", ".")
    session.run("opsbundle", "validate", "--require-native", "--no-cache", *session.posargs)


@nox.session
def site(session):
    """`opsbundle site -o build/site`, every page through the W3C Nu checker, and
    Debian's headless Chromium on the DOM; screenshots land in build/site/screenshots."""
    session.install("-e", ".[test]")
    session.run(
        "pytest",
        "-q",
        "tools/tests/static_site",
        *session.posargs,
        env={"OPSBUNDLE_SITE_DIR": SITE},
    )


@nox.session
def bench(session):
    """validate against a YAML-only baseline, parsers against a line split, same run."""
    session.install("-e", ".")
    session.run("python", "tools/bench/bench.py", *session.posargs)


@nox.session
def cloud(session):
    """Build keystone, placement and glance debs from their PyPI sdists (cached by
    content), install them in a Debian 12 chroot, start them as their units say
    with real MariaDB, memcached and RabbitMQ, run every `openstack`-marked test
    against that one cloud (openstackclient, logs, logrotate, purge), stop it."""
    session.install("-e", ".[test]")
    state = tempfile.mkdtemp(prefix="testcloud-")
    try:
        session.run("python", "-m", "testcloud", "up", "openstack", "--state", state)
        session.run(
            "pytest", "-q", "-m", "openstack", *session.posargs,
            env={"OPSBUNDLES_TESTCLOUD": state},
        )  # fmt: skip
    finally:
        session.run("python", "-m", "testcloud", "down", "--state", state)
