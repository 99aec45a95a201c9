"""`trident call` and `trident kafka`: call any method of a running `trident up` straight over REST, gRPC or events.

What grpcurl is for gRPC, for every transport: the addresses come from the state directory's up.json, the request
is the method's proto3 JSON, and the call goes through the framework's own transport clients and codecs, with
the user's access token (services accept no other credentials from outside the system).
"""

from __future__ import annotations

import asyncio
import getpass
import json
import os
import secrets
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import aiohttp
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError
from google.protobuf import json_format

from internal.common import mq
from internal.common.config import Peer, Settings
from internal.common.contract import Contract, MethodBinding, to_json
from internal.common.errors import TridentError, Unavailable
from internal.common.pipeline import Middleware, Operation, call_budget
from internal.common.sender import Sender, TransportClient
from internal.common.sender.events import EventsClient
from internal.common.sender.grpc import GrpcClient
from internal.common.sender.rest import RestClient
from internal.common.service import TRANSPORTS, CallContext, Handler
from internal.common.tokens import InternalTokens

OK, ERROR, USAGE = 0, 1, 2
CALLER = "trident-call"
NO_TOKEN = (
    "services take a user's access token, not a password: pass --token TOKEN (or TRIDENT_TOKEN), or\n"
    "--login USER[:PASSWORD] to sign in through the gateway first. A token comes from signing up or in:\n"
    "  curl -s -X POST {gateway}/rest/login -H 'Content-Type: application/json' \\\n"
    "       -d '{{\"username\": \"…\", \"password\": \"…\"}}'   # its access_token"
)


class UsageError(Exception):
    """The command line, the request or the environment is wrong: said in one line, exit status 2."""


@dataclass(frozen=True)
class Outcome:
    service: str
    method: str
    transport: str
    elapsed_ms: float
    reply: dict[str, Any]
    error: TridentError | None = None

    @property
    def code(self) -> str:
        return "OK" if self.error is None else self.error.code.name


def read_up_json(state_dir: Path) -> dict[str, Any]:
    path = state_dir / "up.json"
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise UsageError(f"no running system: {path} does not exist (start one with `make run` or `trident up`, "
                         "or pass the --state-dir it uses)") from None
    except (OSError, ValueError) as exc:
        raise UsageError(f"cannot read {path}: {exc}") from None
    if not isinstance(data, dict) or "services" not in data:
        raise UsageError(f"{path} is not the up.json of `trident up`")
    return data


def bootstrap_servers(state_dir: Path) -> str:
    return str(read_up_json(state_dir)["kafka"]["bootstrap_servers"])


def resolve(contract: Contract, service: str, method: str) -> MethodBinding:
    """The binding of `service.method`; the method as in the proto (`GetPicture`) or lowerCamel (`getPicture`)."""
    if service not in contract.services:
        raise UsageError(f"no service {service!r}; the services are {', '.join(sorted(contract.services))}")
    methods = contract.services[service].methods
    binding = methods.get(method) or next((b for n, b in methods.items() if n.lower() == method.lower()), None)
    if binding is None:
        raise UsageError(f"{service} has no method {method!r}; its methods are {', '.join(methods)}")
    return binding


def parse_request(binding: MethodBinding, text: str) -> Any:
    try:
        return json_format.Parse(text or "{}", binding.request_type())
    except json_format.ParseError as exc:
        raise UsageError(f"the request is not a {binding.request_type.DESCRIPTOR.full_name} in proto3 JSON: {exc}") \
            from None


def with_credentials(token: str) -> Middleware:
    """The call carries the user's own access token; the CLI has no identity the services would accept."""

    def middleware(op: Operation, next_: Handler) -> Handler:
        async def handle(request: Any, ctx: CallContext) -> Any:
            return await next_(request, ctx.evolve(credentials=token))

        return handle

    return middleware


def cli_settings(info: dict[str, Any], timeout_s: float) -> Settings:
    kafka = info.get("kafka", {})
    peers = {}
    for name, addr in info["services"].items():
        instances = list(addr.get("instances", {name: addr}).values())
        peers[name] = Peer(rest_url=",".join(i["rest"] for i in instances),
                           grpc_target=",".join(i["grpc"] for i in instances))
    return Settings(service_name=CALLER, peers=peers, call_timeout_ms=int(timeout_s * 1000),
                    kafka_bootstrap_servers=str(kafka.get("bootstrap_servers", "")),
                    kafka_reply_topic=str(kafka.get("reply_topic", "results")),
                    kafka_fetch_max_wait_ms=20)


