"""Generate a repository of N realistic, distinct bundles for the benchmarks.

Each bundle is a copy of logging/rsyslog with its own name, version, services
and a template that differs by a comment and a parameter, so no cache keyed on
content can pretend two bundles are one.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

SERVICES = ["keystone", "nova", "neutron", "glance", "cinder", "placement", "heat", "horizon"]


def generate(src_root: Path, dest: Path, n: int) -> list[Path]:
    shutil.copytree(src_root / "interfaces", dest / "interfaces")
    template = (src_root / "logging/rsyslog/manifest.yaml").read_text()
    conf = (src_root / "logging/rsyslog/files/rsyslog.conf.j2").read_text()
    changelog = (src_root / "logging/rsyslog/changelog.yaml").read_text()
    made = []
    for i in range(n):
        name = f"gen-{i:05d}"
        bdir = dest / "logging" / name
        (bdir / "files").mkdir(parents=True)
        services = "\n".join(f"- {s}" for s in SERVICES[: 2 + i % 6])
        manifest = (
            template.replace("name: rsyslog", f"name: {name}")
            .replace("files/rsyslog.conf.j2", f"files/{name}.conf.j2")
            .replace("60-opsbundles-openstack.conf", f"60-{name}.conf")
        )
        head, _, tail = manifest.partition("services:\n")
        rest = tail[tail.index("parameters:") :]
        (bdir / "manifest.yaml").write_text(f"{head}services:\n{services}\n{rest}")
        (bdir / "changelog.yaml").write_text(changelog)
        for other in (src_root / "logging/rsyslog/files").iterdir():
            if other.name != "rsyslog.conf.j2":
                shutil.copy(other, bdir / "files" / other.name)
        (bdir / "files" / f"{name}.conf.j2").write_text(
            f"# generated bundle {i}\n" + conf.replace("opsbundles_forward", f"fwd_{i}")
        )
        made.append(bdir)
    return made


if __name__ == "__main__":
    generate(Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3]))
