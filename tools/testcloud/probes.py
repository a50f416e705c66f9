"""Real readiness signals: does a socket accept, does a URL answer.

Each returns a plain value and raises nothing a poll loop must care about
(OSError is what `daemon.wait_until` swallows), so a daemon's ready() is one
line over these.
"""

from __future__ import annotations

import base64
import http.client
import socket
import urllib.error
import urllib.request

TIMEOUT = 5.0


def tcp_accepts(host: str, port: int) -> bool:
    with socket.create_connection((host, port), timeout=TIMEOUT):
        return True


def tcp_exchange(host: str, port: int, send: bytes, until: bytes) -> bytes:
    """Send `send`, read until `until` shows up (or the peer closes)."""
    with socket.create_connection((host, port), timeout=TIMEOUT) as sock:
        sock.sendall(send)
        data = b""
        while until not in data:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
        return data


def http_request(
    url: str,
    user: str | None = None,
    password: str | None = None,
    method: str = "GET",
    data: bytes | None = None,
    headers: dict | None = None,
) -> tuple[int, bytes]:
    """(status, body) of one request; an HTTP error status is an answer too."""
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    if user is not None:
        creds = base64.b64encode(f"{user}:{password}".encode()).decode()
        request.add_header("Authorization", f"Basic {creds}")
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()
    except http.client.HTTPException as err:  # a half-started server's garbage
        raise OSError(f"{url}: {err!r}") from err


def http_status(url: str, accept: tuple[int, ...] = (200,), **kwargs) -> bool:
    return http_request(url, **kwargs)[0] in accept
