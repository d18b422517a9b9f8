"""One rate-limit budget for every caller of one IP (weight) and one account (orders).

>>> from keysafe.governor import Governor
>>> gov = Governor("memory://")
>>> r = gov.try_acquire(weight=20, now_ms=1_700_000_000_000)
>>> gov.settle(r, headers={"X-MBX-USED-WEIGHT-1M": "20"})
>>> gov.usage(now_ms=1_700_000_000_000).used_weight
20
"""

from keysafe.governor.core import (
    BudgetExhaustedError,
    Governor,
    Reservation,
    Wait,
    account_scope,
    ip_scope,
)
from keysafe.governor.model import Charge, Counter, Storage
from keysafe.governor.uri import data_dir, default_uri, storage_from_uri
from keysafe.governor.usage import LimitUsage, Usage, usage_from_headers

__all__ = [
    "BudgetExhaustedError",
    "Charge",
    "Counter",
    "Governor",
    "LimitUsage",
    "Reservation",
    "Storage",
    "Usage",
    "Wait",
    "account_scope",
    "data_dir",
    "default_uri",
    "ip_scope",
    "storage_from_uri",
    "usage_from_headers",
]
