"""Template tags every template has (``TEMPLATES`` ``builtins``): Django's ``{% url %}``, its paths remembered.

A name with no arguments or integer arguments reverses through ``config.paths.path_for``, which remembers
each name's path (a list page reversed sixteen names, a tenth of its Python). Keyword arguments, other
arguments and errors take Django's own way."""

from __future__ import annotations

from django import template
from django.template import defaulttags
from django.template.base import Parser, Token
from django.urls import NoReverseMatch
from django.utils.html import conditional_escape

from config.paths import path_for

register = template.Library()


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
        if self.kwargs:
            return str(super().render(context))
        name = self.view_name.resolve(context)
        args = [arg.resolve(context) for arg in self.args]
        try:
            url = path_for(name, *args, current_app=_current_app(context))
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
