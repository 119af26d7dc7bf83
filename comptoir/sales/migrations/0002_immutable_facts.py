from django.db import migrations

from comptoir.lib.db import immutable_table


class Migration(migrations.Migration):
    dependencies = [("sales", "0001_initial")]

    operations = [
        immutable_table(table)
        for table in (
            "sales_invoice", "sales_invoiceline", "sales_invoicetax", "sales_payment",
            "sales_creditnote", "sales_creditnoteline", "sales_creditnotetax",
        )
    ]
