"""Replays calls the way llama-stack's recorder (src/ogx/testing/api_recorder.py) does, from a tree of files.

Written for jest-replay's tests from what that recorder does, not from its code: for each call it computes
the name llama-stack's replay looks for, finds the file where it looks (the test file's recordings/ folder,
then the storage directory's), loads it as its loader does (ids mapped back, every {"__type__", "__data__"}
rebuilt with the pydantic class's model_validate: here a failure is an error, not a silent fallback), and
returns what the Python call would get or raise. Each result is compared with what the Node SDK saw.

Usage: python llama_stack_replay.py <calls.json>; prints a JSON list of {name, file, raised, problems}.
"""

import glob
import hashlib
import importlib
import json
import os
import re
import sys
from typing import Literal, Optional
from urllib.parse import urlparse

import httpx
import openai
from openai.types.completion_choice import CompletionChoice

# The recorder widens `finish_reason` of completion choices to accept None, which streamed choices carry.
CompletionChoice.model_fields["finish_reason"].annotation = Optional[Literal["stop", "length", "content_filter"]]
CompletionChoice.model_rebuild(force=True)

SHARED_PATHS = ("/api/tags", "/v1/models", "/v1/openai/v1/models")
FILE_SEARCH_NOISE = [
    (re.compile(r"score:\s*[-+]?\d*\.?\d+(?:[eE][-+]?\d+)?"), "score: __NORMALIZED__"),
    (re.compile(r",?\s*attributes:\s*\{[^}]*\}"), ""),
    (re.compile(r"document_id:\s*[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12}"), "document_id: __NORMALIZED__"),
    (re.compile(r"<\|[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12}\|>"), "<|__NORMALIZED__|>"),
]
LONG_DECIMAL = re.compile(r"-?\d+\.\d{4,}")
ERROR_BY_STATUS = {
    400: openai.BadRequestError,
    401: openai.AuthenticationError,
    403: openai.PermissionDeniedError,
    404: openai.NotFoundError,
    409: openai.ConflictError,
    422: openai.UnprocessableEntityError,
    429: openai.RateLimitError,
    500: openai.InternalServerError,
}


def normalize(value, exclude_stream_options=False, root=True):
    """Floats at 5 decimals, long decimals and file-search noise in strings; extra_body's project_id at the top."""
    if isinstance(value, dict):
        out = {key: normalize(item, root=False) for key, item in value.items()}
        if exclude_stream_options:
            out.pop("stream_options", None)
        if root:
            for extra in ("extra_body", "extra_query"):
                if isinstance(out.get(extra), dict):
                    out[extra].pop("project_id", None)
        return out
    if isinstance(value, list):
        return [normalize(item, root=False) for item in value]
    if isinstance(value, float):
        return round(value, 5)
    if isinstance(value, str):
        for pattern, replacement in FILE_SEARCH_NOISE:
            value = pattern.sub(replacement, value)
        return LONG_DECIMAL.sub(lambda m: f"{float(m.group(0)):.5f}", value)
    return value


def sha(normalized):
    return hashlib.sha256(json.dumps(normalized, sort_keys=True).encode()).hexdigest()


def sdk_call_hash(url, kwargs, test_id):
    parsed = urlparse(url)
    normalized = {"method": "POST", "endpoint": parsed.path, "body": normalize(kwargs, "bedrock" in parsed.netloc)}
    if parsed.path not in SHARED_PATHS:
        normalized["test_id"] = test_id
    return sha(normalized)


def http_hash(url, payload, test_id):
    return sha({"test_id": test_id, "url": url, "method": "POST", "payload": normalize(payload)})


def folders(root, storage_dir, test_id):
    """Where the recorder looks: the test file's recordings/ folder, then the storage directory's."""
    session = os.path.join(root, storage_dir, "recordings")
    if not test_id:
        return [session]
    return [os.path.join(root, os.path.dirname(test_id.split("::")[0]), "recordings"), session]


def rebuild(value):
    if isinstance(value, dict) and "__type__" in value and "__data__" in value:
        module, name = value["__type__"].rsplit(".", 1)
        return getattr(importlib.import_module(module), name).model_validate(value["__data__"])
    return value


