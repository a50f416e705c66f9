"""Escaping per config language: how free text becomes data in each file we write.

A file entry of a manifest says its `language`; a `text` or secret parameter
may reach that file only through one of the filters of that language (the
templates check reports any other path). Each language lives in its own
module, with the facts about its syntax it relies on, and exposes FILTERS:
the Jinja2 filters a template uses, named `<language>_<context>`. A filter
returns the complete token (quotes included) wherever the language quotes,
so a template never writes the delimiters itself, and raises EscapeError for
a value the language cannot hold at all; the render then fails cleanly.

Languages without a filter (logrotate, sudoers, ...) are listed in
NO_FREE_TEXT: no free text may reach them at all.
"""

from __future__ import annotations

from types import ModuleType

from . import (
    debian,
    envfile,
    fluentd,
    icinga2,
    ini,
    json,
    logstash,
    make,
    mycnf,
    nagios,
    rpm,
    rsyslog,
    shell,
    splunk,
    systemd,
    yaml,
)
from .base import EscapeError

__all__ = ["EscapeError", "LANGUAGES", "filters", "filters_of", "known"]

MODULES: tuple[ModuleType, ...] = (
    rsyslog,
    nagios,
    icinga2,
    shell,
    yaml,
    json,
    fluentd,
    logstash,
    splunk,
    ini,
    mycnf,
    systemd,
    envfile,
    rpm,
    make,
    debian,
)
# language -> {filter name: function}
LANGUAGES: dict[str, dict] = {}
for _module in MODULES:
    for _language, _filters in _module.LANGUAGES.items():
        LANGUAGES[_language] = _filters
# Languages a file may declare that hold no free text.
NO_FREE_TEXT = frozenset(
    {"logrotate", "tmpfiles", "sudoers", "nrpe", "liblognorm", "debian-changelog", "plain"}
)


def known() -> list[str]:
    return sorted(LANGUAGES.keys() | NO_FREE_TEXT)


def filters() -> dict:
    """Every escape filter, for the Jinja2 environment."""
    return {name: fn for table in LANGUAGES.values() for name, fn in table.items()}


def filters_of(language: str | None) -> frozenset[str]:
    return frozenset(LANGUAGES.get(language or "", {}))
