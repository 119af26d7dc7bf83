from django.db import migrations

from comptoir.lib.db import immutable_table


class Migration(migrations.Migration):
    dependencies = [("closings", "0001_closings")]

    operations = [immutable_table("closings_closing")]
