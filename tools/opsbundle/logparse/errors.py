"""The two ways a parse fails, in a module of their own so that the helpers
of the package (the journal) raise them without importing the package."""


class ParseError(Exception):
    """The bundle's rules cannot run; the message says where and why."""


class UsageError(ParseError):
    """What the user asked for cannot be done here (no such bundle, a file no
    input reads, an unreadable or non-UTF-8 file, bad values, the engine not
    installed): a usage or environment error, exit 2, not 1."""
