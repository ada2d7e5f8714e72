"""Authentication backend: Django's ModelBackend, reading a request's user, their permissions and their
groups' names in one query."""

from __future__ import annotations

import functools
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser, Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, connection
from django.db.models import Q, QuerySet

from config.prepared import prepared_cursor


def _permissions_of(user: Any) -> QuerySet[Permission]:
    """The permissions a user has, directly or through a group: two semi-joins, so neither side multiplies
    the rows."""
    return Permission.objects.filter(
        Q(pk__in=Permission.user_set.through.objects.filter(user_id=user).values("permission"))
        | Q(pk__in=Permission.group_set.through.objects.filter(group__user__id=user).values("permission"))
    ).order_by()


@functools.cache
def _user_columns(user_model: Any) -> list[str]:
    return [field.attname for field in user_model._meta.concrete_fields]


@functools.cache
def _user_sql(user_model: Any) -> str:
    """A user by id (their model's columns, named: a prepared statement must not change shape under a
    migration), with ``perm_names`` (``app_label.codename`` of their own and their groups' permissions) and
    ``group_names`` (sorted)."""
    user = user_model._meta.db_table
    columns = ", ".join(
        f"u.{connection.ops.quote_name(field.column)}" for field in user_model._meta.concrete_fields
    )
    user_perms = user_model.user_permissions.through._meta.db_table
    user_groups = user_model.groups.through._meta.db_table
    group_perms = Group.permissions.through._meta.db_table
    group, permission = Group._meta.db_table, Permission._meta.db_table
    content_type = ContentType._meta.db_table
    return f"""
        SELECT {columns},
               ARRAY(SELECT ct.app_label || '.' || p.codename
                     FROM {permission} p JOIN {content_type} ct ON ct.id = p.content_type_id
                     WHERE p.id IN (SELECT permission_id FROM {user_perms} WHERE user_id = u.id)
                        OR p.id IN (SELECT gp.permission_id FROM {group_perms} gp
                                    JOIN {user_groups} ug ON ug.group_id = gp.group_id WHERE ug.user_id = u.id)
               ) AS perm_names,
               ARRAY(SELECT g.name FROM {group} g JOIN {user_groups} ug ON ug.group_id = g.id
                     WHERE ug.user_id = u.id ORDER BY g.name) AS group_names
        FROM {user} u WHERE u.id = %s"""  # noqa: S608  # table names from the models; the id is a parameter


class ModelBackendOneQuery(ModelBackend):
    """Every page checks permissions (navigation, actions) and shows the user's roles. Django reads the
    user, their own permissions, their groups' permissions and their groups in four queries; this backend
    reads the request's user with their permissions and group names in one, with the same answers and the
    same per-request cache (``_perm_cache``), so a role change applies from the next request as before."""

    def get_user(self, user_id: Any) -> Any:
        user_model = get_user_model()
        try:
            pk = user_model._meta.pk.to_python(user_id)
        except ValidationError:
            return None
        # Raw SQL: the same query built through the ORM (two array sub-queries) cost more to compile than to
        # run, on every request; prepared, as PostgreSQL took longer to plan it than to run it (config.prepared).
        with prepared_cursor() as cursor:
            cursor.execute(_user_sql(user_model), [pk])
            row = cursor.fetchone()
        if row is None:
            return None
        *values, perm_names, names = row
        user = user_model.from_db(DEFAULT_DB_ALIAS, _user_columns(user_model), values)
        user.__dict__.update(perm_names=perm_names, group_names=names)
        if not self.user_can_authenticate(user):
            return None
        if not getattr(user, "is_superuser", False):
            setattr(user, "_perm_cache", set(user.perm_names))  # type: ignore[attr-defined]  # noqa: B010  # ModelBackend's own attribute
        return user

    def get_all_permissions(self, user_obj: AbstractBaseUser | AnonymousUser, obj: Any = None) -> set[str]:
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            permissions = Permission.objects.all()
            if not getattr(user_obj, "is_superuser", False):
                permissions = _permissions_of(user_obj.pk)
            rows = permissions.values_list("content_type__app_label", "codename").order_by()
            setattr(user_obj, "_perm_cache", {f"{app_label}.{codename}" for app_label, codename in rows})  # noqa: B010
        cached: set[str] = getattr(user_obj, "_perm_cache")  # noqa: B009
        return cached


def group_names(user: Any) -> list[str]:
    """The names of a user's groups (their roles), as read with the user when the backend loaded them."""
    names = getattr(user, "group_names", None)
    if names is None:
        names = list(user.groups.order_by("name").values_list("name", flat=True)) if user.pk else []
    return list(names)
