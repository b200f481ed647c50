"""Typed, frozen configuration: defaults < TOML file < environment < command line.

Validated once at start-up so that a typo fails fast with the field's name, and so that
no other module reads ``os.environ`` or guesses a default of its own.
"""

from __future__ import annotations

import ipaddress
import os
import re
import socket
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

ENV_PREFIX = "CPAAS_"
DEFAULT_AMI_SECRET = "cpaas-secret"


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class HttpConfig(_Section):
    """Deadlines and caps against slow or greedy clients (docs/security.md)."""

    host: str = "127.0.0.1"
    port: int = Field(8080, ge=0, le=65535)
    header_timeout: float = Field(15.0, gt=0)
    """A request's headers must arrive this soon after the connection opens or after
    the previous response (it is also how long an idle keep-alive connection stays)."""
    body_timeout: float = Field(30.0, gt=0)
    upload_timeout: float = Field(300.0, gt=0)
    """A multipart upload (20 MB) must be received and stored within this."""
    max_connections: int = Field(4096, ge=1)
    max_connections_per_peer: int = Field(1024, ge=1)


class AmiConfig(_Section):
    host: str = "127.0.0.1"
    port: int = Field(5038, ge=0, le=65535)
    username: str = "cpaas"
    secret: str = DEFAULT_AMI_SECRET
    """Only good for the simulated PBX: ``run`` refuses it without ``--simulate``."""
    reconnect_min: float = Field(0.2, gt=0)
    reconnect_max: float = Field(10.0, gt=0)
    ping_interval: float = Field(5.0, gt=0)
    ping_timeout: float = Field(3.0, gt=0)
    action_timeout: float = Field(10.0, gt=0)
    pbx_timezone: str = "UTC"
    """Zone of the PBX host's clock: CDR times arrive as local time without a zone."""

    @field_validator("pbx_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown IANA time zone {value!r}") from exc
        return value


class StoreConfig(_Section):
    """Where the store lives (docs/storage.md): a SQLite file (the embedded default), or
    any database ``url`` names: ``postgresql://user:password@host:5432/db`` or
    ``sqlite:///path/to/file.sqlite3``. ``url``, when set, wins over ``path``."""

    path: Path = Path("var/cpaas.sqlite3")
    url: str = ""

    @field_validator("url")
    @classmethod
    def _known_scheme(cls, value: str) -> str:
        if value and not value.startswith(("postgresql://", "postgres://", "sqlite:///")):
            raise ValueError("store.url must start with postgresql:// or sqlite:///")
        return value


def dial_template(value: str) -> str:
    """A dial template's check (``dial.*`` and each ``[[pbx]]``'s own)."""
    if value.count("{number}") != 1 or "/" not in value:
        raise ValueError("must look like TECH/...{number}... with {number} exactly once")
    if not re.fullmatch(r"[A-Za-z0-9_.@/+:=\-]+", value.replace("{number}", "")):
        # It reaches Asterisk (Originate, Setvar of the transfer globals) as it is.
        raise ValueError("may only hold letters, digits and _ . @ / + : = -")
    return value


class DialConfig(_Section):
    """How numbers become Asterisk channels. ``{number}`` is the only placeholder."""

    outbound_template: str = "PJSIP/{number}@trunk"
    extension_template: str = "PJSIP/{number}"
    ring_timeout: int = Field(30, ge=5, le=300)
    originate_timeout_ms: int = Field(30000, ge=1000, le=300000)
    recordings_dir: Path = Path("/var/spool/asterisk/monitor/cpaas")
    recordings_retention_days: int = Field(0, ge=0, le=36500)
    """Recordings of calls older than this many days are deleted (0: kept forever)."""
    recordings_sweep_interval: float = Field(3600.0, gt=0)
    """Seconds between retention sweeps (the first runs at start-up)."""

    @field_validator("outbound_template", "extension_template")
    @classmethod
    def _one_placeholder(cls, value: str) -> str:
        return dial_template(value)


class AgiConfig(_Section):
    host: str = "127.0.0.1"
    port: int = Field(4573, ge=0, le=65535)
    max_connections: int = Field(1024, ge=1)
    max_connections_per_peer: int = Field(1024, ge=1)
    secret: str = Field("", pattern=r"^[A-Za-z0-9_-]*$")
    """What the dialplan sends as ``?secret=`` (through the ``CPAAS_AGI_SECRET`` global
    the daemon sets). Empty: a random one per start, which needs no configuration."""

    @property
    def url(self) -> str:
        """Where the dialplan's ``AGI()`` reaches the daemon. The daemon sets the
        ``CPAAS_AGI`` global to it at every AMI login, so the operator never edits the
        port into ``extensions_cpaas.conf``."""
        host = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host
        return f"agi://{host}:{self.port}"


class SimConfigSection(_Section):
    """The embedded simulated PBX that ``--simulate`` starts (never in production)."""

    time_scale: float = Field(1.0, gt=0)
    queue_log_path: Path = Path("var/sim/queue_log")
    cdr_csv_path: Path = Path("var/sim/Master.csv")


