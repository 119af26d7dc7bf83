from django.db import migrations

from comptoir.lib.db import immutable_table


class Migration(migrations.Migration):
    dependencies = [("cash", "0001_cash_sessions")]

    operations = [
        immutable_table(t)
        for t in ("cash_cashsession", "cash_cashmovement", "cash_cashsessionclosing")
    ]
