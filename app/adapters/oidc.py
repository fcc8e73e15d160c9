"""Sign-in at an OpenID provider: OpenID Connect's authorization code flow with PKCE (S256),
through Authlib. The provider's metadata comes from its discovery document, read once; its
keys from its JWKS, read again only when a token names a key not seen yet. What a sign-in in
progress needs later (state, nonce, PKCE verifier) travels sealed in the browser, so any
replica of the app can finish it."""

import hmac
from collections.abc import Mapping
from typing import Any

import httpx2
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.starlette_client import OAuth
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import OctKey

from app.ports import (
    PENDING_FOR,
    Clock,
    Identity,
    ProviderUnavailable,
    SignInRefused,
    SignInStart,
    utc_now,
)

SCOPE = "openid profile email"
PROVIDER_TIMEOUT_SECONDS = 10
REQUIRED_METADATA = ("authorization_endpoint", "token_endpoint", "jwks_uri")


class OidcProvider:
    """The configured OpenID provider, as this app (its client) sees it."""

    def __init__(
        self,
        issuer: str,
        client_id: str,
        client_secret: str,
        now: Clock = utc_now,
    ) -> None:
        self.issuer = issuer
        self._client_id = client_id
        self._client = OAuth().register(
            name="taskflow",
            client_id=client_id,
            client_secret=client_secret,
            server_metadata_url=f"{issuer.rstrip('/')}/.well-known/openid-configuration",
            client_kwargs={
                "scope": SCOPE,
                "code_challenge_method": "S256",
                "timeout": PROVIDER_TIMEOUT_SECONDS,
                # Authlib makes an HTTP client for every call to the provider: the TLS context
                # each would make, made once, not the trust store loaded again each time.
                "verify": httpx2.create_ssl_context(),
            },
        )
        # The pending sign-in is sealed with a key only this app's replicas can make.
        self._seal_key = OctKey.import_key(
            hmac.digest(client_secret.encode(), b"taskflow pending sign-in", "sha256")
        )
        self._now = now

    async def begin(self, redirect_uri: str) -> SignInStart:
        """A new sign-in that comes back to `redirect_uri`: fresh state, nonce and verifier."""
        await self._metadata()
        try:
            started = await self._client.create_authorization_url(redirect_uri)
        except httpx2.HTTPError as error:
            raise ProviderUnavailable(f"the OpenID provider did not answer: {error}") from error
        expires = self._now() + PENDING_FOR
        claims = {
            "state": started["state"],
            "nonce": started["nonce"],
            "code_verifier": started["code_verifier"],
            "redirect_uri": redirect_uri,
            "exp": int(expires.timestamp()),
        }
        return SignInStart(started["url"], jwt.encode({"alg": "HS256"}, claims, self._seal_key))

    async def finish(self, pending: str | None, response: Mapping[str, str]) -> Identity:
        """The identity the provider's answer `response` (the callback's query) vouches for,
        checked against the sign-in this browser began (`pending`, as `begin` sealed it)."""
        started = self._unseal(pending)
        state = response.get("state", "").encode()
        if not hmac.compare_digest(state, started["state"].encode()):
            raise SignInRefused("the state does not belong to the sign-in this browser began")
        # RFC 9207: a provider that names itself must be the one the sign-in went to.
        if response.get("iss", self.issuer) != self.issuer:
            raise SignInRefused("the answer comes from another provider")
        if "error" in response:
            description = response.get("error_description")
            raise SignInRefused(
                f"the provider answered {response['error']}"
                + (f": {description}" if description else "")
            )
        code = response.get("code")
        if not code:
            raise SignInRefused("the provider's answer has no code")
        try:
            token = await self._client.fetch_access_token(
                redirect_uri=started["redirect_uri"],
                code=code,
                code_verifier=started["code_verifier"],
            )
            claims = await self._client.parse_id_token(
                token,
                nonce=started["nonce"],
                claims_options={
                    "iss": {"essential": True, "value": self.issuer},
                    "aud": {"essential": True, "value": self._client_id},
                },
            )
            if claims is None:
                raise SignInRefused("the provider sent no ID token")
            profile = dict(claims)
            if "userinfo_endpoint" in await self._metadata():
                userinfo = await self._client.userinfo(token=token)
                if userinfo.get("sub") != claims["sub"]:
                    raise SignInRefused("the provider's user info is about someone else")
                profile = {**userinfo, **profile}
        except (AuthlibBaseError, JoseError) as error:
            raise SignInRefused(f"the provider's answer does not hold: {error}") from error
        except (httpx2.HTTPError, ValueError) as error:
            raise ProviderUnavailable(f"the OpenID provider did not answer: {error}") from error
        return _identity(self.issuer, profile)

    async def _metadata(self) -> dict[str, Any]:
        try:
            metadata: dict[str, Any] = await self._client.load_server_metadata()
        except (httpx2.HTTPError, ValueError) as error:
            raise ProviderUnavailable(
                f"the OpenID provider's discovery document cannot be read: {error}"
            ) from error
        # OpenID Connect Discovery 1.0, 4.3: the document must name the issuer asked.
        if metadata.get("issuer") != self.issuer:
            raise ProviderUnavailable(
                f"the provider calls itself {metadata.get('issuer')!r}, "
                f"not TASKFLOW_OIDC_ISSUER {self.issuer!r}"
            )
        missing = [name for name in REQUIRED_METADATA if not metadata.get(name)]
        if missing:
            raise ProviderUnavailable(
                f"the provider's discovery document lacks {', '.join(missing)}"
            )
        return metadata

    def _unseal(self, pending: str | None) -> dict[str, Any]:
        if not pending:
            raise SignInRefused("no sign-in was begun in this browser (or it expired)")
        try:
            token = jwt.decode(pending, self._seal_key, algorithms=["HS256"])
            jwt.JWTClaimsRegistry(
                now=lambda: int(self._now().timestamp()), exp={"essential": True}
            ).validate(token.claims)
        except JoseError as error:
            raise SignInRefused("the sign-in this browser began is invalid or expired") from error
        return token.claims


def _identity(issuer: str, claims: Mapping[str, Any]) -> Identity:
    subject = str(claims["sub"])
    email = str(claims.get("email") or "")
    username = str(claims.get("preferred_username") or email.partition("@")[0] or subject)
    return Identity(issuer, subject, username, str(claims.get("name") or username))
