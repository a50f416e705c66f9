"""memcached (Debian's), as the `memcache` user Debian creates, on a private port.

Logs: `memcached` (its -v output: errors and warnings; -vv adds every
connection). Info: `server` ("127.0.0.1:PORT", what oslo.cache's
`memcache_servers` takes).
"""

from __future__ import annotations

import re

from . import probes
from .daemon import HOST, Daemon


class Memcached(Daemon):
    kind = "memcached"
    start_timeout = 30.0

    def prepare(self) -> None:
        self.port("memcached")
        self.info["server"] = f"{HOST}:{self.ports['memcached']}"
        self.log("memcached", "memcached.log")

    def launch(self) -> None:
        verbose = "-vv" if self.options.get("verbose") else "-v"
        argv = ["memcached", "-l", HOST, "-p", str(self.ports["memcached"]), "-U", "0"]
        argv += ["-u", self.options.get("user", "memcache"), "-m", "64", "-c", "1024", verbose]
        self.spawn(argv, "memcached", log=self.logs["memcached"])

    def ready(self) -> bool:
        return bool(re.search(rb"^STAT pid \d+", self.stats(), re.M))

    def stats(self) -> bytes:
        return probes.tcp_exchange(HOST, self.ports["memcached"], b"stats\r\n", b"END\r\n")
