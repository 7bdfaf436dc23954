"""Message templates: sandboxed Jinja2, strict about missing values, validated at load.

A template set is a directory ``<name>/`` holding some of these parts::

    subject.txt  body.txt  [body.html]  (email, or a task's title and body; html is optional)
    sms.txt                             (SMS body)
    postal.txt                          (handwritten-style note)

The shipped sets live in ``goodwill/messaging/templates/``; a custom directory can be loaded
with :meth:`TemplateLibrary.from_directory`.  Files starting with ``_`` are partials usable with
``{% include "_footer.html" %}`` from any set.

Contract:

* Rendering runs in :class:`~jinja2.sandbox.ImmutableSandboxedEnvironment` (templates may be
  edited by staff), HTML parts are autoescaped, text parts are not.
* A missing value never reaches an inbox.  ``None`` and blank strings are removed from the
  context before rendering, so ``Hi {{ first_name }}`` raises :class:`TemplateVariableMissing`
  (naming template, part, variable and line) for a person without a first name, while
  ``{{ first_name | default("there") }}`` and ``{% if first_name %}`` handle absence explicitly.
* Loading compiles every part and reports syntax errors with template name, part and line; when
  a set of known variable names is given (the shipped library uses
  :data:`goodwill.messaging.context.KNOWN_VARIABLES`), a reference to any other name, usually a
  typo, is a load error too.
"""

from __future__ import annotations

import re
import traceback
from collections.abc import Callable, Iterable, Mapping, MutableMapping
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from jinja2 import BaseLoader, Environment, Template, TemplateNotFound, meta
from jinja2.exceptions import TemplateError, TemplateSyntaxError, UndefinedError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from goodwill.messaging.errors import TemplateInvalid, TemplateVariableMissing
from goodwill.messaging.errors import TemplateNotFound as GoodwillTemplateNotFound
from goodwill.messaging.template_values import MissingValue, clean_context, fill_placeholder
from goodwill.messaging.vocabulary import ChannelKind

#: part name -> file name inside a template set directory
PART_FILES: dict[str, str] = {
    "subject": "subject.txt",
    "text": "body.txt",
    "html": "body.html",
    "sms": "sms.txt",
    "postal": "postal.txt",
}
EMAIL_PARTS = ("subject", "text", "html")
_CHANNEL_PARTS: dict[ChannelKind, tuple[str, ...]] = {
    ChannelKind.EMAIL: EMAIL_PARTS,
    ChannelKind.SMS: ("sms",),
    ChannelKind.POSTAL: ("postal",),
    ChannelKind.TASK: ("subject", "text"),
    ChannelKind.WEBHOOK: ("subject", "text"),
}
_BLANK_RUNS = re.compile(r"\n{3,}")
_UNDEFINED = re.compile(r"^'(?P<var>[^']+)' is undefined$")


def parts_for_channel(channel: ChannelKind | str) -> tuple[str, ...]:
    """The parts a channel sends (a task uses subject as title and text as body)."""
    return _CHANNEL_PARTS[ChannelKind(channel)]


@dataclass(frozen=True, slots=True)
class RenderedMessage:
    """The rendered parts of one template set; a part is ``None`` if not rendered or absent."""

    template: str
    subject: str | None = None
    text: str | None = None
    html: str | None = None
    sms: str | None = None
    postal: str | None = None

    def part(self, name: str) -> str | None:
        value: str | None = getattr(self, name)
        return value


@dataclass(frozen=True, slots=True)
class TemplatePreview:
    """What a template would produce for one person, without raising: rendered parts, and for
    each part that cannot render, the variables it lacks."""

    template: str
    parts: Mapping[str, str] = field(default_factory=dict)
    missing: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.missing


class _SourceLoader(BaseLoader):
    def __init__(self, sources: Mapping[str, str]) -> None:
        self._sources = sources

    def get_source(
        self, environment: Environment, template: str
    ) -> tuple[str, str | None, Callable[[], bool] | None]:
        if template not in self._sources:
            raise TemplateNotFound(template)
        return self._sources[template], template, lambda: True


def _finish(part: str, value: str) -> str:
    if part == "subject":
        return " ".join(value.split())
    if part == "html":
        return value.strip() + "\n"
    text = "\n".join([line.rstrip() for line in value.strip().splitlines()])
    if "\n\n\n" in text:
        text = _BLANK_RUNS.sub("\n\n", text)
    return text if part == "sms" else text + "\n"


def _autoescape(filename: str | None) -> bool:
    return bool(filename and filename.endswith(".html"))


class _Environment(ImmutableSandboxedEnvironment):
    """The sandbox, with each template's globals as one flat dictionary.

    Jinja layers a template's globals over the environment's in a ``ChainMap`` so that later
    changes to the environment's globals show through; a library never changes them after it
    is built, and copying a ``ChainMap`` into every render's context (four per email: three
    parts and an include) cost more than the rest of context creation."""

    def make_globals(self, d: MutableMapping[str, Any] | None) -> MutableMapping[str, Any]:
        return {**self.globals, **(d or {})}


