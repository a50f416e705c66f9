"""The one Jinja2 environment that validation and rendering share.

Bundles come through review, but a template is still code run on an operator's
machine, so it runs in Jinja2's sandbox. StrictUndefined makes a misspelt
parameter fail instead of rendering an empty string into a config file.
"""

from __future__ import annotations

import functools
import types

from jinja2 import StrictUndefined, TemplateError, TemplateSyntaxError, meta, nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment

# Names every template may use without declaring them as parameters.
GLOBALS = frozenset({"interface"})


@functools.cache
def environment() -> ImmutableSandboxedEnvironment:
    return ImmutableSandboxedEnvironment(
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
    )


class TemplateProblem(Exception):
    def __init__(self, message: str, line: int = 1):
        super().__init__(message)
        self.message, self.line = message, line


class Compiled:
    """A parsed and compiled template, and the variables it reads."""

    def __init__(self, source: str, name: str):
        env = environment()
        try:
            tree = env.parse(source, name=name)
        except TemplateSyntaxError as exc:
            raise TemplateProblem(exc.message or str(exc), exc.lineno or 1) from None
        self.name = name
        self.variables = meta.find_undeclared_variables(tree) - GLOBALS
        self._tree = tree
        try:
            code = env.compile(tree, name=name, filename=name)
        except TemplateSyntaxError as exc:
            raise TemplateProblem(exc.message or str(exc), exc.lineno or 1) from None
        self.template = env.template_class.from_code(env, code, env.make_globals(None))

    def first_line(self, variable: str) -> int:
        for node in self._tree.find_all(nodes.Name):
            if node.name == variable and node.ctx == "load":
                return node.lineno
        return 1

    def render(self, values: dict) -> str:
        try:
            return self.template.render(values)
        except TemplateError as exc:
            raise TemplateProblem(_message(exc), _line(exc, self.name)) from None
        except Exception as exc:  # a template may divide by zero or index past a list
            raise TemplateProblem(f"{type(exc).__name__}: {exc}", _line(exc, self.name)) from None


def _message(exc: TemplateError) -> str:
    text = getattr(exc, "message", None) or str(exc)
    return f"{type(exc).__name__}: {text}"


def _line(exc: BaseException, name: str) -> int:
    """Jinja2 rewrites tracebacks so template frames carry the template's
    name and line; the innermost one is where it failed."""
    line = 1
    tb: types.TracebackType | None = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == name:
            line = tb.tb_lineno
        tb = tb.tb_next
    return getattr(exc, "lineno", None) or line


def render_string(text: str, values: dict, name: str = "<string>") -> str:
    return Compiled(text, name).render(values)
