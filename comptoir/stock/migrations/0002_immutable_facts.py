from django.db import migrations

from comptoir.lib.db import immutable_table


class Migration(migrations.Migration):
    dependencies = [("stock", "0001_initial")]

    operations = [immutable_table(t) for t in ("stock_stockmovement", "stock_inventorycount")]
