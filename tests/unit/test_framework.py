"""The framework in process: every transport's codec and the one pipeline, with no sockets (fast)."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from google.protobuf.empty_pb2 import Empty
from google.protobuf.timestamp_pb2 import Timestamp

from api.gen import pictures_pb2 as pb
from api.gen.clients import PicturesClient
from internal.common.contract import Contract, ContractError, to_json
from internal.common.errors import PAYLOAD_TOO_LARGE, InvalidArgument, NotFound, Unavailable, too_large
from internal.common.harness import Harness, with_user
from internal.common.pipeline import Operation, chain
from internal.common.service import TRANSPORTS, CallContext, ServiceSpec, Subscription, bind_handlers
from tests.conftest import CONTRACT, ROOT


class InMemoryPictures:
    """A pictures service kept in a dict: enough to exercise the framework around it."""

    def __init__(self) -> None:
        self.pictures: dict[str, pb.Picture] = {}
        self.list_failures = 0
        self.create_failures = 0
        self.calls: list[tuple[str, str]] = []

    async def create_picture(self, request: pb.CreatePictureRequest, ctx: CallContext) -> pb.Picture:
        user = ctx.require_user()
        self.calls.append(("create", ctx.transport))
        if self.create_failures:
            self.create_failures -= 1
            raise Unavailable("the database blinked")
        if len(request.base64) > 8:
            raise too_large("the image is over 8 bytes")
        if request.title == "boom":
            raise RuntimeError("a bug with a secret in it")
        created = Timestamp()
        created.FromSeconds(1_700_000_000)
        picture = pb.Picture(
            id=str(uuid.uuid4()),
            title=request.title,
            user_id=user,
            content_type="image/png",
            size=len(request.base64),
            created_at=created,
            base64=request.base64,
        )
        self.pictures[picture.id] = picture
        return picture

    async def list_pictures(self, request: pb.ListPicturesRequest, ctx: CallContext) -> pb.ListPicturesResponse:
        self.calls.append(("list", ctx.transport))
        if self.list_failures:
            self.list_failures -= 1
            raise Unavailable("the database blinked")
        user = ctx.require_user()
        return pb.ListPicturesResponse(pictures=[p for p in self.pictures.values() if p.user_id == user])

    async def get_picture(self, request: pb.GetPictureRequest, ctx: CallContext) -> pb.Picture:
        picture = self.pictures.get(request.id)
        if picture is None or picture.user_id != ctx.require_user():
            raise NotFound("picture not found")
        return picture

    async def get_thumbnail(self, request: pb.GetPictureRequest, ctx: CallContext) -> pb.Thumbnail:
        picture = await self.get_picture(request, ctx)
        return pb.Thumbnail(data=picture.base64[:4], content_type="image/webp", width=1, height=1)

    async def delete_picture(self, request: pb.DeletePictureRequest, ctx: CallContext) -> Empty:
        if not request.id:
            raise InvalidArgument("id is required")
        self.pictures.pop(request.id, None)
        return Empty()


@pytest.fixture
def service() -> InMemoryPictures:
    return InMemoryPictures()


@pytest.fixture
def harness(service: InMemoryPictures) -> Harness:
    harness = Harness(CONTRACT)
    harness.serve("pictures", ServiceSpec(implementation=service))
    return harness


def alice(transport: str) -> CallContext:
    return with_user(CallContext(transport=transport).with_timeout(5), "alice-id", "alice")


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_a_typed_client_gets_typed_answers_over_every_transport(harness: Harness, transport: str) -> None:
    pictures = harness.sender.client(PicturesClient, transport=transport)
    created = await pictures.create_picture(pb.CreatePictureRequest(title="cat", base64=b"\x89PNG"), alice("rest"))
    assert isinstance(created, pb.Picture)
    assert (created.title, created.user_id, created.base64) == ("cat", "alice-id", b"\x89PNG")
    got = await pictures.get_picture(pb.GetPictureRequest(id=created.id), alice("rest"))
    assert got == created
    listed = await pictures.list_pictures(pb.ListPicturesRequest(), alice("rest"))
    assert [p.id for p in listed.pictures] == [created.id]


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_the_call_arrives_over_the_transport_the_caller_picked(
    harness: Harness, service: InMemoryPictures, transport: str
) -> None:
    # Without a transport of its own, a client goes over the transport of the call it is made for.
    await harness.sender.client(PicturesClient).list_pictures(pb.ListPicturesRequest(), alice(transport))
    assert service.calls == [("list", transport)]


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_errors_keep_their_code_and_reason_over_every_transport(harness: Harness, transport: str) -> None:
    pictures = harness.sender.client(PicturesClient, transport=transport)
    with pytest.raises(NotFound) as missing:
        await pictures.get_picture(pb.GetPictureRequest(id=str(uuid.uuid4())), alice(transport))
    assert missing.value.message == "picture not found" and missing.value.http_status == 404
    with pytest.raises(Exception) as large:
        await pictures.create_picture(pb.CreatePictureRequest(title="big", base64=b"x" * 9), alice(transport))
    assert large.value.code.name == "RESOURCE_EXHAUSTED"  # type: ignore[attr-defined]
    assert large.value.reason == PAYLOAD_TOO_LARGE and large.value.http_status == 413  # type: ignore[attr-defined]


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_the_contracts_field_rules_are_enforced_before_the_handler(
    harness: Harness, service: InMemoryPictures, transport: str
) -> None:
    pictures = harness.sender.client(PicturesClient, transport=transport)
    cases = [
        (pictures.get_picture(pb.GetPictureRequest(id="not-a-uuid"), alice(transport)), "id must be a UUID"),
        (
            pictures.list_pictures(pb.ListPicturesRequest(page_size=101), alice(transport)),
            "page_size must be at most 100",
        ),
        (
            pictures.create_picture(pb.CreatePictureRequest(title="", base64=b"1"), alice(transport)),
            "title is required",
        ),
        (
            pictures.create_picture(
                pb.CreatePictureRequest(title="x", base64=b"1", content_type="text/html"), alice(transport)
            ),
            "content_type must be one of image/png",
        ),
    ]
    for call, message in cases:
        with pytest.raises(InvalidArgument) as refused:
            await call
        assert message in refused.value.message
    assert service.calls == []  # none of them reached the handler


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_a_bug_is_internal_and_its_message_stays_inside(harness: Harness, transport: str) -> None:
    pictures = harness.sender.client(PicturesClient, transport=transport)
    with pytest.raises(Exception) as failure:
        await pictures.create_picture(pb.CreatePictureRequest(title="boom", base64=b"x"), alice(transport))
    assert failure.value.code.name == "INTERNAL"  # type: ignore[attr-defined]
    assert "secret" not in str(failure.value)


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_the_identity_of_the_caller_reaches_the_service(harness: Harness, transport: str) -> None:
    pictures = harness.sender.client(PicturesClient, transport=transport)
    created = await pictures.create_picture(pb.CreatePictureRequest(title="mine", base64=b"1"), alice(transport))
    bob = with_user(CallContext(transport=transport), "bob-id", "bob")
    with pytest.raises(NotFound):
        await pictures.get_picture(pb.GetPictureRequest(id=created.id), bob)
    with pytest.raises(Exception) as anonymous:
        await pictures.list_pictures(pb.ListPicturesRequest(), CallContext(transport=transport))
    assert anonymous.value.code.name == "UNAUTHENTICATED"  # type: ignore[attr-defined]


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_methods_the_proto_marks_idempotent_are_retried_and_others_are_not(
    harness: Harness, service: InMemoryPictures, transport: str
) -> None:
    pictures = harness.sender.client(PicturesClient, transport=transport)
    service.list_failures = 2  # ListPictures: idempotency_level = NO_SIDE_EFFECTS
    await pictures.list_pictures(pb.ListPicturesRequest(), alice(transport))
    assert [c for c in service.calls if c[0] == "list"] == [("list", transport)] * 3
    service.create_failures = 1  # CreatePicture: no idempotency level, so never retried
    with pytest.raises(Unavailable):
        await pictures.create_picture(pb.CreatePictureRequest(title="once", base64=b"1"), alice(transport))
    assert [c for c in service.calls if c[0] == "create"] == [("create", transport)]


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_a_call_past_its_deadline_is_deadline_exceeded(harness: Harness, transport: str) -> None:
    late = alice(transport).with_timeout(-1)
    with pytest.raises(Exception) as failure:
        await harness.sender.client(PicturesClient, transport=transport).list_pictures(pb.ListPicturesRequest(), late)
    assert failure.value.code.name == "DEADLINE_EXCEEDED"  # type: ignore[attr-defined]


async def test_rest_refuses_unknown_fields_with_a_clear_message(harness: Harness) -> None:
    from internal.common import rest

    binding = CONTRACT.service("pictures").method("CreatePicture")
    reply = await rest.serve(
        binding, harness.handlers("pictures")["CreatePicture"], b'{"title": "a", "colour": 1}', {}, {}, {}
    )
    assert reply.status == 400
    assert b"unknown field 'colour'" in (reply.body if isinstance(reply.body, bytes) else b"")


async def test_events_name_the_known_events_when_one_is_unknown(harness: Harness) -> None:
    from internal.common import events, mq

    event, status, body, _ = await events.serve(
        CONTRACT.service("pictures"), harness.handlers("pictures"), [(mq.EVENT, b"getpictur")], None, b"{}"
    )
    assert (event, status) == ("getpictur", "INVALID_ARGUMENT")
    assert b"getpicture" in body


def test_empty_lists_are_empty_json_arrays() -> None:
    assert to_json(pb.ListPicturesResponse()) == {"pictures": []}


def test_an_implementation_that_does_not_match_the_proto_cannot_start() -> None:
    class WrongTypes(InMemoryPictures):
        async def get_picture(self, request: pb.DeletePictureRequest, ctx: CallContext) -> pb.Picture:  # type: ignore[override]
            raise NotImplementedError

    class Missing:
        async def create_picture(self, request: pb.CreatePictureRequest, ctx: CallContext) -> pb.Picture:
            raise NotImplementedError

    with pytest.raises(ContractError) as wrong:
        bind_handlers(CONTRACT.service("pictures"), WrongTypes())
    assert "WrongTypes.get_picture: its request is typed DeletePictureRequest" in str(wrong.value)
    with pytest.raises(ContractError) as missing:
        bind_handlers(CONTRACT.service("pictures"), Missing())
    assert "Missing has no `async def list_pictures(self, request: ListPicturesRequest" in str(missing.value)


def test_a_subscriber_is_checked_against_the_topic_message() -> None:
    from internal.common.service import check_subscription

    async def wrong(event: pb.Picture, ctx: CallContext) -> None: ...

    with pytest.raises(ContractError, match=r"the proto says trident\.users\.v1\.UserDeleted"):
        check_subscription(CONTRACT.topic("user.deleted"), Subscription("user.deleted", wrong))


def test_a_public_route_to_a_method_that_does_not_exist_cannot_start(tmp_path: Path) -> None:
    api_yml = tmp_path / "api.yml"
    text = (ROOT / "configs" / "api.yml").read_text()
    api_yml.write_text(text.replace("call: pictures.getPicture,", "call: pictures.getPictur,", 1))
    with pytest.raises(ContractError, match="pictures has no method 'getPictur'"):
        Contract.load(api_yml)


async def test_middlewares_wrap_in_the_order_they_are_listed() -> None:
    seen: list[str] = []

    def named(name: str):  # type: ignore[no-untyped-def]
        def middleware(op: Operation, next_):  # type: ignore[no-untyped-def]
            async def handle(request, ctx):  # type: ignore[no-untyped-def]
                seen.append(f"{name}>")
                result = await next_(request, ctx)
                seen.append(f"<{name}")
                return result

            return handle

        return middleware

    async def handler(request: object, ctx: CallContext) -> str:
        seen.append("handler")
        return "done"

    pipeline = chain([named("outer"), named("inner")], Operation("server", "p", "p", "M"), handler)
    assert await pipeline(None, CallContext(transport="rest")) == "done"
    assert seen == ["outer>", "inner>", "handler", "<inner", "<outer"]


def test_control_characters_are_found_in_every_kind_of_text_field_and_named() -> None:
    from api.gen import analytics_pb2, pictures_pb2
    from internal.common.pipeline import _control_characters

    clean = analytics_pb2.CallLogs(logs=[analytics_pb2.CallLog(transport="rest", service="s", method="m\tx\r\n")] * 3)
    assert _control_characters(clean) == ""  # tab, newline and carriage return are text
    assert _control_characters(pictures_pb2.CreatePictureRequest(title="a\x00b")) == "title"
    nested = analytics_pb2.CallLogs(logs=[analytics_pb2.CallLog(method="ok"), analytics_pb2.CallLog(user_id="\x1b[2J")])
    assert _control_characters(nested) == "logs[1].user_id"
    # A batch is searched at once; the one bad log among many is still named.
    batch = analytics_pb2.CallLogs(logs=[analytics_pb2.CallLog(method=f"m{i}") for i in range(500)])
    assert _control_characters(batch) == ""
    batch.logs[321].request_id = "r\x00"
    assert _control_characters(batch) == "logs[321].request_id"
    trace = analytics_pb2.Trace(spans=[analytics_pb2.Span(name="ok", attributes={"k": "v\x7f"})])
    assert _control_characters(trace) == "spans[0].attributes"
    assert _control_characters(analytics_pb2.Trace(spans=[analytics_pb2.Span(attributes={"k\x01": "v"})])) == \
        "spans[0].attributes"
