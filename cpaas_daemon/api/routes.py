"""The whole URL table of the daemon, one sub-application per dialect.

Each vendor document has its own error shape, so each dialect is an aiohttp sub-app with
its own error middleware (and body deadline, so a 408 is in its shape too), mounted on
the URL prefixes it owns: ``/api/`` (seed 003, and its ``/stop_campaign``),
``/api/v2/`` (seed 000), ``/api/v2/agentDashboard/`` (seed 001), ``/rest/isales/``
(seed 002), ``/stats/`` and ``/wallboard`` (seed 004 and its wallboard). A URL under a
prefix that no route serves is a 404 in that dialect. The root app serves the
operational endpoints and answers any other URL in the generic shape.

Handlers are methods of small classes built with the services they use; none looks a
service up on the request.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from aiohttp import web
from aiohttp.web_urldispatcher import AbstractRuleMatching, MatchedSubAppResource, _InfoDict

from cpaas_daemon.api import (
    agent_dashboard,
    asternic,
    cpaas_base,
    cpaas_callbacks,
    cpaas_calls,
    cpaas_campaign_lists,
    cpaas_campaigns,
    cpaas_transcripts,
    cpaas_webhooks,
    ecounters,
    health,
    isales,
    openapi,
    v2_base,
    wallboard,
)
from cpaas_daemon.api.context import context_middleware
from cpaas_daemon.api.errors import Renderer, error_middleware, generic_renderer
from cpaas_daemon.api.forwarding import Forwarder
from cpaas_daemon.config import HttpConfig
from cpaas_daemon.domains import Domains
from cpaas_daemon.http_server import body_deadline


@dataclass(frozen=True)
class Api:
    """What the HTTP layer owns beyond its routes: iSales' per-account flow control."""

    isales_flow: isales.FlowControl


def create_root(domains: Domains) -> tuple[web.Application, Api]:
    """The root app with every dialect mounted (longest prefix first: the rules are
    tried in order, so ``/api/v2/`` is never taken for ``/api/``)."""
    core = domains.core
    http = core.config.http
    root = web.Application(
        middlewares=[
            context_middleware(core.metrics),
            error_middleware(generic_renderer),
            body_deadline(http, generic_renderer),
        ]
    )
    ops = health.OpsApi(
        domains.pbx.pool,
        core.db,
        core.metrics,
        core.config.cluster.node_id,
        domains.campaigns.service.dialer.owned,
    )
    root.router.add_get("/health", ops.health)
    root.router.add_get("/metrics", ops.metrics)
    root.router.add_get("/openapi.json", openapi.openapi_json)

    accounts = cpaas_base.AccountAuth(core.accounts, core.auth_throttle)
    v2_auth = v2_base.V2Auth(core.auth_throttle, domains.stats.access)
    api = Api(isales_flow=isales.FlowControl())
    _mount(
        root,
        ("/api/v2/agentDashboard/",),
        _agent_dashboard(http, agent_dashboard.AgentDashboardApi(v2_auth, domains.stats.agents)),
    )
    _mount(root, ("/api/v2/",), _v2(http, ecounters.EcountersApi(v2_auth, domains.stats.ecounters)))
    forwarder = Forwarder(domains.pbx.pool, domains.pbx.leases, http.body_timeout)
    root.on_cleanup.append(forwarder.close)
    _mount(
        root,
        ("/api/", cpaas_campaigns.SEED_STOP_PATH),
        _cpaas(http, domains, accounts, forwarder),
    )
    _mount(
        root,
        ("/rest/isales/",),
        _isales(http, isales.IsalesApi(accounts, api.isales_flow, domains.campaigns.service)),
    )
    stats_users = asternic.StatsUserAuth(core.auth_throttle, domains.queue_log.stats.users)
    _mount(
        root,
        ("/stats/", wallboard.PATH),
        _asternic(
            http,
            asternic.AsternicApi(stats_users, domains.queue_log.stats),
            wallboard.WallboardApi(stats_users, domains.wallboard.hub),
        ),
    )
    return root, api


def _dialect(http: HttpConfig, render: Renderer) -> web.Application:
    return web.Application(middlewares=[error_middleware(render), body_deadline(http, render)])


