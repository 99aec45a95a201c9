"""Access tokens: EdDSA-signed JWTs, issued by auth and verified locally by the gateway."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from internal.common.errors import Unauthenticated

ALGORITHM = "EdDSA"
ISSUER = "trident-auth"


@dataclass(frozen=True)
class Claims:
    user_id: str
    username: str
    expires_at: int


def generate_private_key_pem() -> str:
    key = Ed25519PrivateKey.generate()
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def public_key_pem(private_pem: str) -> str:
    key = serialization.load_pem_private_key(private_pem.encode(), password=None)
    return key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


class TokenSigner:
    def __init__(self, private_pem: str, ttl_seconds: int) -> None:
        key = serialization.load_pem_private_key(private_pem.encode(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError("AUTH_PRIVATE_KEY must be an Ed25519 private key (PEM)")
        self._key = key
        self.ttl_seconds = ttl_seconds

    def sign(self, user_id: str, username: str) -> str:
        now = int(time.time())
        payload = {
            "sub": user_id, "username": username, "iss": ISSUER,
            "iat": now, "exp": now + self.ttl_seconds, "jti": uuid.uuid4().hex,
        }
        return jwt.encode(payload, self._key, algorithm=ALGORITHM)


class TokenVerifier:
    def __init__(self, public_pem: str) -> None:
        key = serialization.load_pem_public_key(public_pem.encode())
        if not isinstance(key, Ed25519PublicKey):
            raise ValueError("AUTH_PUBLIC_KEY must be an Ed25519 public key (PEM)")
        self._key = key

    def verify(self, token: str) -> Claims:
        try:
            payload = jwt.decode(
                token, self._key, algorithms=[ALGORITHM], issuer=ISSUER,
                options={"require": ["sub", "exp", "iat", "iss"]},
            )
        except jwt.ExpiredSignatureError:
            raise Unauthenticated("access token expired") from None
        except jwt.PyJWTError:
            raise Unauthenticated("invalid access token") from None
        return Claims(user_id=str(payload["sub"]), username=str(payload.get("username", "")), expires_at=int(payload["exp"]))
