"""rpm spec files: rpm expands `%` macros everywhere (`%(cmd)` runs a shell
command while the spec is parsed, even by `rpmspec -P`); `%%` is a `%`."""

from __future__ import annotations

from .base import plain, unpadded


def rpm_value(value) -> str:
    """A tag's value or a line of %description: `Packager: {{ p | rpm_value }}`."""
    return unpadded(plain(value, "rpm-spec"), "rpm-spec").replace("%", "%%")


LANGUAGES = {"rpm-spec": {"rpm_value": rpm_value}}
