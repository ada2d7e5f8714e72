"""Template tags every template has (``TEMPLATES`` ``builtins``): Django's ``{% url %}``, with the reversal of
a plain URL name (no arguments) remembered.

Reversing a name walks the URL resolver and took about 60 µs here; a list page reverses sixteen (the
navigation, its forms and links), a tenth of its Python. A name without arguments reverses to the same path
for as long as the URL configuration, the script prefix and the current application are the same, so the
answer is kept per name and those three. Names with arguments, and errors, are Django's own path."""

from __future__ import annotations

import functools
from typing import Any

from django import template
from django.conf import settings
from django.template import defaulttags
from django.template.base import Parser, Token
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils.html import conditional_escape

register = template.Library()


@functools.lru_cache(maxsize=512)
def _reversed(name: str, current_app: str | None, urlconf: Any, script_prefix: str, root_urlconf: str) -> str:
    # script_prefix and root_urlconf are part of the key only: reverse reads them itself.
    return reverse(name, current_app=current_app, urlconf=urlconf)


def _current_app(context: template.Context) -> str | None:
    # As Django's tag finds it: the request's current_app if set, else the namespace the request resolved to.
    request = getattr(context, "request", None)
    if request is None:
        return None
    if hasattr(request, "current_app"):
        return request.current_app  # type: ignore[no-any-return]
    match = getattr(request, "resolver_match", None)
    return getattr(match, "namespace", None)


class RememberingURLNode(defaulttags.URLNode):
    def render(self, context: template.Context) -> str:
        if self.args or self.kwargs:
            return str(super().render(context))
        name = self.view_name.resolve(context)
        try:
            url = _reversed(
                name, _current_app(context), get_urlconf(), get_script_prefix(), settings.ROOT_URLCONF
            )
        except NoReverseMatch:
            if self.asvar is None:
                raise
            url = ""
        if self.asvar:
            context[self.asvar] = url
            return ""
        return str(conditional_escape(url)) if context.autoescape else url


@register.tag
def url(parser: Parser, token: Token) -> RememberingURLNode:
    """``{% url %}`` exactly as Django parses it."""
    node = defaulttags.url(parser, token)
    return RememberingURLNode(node.view_name, node.args, node.kwargs, node.asvar)
