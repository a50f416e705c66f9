"""Every way to check this repository, in one place.

- `nox`: every session in `nox.options.sessions`, which is what CI runs (.ci/run)
- `nox -s bench`: validate speed and memory, and every log parser's throughput,
  against baselines measured in the same run
- `nox -s site`: the browsable catalog in build/site, checked in a real browser
"""

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


@nox.session
def tests(session):
    """The test suite of the opsbundle command and its checks."""
    session.install("-e", ".[test]")
    # the site's tests run in `nox -s site`, with the site they build kept
    session.run("pytest", "-q", "--ignore=tools/tests/static_site", *session.posargs)


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
