"""URL reversal with the answer remembered: ``path_for("incidents:detail", 7)`` is ``reverse`` with ``args=[7]``.

Reversing walks the URL resolver and took about 60 µs here, and a page reverses dozens of names (navigation,
links per row, forms per claim). For a name and a number of integer arguments the path is the same but for
the numbers, so it is reversed once with marker numbers in their places, split at the markers, and joined
with the real numbers after that. The answer is remembered per URL configuration, script prefix and current
application. Anything else (keyword arguments, a string or a negative number, a name that does not reverse
with numbers, a marker that does not come out once in order) goes through ``reverse`` as it is.
"""

from __future__ import annotations

import functools
from typing import Any

from django.conf import settings
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse

# Numbers no real id reaches here, each written once into a path to find where the arguments go.
_MARKERS = tuple(str(9_187_364_501_000 + n) for n in range(8))


@functools.lru_cache(maxsize=1024)
def _pieces(
    name: str, count: int, current_app: str | None, urlconf: Any, script_prefix: str, root_urlconf: str
) -> tuple[str, ...] | None:
    """The path of ``name`` cut where its ``count`` arguments go, or None if markers do not show where.
    ``script_prefix`` and ``root_urlconf`` are part of the key only: ``reverse`` reads them itself."""
    try:
        path = reverse(
            name, args=[int(m) for m in _MARKERS[:count]], current_app=current_app, urlconf=urlconf
        )
    except NoReverseMatch:
        return None
    pieces = []
    rest = path
    for marker in _MARKERS[:count]:
        before, found, rest = rest.partition(marker)
        if not found or marker in before or marker in rest:
            return None
        pieces.append(before)
    return (*pieces, rest)


def _plain_int(value: Any) -> bool:
    return type(value) is int and value >= 0


def path_for(name: str, *args: Any, current_app: str | None = None) -> str:
    """``reverse(name, args=args, current_app=current_app)``, remembered for integer arguments."""
    if len(args) <= len(_MARKERS) and all(_plain_int(arg) for arg in args):
        pieces = _pieces(
            name, len(args), current_app, get_urlconf(), get_script_prefix(), settings.ROOT_URLCONF
        )
        if pieces is not None:
            return pieces[0] + "".join(str(arg) + piece for arg, piece in zip(args, pieces[1:], strict=True))
    return reverse(name, args=list(args), current_app=current_app)
