"""Chat figures for Prometheus, kept by the process that serves the sockets (Daphne)."""

from prometheus_client import Histogram

# From a "send" frame's arrival to its ack: the persist-then-acknowledge time the customer waits for.
ACK_SECONDS = Histogram(
    "service_center_chat_ack_seconds",
    "Seconds from a chat message frame's arrival to its ack (message stored).",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)
