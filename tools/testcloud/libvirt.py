"""libvirtd (Debian 12's libvirt-daemon 9.0, the QEMU driver without QEMU), as
nova-compute's hypervisor daemon logs: its own log file
(`log_outputs = "2:file:..."`, /var/log/libvirt/libvirtd.log on a host) and,
as the second view of the same records, libvirt's journald output
(`2:journald`) into the test cloud's journald (tools/testcloud/journald.py),
whose entries carry each record's message, priority, function and line.

libvirtd as root wants /run/libvirt, /var/lib/libvirt, /var/cache/libvirt and
/var/log/libvirt, and the QEMU driver the libvirt-qemu user and the kvm
group, which this machine need not have: it runs in a mount namespace of its
own inside journald's (so its journald output reaches that journald), with
those folders on tmpfs, /etc/libvirt its own config folder, and /etc/passwd
and /etc/group copies with those two names added. Nothing of the host
changes. Its socket is in its `run/` folder, reachable from outside.

Logs: `libvirtd`. Info: `uri` (qemu:///system on that socket). `virsh(...)`
runs one virsh command and returns its exit code (errors are the point).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from .daemon import Daemon
from .journald import inside

NAMESPACE = (
    "set -e; mount --make-rprivate /; "
    "for d in /run/libvirt /var/lib/libvirt /var/cache/libvirt /var/log/libvirt; do "
    'mkdir -p "$d"; mount -t tmpfs tmpfs "$d"; done; '
    'mount --bind "$1/etc" /etc/libvirt; '
    'mount --bind "$1/passwd" /etc/passwd; mount --bind "$1/group" /etc/group; '
    'exec /usr/sbin/libvirtd --config "$1/etc/libvirtd.conf" --pid-file "$1/run/libvirtd.pid"'
)
# Debian's build: the QEMU driver runs guests as libvirt-qemu:kvm (only named here)
USER = "libvirt-qemu:x:64055:64055:Libvirt Qemu,,,:/var/lib/libvirt:/usr/sbin/nologin\n"
GROUPS = "kvm:x:64054:\nlibvirt-qemu:x:64055:\n"


class Libvirtd(Daemon):
    kind = "libvirt"
    start_timeout = 30.0

    def prepare(self) -> None:
        run = self.folder("run", mode=0o755)
        etc = self.folder("etc", mode=0o755)
        log = self.log("libvirtd", "libvirtd.log")
        (etc / "libvirtd.conf").write_text(
            f'unix_sock_dir = "{run}"\n'
            f'log_outputs = "2:file:{log} 2:journald"\n'
            'auth_unix_rw = "none"\n'
        )
        (etc / "libvirt.conf").write_text("")
        # as nova's compute hosts do not: no guest ever starts here
        (etc / "qemu.conf").write_text('user = "root"\ngroup = "root"\n')
        self.path("passwd").write_text(Path("/etc/passwd").read_text() + USER)
        self.path("group").write_text(Path("/etc/group").read_text() + GROUPS)
        self.info["uri"] = f"qemu:///system?socket={run}/libvirt-sock"

    def launch(self) -> None:
        argv = ["unshare", "-m", "sh", "-c", NAMESPACE, "libvirtd", str(self.workdir)]
        self.spawn(inside(self.options["journald_pid"], argv), "libvirtd")

    def ready(self) -> bool:
        return (self.workdir / "run" / "libvirt-sock").is_socket()

    def virsh(self, *args: str) -> int:
        done = subprocess.run(["virsh", "-c", self.info["uri"], *args], capture_output=True,
                              timeout=60, check=False)  # fmt: skip
        return done.returncode
