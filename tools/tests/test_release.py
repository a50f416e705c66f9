"""The release's version is the same in pyproject.toml, opsbundle.__version__,
the collection's galaxy.yml and the top entry of CHANGELOG.md (RELEASING.md)."""

from __future__ import annotations

import re
import tomllib

import yaml
from conftest import REAL_ROOT
from opsbundle import __version__


def test_one_version_everywhere():
    project = tomllib.loads((REAL_ROOT / "pyproject.toml").read_text())["project"]["version"]
    galaxy = yaml.safe_load((REAL_ROOT / "ansible/opsbundles/deploy/galaxy.yml").read_text())
    top = re.search(r"^## (\S+)", (REAL_ROOT / "CHANGELOG.md").read_text(), re.MULTILINE)
    assert project == __version__ == galaxy["version"] == top.group(1)
