"""Structured logs: one JSON object a line on stderr.

Every line carries `trace_id`, `span_id` and `request_id` (null when none is in force:
at start, in a background task): those of the HTTP request being answered, or of the
event a consumer applies (`shared/tracing.py`). A line about one message may name its
own in `extra`, which wins.
"""

from __future__ import annotations

import logging
import sys
from datetime import UTC, datetime

import msgspec

from shared import tracing

_encoder = msgspec.json.Encoder()
_RESERVED = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "service": self.service,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        entry["trace_id"], entry["span_id"], entry["request_id"] = tracing.current_ids()
        for key, value in record.__dict__.items():
            if key not in _RESERVED and not key.startswith("_"):
                entry[key] = value if isinstance(value, (str, int, float, bool, type(None))) else str(value)
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return _encoder.encode(entry).decode()


def configure(service: str, level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter(service))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("nats", "asyncio"):
        logging.getLogger(noisy).setLevel("WARNING")
