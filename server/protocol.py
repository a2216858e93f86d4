"""The HTTP/1.1 connection protocol of `brique serve`: uvicorn's httptools protocol with deadlines.

uvicorn arms a timer only between requests on a kept-alive connection (``timeout_keep_alive``),
and every byte received cancels it: a connection that opens and sends nothing, or that sends
its request line and headers one byte at a time, is kept for ever, and enough of them exhaust a
worker's file descriptors while normal clients wait. This protocol adds:

- a **request-head deadline**: the request line and headers must arrive within ``head_timeout_s``
  of the connection opening (or of the first byte after the previous response). One timer per
  request, never re-armed by trickling bytes. Past it: a JSON 408 if some of a request arrived,
  else the connection is just closed;
- a **request-head size cap** (``max_head_bytes``): past it, a JSON 431 and the connection closes;
- JSON bodies for the protocol-level 400 (unparseable HTTP), in the API's error shape.

Everything else (parsing, flow control, keep-alive, pipelining) is uvicorn's.
"""
from __future__ import annotations

import json

from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol


def _json_error(status: int, code: str, message: str) -> bytes:
    body = json.dumps({"error": {"status": status, "code": code, "message": message, "parameter": None}}).encode()
    return b"".join([STATUS_LINE[status], b"content-type: application/json\r\n",
                     b"content-length: ", str(len(body)).encode(), b"\r\n", b"connection: close\r\n\r\n", body])


class DeadlineHttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with a request-head deadline and size cap (see module doc)."""

    head_timeout_s: float = 10.0
    max_head_bytes: int = 32_768

    def connection_made(self, transport) -> None:  # type: ignore[override]
        self._head_timer = None
        self._head_bytes = 0
        super().connection_made(transport)
        self._arm_head_deadline()

    def _arm_head_deadline(self) -> None:
        self._head_bytes = 0
        self._head_timer = self.loop.call_later(self.head_timeout_s, self._head_deadline_passed)

    def _cancel_head_deadline(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_deadline_passed(self) -> None:
        self._head_timer = None
        if self.transport.is_closing():
            return
        if self._head_bytes:
            self.transport.write(_json_error(408, "request_timeout",
                                             f"request line and headers not received within {self.head_timeout_s:g} s"))
        self.transport.close()

    def data_received(self, data: bytes) -> None:
        idle = self.cycle is None or self.cycle.response_complete
        if self._head_timer is None and idle and not self.pipeline:
            self._arm_head_deadline()             # the first bytes of a new request on a kept-alive connection
        if self._head_timer is not None:
            self._head_bytes += len(data)
            if self._head_bytes > self.max_head_bytes:
                # the same read may carry the start of a body (an upload): measure the head alone
                end = data.find(b"\r\n\r\n")
                if end >= 0 and self._head_bytes - len(data) + end + 4 <= self.max_head_bytes:
                    super().data_received(data)
                    return
                self._cancel_head_deadline()
                self.transport.write(_json_error(431, "headers_too_large",
                                                 f"request line and headers over {self.max_head_bytes} bytes"))
                self.transport.close()
                return
        super().data_received(data)

    def on_headers_complete(self) -> None:
        self._cancel_head_deadline()
        super().on_headers_complete()

    def connection_lost(self, exc) -> None:
        self._cancel_head_deadline()
        super().connection_lost(exc)

    def send_400_response(self, msg: str) -> None:
        self._cancel_head_deadline()
        self.transport.write(_json_error(400, "bad_request", msg))
        self.transport.close()


def protocol_class(head_timeout_s: float, max_head_bytes: int) -> type[DeadlineHttpProtocol]:
    """A DeadlineHttpProtocol subclass with these bounds (uvicorn instantiates the class itself)."""
    return type("BriqueHttpProtocol", (DeadlineHttpProtocol,),
                {"head_timeout_s": float(head_timeout_s), "max_head_bytes": int(max_head_bytes)})
