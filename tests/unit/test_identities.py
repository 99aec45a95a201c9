"""Who is calling: a token verified once is answered from cache, and a revoked session or user still counts."""

from __future__ import annotations

import pytest

from internal.common.errors import Unauthenticated
from internal.common.tokens import (
    Identities,
    InternalTokens,
    Revocations,
    TokenSigner,
    TokenVerifier,
    generate_private_key_pem,
    public_key_pem,
)

KEY = "k" * 40


def identities() -> tuple[Identities, TokenSigner]:
    private = generate_private_key_pem()
    return Identities(InternalTokens(KEY, "pictures"), TokenVerifier(public_key_pem(private)),
                      Revocations(token_ttl_s=900)), TokenSigner(private, ttl_seconds=900)


@pytest.mark.parametrize("kind", ["internal", "user"])
def test_a_token_seen_before_still_stops_working_when_its_session_or_user_is_revoked(kind: str) -> None:
    who, signer = identities()
    gateway = InternalTokens(KEY, "gateway")
    def token_for(user: str, session: str) -> str:
        return gateway.mint(user, "ann", session) if kind == "internal" else signer.sign(user, "ann", session)

    first, second = token_for("u1", "s1"), token_for("u2", "s2")
    for _ in range(2):  # verified, then from cache
        assert who.verify(first).user_id == "u1" and who.verify(first).session_id == "s1"
        assert who.verify(second).user_id == "u2"
    who.revocations.revoke_session("s1")
    who.revocations.revoke_user("u2")
    with pytest.raises(Unauthenticated, match="session has ended"):
        who.verify(first)
    with pytest.raises(Unauthenticated, match="no longer exists"):
        who.verify(second)


def test_a_cached_token_does_not_vouch_for_another_signed_with_a_foreign_key() -> None:
    who, _ = identities()
    genuine = InternalTokens(KEY, "gateway").mint("u1", "ann", "s1")
    forged = InternalTokens("x" * 40, "gateway").mint("u1", "ann", "s1")
    assert who.verify(genuine).caller == "gateway"
    with pytest.raises(Unauthenticated):
        who.verify(forged)
    _, stranger = identities()  # a user token signed by another auth key
    with pytest.raises(Unauthenticated):
        who.verify(stranger.sign("u1", "ann", "s1"))