def load(path):
    with open(path) as f:
        data = json.load(f)
    mapping = data.get("id_normalization_mapping") or {}
    if mapping:
        text = json.dumps(data)
        for normalized, original in mapping.items():
            text = text.replace(original, normalized)
        data = json.loads(text)
    body = data["response"]["body"]
    data["response"]["body"] = [rebuild(item) for item in body] if isinstance(body, list) else rebuild(body)
    return data


def raised(exception_data, url):
    """The exception llama-stack's replay raises for a recorded openai SDK error."""
    if exception_data.get("category") != "provider_sdk" or exception_data.get("provider") != "openai":
        return Exception(exception_data.get("message"))
    status, body = exception_data["status_code"], exception_data.get("body")
    error_class = ERROR_BY_STATUS.get(status, openai.APIStatusError)
    response = httpx.Response(status, json=body or {}, request=httpx.Request("POST", url))
    return error_class(message=exception_data["message"], response=response, body=body)


def dumped(value):
    """An object as plain JSON, with only the fields its data held, and the `output_text` both SDKs derive for a Response."""
    if not hasattr(value, "model_dump"):
        return value
    data = value.model_dump(mode="json", exclude_unset=True)
    if isinstance(getattr(type(value), "output_text", None), property):
        data["output_text"] = value.output_text
    return data


def sse_events(lines):
    events, event = [], None
    for line in lines:
        if line.startswith("event: "):
            event = line[len("event: "):]
        elif line.startswith("data: ") and event != "ping":
            events.append(json.loads(line[len("data: "):]))
    return events


def replay(call, root, storage_dir):
    """The file llama-stack finds for a call and what the call returns (or raises), as the Node SDK's JSON."""
    test_id = call.get("test_id")
    if call["kind"] == "http":
        name = http_hash(call["url"], eval(call["payload"]), test_id)
    else:
        name = sdk_call_hash(call["base_url"].rstrip("/") + call["endpoint"], eval(call["kwargs"]), test_id)
    if call.get("endpoint") == "/v1/models":
        files = [f for folder in folders(root, storage_dir, test_id) for f in sorted(glob.glob(os.path.join(folder, f"models-{name}-*.json")))]
        if not files:
            return None, None, None
        models = {m.id: m for f in files for m in load(f)["response"]["body"]}
        return files[0], [dumped(models[k]) for k in sorted(models)], None
    found = [os.path.join(folder, f"{name}.json") for folder in folders(root, storage_dir, test_id)]
    found = [f for f in found if os.path.exists(f)]
    if not found:
        return None, None, None
    response = load(found[0])["response"]
    if call["kind"] == "http":
        if response.get("is_streaming"):
            return found[0], sse_events(response["body"]), None
        status = response.get("status", 200)
        return found[0], response["body"] if status < 400 else {"status": status, "error": response["body"]}, None
    if response.get("is_exception"):
        return found[0], None, raised(response["exception_data"], call["base_url"])
    body = response["body"]
    return found[0], [dumped(chunk) for chunk in body] if response.get("is_streaming") else dumped(body), None


def check(call, root, storage_dir):
    file, result, error = replay(call, root, storage_dir)
    problems = []
    if file is None:
        problems.append("no file where llama-stack looks for this call")
    elif error is not None:
        seen = call["seen"]
        got = {"className": type(error).__name__, "status": getattr(error, "status_code", None), "error": getattr(error, "body", None)}
        if got != seen:
            problems.append(f"raised {got}, the Node SDK saw {seen}")
    elif result != call["seen"]:
        problems.append(f"returned {json.dumps(result)[:2000]}, the Node SDK saw {json.dumps(call['seen'])[:2000]}")
    file = os.path.relpath(file, root) if file else None
    return {"name": call["name"], "file": file, "raised": type(error).__name__ if error else None, "problems": problems}


def main():
    with open(sys.argv[1]) as f:
        spec = json.load(f)
    results = []
    for call in spec["calls"]:
        try:
            results.append(check(call, spec["root"], spec["storage_dir"]))
        except Exception as error:  # a class that does not validate, a broken file: a problem of this call
            results.append({"name": call["name"], "file": None, "raised": None, "problems": [f"{type(error).__name__}: {error}"]})
    print(json.dumps(results))


if __name__ == "__main__":
    main()
