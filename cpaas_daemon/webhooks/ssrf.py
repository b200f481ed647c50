"""SSRF guard, applied when a request is sent (not only when the URL was registered).

A subscriber's host name may resolve to anything at any time (DNS rebinding), so the
check lives in the HTTP client's resolver: aiohttp connects to exactly the addresses the
resolver returned, and :class:`GuardedResolver` returns only addresses that passed.
Host names are resolved afresh for every connection (no DNS cache). IP literals skip
aiohttp's resolver, so :meth:`AddressPolicy.check_literal` judges them before sending.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterable

from aiohttp.abc import AbstractResolver, ResolveResult

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# Cloud metadata services that are not in a private or link-local range.
METADATA = frozenset(
    ipaddress.ip_address(a) for a in ("100.100.100.200", "fd00:ec2::254", "192.0.0.192")
)


MAX_LITERALS = 4096  # URL hosts whose verdict is remembered


class BlockedAddress(Exception):
    """The endpoint's host is (or resolves to) an address the policy refuses."""


class AddressPolicy:
    """Public unicast addresses pass; loopback, private, link-local, metadata, multicast,
    reserved and unspecified ones pass only inside an operator-allowed network."""

    def __init__(self, allowed: Iterable[str] = ()) -> None:
        self._allowed: tuple[IpNetwork, ...] = tuple(
            ipaddress.ip_network(net, strict=False) for net in allowed
        )
        self._literals: dict[str, bool] = {}  # URL host -> passes check_literal

    def allows(self, address: IpAddress) -> bool:
        address = _embedded_ipv4(address)
        if any(address in net for net in self._allowed):
            return True
        return not (
            address in METADATA
            or address.is_loopback
            or address.is_private
            or address.is_link_local
            or address.is_multicast
            or address.is_reserved
            or address.is_unspecified
            or (isinstance(address, ipaddress.IPv4Address) and address in _SHARED)
        )

    def check_literal(self, host: str) -> None:
        """Refuse a URL whose host is a forbidden IP literal (names are left to the
        resolver, which checks what they resolve to at connect time). The verdict on a
        literal never changes, so it is remembered: every POST asks."""
        allowed = self._literals.get(host)
        if allowed is None:
            try:
                address = ipaddress.ip_address(host.strip("[]"))
            except ValueError:
                allowed = True
            else:
                allowed = self.allows(address)
            if len(self._literals) >= MAX_LITERALS:
                self._literals.clear()
            self._literals[host] = allowed
        if not allowed:
            raise BlockedAddress(f"{host} is not an allowed destination")


_SHARED = ipaddress.ip_network("100.64.0.0/10")  # carrier-grade NAT, not routable publicly
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def _embedded_ipv4(address: IpAddress) -> IpAddress:
    """The IPv4 address an IPv6 one carries (mapped, 6to4, Teredo, NAT64), which is where
    a packet to it ends up; other addresses unchanged."""
    if isinstance(address, ipaddress.IPv4Address):
        return address
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return address


class GuardedResolver(AbstractResolver):
    """Resolve with the system resolver; return only checked addresses, or refuse.

    Every address must pass: a name that resolves to one public and one private address
    is refused whole, so a rebinding name cannot win by ordering.
    """

    def __init__(self, policy: AddressPolicy) -> None:
        self._policy = policy

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        infos = await asyncio.get_running_loop().getaddrinfo(
            host, port, type=socket.SOCK_STREAM, family=family
        )
        results: list[ResolveResult] = []
        for fam, _, proto, _, sockaddr in infos:
            address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
            if not self._policy.allows(address):
                raise BlockedAddress(f"{host} resolves to {address}, not an allowed destination")
            results.append(
                ResolveResult(
                    hostname=host,
                    host=str(address),
                    port=int(sockaddr[1]),
                    family=fam,
                    proto=proto,
                    flags=socket.AI_NUMERICHOST,
                )
            )
        if not results:
            raise BlockedAddress(f"{host} does not resolve")
        return results

    async def close(self) -> None:
        return None
