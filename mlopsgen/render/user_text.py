"""A pack's template cannot splice a value from the spec into its output by accident (issue 13).

Inside the sandbox that renders with template packs, every string the templates read from the
render context (the spec, and what mlopsgen derived from it) is a `UserText`. Whatever a
template computes from one stays a `UserText`: Jinja's `~`, `+` and `%`, a string method, a
generic filter (`upper`, `join`, `replace`, `format`...), a loop over a list of them. Only the
quoting filters (`yaml`, `shell`, `json`, `py`, `comment`, `md`, `mermaid`) turn one into
plain text, quoted for its target.

Every `{{ ... }}` written by a pack's (or the repository's) own template goes through
`guarded()`, compiled in by `PackCodeGenerator`: printing a `UserText` there is refused, every
such print of the render at once, with the template's file and lines. The built-in
templates, which pack templates extend, quote every user string themselves (golden tests,
the vendors' schemas and the oracles check them) and print derived values such as
conditions and timeouts as they are; their output is not guarded.

A string literal in a pack's template is the pack's own text and prints as it is. What still
gets through needs intent (e.g. `spec.name.encode()`, or numbers made from its characters):
render also checks that a pack's pipeline is still YAML with a list of stages
(`render/pipeline.py`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import jinja2
import jinja2.compiler
import jinja2.nodes
import jinja2.runtime
import jinja2.sandbox

from mlopsgen.errors import MlopsgenError

# The filters that quote for a target: their result is text the target reads as one value.
QUOTING_FILTERS = frozenset({"yaml", "json", "py", "comment", "mermaid", "md", "shell"})
_HINT = (
    "quote it for where it goes: | shell in a script, | yaml for a YAML value, "
    "| py in a notebook, | json in JSON (README, 'For the platform team')"
)


class UserText(str):
    """A string from the spec, or computed from one, inside a pack's render."""

    __slots__ = ()

    def __getitem__(self, key: Any) -> UserText:  # Jinja compiles x[1:3] to a plain slice
        return UserText(super().__getitem__(key))

    def __iter__(self) -> Iterator[str]:  # a loop over it, or `| list`, character by character
        return (UserText(character) for character in str.__iter__(self))


def taint(value: Any) -> Any:
    """`value` with every string in it (through lists, tuples, sets and mappings) a UserText.
    Other objects (the model's records) are left as they are: their fields are tainted
    when a template reads them."""
    if isinstance(value, UserText):
        return value
    if isinstance(value, str):
        return UserText(value)
    if isinstance(value, Mapping):
        return {taint(k): taint(v) for k, v in value.items()}
    if type(value) in (list, tuple):  # not named tuples: their fields are read by name
        return tuple(taint(item) for item in value)
    if isinstance(value, (set, frozenset)):
        return frozenset(taint(item) for item in value)
    return value


def carries(value: Any) -> bool:
    """True when `value` is, or holds, a UserText."""
    if isinstance(value, UserText):
        return True
    if isinstance(value, Mapping):
        return any(carries(k) or carries(v) for k, v in value.items())
    if isinstance(value, (list, tuple, set, frozenset)) and not isinstance(value, str):
        return any(carries(item) for item in value)
    return False


def plain(value: Any) -> Any:
    """A quoting filter's result as plain text: `str.__str__` copies a subclass to a str."""
    return str.__str__(value) if isinstance(value, str) else value


