"""Error pages that depend on what went wrong (``handler500`` in config.urls)."""

from __future__ import annotations

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.template import loader
from django.views import defaults
from django.views.decorators.csrf import requires_csrf_token

# How long a client is told to wait before retrying: about what a PostgreSQL restart takes.
RETRY_AFTER_SECONDS = 10

# SQLSTATEs of a lost connection (class 08) and of a server shutting down, crashed or still starting. A
# refused connection carries no SQLSTATE at all. Other operational errors (deadlocks, timeouts) are bugs
# or load problems, and stay 500s.
_UNAVAILABLE_SQLSTATES = frozenset({"57P01", "57P02", "57P03"})


def database_unavailable(exc: BaseException | None) -> bool:
    """Whether ``exc`` says the database cannot be reached, as opposed to having refused one query."""
    if not isinstance(exc, OperationalError | InterfaceError):
        return False
    sqlstate = getattr(exc.__cause__, "sqlstate", None)
    return sqlstate is None or sqlstate.startswith("08") or sqlstate in _UNAVAILABLE_SQLSTATES


@requires_csrf_token
def server_error(request: HttpRequest) -> HttpResponse:
    """An uncaught exception: 503 "database unavailable" (with ``Retry-After``) when the database cannot be
    reached, so that people and proxies know to try again; Django's 500 page otherwise.

    A handler rather than a middleware's ``process_exception``, which sees only the view's exceptions: the
    first query of a request often runs in a middleware (the session's user, looked up by the history
    middleware on writes). Django calls it while handling the exception, so ``sys.exc_info()`` holds it.
    """
    if database_unavailable(sys.exc_info()[1]):
        # No request context: its processors would query the database again.
        response = HttpResponse(loader.render_to_string("503.html"), status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    return defaults.server_error(request)