def _line_of(exc: BaseException, filename: str) -> int | None:
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == filename]
    return frames[-1].lineno if frames else None


class TemplateLibrary:
    """A validated set of templates.  Build once (it compiles everything) and reuse."""

    def __init__(
        self,
        sets: Mapping[str, Mapping[str, str]],
        *,
        partials: Mapping[str, str] | None = None,
        known_variables: Iterable[str] | None = None,
    ) -> None:
        """``sets`` maps template name -> part -> Jinja source; ``partials`` maps file name ->
        source.  Raises :class:`TemplateInvalid` on the first problem found."""
        sources = {f"_partials/{k}": v for k, v in (partials or {}).items()}
        for name, parts in sets.items():
            for part, source in parts.items():
                if part not in PART_FILES:
                    raise TemplateInvalid(name, part, None, f"unknown part; use {list(PART_FILES)}")
                sources[f"{name}/{PART_FILES[part]}"] = source
        self._sources = _PartialAlias(sources)
        self._env = _Environment(
            loader=_SourceLoader(self._sources),
            autoescape=_autoescape,
            undefined=MissingValue,
            trim_blocks=True,
            lstrip_blocks=True,
            # A library's sources never change once built: every template (parts, partials and
            # the layouts they extend or include) stays compiled, and a lookup at render time
            # (``{% extends %}``, ``{% include %}``) is a dictionary read, not an LRU update
            # and an up-to-date check.
            cache_size=-1,
            auto_reload=False,
        )
        known = frozenset(known_variables) if known_variables is not None else None
        self._templates: dict[str, dict[str, Template]] = {}
        self._variables: dict[str, dict[str, frozenset[str]]] = {}
        for filename, source in (partials or {}).items():
            self._check(f"_partials/{filename}", "partial", source, known)
        for name in sorted(sets):
            self._load_set(name, sets[name], known)

    def _load_set(self, name: str, parts: Mapping[str, str], known: frozenset[str] | None) -> None:
        if not parts:
            raise TemplateInvalid(name, "*", None, f"no parts; add some of {list(PART_FILES)}")
        if ("subject" in parts) != ("text" in parts) or ("html" in parts and "text" not in parts):
            absent = ", ".join(PART_FILES[p] for p in ("subject", "text") if p not in parts)
            raise TemplateInvalid(
                name, "email", None, f"subject and text go together; add {absent}"
            )
        self._templates[name] = {}
        self._variables[name] = {}
        for part, source in parts.items():
            compiled, variables = self._check(name, part, source, known)
            self._templates[name][part] = compiled
            self._variables[name][part] = variables

    def _check(
        self, name: str, part: str, source: str, known: frozenset[str] | None
    ) -> tuple[Template, frozenset[str]]:
        filename = f"{name}/{PART_FILES[part]}" if part in PART_FILES else name
        try:
            ast = self._env.parse(source, name=filename)
            compiled = self._env.get_template(filename)
        except TemplateSyntaxError as exc:
            raise TemplateInvalid(name, part, exc.lineno, exc.message or str(exc)) from None
        except TemplateNotFound as exc:
            raise TemplateInvalid(name, part, None, f"includes unknown {exc.name!r}") from None
        for ref in meta.find_referenced_templates(ast):
            if ref is None or ref not in self._sources:
                raise TemplateInvalid(name, part, None, f"includes unknown {ref!r}")
        variables = frozenset(meta.find_undeclared_variables(ast))
        if known is not None and (unknown := sorted(variables - known)):
            raise TemplateInvalid(
                name, part, None, f"unknown variable(s) {', '.join(unknown)} (typo?)"
            )
        return compiled, variables

    @classmethod
    def from_directory(
        cls, root: Path | Traversable, *, known_variables: Iterable[str] | None = None
    ) -> TemplateLibrary:
        """Load every ``<name>/`` set below ``root`` (and ``root/_partials/*``).  Unknown files
        in a set are an error, so ``subjet.txt`` does not silently go missing."""
        by_file = {v: k for k, v in PART_FILES.items()}
        sets: dict[str, dict[str, str]] = {}
        partials: dict[str, str] = {}
        for entry in sorted(root.iterdir(), key=lambda e: e.name):
            if not entry.is_dir() or entry.name.startswith("."):
                continue
            if entry.name == "_partials":
                for f in entry.iterdir():
                    if f.is_file():
                        partials[f.name] = f.read_text(encoding="utf-8")
                continue
            parts: dict[str, str] = {}
            for f in sorted(entry.iterdir(), key=lambda e: e.name):
                if f.name.startswith(".") or f.name == "README.md" or not f.is_file():
                    continue
                if f.name not in by_file:
                    raise TemplateInvalid(
                        entry.name, f.name, None, f"unknown file; expected {sorted(by_file)}"
                    )
                parts[by_file[f.name]] = f.read_text(encoding="utf-8")
            sets[entry.name] = parts
        return cls(sets, partials=partials, known_variables=known_variables)

    def names(self) -> list[str]:
        return sorted(self._templates)

    def parts(self, name: str) -> tuple[str, ...]:
        return tuple(p for p in PART_FILES if p in self._set(name))

    def variables(self, name: str, part: str | None = None) -> frozenset[str]:
        """Top-level variable names the template (or one part) refers to, optional ones included."""
        self._set(name)
        per_part = self._variables[name]
        if part is not None:
            return per_part.get(part, frozenset())
        return frozenset().union(*per_part.values())

    def _set(self, name: str) -> dict[str, Template]:
        try:
            return self._templates[name]
        except KeyError:
            raise GoodwillTemplateNotFound(
                f"no template named {name!r}; known: {', '.join(self.names())}"
            ) from None

    def _render_part(self, name: str, part: str, context: Mapping[str, Any]) -> str:
        template = self._set(name)[part]
        try:
            return _finish(part, template.render(context))
        except UndefinedError as exc:
            match = _UNDEFINED.match(str(exc))
            variable = match.group("var") if match else str(exc)
            line = _line_of(exc, f"{name}/{PART_FILES[part]}")
            raise TemplateVariableMissing(name, part, variable, line) from None
        except TemplateError as exc:  # e.g. SecurityError: the sandbox refused an operation
            line = _line_of(exc, f"{name}/{PART_FILES[part]}")
            raise TemplateInvalid(name, part, line, str(exc)) from None

    def render(
        self, name: str, context: Mapping[str, Any], *, parts: Iterable[str] | None = None
    ) -> RenderedMessage:
        """Render ``parts`` (default: every part the set has; parts it lacks are ``None``).

        Raises :class:`TemplateVariableMissing` for the first missing or blank value."""
        available = self._set(name)
        wanted = list(PART_FILES) if parts is None else list(parts)
        cleaned = clean_context(context)
        out: dict[str, str] = {}
        for part in wanted:
            if part not in PART_FILES:
                raise ValueError(f"unknown template part {part!r}")
            if part in available:
                out[part] = self._render_part(name, part, cleaned)
        return RenderedMessage(template=name, **out)

    def preview(self, name: str, context: Mapping[str, Any]) -> TemplatePreview:
        """Render every part for a real person, collecting what is missing instead of raising.

        ``missing`` lists all absent variables a part refers to unguarded, found by rendering
        repeatedly with placeholders, so staff see the whole list at once."""
        cleaned = clean_context(context)
        rendered: dict[str, str] = {}
        missing_by_part: dict[str, tuple[str, ...]] = {}
        for part in self.parts(name):
            probe = dict(cleaned)
            lacking: list[str] = []
            for _ in range(64):
                try:
                    text = self._render_part(name, part, probe)
                except TemplateVariableMissing as exc:
                    lacking.append(exc.variable)
                    if not fill_placeholder(probe, exc.variable):
                        break
                    continue
                if not lacking:
                    rendered[part] = text
                break
            if lacking:
                missing_by_part[part] = tuple(dict.fromkeys(lacking))
        return TemplatePreview(template=name, parts=rendered, missing=missing_by_part)


