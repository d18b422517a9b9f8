"""API key permissions, named exactly as `GET /sapi/v1/account/apiRestrictions` names them."""

from __future__ import annotations

from enum import StrEnum


class Permission(StrEnum):
    READING = "enableReading"
    SPOT_AND_MARGIN_TRADING = "enableSpotAndMarginTrading"
    WITHDRAWALS = "enableWithdrawals"
    INTERNAL_TRANSFER = "enableInternalTransfer"
    UNIVERSAL_TRANSFER = "permitsUniversalTransfer"
    MARGIN = "enableMargin"
    FUTURES = "enableFutures"
    VANILLA_OPTIONS = "enableVanillaOptions"
    PORTFOLIO_MARGIN_TRADING = "enablePortfolioMarginTrading"


#: Every permission field, in the order Binance's API Management page lists them.
PERMISSIONS: tuple[Permission, ...] = tuple(Permission)
