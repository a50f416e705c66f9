"""The one Jinja2 environment that validation and rendering share.

Bundles come through review, but a template is still code run on an operator's
machine, so it runs in Jinja2's sandbox. StrictUndefined makes a misspelt
parameter fail instead of rendering an empty string into a config file.

Compiling computes nothing of a template (no constant folding): all its work
is done when it renders, within MAX_OUTPUT, MAX_SECONDS and MAX_MEMORY.
Compiling itself has the same deadline.

A template is compiled once per run however often it is read (`compiled`):
its checks, its render for the engines, a build's every project and unit, and
every other bundle that holds the same text (a copied forward.conf.j2). So the
compiled code carries one name for every template (CODE_NAME), not the file's:
the callers name the file in their findings.
"""

from __future__ import annotations

import contextlib
import functools
import os
import resource
import signal
import threading
import types

from jinja2 import StrictUndefined, TemplateError, TemplateSyntaxError, nodes, pass_eval_context
from jinja2.compiler import CodeGenerator
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment

# Names every template may use without declaring them as parameters.
GLOBALS = frozenset({"interface"})
# A config file is small: a template that writes more, or computes longer,
# is broken or hostile (`{{ 'a' * 10**10 }}`), and fails instead of hanging.
MAX_OUTPUT = 8 * 1024 * 1024
MAX_SECONDS = 20
# what a render may allocate beyond what the process already holds: values
# that are each within the output bound still add up (`a ~ b ~ ...`, a list
# grown in a loop), and 300 of them took 4.6 GB before the output bound applied
MAX_MEMORY = 512 * 1024 * 1024
_MAX_EXPONENT = 256
_WIDTH_FILTERS = ("center", "indent", "wordwrap", "truncate")
# the file name of every template's compiled code, by which a render error's
# traceback frames are told from the library's (_line)
CODE_NAME = "<template>"


class BoundedSandbox(ImmutableSandboxedEnvironment):
    """Jinja2's sandbox, with `*` and `**` bounded: the product or power a
    template asks for is refused before Python allocates it."""

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context, operator, left, right):
        if operator == "*":
            for seq, n in ((left, right), (right, left)):
                if isinstance(seq, str | list | tuple) and isinstance(n, int):
                    if len(seq) * n > MAX_OUTPUT:
                        raise SecurityError(f"{len(seq)} x {n} items is over the output bound")
        if operator == "**" and isinstance(right, int) and abs(right) > _MAX_EXPONENT:
            if isinstance(left, int) and abs(left) > 1:
                raise SecurityError(f"exponent {right} is over {_MAX_EXPONENT}")
        return super().call_binop(context, operator, left, right)


def _bounded(fn):
    @functools.wraps(fn)  # keeps Jinja2's pass_environment mark (wordwrap, truncate)
    def wrapper(value, *args, **kwargs):
        for n in [*args, *kwargs.values()]:
            if isinstance(n, int) and not isinstance(n, bool) and n > MAX_OUTPUT:
                raise SecurityError(f"width {n} is over the output bound")
        return fn(value, *args, **kwargs)

    return wrapper


@pass_eval_context
def _computed_at_render(eval_ctx, value):
    """Changes no value. Jinja2 computes a constant expression written out
    (`{{ 'x' | center(8000000) }}`) while it compiles, unless its finalize
    takes a context, as this one does."""
    return value


@functools.cache
def environment() -> BoundedSandbox:
    from .escape import filters

    env = BoundedSandbox(
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
        # compiling computes nothing of the template, which renders under the
        # bounds; a 3 KB template of such constants took 17 s and 2.3 GB to
        # compile. Without the optimizer a compile also costs about a tenth less.
        finalize=_computed_at_render,
        optimized=False,
    )
    for name in _WIDTH_FILTERS:
        env.filters[name] = _bounded(env.filters[name])
    env.filters.update(filters())
    return env


class _Timeout(BaseException):
    """Not an Exception, which the template's code or Jinja2 could catch and
    go on (Jinja2 takes an Exception raised in a constant to mean "compute it
    at render time")."""


