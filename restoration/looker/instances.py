"""Looker instances restoreadmin may read from or write to: the sections of looker.ini.

Only a section's name, base_url, web_url, verify_ssl, timeout and rate limits live on objects here.
client_id / client_secret are read from the file by IniSettings.read_config(), which
the SDK calls at each login, so secrets never sit on an object that gets logged,
pickled, stored in a session row or shown on a page.
"""

from __future__ import annotations

import configparser
import logging
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from looker_sdk.rtl import api_settings, auth_session, requests_transport, serialize
from looker_sdk.rtl import transport as sdk_transport
from looker_sdk.sdk import constants
from looker_sdk.sdk.api40.methods import Looker40SDK

from restoration.looker.serialization import deserialize40
from restoration.looker.transport import RecordingSession

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 120
TRUE_WORDS = ("yes", "y", "true", "t", "1", "on")
FALSE_WORDS = ("", "no", "n", "false", "f", "0", "off")


class InstanceNotConfigured(Exception):
    """The looker.ini is missing, lacks the section, or the section is unusable."""


@dataclass(frozen=True)
class LookerInstance:
    """A configured Looker instance (never its credentials)."""

    section: str
    base_url: str
    verify_ssl: bool = True
    timeout: int = DEFAULT_TIMEOUT
    # The instance's own API limit, held by all sessions together (SharedRateLimiter);
    # None when looker.ini sets none.
    rate_limit_per_second: float | None = None
    rate_limit_per_minute: float | None = None
    # Where people open the instance in a browser; "" = derived from base_url (web_url_for).
    web_url: str = ""

    def __str__(self) -> str:
        return f"{self.section} ({self.base_url})"


def ini_path() -> Path:
    return Path(settings.LOOKER_INI)


def _read_ini(path: Path) -> configparser.ConfigParser:
    if not path.is_file():
        raise InstanceNotConfigured(
            f"looker.ini not found at {path}; set LOOKER_INI to the file holding your Looker "
            "instances (one [section] each with base_url, client_id, client_secret)"
        )
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(path, encoding="utf-8")
    except configparser.Error as exc:
        raise InstanceNotConfigured(f"{path} is not a valid ini file: {exc}") from None
    return parser


def clean_value(value: str | None) -> str:
    """Strip whitespace and the quotes the SDK's own reader also strips."""
    return (value or "").strip().strip("\"'")


def validate_base_url(section: str, value: str) -> str:
    """Return the base_url or raise: the SDK needs scheme://host[:port], nothing after it."""
    url = clean_value(value)
    if not url:
        raise InstanceNotConfigured(f"looker.ini [{section}] has no base_url")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InstanceNotConfigured(
            f"looker.ini [{section}] base_url {url!r} must start with https:// or http:// "
            "and name a host, e.g. https://example.cloud.looker.com"
        )
    if parts.path or parts.query or parts.fragment:
        suggestion = f"{parts.scheme}://{parts.netloc}"
        raise InstanceNotConfigured(
            f"looker.ini [{section}] base_url {url!r} must have no path or trailing slash "
            f"(the SDK adds /api/4.0 itself); use {suggestion!r}"
        )
    return url


