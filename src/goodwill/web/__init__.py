"""Public pages behind the links Goodwill puts in messages (unsubscribe, NPS, review).

Server-rendered HTML that works without JavaScript or anything fetched from elsewhere; the
recording itself lives in :mod:`goodwill.deliveries.feedback` so the CLI records the same way.
"""

from goodwill.web.app import create_app

__all__ = ["create_app"]
