"""Templates and the error page: every answer the public pages give is HTML from here.

Autoescaping is on for every template (the pages show what people typed and what a link
claims), and error pages carry a reason but never a traceback.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse

from goodwill.consent.models import ConsentChannel
from goodwill.consent.models import Purpose as ConsentPurpose

HEADINGS: Final[dict[int, tuple[str, str]]] = {
    400: ("This link does not work", "Please use the link exactly as it appears in our message."),
    404: ("We could not find that", "The link may be incomplete, or what it points to is gone."),
    405: ("That did not work", "Please use the link or the form on the page."),
    410: ("This link has expired", "You can still reply to our message if you want to tell us."),
    413: ("That was too long", "Please shorten your text and try again."),
    422: ("Please check your answer", "Go back and try again."),
    503: ("We are briefly unavailable", "Please try again in a few minutes."),
}
_DEFAULT = ("Something went wrong on our side", "Please try again later.")

#: Pages carry a secret token in their URL: never leak it in a Referer, never cache, never
#: index; allow only our own stylesheet and forms that post back to us.
SECURITY_HEADERS: Final[dict[str, str]] = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Robots-Tag": "noindex, nofollow",
    "Cache-Control": "no-store",
}


_NOUNS: Final[dict[str, str]] = {
    ConsentChannel.EMAIL: "emails",
    ConsentChannel.SMS: "text messages",
    ConsentChannel.POSTAL: "letters",
    ConsentChannel.PHONE: "phone calls",
}
_KINDS: Final[dict[str, str]] = {
    ConsentPurpose.MARKETING: "marketing",
    ConsentPurpose.REVIEWS: "review and survey",
    ConsentPurpose.REFERRALS: "referral",
    ConsentPurpose.TRANSACTIONAL: "service",
    ConsentPurpose.PROFILING: "personalised",
}


def describe_stop(purpose: str, channel: str, brand: str) -> str:
    """What an unsubscribe stops, in the person's words: "marketing emails from Casa Verde"."""
    return f"{_KINDS.get(purpose, purpose)} {_NOUNS.get(channel, channel)} from {brand}"


class Pages:
    """Renders the package's templates with the brand every page shows."""

    def __init__(self, brand: str) -> None:
        self.brand = brand
        self.env = Environment(
            loader=PackageLoader("goodwill.web", "templates"),
            autoescape=select_autoescape(default=True, default_for_string=True),
            undefined=StrictUndefined,
            keep_trailing_newline=True,
        )

    def html(self, name: str, *, root_path: str = "", **context: Any) -> bytes:
        template = self.env.get_template(name)
        return template.render(brand=self.brand, root_path=root_path, **context).encode("utf-8")

    def page(
        self, request: Request, name: str, *, status: int = 200, **context: Any
    ) -> HTMLResponse:
        body = self.html(name, root_path=_root(request.scope), **context)
        return HTMLResponse(body, status_code=status, headers=SECURITY_HEADERS)

    def error_html(self, status: int, reason: str, root_path: str = "") -> bytes:
        heading, advice = HEADINGS.get(status, _DEFAULT)
        return self.html(
            "error.html",
            root_path=root_path,
            heading=heading,
            reason=reason.rstrip("."),
            advice=advice,
        )

    def error(self, request: Request, status: int, reason: str) -> HTMLResponse:
        return self.error_response(request.scope, status, reason)

    def error_response(self, scope: Mapping[str, Any], status: int, reason: str) -> HTMLResponse:
        """The error page as a response (also for middleware, which has a scope, no request)."""
        body = self.error_html(status, reason, _root(scope))
        return HTMLResponse(body, status_code=status, headers=SECURITY_HEADERS)


def _root(scope: Mapping[str, Any]) -> str:
    """Where the app is mounted (links in the pages start with it)."""
    return str(scope.get("root_path", "")).rstrip("/")
