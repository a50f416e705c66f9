"""Every way to check this repository, in one place.

- `nox`: every session in `nox.options.sessions`, which is what CI runs (.ci/run)
- `nox -s bench`: validate speed and memory, and every log parser's throughput,
  against baselines measured in the same run
- `nox -s site`: the browsable catalog in build/site, checked in a real browser
"""

import contextlib
import shutil
import tempfile

import nox

nox.options.sessions = ["lint", "tests", "validate", "site"]
nox.options.reuse_existing_virtualenvs = True
SITE = "build/site"  # the catalog `nox -s site` builds and tests (CI keeps it)


@nox.session
def lint(session):
    """ruff on the Python, yamllint on every YAML file (bad fixtures excepted)."""
    session.install("ruff", "yamllint")
    session.run("ruff", "check", "tools", "noxfile.py")
    session.run("ruff", "format", "--check", "tools", "noxfile.py")
    session.run("yamllint", "--strict", ".")


@contextlib.contextmanager
def one_test_cloud(session):
    """One test cloud (tools/testcloud) for every pytest worker of the session:
    each daemon starts once, when a test first needs it, into one state dir
    (its lock serialises the starts), and all are stopped by PID at the end."""
    state = tempfile.mkdtemp(prefix="testcloud-nox-")
    try:
        yield {"OPSBUNDLES_TESTCLOUD": state}
    finally:
        session.run("python", "-m", "testcloud", "down", "--state", state, silent=True)
        shutil.rmtree(state, ignore_errors=True)


@nox.session
def tests(session):
    """The test suite of the opsbundle command and its checks, in one process
    per core (pytest-xdist; a test file stays on one worker, so its module
    fixtures start once)."""
    session.install("-e", ".[test]")
    with one_test_cloud(session) as env:
        # the site's tests run in `nox -s site`, with the site they build kept
        session.run(
            "pytest", "-q", "-n", "auto", "--dist", "loadfile",
            "--ignore=tools/tests/static_site", *session.posargs, env=env,
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
