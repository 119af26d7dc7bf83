"""Node credentials: one-time enrollment codes and bearer tokens (hub stores hashes only)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from comptoir.core.errors import NotFoundError, ValidationError
from comptoir.core.models import Store, Till
from comptoir.core.selectors import store_get
from comptoir.core.services import till_create
from comptoir.core.validators import clean_text
from comptoir.sync.models import EnrollmentCode, NodeCredential

CODE_VALIDITY = timedelta(hours=24)


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _next_prefix() -> str:
    used = set(Till.objects.values_list("prefix", flat=True))
    used |= set(EnrollmentCode.objects.filter(used_at=None).values_list("prefix", flat=True))
    n = 1
    while f"C{n}" in used:
        n += 1
    return f"C{n}"


@transaction.atomic(durable=True)
def enrollment_create(*, name: str, store: str | None = None, prefix: str | None = None) -> str:
    """A one-time code (valid 24 h) for a new till called ``name``. Returns the code."""
    target: Store = store_get(name=store)
    name = clean_text(name.strip(), label=_("Le nom de la caisse"))
    if not name:
        raise ValidationError(_("Donnez un nom à la caisse (--name)."))
    if Till.objects.filter(store=target, name=name).exists():
        raise ValidationError(
            _("Une caisse « %(name)s » existe déjà dans ce magasin.") % {"name": name}
        )
    prefix = (prefix or _next_prefix()).upper()
    if Till.objects.filter(prefix=prefix).exists():
        raise ValidationError(_("Le préfixe « %(p)s » est déjà pris.") % {"p": prefix})
    code = "-".join(secrets.token_hex(2).upper() for _ in range(4))
    EnrollmentCode.objects.create(
        code_hash=_hash(code),
        name=name,
        store=target,
        prefix=prefix,
        expires_at=timezone.now() + CODE_VALIDITY,
    )
    return code


@transaction.atomic(durable=True)
def enrollment_redeem(*, code: str, node_id: str, version: str = "") -> tuple[str, Till]:
    """Turn a valid code into a till bound to ``node_id`` and a secret token for it."""
    entry = (
        EnrollmentCode.objects.select_for_update()
        .select_related("store")
        .filter(code_hash=_hash(code.strip().upper()))
        .first()
    )
    if entry is None or entry.used_at is not None or entry.expires_at < timezone.now():
        raise ValidationError(_("Code d'enrôlement inconnu, déjà utilisé ou expiré."))
    max_length = NodeCredential._meta.get_field("node_id").max_length or 0
    if not node_id or len(node_id) > max_length or not node_id.isprintable() or " " in node_id:
        raise ValidationError(_("Identifiant de poste invalide : « %(id)s ».") % {"id": node_id})
    if NodeCredential.objects.filter(node_id=node_id).exists():
        raise ValidationError(_("Ce poste est déjà enrôlé."))
    till = till_create(store=entry.store, name=entry.name, prefix=entry.prefix, node_id=node_id)
    token = secrets.token_urlsafe(32)
    NodeCredential.objects.create(
        node_id=node_id, name=entry.name, till=till, token_hash=_hash(token), version=version
    )
    entry.used_at = timezone.now()
    entry.save(update_fields=["used_at"])
    return token, till


def credential_for(token: str) -> NodeCredential | None:
    """The live credential of a bearer token, or None (unknown or revoked)."""
    if not token:
        return None
    cred = (
        NodeCredential.objects.select_related("till", "till__store")
        .filter(token_hash=_hash(token))
        .first()
    )
    if cred is None or cred.revoked_at is not None:
        return None
    # Constant-time comparison of the hashes, for good measure.
    return cred if hmac.compare_digest(cred.token_hash, _hash(token)) else None


@transaction.atomic(durable=True)
def node_revoke(*, name: str) -> NodeCredential:
    cred = NodeCredential.objects.select_for_update().filter(name=name, revoked_at=None).first()
    if cred is None:
        raise NotFoundError(_("Aucun poste actif nommé « %(name)s ».") % {"name": name})
    cred.revoked_at = timezone.now()
    cred.save(update_fields=["revoked_at"])
    return cred
