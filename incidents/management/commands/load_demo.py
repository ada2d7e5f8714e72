"""``manage.py load_demo``: load the demo data set; with DEBUG on, also the demo accounts."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from incidents.demo import create_demo_accounts, load_demo


class Command(BaseCommand):
    help = (
        "Load the demo sources, places, reports, incidents and claims (idempotent). With DEBUG on, also "
        "create the demo accounts analyst / editor / admin with DEMO_PASSWORD."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        result = load_demo(stdout=self.stdout)
        self.stdout.write(result.summary())
        if settings.DEBUG:
            usernames = create_demo_accounts(settings.DEMO_PASSWORD)
            self.stdout.write(
                f"Demo accounts (DEBUG only): {' / '.join(usernames)}, password: {settings.DEMO_PASSWORD}"
            )
        else:
            # Accounts with a published password must never exist on a production server.
            self.stdout.write("Demo accounts not created: DEBUG is off.")