async def call(contract: Contract, info: dict[str, Any], binding: MethodBinding, request: Any, transport: str,
               token: str, timeout_s: float) -> Outcome:
    settings = cli_settings(info, timeout_s)
    producer: AIOKafkaProducer | None = None
    transports: dict[str, TransportClient] = {}
    # Only the chosen transport's client: a REST call needs no Kafka connection.
    if transport == "rest":
        transports["rest"] = RestClient(settings)
    elif transport == "grpc":
        transports["grpc"] = GrpcClient(settings)
    try:
        if transport == "events":
            if not settings.kafka_bootstrap_servers:
                raise UsageError("up.json names no Kafka bootstrap servers")
            producer = mq.new_producer(settings)
            await producer.start()
            events = EventsClient(settings, producer)
            transports["events"] = events
            await events.start()
        # Its own internal key signs nothing anyone accepts; the pipeline sends the user's token instead.
        internal = InternalTokens(secrets.token_urlsafe(32), CALLER)
        sender = Sender(settings, contract, transports, internal, producer,
                        middlewares=[with_credentials(token), call_budget(timeout_s)])
        started = time.perf_counter()
        try:
            response = await sender.call(binding.service, binding.name, request, CallContext(transport=transport))
            return Outcome(binding.service, binding.name, transport, _ms(started), to_json(response))
        except TridentError as exc:
            return Outcome(binding.service, binding.name, transport, _ms(started), exc.to_dict(), exc)
    except (OSError, KafkaError) as exc:
        error = Unavailable(f"cannot reach {binding.service} over {transport}: {type(exc).__name__}: {exc}")
        return Outcome(binding.service, binding.name, transport, 0.0, error.to_dict(), error)
    finally:
        for client in transports.values():
            await client.aclose()
        if producer is not None:
            await producer.stop()


async def login(gateway: str, username: str, password: str, timeout_s: float) -> str:
    """An access token from the gateway's public `/rest/login`, as the web app signs in."""
    url = gateway.rstrip("/") + "/rest/login"
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout_s)) as session:
            async with session.post(url, json={"username": username, "password": password}) as response:
                body = await response.json(content_type=None)
    except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
        raise LoginError(f"cannot sign in at {url}: {type(exc).__name__} {exc}") from None
    if response.status != 200 or not isinstance(body, dict) or "access_token" not in body:
        error = TridentError.from_dict(body, response.status)
        raise LoginError(f"signing in as {username} failed: {error.code.name}: {error.message}")
    return str(body["access_token"])


class LoginError(Exception):
    """The gateway refused the sign-in: an error reply, exit status 1."""


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000


def report(outcome: Outcome, out: TextIO, err: TextIO) -> int:
    """The reply (or the error model) as JSON on stdout, so it pipes into jq; the status and timing on stderr."""
    print(json.dumps(outcome.reply, indent=2, ensure_ascii=False), file=out)
    print(f"{outcome.code}  {outcome.service}.{outcome.method} over {outcome.transport}  "
          f"{outcome.elapsed_ms:.1f} ms", file=err)
    return OK if outcome.error is None else ERROR


def run(contract: Contract, state_dir: Path, service: str, method: str, request_json: str, transport: str,
        token: str, login_as: str, timeout_s: float) -> int:
    """`trident call`: the exit status is 0 for an OK reply, 1 for an error reply, 2 for a usage error."""
    try:
        if transport not in TRANSPORTS:
            raise UsageError(f"unknown transport {transport!r}; use one of {', '.join(TRANSPORTS)}")
        info = read_up_json(state_dir)
        binding = resolve(contract, service, method)
        request = parse_request(binding, request_json)
        if token and login_as:
            raise UsageError("give either --token or --login, not both")
        if not login_as:
            token = token or os.environ.get("TRIDENT_TOKEN", "")
        else:
            username, colon, password = login_as.partition(":")
            if not colon:
                if not sys.stdin.isatty():
                    raise UsageError("--login USER without :PASSWORD asks for the password, but stdin is no terminal")
                password = getpass.getpass(f"password for {username}: ")
            try:
                token = asyncio.run(login(str(info["gateway"]), username, password, timeout_s))
            except LoginError as exc:
                print(f"trident call: {exc}", file=sys.stderr)
                return ERROR
        if not token:
            raise UsageError(NO_TOKEN.format(gateway=info["gateway"]))
    except UsageError as exc:
        print(f"trident call: {exc}", file=sys.stderr)
        return USAGE
    try:
        outcome = asyncio.run(call(contract, info, binding, request, transport, token, timeout_s))
    except UsageError as exc:
        print(f"trident call: {exc}", file=sys.stderr)
        return USAGE
    return report(outcome, sys.stdout, sys.stderr)


def kafka_bootstrap(state_dir: Path) -> int:
    try:
        print(bootstrap_servers(state_dir))
    except UsageError as exc:
        print(f"trident kafka: {exc}", file=sys.stderr)
        return USAGE
    return OK
