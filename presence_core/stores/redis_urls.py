"""What is wrong with a Redis URL, said without quoting it (it may hold a password); no Redis library needed.

The URLs ``redis_connect`` takes (its docstring lists them). The settings check ``redis_url`` with
this at start-up and ``redis_connect`` before building a client, so a typo is one line naming the
setting instead of a traceback from inside redis-py.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

SCHEMES = "redis://, rediss://, unix://, redis+cluster:// or redis+sentinel://"


@dataclass(frozen=True)
class SentinelUrl:
    """The parts of a ``+sentinel`` URL; the credentials are the master's."""

    addresses: list[tuple[str, int]]
    master: str
    db: int
    username: str | None
    password: str | None


def _port_problem(port: str) -> str | None:
    if not port.isdigit() or not 0 < int(port) < 65536:
        return "has a port that is not a number from 1 to 65535"
    return None


def sentinel_parts(url: str) -> SentinelUrl | str:
    """The parts of a ``+sentinel`` URL, or what is wrong with it (a phrase: "must …")."""
    parts = urlsplit(url)
    credentials, _, hosts = parts.netloc.rpartition("@")
    username, _, password = credentials.partition(":")
    addresses = []
    for host in hosts.split(","):
        name, _, port = host.rpartition(":")
        if not name or not port:
            return "must list its sentinels as host:port, separated by commas"
        if problem := _port_problem(port):
            return problem
        addresses.append((name.strip("[]"), int(port)))
    path = [p for p in parts.path.split("/") if p]
    if not path or len(path) > 2 or (len(path) == 2 and not path[1].isdigit()):
        return "must end in /MASTER_NAME or /MASTER_NAME/DB for Sentinel"
    return SentinelUrl(addresses, unquote(path[0]), int(path[1]) if len(path) == 2 else 0,
                       unquote(username) or None, unquote(password) or None)


def url_problem(url: str) -> str | None:
    """What is wrong with ``url`` as a phrase that follows its name ("must start with …"), or None."""
    scheme, sep, _ = url.partition("://")
    base, _, mode = scheme.partition("+")
    if not sep or base not in ("redis", "rediss", "unix") or mode not in ("", "cluster", "sentinel") \
            or (base == "unix" and mode):
        return f"must start with {SCHEMES}"
    if mode == "sentinel":
        found = sentinel_parts(url)
        return found if isinstance(found, str) else None
    if base == "unix":
        return None
    parts = urlsplit(url.replace(f"+{mode}", "", 1) if mode else url)
    _, _, hostport = parts.netloc.rpartition("@")
    host, colon, port = hostport.rpartition(":") if not hostport.endswith("]") else (hostport, "", "")
    if colon and (problem := _port_problem(port)):
        return problem
    if not (host if colon else hostport).strip("[]"):
        return "has no host name"
    db = parts.path.strip("/")
    if db and not db.isdigit():
        return "must end in a database number (/0) or nothing after the host and port"
    if mode == "cluster" and db not in ("", "0"):
        return "must not name a database other than /0: a Redis Cluster has only database 0"
    return None
