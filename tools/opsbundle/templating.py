"""The one Jinja2 environment that validation and rendering share.

Bundles come through review, but a template is still code run on an operator's
machine, so it runs in Jinja2's sandbox. StrictUndefined makes a misspelt
parameter fail instead of rendering an empty string into a config file.
"""

from __future__ import annotations

import functools
import types

from jinja2 import StrictUndefined, TemplateError, TemplateSyntaxError, nodes
from jinja2.compiler import CodeGenerator
from jinja2.sandbox import ImmutableSandboxedEnvironment

# Names every template may use without declaring them as parameters.
GLOBALS = frozenset({"interface"})


@functools.cache
def environment() -> ImmutableSandboxedEnvironment:
    from .escape import filters

    env = ImmutableSandboxedEnvironment(
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
    )
    env.filters.update(filters())
    return env


class _RecordingCodeGenerator(CodeGenerator):
    """Generates the template's code and, in the same pass, records the names
    it resolves from the context (what jinja2.meta finds with a second pass)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.undeclared: set[str] = set()

    def enter_frame(self, frame) -> None:
        super().enter_frame(frame)
        for action, param in frame.symbols.loads.values():
            if action == "resolve" and param not in self.environment.globals:
                self.undeclared.add(param)


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
        self._tree = tree
        generator = _RecordingCodeGenerator(env, name, name)
        try:
            generator.visit(tree)
        except TemplateSyntaxError as exc:  # e.g. assignment to a reserved name
            raise TemplateProblem(exc.message or str(exc), exc.lineno or 1) from None
        self.variables = generator.undeclared - GLOBALS
        code = compile(generator.stream.getvalue(), name, "exec")
        self.template = env.template_class.from_code(env, code, env.make_globals(None))

    @property
    def tree(self) -> nodes.Template:
        """The parsed template, for analyses such as freetext.leaks."""
        return self._tree

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