class CdrConfig(_Section):
    """Asterisk's cdr_csv file, read to recover CDRs the AMI link missed (None = off; it
    is also what proves a call whose end no daemon heard unanswered, cdr/lost_calls.py),
    and how long after a call ended a CDR is built from AMI when Asterisk wrote none (also
    the grace, after the originate timeout, before such a lost call's CDR is written)."""

    csv_path: Path | None = None
    poll_interval: float = Field(2.0, gt=0)
    fallback_after: float = Field(5.0, gt=0, le=300)


class QueueLogConfig(_Section):
    path: Path | None = None
    poll_interval: float = Field(0.5, gt=0)


class CallbacksConfig(_Section):
    grace_seconds: int = Field(300, ge=0)
    # How often every node reads the table for callbacks due within the next poll
    # (docs/callbacks.md): the longest a callback can be late when the node that created
    # it is gone less than this before its due time.
    poll_seconds: float = Field(1.0, gt=0, le=60)


class TtsConfig(_Section):
    engine: Literal["espeak-ng", "flite", "none"] = "espeak-ng"
    cache_dir: Path = Path("var/tts")


class TranscriptsConfig(_Section):
    """Offline call transcription (``transcript: "on"``); docs/transcripts.md.

    ``pocketsphinx`` ships its English model inside its wheel; ``vosk`` and
    ``faster-whisper`` read a model the operator installs under ``model_dir``."""

    engine: Literal["pocketsphinx", "vosk", "faster-whisper", "none"] = "pocketsphinx"
    model_dir: Path | None = None
    max_concurrent: int = Field(1, ge=1, le=16)
    timeout: float = Field(900.0, gt=0)
    """Seconds one transcription may run before it is killed and marked failed."""


class CampaignsConfig(_Section):
    uploads_dir: Path = Path("var/uploads")
    max_concurrent_calls: int = Field(50, ge=1)


class WebhooksConfig(_Section):
    """Webhook delivery (docs/webhooks.md)."""

    allowed_networks: tuple[str, ...] = ()
    """CIDRs the SSRF guard lets through although loopback/private (e.g. 10.0.0.0/8)."""
    concurrency_per_endpoint: int = Field(16, ge=1, le=256)
    connect_timeout: float = Field(5.0, gt=0)
    timeout: float = Field(10.0, gt=0)
    retry_scale: float = Field(1.0, gt=0)
    """Multiplies the retry schedule (tests shrink it; 1.0 spans ~72 h)."""
    poll_interval: float = Field(0.25, gt=0)
    retention_days: int = Field(7, ge=1)

    @field_validator("allowed_networks", mode="before")
    @classmethod
    def _networks(cls, value: object) -> object:
        """A list, or (from the environment) one comma-separated string."""
        if isinstance(value, str):
            value = tuple(net.strip() for net in value.split(",") if net.strip())
        for net in value if isinstance(value, list | tuple) else ():
            try:
                ipaddress.ip_network(net, strict=False)
            except ValueError as exc:
                raise ValueError(f"{net!r} is not an IP network") from exc
        return value


class LimitsConfig(_Section):
    """Per-account defaults for calls placed through the API (``accounts limits`` sets
    an account's own), and how many failed logins a peer or an account may make per
    window before further attempts are refused with 429 (docs/security.md)."""

    calls_per_second: float = Field(5.0, gt=0)
    max_concurrent_calls: int = Field(50, ge=1)
    auth_failures_per_peer: int = Field(20, ge=1)
    auth_failures_per_account: int = Field(100, ge=1)
    auth_window_seconds: float = Field(60.0, gt=0)


PBX_ID_PATTERN = r"^[a-z][a-z0-9_-]{0,31}$"
DEFAULT_PBX_ID = "default"


class PbxConfig(_Section):
    """One Asterisk of a ``[[pbx]]`` list: its AMI endpoint, how numbers become its
    channels, how many calls it may carry and the files its CDRs and queue_log land in.

    The id is stored in every row the PBX produces (calls, CDR legs, queue_log lines, read
    positions), so it is a short identifier that never changes for that Asterisk."""

    id: str = Field(pattern=PBX_ID_PATTERN)
    ami: AmiConfig = AmiConfig()
    outbound_template: str | None = None
    """None: ``dial.outbound_template``."""
    extension_template: str | None = None
    """None: ``dial.extension_template``."""
    max_channels: int | None = Field(None, ge=1)
    """Calls (not channels) this PBX may carry at once: originates go elsewhere past it
    (None: no limit)."""
    cdr_csv_path: Path | None = None
    queue_log_path: Path | None = None

    @field_validator("outbound_template", "extension_template")
    @classmethod
    def _template(cls, value: str | None) -> str | None:
        return None if value is None else dial_template(value)


NODE_ID_PATTERN = r"^[a-z0-9][a-z0-9_.-]{0,62}$"


def default_node_id() -> str:
    """The host name as a node id (lower-cased, other characters as ``-``): unique per
    machine, stable across restarts, which is what a lease's holder must be."""
    name = re.sub(r"[^a-z0-9_.-]", "-", socket.gethostname().lower()).lstrip("_.-")
    return (name or "node")[:63]


