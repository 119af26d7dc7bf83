"""The checks of how the hub is reached: debug, allowed hosts, HTTPS through the reverse
proxy (asked live with a public address), and Django's deployment checks."""

from __future__ import annotations

import ipaddress
import ssl
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
from django.conf import settings
from django.core import checks
from django.http.request import validate_host
from django.utils.translation import gettext as _

from comptoir.home import HomeConfig
from comptoir.syncengine.hubcheck.findings import (
    Finding,
    ok,
    problem,
)

# One year is what browsers' preload lists ask; less is accepted down to half a year.
MIN_HSTS_SECONDS = 180 * 24 * 3600
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "[::1]", "::1"}
SECURE_TRANSPORT = "comptoir.lib.security.secure_transport"
SECURITY_MIDDLEWARE = "django.middleware.security.SecurityMiddleware"


# Django's deployment checks that comptoir answers in its own way (why, for the operator).
def _covered() -> dict[str, str]:
    redirect = _("la redirection de HTTP vers HTTPS est faite par le relais (deploy/nginx)")
    cookies = _("comptoir marque ce cookie Secure sur chaque requête HTTPS (lib/security.py)")
    domain = _(
        "includeSubDomains et preload engagent tout le domaine : un choix de l'exploitant, "
        "pas de comptoir"
    )
    return {
        "security.W008": redirect,
        "security.W012": cookies,
        "security.W016": cookies,
        "security.W005": domain,
        "security.W021": domain,
    }


def check_debug() -> Iterator[Finding]:
    if settings.DEBUG:
        yield problem(
            "debug",
            _("Le mode débogage est activé : une erreur montre le code et la configuration."),
            _("Retirez COMPTOIR_DEBUG du fichier d'environnement du service, puis redémarrez."),
        )
    else:
        yield ok("debug", _("Mode débogage désactivé."))


def check_allowed_hosts(url: str = "") -> Iterator[Finding]:
    hosts = [h for h in settings.ALLOWED_HOSTS if h]
    fix = _(
        "Mettez le nom public du serveur dans COMPTOIR_ALLOWED_HOSTS (fichier d'environnement "
        "du service), par exemple COMPTOIR_ALLOWED_HOSTS=hub.example.org, puis redémarrez."
    )
    if "*" in hosts:
        yield problem(
            "allowed_hosts",
            _(
                "Tous les noms d'hôte sont acceptés (« * ») : les liens des e-mails et des "
                "redirections peuvent être détournés."
            ),
            fix,
        )
        return
    public = [h for h in hosts if h not in LOOPBACK_HOSTS]
    if not public:
        yield problem(
            "allowed_hosts",
            _(
                "Seules les adresses locales sont acceptées (%(hosts)s) : le serveur refuse "
                "les requêtes qui arrivent par son nom public."
            )
            % {"hosts": ", ".join(hosts) or "-"},
            fix,
        )
    elif url and not validate_host(urlsplit(url).hostname or "", hosts):
        yield problem(
            "allowed_hosts",
            _("« %(host)s » n'est pas dans les hôtes autorisés (%(hosts)s).")
            % {"host": urlsplit(url).hostname, "hosts": ", ".join(hosts)},
            fix,
        )
    else:
        yield ok("allowed_hosts", _("Hôtes autorisés : %(hosts)s.") % {"hosts": ", ".join(hosts)})


