"""Tokens: user access tokens (EdDSA JWTs issued by the auth service) and internal call tokens (HS256 JWTs).

Every process verifies the identity of every call itself. A call from outside carries a user's access
token; a call between processes carries an internal token minted by the caller with the key all processes
of the system share (`INTERNAL_TOKEN_KEY`), naming the calling process and, when the call is made for a
user, that user. Verification is cached, so a token costs one signature check, and expiry is still
enforced on every use.

A domain event carries an event token instead: the publisher's internal token bound to that one record (its
topic, event id and a digest of its bytes) and valid as long as a topic keeps records, because a subscriber
may read it long after it was sent (a consumer that was down, a process reading revocations from the start).
Lifted from one record, it signs nothing else.
"""

from __future__ import annotations

import base64
import hashlib
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from internal.common.errors import Unauthenticated

ALGORITHM = "EdDSA"
ISSUER = "trident-auth"
INTERNAL_ALGORITHM = "HS256"
INTERNAL_ISSUER = "trident-internal"
_INTERNAL_TTL_S = 120
# As long as a domain topic keeps its records (7 days: Kafka's default retention, and the outbox's).
EVENT_TOKEN_TTL_S = 7 * 24 * 3600
_CACHE_SIZE = 10_000


@dataclass(frozen=True)
class Claims:
    user_id: str
    username: str
    expires_at: int
    # The process that made the call (internal tokens), "" for a user's own access token.
    caller: str = ""
    # The session (refresh-token family) an access token belongs to.
    session_id: str = ""


def generate_private_key_pem() -> str:
    key = Ed25519PrivateKey.generate()
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def public_key_pem(private_pem: str) -> str:
    key = serialization.load_pem_private_key(private_pem.encode(), password=None)
    return key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo).decode()


