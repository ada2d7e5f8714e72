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


# config.paths.path_for ----------------------------------------------------------------------------------


def test_path_for_gives_what_reverse_gives_for_numbers_of_any_length():
    from django.urls import reverse

    from config.paths import path_for

    for pk in (0, 7, 42, 2**31, 9_187_364_501_000):
        assert path_for("incidents:detail", pk) == reverse("incidents:detail", args=[pk])
        assert path_for("sources:detail", pk) == reverse("sources:detail", args=[pk])
    assert path_for("incidents:list") == reverse("incidents:list")


def test_path_for_leaves_anything_but_plain_numbers_to_reverse():
    from config.paths import path_for

    # A string of digits reverses as Django reverses it; text an int converter refuses does not reverse.
    assert path_for("incidents:detail", "12") == "/incidents/12/"
    with pytest.raises(NoReverseMatch):
        path_for("incidents:detail", "twelve")
    with pytest.raises(NoReverseMatch):
        path_for("incidents:detail", -1)
    with pytest.raises(NoReverseMatch):
        path_for("incidents:detail")  # an argument missing
    with pytest.raises(NoReverseMatch):
        path_for("incidents:list", 3)  # one too many


def test_path_for_follows_the_script_prefix():
    from config.paths import path_for

    assert path_for("incidents:detail", 5) == "/incidents/5/"
    set_script_prefix("/hasila/")
    try:
        assert path_for("incidents:detail", 5) == "/hasila/incidents/5/"
        assert render("{% url 'incidents:detail' 6 %}") == "/hasila/incidents/6/"
    finally:
        set_script_prefix("/")


@pytest.mark.django_db
def test_models_links_use_the_remembered_paths(hajin):
    incident = hajin["incident"]
    assert incident.get_absolute_url() == f"/incidents/{incident.pk}/"
    assert hajin["sohr"].get_absolute_url() == f"/sources/{hajin['sohr'].pk}/"