def check_https(config: HomeConfig | None, url: str = "", ca_file: str = "") -> Iterator[Finding]:
    proxies = list(config.trusted_proxies) if config else []
    wide = [p for p in proxies if ipaddress.ip_network(p, strict=False).prefixlen == 0]
    if wide:
        yield problem(
            "trusted_proxies",
            _(
                "trusted_proxies contient %(p)s : n'importe qui peut se faire passer pour un "
                "autre client (blocage des connexions contourné)."
            )
            % {"p": ", ".join(wide)},
            _(
                "Ne listez dans trusted_proxies (comptoir.toml) que l'adresse d'où se connecte "
                'votre relais, par exemple ["127.0.0.1"].'
            ),
        )
    elif not proxies:
        yield problem(
            "trusted_proxies",
            _(
                "Aucun relais de confiance : derrière nginx, comptoir ne sait pas que la "
                "connexion est en HTTPS (ni cookies Secure, ni HSTS) et bloque les connexions "
                "à l'adresse du relais au lieu de celle du client."
            ),
            _(
                "Ajoutez trusted_proxies = [\"127.0.0.1\"] à comptoir.toml (l'adresse d'où "
                "nginx se connecte), puis redémarrez le service."
            ),
        )
    else:
        yield ok(
            "trusted_proxies",
            _("Relais de confiance : %(p)s.") % {"p": ", ".join(proxies)},
        )
    if SECURE_TRANSPORT in settings.MIDDLEWARE:
        yield ok("secure_cookies", _("Cookies marqués Secure sur les requêtes HTTPS."))
    else:
        yield problem(
            "secure_cookies",
            _("Les cookies ne sont pas marqués Secure en HTTPS (%(m)s manque dans MIDDLEWARE).")
            % {"m": SECURE_TRANSPORT},
            _("Remettez les réglages d'origine de comptoir (comptoir/settings.py)."),
        )
    hsts = int(settings.SECURE_HSTS_SECONDS or 0)
    if SECURITY_MIDDLEWARE in settings.MIDDLEWARE and hsts >= MIN_HSTS_SECONDS:
        yield ok("hsts", _("HSTS envoyé en HTTPS (%(days)d jours).") % {"days": hsts // 86400})
    else:
        yield problem(
            "hsts",
            _("HSTS n'est pas envoyé, ou pour moins de %(days)d jours.")
            % {"days": MIN_HSTS_SECONDS // 86400},
            _("Remettez les réglages d'origine de comptoir (comptoir/settings.py)."),
        )
    if url:
        yield _live_https(url, ca_file)


def _live_https(url: str, ca_file: str) -> Finding:
    """The login page through the public address: HTTPS as comptoir sees it."""
    page = url.rstrip("/") + "/connexion/"
    if urlsplit(url).scheme != "https":
        return problem(
            "https_live",
            _("%(url)s n'est pas une adresse HTTPS.") % {"url": url},
            _("Donnez l'adresse publique du serveur en https://."),
        )
    try:
        verify = ssl.create_default_context(cafile=ca_file or None)
        response = httpx.get(page, verify=verify, timeout=15, follow_redirects=False)
    except (httpx.HTTPError, ssl.SSLError, OSError) as exc:
        return problem(
            "https_live",
            _("%(url)s ne répond pas en HTTPS : %(error)s") % {"url": page, "error": exc},
            _(
                "Vérifiez que nginx est démarré (systemctl status nginx), son certificat, et que "
                "comptoir répond derrière lui (systemctl status comptoir)."
            ),
        )
    proxy_fix = _(
        "Dans la configuration de nginx : proxy_set_header X-Forwarded-Proto $scheme ; et "
        "l'adresse d'où nginx se connecte dans trusted_proxies (comptoir.toml)."
    )
    if response.status_code != 200:
        return problem(
            "https_live",
            _("%(url)s répond %(status)d au lieu de 200.")
            % {"url": page, "status": response.status_code},
            _(
                "Un 400 vient des hôtes autorisés (COMPTOIR_ALLOWED_HOSTS) ; un 502 d'un "
                "comptoir arrêté (journalctl -u comptoir)."
            ),
        )
    cookies = [c.lower() for c in response.headers.get_list("set-cookie")]
    if (
        "strict-transport-security" not in response.headers
        or not cookies
        or not all("; secure" in c for c in cookies)
    ):
        return problem(
            "https_live",
            _(
                "À travers %(url)s, comptoir croit la connexion en HTTP : pas de HSTS ni de "
                "cookies Secure."
            )
            % {"url": url},
            proxy_fix,
        )
    return ok(
        "https_live",
        _("%(url)s répond en HTTPS, avec HSTS et des cookies Secure.") % {"url": url},
    )


def check_django_deploy() -> Iterator[Finding]:
    """Django's ``check --deploy``: each warning or error is a problem, except those that
    comptoir answers in its own way (said, and why)."""
    covered = _covered()
    for message in sorted(
        checks.run_checks(include_deployment_checks=True), key=lambda m: m.id or ""
    ):
        if message.level < checks.WARNING or message.is_silenced():
            continue
        name = message.id or "?"
        if name in covered:
            yield ok(
                "django_deploy",
                _("Django %(id)s : sans objet, %(why)s.") % {"id": name, "why": covered[name]},
            )
        else:
            yield problem(
                "django_deploy",
                _("Django %(id)s : %(msg)s") % {"id": name, "msg": message.msg},
                str(message.hint or _("Voyez la documentation de Django sur ce contrôle.")),
            )
