"""Prepare a freshly initialised home: schema, store, this post's till, manager account."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command

from comptoir.home import HomeConfig
from comptoir.journal.postkey import post_key
from comptoir.journal.services import post_key_register
from comptoir.stores.services import store_get_or_create, till_create
from comptoir.web.roles import ROLES as ROLE_GROUPS


def home_setup(
    *, config: HomeConfig, admin_user: str, admin_password: str, create_till: bool = True
) -> None:
    """Migrate, create groups and the manager; the store and till too unless they come
    from the hub (an enrolled node receives them with everything else)."""
    if settings.STATIC_ROOT:
        Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)
    call_command("migrate", verbosity=0, interactive=False)
    call_command("createcachetable", verbosity=0)  # (a database cache only: a hub on PostgreSQL)
    for name in ROLE_GROUPS:
        Group.objects.get_or_create(name=name)
    if create_till:
        store = store_get_or_create(name=config.store_name, currency=config.currency)
        till = till_create(
            store=store, name=config.till_name, prefix=config.till_prefix, node_id=config.node_id
        )
        # The post's fiscal signing key, made now in its home; its public half on its till.
        post_key_register(till=till)
    else:
        post_key()  # an enrolling till: the enrollment request carries its public key
    user_model = get_user_model()
    if not user_model.objects.filter(username=admin_user).exists():
        user = user_model.objects.create_superuser(admin_user, "", admin_password)
        user.groups.add(Group.objects.get(name="manager"))