class ClusterConfig(_Section):
    """Several daemons on one store (docs/scaling.md): who this node is, how long the
    leases it holds (a PBX, a running campaign) last without renewal, and where the
    other nodes reach its API."""

    node_id: str = Field(default_factory=default_node_id, pattern=NODE_ID_PATTERN)
    """Unique per daemon sharing the store: two processes with one id would both
    believe they hold the same lease."""
    lease_seconds: float = Field(10.0, ge=1.0, le=300.0)
    """A lease not renewed for this long (judged on the database's clock) is free for
    another node; the holder renews every third of it."""
    api_url: str = ""
    """Where other nodes reach this node's HTTP API (``http://10.0.0.5:8080``), stored
    with every lease it holds; empty: ``http://<http.host>:<http.port>``."""

    @field_validator("api_url")
    @classmethod
    def _http(cls, value: str) -> str:
        if value and not re.fullmatch(r"https?://[^/\s]+", value):
            raise ValueError("must look like http://host:port (no path)")
        return value


class LogConfig(_Section):
    format: Literal["auto", "json", "console"] = "auto"
    level: Literal["debug", "info", "warning", "error"] = "info"


class Config(_Section):
    http: HttpConfig = HttpConfig()
    ami: AmiConfig = AmiConfig()
    store: StoreConfig = StoreConfig()
    dial: DialConfig = DialConfig()
    agi: AgiConfig = AgiConfig()
    simulate: bool = False
    sim: SimConfigSection = SimConfigSection()
    queue_log: QueueLogConfig = QueueLogConfig()
    cdr: CdrConfig = CdrConfig()
    callbacks: CallbacksConfig = CallbacksConfig()
    tts: TtsConfig = TtsConfig()
    transcripts: TranscriptsConfig = TranscriptsConfig()
    campaigns: CampaignsConfig = CampaignsConfig()
    webhooks: WebhooksConfig = WebhooksConfig()
    limits: LimitsConfig = LimitsConfig()
    log: LogConfig = LogConfig()
    cluster: ClusterConfig = ClusterConfig()
    pbx: tuple[PbxConfig, ...] = ()
    """``[[pbx]]`` entries; empty: one PBX, ``default``, from ``[ami]``, ``dial``,
    ``cdr.csv_path`` and ``queue_log.path`` (:meth:`pbxes`)."""

    @field_validator("pbx")
    @classmethod
    def _distinct_ids(cls, value: tuple[PbxConfig, ...]) -> tuple[PbxConfig, ...]:
        ids = [pbx.id for pbx in value]
        if len(set(ids)) != len(ids):
            raise ValueError(f"pbx ids must be distinct: {ids}")
        return value

    def pbx_zones(self) -> dict[str, str]:
        """The PBXs whose wall clock (their CDR times) is not ``[ami].pbx_timezone``: a
        ``[[pbx]]`` entry that sets its own ``ami.pbx_timezone``."""
        return {
            pbx.id: pbx.ami.pbx_timezone
            for pbx in self.pbx
            if "pbx_timezone" in pbx.ami.model_fields_set
        }

    def api_url(self) -> str:
        """Where other nodes reach this node's API (``cluster.api_url`` or the listener)."""
        if self.cluster.api_url:
            return self.cluster.api_url
        host = "127.0.0.1" if self.http.host in ("0.0.0.0", "") else self.http.host
        return f"http://{host}:{self.http.port}"

    def pbxes(self) -> tuple[PbxConfig, ...]:
        """Every PBX the daemon drives. Without ``[[pbx]]`` it is the
        single-PBX configuration's one (``default``), so that configuration keeps working
        as it is; with ``--simulate`` its files are the simulator's."""
        if self.pbx:
            return self.pbx
        sim = self.simulate
        return (
            PbxConfig(
                id=DEFAULT_PBX_ID,
                ami=self.ami,
                cdr_csv_path=self.cdr.csv_path or (self.sim.cdr_csv_path if sim else None),
                queue_log_path=self.queue_log.path or (self.sim.queue_log_path if sim else None),
            ),
        )


class ConfigError(Exception):
    """The configuration is invalid; the message names the offending field."""


def _merge(base: dict[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _from_env(environ: Mapping[str, str]) -> dict[str, Any]:
    """``CPAAS_AMI__PORT=5039`` -> ``{"ami": {"port": "5039"}}`` (pydantic coerces)."""
    tree: dict[str, Any] = {}
    for name, value in environ.items():
        if not name.startswith(ENV_PREFIX):
            continue
        path = name[len(ENV_PREFIX) :].lower().split("__")
        node = tree
        for part in path[:-1]:
            node = node.setdefault(part, {})
        node[path[-1]] = value
    return tree


def load_config(
    path: Path | None = None,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Config:
    """Build the one Config: defaults, then the TOML file, then env, then CLI overrides."""
    data: dict[str, Any] = {}
    if path is not None:
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"{path}: {exc}") from exc
    data = _merge(data, _from_env(os.environ if environ is None else environ))
    data = _merge(data, overrides or {})
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
        )
        raise ConfigError(problems) from exc