def _instance_from(section: str, values: configparser.SectionProxy) -> LookerInstance:
    base_url = validate_base_url(section, values.get("base_url", ""))
    verify_text = clean_value(values.get("verify_ssl", "true")).lower()
    if verify_text in TRUE_WORDS:
        verify_ssl = True
    elif verify_text in FALSE_WORDS:
        verify_ssl = False
    else:
        raise InstanceNotConfigured(
            f"looker.ini [{section}] verify_ssl {verify_text!r} is not true or false"
        )
    timeout_text = clean_value(values.get("timeout", str(DEFAULT_TIMEOUT)))
    try:
        timeout = int(timeout_text)
        if timeout <= 0:
            raise ValueError
    except ValueError:
        raise InstanceNotConfigured(
            f"looker.ini [{section}] timeout {timeout_text!r} is not a whole number of seconds"
        ) from None
    limits = {}
    for name in ("rate_limit_per_second", "rate_limit_per_minute"):
        text = clean_value(values.get(name, ""))
        if not text:
            continue
        try:
            limits[name] = float(text)
            if limits[name] <= 0:
                raise ValueError
        except ValueError:
            raise InstanceNotConfigured(
                f"looker.ini [{section}] {name} {text!r} is not a positive number"
            ) from None
    web_url = clean_value(values.get("web_url", ""))
    if web_url:
        parts = urlsplit(web_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise InstanceNotConfigured(
                f"looker.ini [{section}] web_url {web_url!r} must start with https:// or http:// "
                "and name a host, e.g. https://example.cloud.looker.com"
            )
        web_url = web_url.rstrip("/")
    return LookerInstance(
        section=section,
        base_url=base_url,
        verify_ssl=verify_ssl,
        timeout=timeout,
        web_url=web_url,
        **limits,
    )


# Looker serves its API on this port when the web UI has its own (https://host:19999);
# on Looker (Google Cloud core) and port-443 instances both share one address.
LOOKER_API_PORT = 19999


def web_url_for(base_url: str, web_url: str = "") -> str:
    """Where an instance opens in a browser: looker.ini's `web_url`, else `base_url` without
    the API port 19999 (https://host:19999 -> https://host), else `base_url` itself."""
    if web_url:
        return web_url
    parts = urlsplit(base_url)
    if parts.port == LOOKER_API_PORT:
        return f"{parts.scheme}://{parts.hostname}"
    return base_url.rstrip("/")


_by_url: tuple[tuple[str, float], dict[str, LookerInstance]] | None = None


def instances_by_url() -> dict[str, LookerInstance]:
    """looker.ini's instances keyed by base_url, so a page can name a stored URL by its
    section. Re-read only when the file changes (pages call this for every row)."""
    global _by_url
    path = ini_path()
    try:
        stamp = (str(path), path.stat().st_mtime)
    except OSError:
        return {}
    if _by_url is None or _by_url[0] != stamp:
        _by_url = (stamp, {i.base_url: i for i in list_instances()})
    return _by_url[1]


def list_instances() -> list[LookerInstance]:
    """Every usable section of looker.ini; unusable ones are logged and left out."""
    try:
        parser = _read_ini(ini_path())
    except InstanceNotConfigured as exc:
        logger.warning("%s", exc)
        return []
    instances = []
    for section in parser.sections():
        try:
            instances.append(_instance_from(section, parser[section]))
        except InstanceNotConfigured as exc:
            logger.warning("%s", exc)
    return instances


def get_instance(section: str) -> LookerInstance:
    path = ini_path()
    parser = _read_ini(path)
    if not parser.has_section(section):
        known = ", ".join(parser.sections()) or "none"
        raise InstanceNotConfigured(
            f"Looker instance {section!r} is not a section of {path} (sections: {known})"
        )
    return _instance_from(section, parser[section])


class IniSettings(api_settings.ApiSettings):
    """SDK settings for one looker.ini section; credentials are read only at login."""

    def __init__(self, instance: LookerInstance, path: Path) -> None:
        # ApiSettings.__init__ would read the file and the LOOKERSDK_* environment;
        # we set the transport settings from the validated instance instead.
        self.filename = str(path)
        self.section = instance.section
        self.env_prefix = None
        self.base_url = instance.base_url
        self.verify_ssl = instance.verify_ssl
        self.timeout = instance.timeout
        self.headers = {"Content-Type": "application/json"}
        self.agent_tag = f"{sdk_transport.AGENT_PREFIX} {constants.sdk_version} restoreadmin"

    def read_config(self) -> api_settings.SettingsConfig:
        parser = _read_ini(Path(self.filename))
        if not parser.has_section(self.section):
            raise InstanceNotConfigured(f"Looker instance {self.section!r} left {self.filename}")
        values = parser[self.section]
        client_id = clean_value(values.get("client_id"))
        client_secret = clean_value(values.get("client_secret"))
        if not client_id or not client_secret:
            raise InstanceNotConfigured(
                f"looker.ini [{self.section}] needs client_id and client_secret"
            )
        return {
            "client_id": client_id,
            "client_secret": client_secret,
            "base_url": self.base_url,
        }

    def __repr__(self) -> str:
        return f"IniSettings(section={self.section!r}, base_url={self.base_url!r})"


def make_sdk(section: str) -> Looker40SDK:
    """A new Looker 4.0 client for one thread (the SDK's requests.Session is not thread-safe)."""
    instance = get_instance(section)
    return sdk_for(instance, ini_path())


def sdk_for(instance: LookerInstance, path: Path) -> Looker40SDK:
    api = IniSettings(instance, path)
    session = RecordingSession()
    transport = requests_transport.RequestsTransport(api, session)  # sets session.verify
    session.settle_environment(instance.base_url)
    return Looker40SDK(
        auth_session.AuthSession(api, transport, deserialize40, "4.0"),
        deserialize40,
        serialize.serialize40,
        transport,
        "4.0",
    )
