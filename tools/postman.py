"""The Postman collection and environment for the gateway, and the gRPC examples, generated from the route table.

`python -m internal.services.gateway.postman` writes them into api/postman/; tests/postman/test_newman.py checks
that the committed files are what this module produces, and runs the collection with newman.

The collection has one folder per transport (rest, grpc, events). Each folder signs up a fresh user and walks
every gateway route in `routes()`, with a few error cases, in an order where each request has what it needs:
the signup/login/refresh scripts store `access_token` and `refresh_token` in the environment, createPicture
stores `picture_id`, and the authenticated requests send `Authorization: Bearer {{access_token}}`.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import sys
import textwrap
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from api.gen import analytics_pb2, auth_pb2, pictures_pb2, users_pb2
from internal.common.contract import Contract, PublicRoute
from internal.common.service import TRANSPORTS
from tools import ROOT, load_app_protos

SCHEMA = "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"
DEFAULT_BASE_URL = "http://127.0.0.1:8080"
COLLECTION_PATH = "postman/trident.postman_collection.json"
ENVIRONMENT_PATH = "postman/trident.postman_environment.json"
GRPC_EXAMPLES_PATH = "postman/grpc-examples.json"
_NAMESPACE = uuid.UUID("6f1f0d5c-2b8e-4f43-9a55-7d1c1e0b9a2f")  # stable ids, so regenerating changes nothing

# A real 1x1 PNG (one blue pixel), and bytes that are no image at all.
PNG_BASE64 = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR42mPQazsIAAJbAXYK9nzKAAAAAElFTkSuQmCC"
PNG_BYTES = base64.b64decode(PNG_BASE64)
PNG_SHA256 = hashlib.sha256(PNG_BYTES).hexdigest()
NOT_AN_IMAGE_BASE64 = base64.b64encode(b"this is plain text, not an image").decode()

# `make run` (trident up with --port-base 8080): service gRPC ports are base + 1001 + index.
GRPC_TARGETS = {
    "users": "127.0.0.1:9081",
    "auth": "127.0.0.1:9082",
    "pictures": "127.0.0.1:9083",
    "analytics": "127.0.0.1:9084",
}
GRPC_SERVICES = {
    "users": users_pb2.DESCRIPTOR.services_by_name["Users"],
    "auth": auth_pb2.DESCRIPTOR.services_by_name["Auth"],
    "pictures": pictures_pb2.DESCRIPTOR.services_by_name["Pictures"],
    "analytics": analytics_pb2.DESCRIPTOR.services_by_name["Analytics"],
}


def _js(*sources: str) -> str:
    """JavaScript snippets, each dedented on its own, one after the other."""
    return "\n".join(textwrap.dedent(s).strip("\n") for s in sources if s.strip())


@dataclass(frozen=True)
class Step:
    """One request of a transport folder: a route, what to send and what the response must be."""

    route: str
    name: str = ""  # defaults to the route name
    status: int | None = None  # defaults to the route's success status
    error_code: str = ""  # the expected {"error": {"code"}} of an error case
    # Answers that are all right where the outcome depends on timing (e.g. a revocation still on its way).
    also: tuple[tuple[int, str], ...] = ()
    body: dict[str, Any] | None = None
    query: dict[str, str] = field(default_factory=dict)
    picture_id: str = "{{picture_id}}"  # the value of {id} in the path
    send_token: bool = True  # False: an authenticated route called without a token
    prerequest: str = ""
    tests: str = ""
    description: str = ""


_TOKEN_PAIR_TESTS = """
    const body = pm.response.json();
    pm.test("returns a bearer token pair", function () {
        pm.expect(body.access_token).to.be.a("string").and.not.empty;
        pm.expect(body.refresh_token).to.be.a("string").and.not.empty;
        pm.expect(body.token_type).to.eql("Bearer");
        pm.expect(body.expires_in).to.be.above(0);
    });
