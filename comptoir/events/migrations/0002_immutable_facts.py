from django.db import migrations

from comptoir.lib.db import immutable_table


class Migration(migrations.Migration):
    dependencies = [("events", "0001_technical_events")]

    operations = [immutable_table("events_technicalevent")]
