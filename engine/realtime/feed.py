"""Reading GTFS-Realtime messages: binary protobuf or its JSON form, from bytes, a file or a
parsed FeedMessage, through gtfs-realtime-bindings. No network here (the server fetches URLs).
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ..errors import InvalidQueryError

MAX_FEED_BYTES = 64 * 1024 * 1024      # a feed larger than this is refused before parsing


class RealtimeFeedError(InvalidQueryError):
    """The feed could not be read at all (not a FeedMessage, not JSON of one, too large)."""

    def __init__(self, message: str):
        super().__init__(message, "feed")


@dataclass(frozen=True, slots=True)
class Message:
    """A parsed FeedMessage and its binary serialization (read by the TripUpdate columns)."""

    feed: object            # google.transit.gtfs_realtime_pb2.FeedMessage
    data: bytes             # the binary message (re-serialized when the input was JSON)


def _pb2():
    try:
        from google.transit import gtfs_realtime_pb2
    except ImportError as exc:          # pragma: no cover - a dependency of the package
        raise RealtimeFeedError("GTFS-Realtime needs gtfs-realtime-bindings (pip install gtfs-realtime-bindings)") \
            from exc
    return gtfs_realtime_pb2


def read_message(source) -> Message:
    """A FeedMessage from ``source``: bytes (binary protobuf, or JSON text with the proto's field
    names as OneBusAway and others publish), a path to such a file, or a FeedMessage."""
    pb2 = _pb2()
    if isinstance(source, pb2.FeedMessage):
        return Message(source, source.SerializeToString())
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        try:
            if not path.is_file():
                raise RealtimeFeedError(f"realtime feed file not found: {str(path)[:200]}")
            if path.stat().st_size > MAX_FEED_BYTES:
                raise RealtimeFeedError(f"realtime feed {path} is larger than {MAX_FEED_BYTES} bytes")
            source = path.read_bytes()
        except OSError as exc:          # name too long, permission denied, I/O error
            raise RealtimeFeedError(f"realtime feed file unreadable: {str(path)[:200]} "
                                    f"({exc.strerror or type(exc).__name__})") from None
    if isinstance(source, (bytearray, memoryview)):
        source = bytes(source)
    if not isinstance(source, bytes):
        raise RealtimeFeedError("a realtime feed is bytes, a file path or a FeedMessage")
    if len(source) > MAX_FEED_BYTES:
        raise RealtimeFeedError(f"realtime feed larger than {MAX_FEED_BYTES} bytes")
    if source.lstrip()[:1] == b"{":
        from google.protobuf import json_format

        feed = pb2.FeedMessage()
        try:
            json_format.Parse(source.decode("utf-8"), feed, ignore_unknown_fields=True)
        except (json_format.ParseError, UnicodeDecodeError, ValueError) as exc:
            raise RealtimeFeedError(f"not a GTFS-Realtime FeedMessage in JSON: {str(exc)[:200]}") from None
        return Message(feed, feed.SerializeToString())
    feed = pb2.FeedMessage()
    try:
        feed.ParseFromString(source)
    except Exception as exc:            # google.protobuf.message.DecodeError and friends
        raise RealtimeFeedError(f"not a GTFS-Realtime FeedMessage: {str(exc)[:200]}") from None
    if not feed.HasField("header"):
        raise RealtimeFeedError("not a GTFS-Realtime FeedMessage: no header")
    return Message(feed, source)
