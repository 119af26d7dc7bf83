"""Every revenue and payment row belongs to a till, unique per (day, store, till[, method])."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("stats", "0003_daily_revenue_payment_till_filled")]

    operations = [
        migrations.AlterField(
            model_name="dailyrevenue",
            name="till",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE, related_name="+", to="core.till"
            ),
        ),
        migrations.AlterField(
            model_name="dailypayment",
            name="till",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE, related_name="+", to="core.till"
            ),
        ),
        migrations.AddConstraint(
            model_name="dailyrevenue",
            constraint=models.UniqueConstraint(
                fields=("day", "store", "till"), name="dailyrevenue_unique"
            ),
        ),
        migrations.AddConstraint(
            model_name="dailypayment",
            constraint=models.UniqueConstraint(
                fields=("day", "store", "till", "method"), name="dailypayment_unique"
            ),
        ),
    ]