class TokenSigner:
    def __init__(self, private_pem: str, ttl_seconds: int) -> None:
        key = serialization.load_pem_private_key(private_pem.encode(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError("AUTH_PRIVATE_KEY must be an Ed25519 private key (PEM)")
        self._key = key
        self.ttl_seconds = ttl_seconds

    def sign(self, user_id: str, username: str, session_id: str = "") -> str:
        now = int(time.time())
        payload = {
            "sub": user_id, "username": username, "iss": ISSUER, "sid": session_id,
            "iat": now, "exp": now + self.ttl_seconds, "jti": uuid.uuid4().hex,
        }
        return jwt.encode(payload, self._key, algorithm=ALGORITHM)


class _Cache:
    """Verified claims by token, bounded; an expired entry is an expired token."""

    def __init__(self, size: int = _CACHE_SIZE) -> None:
        self._size = size
        self._claims: OrderedDict[str, Claims] = OrderedDict()

    def get(self, token: str) -> Claims | None:
        claims = self._claims.get(token)
        if claims is not None and claims.expires_at <= time.time():
            del self._claims[token]
            raise Unauthenticated("token expired")
        return claims

    def put(self, token: str, claims: Claims) -> None:
        self._claims[token] = claims
        if len(self._claims) > self._size:
            self._claims.popitem(last=False)


class _Verifier:
    """What both kinds of token verifier share: the claims of the tokens they already verified."""

    _cache: _Cache

    def cached(self, token: str) -> Claims | None:
        """The claims of a token this verifier already verified (Unauthenticated once it has expired)."""
        return self._cache.get(token)


class TokenVerifier(_Verifier):
    """Verifies user access tokens with the auth service's public key."""

    def __init__(self, public_pem: str) -> None:
        key = serialization.load_pem_public_key(public_pem.encode())
        if not isinstance(key, Ed25519PublicKey):
            raise ValueError("AUTH_PUBLIC_KEY must be an Ed25519 public key (PEM)")
        self._key = key
        self._cache = _Cache()

    def verify(self, token: str) -> Claims:
        cached = self._cache.get(token)
        if cached is not None:
            return cached
        try:
            payload = jwt.decode(
                token, self._key, algorithms=[ALGORITHM], issuer=ISSUER,
                options={"require": ["sub", "exp", "iat", "iss"]},
            )
        except jwt.ExpiredSignatureError:
            raise Unauthenticated("access token expired") from None
        except jwt.PyJWTError:
            raise Unauthenticated("invalid access token") from None
        claims = Claims(user_id=str(payload["sub"]), username=str(payload.get("username", "")),
                        expires_at=int(payload["exp"]), session_id=str(payload.get("sid", "")))
        self._cache.put(token, claims)
        return claims


class InternalTokens(_Verifier):
    """Mints and verifies the tokens processes of one system present to each other."""

    def __init__(self, key: str, process: str) -> None:
        if len(key) < 32:
            raise ValueError("INTERNAL_TOKEN_KEY must be at least 32 characters")
        self._key = key
        self._process = process
        self._minted: dict[tuple[str, str, str], tuple[str, float]] = {}
        self._cache = _Cache()

    def mint(self, user_id: str, username: str, session_id: str = "") -> str:
        """A token naming this process and, if any, the user it calls for; reused while far from expiry."""
        key = (user_id, username, session_id)
        now = time.time()
        minted = self._minted.get(key)
        if minted is not None and minted[1] - now > _INTERNAL_TTL_S / 2:
            return minted[0]
        expires = int(now) + _INTERNAL_TTL_S
        token = jwt.encode({"iss": INTERNAL_ISSUER, "svc": self._process, "sub": user_id, "username": username,
                            "sid": session_id, "exp": expires}, self._key, algorithm=INTERNAL_ALGORITHM)
        if len(self._minted) > _CACHE_SIZE:
            self._minted.clear()
        self._minted[key] = (token, expires)
        return token

    def mint_event(self, topic: str, event_id: str, value: bytes, user_id: str = "", username: str = "",
                   session_id: str = "") -> str:
        """The token of one domain event record: this process published exactly these bytes to `topic`."""
        return jwt.encode({"iss": INTERNAL_ISSUER, "svc": self._process, "sub": user_id, "username": username,
                           "sid": session_id, "exp": int(time.time()) + EVENT_TOKEN_TTL_S,
                           "evt": _event_binding(topic, event_id, value)}, self._key, algorithm=INTERNAL_ALGORITHM)

    def verify_event(self, token: str, topic: str, event_id: str, value: bytes) -> Claims:
        """Who published this record; Unauthenticated unless the token was minted for exactly it."""
        try:
            payload = jwt.decode(token, self._key, algorithms=[INTERNAL_ALGORITHM], issuer=INTERNAL_ISSUER,
                                 options={"require": ["svc", "exp", "iss", "evt"]})
        except jwt.ExpiredSignatureError:
            raise Unauthenticated("event token expired") from None
        except jwt.PyJWTError:
            raise Unauthenticated("invalid event token") from None
        if not event_id or payload["evt"] != _event_binding(topic, event_id, value):
            raise Unauthenticated("the event token was not minted for this record")
        return Claims(user_id=str(payload.get("sub", "")), username=str(payload.get("username", "")),
                      expires_at=int(payload["exp"]), caller=str(payload["svc"]),
                      session_id=str(payload.get("sid", "")))

    def verify(self, token: str) -> Claims:
        cached = self._cache.get(token)
        if cached is not None:
            return cached
        try:
            payload = jwt.decode(token, self._key, algorithms=[INTERNAL_ALGORITHM], issuer=INTERNAL_ISSUER,
                                 options={"require": ["svc", "exp", "iss"]})
        except jwt.ExpiredSignatureError:
            raise Unauthenticated("internal token expired") from None
        except jwt.PyJWTError:
            raise Unauthenticated("invalid internal token") from None
        claims = Claims(user_id=str(payload.get("sub", "")), username=str(payload.get("username", "")),
                        expires_at=int(payload["exp"]), caller=str(payload["svc"]),
                        session_id=str(payload.get("sid", "")))
        self._cache.put(token, claims)
        return claims


def _event_binding(topic: str, event_id: str, value: bytes) -> str:
    digest = hashlib.sha256(b"\0".join((topic.encode(), event_id.encode(), value))).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


class Revocations:
    """Sessions and users whose tokens no longer count, each for as long as a token of theirs could live."""

    def __init__(self, token_ttl_s: float, max_entries: int = _CACHE_SIZE * 10) -> None:
        self._ttl = token_ttl_s
        self._max = max_entries
        self._sessions: OrderedDict[str, float] = OrderedDict()
        self._users: OrderedDict[str, float] = OrderedDict()

    def revoke_session(self, session_id: str) -> None:
        self._add(self._sessions, session_id)

    def revoke_user(self, user_id: str) -> None:
        self._add(self._users, user_id)

    def _add(self, entries: OrderedDict[str, float], key: str) -> None:
        if not key:
            return
        now = time.time()
        entries[key] = now + self._ttl
        entries.move_to_end(key)
        while entries and (len(entries) > self._max or next(iter(entries.values())) < now):
            entries.popitem(last=False)

    def check(self, claims: Claims) -> Claims:
        now = time.time()
        if claims.session_id and self._sessions.get(claims.session_id, 0) > now:
            raise Unauthenticated("this session has ended: sign in again")
        if claims.user_id and self._users.get(claims.user_id, 0) > now:
            raise Unauthenticated("this account no longer exists")
        return claims


class Identities:
    """Who is calling, from the bearer token of a call: a user's access token or another process's token."""

    def __init__(self, internal: InternalTokens, users: TokenVerifier | None,
                 revocations: Revocations | None = None) -> None:
        self.internal = internal
        self.users = users
        self.revocations = revocations or Revocations(token_ttl_s=3600)

    def set_user_verifier(self, verifier: TokenVerifier) -> None:
        self.users = verifier

    def verify_user(self, token: str) -> Claims:
        """A user's own access token (what the public edge accepts)."""
        if self.users is None:
            raise Unauthenticated("this process cannot verify access tokens (AUTH_PUBLIC_KEY is not set)")
        return self.revocations.check(self.users.verify(token))

    def verify(self, token: str) -> Claims:
        # A token seen before is answered from its verifier's cache, without decoding its header again (most calls
        # a service serves carry the few internal tokens the gateway reuses).
        known = self.internal.cached(token) or (self.users.cached(token) if self.users is not None else None)
        if known is not None:
            return self.revocations.check(known)
        try:
            algorithm = jwt.get_unverified_header(token).get("alg")
        except jwt.PyJWTError:
            raise Unauthenticated("invalid token") from None
        if algorithm == INTERNAL_ALGORITHM:
            return self.revocations.check(self.internal.verify(token))
        return self.verify_user(token)
