"""How the Teams channel authenticates: inbound Bot Framework tokens, outbound connector tokens.

Inbound, the SDK's ``JwtAuthorizationMiddleware`` validates the ``Authorization: Bearer`` JWT
the Bot Connector sends: RS256 signature by a key from the published key set, audience = our
App ID, expiry with 5 minutes of leeway. We also switch on its issuer allow-list
(``VALIDATE_ISSUER``, off by default in the SDK) and its service-URL host validator, which
refuses an activity whose ``serviceUrl`` is not a Microsoft connector host or does not match the
token's ``serviceurl`` claim, so the bot never sends its own token to a host an activity names.

Anonymous access (no token at all) exists only for local development against the Microsoft 365
Agents Playground and must be asked for explicitly; ``auth_configuration`` refuses to start
otherwise.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Collection
from typing import Any

import httpx
from jwt import PyJWKClient
from jwt.exceptions import PyJWKClientConnectionError
from microsoft_agents.authentication.msal import MsalAuth
from microsoft_agents.hosting.core import (
    AccessTokenProviderBase,
    AgentAuthConfiguration,
    AuthenticationConstants,
    ConnectionManager,
    JwtTokenValidator,
    OutboundHostValidator,
)

from hlsguide.config import Settings

log = logging.getLogger(__name__)

CONNECTION = "SERVICE_CONNECTION"
# Where Teams' Bot Connector lives (an activity's serviceUrl), named outright: not the SDK's
# default list, whose suffixes (blob.core.windows.net, sharepoint.com, ...) anyone can rent.
TEAMS_SERVICE_HOSTS = (
    "smba.trafficmanager.net",
    "smba.infra.gcc.teams.microsoft.com",
    "smba.infra.gov.teams.microsoft.us",
    "smba.infra.dod.teams.microsoft.us",
    "api.botframework.com",
)
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})
TokenProviderFactory = Callable[[AgentAuthConfiguration], AccessTokenProviderBase]


class TeamsConfigError(ValueError):
    """The Teams settings cannot be served safely; the message says what to set."""


def auth_configuration(settings: Settings) -> AgentAuthConfiguration:
    """The SDK's auth configuration for our settings, or TeamsConfigError when Teams would run
    without credentials and without the explicit development flag."""
    credentials = {
        "HLSGUIDE_TEAMS_APP_ID": settings.teams_app_id,
        "HLSGUIDE_TEAMS_APP_PASSWORD": settings.teams_app_password,
        "HLSGUIDE_TEAMS_TENANT_ID": settings.teams_tenant_id,
    }
    missing = [name for name, value in credentials.items() if value is None]
    if len(missing) == len(credentials):
        if not settings.teams_allow_anonymous:
            raise TeamsConfigError(
                "Teams is enabled without credentials: set HLSGUIDE_TEAMS_APP_ID, "
                "HLSGUIDE_TEAMS_APP_PASSWORD and HLSGUIDE_TEAMS_TENANT_ID, or, for local "
                "development only, HLSGUIDE_TEAMS_ALLOW_ANONYMOUS=true"
            )
        if settings.host not in LOOPBACK_HOSTS:
            raise TeamsConfigError(
                f"HLSGUIDE_TEAMS_ALLOW_ANONYMOUS=true needs the server bound to loopback "
                f"(HLSGUIDE_HOST=127.0.0.1), not {settings.host}: anyone who can reach it "
                "could post activities"
            )
        log.warning(
            "Teams runs ANONYMOUSLY (HLSGUIDE_TEAMS_ALLOW_ANONYMOUS=true): activities are taken "
            "from loopback callers without a token. Development only."
        )
        return AgentAuthConfiguration(anonymous_allowed=True)
    if missing:
        raise TeamsConfigError(f"Teams credentials are incomplete: set {', '.join(missing)}")
    if settings.teams_allow_anonymous:
        raise TeamsConfigError(
            "HLSGUIDE_TEAMS_ALLOW_ANONYMOUS=true together with Teams credentials: anonymous "
            "access is for development without credentials; unset one of them"
        )
    assert settings.teams_app_password is not None  # checked with the others above
    return AgentAuthConfiguration(
        client_id=settings.teams_app_id,
        tenant_id=settings.teams_tenant_id,
        client_secret=settings.teams_app_password.get_secret_value(),
        connection_name=CONNECTION,
        anonymous_allowed=False,
        validate_issuer=True,
    )


def connection_manager(
    config: AgentAuthConfiguration, token_provider_factory: TokenProviderFactory | None = None
) -> ConnectionManager:
    """The connections the adapter gets outbound tokens from: MSAL (client credentials against
    Entra) unless another provider factory is given."""
    return ConnectionManager(
        provider_factory=token_provider_factory or MsalAuth,
        connections_configurations={CONNECTION: config},
    )


def host_validator(settings: Settings, config: AgentAuthConfiguration) -> OutboundHostValidator:
    """With credentials, only https Teams connector hosts (TEAMS_SERVICE_HOSTS plus configured
    ones) are accepted as ``serviceUrl``. Anonymous development talks to the Playground on
    localhost, so the check is off there."""
    if config.ANONYMOUS_ALLOWED:
        return OutboundHostValidator(enabled=False)
    return OutboundHostValidator(
        [*TEAMS_SERVICE_HOSTS, *settings.teams_service_url_hosts],
        enabled=True,
        include_default_microsoft_hosts=False,
    )


# Issuers whose tokens only the Bot Framework connector mints (signed with Bot Framework's keys).
BOT_FRAMEWORK_ISSUERS = frozenset(
    {
        AuthenticationConstants.AGENTS_SDK_TOKEN_ISSUER,
        AuthenticationConstants.GOV_AGENTS_SDK_TOKEN_ISSUER,
    }
)


def token_problem(
    claims: dict, service_url: str | None, connector_app_ids: Collection[str] = ()
) -> str | None:
    """Why a validated token may not carry this activity, or None.

    The SDK also takes tokens Entra issued for our audience, and any app of a tenant can ask
    Entra for one: such a token must name the Bot Framework connector as the app it was
    issued to (``azp``, ``appid`` in v1 tokens), one of ``connector_app_ids``. And the SDK
    checks the ``serviceurl`` claim only when present and only by host: a token must name
    exactly the serviceUrl the bot is asked to reply to."""
    if claims.get(AuthenticationConstants.ISSUER_CLAIM) not in BOT_FRAMEWORK_ISSUERS:
        caller = claims.get(AuthenticationConstants.AUTHORIZED_PARTY) or claims.get(
            AuthenticationConstants.APP_ID_CLAIM
        )
        if not isinstance(caller, str) or not caller:
            return "the token names no calling app (azp or appid)"
        if caller not in connector_app_ids:
            return "the token was not issued to the Bot Framework connector"
    claimed = claims.get(AuthenticationConstants.SERVICE_URL_CLAIM)
    if not isinstance(claimed, str) or not claimed:
        return "the token has no serviceurl claim"
    if service_url is None or _same_url(claimed) != _same_url(service_url):
        return "the activity's serviceUrl is not the one the token was issued for"
    return None


def _same_url(url: str) -> str:
    return url.strip().rstrip("/").casefold()


class OpenIdMetadataKeys(PyJWKClient):
    """A key set found through an OpenID metadata document (its ``jwks_uri``), as Bot Framework
    publishes it; the metadata is re-read whenever the key set is."""

    def __init__(self, metadata_url: str) -> None:
        super().__init__(metadata_url, timeout=10)
        self.metadata_url = metadata_url

    def fetch_data(self) -> Any:
        try:
            response = httpx.get(self.metadata_url, timeout=self.timeout)
            response.raise_for_status()
            self.uri = response.json()["jwks_uri"]
        except (httpx.HTTPError, ValueError, KeyError, TypeError) as exc:
            raise PyJWKClientConnectionError(
                f"cannot read jwks_uri from {self.metadata_url}: {exc}"
            ) from exc
        return super().fetch_data()


# The SDK's validator picks its key URL from the token's issuer and keeps one PyJWKClient per
# URL in a class-level cache; it has no setting for another key source. Registering our client
# under those URLs is the one seam it offers (pinned SDK 1.9.x; tests cover it).
_SDK_KEY_URLS = (
    AuthenticationConstants.PUBLIC_ABS_JWKS_URL,
    AuthenticationConstants.GOV_ABS_JWKS_URL,
)


def use_signing_keys(metadata_url: str | None, tenant_id: str | None) -> None:
    """Make the SDK's token validator read signing keys via ``metadata_url`` instead of
    Bot Framework's and Entra's published key sets; None restores those."""
    from microsoft_agents.hosting.core.authorization.jwt.jwt_token_validator import (
        _JwkClientCacheEntry,
    )

    cache = JwtTokenValidator._jwk_client_manager._cache
    urls = (
        *_SDK_KEY_URLS,
        f"https://login.microsoftonline.com/{tenant_id or 'common'}/discovery/v2.0/keys",
    )
    for url in list(cache):
        if isinstance(cache[url].jwk_client, OpenIdMetadataKeys):
            del cache[url]
    if metadata_url is None:
        return
    keys = OpenIdMetadataKeys(metadata_url)
    for url in urls:
        cache[url] = _JwkClientCacheEntry(keys, threading.Lock())
    log.warning("Teams token signing keys come from %s, not from Microsoft", metadata_url)
