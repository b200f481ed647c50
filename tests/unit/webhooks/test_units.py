"""The pieces a receiver and an operator rely on, checked directly."""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
from datetime import UTC, datetime

import pytest

from cpaas_daemon.webhooks import retry, signing
from cpaas_daemon.webhooks.ssrf import AddressPolicy, BlockedAddress, GuardedResolver


def test_signature_matches_the_standard_webhooks_construction() -> None:
    key = bytes(range(24))
    secret = "whsec_" + base64.b64encode(key).decode()
    body = b'{"id":"evt_1"}'
    expected = base64.b64encode(
        hmac.new(key, b"evt_1.1700000000." + body, hashlib.sha256).digest()
    ).decode()
    assert signing.signature(secret, "evt_1", 1700000000, body) == "v1," + expected


def test_retries_span_about_72_hours() -> None:
    total = sum(retry.STEPS)
    assert 68 * 3600 <= total <= 76 * 3600
    assert list(retry.STEPS) == sorted(retry.STEPS)
    delays = [retry.delay_after(1) for _ in range(200)]
    assert min(delays) >= 4.0
    assert max(delays) <= 6.0
    assert len(set(delays)) > 100  # jittered
    assert retry.delay_after(3, retry_after=42) == 42
    assert retry.delay_after(3, retry_after=10**9) == retry.STEPS[-1]


def test_retry_after_as_seconds_or_http_date() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert retry.parse_retry_after("120", now) == 120
    assert retry.parse_retry_after("Thu, 01 Jan 2026 00:01:00 GMT", now) == 60
    assert retry.parse_retry_after("soon", now) is None


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254",
        "100.100.100.200", "100.64.0.1", "0.0.0.0", "224.0.0.1", "::1", "fe80::1",
        "fd00:ec2::254", "::ffff:127.0.0.1", "::ffff:169.254.169.254",
        "2002:7f00:1::1", "64:ff9b::a9fe:a9fe", "2001:0:4136:e378:8000:63bf:f5ff:fffe",
    ],
)  # fmt: skip
def test_internal_addresses_are_refused_by_default(address: str) -> None:
    assert not AddressPolicy().allows(ipaddress.ip_address(address))


def test_public_addresses_pass_and_allowed_networks_open_a_range() -> None:
    policy = AddressPolicy(["127.0.0.0/8"])
    assert policy.allows(ipaddress.ip_address("93.184.216.34"))
    assert policy.allows(ipaddress.ip_address("2606:4700::1111"))
    assert policy.allows(ipaddress.ip_address("127.0.0.1"))
    assert not policy.allows(ipaddress.ip_address("10.0.0.1"))
    with pytest.raises(BlockedAddress):
        AddressPolicy().check_literal("[::1]")


async def test_the_resolver_refuses_a_name_that_resolves_inside() -> None:
    with pytest.raises(BlockedAddress):
        await GuardedResolver(AddressPolicy()).resolve("localhost", 80)
    [result] = await GuardedResolver(AddressPolicy(["127.0.0.0/8"])).resolve("127.0.0.1", 80)
    assert result["host"] == "127.0.0.1"