@contextlib.contextmanager
def _deadline(seconds: float):
    """SIGALRM after `seconds` in the main thread (elsewhere only the output
    bound holds: a signal cannot interrupt another thread)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def expired(signum, frame):
        raise _Timeout

    previous = signal.signal(signal.SIGALRM, expired)
    remaining = signal.setitimer(signal.ITIMER_REAL, seconds)[0]
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, remaining)
        signal.signal(signal.SIGALRM, previous)


@contextlib.contextmanager
def _memory_bound(extra: int):
    """Linux's data limit (RLIMIT_DATA, which malloc's and so Python's
    allocations count against) set to what the process holds plus `extra`,
    in the main thread only, as the deadline; a tighter limit is kept."""
    held = _data_bytes() if threading.current_thread() is threading.main_thread() else None
    soft, hard = resource.getrlimit(resource.RLIMIT_DATA)
    limit = None if held is None else held + extra
    if (
        limit is None
        or (soft != resource.RLIM_INFINITY and soft <= limit)
        or (hard != resource.RLIM_INFINITY and hard < limit)
    ):
        yield
        return
    resource.setrlimit(resource.RLIMIT_DATA, (limit, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_DATA, (soft, hard))


def _data_bytes() -> int | None:
    """The process's data size, from /proc/self/statm (which adds the stack
    to what RLIMIT_DATA counts). Bare os calls, as every render reads it:
    8 µs, against 38 µs through /proc/self/status."""
    try:
        fd = os.open("/proc/self/statm", os.O_RDONLY)
        try:
            return int(os.read(fd, 256).split()[5]) * resource.getpagesize()
        finally:
            os.close(fd)
    except (OSError, ValueError, IndexError):
        return None


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

    def __init__(self, source: str):
        env = environment()
        try:
            with _deadline(MAX_SECONDS):
                # a syntax error, or one the generator finds (assigning to a reserved name)
                tree = env.parse(source, name=CODE_NAME)
                generator = _RecordingCodeGenerator(
                    env, CODE_NAME, CODE_NAME, optimized=env.optimized
                )
                generator.visit(tree)
                code = compile(generator.stream.getvalue(), CODE_NAME, "exec")
        except TemplateSyntaxError as exc:
            raise TemplateProblem(exc.message or str(exc), exc.lineno or 1) from None
        except _Timeout:
            raise TemplateProblem(f"still compiling after {MAX_SECONDS} s", 1) from None
        self._tree = tree
        self.variables = generator.undeclared - GLOBALS
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
            with _deadline(MAX_SECONDS), _memory_bound(MAX_MEMORY):
                out, size = [], 0
                for chunk in self.template.generate(values):
                    size += len(chunk)
                    if size > MAX_OUTPUT:
                        raise TemplateProblem(f"output over {MAX_OUTPUT} characters", 1)
                    out.append(chunk)
                return "".join(out)
        except _Timeout:
            raise TemplateProblem(f"still rendering after {MAX_SECONDS} s", 1) from None
        except MemoryError:
            raise TemplateProblem(f"uses over {MAX_MEMORY >> 20} MiB to render", 1) from None
        except TemplateProblem:
            raise
        except TemplateError as exc:
            raise TemplateProblem(_message(exc), _line(exc)) from None
        except Exception as exc:  # a template may divide by zero or index past a list
            raise TemplateProblem(f"{type(exc).__name__}: {exc}", _line(exc)) from None


def _message(exc: TemplateError) -> str:
    text = getattr(exc, "message", None) or str(exc)
    return f"{type(exc).__name__}: {text}"


def _line(exc: BaseException) -> int:
    """Jinja2 rewrites tracebacks so template frames carry the template's
    name (CODE_NAME) and line; the innermost one is where it failed."""
    line = 1
    tb: types.TracebackType | None = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == CODE_NAME:
            line = tb.tb_lineno
        tb = tb.tb_next
    return getattr(exc, "lineno", None) or line


@functools.lru_cache(maxsize=256)
def compiled(source: str) -> Compiled:
    """The Compiled template of `source`, made once for any number of files
    that hold it: a Compiled is never changed after it is made, and its code
    depends on nothing but the text, so sharing it is safe.
    Bounded, so that 10,000 bundles' templates are not all kept."""
    return Compiled(source)


def render_string(text: str, values: dict) -> str:
    if "{" not in text:
        return text  # nothing Jinja2 would read as markup (a plain destination)
    return compiled(text).render(values)
