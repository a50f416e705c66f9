"""A Debian 12 host for our own OpenStack packages: an mmdebstrap chroot in
the cloud's state dir, with the packages installed by apt from Debian's
archive, the way a site installs them.

Why a chroot and not this machine: installing, configuring and purging
openstack-keystone here would change files other helpers' suites read
(/etc/keystone, /var/log, users), fight them for the dpkg lock, and leave
state behind between runs; in a chroot every cloud has its own /etc, /var
and users, and purging it proves what the package leaves behind. The
network is the host's (no namespace), so the services listen on 127.0.0.1
ports every test reaches, and talk to the cloud's MariaDB, memcached and
RabbitMQ running on the host.

Cost, and what is cached: the base (minbase plus every package our debs
depend on, and the site's DB driver) is one mmdebstrap run, kept as a tarball
keyed by that package list and the archive's suites; a cloud unpacks it and
runs `apt-get install ./<our>.deb`, which resolves every Depends from the
packages Debian's archive gave the base (and fetches what is missing).

Every command runs through `inside()`: a private mount namespace (so the
/proc it mounts in the chroot vanishes with the process, and nothing is ever
mounted on the host), chroot, the user's uid, gid and groups as the chroot's
passwd and group files say, a working directory and a clean environment.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from . import debs
from .daemon import Daemon, DaemonError, run

SUITE = "bookworm"
# what a site adds next to the packages: the database driver oslo.db uses
SITE_PACKAGES = ("python3-pymysql",)
DEBS_INSIDE = "/var/cache/testcloud-debs"
PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
_SCRIPT = (
    "root=$1 spec=$2 groups=$3 wd=$4; shift 4; "
    'mount -t proc proc "$root/proc" && '
    '{ [ ! -d "$root/dev/shm" ] || mount -t tmpfs tmpfs "$root/dev/shm"; } && '
    'exec chroot --userspec="$spec" ${groups:+--groups="$groups"} "$root" '
    '/bin/sh -c \'cd "$0" && exec "$@"\' "$wd" "$@"'
)


# --------------------------------------------------------------------------- inside the chroot


def account(root: Path, user: str | None) -> tuple[str, str, str]:
    """(uid:gid, supplementary gids, home) of `user` in the chroot."""
    if user in (None, "root"):
        return "0:0", "", "/root"
    entry = next(
        (line.split(":") for line in (root / "etc/passwd").read_text().splitlines()
         if line.split(":")[0] == user),
        None,
    )  # fmt: skip
    if entry is None:
        raise DaemonError(f"no user {user!r} in {root}/etc/passwd")
    groups = [
        line.split(":")[2]
        for line in (root / "etc/group").read_text().splitlines()
        if user in line.split(":")[3].split(",")
    ]
    return f"{entry[2]}:{entry[3]}", ",".join([entry[3], *groups]), entry[5]


def inside(root: Path, argv, user=None, group=None, cwd="/", env=None, own_pids=False) -> list[str]:
    """The host command that runs `argv` in the chroot as `user` (systemd's
    User=: the user's own groups too; Group= when given replaces the primary).
    `own_pids`: in a PID namespace of its own too, so it sees no process of
    this host (userdel, purging a copy of a node whose services run, must not
    see them)."""
    spec, groups, home = account(Path(root), user)
    if group:
        gid = next(
            line.split(":")[2]
            for line in (Path(root) / "etc/group").read_text().splitlines()
            if line.split(":")[0] == group
        )
        spec = f"{spec.split(':')[0]}:{gid}"
    base = {"PATH": PATH, "LANG": "C.UTF-8", "HOME": home, "USER": user or "root"}
    base["LOGNAME"] = base["USER"]
    variables = [f"{k}={v}" for k, v in {**base, **(env or {})}.items()]
    pids = ["--pid", "--fork"] if own_pids else []
    return ["env", "-i", *variables, "unshare", "--mount", *pids, "--propagation", "private",
            "--", "/bin/sh", "-c", _SCRIPT, "sh", str(root), spec, groups, cwd, *argv]  # fmt: skip


def run_inside(root: Path, argv, what: str, timeout: float = 600, **kwargs) -> str:
    return run(inside(root, argv, **kwargs), what, timeout=timeout)


# --------------------------------------------------------------------------- the base


def sources() -> list[str]:
    """The host's Debian archive lines (deb822 sources), for mmdebstrap."""
    lines = []
    for path in sorted(Path("/etc/apt/sources.list.d").glob("*.sources")):
        for stanza in path.read_text().split("\n\n"):
            fields = dict(
                (k.strip(), v.strip())
                for k, _, v in (line.partition(":") for line in stanza.splitlines())
                if not k.startswith("#") and v
            )
            if fields.get("Types") != "deb" or "debian" not in fields.get("URIs", ""):
                continue
            for suite in fields.get("Suites", "").split():
                lines.append(f"deb {fields['URIs']} {suite} {fields.get('Components', 'main')}")
    return lines or [f"deb http://deb.debian.org/debian {SUITE} main"]


def depends_of(paths) -> list[str]:
    """Every package name our debs depend on (alternatives: the first), ours left out."""
    ours, names = set(), set()
    for path in paths:
        fields = run(["dpkg-deb", "-f", str(path), "Package", "Depends"], "dpkg-deb")
        ours.add(re.search(r"^Package: (\S+)", fields, re.M)[1])
        depends = re.search(r"^Depends: (.*)$", fields, re.M)
        for clause in (depends[1] if depends else "").split(","):
            name = clause.split("|")[0].strip().split(" ")[0].split(":")[0]
            if name:
                names.add(name)
    return sorted(names - ours)


def base_tarball(packages: list[str]) -> Path:
    """minbase + `packages` as a tarball, made once per package list."""
    lines = sources()
    key = hashlib.sha256("\n".join([SUITE, *lines, *packages]).encode()).hexdigest()[:24]
    tarball = debs.cache_dir() / "testcloud" / f"base-{SUITE}-{key}.tar"
    if tarball.is_file():
        return tarball
    tarball.parent.mkdir(parents=True, exist_ok=True)
    partial = tarball.with_suffix(".partial.tar")
    argv = ["mmdebstrap", "--variant=minbase", "--mode=root", "--quiet"]
    argv += [f"--include={','.join(packages)}", "--aptopt=APT::Install-Recommends false"]
    argv += ["--customize-hook=printf '#!/bin/sh\\nexit 101\\n' > \"$1/usr/sbin/policy-rc.d\""]
    argv += ['--customize-hook=chmod 755 "$1/usr/sbin/policy-rc.d"']
    argv += [SUITE, str(partial), *lines]
    run(argv, "mmdebstrap", timeout=1800)
    partial.rename(tarball)
    for old in tarball.parent.glob(f"base-{SUITE}-*.tar"):  # for package lists of the past
        if old != tarball:
            old.unlink()
    return tarball


# --------------------------------------------------------------------------- the node


class Node(Daemon):
    """Not a process: the installed chroot the OpenStack services run in.
    Options: projects (which of debs.RELEASE to install)."""

    kind = "node"
    start_timeout = 30.0

    @property
    def root(self) -> Path:
        return self.workdir / "root"

    def prepare(self) -> None:
        if (self.workdir / "installed").is_file():
            return
        timings = {}
        started = time.monotonic()
        projects = self.options.get("projects", list(debs.RELEASE))
        with ThreadPoolExecutor(max_workers=len(projects)) as pool:  # each build is one process
            built = list(pool.map(debs.build, projects))
        paths = [f for out in built for f in debs.files(out)]
        timings["debs"] = round(time.monotonic() - started, 1)
        started = time.monotonic()
        tarball = base_tarball(sorted({*depends_of(paths), *SITE_PACKAGES}))
        timings["base"] = round(time.monotonic() - started, 1)
        started = time.monotonic()
        shutil.rmtree(self.root, ignore_errors=True)
        self.root.mkdir(parents=True)
        run(["tar", "-xf", str(tarball), "-C", str(self.root), "--numeric-owner"], "untar")
        shutil.copyfile("/etc/resolv.conf", self.root / "etc/resolv.conf")
        target = self.root / DEBS_INSIDE.lstrip("/")
        target.mkdir(parents=True, exist_ok=True)
        for path in paths:
            shutil.copyfile(path, target / path.name)
        argv = ["apt-get", "install", "-y", "-q", "--no-install-recommends"]
        argv += [f"{DEBS_INSIDE}/{p.name}" for p in paths]
        self.info["apt"] = run_inside(
            self.root, argv, "apt-get install", timeout=1800,
            env={"DEBIAN_FRONTEND": "noninteractive"},
        )[-4000:]  # fmt: skip
        timings["install"] = round(time.monotonic() - started, 1)
        self.info.update(
            root=str(self.root),
            debs=[str(p) for p in paths],
            base=str(tarball),
            packages=[re.sub(r"_.*", "", p.name) for p in paths],
            timings=timings,
        )
        (self.workdir / "installed").write_text("\n".join(self.info["packages"]) + "\n")

    def launch(self) -> None:
        """Nothing runs: the services are daemons of their own."""

    def alive(self) -> bool:
        return (self.workdir / "installed").is_file()

    def ready(self) -> bool:
        return self.alive()

    def stop(self) -> None:
        """Nothing to stop; `remove()` deletes the chroot."""

    def remove(self) -> None:
        mounted = [
            line.split()[4]
            for line in Path("/proc/self/mountinfo").read_text().splitlines()
            if line.split()[4].startswith(str(self.root))
        ]
        if mounted:  # never delete through a mount into the host
            raise DaemonError(f"{self.root}: still mounted: {', '.join(mounted)}")
        shutil.rmtree(self.workdir, ignore_errors=True)

    # ----- for the services

    def run(self, argv, what: str, **kwargs) -> str:
        return run_inside(self.root, argv, what, **kwargs)

    def host_path(self, path: str) -> Path:
        """Where a path of the chroot is on this host."""
        return self.root / path.lstrip("/")
