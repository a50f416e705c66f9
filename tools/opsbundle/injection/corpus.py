"""The hostile values: what a deployment tool might pass by accident or by
malice. Each is either refused by a parameter's format or, for free text,
must come out of the real engine as the same string, holding nothing it runs.

`MARK` is replaced by a path that must never exist afterwards: a value that
makes an engine (or a shell it starts) run something creates it.
"""

from __future__ import annotations

MARK = "@MARK@"

# (name, value): one line each unless the name says otherwise.
HOSTILE: tuple[tuple[str, str], ...] = (
    (
        "newline-directive",
        'x\nmodule(load="omprog")\naction(type="omprog" binary="/bin/touch @MARK@")',
    ),
    (
        "newline-object",
        "x\ndefine command {\n command_name pwn\n command_line /bin/touch @MARK@\n}",
    ),
    ("newline-ini", "x\n[client]\npassword=pwn"),
    ("carriage-return", "x\rpwn = 1"),
    ("single-quote", "it's"),
    ("single-quote-breakout", "x' ; /bin/touch @MARK@ ; echo '"),
    (
        "double-quote-breakout",
        'x") } module(load="omprog") action(type="omprog" binary="/bin/touch @MARK@") /*',
    ),
    ("backtick", "`/bin/touch @MARK@`"),
    ("command-substitution", "$(/bin/touch @MARK@)"),
    ("dollar-macro", "$USER1$ $HOSTADDRESS$ ${HOME} $$"),
    ("rpm-macro", "%(/bin/touch @MARK@)"),
    ("rpm-percent", "100% %{name} %%"),
    ("ruby-interpolation", '#{system("/bin/touch @MARK@")}'),
    ("logstash-env", "${PATH}"),
    ("semicolon", "a;b ; /bin/touch @MARK@"),
    ("pipe", "a | /bin/touch @MARK@"),
    ("braces", "} { ]] [[ }}"),
    ("hash-comment", "a #b"),
    ("backslash-end", "abc\\"),
    ("backslash-quote", "a\\\"b\\'c"),
    ("nagios-bang", "a!b!c"),
    ("jinja", "{{ 7*7 }}{% raw %}"),
    ("yaml-special", "yes: no # &a *a !!python/object"),
    ("leading-dash", "-rf"),
    ("spaces", "  padded  "),
    ("nul", "a\x00b"),
    ("u2028", "a\u2028b"),
    ("u2029", "a\u2029b"),
    ("escape-sequence", "\x1b]0;pwn\x07\x1b[2J"),
    ("bidi", "admin\u202e"),
    ("10kB", "A" * 10_240),
)


def values(mark: str) -> list[tuple[str, str]]:
    """The corpus with MARK pointing at `mark`."""
    return [(name, value.replace(MARK, mark)) for name, value in HOSTILE]


def one_line(mark: str) -> list[tuple[str, str]]:
    """What `text` admits: the corpus without control characters, separators
    and the over-long value (what escape filters must carry through)."""
    from ..formats import FORMATS, character_problem

    limit = FORMATS["text"].max_length
    return [(n, v) for n, v in values(mark) if not character_problem(v) and len(v) <= limit]
