"""Node credentials: one-time enrollment codes and bearer tokens (hub stores hashes only)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from comptoir.events.models import EventKind
from comptoir.events.services import event_record
from comptoir.fiscal.errors import KeyFileError
from comptoir.fiscal.keys import key_id, public_key_from_text, public_key_text
from comptoir.lib.errors import NotFoundError, ValidationError
from comptoir.lib.validators import clean_text
from comptoir.stores.models import Store, Till
from comptoir.stores.selectors import store_get
from comptoir.stores.services import till_create
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
    if NodeCredential.objects.filter(till__store=target, name=name).exists():
        raise ValidationError(
            _(
                "Une caisse « %(name)s » existe déjà dans ce magasin : pour redonner l'accès à "
                "ce poste, lancez « %(command)s »."
            )
            % {"name": name, "command": reenroll_command(name)}
        )
    if Till.objects.filter(store=target, name=name).exists():
        raise ValidationError(
            _("Une caisse « %(name)s » existe déjà dans ce magasin.") % {"name": name}
        )
    prefix = (prefix or _next_prefix()).upper()
    if Till.objects.filter(prefix=prefix).exists():
        raise ValidationError(_("Le préfixe « %(p)s » est déjà pris.") % {"p": prefix})
    return _code_create(name=name, store=target, prefix=prefix)


def _code_create(
    *, name: str, store: Store, prefix: str, node: NodeCredential | None = None
) -> str:
    code = "-".join(secrets.token_hex(2).upper() for _ in range(4))
    EnrollmentCode.objects.create(
        code_hash=_hash(code),
        name=name,
        store=store,
        prefix=prefix,
        node=node,
        expires_at=timezone.now() + CODE_VALIDITY,
    )
    return code


def reenroll_command(name: str) -> str:
    """The hub command that gives post ``name`` a re-enrollment code, as one would type it."""
    quoted = name.replace('"', '\\"')
    return f'comptoir hub enroll --name "{quoted}" --reenroll'


@transaction.atomic(durable=True)
def reenrollment_create(*, name: str, store: str | None = None) -> str:
    """A one-time code (valid 24 h) that gives the enrolled post ``name`` a new credential.

    The code is bound to that post: only its node id can redeem it, and redeeming keeps
    its till, series and data (see :func:`enrollment_redeem`). Works whether the post
    was revoked or lost its token. An earlier unused code for the same post stops
    working: only the last one given out is valid.
    """
    name = name.strip()
    creds = NodeCredential.objects.select_for_update().select_related("till").filter(name=name)
    if store is not None:
        creds = creds.filter(till__store=store_get(name=store))
    found = list(creds.order_by("pk")[:2])
    if not found:
        raise NotFoundError(
            _(
                "Aucun poste enrôlé nommé « %(name)s » : pour une nouvelle caisse, lancez "
                '« comptoir hub enroll --name "%(name)s" » sans --reenroll.'
            )
            % {"name": name}
        )
    if len(found) > 1:
        raise ValidationError(
            _("Plusieurs postes s'appellent « %(name)s » : précisez le magasin avec --store.")
            % {"name": name}
        )
    cred = found[0]
    EnrollmentCode.objects.filter(node=cred, used_at=None).delete()
    return _code_create(name=cred.name, store=cred.till.store, prefix=cred.till.prefix, node=cred)


@transaction.atomic(durable=True)
def enrollment_redeem(
    *,
    code: str,
    node_id: str,
    version: str = "",
    reenroll: bool = False,
    public_key: str = "",
) -> tuple[str, Till]:
    """Turn a valid code into a secret token for ``node_id``, and the till it is bound to.

    A new-till code makes the till; a re-enrollment code (``EnrollmentCode.node``) only
    replaces its post's token (the old one stops working, the revocation is lifted) and
    is refused, changing nothing, to any other node id. ``reenroll``: the node asks to
    be re-enrolled, so a new-till code is refused rather than making it a new post.
    ``public_key``: the post's fiscal signing key (``fiscal.keys.public_key_text``), kept
    on its till: the hub checks the signature of each fiscal record it receives with it.
    """
    key_fields = _public_key_fields(public_key)
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
    token = secrets.token_urlsafe(32)
    if entry.node_id is not None:
        if entry.node_id != node_id:
            raise ValidationError(
                _(
                    "Ce code ré-enrôle un autre poste (« %(name)s ») : demandez au serveur un "
                    "code pour celui-ci."
                )
                % {"name": entry.name}
            )
        cred = NodeCredential.objects.select_for_update().select_related("till").get(pk=node_id)
        cred.token_hash = _hash(token)
        cred.revoked_at = None
        cred.version = version
        cred.save(update_fields=["token_hash", "revoked_at", "version"])
        till = cred.till
    else:
        existing = NodeCredential.objects.filter(node_id=node_id).first()
        if existing is not None:
            raise ValidationError(
                _(
                    "Ce poste est déjà enrôlé (« %(name)s ») : pour lui redonner l'accès, "
                    "demandez un code avec « %(command)s »."
                )
                % {"name": existing.name, "command": reenroll_command(existing.name)}
            )
        if reenroll:
            raise ValidationError(
                _(
                    "Ce code enrôle une nouvelle caisse, et ce poste n'est pas enrôlé sur ce "
                    "serveur : il ne peut pas être ré-enrôlé."
                )
            )
        till = till_create(store=entry.store, name=entry.name, prefix=entry.prefix, node_id=node_id)
        NodeCredential.objects.create(
            node_id=node_id, name=entry.name, till=till, token_hash=_hash(token), version=version
        )
    if key_fields and (till.public_key, till.key_id) != key_fields:
        till.public_key, till.key_id = key_fields
        till.save(update_fields=["public_key", "key_id"])
    entry.used_at = timezone.now()
    entry.save(update_fields=["used_at"])
    event_record(
        kind=EventKind.ENROLLMENT,
        details={"post": entry.name, "prefix": till.prefix, "reenroll": entry.node_id is not None},
    )
    return token, till


def _public_key_fields(text: str) -> tuple[str, str] | None:
    """(key text, key id) of an enrolling post's public key; None when none is given."""
    if not text:
        return None
    try:
        key = public_key_from_text(text)
    except KeyFileError as exc:
        raise ValidationError(exc.message) from None
    return public_key_text(key), key_id(key)


def credential_for(token: str) -> NodeCredential | None:
    """The live credential of a bearer token, or None (unknown or revoked)."""
    if not token:
        return None
    # With its post (every request asks for its store's id), not the store's own row: no
    # sync request reads it, and each one would build it.
    cred = NodeCredential.objects.select_related("till").filter(token_hash=_hash(token)).first()
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
    event_record(kind=EventKind.REVOCATION, details={"post": cred.name, "prefix": cred.till.prefix})
    return cred
