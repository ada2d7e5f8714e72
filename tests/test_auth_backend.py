"""The one-query permission backend answers exactly as Django's ModelBackend does."""

from __future__ import annotations

import pytest
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission, User
from django.urls import reverse

from config.auth import ModelBackendOneQuery, group_names

pytestmark = pytest.mark.django_db


def fresh(user: User) -> User:
    return User.objects.get(pk=user.pk)  # no per-request permission cache


def test_a_users_own_and_group_permissions_are_the_same_as_djangos(django_assert_num_queries):
    group = Group.objects.create(name="Reviewers")
    group.permissions.add(*Permission.objects.filter(codename__in=["view_flag", "change_flag"]))
    user = User.objects.create_user("reviewer")
    user.groups.add(group)
    # One permission both directly and through the group: counted once.
    user.user_permissions.add(*Permission.objects.filter(codename__in=["add_claim", "view_flag"]))

    expected = ModelBackend().get_all_permissions(fresh(user))
    assert expected == {"incidents.view_flag", "incidents.change_flag", "incidents.add_claim"}
    subject = fresh(user)
    with django_assert_num_queries(1):
        assert ModelBackendOneQuery().get_all_permissions(subject) == expected
        assert ModelBackendOneQuery().has_perm(subject, "incidents.change_flag")
    assert not ModelBackendOneQuery().has_perm(fresh(user), "incidents.delete_claim")


def test_superusers_have_every_permission_and_inactive_users_none():
    admin = User.objects.create_superuser("root", password="x")
    assert ModelBackendOneQuery().get_all_permissions(fresh(admin)) == ModelBackend().get_all_permissions(
        fresh(admin)
    )
    clerk = User.objects.create_user("clerk", is_active=False)
    clerk.user_permissions.add(Permission.objects.get(codename="add_claim"))
    assert ModelBackendOneQuery().get_all_permissions(fresh(clerk)) == set()


def test_the_roles_of_the_demo_accounts_keep_their_permissions(analyst_client, editor_client):
    for client in (analyst_client, editor_client):
        user = User.objects.get(pk=client.session["_auth_user_id"])
        assert ModelBackendOneQuery().get_all_permissions(fresh(user)) == ModelBackend().get_all_permissions(
            fresh(user)
        )


def test_a_requests_user_comes_with_their_permissions_and_roles_in_one_query(django_assert_num_queries):
    reviewers, analysts = Group.objects.create(name="Reviewers"), Group.objects.create(name="Analysts")
    reviewers.permissions.add(Permission.objects.get(codename="change_flag"))
    user = User.objects.create_user("both")
    user.groups.add(reviewers, analysts)
    user.user_permissions.add(Permission.objects.get(codename="add_claim"))
    expected = ModelBackend().get_all_permissions(fresh(user))
    with django_assert_num_queries(1):
        loaded = ModelBackendOneQuery().get_user(user.pk)
        assert loaded is not None
        assert ModelBackendOneQuery().get_all_permissions(loaded) == expected
        assert loaded.has_perm("incidents.change_flag") and not loaded.has_perm("incidents.delete_claim")
        assert group_names(loaded) == ["Analysts", "Reviewers"]


def test_no_user_is_loaded_for_an_inactive_account_or_a_bad_id():
    clerk = User.objects.create_user("clerk", is_active=False)
    assert ModelBackendOneQuery().get_user(clerk.pk) is None
    assert ModelBackendOneQuery().get_user(10**9) is None
    assert ModelBackendOneQuery().get_user("not-a-number") is None


def test_the_header_shows_the_users_roles_and_a_role_change_applies_on_the_next_request(client):
    user = User.objects.create_user("reviewer", password="pw")
    client.force_login(user)
    assert client.get(reverse("sources:list")).status_code == 403
    user.groups.add(Group.objects.get(name="Editor"), Group.objects.get(name="Analyst"))
    html = client.get(reverse("sources:list")).content.decode()
    assert "reviewer · Analyst · Editor" in html
    user.groups.clear()
    assert client.get(reverse("sources:list")).status_code == 403