def _quoting(function: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(function)  # keeps Jinja's pass_context/pass_environment marks
    def quoted(*args: Any, **kwargs: Any) -> Any:
        return plain(function(*args, **kwargs))

    return quoted


def _propagating(function: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(function)
    def propagated(*args: Any, **kwargs: Any) -> Any:
        # `map` and `select` hand the next filter a generator: look inside it (as a tuple,
        # which every filter takes as it would the generator) before it is consumed
        args = tuple(tuple(a) if isinstance(a, Iterator) else a for a in args)
        result = function(*args, **kwargs)
        if carries(args) or carries(kwargs):
            return taint(result)
        return result

    return propagated


def _from_jinja(obj: Any) -> bool:
    """Macros, blocks, `super()`, `loop.cycle`: their results are rendered template text,
    whose own prints were guarded where they were written."""
    owner = getattr(obj, "__self__", obj)
    return type(owner).__module__.startswith("jinja2.")


class PackCodeGenerator(jinja2.compiler.CodeGenerator):
    """Jinja's code generator, with `~` keeping UserText and, in templates that are not
    built-in, every printed expression passed through `environment.guarded()`."""

    def _is_pack_template(self) -> bool:
        builtin_root = getattr(self.environment, "builtin_root", None)
        filename = self.filename or ""
        return builtin_root is None or not filename.startswith(builtin_root)

    def visit_Concat(self, node: jinja2.nodes.Concat, frame: jinja2.compiler.Frame) -> None:
        self.write("environment.concat_text((")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write("))")

    def _output_child_pre(
        self,
        node: jinja2.nodes.Expr,
        frame: jinja2.compiler.Frame,
        finalize: Any,
    ) -> None:
        super()._output_child_pre(node, frame, finalize)
        if self._is_pack_template():
            self.write("environment.guarded(")
            self.write(f"{self.filename or self.name!r}, {node.lineno}, ")

    def _output_child_post(
        self,
        node: jinja2.nodes.Expr,
        frame: jinja2.compiler.Frame,
        finalize: Any,
    ) -> None:
        if self._is_pack_template():
            self.write(")")
        super()._output_child_post(node, frame, finalize)


class PackSandbox(jinja2.sandbox.ImmutableSandboxedEnvironment):
    """Jinja's immutable sandbox, tracking UserText (module docstring)."""

    code_generator_class = PackCodeGenerator
    intercepted_binops = frozenset({"+", "%", "*"})

    def __init__(self, builtin_root: str, **options: Any) -> None:
        super().__init__(**options)
        self.builtin_root = builtin_root
        # (template file, line) of each unquoted print of the render under way: one render
        # at a time (mlopsgen renders a spec's files one after the other)
        self.unquoted: set[tuple[str, int]] = set()

    def render_checked(self, template: jinja2.Template, context: dict[str, Any]) -> str:
        """Render with the context's strings tainted; every unquoted print of a pack's
        template is reported at once, the first one located, the others by line."""
        self.unquoted.clear()
        text = template.render(taint(context))
        if self.unquoted:
            found = sorted(self.unquoted)
            (first, line), rest = found[0], found[1:]
            others = ", ".join(f"{n}" if f == first else f"{f}:{n}" for f, n in rest)
            also = f" (also at line {others})" if len(rest) == 1 else f" (also at lines {others})"
            raise MlopsgenError(
                f"{first}:{line}: prints a value from the spec without a quoting filter"
                f"{also if rest else ''}: {_HINT}"
            )
        return text

    def quote_filters(self) -> None:
        """Wrap the filters once they are configured: quoting ones make plain text, all
        others keep the taint of what they were given."""
        self.filters = {
            name: (_quoting if name in QUOTING_FILTERS else _propagating)(function)
            for name, function in self.filters.items()
        }

    def getattr(self, obj: Any, attribute: str) -> Any:
        return _read(super().getattr(obj, attribute))

    def getitem(self, obj: Any, argument: Any) -> Any:
        return _read(super().getitem(obj, argument))

    def call(
        __self,  # Jinja's own signature: a call may pass `self` as a keyword argument
        __context: jinja2.runtime.Context,
        __obj: Any,
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        result = super().call(__context, __obj, *args, **kwargs)
        if _from_jinja(__obj):
            return result
        if carries(getattr(__obj, "__self__", None)) or carries(args) or carries(kwargs):
            return taint(result)
        return result

    def call_binop(
        self, context: jinja2.runtime.Context, operator: str, left: Any, right: Any
    ) -> Any:
        result = super().call_binop(context, operator, left, right)
        return taint(result) if carries(left) or carries(right) else result

    @staticmethod
    def concat_text(parts: tuple[Any, ...]) -> str:
        text = "".join(map(str, parts))
        return UserText(text) if any(carries(part) for part in parts) else text

    def guarded(self, template: str, line: int, value: Any) -> Any:
        """The value a pack's `{{ ... }}` prints; an unquoted one is noted, not printed."""
        if carries(value):
            self.unquoted.add((template, line))
            return ""
        return value


def _read(value: Any) -> Any:
    """What a template reads from the context: strings and containers of them tainted."""
    if isinstance(value, (str, list, tuple, Mapping, set, frozenset)):
        return taint(value)
    return value
