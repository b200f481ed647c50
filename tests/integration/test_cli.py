"""The command line as an operator uses it: `make run`'s command, accounts, config checks."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
from pathlib import Path

import aiohttp

from cpaas_daemon.config import default_node_id
from cpaas_daemon.main import main
from tests.harness import free_port

REPO = Path(__file__).resolve().parents[2]


async def test_run_simulate_serves_health_within_10_seconds(tmp_path: Path) -> None:
    """What `make run` does, from a directory with nothing in it."""
    port = free_port()
    env = {**os.environ, "CPAAS_AGI__PORT": str(free_port()), "CPAAS_LOG__FORMAT": "json"}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "cpaas_daemon", "run", "--simulate",
        "--config", str(REPO / "config" / "cpaas.toml"), "--http-port", str(port),
        cwd=tmp_path, env=env, stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        async with aiohttp.ClientSession() as session, asyncio.timeout(10):
            while True:
                try:
                    async with session.get(f"http://127.0.0.1:{port}/health") as response:
                        if response.status == 200:
                            assert await response.json() == {
                                "status": "ok", "ami": True, "db": True,
                                "pbx": {"default": True},
                                "cluster": {
                                    "node": default_node_id(), "pbx": ["default"],
                                    "campaigns": [],
                                },
                            }  # fmt: skip
                            break
                except aiohttp.ClientConnectionError:
                    pass
                await asyncio.sleep(0.1)  # another process: nothing to await but its port
    finally:
        proc.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(proc.communicate(), 10)
    assert proc.returncode == 0, stderr.decode()[-2000:]
    assert (tmp_path / "var" / "cpaas.sqlite3").exists()
    assert b'"event": "daemon.ready"' in stderr


def test_accounts_add_prints_a_generated_secret_once_and_stores_a_hash(
    tmp_path: Path, capsys: object
) -> None:
    db = tmp_path / "c.sqlite3"
    assert main(["--db", str(db), "accounts", "add", "acme"]) == 0
    out = capsys.readouterr().out  # type: ignore[attr-defined]
    secret = out.split("auth: ")[1].strip()
    assert len(secret) >= 24
    assert secret.encode() not in db.read_bytes()
    assert main(["--db", str(db), "accounts", "add", "acme"]) == 2  # already exists
    assert main(["--db", str(db), "accounts", "add", "other", "--auth", "short"]) == 2
    assert main(["accounts", "list", "--db", str(db)]) == 0  # options after the command too
    assert capsys.readouterr().out.split() == ["acme"]  # type: ignore[attr-defined]


def test_check_config_rejects_bad_values_with_exit_2(tmp_path: Path, capsys: object) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[http]\nport = 99999\n")
    assert main(["--config", str(bad), "check-config"]) == 2
    assert "http.port" in capsys.readouterr().err  # type: ignore[attr-defined]
    assert main(["--config", str(REPO / "config" / "cpaas.toml"), "check-config"]) == 0
    assert "cpaas-secret" not in capsys.readouterr().out  # type: ignore[attr-defined]


def test_run_refuses_the_built_in_ami_secret_outside_simulate(
    tmp_path: Path, capsys: object
) -> None:
    """Issue 10.7: the shipped secret never opens a real PBX; exit 2 names the key."""
    config = REPO / "config" / "cpaas.toml"
    assert main(["--config", str(config), "--db", str(tmp_path / "db"), "run"]) == 2
    assert "ami.secret" in capsys.readouterr().err  # type: ignore[attr-defined]
    assert not (tmp_path / "db").exists()  # refused before anything was opened


def test_accounts_limits_sets_shows_and_resets_an_accounts_limits(
    tmp_path: Path, capsys: object
) -> None:
    db = ["--db", str(tmp_path / "c.sqlite3")]
    assert main([*db, "accounts", "add", "acme", "--auth", "long-enough-secret"]) == 0
    assert main([*db, "accounts", "limits", "acme", "--cps", "1"]) == 0
    assert main([*db, "accounts", "limits", "acme", "--concurrent", "3"]) == 0
    lines = capsys.readouterr().out.splitlines()  # type: ignore[attr-defined]
    assert lines[-2] == "acme: calls_per_second 1, max_concurrent_calls 50 (default)"
    assert lines[-1] == "acme: calls_per_second 1, max_concurrent_calls 3"
    assert main([*db, "accounts", "limits", "acme", "--default"]) == 0
    out = capsys.readouterr().out  # type: ignore[attr-defined]
    assert out == "acme: calls_per_second 5 (default), max_concurrent_calls 50 (default)\n"
    assert main([*db, "accounts", "limits", "nobody", "--cps", "1"]) == 2
    assert main([*db, "accounts", "limits", "acme", "--cps", "0"]) == 2


def test_pbx_entries_keep_their_secrets_and_one_left_default_refuses_run(
    tmp_path: Path, capsys: object
) -> None:
    """docs/scaling.md's example is a valid configuration; check-config prints no PBX's
    secret, and ``run`` names the PBX still on the built-in secret."""
    blocks = re.findall(r"```toml\n(.*?)```", (REPO / "docs" / "scaling.md").read_text(), re.S)
    [example] = [block for block in blocks if "[[pbx]]" in block]
    config = tmp_path / "pbx.toml"
    # east gets a secret of its own, west keeps the built-in one.
    east_only = example.replace('secret = "..."', 'secret = "east-secret-1"', 1)
    config.write_text(east_only.replace('secret = "..."', ""))
    assert main(["--config", str(config), "check-config"]) == 0
    out = capsys.readouterr().out  # type: ignore[attr-defined]
    assert '"id": "east"' in out
    assert '"id": "west"' in out
    assert "east-secret-1" not in out
    assert main(["--config", str(config), "--db", str(tmp_path / "db"), "run"]) == 2
    err = capsys.readouterr().err  # type: ignore[attr-defined]
    assert "built-in default (PBX west)" in err
