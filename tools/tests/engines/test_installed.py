"""The native engines CI relies on are present: tools/setup.sh installs them,
and a machine without them must fail loudly rather than skip their tests."""

from __future__ import annotations

import pytest
from opsbundle import engines


@pytest.mark.parametrize("tool", sorted(engines.ENGINES))
def test_engine_is_installed(tool):
    engine = engines.ENGINES[tool]
    assert engine.TOOL == tool  # the registry and the module agree on the tool's name
    assert engines.missing(engine) == [], f"{tool}: run tools/setup.sh"
