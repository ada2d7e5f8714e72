"""``{% url %}`` remembers plain names' paths (config/template_builtins.py) without changing what it gives."""

from __future__ import annotations

import pytest
from django.template import Context, Template
from django.urls import NoReverseMatch, set_script_prefix


def render(text: str, **context: object) -> str:
    return Template(text).render(Context(context))


def test_every_template_has_the_remembering_tag():
    from config.template_builtins import RememberingURLNode

    assert isinstance(Template("{% url 'incidents:list' %}").nodelist[0], RememberingURLNode)


def test_a_plain_name_gives_its_path_again_and_again():
    assert render("{% url 'incidents:list' %}|{% url 'incidents:list' %}") == "/|/"
    assert render("{% url 'flags:queue' %}") == "/queue/"


def test_the_script_prefix_is_part_of_the_remembered_answer():
    assert render("{% url 'flags:queue' %}") == "/queue/"
    set_script_prefix("/hasila/")
    try:
        assert render("{% url 'flags:queue' %}") == "/hasila/queue/"
    finally:
        set_script_prefix("/")
    assert render("{% url 'flags:queue' %}") == "/queue/"


def test_names_with_arguments_a_variable_name_and_as_work_as_in_django():
    assert render("{% url 'incidents:detail' 7 %}") == "/incidents/7/"
    assert render("{% url 'incidents:detail' pk=8 %}") == "/incidents/8/"
    assert render("{% url name %}", name="flags:queue") == "/queue/"
    assert render("{% url 'flags:queue' as q %}[{{ q }}]") == "[/queue/]"


def test_an_unknown_name_raises_unless_kept_with_as():
    with pytest.raises(NoReverseMatch):
        render("{% url 'no:such' %}")
    assert render("{% url 'no:such' as q %}[{{ q }}]") == "[]"
