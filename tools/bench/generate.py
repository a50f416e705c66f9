"""Generate repositories of many bundles for the benchmarks.

`generate(src, dest, n)`: N realistic, distinct logging bundles, each a copy of
logging/rsyslog with its own name, version, services and a template that
differs by a comment and a parameter, so no cache keyed on content can pretend
two bundles are one.

`copies(src, dest, n)`: N copies of every tool bundle of the repository (every
engine's), each with its own name and a comment at the end of each template,
so that every copy renders files of its own (no engine may read one file for
all copies).
"""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

SERVICES = ["keystone", "nova", "neutron", "glance", "cinder", "placement", "heat", "horizon"]
DOMAINS = ("logging", "monitoring", "packaging")
# templates whose format allows no comment line at the end
NO_COMMENT = {"changelog.j2", "source-format.j2"}


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


def tool_bundles(src_root: Path) -> list[Path]:
    return sorted(
        d for top in DOMAINS for d in (src_root / top).iterdir() if (d / "manifest.yaml").is_file()
    )


def copies(src_root: Path, dest: Path, n: int) -> list[Path]:
    shutil.copytree(src_root / "interfaces", dest / "interfaces")
    for top in (*DOMAINS, "bundles"):
        (dest / top).mkdir(parents=True, exist_ok=True)
    made = []
    for bundle in tool_bundles(src_root):
        for i in range(n):
            name = f"{bundle.name}-c{i:03d}"
            target = dest / bundle.parent.name / name
            shutil.copytree(bundle, target, ignore=shutil.ignore_patterns("tests"))
            manifest = target / "manifest.yaml"
            text = manifest.read_text()
            manifest.write_text(re.sub(r"(?m)^name: .*$", f"name: {name}", text, count=1))
            for path in target.rglob("*.j2"):
                if path.name not in NO_COMMENT:
                    path.write_text(path.read_text() + f"# copy {i} of {bundle.name}\n")
            made.append(target)
    return made


if __name__ == "__main__":
    how = {"rsyslog": generate, "copies": copies}[sys.argv[1]]
    how(Path(sys.argv[2]), Path(sys.argv[3]), int(sys.argv[4]))
