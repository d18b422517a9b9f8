"""``X-MBX-TIME-UNIT``: JSON time fields in milliseconds (the default) or microseconds.

Binance accepts ``MICROSECOND``, ``microsecond``, ``MILLISECOND`` and ``millisecond``; any
other value is ``-1194``. Binance documents the header for the Spot API (``/api/v3``); the
sandbox ignores it on the wallet endpoints under ``/sapi``, whose times stay in milliseconds.
"""

from __future__ import annotations

from typing import Any

from keysafe.sandbox.pipeline import err

UNITS = {"MICROSECOND": True, "microsecond": True, "MILLISECOND": False, "millisecond": False}
#: keys of JSON objects that hold an epoch time in ms
TIME_FIELDS = frozenset({"serverTime", "time", "updateTime", "workingTime", "transactTime", "openTime",
                         "closeTime", "T"})
#: klines are arrays: open time at position 0, close time at position 6
KLINE_PATHS = frozenset({"/api/v3/klines", "/api/v3/uiKlines"})


def wants_microseconds(header: str | None) -> bool:
    """True for MICROSECOND, False for MILLISECOND or no header; -1194 for anything else."""
    if header is None:
        return False
    micros = UNITS.get(header)
    if micros is None:
        raise err(-1194)
    return micros


def to_microseconds(data: Any, path: str) -> Any:
    """``data`` with every time field multiplied by 1000 (a new structure; ``data`` is not changed)."""
    if path in KLINE_PATHS and isinstance(data, list):
        out = []
        for row in data:
            row = list(row)
            row[0] *= 1000
            row[6] = row[6] * 1000 + 999  # the close time is the last microsecond of the interval
            out.append(row)
        return out
    return _convert(data)


def _convert(data: Any) -> Any:
    if isinstance(data, dict):
        return {k: (v * 1000 if k in TIME_FIELDS and isinstance(v, int) and not isinstance(v, bool)
                    else _convert(v)) for k, v in data.items()}
    if isinstance(data, list):
        return [_convert(v) for v in data]
    return data
