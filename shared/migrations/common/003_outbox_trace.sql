-- The trace context (W3C traceparent) and the request id of the request, or the consumer, that wrote an
-- outbox row: the relay publishes them as the message's headers (traceparent, X-Request-ID), so the
-- consumers' work joins the writer's trace (shared/tracing.py). Null for a row written outside any
-- trace (a command run by hand, a statement that writes its row itself). Nullable, no default: adding
-- them rewrites nothing.
ALTER TABLE outbox
    ADD COLUMN traceparent text,
    ADD COLUMN request_id  text;
