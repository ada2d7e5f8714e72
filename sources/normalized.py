"""Derived search keys stored beside the text they come from."""

from __future__ import annotations

from typing import Any, ClassVar

from django.db import models

from sources.extraction.normalize import search_document


class NormalizedKeysModel(models.Model):
    """A model whose search keys are derived from its text fields on every save.

    ``search_keys`` maps a key field to the fields it is derived from. Deriving in ``save()`` (rather than
    only in services) keeps the key right on every path that saves one object, the admin included; bulk
    paths call ``fill_search_keys()`` themselves.
    """

    search_keys: ClassVar[dict[str, tuple[str, ...]]] = {}

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.fill_search_keys()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, *self.search_keys}
        super().save(*args, **kwargs)

    @staticmethod
    def normalizer(text: str | None) -> str:
        """How a key is derived from its fields' text; models may swap in another normaliser."""
        return search_document(text)

    def fill_search_keys(self) -> None:
        for key_field, source_fields in self.search_keys.items():
            parts: list[str] = []
            for name in source_fields:
                value: Any = getattr(self, name)
                if isinstance(value, list | tuple):
                    parts.extend(str(v) for v in value)
                elif value:
                    parts.append(str(value))
            setattr(self, key_field, self.normalizer(" ".join(parts)))
