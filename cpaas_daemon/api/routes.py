"""The whole URL table of the daemon, one line per endpoint, grouped by dialect."""

from __future__ import annotations

from aiohttp import web

from cpaas_daemon.api import (
    agent_dashboard,
    asternic,
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
    wallboard,
)


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/health", health.health)
    app.router.add_get("/metrics", health.metrics)
    app.router.add_get("/openapi.json", openapi.openapi_json)

    # Seed 003: CPaaS calls and CDRs (`account` + `auth` headers).
    app.router.add_post("/api/click2call", cpaas_calls.click2call)
    app.router.add_post("/api/outbound_call", cpaas_calls.outbound_call)
    app.router.add_post("/api/modify_call", cpaas_calls.modify_call)
    app.router.add_post("/api/get_cdr_by_date", cpaas_calls.cdr_by_date)
    app.router.add_post("/api/get_cdr_by_request_id", cpaas_calls.cdr_by_request_id)
    app.router.add_get("/api/get_cdr_statistics", cpaas_calls.cdr_statistics)
    app.router.add_get("/api/get_live_call_statistics", cpaas_calls.live_call_statistics)
    app.router.add_get("/api/transcript", cpaas_transcripts.get_transcript)
    app.router.add_get("/api/live_calls", cpaas_calls.live_calls_list)
    app.router.add_get("/api/recording/{request_id}", cpaas_calls.recording)
    app.router.add_post("/api/callback", cpaas_callbacks.create_callback)
    app.router.add_patch("/api/callback", cpaas_callbacks.modify_callback)
    app.router.add_delete("/api/callback", cpaas_callbacks.delete_callback)
    app.router.add_get("/api/callback", cpaas_callbacks.get_callback)
    app.router.add_post("/api/create_campaign_list", cpaas_campaign_lists.create_campaign_list)
    app.router.add_post("/api/add_contact_to_list", cpaas_campaign_lists.add_contact_to_list)
    app.router.add_post(
        "/api/import_broadcast_contacts_csv", cpaas_campaign_lists.import_broadcast_contacts_csv
    )
    app.router.add_post(
        "/api/create_campaign_dnd_list", cpaas_campaign_lists.create_campaign_dnd_list
    )
    app.router.add_post(
        "/api/add_dnd_contact_to_list", cpaas_campaign_lists.add_dnd_contact_to_list
    )
    app.router.add_post(
        "/api/import_dnd_contacts_csv", cpaas_campaign_lists.import_dnd_contacts_csv
    )
    app.router.add_post("/api/upload_csv", cpaas_campaign_lists.upload_csv)
    app.router.add_post("/api/create_campaign", cpaas_campaigns.create_campaign)
    app.router.add_post("/api/stop_campaign", cpaas_campaigns.stop_campaign)
    app.router.add_post(cpaas_campaigns.SEED_STOP_PATH, cpaas_campaigns.stop_campaign)
    app.router.add_get("/api/get_campaign_details", cpaas_campaigns.get_campaign_details)
    app.router.add_post("/api/get_cdr_by_campaign_id", cpaas_campaigns.cdr_by_campaign_id)
    app.router.add_post("/api/get_campaign_cdr_statistics", cpaas_campaigns.campaign_cdr_statistics)
    app.router.add_post("/api/webhooks", cpaas_webhooks.create_webhook)
    app.router.add_get("/api/webhooks", cpaas_webhooks.list_webhooks)
    app.router.add_patch("/api/webhooks", cpaas_webhooks.modify_webhook)
    app.router.add_delete("/api/webhooks", cpaas_webhooks.delete_webhook)
    app.router.add_post("/api/webhooks/rotate_secret", cpaas_webhooks.rotate_secret)
    app.router.add_get("/api/webhooks/dead", cpaas_webhooks.dead_letters)
    app.router.add_post("/api/webhooks/redeliver", cpaas_webhooks.redeliver)

    # Seed 002: iSales outbound campaign statistics (HTTP Basic over the accounts).
    app.router.add_get(
        "/rest/isales/v2/openapi/campaigns/{vdnId}/statistics", isales.campaign_statistics
    )

    # Seeds 000 and 001: v2 counters (`userId` + `token` in the body).
    app.router.add_post("/api/v2/overallCount/Ecounters", ecounters.ecounters)
    app.router.add_post("/api/v2/agentDashboard/counters", agent_dashboard.counters)

    # Seed 004: Asternic Call Center Stats PRO REST (HTTP Basic, stats_users).
    app.router.add_get(asternic.PATH, asternic.stats_rest)

    # Live wallboard (same HTTP Basic stats_users; docs/wallboard.md).
    app.router.add_get(wallboard.PATH, wallboard.page)
    app.router.add_get(f"{wallboard.PATH}/snapshot", wallboard.snapshot)
    app.router.add_get(f"{wallboard.PATH}/events", wallboard.events)
    app.router.add_static(wallboard.STATIC_PATH, wallboard.STATIC_DIR)
