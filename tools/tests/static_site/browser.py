"""Headless Chromium from Debian, driven by selenium through Debian's
chromedriver (never a browser or driver a test tool downloads).

The flags are the ones that start Chromium cleanly on a machine with no
network: no sandbox (we run as root), no GPU, and no background
connections, update checks or sync, which a closed network refuses many at
a time. The profile is a fresh temporary folder, removed afterwards.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import tempfile
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--hide-scrollbars",
    "--allow-file-access-from-files",
)


class Browser:
    def __init__(self, javascript: bool = True):
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service

        missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not os.access(p, os.X_OK)]
        if missing:
            raise RuntimeError(
                f"{', '.join(missing)} missing: Debian's chromium and chromium-driver "
                "are installed by tools/setup.sh"
            )
        os.environ.setdefault("SE_OFFLINE", "true")  # selenium-manager never downloads
        self.profile = tempfile.mkdtemp(prefix="opsbundle-chromium-")
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for flag in (*FLAGS, f"--user-data-dir={self.profile}"):
            options.add_argument(flag)
        if not javascript:  # what a reader with scripts turned off gets
            options.add_experimental_option(
                "prefs", {"profile.managed_default_content_settings.javascript": 2}
            )
        # the console, and every request the page makes (Network events)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
        try:
            self.driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
        except BaseException:
            shutil.rmtree(self.profile, ignore_errors=True)
            raise
        self.width = 0

    def close(self) -> None:
        try:
            self.driver.quit()
        finally:
            shutil.rmtree(self.profile, ignore_errors=True)

    def open(self, path: Path, width: int = 1440) -> None:
        if width != self.width:
            self.driver.set_window_size(width, 900)
            self.width = width
        self.driver.get(path.resolve().as_uri())

    def js(self, script: str, *args):
        return self.driver.execute_script(script, *args)

    def console_errors(self) -> list[str]:
        """Errors logged since the last call (reading the log empties it)."""
        return [e["message"] for e in self.driver.get_log("browser") if e["level"] == "SEVERE"]

    def requests(self) -> list[str]:
        """URLs the browser requested since the last call."""
        urls = []
        for entry in self.driver.get_log("performance"):
            event = json.loads(entry["message"])["message"]
            if event.get("method") == "Network.requestWillBeSent":
                urls.append(event["params"]["request"]["url"])
        return urls

    def forget_logs(self) -> None:
        self.console_errors()
        self.requests()

    def screenshot(self, target: Path) -> Path:
        """The whole page (not just the window) as PNG, at the current width."""
        height = self.js("return document.documentElement.scrollHeight")
        metrics = {"width": self.width, "height": int(height), "deviceScaleFactor": 1}
        metrics["mobile"] = self.width < 600
        self.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
        try:
            shot = self.driver.execute_cdp_cmd(
                "Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True}
            )
        finally:
            self.driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(base64.b64decode(shot["data"]))
        return target
