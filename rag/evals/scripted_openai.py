"""A real HTTP server on 127.0.0.1 that speaks the OpenAI chat completions and embeddings APIs.

The tests use it as their model, and `rag eval --dataset generative` replays recorded model
answers through it, so the generative answerer is measured over the real client and stream.

Replies are scripted: ``FakeOpenAI(replies)`` where ``replies`` is a list (used in order,
the last one repeating) or a function ``request_json -> reply``. A reply is a string (the
assistant's text), or a ``Reply`` for delays, HTTP errors and broken bodies. Streaming
requests get Server-Sent Events exactly as OpenAI sends them, a few characters per event.
Every request body is recorded in ``.requests`` so tests can check what the model was sent.

``/v1/embeddings`` answers every text with a deterministic vector of ``embedding_dimension``
numbers derived from the text's hash (not unit length, as some servers send them), as floats
or base64 as asked, and rejects an empty input with HTTP 400 the way the OpenAI API does.
Embedding requests are recorded in ``.embedding_requests``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from rag.settings import Settings


@dataclass
class Reply:
    text: str = ""
    delay: float = 0.0  # seconds before the first byte
    status: int = 200
    raw_body: str | None = None  # sent as is instead of a well-formed completion
    chunk_size: int = 4  # characters per streamed event


class FakeOpenAI:
    def __init__(self, replies=("The sources don't say.",), model: str = "fake-model", embedding_dimension: int = 48):
        self.replies = replies
        self.model = model
        self.embedding_dimension = embedding_dimension
        self.requests: list[dict] = []
        self.embedding_requests: list[dict] = []
        self._lock = threading.Lock()
        self._count = 0
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # keep test output clean
                pass

            def do_GET(self):
                if self.path.rstrip("/").endswith("/models"):
                    self._json(200, {"object": "list", "data": [{"id": fake.model, "object": "model"}]})
                else:
                    self._json(404, {"error": {"message": "not found"}})

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                if self.path.rstrip("/").endswith("/embeddings"):
                    self._json(*fake._embeddings(body))
                    return
                if not self.path.rstrip("/").endswith("/chat/completions"):
                    self._json(404, {"error": {"message": f"no route {self.path}"}})
                    return
                reply = fake._next(body)
                if reply.delay:
                    time.sleep(reply.delay)
                if reply.status != 200:
                    self._json(reply.status, {"error": {"message": reply.text or "scripted failure", "type": "server_error"}})
                    return
                if reply.raw_body is not None:
                    self._send(200, "application/json", reply.raw_body.encode())
                    return
                if body.get("stream"):
                    self._stream(reply)
                else:
                    self._json(200, fake._completion(reply.text))

            def _json(self, status, payload):
                self._send(status, "application/json", json.dumps(payload).encode())

            def _send(self, status, ctype, data: bytes):
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                try:
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def _stream(self, reply: Reply):
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Cache-Control", "no-cache")
                self.send_header("Connection", "close")
                self.end_headers()
                created = int(time.time())
                base = {"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": created, "model": fake.model}
                pieces = [reply.text[i : i + reply.chunk_size] for i in range(0, len(reply.text), reply.chunk_size)]
                events = [{**base, "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}]}]
                events += [{**base, "choices": [{"index": 0, "delta": {"content": p}, "finish_reason": None}]} for p in pieces]
                events.append({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
                try:
                    for event in events:
                        self.wfile.write(f"data: {json.dumps(event)}\n\n".encode())
                        self.wfile.flush()
                    self.wfile.write(b"data: [DONE]\n\n")
                    self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):
                    pass
                self.close_connection = True

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    # -- scripting --------------------------------------------------------------------------------
    def _next(self, body: dict) -> Reply:
        with self._lock:
            self.requests.append(body)
            index = self._count
            self._count += 1
        if callable(self.replies):
            reply = self.replies(body)
        else:
            reply = self.replies[min(index, len(self.replies) - 1)]
        return reply if isinstance(reply, Reply) else Reply(text=str(reply))

    def vector(self, text: str) -> np.ndarray:
        """The raw (not normalised) vector the server sends for ``text``."""
        seed = int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little")
        return (np.random.default_rng(seed).normal(size=self.embedding_dimension) * 3).astype(np.float32)

    def _embeddings(self, body: dict) -> tuple[int, dict]:
        with self._lock:
            self.embedding_requests.append(body)
        texts = body.get("input")
        texts = [texts] if isinstance(texts, str) else texts
        if not texts or not all(isinstance(t, str) and t for t in texts):
            return 400, {"error": {"message": "'$.input' is invalid. Please check the API reference.",
                                   "type": "invalid_request_error"}}
        data = []
        for i, text in enumerate(texts):
            vector = self.vector(text)
            encoded = (base64.b64encode(vector.tobytes()).decode() if body.get("encoding_format") == "base64"
                       else vector.tolist())
            data.append({"object": "embedding", "index": i, "embedding": encoded})
        tokens = sum(len(t.split()) for t in texts)
        return 200, {"object": "list", "data": data, "model": body.get("model"),
                     "usage": {"prompt_tokens": tokens, "total_tokens": tokens}}

    def _completion(self, text: str) -> dict:
        return {
            "id": "chatcmpl-fake", "object": "chat.completion", "created": int(time.time()), "model": self.model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 10, "completion_tokens": max(1, len(text) // 4), "total_tokens": 10 + len(text) // 4},
        }

    # -- lifecycle --------------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/v1"

    def replay_settings(self, settings: Settings) -> Settings:
        """``settings`` with this server as the generative answerer's model, asked once per
        question (no retries) and checked by the local verifier alone (RAG_VERIFY=local): no
        model's second opinion is scripted, so the local verifier is what a replay measures."""
        return settings.model_copy(update={"openai_base_url": self.base_url, "openai_api_key": "scripted",
                                           "verify": "local", "answer_mode": "generative", "llm_retries": 0})

    def __enter__(self) -> "FakeOpenAI":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


# -- reading the requests the server got ----------------------------------------------------------


def source_blocks(body: dict) -> dict[int, str]:
    """The numbered sources in a chat request's system prompt: n -> block text."""
    system = body["messages"][0]["content"]
    marks = list(re.finditer(r"^\[(\d+)\] ", system, re.MULTILINE))
    ends = [m.start() for m in marks[1:]] + [len(system)]
    return {int(m.group(1)): system[m.start():end] for m, end in zip(marks, ends)}


def source_of(body: dict, fragment: str) -> int:
    """The number of the source that holds ``fragment``, as a model reading the prompt would cite."""
    fragment = fragment.replace("'", "\u2019")
    for n, block in source_blocks(body).items():
        if fragment in block or fragment.replace("\u2019", "'") in block:
            return n
    raise AssertionError(f"{fragment!r} is in none of the sources sent to the model")
