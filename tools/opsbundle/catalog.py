"""The service-checks/v1 catalog and what each implementation does with it.

The catalog (interfaces/service-checks/v1/catalog.yaml) names every check by a
stable ID. An implementation tags each check it emits with that ID in its
tool's own field, and lists in its manifest the IDs it leaves out, with the
reason. What a bundle emits is read from its rendered files, not taken on
trust from the manifest: `opsbundle coverage` and `opsbundle test` both use
`emitted()`.
"""

from __future__ import annotations

import re

from . import yamldata

INTERFACE = "service-checks/v1"

SEVERITIES = ("critical", "warning")
FIELDS = ("service", "role", "kind", "severity", "measures")
BACKENDS = ("ovs", "ovn")
DEFAULT_DELAY = 300
_SERIES = re.compile(r"20[0-9]{2}\.[12]")

# How each tool carries the catalog ID in its rendered configuration.
_NAGIOS_ID = re.compile(r"^\s*_check_id\s+(\S+)\s*$", re.MULTILINE | re.IGNORECASE)
_ICINGA_ID = re.compile(r'\bvars\.check_id\s*=\s*"([^"]+)"')


def checks(registry) -> dict[str, dict]:
    iface = registry.interfaces.get(INTERFACE)
    data = iface.data.get("checks") if iface else None
    return data if isinstance(data, dict) else {}


def problems(registry) -> list[str]:
    """What is wrong with the catalog itself; empty when it is sound."""
    found = []
    entries = checks(registry)
    if not entries:
        return [f"interfaces/{INTERFACE}/catalog.yaml: no checks"]
    for cid, entry in entries.items():
        where = f"interfaces/{INTERFACE}/catalog.yaml: {cid}"
        if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", str(cid)):
            found.append(f"{where}: not a lower-case ID of letters, digits and dashes")
        if not isinstance(entry, dict):
            found.append(f"{where}: not a mapping")
            continue
        found += [f"{where}: no '{f}'" for f in FIELDS if not entry.get(f)]
        if entry.get("severity") not in SEVERITIES:
            found.append(f"{where}: severity must be one of {', '.join(SEVERITIES)}")
        if entry.get("service") not in registry.services:
            found.append(f"{where}: service '{entry.get('service')}' is not in the vocabulary")
        if entry.get("role") not in registry.roles:
            found.append(f"{where}: role '{entry.get('role')}' is not in the vocabulary")
        for name, spec in (entry.get("thresholds") or {}).items():
            if not isinstance(spec, dict) or not isinstance(spec.get("default"), int | float):
                found.append(f"{where}: threshold '{name}' needs a numeric default")
        found += _variant_problems(where, entry)
    return found


def _variant_problems(where: str, entry: dict) -> list[str]:
    found = []
    delay = entry.get("delay", DEFAULT_DELAY)
    if not isinstance(delay, int) or isinstance(delay, bool) or delay < 0:
        found.append(f"{where}: delay must be a whole number of seconds, 0 or more")
    if entry.get("network_backend", "ovs") not in BACKENDS:
        found.append(f"{where}: network_backend must be one of {', '.join(BACKENDS)}")
    releases = entry.get("releases") or {}
    if not isinstance(releases, dict) or set(releases) - {"since", "until"}:
        found.append(f"{where}: releases takes only 'since' and 'until'")
    elif any(not _SERIES.fullmatch(str(v)) for v in releases.values()):
        found.append(f"{where}: releases are OpenStack series such as '2025.2'")
    return found


def _series(text) -> tuple[int, int]:
    year, _, half = str(text).partition(".")
    return int(year), int(half or 0)


def applies(entry: dict, values: dict) -> bool:
    """Whether a check belongs in a render with these values: its network
    back end (if it names one) and its releases (if it has a range) must
    match the cloud's. The templates apply the same rule; `opsbundle
    coverage` holds them to it."""
    backend = entry.get("network_backend")
    if backend and backend != values.get("network_backend", "ovs"):
        return False
    releases = entry.get("releases") or {}
    release = _series(values.get("openstack_release", "9999.2"))
    if "since" in releases and release < _series(releases["since"]):
        return False
    return not ("until" in releases and release > _series(releases["until"]))


def delay(cid: str, entry: dict, values: dict) -> int:
    """Seconds a failure lasts before it alerts: check_delays, else the catalog's."""
    override = (values.get("check_delays") or {}).get(cid)
    return int(override if override is not None else entry.get("delay", DEFAULT_DELAY))


def not_implemented(bundle) -> dict[str, str]:
    section = bundle.implements().get(INTERFACE)
    gaps = section.get("not_implemented") if isinstance(section, dict) else None
    return {str(k): str(v) for k, v in gaps.items()} if isinstance(gaps, dict) else {}


def emitted(tool: str, files: list[tuple[str, str]]) -> set[str]:
    """Catalog IDs found in a bundle's rendered files, given as (dest, text)."""
    reader = _READERS.get(tool)
    if reader is None:
        raise KeyError(f"no reader of catalog IDs for tool '{tool}'")
    ids: set[str] = set()
    for dest, text in files:
        ids |= reader(dest, text)
    return ids


def _prometheus(dest: str, text: str) -> set[str]:
    if not dest.endswith((".rules.yml", ".rules.yaml")):
        return set()
    doc = yamldata.loaded(text) or {}
    return {
        str(rule["labels"]["check_id"])
        for group in doc.get("groups") or []
        for rule in group.get("rules") or []
        if "check_id" in (rule.get("labels") or {})
    }


def _nagios(dest: str, text: str) -> set[str]:
    return set(_NAGIOS_ID.findall(text)) if dest.endswith(".cfg") else set()


def _icinga2(dest: str, text: str) -> set[str]:
    return set(_ICINGA_ID.findall(text)) if dest.endswith(".conf") else set()


def _sensu(dest: str, text: str) -> set[str]:
    if not dest.endswith((".yml", ".yaml")):
        return set()
    return {
        str(doc["metadata"]["labels"]["check_id"])
        for doc in yamldata.loaded_all(text)
        if isinstance(doc, dict)
        and doc.get("type") == "CheckConfig"
        and "check_id" in ((doc.get("metadata") or {}).get("labels") or {})
    }


def _zabbix(dest: str, text: str) -> set[str]:
    """A check is emitted when a trigger (or a trigger prototype) carries its
    ID: an item nobody alerts on checks nothing."""
    if not dest.endswith((".yml", ".yaml")):
        return set()
    export = (yamldata.loaded(text) or {}).get("zabbix_export") or {}
    triggers = list(export.get("triggers") or [])
    for template in export.get("templates") or []:
        for item in template.get("items") or []:
            triggers += item.get("triggers") or []
        for rule in template.get("discovery_rules") or []:
            for prototype in rule.get("item_prototypes") or []:
                triggers += prototype.get("trigger_prototypes") or []
    return {
        str(tag["value"])
        for trigger in triggers
        for tag in trigger.get("tags") or []
        if tag.get("tag") == "check_id"
    }


_READERS = {
    "prometheus": _prometheus,
    "nagios": _nagios,
    "icinga2": _icinga2,
    "sensu": _sensu,
    "zabbix": _zabbix,
}
