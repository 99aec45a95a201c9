"""`trident up --one-process`: the same parity tests, run against every service and the gateway in one OS process.

The tests below are the suite's own functions, imported: here the `system` they ask for is a one-process one.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import RunningSystem, start_system, stop_system
from tests.test_accounts import (  # noqa: F401 - collected here, against the one-process system
    test_account_lifecycle,
    test_bad_tokens_are_401_over_every_transport,
    test_duplicate_username_is_409_over_every_transport,
    test_every_transport_gives_the_same_shapes,
    test_invalid_signup_is_400_naming_the_field,
    test_wrong_password_and_unknown_user_are_the_same_401,
)
from tests.test_grpc_direct import test_a_call_built_only_from_reflection_works, test_health_says_serving  # noqa: F401
from tests.test_kafka_direct import (  # noqa: F401
    test_kcat_creates_a_picture_through_the_pictures_topic,
    test_kcat_login_gets_tokens_on_results,
)
from tests.test_pictures import (  # noqa: F401
    test_another_users_picture_is_not_found_over_every_transport,
    test_deleting_the_account_removes_its_pictures,
    test_invalid_uploads_are_400_over_every_transport,
    test_listing_is_newest_first_paginated_and_without_bytes,
    test_png_and_jpeg_round_trip_byte_for_byte,
)


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSystem]:
    running = start_system(tmp_path_factory.mktemp("one-process"), extra_env={"TRIDENT_ONE_PROCESS": "1"})
    try:
        yield running
    finally:
        stop_system(running)


def test_every_service_and_the_gateway_listen_in_one_os_process(system: RunningSystem) -> None:
    assert system.info["one_process"] is True
    assert list(system.info["pids"]) == ["all"]
    listening = listening_ports(system.info["pids"]["all"])
    ports = [int(system.gateway_url.rsplit(":", 1)[1])]
    for service in ("users", "auth", "pictures", "analytics"):
        ports += [int(system.rest_url(service).rsplit(":", 1)[1]), int(system.grpc_target(service).rsplit(":", 1)[1])]
    assert set(ports) <= listening


def listening_ports(pid: int) -> set[int]:
    """The TCP ports `pid` listens on: its socket inodes matched against /proc/net/tcp's LISTEN rows."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:  # closed meanwhile
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for row in Path(table).read_text().splitlines()[1:]:
            fields = row.split()
            if fields[3] == "0A" and fields[9] in inodes:
                ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports
