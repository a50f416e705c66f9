"""debian/control fields (deb-control(5), deb-substvars(5)).

A field value is one line here (a continuation needs a leading space, and
the formats refuse newlines); dpkg-gencontrol replaces `${name}` with a
substitution variable and, last, `${}` with `$`, so every `$` is written
`${}`. Surrounding spaces are dropped."""

from __future__ import annotations

from .base import plain, unpadded


def deb_control_value(value) -> str:
    """`Maintainer: {{ packager | deb_control_value }}`."""
    return unpadded(plain(value, "debian-control"), "debian-control").replace("$", "${}")


LANGUAGES = {"debian-control": {"deb_control_value": deb_control_value}}
