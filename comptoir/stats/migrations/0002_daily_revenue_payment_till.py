"""Revenue and payments per till too (the dashboard's till filter read them from facts):
the till column, empty until the next migration fills it."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0002_store_sync_clocks_till_sync_clocks"),
        ("stats", "0001_initial"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="dailyrevenue", name="dailyrevenue_unique"),
        migrations.RemoveConstraint(model_name="dailypayment", name="dailypayment_unique"),
        migrations.AddField(
            model_name="dailyrevenue",
            name="till",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="core.till",
            ),
        ),
        migrations.AddField(
            model_name="dailypayment",
            name="till",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="core.till",
            ),
        ),
    ]
