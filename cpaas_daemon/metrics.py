"""Prometheus metrics, one registry per daemon instance (tests run several in a process)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        # ``route`` is the route's template (``/wallboard/static/{filename}``), or
        # ``unmatched``: a client cannot mint new series by inventing paths.
        self.http_requests = Counter(
            "cpaas_http_requests",
            "HTTP requests served",
            ["method", "route", "status"],
            registry=r,
        )
        self.http_latency = Histogram(
            "cpaas_http_request_seconds",
            "HTTP request latency (until the handler returned; a stream until it ended)",
            ["route"],
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0),
            registry=r,
        )
        self.ami_connected = Gauge(
            "cpaas_ami_connected", "1 when logged in to the PBX's AMI", ["pbx"], registry=r
        )
        self.leases_held = Gauge(
            "cpaas_leases_held",
            "leases (docs/scaling.md) this node holds and may act on now",
            ["kind"],
            registry=r,
        )
        self.ami_reconnects = Counter("cpaas_ami_reconnects", "AMI reconnects", registry=r)
        self.ami_events = Counter("cpaas_ami_events", "AMI events received", registry=r)
        self.originates = Counter(
            "cpaas_originates", "Originate actions sent", ["kind", "result"], registry=r
        )
        self.cdr_rows = Counter("cpaas_cdr_rows", "CDR rows stored", registry=r)
        self.queue_log_lines = Counter(
            "cpaas_queue_log_lines", "queue_log lines stored", registry=r
        )
        self.limit_rejections = Counter(
            "cpaas_limit_rejections",
            "Requests or connections refused by a limit (docs/security.md)",
            ["limit"],
            registry=r,
        )
        self.live_channels = Gauge("cpaas_live_channels", "channels currently up", registry=r)
        self.webhook_attempts = Counter(
            "cpaas_webhook_attempts",
            "webhook POSTs by what became of the delivery: delivered, retry, dead",
            ["outcome"],
            registry=r,
        )
        self.transcripts = Counter(
            "cpaas_transcripts", "transcription jobs finished", ["status"], registry=r
        )
