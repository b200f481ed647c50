"""``[cluster]``: who this node is, how long its leases last, where others reach it; and
that the pool routes only to the PBXs whose lease this node may act on."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cpaas_daemon.calls.placement import NotSent
from cpaas_daemon.cluster.leases import PBX, Lease
from cpaas_daemon.config import NODE_ID_PATTERN, ConfigError, default_node_id, load_config
from cpaas_daemon.pbx.pool import PbxPool
from tests.unit.pbx.test_selection import loads, pbx


def test_defaults_are_the_host_name_ten_seconds_and_the_http_listener() -> None:
    config = load_config(None, environ={}, overrides={"http": {"host": "0.0.0.0", "port": 8081}})
    assert config.cluster.node_id == default_node_id()
    assert re.fullmatch(NODE_ID_PATTERN, config.cluster.node_id)
    assert config.cluster.lease_seconds == 10.0
    assert config.api_url() == "http://127.0.0.1:8081"


def test_node_id_lease_and_api_url_are_checked() -> None:
    environ = {
        "CPAAS_CLUSTER__NODE_ID": "host-a.dc1",
        "CPAAS_CLUSTER__LEASE_SECONDS": "3",
        "CPAAS_CLUSTER__API_URL": "http://10.0.0.5:8080",
    }
    config = load_config(None, environ=environ)
    assert (config.cluster.node_id, config.cluster.lease_seconds) == ("host-a.dc1", 3.0)
    assert config.api_url() == "http://10.0.0.5:8080"
    for key, bad in (
        ("NODE_ID", "Host A"),
        ("NODE_ID", "-a"),
        ("LEASE_SECONDS", "0.5"),
        ("API_URL", "http://x/path"),
    ):
        with pytest.raises(ConfigError, match=f"cluster.{key.lower()}"):
            load_config(None, environ={f"CPAAS_CLUSTER__{key}": bad})


def test_the_pool_routes_only_to_pbxs_whose_lease_is_valid_here() -> None:
    held = {"b": Lease(PBX, "b", "node-a", 7)}
    pool = PbxPool([pbx("a"), pbx("b")], loads(b=5), held.get)
    assert pool.route("0000000001").id == "b"  # a is least loaded, but another node's
    assert pool.lease("b") == held["b"]  # the fence the call's row is written under
    assert (pool.owned(), pool.health()) == (["b"], {"a": False, "b": True})
    held.clear()  # the lease lapsed on the local clock
    with pytest.raises(NotSent, match="PBX is not connected"):
        pool.route("0000000002")
    assert not pool.connected


def test_the_documented_cluster_section_is_a_valid_configuration(tmp_path: Path) -> None:
    docs = (Path(__file__).parents[3] / "docs" / "scaling.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```toml\n(.*?)```", docs, re.S)
    [example] = [block for block in blocks if "[cluster]" in block]
    (tmp_path / "cluster.toml").write_text(example, encoding="utf-8")
    config = load_config(tmp_path / "cluster.toml", environ={})
    assert config.cluster.node_id == "host-a"
    assert config.api_url() == "http://10.0.0.5:8080"
