"""The data directory ("home") of a comptoir installation and its configuration file.

A home holds ``comptoir.toml`` (role, database, store, currency, node id, secret key),
the node's SQLite database, and logs. Nothing here imports Django: the CLI reads the
home before Django is configured, and the settings module reads it to configure Django.
"""

from __future__ import annotations

import os
import secrets
import tomllib
import uuid
import zoneinfo
from dataclasses import MISSING, asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, Literal, get_args

import platformdirs
import tomli_w

from comptoir.lib.private import restrict_to_owner

CONFIG_NAME = "comptoir.toml"
HOME_ENV = "COMPTOIR_HOME"
# Set by ``comptoir serve`` for its processes: what only a server does is turned on
# (``comptoir.asgi``).
SERVING_ENV = "COMPTOIR_SERVING"
# Set by ``comptoir serve``: the size of the PostgreSQL pool (see settings).
POOL_ENV = "COMPTOIR_DB_POOL"
# Set by ``comptoir serve --workers N`` (N > 1): the server processes share a cache on disk.
SHARED_CACHE_ENV = "COMPTOIR_SHARED_CACHE"
Role = Literal["hub", "node"]
# The languages of the interface (``settings.LANGUAGES``); French is the source's.
LANGUAGES = ("fr", "en")
# The integer keys of ``comptoir.toml`` and the values they take.
INT_RANGES = {
    "backup_keep": (1, 1000),
    "discount_manager_threshold": (0, 100),
    "log_horizon_days": (1, 3650),
}


def default_home() -> Path:
    """The home used when neither ``--home`` nor ``COMPTOIR_HOME`` is given."""
    return Path(platformdirs.user_data_dir("comptoir", appauthor=False))


def resolve_home(explicit: str | os.PathLike[str] | None = None) -> Path:
    if explicit:
        return Path(explicit).expanduser().resolve()
    env = os.environ.get(HOME_ENV)
    if env:
        return Path(env).expanduser().resolve()
    return default_home()


@dataclass(frozen=True)
class HomeConfig:
    """What ``comptoir.toml`` holds. Written once by ``init``; read by every process."""

    role: Role
    node_id: str
    store_name: str
    till_name: str
    till_prefix: str
    currency: str = "EUR"
    time_zone: str = "Europe/Paris"
    language: str = "fr"
    database_url: str = ""
    # A node enrolled with a hub: where it is, and this node's secret token for it.
    hub_url: str = ""
    token: str = ""
    insecure_http: bool = False
    # Certificate(s) to trust for the hub, relative to the home (pinned at enrollment,
    # or a private CA); empty: the system's certificate authorities.
    hub_ca_file: str = ""
    # Reverse proxies (addresses or networks, e.g. "10.0.0.5", "10.0.0.0/24") whose
    # X-Forwarded-For and X-Forwarded-Proto are believed; empty: no one's (``comptoir serve``).
    trusted_proxies: list[str] = field(default_factory=list)
    # The till's daily backups (``comptoir serve``): the folder (empty: HOME/backups; a
    # relative path is taken from the home; may be a USB key or a network share) and how
    # many of the latest are kept there.
    backup_dir: str = ""
    backup_keep: int = 7
    # A basket discount above this percentage of the basket needs a manager's approval.
    discount_manager_threshold: int = 10
    # Hub: change-log entries older than this many days are deleted (a till offline for
    # longer takes a snapshot of the hub's data when it comes back; ``hub compact``).
    log_horizon_days: int = 30
    secret_key: str = field(default_factory=lambda: secrets.token_urlsafe(50))

    def database_path(self, home: Path) -> Path:
        return home / ("hub.sqlite3" if self.role == "hub" else "node.sqlite3")

    def backup_path(self, home: Path) -> Path:
        """Where the scheduled backups go (and ``comptoir backup`` without ``--out``)."""
        return home / Path(self.backup_dir).expanduser() if self.backup_dir else home / "backups"


def new_node_id() -> str:
    return str(uuid.uuid4())


def config_path(home: Path) -> Path:
    return home / CONFIG_NAME


class ConfigError(ValueError):
    """``comptoir.toml`` cannot be used as it is: what is wrong, and with which key.

    ``problem`` is one of ``syntax``, ``unknown``, ``missing``, ``type``, ``choice``,
    ``time_zone``; ``expected`` is the type or the values the key takes. The entry point
    turns it into a sentence in the user's language (``comptoir.console``): this module
    reads the home before any translation can be set up.
    """

    def __init__(
        self, path: Path, problem: str, key: str = "", value: object = None, expected: str = ""
    ) -> None:
        super().__init__(f"{path}: {problem} {key}={value!r} ({expected})")
        self.path = path
        self.problem = problem
        self.key = key
        self.value = value
        self.expected = expected


def _check(path: Path, data: dict[str, Any]) -> None:
    """Refuse what would otherwise fail later, deep in Django, or be taken silently."""
    known = {f.name: f for f in fields(HomeConfig)}
    for key in data:
        if key not in known:
            raise ConfigError(path, "unknown", key, expected=", ".join(known))
    for name, spec in known.items():
        if name not in data:
            if spec.default is MISSING and spec.default_factory is MISSING:
                raise ConfigError(path, "missing", name)
            continue
        value = data[name]
        if spec.type in ("list[str]", list[str]):
            if type(value) is not list or any(type(item) is not str for item in value):
                raise ConfigError(path, "type", name, value, "list")
            continue
        expected = {"bool": bool, bool: bool, "int": int, int: int}.get(spec.type, str)
        if type(value) is not expected:
            raise ConfigError(path, "type", name, value, expected.__name__)
    for name, (low, high) in INT_RANGES.items():
        if name in data and not low <= data[name] <= high:
            raise ConfigError(path, "choice", name, data[name], f"{low}…{high}")
    choices = {"role": get_args(Role), "language": LANGUAGES}
    for name, allowed in choices.items():
        if name in data and data[name] not in allowed:
            raise ConfigError(path, "choice", name, data[name], ", ".join(allowed))
    zone = data.get("time_zone", HomeConfig.time_zone)
    try:
        zoneinfo.ZoneInfo(zone)
    except (ValueError, OSError, zoneinfo.ZoneInfoNotFoundError):
        raise ConfigError(path, "time_zone", "time_zone", zone) from None
    for name in ("node_id", "store_name", "till_name", "till_prefix", "currency", "secret_key"):
        if name in data and not data[name].strip():
            raise ConfigError(path, "missing", name)


def read_config(home: Path) -> HomeConfig | None:
    """The home's configuration, None if it has none. Raises :class:`ConfigError` for a file
    that is not valid TOML or whose keys are unknown, missing, of the wrong type or value;
    ``OSError`` if it cannot be read."""
    path = config_path(home)
    if not path.exists():
        return None
    with path.open("rb") as fh:
        try:
            data = tomllib.load(fh)
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(path, "syntax", value=str(exc)) from None
    _check(path, data)
    return HomeConfig(**data)


def write_config(home: Path, config: HomeConfig) -> Path:
    """Create the home and write its configuration (readable by its owner only)."""
    home.mkdir(parents=True, exist_ok=True)
    path = config_path(home)
    tmp = path.with_suffix(".tmp")
    with tmp.open("wb") as fh:
        tomli_w.dump(asdict(config), fh)
    restrict_to_owner(tmp)
    tmp.replace(path)
    return path
