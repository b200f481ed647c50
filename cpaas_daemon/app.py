"""The composition root: the domains, the HTTP layer over them, their lifetime.

``domains.build`` makes every component from the configuration, each domain's plugin
from the plugins it uses; ``api.routes.create_root`` mounts one sub-app per dialect with
handlers built over those services; ``cleanup_ctx`` starts the components in
``Domains.contexts`` order and stops them in reverse, so no task outlives the thing it
uses.
"""

from __future__ import annotations

from aiohttp import web

from cpaas_daemon import domains, keys
from cpaas_daemon.api.routes import create_root
from cpaas_daemon.config import Config


def create_app(config: Config) -> web.Application:
    """Build every component (not yet started); ``cleanup_ctx`` starts them in order."""
    built = domains.build(config)
    app, api = create_root(built)
    app[keys.DOMAINS] = built  # for the listener, the CLI's tests and the benchmarks
    app[keys.API] = api
    app.cleanup_ctx.extend(built.contexts())
    app.on_shutdown.append(built.wallboard.shutdown)
    return app
