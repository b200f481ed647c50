"""The least an HTTP front for click-to-call can cost: the floor under the daemon's
figure in ``bench.real_asterisk``, served by aiohttp like the daemon, in its own process.

``python -m bench._http_floor`` answers ``POST /api/click2call`` with the daemon's 200
body after reading the JSON, and nothing else. With ``--ami-port`` it is also the
thinnest HTTP-to-AMI proxy: each request sends the click-to-call Originate
(``bench._raw_ami``) on one session with ``Events: off`` and answers once Asterisk
accepted it. No validation, no call row, no events, no log line: what no real daemon can
skip, so the daemon's Originates/s can never exceed this one's. Prints
``{"http_port": N}`` when serving; stops on SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import signal

from aiohttp import web

from bench._raw_ami import RawAmi, originate

REQUEST_BASE = 0xC000000000  # request ids apart from the raw client's and the daemon's


async def serve(ami_port: int | None) -> None:
    ami = None if ami_port is None else await RawAmi.login(ami_port)
    numbers = itertools.count(REQUEST_BASE)

    async def click2call(request: web.Request) -> web.Response:
        body = await request.json()
        request_id = f"{next(numbers):010x}"
        if ami is not None:
            frame = originate(
                request_id, request_id, body["agent_number"], body["destination_number"]
            )
            if await ami.send(request_id, frame) != b"Response: Success":
                return web.json_response({"response": {"success": "false"}}, status=502)
        return web.json_response({"response": {"request_id": request_id, "success": "true"}})

    app = web.Application()
    app.router.add_post("/api/click2call", click2call)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    print(json.dumps({"http_port": port}), flush=True)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()
        if ami is not None:
            ami.close()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench._http_floor")
    parser.add_argument("--ami-port", type=int, help="proxy each request as an Originate")
    asyncio.run(serve(parser.parse_args().ami_port))


if __name__ == "__main__":
    main()
