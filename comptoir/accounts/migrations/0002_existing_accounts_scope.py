"""Existing accounts get an explicit scope: managers every store, cashiers the only store.

Before this migration every account saw every store. Superusers and managers keep
seeing every store (chain managers: narrow one with ``comptoir user store``); a cashier
gets the store when the post has exactly one, and otherwise no row, which lets them see
no store's documents until ``comptoir user store NAME --store ...`` says which (guessing
would show one store's customers to another's cashier). The rule is the same as
``comptoir.web.scope`` applies to an account without a row; writing it down here keeps
it stable when a second store arrives later.
"""

from django.db import migrations


def forwards(apps, schema_editor):
    User = apps.get_model("auth", "User")
    Store = apps.get_model("core", "Store")
    StaffScope = apps.get_model("accounts", "StaffScope")
    stores = list(Store.objects.filter(archived=False).values_list("pk", flat=True)[:2])
    only = stores[0] if len(stores) == 1 else None
    rows = []
    for user in User.objects.filter(store_scope__isnull=True).prefetch_related("groups"):
        groups = {g.name for g in user.groups.all()}
        if user.is_superuser or "manager" in groups:
            rows.append(StaffScope(user_id=user.pk, store_id=None))
        elif "cashier" in groups and only is not None:
            rows.append(StaffScope(user_id=user.pk, store_id=only))
    StaffScope.objects.bulk_create(rows)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_staff_scope"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("core", "0002_store_sync_clocks_till_sync_clocks"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
