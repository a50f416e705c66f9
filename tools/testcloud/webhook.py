"""A webhook receiver of our own (apps/webhook.py, run by this Python): the
endpoint Alertmanager's webhook receiver posts alerts to, so a test reads
back what a pager would have been sent.

Logs: `requests` (one line per request), `received` (each POST: path and
JSON body, one per line). Info: `url` (POST anywhere below it). Helper:
`received()` (every POST so far, oldest first).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from . import probes
from .daemon import HOST, Daemon, DaemonError

APP = Path(__file__).resolve().parent / "apps" / "webhook.py"


class Webhook(Daemon):
    kind = "webhook"
    start_timeout = 30.0

    def prepare(self) -> None:
        self.port("http")
        self.info["url"] = f"http://{HOST}:{self.ports['http']}"
        self.log("requests", "requests.log")
        self.log("received", "received.jsonl")

    def launch(self) -> None:
        argv = [sys.executable, str(APP), str(self.ports["http"]), self.logs["received"]]
        self.spawn(argv, "webhook", log=self.logs["requests"])

    def ready(self) -> bool:
        return probes.http_status(self.info["url"] + "/-/ready")

    def received(self) -> list[dict]:
        status, body = probes.http_request(self.info["url"] + "/received")
        if status != 200:
            raise DaemonError(f"webhook /received: HTTP {status}")
        return json.loads(body)
