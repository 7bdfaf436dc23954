"""Errors of the messaging context (templates, unsubscribe tokens), each with a stable code."""

from __future__ import annotations

from goodwill.errors import GoodwillError, InvalidInput, NotFound


class TemplateNotFound(NotFound):
    code = "messaging.template_not_found"


class TemplateInvalid(GoodwillError):
    """A shipped or custom template that does not parse (reported with its name, part and line)."""

    code = "messaging.template_invalid"
    http_status = 500

    def __init__(self, template: str, part: str, line: int | None, problem: str) -> None:
        where = f"{template}/{part}" + (f" line {line}" if line else "")
        super().__init__(f"template {where} is invalid: {problem}")
        self.template = template
        self.part = part
        self.line = line
        self.problem = problem


class TemplateVariableMissing(InvalidInput):
    """Rendering needed a value the context does not have (or has only as an empty string).

    Raised instead of sending "Hi {{ first_name }}" or "Hi ,": the caller either fills the value,
    uses a template with a ``default`` filter, or does not send.
    """

    code = "messaging.template_variable_missing"

    def __init__(self, template: str, part: str, variable: str, line: int | None = None) -> None:
        where = f" (line {line})" if line else ""
        super().__init__(
            f"template {template!r} part {part!r} needs {variable!r}{where}, "
            "which is missing or empty for this person"
        )
        self.template = template
        self.part = part
        self.variable = variable
        self.line = line


class InvalidUnsubscribeToken(InvalidInput):
    code = "messaging.unsubscribe_token_invalid"
    http_status = 400
