"""Named, validated limits for the fetcher."""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_USER_AGENT = (
    "communique-search/0.1 (+https://github.com/communique-search; press@communique-search.example)"
)


@dataclass(frozen=True)
class FetchSettings:
    """Politeness and safety limits shared by every source.

    Defaults are polite for real ministry sites; tests shrink the timeouts and
    set ``allow_private_addresses`` to crawl loopback fixture sites.
    """

    user_agent: str = DEFAULT_USER_AGENT
    connect_timeout: float = 5.0
    # Per socket read: a server that goes quiet this long fails the attempt.
    read_timeout: float = 20.0
    # One response (connect, headers and body) must be complete within this many seconds;
    # read_timeout alone lets a server that drips a byte every few seconds go on forever.
    deadline: float = 60.0
    # Once the body has been arriving for transfer_rate_grace seconds, an average below
    # min_transfer_rate bytes/s fails the attempt (0 turns the check off).
    min_transfer_rate: float = 1024.0
    transfer_rate_grace: float = 10.0
    # Everything one get() does (robots.txt, redirects, every attempt and the waits before
    # retries) must end within this many seconds; a retry that would not fit is not made.
    get_deadline: float = 300.0
    # Retries after the first attempt, for 429, 500, 502, 503, 504 and network errors.
    max_retries: int = 3
    # Exponential backoff: base, 2*base, 4*base ... seconds, plus a little jitter.
    backoff_base: float = 1.0
    # A Retry-After longer than this means "come back much later": give up now.
    max_retry_after: float = 120.0
    # Minimum seconds between two requests to one host (a larger Crawl-delay wins).
    per_host_delay: float = 1.0
    max_body_bytes: int = 5_000_000
    max_decoded_chars: int = 5_000_000
    max_redirects: int = 5
    # True only for tests and demos against loopback fixture sites.
    allow_private_addresses: bool = False
    obey_robots: bool = True

    def __post_init__(self) -> None:
        if not self.user_agent.strip():
            raise ValueError("user_agent must not be empty")
        for name in ("connect_timeout", "read_timeout", "deadline", "get_deadline"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be > 0")
        for name in (
            "max_retries",
            "backoff_base",
            "max_retry_after",
            "per_host_delay",
            "max_redirects",
            "min_transfer_rate",
            "transfer_rate_grace",
        ):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0")
        for name in ("max_body_bytes", "max_decoded_chars"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1")

    @property
    def timeout(self) -> tuple[float, float]:
        """The (connect, read) pair passed to every request."""
        return (self.connect_timeout, self.read_timeout)

    @property
    def robots_token(self) -> str:
        """The product token robots.txt groups are matched against ("communique-search").

        Matching the whole header would let a ``User-agent: github`` group apply to us
        just because our contact URL mentions GitHub.
        """
        return self.user_agent.split("/", 1)[0].split()[0]