"""
_STORE_TOKENS = """
    pm.environment.set("access_token", body.access_token);
    pm.environment.set("refresh_token", body.refresh_token);
"""

_PICTURE_TESTS = f"""
    const picture = pm.response.json();
    pm.test("returns the picture's metadata", function () {{
        pm.expect(picture.id).to.match(/^[0-9a-f-]{{36}}$/);
        pm.expect(picture.title).to.eql(pm.environment.get("picture_title"));
        pm.expect(picture.user_id).to.eql(pm.environment.get("user_id"));
        pm.expect(picture.content_type).to.eql("image/png");
        pm.expect(picture.size).to.eql({len(PNG_BYTES)});
        pm.expect(picture.sha256).to.eql("{PNG_SHA256}");
        pm.expect(picture.created_at).to.be.a("string").and.not.empty;
    }});
"""

SCENARIO: tuple[Step, ...] = (
    Step(
        "signup",
        prerequest="""
        // A username no earlier run has taken.
        const username = "pm_" + Date.now().toString(36) + "_" + Math.random().toString(36).slice(2, 10);
        pm.environment.set("username", username);
        if (!pm.environment.get("password")) { pm.environment.set("password", "correct horse battery"); }
        pm.environment.set("picture_title", "postman " + username);
    """,
        tests=_js(_TOKEN_PAIR_TESTS, _STORE_TOKENS),
        body={"username": "{{username}}", "password": "{{password}}"},
    ),
    Step(
        "login",
        body={"username": "{{username}}", "password": "{{password}}"},
        tests=_js(_TOKEN_PAIR_TESTS, _STORE_TOKENS),
    ),
    Step(
        "me",
        tests="""
        const user = pm.response.json();
        pm.test("returns the signed-in user", function () {
            pm.expect(user.id).to.match(/^[0-9a-f-]{36}$/);
            pm.expect(user.username).to.eql(pm.environment.get("username"));
            pm.expect(user.created_at).to.be.a("string").and.not.empty;
        });
        pm.environment.set("user_id", user.id);
    """,
    ),
    Step(
        "refresh",
        body={"refresh_token": "{{refresh_token}}"},
        tests=_js(
            _TOKEN_PAIR_TESTS,
            """
        pm.test("rotates the refresh token", function () {
            pm.expect(body.refresh_token).to.not.eql(pm.environment.get("refresh_token"));
        });
    """,
            _STORE_TOKENS,
        ),
    ),
    Step(
        "createPicture",
        body={"title": "{{picture_title}}", "base64": PNG_BASE64},
        tests=_js(
            _PICTURE_TESTS,
            """
        pm.test("does not echo the image bytes", function () { pm.expect(picture).to.not.have.property("base64"); });
        pm.environment.set("picture_id", picture.id);
    """,
        ),
    ),
    Step(
        "listPictures",
        query={"page_size": "10"},
        tests="""
        const page = pm.response.json();
        pm.test("lists the new picture, without image bytes", function () {
            pm.expect(page.pictures).to.be.an("array").with.lengthOf(1);
            pm.expect(page.pictures[0].id).to.eql(pm.environment.get("picture_id"));
            pm.expect(page.pictures[0]).to.not.have.property("base64");
            pm.expect(page).to.not.have.property("next_page_token");
        });
    """,
    ),
    Step(
        "getPicture",
        tests=_js(
            _PICTURE_TESTS,
            f"""
        pm.test("returns the image as base64", function () {{
            pm.expect(picture.id).to.eql(pm.environment.get("picture_id"));
            pm.expect(picture.base64).to.eql("{PNG_BASE64}");
        }});
    """,
        ),
    ),
    Step(
        "getPictureRaw",
        description="The token goes in ?access_token=, as an <img src> sends it.",
        tests=f"""
        pm.test("returns the PNG bytes", function () {{
            pm.expect(pm.response.headers.get("Content-Type")).to.include("image/png");
            pm.expect(pm.response.stream.length).to.eql({len(PNG_BYTES)});
            pm.expect(pm.response.headers.get("ETag")).to.eql('"{PNG_SHA256}"');
        }});
    """,
    ),
    Step(
        "getThumbnail",
        description="A WebP of at most 320×320 pixels, made when the picture was created.",
        tests="""
        pm.test("returns a WebP thumbnail", function () {
            pm.expect(pm.response.headers.get("Content-Type")).to.include("image/webp");
            pm.expect(pm.response.headers.get("X-Content-Type-Options")).to.eql("nosniff");
            pm.expect(pm.response.stream.length).to.be.above(0);
        });
    """,
    ),
    Step(
        "analytics",
        query={"limit": "20"},
        tests="""
        const body = pm.response.json();
        // Call logs reach analytics asynchronously, and proto3 JSON omits empty lists.
        pm.test("returns call logs and statistics", function () {
            pm.expect(body.logs || []).to.be.an("array");
            pm.expect(body.stats || []).to.be.an("array");
            (body.logs || []).forEach(function (log) {
                pm.expect(log).to.include.keys("transport", "service", "method", "status", "time");
            });
        });
    """,
    ),
    Step(
        "trace",
        name="trace no call of yours has (404)",
        status=404,
        error_code="NOT_FOUND",
        # W3C's example trace id: a trace no call of this user's has.
        prerequest='pm.environment.set("trace_id", "4bf92f3577b34da6a3ce929d0e0e4736");',
    ),
    Step("me", name="me without a token (401)", send_token=False, status=401, error_code="UNAUTHENTICATED"),
    Step(
        "createPicture",
        name="createPicture not an image (400)",
        status=400,
        error_code="INVALID_ARGUMENT",
        body={"title": "not an image", "base64": NOT_AN_IMAGE_BASE64},
    ),
    Step("getPicture", name="getPicture unknown id (404)", picture_id="{{$guid}}", status=404, error_code="NOT_FOUND"),
    Step("deletePicture"),
    Step("getPicture", name="getPicture after delete (404)", status=404, error_code="NOT_FOUND"),
    Step("logout", body={"refresh_token": "{{refresh_token}}"}),
    Step(
        "refresh",
        name="refresh after logout (401)",
        body={"refresh_token": "{{refresh_token}}"},
        status=401,
        error_code="UNAUTHENTICATED",
    ),
    # Logout ended the session: its access token stops working everywhere within moments. Sign in again.
    Step(
        "login",
        name="login again",
        body={"username": "{{username}}", "password": "{{password}}"},
        tests=_js(_TOKEN_PAIR_TESTS, _STORE_TOKENS),
    ),
    Step("deleteMe"),
    # The account is gone: NOT_FOUND, or UNAUTHENTICATED once the deletion has reached the gateway.
    Step("me", name="me after deleteMe", status=404, error_code="NOT_FOUND", also=((401, "UNAUTHENTICATED"),)),
)


def _uid(*parts: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, "/".join(parts)))


def _script(listen: str, source: str) -> dict[str, Any]:
    return {"listen": listen, "script": {"type": "text/javascript", "exec": _js(source).splitlines()}}


def _request_item(route: PublicRoute, step: Step, transport: str) -> dict[str, Any]:
    status = step.status if step.status is not None else route.status
    segments = [transport, *(("{{picture_id}}" if s == "{id}" else s) for s in route.path.strip("/").split("/"))]
    segments = [step.picture_id if s == "{{picture_id}}" else "{{trace_id}}" if s == "{trace_id}" else s
                for s in segments]
    query = [{"key": k, "value": v} for k, v in step.query.items()]
    headers: list[dict[str, str]] = []
    auth: dict[str, Any] = {"type": "noauth"}
    if route.auth and step.send_token:
        auth = {"type": "bearer", "bearer": [{"key": "token", "value": "{{access_token}}", "type": "string"}]}
    raw_url = "{{baseUrl}}/" + "/".join(segments)
    if query:
        raw_url += "?" + "&".join(f"{q['key']}={q['value']}" for q in query)
    url: dict[str, Any] = {"raw": raw_url, "host": ["{{baseUrl}}"], "path": segments}
    if query:
        url["query"] = query
    request: dict[str, Any] = {"method": route.http_method, "auth": auth, "header": headers, "url": url}
    if route.http_method in ("POST", "PUT", "PATCH"):
        headers.append({"key": "Content-Type", "value": "application/json"})
        request["body"] = {
            "mode": "raw",
            "raw": json.dumps(step.body or {}, indent=2),
            "options": {"raw": {"language": "json"}},
        }
    description = (
        route.summary
        + f" ({route.http_method} /{{transport}}{route.path}, answered by the {route.target.service} service)."
    )
    if step.description:
        description += " " + step.description
    request["description"] = description

    answered = f"""
        pm.test("answered over {transport}", function () {{
            pm.expect(pm.response.headers.get("X-Trident-Transport")).to.eql("{transport}");
        }});
    """
    if step.also:
        answers = json.dumps([[status, step.error_code], *[list(a) for a in step.also]])
        named = " or ".join(f"{s} {c}" for s, c in [(status, step.error_code), *step.also])
        tests = f"""
        pm.test("answers {named}", function () {{
            const body = pm.response.json();
            const got = [pm.response.code, body.error ? body.error.code : ""];
            pm.expect({answers}.map(JSON.stringify)).to.include(JSON.stringify(got));
        }});
    """ + answered
    else:
        tests = f"""
        pm.test("status is {status}", function () {{ pm.response.to.have.status({status}); }});
    """ + answered
        if step.error_code:
            tests += f"""
        pm.test("error code is {step.error_code}", function () {{
            pm.expect(pm.response.json().error.code).to.eql("{step.error_code}");
        }});
        """
        elif status == 204:
            tests += """
        pm.test("has no body", function () { pm.expect(pm.response.text()).to.eql(""); });
        """
    tests = _js(tests, step.tests)
    events = []
    if step.prerequest:
        events.append(_script("prerequest", step.prerequest))
    events.append(_script("test", tests))
    name = step.name or route.name
    return {"id": _uid(transport, name), "name": name, "event": events, "request": request, "response": []}


def _generic_step(route: PublicRoute) -> Step:
    """A route the scenario does not know yet: call it with an empty body and expect its success status."""
    return Step(route.name, body={} if route.http_method in ("POST", "PUT", "PATCH") else None)


def scenario(route_table: Sequence[PublicRoute]) -> list[tuple[PublicRoute, Step]]:
    """The steps of one transport folder: SCENARIO, then any route it does not cover (so every route is there)."""
    by_name = {r.name: r for r in route_table}
    unknown = [s.route for s in SCENARIO if s.route not in by_name]
    if unknown:
        raise ValueError(f"the Postman scenario names routes the gateway does not have: {unknown}")
    steps = [(by_name[s.route], s) for s in SCENARIO]
    covered = {s.route for s in SCENARIO}
    # Before the sign-out and the account's deletion, so that they run as a signed-in user.
    cleanup = next(i for i, (_, s) in enumerate(steps) if s.route == "logout")
    steps[cleanup:cleanup] = [(r, _generic_step(r)) for r in route_table if r.name not in covered]
    return steps


def collection(route_table: Sequence[PublicRoute] | None = None) -> dict[str, Any]:
    """The Postman v2.1 collection: one folder per transport, each walking every route."""
    route_table = route_table if route_table is not None else gateway_routes()
    folders = []
    for transport in TRANSPORTS:
        folders.append(
            {
                "id": _uid(transport),
                "name": transport,
                "description": f"Every gateway route at /{transport}/...: the gateway calls the services over "
                f"{transport}. Signs up a fresh user, then walks the API and cleans up after itself.",
                "item": [_request_item(route, step, transport) for route, step in scenario(route_table)],
            }
        )
    return {
        "info": {
            "_postman_id": _uid("collection"),
            "name": "Trident gateway",
            "description": "The Trident public API, generated from the gateway's route table by "
            "`python -m internal.services.gateway.postman`; do not edit by hand. "
            "Use it with the `Trident (local)` environment (api/postman/trident.postman_environment.json), "
            "whose `baseUrl` points at the gateway. See api/postman/README.md.",
            "schema": SCHEMA,
        },
        "item": folders,
    }


def environment() -> dict[str, Any]:
    values = [
        ("baseUrl", DEFAULT_BASE_URL, "default"),
        ("username", "", "default"),
        ("password", "correct horse battery", "secret"),
        ("access_token", "", "secret"),
        ("refresh_token", "", "secret"),
        ("user_id", "", "default"),
        ("picture_id", "", "default"),
        ("picture_title", "", "default"),
        ("trace_id", "", "default"),
    ]
    return {
        "id": _uid("environment"),
        "name": "Trident (local)",
        "values": [{"key": k, "value": v, "type": t, "enabled": True} for k, v, t in values],
        "_postman_variable_scope": "environment",
    }


# gRPC: requests for Postman's gRPC client (server reflection) or grpcurl, straight to a service.
EXAMPLE_USER_ID = "3f1c1a8e-5b7d-4c2a-9e43-2b0f6f0d8a11"
EXAMPLE_PICTURE_ID = "9b2d4c6e-1f3a-4b5c-8d7e-0a1b2c3d4e5f"
# Every call names its caller with a token: a user's access token (from the gateway's signup or login).
ACCESS_TOKEN = "Bearer <access_token from the gateway's /rest/login>"


@dataclass(frozen=True)
class GrpcExample:
    service: str
    method: str
    request: dict[str, Any]
    note: str
    read_only: bool = False  # safe to call against any running system as it is

    def as_dict(self) -> dict[str, Any]:
        full = GRPC_SERVICES[self.service].full_name
        return {
            "service": self.service,
            "target": GRPC_TARGETS[self.service],
            "method": f"{full}/{self.method}",
            "request": self.request,
            "metadata": {"authorization": ACCESS_TOKEN},
            "read_only": self.read_only,
            "note": self.note,
        }


GRPC_EXAMPLES: tuple[GrpcExample, ...] = (
    GrpcExample(
        "users",
        "CreateUser",
        {"username": "bob", "password": "correct horse battery"},
        "For the auth service only: PERMISSION_DENIED with a user's token.",
    ),
    GrpcExample(
        "users",
        "GetUser",
        {"id": EXAMPLE_USER_ID},
        "Your own account (the token's user); NOT_FOUND for anyone else.",
        read_only=True,
    ),
    GrpcExample("users", "GetUserByUsername", {"username": "alice"}, "By username."),
    GrpcExample(
        "users",
        "ValidatePassword",
        {"username": "alice", "password": "correct horse battery"},
        "Returns the user, or UNAUTHENTICATED.",
    ),
    GrpcExample(
        "users", "DeleteUser", {"id": EXAMPLE_USER_ID}, "Deletes the user; pictures follows the user.deleted event."
    ),
    GrpcExample(
        "auth",
        "Signup",
        {"username": "alice", "password": "correct horse battery"},
        "Create an account; returns a TokenPair.",
    ),
    GrpcExample("auth", "Login", {"username": "alice", "password": "correct horse battery"}, "Returns a TokenPair."),
    GrpcExample(
        "auth", "Refresh", {"refresh_token": "<refresh_token from Signup or Login>"}, "Rotates the refresh token."
    ),
    GrpcExample(
        "auth", "Logout", {"refresh_token": "<refresh_token from Signup or Login>"}, "Revokes the refresh token."
    ),
    GrpcExample(
        "auth",
        "ValidateToken",
        {"access_token": "<access_token from Signup or Login>"},
        "Returns the token's claims (user_id, username, expires_at).",
    ),
    GrpcExample("auth", "GetPublicKey", {}, "The key that verifies access tokens.", read_only=True),
    GrpcExample(
        "pictures",
        "CreatePicture",
        {"title": "one blue pixel", "base64": PNG_BASE64},
        "bytes travel base64-encoded in JSON; the owner is the token's user.",
    ),
    GrpcExample(
        "pictures", "ListPictures", {"page_size": 10}, "The token's user's pictures, newest first.", read_only=True
    ),
    GrpcExample("pictures", "GetPicture", {"id": EXAMPLE_PICTURE_ID}, "NOT_FOUND unless the token's user owns it."),
    GrpcExample("pictures", "GetThumbnail", {"id": EXAMPLE_PICTURE_ID}, "A WebP of at most 320×320 pixels."),
    GrpcExample("pictures", "DeletePicture", {"id": EXAMPLE_PICTURE_ID}, "Deletes one of the token's user's pictures."),
    GrpcExample(
        "analytics",
        "LogData",
        {"logs": [{
            "transport": "grpc",
            "service": "pictures",
            "method": "getPicture",
            "status": 200,
            "latency_ms": 12.5,
            "user_id": EXAMPLE_USER_ID,
            "time": "2025-01-01T12:00:00Z",
            "request_id": "0123456789abcdef0123456789abcdef",
        }]},
        "Records call logs: for the gateway only (PERMISSION_DENIED with a user's token).",
    ),
    GrpcExample(
        "analytics",
        "GetLogs",
        {"limit": 10, "transport": "grpc"},
        "Latest call logs and statistics, optionally filtered.",
        read_only=True,
    ),
    GrpcExample(
        "analytics",
        "GetTrace",
        {"trace_id": "<trace_id of one of your calls, from GetLogs>"},
        "The spans of one of your calls (NOT_FOUND for anyone else's).",
    ),
)


def grpc_examples() -> dict[str, Any]:
    missing = [
        f"{s.full_name}/{m.name}"
        for key, s in GRPC_SERVICES.items()
        for m in s.methods
        if not any(e.service == key and e.method == m.name for e in GRPC_EXAMPLES)
    ]
    if missing:
        raise ValueError(f"no gRPC example for {missing}")
    return {
        "description": "gRPC requests straight to each service (targets are the `make run` defaults). Services have "
        "server reflection. Every call needs the `authorization` metadata: `Bearer ` and a user's access token "
        "from the gateway's /rest/signup or /rest/login; services verify it themselves. Strings in "
        "<angle brackets> and the example UUIDs are placeholders.",
        "examples": [e.as_dict() for e in GRPC_EXAMPLES],
    }


def gateway_routes() -> list[PublicRoute]:
    load_app_protos()
    return list(Contract.load(ROOT / "configs" / "api.yml").public.values())


def documents() -> dict[str, str]:
    """The generated files, by their path in api/."""

    def dump(doc: dict[str, Any]) -> str:
        return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"

    return {
        COLLECTION_PATH: dump(collection()),
        ENVIRONMENT_PATH: dump(environment()),
        GRPC_EXAMPLES_PATH: dump(grpc_examples()),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Writes the Postman collection, environment and gRPC examples.")
    parser.add_argument("--check", action="store_true", help="only check that the committed files are up to date")
    args = parser.parse_args(argv)
    stale = []
    for relative, text in documents().items():
        path = ROOT / "api" / relative
        if path.exists() and path.read_text() == text:
            continue
        stale.append(relative)
        if not args.check:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            print(f"wrote {path}")
    if args.check and stale:
        print(f"out of date (run `make proto`): {', '.join(stale)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