def _cpaas(
    http: HttpConfig, domains: Domains, auth: cpaas_base.AccountAuth, forwarder: Forwarder
) -> web.Application:
    """Seed 003: CPaaS calls and CDRs (`account` + `auth` headers); call control that
    needs another node's PBX is forwarded there."""
    core = domains.core
    calls = cpaas_calls.CallsApi(
        auth=auth,
        limiter=core.call_limiter,
        calls=domains.calls.service,
        otp=domains.calls.otp,
        call_records=domains.calls.repository,
        tracker=core.tracker,
        cdr=domains.cdr.queries,
        transcripts=domains.transcripts.service,
        recordings=domains.recordings.files,
        forwarder=forwarder,
    )
    transcripts = cpaas_transcripts.TranscriptsApi(auth, domains.transcripts.service)
    callbacks = cpaas_callbacks.CallbacksApi(auth, domains.callbacks.service)
    lists = cpaas_campaign_lists.CampaignListsApi(auth, domains.campaigns.service)
    campaigns = cpaas_campaigns.CampaignsApi(
        auth,
        domains.campaigns.service,
        domains.cdr.queries,
        core.config.campaigns.max_concurrent_calls,
    )
    webhooks = cpaas_webhooks.WebhooksApi(
        auth, domains.webhooks.repository, domains.webhooks.worker
    )
    app = _dialect(http, cpaas_base.render_error)
    app.router.add_post("/api/click2call", calls.click2call)
    app.router.add_post("/api/outbound_call", calls.outbound_call)
    app.router.add_post("/api/modify_call", calls.modify_call)
    app.router.add_post("/api/get_cdr_by_date", calls.cdr_by_date)
    app.router.add_post("/api/get_cdr_by_request_id", calls.cdr_by_request_id)
    app.router.add_get("/api/get_cdr_statistics", calls.cdr_statistics)
    app.router.add_get("/api/get_live_call_statistics", calls.live_call_statistics)
    app.router.add_get("/api/transcript", transcripts.get_transcript)
    app.router.add_get("/api/live_calls", calls.live_calls_list)
    app.router.add_get("/api/recording/{request_id}", calls.recording)
    app.router.add_post("/api/callback", callbacks.create_callback)
    app.router.add_patch("/api/callback", callbacks.modify_callback)
    app.router.add_delete("/api/callback", callbacks.delete_callback)
    app.router.add_get("/api/callback", callbacks.get_callback)
    app.router.add_post("/api/create_campaign_list", lists.create_campaign_list)
    app.router.add_post("/api/add_contact_to_list", lists.add_contact_to_list)
    app.router.add_post("/api/import_broadcast_contacts_csv", lists.import_broadcast_contacts_csv)
    app.router.add_post("/api/create_campaign_dnd_list", lists.create_campaign_dnd_list)
    app.router.add_post("/api/add_dnd_contact_to_list", lists.add_dnd_contact_to_list)
    app.router.add_post("/api/import_dnd_contacts_csv", lists.import_dnd_contacts_csv)
    app.router.add_post("/api/upload_csv", lists.upload_csv)
    app.router.add_post("/api/create_campaign", campaigns.create_campaign)
    app.router.add_post("/api/stop_campaign", campaigns.stop_campaign)
    app.router.add_post(cpaas_campaigns.SEED_STOP_PATH, campaigns.stop_campaign)
    app.router.add_get("/api/get_campaign_details", campaigns.get_campaign_details)
    app.router.add_post("/api/get_cdr_by_campaign_id", campaigns.cdr_by_campaign_id)
    app.router.add_post("/api/get_campaign_cdr_statistics", campaigns.campaign_cdr_statistics)
    app.router.add_post("/api/webhooks", webhooks.create_webhook)
    app.router.add_get("/api/webhooks", webhooks.list_webhooks)
    app.router.add_patch("/api/webhooks", webhooks.modify_webhook)
    app.router.add_delete("/api/webhooks", webhooks.delete_webhook)
    app.router.add_post("/api/webhooks/rotate_secret", webhooks.rotate_secret)
    app.router.add_get("/api/webhooks/dead", webhooks.dead_letters)
    app.router.add_post("/api/webhooks/redeliver", webhooks.redeliver)
    return app


def _isales(http: HttpConfig, api: isales.IsalesApi) -> web.Application:
    """Seed 002: iSales outbound campaign statistics (HTTP Basic over the accounts)."""
    app = _dialect(http, isales.render_error)
    app.router.add_get(
        "/rest/isales/v2/openapi/campaigns/{vdnId}/statistics", api.campaign_statistics
    )
    return app


def _v2(http: HttpConfig, api: ecounters.EcountersApi) -> web.Application:
    """Seed 000: v2 counters (`userId` + `token` in the body)."""
    app = _dialect(http, v2_base.render_error)
    app.router.add_post("/api/v2/overallCount/Ecounters", api.ecounters)
    return app


def _agent_dashboard(http: HttpConfig, api: agent_dashboard.AgentDashboardApi) -> web.Application:
    """Seed 001: the v2 dialect with its own internal error code."""
    app = _dialect(http, v2_base.render_agent_error)
    app.router.add_post("/api/v2/agentDashboard/counters", api.counters)
    return app


def _asternic(
    http: HttpConfig, api: asternic.AsternicApi, board: wallboard.WallboardApi
) -> web.Application:
    """Seed 004: Asternic Call Center Stats PRO REST (HTTP Basic, stats_users), and the
    live wallboard (same users and error shape; docs/wallboard.md)."""
    app = _dialect(http, asternic.render_error)
    app.router.add_get(asternic.PATH, api.stats_rest)
    app.router.add_get(wallboard.PATH, board.page)
    app.router.add_get(f"{wallboard.PATH}/snapshot", board.snapshot)
    app.router.add_get(f"{wallboard.PATH}/events", board.events)
    app.router.add_static(wallboard.STATIC_PATH, wallboard.STATIC_DIR)
    return app


class _Prefixes(AbstractRuleMatching):
    """A dialect's URL prefixes, matched as plain string prefixes of the path."""

    def __init__(self, prefixes: tuple[str, ...]) -> None:
        self._prefixes = prefixes

    async def match(self, request: web.Request) -> bool:
        return request.path.startswith(self._prefixes)

    def get_info(self) -> _InfoDict:
        return {"prefix": self.canonical}

    @property
    def canonical(self) -> str:
        return self._prefixes[0]


def _mount(root: web.Application, prefixes: tuple[str, ...], dialect: web.Application) -> None:
    """Mount ``dialect`` on ``prefixes`` with its routes at their full paths.

    ``add_subapp`` takes one prefix and cannot serve the prefix itself (``/wallboard``,
    ``/stop_campaign``), so this is ``add_domain`` with a path rule instead of a host
    rule: the same private ``_add_subapp`` (aiohttp is pinned), which also pre-freezes
    the sub-app and forwards the root's signals to it.
    """
    root._add_subapp(partial(MatchedSubAppResource, _Prefixes(prefixes), dialect), dialect)
