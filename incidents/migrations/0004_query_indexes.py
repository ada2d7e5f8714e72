# Indexes the pages need on the benchmark data (EXPLAIN-checked): the "most sources" sort and its keyset
# cursor, and the list's place menu (upper levels in tree order). See docs/notes/web.md.

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('incidents', '0003_create_roles'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name='incident',
            index=models.Index(fields=['-source_count', '-date_start', '-id'], name='incident_sources_keyset'),
        ),
        migrations.AddIndex(
            model_name='place',
            index=models.Index(condition=models.Q(('level__lte', 2)), fields=['path'], name='place_menu'),
        ),
    ]