class _PartialAlias(dict[str, str]):
    """Lets sets write ``{% include "_footer.html" %}`` for ``_partials/_footer.html``."""

    def __contains__(self, key: object) -> bool:
        return super().__contains__(key) or super().__contains__(f"_partials/{key}")

    def __getitem__(self, key: str) -> str:
        if super().__contains__(key):
            return super().__getitem__(key)
        return super().__getitem__(f"_partials/{key}")


SHIPPED_DIR = "templates"


@lru_cache(maxsize=1)
def shipped_library() -> TemplateLibrary:
    """The templates shipped in the package, validated against the known context variables."""
    from goodwill.messaging.context import KNOWN_VARIABLES

    root = resources.files("goodwill.messaging").joinpath(SHIPPED_DIR)
    return TemplateLibrary.from_directory(root, known_variables=KNOWN_VARIABLES)


def render(
    name: str, context: Mapping[str, Any], *, parts: Iterable[str] | None = None
) -> RenderedMessage:
    """Render a shipped template set (see :meth:`TemplateLibrary.render`)."""
    return shipped_library().render(name, context, parts=parts)


def preview(name: str, context: Mapping[str, Any]) -> TemplatePreview:
    """Preview a shipped template set against a real person (see :meth:`TemplateLibrary.preview`)."""
    return shipped_library().preview(name, context)
