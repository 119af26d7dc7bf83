"""Received change ids are remembered per node (a new key: the table is recreated; its rows
only spare re-applying a retried push, which is idempotent anyway)."""

import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("sync", "0001_initial")]

    operations = [
        migrations.DeleteModel(name="ReceivedChange"),
        migrations.CreateModel(
            name="ReceivedChange",
            fields=[
                ("id", models.BigAutoField(primary_key=True, serialize=False)),
                ("change_id", models.UUIDField()),
                ("node_id", models.CharField(max_length=36)),
                ("result", models.CharField(max_length=10)),
                ("received_at", models.DateTimeField(default=django.utils.timezone.now)),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("node_id", "change_id"), name="received_per_node"
                    )
                ]
            },
        ),
    ]
