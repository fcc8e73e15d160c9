"""The OpenID Connect client against a real provider (oidc-provider on loopback): a sign-in
through the provider's own pages, and every way a sign-in must fail."""

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from app.adapters.oidc import OidcProvider
from app.ports import Identity, ProviderUnavailable, SignInRefused, SignInStart
from tests.support.oidc import (
    CLIENT_ID,
    CLIENT_SECRET,
    REDIRECT_URI,
    OpenIDProvider,
    sign_in_at_provider,
)
from tests.support.servers import free_port


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def client_of(issuer: str, clock: Clock | None = None, secret: str = CLIENT_SECRET) -> OidcProvider:
    if clock is None:
        return OidcProvider(issuer, CLIENT_ID, secret)
    return OidcProvider(issuer, CLIENT_ID, secret, clock)


def answer(callback_url: str) -> dict[str, str]:
    assert callback_url.startswith(f"{REDIRECT_URI}?"), callback_url
    return {name: values[0] for name, values in parse_qs(urlsplit(callback_url).query).items()}


async def test_a_sign_in_through_the_providers_pages_names_the_person(
    oidc_provider: OpenIDProvider,
) -> None:
    client = client_of(oidc_provider.issuer)
    start = await client.begin(REDIRECT_URI)
    asked = parse_qs(urlsplit(start.authorization_url).query)
    assert asked["response_type"] == ["code"]
    assert asked["client_id"] == [CLIENT_ID]
    assert asked["redirect_uri"] == [REDIRECT_URI]
    assert asked["code_challenge_method"] == ["S256"]
    assert set(asked["scope"][0].split()) >= {"openid", "profile"}
    assert {"state", "nonce", "code_challenge"} <= asked.keys()

    response = answer(sign_in_at_provider(start.authorization_url, "ada"))

    assert await client.finish(start.pending, response) == Identity(
        oidc_provider.issuer, "ada", "ada", "ada (test provider)"
    )


async def test_every_sign_in_has_its_own_state_nonce_and_verifier(
    oidc_provider: OpenIDProvider,
) -> None:
    client = client_of(oidc_provider.issuer)
    first, second = await client.begin(REDIRECT_URI), await client.begin(REDIRECT_URI)
    asked = [parse_qs(urlsplit(s.authorization_url).query) for s in (first, second)]
    for name in ("state", "nonce", "code_challenge"):
        assert asked[0][name] != asked[1][name]


async def signed_in_answer(client: OidcProvider, login: str) -> tuple[SignInStart, dict[str, str]]:
    start = await client.begin(REDIRECT_URI)
    return start, answer(sign_in_at_provider(start.authorization_url, login))


async def test_a_tampered_state_is_refused(oidc_provider: OpenIDProvider) -> None:
    client = client_of(oidc_provider.issuer)
    start, response = await signed_in_answer(client, "tampered")
    for tampered in (response["state"] + "x", "", "\u00e9t\u00e9"):
        with pytest.raises(SignInRefused, match="state"):
            await client.finish(start.pending, {**response, "state": tampered})


async def test_an_answer_to_another_browsers_sign_in_is_refused(
    oidc_provider: OpenIDProvider,
) -> None:
    client = client_of(oidc_provider.issuer)
    mine = await client.begin(REDIRECT_URI)
    _, theirs = await signed_in_answer(client, "victim")
    with pytest.raises(SignInRefused, match="state"):
        await client.finish(mine.pending, theirs)


async def test_a_replayed_code_is_refused(oidc_provider: OpenIDProvider) -> None:
    client = client_of(oidc_provider.issuer)
    start, response = await signed_in_answer(client, "replayed")
    await client.finish(start.pending, response)
    with pytest.raises(SignInRefused, match="invalid_grant"):
        await client.finish(start.pending, response)


async def test_a_forged_or_missing_pending_sign_in_is_refused(
    oidc_provider: OpenIDProvider,
) -> None:
    client = client_of(oidc_provider.issuer)
    start, response = await signed_in_answer(client, "forged")
    forged = await client_of(oidc_provider.issuer, secret="another secret").begin(REDIRECT_URI)
    with pytest.raises(SignInRefused, match="invalid or expired"):
        await client.finish(forged.pending, response)
    with pytest.raises(SignInRefused, match="no sign-in was begun"):
        await client.finish(None, response)
    with pytest.raises(SignInRefused, match="invalid or expired"):
        await client.finish(start.pending[:-2], response)


async def test_a_sign_in_left_too_long_at_the_provider_must_start_again(
    oidc_provider: OpenIDProvider,
) -> None:
    clock = Clock()
    client = client_of(oidc_provider.issuer, clock)
    start, response = await signed_in_answer(client, "slow")
    clock.now += timedelta(minutes=11)
    with pytest.raises(SignInRefused, match="expired"):
        await client.finish(start.pending, response)


async def test_cancelling_at_the_provider_is_a_refused_sign_in(
    oidc_provider: OpenIDProvider,
) -> None:
    client = client_of(oidc_provider.issuer)
    start = await client.begin(REDIRECT_URI)
    response = answer(sign_in_at_provider(start.authorization_url, "shy", cancel=True))
    assert response["error"] == "access_denied"
    with pytest.raises(SignInRefused, match="access_denied"):
        await client.finish(start.pending, response)


async def test_an_answer_naming_another_issuer_is_refused(oidc_provider: OpenIDProvider) -> None:
    client = client_of(oidc_provider.issuer)
    start, response = await signed_in_answer(client, "mixup")
    with pytest.raises(SignInRefused, match="another provider"):
        await client.finish(start.pending, {**response, "iss": "https://elsewhere.example"})


async def test_a_wrong_client_secret_is_refused_at_the_token_endpoint(
    oidc_provider: OpenIDProvider,
) -> None:
    client = client_of(oidc_provider.issuer, secret="not the secret")
    start, response = await signed_in_answer(client, "wrongsecret")
    with pytest.raises(SignInRefused, match="invalid_client"):
        await client.finish(start.pending, response)


async def test_an_issuer_the_provider_does_not_call_itself_is_a_configuration_error(
    oidc_provider: OpenIDProvider,
) -> None:
    with pytest.raises(ProviderUnavailable, match="calls itself"):
        await client_of(f"{oidc_provider.issuer}/").begin(REDIRECT_URI)


async def test_an_unreachable_provider_is_unavailable() -> None:
    with pytest.raises(ProviderUnavailable, match="discovery document"):
        await client_of(f"http://127.0.0.1:{free_port()}").begin(REDIRECT_URI)
