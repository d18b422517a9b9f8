"""The sandbox's settings: fixed at start (scale, seed, trust of X-Forwarded-For) or live knobs."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field, fields

from keysafe.errors import ConfigurationError

#: Knobs that can change while the server runs (admin API, ``configure``).
LIVE_KNOBS = ("clock_offset_ms", "latency_ms", "error_rate", "maintenance")


@dataclass
class SandboxConfig:
    """How the sandbox behaves.

    ``scale`` divides every rate-limit window, limit and ban duration (6000 per minute
    becomes 600 per 6 s with ``scale=10``); ``clock_offset_ms`` moves the server clock;
    ``latency_ms`` delays every API answer; ``error_rate`` is the share of API calls that
    get a 5xx "execution status unknown" answer; ``maintenance`` switches system/status.
    """

    scale: float = 1.0
    clock_offset_ms: int = 0
    latency_ms: float = 0.0
    error_rate: float = 0.0
    maintenance: bool = False
    trust_forwarded_for: bool = False
    seed: int = 0
    admin_token: str | None = field(default=None, repr=False)
    #: 429 answers one IP may collect in a window before the next request gets it banned (418).
    ban_after_429s: int = 5
    #: how many requests the in-memory record keeps (oldest dropped first).
    record_limit: int = 100_000

    def __post_init__(self) -> None:
        if self.admin_token is None:
            self.admin_token = secrets.token_urlsafe(24)
        self.validate()

    def validate(self) -> None:
        try:
            self.scale = float(self.scale)
            self.clock_offset_ms = int(self.clock_offset_ms)
            self.latency_ms = float(self.latency_ms)
            self.error_rate = float(self.error_rate)
        except (TypeError, ValueError) as exc:
            raise ConfigurationError(f"Sandbox setting has the wrong type ({exc}).", "Pass numbers.") from None
        if not self.scale > 0:
            raise ConfigurationError(f"scale must be > 0, got {self.scale}.",
                                     "Use e.g. --scale 10 to shrink limits 10x.")
        if not 0 <= self.error_rate <= 1:
            raise ConfigurationError(f"error_rate must be between 0 and 1, got {self.error_rate}.",
                                     "Use e.g. 0.05 for 5% of answers being 5xx.")
        if self.latency_ms < 0:
            raise ConfigurationError(f"latency_ms must be >= 0, got {self.latency_ms}.", "Use 0 for no added latency.")
        if self.ban_after_429s < 0:
            raise ConfigurationError("ban_after_429s must be >= 0.", "Use the default 5.")

    def update(self, **knobs: object) -> dict[str, object]:
        """Change live knobs; raises ConfigurationError for an unknown or malformed one."""
        unknown = sorted(set(knobs) - set(LIVE_KNOBS))
        if unknown:
            raise ConfigurationError(
                f"Unknown sandbox setting {unknown[0]!r}.", f"Settable at run time: {', '.join(LIVE_KNOBS)}."
            )
        old = {k: getattr(self, k) for k in knobs}
        for k, v in knobs.items():
            if k == "maintenance":
                if isinstance(v, str):
                    v = v.lower() in ("1", "true", "yes", "on")
                v = bool(v)
            setattr(self, k, v)
        try:
            self.validate()
        except ConfigurationError:
            for k, v in old.items():
                setattr(self, k, v)
            raise
        return self.knobs()

    def knobs(self) -> dict[str, object]:
        return {k: getattr(self, k) for k in LIVE_KNOBS} | {"scale": self.scale, "seed": self.seed}

    @classmethod
    def field_names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls) if f.init)
