"""AsyncAPI 3.0 of the Kafka side: request topics, `results`, and the pub/sub domain topics."""

from __future__ import annotations

from typing import Any

from internal.common.contract import Contract
from internal.common.contract.schema import Descriptor, collect_schemas, message_schema, schema_name
from internal.common.mq import dead_letter_topic

_REF = "#/components/schemas/"

_HEADERS = {
    "type": "object",
    "properties": {
        "event": {"type": "string", "description": "The event name; without it the record key is the event name."},
        "correlation_id": {"type": "string", "description": "Echoed on the reply."},
        "reply_to": {"type": "string", "description": "Where the reply goes (default `results`); empty for no reply."},
        "content-type": {"type": "string", "enum": ["application/json", "application/x-protobuf"]},
        "segment": {"type": "string", "description": "`index/count` on each record of a segmented message."},
        "message-id": {"type": "string", "description": "Shared by the segments of one message (also their key)."},
        "x-request-id": {"type": "string"},
        "authorization": {
            "type": "string",
            "description": "`Bearer <token>`: a user's access token, or a process's internal token.",
        },
        "x-deadline-ms": {"type": "string", "description": "Absolute deadline, Unix epoch milliseconds."},
        "traceparent": {"type": "string", "description": "W3C trace context."},
    },
}


def asyncapi_document(contract: Contract, reply_topic: str, version: str) -> dict[str, Any]:
    """Every service's request topic, the reply topic and the domain topics of the contract as AsyncAPI 3.0."""
    domain_topics: dict[str, Descriptor] = {t.name: t.message_type.DESCRIPTOR for t in contract.topics.values()}
    descriptors: list[Descriptor] = list(domain_topics.values())
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    reply_refs: list[dict[str, str]] = []
    for name, service in contract.services.items():
        refs = []
        for binding in service.methods.values():
            request = binding.request_type.DESCRIPTOR
            response = binding.response_type.DESCRIPTOR
            descriptors += [request, response]
            message_id = f"{name}.{binding.event}"
            messages[message_id] = {
                "name": binding.event,
                "title": f"{name}.{binding.name} request",
                "headers": {"$ref": "#/components/schemas/Headers"},
                "payload": message_schema(request, _REF),
            }
            messages[f"{message_id}.reply"] = {
                "name": f"{binding.event}.reply",
                "title": f'{name}.{binding.name} reply (or an error: {{"error": {{"code", "message"}}}})',
                "headers": {"$ref": "#/components/schemas/Headers"},
                "payload": {"oneOf": [message_schema(response, _REF), {"$ref": _REF + "Error"}]},
            }
            refs.append({"$ref": f"#/components/messages/{message_id}"})
            reply_refs.append({"$ref": f"#/components/messages/{message_id}.reply"})
        channels[name] = {
            "address": service.topic,
            "description": f"Requests to the {name} service (consumer group `{name}`).",
            "messages": {ref["$ref"].rsplit("/", 1)[1].replace(".", "_"): ref for ref in refs},
        }
        operations[f"call_{name}"] = {
            "action": "send",
            "channel": {"$ref": f"#/channels/{name}"},
            "reply": {"channel": {"$ref": f"#/channels/{reply_topic}"}},
        }
    channels[reply_topic] = {
        "address": reply_topic,
        "description": "Replies, matched to their request by the `correlation_id` header. Each caller reads the "
        "whole topic without a consumer group and keeps its own correlation ids.",
        "messages": {ref["$ref"].rsplit("/", 1)[1].replace(".", "_"): ref for ref in reply_refs},
    }
    for topic, descriptor in domain_topics.items():
        message_id = f"domain.{topic}"
        messages[message_id] = {
            "name": topic,
            "payload": message_schema(descriptor, _REF),
            "headers": {"$ref": "#/components/schemas/Headers"},
        }
        channels[topic.replace(".", "_")] = {
            "address": topic,
            "description": f"Domain event {schema_name(descriptor)}.",
            "messages": {message_id.replace(".", "_"): {"$ref": f"#/components/messages/{message_id}"}},
        }
        operations[f"publish_{topic.replace('.', '_')}"] = {
            "action": "send",
            "channel": {"$ref": f"#/channels/{topic.replace('.', '_')}"},
        }
    for topic in [*contract.services, *(t.name for t in contract.topics.values() if t.subscribers)]:
        dlq = dead_letter_topic(topic)
        channels[dlq.replace(".", "_")] = {
            "address": dlq,
            "description": f"Dead letters of `{topic}`: records that could not be decoded, or whose handling still "
            "failed after its retries, with headers saying why, where from and after how many attempts "
            "(`trident dlq list|replay`).",
        }
    schemas = collect_schemas(descriptors, _REF)
    schemas["Headers"] = _HEADERS
    schemas["Error"] = {
        "type": "object",
        "properties": {
            "error": {"type": "object", "properties": {"code": {"type": "string"}, "message": {"type": "string"}}}
        },
    }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Trident events",
            "version": version,
            "description": "Every service method is also an event on the service's topic. JSON (proto3 mapping) or "
            "binary protobuf by `content-type`. Payloads over the record size travel as ordered segments.",
        },
        "defaultContentType": "application/json",
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": schemas},
    }
