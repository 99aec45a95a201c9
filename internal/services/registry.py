"""The application as the framework runs it: its processes, its contract, its development secrets."""

from __future__ import annotations

import os
from pathlib import Path

from internal.common.runtime import Registry
from internal.common.runtime.launcher import kept_secret
from internal.common.tokens import generate_private_key_pem, public_key_pem
from internal.services import analytics, auth, gateway, pictures, users

# Importing the services imported their generated proto modules, which the contract is read from.
SIGNING_KEY_FILE = "auth-signing-key.pem"


def dev_environment(state_dir: Path) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    """The auth signing key of `trident up`: AUTH_PRIVATE_KEY when set, else one kept in the state directory.

    Kept across runs (mode 0600), so a restart does not sign everyone out.
    """
    private_pem = os.environ.get("AUTH_PRIVATE_KEY") or kept_secret(state_dir / SIGNING_KEY_FILE,
                                                                     generate_private_key_pem)
    return {"AUTH_PUBLIC_KEY": public_key_pem(private_pem)}, {"auth": {"AUTH_PRIVATE_KEY": private_pem}}


REGISTRY = Registry(
    services=[users.SERVICE, auth.SERVICE, pictures.SERVICE, analytics.SERVICE, gateway.SERVICE],
    dev_environment=dev_environment,
)
