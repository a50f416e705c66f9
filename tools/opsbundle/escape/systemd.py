"""systemd unit files (systemd.unit(5), systemd.service(5), systemd.exec(5)).

- Every unit setting expands `%` specifiers: `%%` is a `%`.
- Exec*= lines split words at spaces unless quoted ("..." with C escapes)
  and expand `$VAR`/`${VAR}`: `$$` is a `$`.
- Environment= takes quoted "KEY=value" words; `$` means nothing there.
"""

from __future__ import annotations

from .base import plain


def _c_quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def systemd_exec_arg(value) -> str:
    """One Exec*= argument: `ExecStart=/usr/bin/x --name {{ n | systemd_exec_arg }}`."""
    return _c_quoted(plain(value, "systemd").replace("%", "%%").replace("$", "$$"))


def systemd_env(value) -> str:
    """One Environment= word: `Environment={{ ('KEY=' ~ v) | systemd_env }}`."""
    return _c_quoted(plain(value, "systemd").replace("%", "%%"))


LANGUAGES = {"systemd": {"systemd_exec_arg": systemd_exec_arg, "systemd_env": systemd_env}}
