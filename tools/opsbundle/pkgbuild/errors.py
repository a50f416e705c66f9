"""The one error a build raises, shared by the pipeline and its family drivers."""


class BuildError(Exception):
    """Nothing was written to OUT; the message says why (the tool's own words)."""
