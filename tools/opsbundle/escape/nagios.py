"""Nagios 4 object definitions, command lines and resource files.

- In an object definition a `;` starts a comment unless written `\\;`,
  nagios strips the spaces around a value, and a backslash at the end of a
  line joins the next line (nagios4 -vp showed it): such a value is refused.
- In a check_command, `!` separates the arguments; `\\!` is a literal `!`.
- On a command_line nagios replaces `$MACRO$`s, `$$` is a literal `$`, and
  the result runs through /bin/sh: free text goes in one single-quoted word.
- A resource file's `$USERn$=value` is read to the end of the line and
  substituted as it stands into command lines; ours place `$USERn$` inside
  single quotes, so its value is escaped for that (`'` becomes `'\\''`).
"""

from __future__ import annotations

from .base import EscapeError, plain, unpadded


def _semicolons(text: str) -> str:
    return text.replace(";", "\\;")


def _line_end(text: str) -> str:
    if text.endswith("\\"):
        raise EscapeError("nagios: a trailing backslash would join the next line")
    return text


def nagios_value(value) -> str:
    """A directive's value: `email {{ contact | nagios_value }}`."""
    text = _line_end(unpadded(plain(value, "nagios"), "nagios"))
    return _semicolons(text)


def nagios_arg(value) -> str:
    """One check_command argument: `check_command cmd!{{ x | nagios_arg }}`.
    The argument is then placed in the command line as it stands, so it must
    also be safe there: nagios_arg is for values the command line quotes."""
    text = _line_end(plain(value, "nagios"))
    return _semicolons(text.replace("\\", "\\\\").replace("!", "\\!").replace("$", "$$"))


def nagios_shell(value) -> str:
    """One single-quoted shell word on a command_line: `-u {{ x | nagios_shell }}`."""
    text = plain(value, "nagios")
    quoted = "'" + text.replace("'", "'\\''") + "'"
    return _semicolons(quoted.replace("$", "$$"))


def nagios_resource(value) -> str:
    """A `$USERn$=` value for command lines that place it in single quotes."""
    text = _line_end(unpadded(plain(value, "nagios"), "nagios"))
    return text.replace("'", "'\\''")


LANGUAGES = {
    "nagios": {
        "nagios_value": nagios_value,
        "nagios_arg": nagios_arg,
        "nagios_shell": nagios_shell,
        "nagios_resource": nagios_resource,
    }
}
