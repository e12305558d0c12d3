"""robots.txt (RFC 9309): fetched once per origin, parsed with Protego, obeyed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from protego import Protego

from scrapers.errors import RobotsDisallowed

# RFC 9309 asks parsers to read at least 500 KiB; anything past that is dropped, not fatal.
ROBOTS_MAX_BYTES = 512 * 1024
# RFC 9309 asks crawlers to follow at least five redirects for robots.txt.
ROBOTS_MAX_REDIRECTS = 5


@dataclass(frozen=True)
class RobotsRules:
    """What one origin's robots.txt says.

    ``parser`` None with ``unavailable`` None: no rules (404 and the like), all allowed.
    ``unavailable`` set: robots.txt could not be read (5xx, network), so nothing is.
    """

    parser: Protego | None = None
    unavailable: str | None = None

    def allows(self, url: str, agent: str) -> bool:
        """May ``agent`` fetch ``url``?"""
        if self.unavailable is not None:
            return False
        return self.parser is None or self.parser.can_fetch(url, agent)

    def crawl_delay(self, agent: str) -> float | None:
        """The Crawl-delay for ``agent``, if the file sets one."""
        return None if self.parser is None else self.parser.crawl_delay(agent)


ALLOW_ALL = RobotsRules()


def parse_robots(body: bytes) -> RobotsRules:
    """Rules from a robots.txt body (UTF-8 per RFC 9309; bad bytes are replaced)."""
    return RobotsRules(parser=Protego.parse(body.decode("utf-8-sig", errors="replace")))


def rules_for_error_status(status: int) -> RobotsRules:
    """RFC 9309: 4xx means no robots.txt (allow all); 429 and 5xx mean disallow all."""
    if 400 <= status < 500 and status != 429:
        return ALLOW_ALL
    return unavailable(f"HTTP {status}")


def unavailable(reason: str) -> RobotsRules:
    """Rules for a robots.txt that could not be read: everything disallowed."""
    return RobotsRules(unavailable=reason)


def origin(url: str) -> str:
    """scheme://host:port, the scope one robots.txt governs."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    port = parts.port or (443 if scheme == "https" else 80)
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    return f"{scheme}://{host}:{port}"


def robots_url(url: str) -> str:
    """The robots.txt URL governing ``url``."""
    return origin(url) + "/robots.txt"


# Loads one robots.txt: its URL, and the hosts its redirects may go to (None: any).
RobotsLoader = Callable[[str, frozenset[str] | None], RobotsRules]


class RobotsCache:
    """Loads each origin's robots.txt once per run and answers "may we fetch this?".

    ``load`` gets a robots.txt URL and the allowed hosts of the fetch that needs it,
    and returns its rules; it must not raise. Failures are cached too, so an origin
    whose robots.txt is down is skipped for the whole run instead of being hammered.
    The first load of an origin's rules is the one kept.
    """

    def __init__(self, load: RobotsLoader, agent: str) -> None:
        self._load = load
        self._agent = agent
        self._rules: dict[str, RobotsRules] = {}

    def rules(self, url: str, allowed_hosts: frozenset[str] | None = None) -> RobotsRules:
        """The rules for ``url``'s origin, fetching robots.txt on first use.

        ``allowed_hosts``: where that fetch's redirects may go (None: any public host).
        """
        key = origin(url)
        if key not in self._rules:
            self._rules[key] = self._load(robots_url(url), allowed_hosts)
        return self._rules[key]

    def cached(self, url: str) -> RobotsRules | None:
        """The rules for ``url``'s origin if already loaded, without fetching."""
        return self._rules.get(origin(url))

    def check(self, url: str, allowed_hosts: frozenset[str] | None = None) -> None:
        """Raise RobotsDisallowed unless robots.txt lets us fetch ``url``."""
        rules = self.rules(url, allowed_hosts)
        if rules.unavailable is not None:
            raise RobotsDisallowed(
                url,
                f"robots.txt unavailable ({rules.unavailable}); "
                "host treated as disallowed for this run",
            )
        if not rules.allows(url, self._agent):
            raise RobotsDisallowed(url, "disallowed by robots.txt")

    def crawl_delay(self, url: str) -> float | None:
        """Crawl-delay of ``url``'s origin, if its robots.txt is loaded and sets one."""
        rules = self.cached(url)
        return None if rules is None else rules.crawl_delay(self._agent)
