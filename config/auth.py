"""Authentication backend: Django's ModelBackend, reading a user's permissions in one query."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser, Permission
from django.db.models import Q


class ModelBackendOneQuery(ModelBackend):
    """Every page checks permissions (navigation, actions); ModelBackend reads the user's own permissions and
    their groups' in two queries. This reads both at once, with the same result and the same per-request
    cache (``_perm_cache``), so a role change applies from the next request as before."""

    def get_all_permissions(self, user_obj: AbstractBaseUser | AnonymousUser, obj: Any = None) -> set[str]:
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            permissions = Permission.objects.all()
            if not getattr(user_obj, "is_superuser", False):
                # Two semi-joins, not joins: neither side multiplies the rows.
                permissions = permissions.filter(
                    Q(
                        pk__in=Permission.user_set.through.objects.filter(user_id=user_obj.pk).values(
                            "permission"
                        )
                    )
                    | Q(
                        pk__in=Permission.group_set.through.objects.filter(
                            group__user__id=user_obj.pk
                        ).values("permission")
                    )
                )
            rows = permissions.values_list("content_type__app_label", "codename").order_by()
            # ModelBackend's own cache attribute, which it reads too (has_perm, get_all_permissions).
            setattr(user_obj, "_perm_cache", {f"{app_label}.{codename}" for app_label, codename in rows})  # noqa: B010
        cached: set[str] = getattr(user_obj, "_perm_cache")  # noqa: B009
        return cached
