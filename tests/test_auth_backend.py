"""The one-query permission backend answers exactly as Django's ModelBackend does."""

from __future__ import annotations

import pytest
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission, User

from config.auth import ModelBackendOneQuery

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
