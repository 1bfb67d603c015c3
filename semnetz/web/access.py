"""Who may use the server, and from where a write may come.

- Bound to a loopback address (the default, 127.0.0.1) and given no token, anyone on this machine may ask; the
  Host header must then name a loopback address too (a page on another site cannot reach the server through a
  DNS name that points to 127.0.0.1).
- Bound to any other address (or given a token), every request needs the token: ``Authorization: Bearer T``,
  or ``?token=T`` in a URL (a page opened that way sets an HttpOnly, SameSite=Strict cookie and continues
  without the token in its address), or that cookie. Compared with hmac.compare_digest.
- A write (POST, PATCH, …) that relies on the cookie, or on nothing (loopback), must not come from another site:
  its Origin header, when sent, must be this server's (browsers send it with every cross-site form), and a
  ``Sec-Fetch-Site: cross-site`` is refused. A write with the token in a header or the URL needs no such check.
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
from dataclasses import dataclass
from urllib.parse import urlsplit

COOKIE = "semnetz_token"
COOKIE_MAX_AGE_S = 30 * 24 * 3600
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
TOKEN_BYTES = 24


def is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1 and localhost (a name that ends in .localhost too)."""
    host = host.strip().strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def host_name(header: str | None) -> str:
    """The host of a Host header, without its port ("[::1]:8080" -> "::1")."""
    header = (header or "").strip()
    if header.startswith("["):
        return header[1:].split("]", 1)[0]
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


@dataclass(frozen=True)
class Access:
    host: str  # the address the server is bound to
    token: str | None  # None: no token needed (loopback, none given)
    loopback: bool

    @classmethod
    def for_host(cls, host: str, token: str | None = None) -> "Access":
        """A token is needed off loopback (one is made when none is given) and whenever one is given."""
        loopback = is_loopback(host)
        if not token and not loopback:
            token = secrets.token_urlsafe(TOKEN_BYTES)
        return cls(host, token or None, loopback)

    @property
    def required(self) -> bool:
        return self.token is not None

    def matches(self, given: str | None) -> bool:
        if self.token is None or not given:
            return False
        return hmac.compare_digest(given.encode("utf-8", "surrogatepass"), self.token.encode("utf-8", "surrogatepass"))

    def credential(self, headers, query, cookies) -> str | None:
        """How this request proves it has the token: 'bearer', 'query', 'cookie', or None."""
        scheme, _, value = (headers.get("authorization") or "").partition(" ")
        if scheme.lower() == "bearer" and self.matches(value.strip()):
            return "bearer"
        if self.matches(query.get("token")):
            return "query"
        if self.matches(cookies.get(COOKIE)):
            return "cookie"
        return None

    def host_allowed(self, host_header: str | None) -> bool:
        """Bound to loopback, only loopback names (against DNS rebinding); otherwise the token decides."""
        return not self.loopback or is_loopback(host_name(host_header))


def same_origin(headers) -> bool:
    """A write from this server's own page (or from a client that is no browser), not from another site."""
    origin = headers.get("origin")
    if origin is not None:
        parts = urlsplit(origin)
        return parts.scheme in ("http", "https") and parts.netloc.lower() == (headers.get("host") or "").lower()
    return headers.get("sec-fetch-site") != "cross-site"
