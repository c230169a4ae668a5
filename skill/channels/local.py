"""What a development route accepts: this machine, and requests of its own pages.

A route that runs without its usual proof of who is calling (the Alexa endpoint with
verification off, the phone line with ``PHONE_ALLOW_UNSIGNED``, the simulator) is for the
developer's own machine only. A browser on that machine can still be made to call it by
any page it opens: through DNS rebinding (a name of the attacker's that resolves to
127.0.0.1, so the ``Host`` header is the attacker's name) or a plain cross-site POST. So
such routes refuse a ``Host`` that is not this machine's (or one named in the config), and
a request the browser marks as another site's (``Sec-Fetch-Site``) or from another origin
(``Origin``). Tools such as curl send neither header and are let through.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from flask import request

LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
CROSS_SITE = frozenset({"cross-site", "same-site"})


def hostname(host: str) -> str:
    """The name in a ``Host`` header, without its port."""
    if host.startswith("["):
        return host[1:].split("]", 1)[0]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def host_allowed(host: str, extra: Iterable[str] = ()) -> bool:
    name = hostname(host).lower()
    if name in LOOPBACK_NAMES or name in {h.lower() for h in extra}:
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def cross_site() -> bool:
    """Whether the browser says this request comes from another site or origin."""
    if request.headers.get("Sec-Fetch-Site") in CROSS_SITE:
        return True
    origin = request.headers.get("Origin") or ""
    return bool(origin) and origin.rstrip("/") != request.host_url.rstrip("/")


def refusal(extra_hosts: Iterable[str] = ()) -> str | None:
    """Why a development route must refuse this request, or None."""
    if not host_allowed(request.host, extra_hosts):
        return "this host name is not served"
    if cross_site():
        return "cross-site request refused"
    return None
