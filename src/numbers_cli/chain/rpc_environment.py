"""What the environment says about reaching one RPC node: proxy, CA bundle, credentials.

`chain.rpc` POSTs over urllib3, which reads nothing from the environment;
these are the settings `requests` applied (and nit's users may rely on),
resolved once per node with the standard library's own readers:

- the proxy of the URL's scheme (`http_proxy`, `https_proxy`, `all_proxy`),
  unless `no_proxy` names the host or, for an IPv4 host, a range holding it
  (`urllib.request.getproxies` and `proxy_bypass`, which requests called too,
  and requests' CIDR ranges); credentials in the proxy URL go
  in a Proxy-Authorization header;
- the CA bundle: `REQUESTS_CA_BUNDLE`, else `CURL_CA_BUNDLE`, else certifi's
  (a file or a directory of certificates);
- credentials: the `.netrc` entry of the host (`NETRC`, else `~/.netrc`, else
  `~/_netrc`), else the URL's own `user:password@`; sent as HTTP basic auth.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit, urlunsplit

if TYPE_CHECKING:
    from urllib3 import PoolManager

__all__ = ["ca_bundle", "netrc_credentials", "node_connection", "proxy_for"]

#: Redirects a POST may follow (requests' limit is 30; a node needs one at most).
MAX_REDIRECTS = 10


def node_connection(url: str) -> tuple[PoolManager, str, dict[str, str]]:
    """(connection pool, URL to POST to, headers) for the node at `url`.

    The URL loses its `user:password@` (sent as an Authorization header
    instead, as requests did); retries are off (a dead node is reported at
    once) but redirects are followed.
    """
    import urllib3

    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"[{host}]" if ":" in host else host
    if parts.port is not None:
        netloc += f":{parts.port}"
    target = urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))
    # requests' headers, but for its User-Agent: compressed replies welcome (big log reads)
    headers = {"Content-Type": "application/json", **urllib3.make_headers(accept_encoding=True)}
    credentials = netrc_credentials(host)
    if credentials is None and (parts.username or parts.password):
        credentials = (unquote(parts.username or ""), unquote(parts.password or ""))
    if credentials is not None:
        headers.update(urllib3.make_headers(basic_auth=":".join(credentials)))
    options: dict[str, object] = {
        "retries": urllib3.Retry(
            total=None, connect=0, read=False, redirect=MAX_REDIRECTS, status=0, other=0
        ),
        "maxsize": 10,  # requests' pool size
    }
    if parts.scheme == "https":
        bundle = ca_bundle()
        options["cert_reqs"] = "CERT_REQUIRED"
        options["ca_cert_dir" if os.path.isdir(bundle) else "ca_certs"] = bundle
    proxy = proxy_for(url)
    if proxy is None:
        return urllib3.PoolManager(**options), target, headers  # type: ignore[arg-type]
    proxy_parts = urlsplit(proxy if "://" in proxy else f"http://{proxy}")
    proxy_headers = {}
    if proxy_parts.username or proxy_parts.password:
        login = f"{unquote(proxy_parts.username or '')}:{unquote(proxy_parts.password or '')}"
        proxy_headers = urllib3.make_headers(proxy_basic_auth=login)
    proxy_host = proxy_parts.hostname or ""
    proxy_netloc = f"[{proxy_host}]" if ":" in proxy_host else proxy_host
    if proxy_parts.port is not None:
        proxy_netloc += f":{proxy_parts.port}"
    proxy_url = urlunsplit((proxy_parts.scheme, proxy_netloc, "", "", ""))
    pool = urllib3.ProxyManager(proxy_url, proxy_headers=proxy_headers, **options)  # type: ignore[arg-type]
    return pool, target, headers


def proxy_for(url: str) -> str | None:
    """The proxy the environment sets for `url` (None: connect directly)."""
    if not any(name.lower().endswith("_proxy") for name in os.environ):
        return None  # the usual case, without importing urllib.request to learn it
    from urllib.request import getproxies

    parts = urlsplit(url)
    proxies = getproxies()
    if not proxies or (parts.hostname and _bypassed(parts.hostname, proxies.get("no", ""))):
        return None
    return proxies.get(parts.scheme) or proxies.get("all")


def _bypassed(host: str, no_proxy: str) -> bool:
    """Whether NO_PROXY exempts `host`: the standard library's reading (names, domain
    suffixes, `*`) plus what requests also read there, IPv4 ranges (`10.0.0.0/8`)."""
    import ipaddress
    from urllib.request import proxy_bypass

    try:
        address = ipaddress.IPv4Address(host)
    except ValueError:
        address = None
    if address is not None:
        for entry in no_proxy.replace(" ", "").split(","):
            try:
                if "/" in entry and address in ipaddress.IPv4Network(entry, strict=False):
                    return True
            except ValueError:
                continue  # not a range: the standard library's reading below
    return bool(proxy_bypass(host))


def ca_bundle() -> str:
    """The CA certificates HTTPS to a node is checked against (a file or directory)."""
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        value = os.environ.get(name)
        if value:
            return value
    import certifi

    return str(certifi.where())


def netrc_credentials(host: str) -> tuple[str, str] | None:
    """(login, password) of `host` in the user's .netrc, if it has an entry."""
    candidates = [os.environ["NETRC"]] if os.environ.get("NETRC") else ["~/.netrc", "~/_netrc"]
    for candidate in candidates:
        path = os.path.expanduser(candidate)
        if not os.path.exists(path):
            continue
        import netrc

        try:
            entry = netrc.netrc(path).authenticators(host)
        except (netrc.NetrcParseError, OSError):
            return None  # an unreadable .netrc is no reason to fail a push (requests agreed)
        if entry is None or not any(entry):
            return None
        login, account, password = entry
        return (login or account or "", password or "")  # requests' reading of an entry
    return None
