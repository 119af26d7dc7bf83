"""The back office filters invoices by customer, newest first: index (customer, validated_at)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("sales", "0002_immutable_facts")]

    operations = [
        migrations.AddIndex(
            model_name="invoice",
            index=models.Index(fields=["customer", "validated_at"], name="invoice_customer_date_idx"),
        ),
    ]
