"""Every Binance error code of the spec digest (section 5): name, HTTP status, messages, remedy.

Messages are Binance's exact text; ``%s`` marks where Binance fills in a value.
Each remedy is one line that tells the user what to do.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ErrorSpec:
    code: int
    name: str
    http_status: int
    messages: tuple[str, ...]
    remedy: str
    fix_only: bool = False  # FIX-API session errors, never seen over REST

    @property
    def message(self) -> str:
        """The first (canonical) message."""
        return self.messages[0]

    def render(self, index: int = 0, *args: object) -> str:
        """Message number ``index`` with its ``%s`` placeholders filled in order."""
        text = self.messages[index]
        for arg in args:
            text = text.replace("%s", str(arg), 1)
        return text


def _e(code, name, status, messages, remedy, fix_only=False) -> ErrorSpec:
    if isinstance(messages, str):
        messages = (messages,)
    return ErrorSpec(code, name, status, tuple(messages), remedy, fix_only)


_FIX = "This is a FIX API session error; it does not occur over REST. Check the FIX session setup."

_TABLE: tuple[ErrorSpec, ...] = (
    # -10xx general
    _e(-1000, "UNKNOWN", 500, "An unknown error occurred while processing the request.",
       "Binance failed internally: the outcome is unknown, so query the order or account state before retrying."),
    _e(-1001, "DISCONNECTED", 500, "Internal error; unable to process your request. Please try again.",
       "Binance's backend was unreachable: wait a few seconds and retry; query state first if it was an order."),
    _e(-1002, "UNAUTHORIZED", 401, "You are not authorized to execute this request.",
       "The key lacks the permission for this call (withdrawals need enableWithdrawals and an IP whitelist): "
       "enable it in API Management or use a key made for this job."),
    _e(-1003, "TOO_MANY_REQUESTS", 429, (
        "Too many requests queued.",
        "Too much request weight used; current limit is %s request weight per %s. "
        "Please use WebSocket Streams for live updates to avoid polling the API.",
        "Way too much request weight used; IP banned until %s. "
        "Please use WebSocket Streams for live updates to avoid bans.",
    ), "Stop sending until the Retry-After has passed (continuing turns a 429 into a 418 IP ban); "
       "run every bot on this IP under one keysafe governor."),
    _e(-1006, "UNEXPECTED_RESP", 500,
       "An unexpected response was received from the message bus. Execution status unknown.",
       "The request may or may not have executed: query the order by its client order id before retrying."),
    _e(-1007, "TIMEOUT", 500,
       "Timeout waiting for response from backend server. Send status unknown; execution status unknown.",
       "The request may or may not have executed: query the order by its client order id before retrying."),
    _e(-1008, "SERVER_BUSY", 503,
       "Server is currently overloaded with other requests. Please try again in a few minutes.",
       "Binance is overloaded: back off for a few minutes before retrying."),
    _e(-1010, "ERROR_MSG_RECEIVED", 400, "%s",
       "The matching engine rejected the request; read the message and fix the order."),
    _e(-1013, "INVALID_MESSAGE", 400, (
        "The request is rejected by the API. (i.e. The request didn't reach the Matching Engine.)",
        "Filter failure: %s",
    ), "Round price and quantity to the symbol's tickSize and stepSize and keep the notional within "
       "the filters that exchangeInfo lists for the symbol."),
    _e(-1014, "UNKNOWN_ORDER_COMPOSITION", 400, "Unsupported order combination.",
       "This combination of order type, timeInForce and options is not allowed: check the order type's mandatory fields."),
    _e(-1015, "TOO_MANY_ORDERS", 429, (
        "Too many new orders.",
        "Too many new orders; current limit is %s orders per %s.",
    ), "The account's unfilled order count is at its limit: wait for the Retry-After (fills lower the count) "
       "and share one order budget across every bot of this account."),
    _e(-1016, "SERVICE_SHUTTING_DOWN", 503, "This service is no longer available.",
       "This endpoint has been retired: move to its documented replacement."),
    _e(-1020, "UNSUPPORTED_OPERATION", 400, "This operation is not supported.",
       "This operation is not supported here: check the endpoint and the environment."),
    _e(-1021, "INVALID_TIMESTAMP", 400, (
        "Timestamp for this request is outside of the recvWindow.",
        "Timestamp for this request was 1000ms ahead of the server's time.",
    ), "Your clock differs from Binance's: sync with the server time (keysafe does this and retries once) "
       "or NTP, and keep recvWindow at or below 5000 ms (60000 at most)."),
    _e(-1022, "INVALID_SIGNATURE", 400, "Signature for this request is not valid.",
       "Sign exactly the string you send: the percent-encoded query plus body, with signature as the last "
       "parameter, using the secret or private key that belongs to this API key."),
    _e(-1033, "COMP_ID_IN_USE", 400, "SenderCompId(49) is currently in use.", _FIX, True),
    _e(-1034, "TOO_MANY_CONNECTIONS", 400, "Too many concurrent connections; current limit is '%s'.", _FIX, True),
    _e(-1035, "LOGGED_OUT", 400, "Please send Logout<5> message to close the session.", _FIX, True),
    # -11xx request issues
    _e(-1100, "ILLEGAL_CHARS", 400, (
        "Illegal characters found in a parameter.",
        "Illegal characters found in parameter '%s'; legal range is '%s'.",
    ), "A parameter has characters Binance does not accept: send plain decimal strings for numbers "
       "and only the documented characters for ids."),
    _e(-1101, "TOO_MANY_PARAMETERS", 400, (
        "Too many parameters sent for this endpoint.",
        "Too many parameters; expected '%s' and received '%s'.",
        "Duplicate values for a parameter detected.",
    ), "Send each parameter once and only the ones this endpoint documents."),
    _e(-1102, "MANDATORY_PARAM_EMPTY_OR_MALFORMED", 400, (
        "A mandatory parameter was not sent, was empty/null, or malformed.",
        "Mandatory parameter '%s' was not sent, was empty/null, or malformed.",
        "Param '%s' or '%s' must be sent, but both were empty/null!",
        "Required tag '%s' missing.",
        "Field value was empty or malformed.",
        "'%s' contains unexpected value. Cannot be greater than %s.",
    ), "Send every mandatory parameter of this endpoint with a well-formed value."),
    _e(-1103, "UNKNOWN_PARAM", 400, ("An unknown parameter was sent.", "Undefined Tag."),
       "Remove the parameter this endpoint does not know (check its spelling and case)."),
    _e(-1104, "UNREAD_PARAMETERS", 400, (
        "Not all sent parameters were read.",
        "Not all sent parameters were read; read '%s' parameter(s) but was sent '%s'.",
    ), "Remove the parameters this order type does not use."),
    _e(-1105, "PARAM_EMPTY", 400, ("A parameter was empty.", "Parameter '%s' was empty."),
       "Give the parameter a value or leave it out."),
    _e(-1106, "PARAM_NOT_REQUIRED", 400, (
        "A parameter was sent when not required.",
        "Parameter '%s' sent when not required.",
        "A tag '%s' was sent when not required.",
    ), "Remove the parameter that this order type does not take."),
    _e(-1108, "PARAM_OVERFLOW", 400, "Parameter '%s' overflowed.",
       "The value is too large for this parameter: send a smaller number."),
    _e(-1111, "BAD_PRECISION", 400, "Parameter '%s' has too much precision.",
       "Round the value to the precision the symbol allows (see exchangeInfo)."),
    _e(-1112, "NO_DEPTH", 400, "No orders on book for symbol.",
       "The book is empty: use a LIMIT order or wait for liquidity."),
    _e(-1114, "TIF_NOT_REQUIRED", 400, "TimeInForce parameter sent when not required.",
       "Remove timeInForce: this order type does not take it."),
    _e(-1115, "INVALID_TIF", 400, "Invalid timeInForce.", "Use GTC, IOC or FOK for timeInForce."),
    _e(-1116, "INVALID_ORDER_TYPE", 400, "Invalid orderType.",
       "Use an order type the symbol lists in exchangeInfo (LIMIT, MARKET, LIMIT_MAKER, ...)."),
    _e(-1117, "INVALID_SIDE", 400, "Invalid side.", "Use BUY or SELL for side."),
    _e(-1118, "EMPTY_NEW_CL_ORD_ID", 400, "New client order ID was empty.",
       "Send a non-empty newClientOrderId or leave it out."),
    _e(-1119, "EMPTY_ORG_CL_ORD_ID", 400, "Original client order ID was empty.",
       "Send a non-empty origClientOrderId or use orderId."),
    _e(-1120, "BAD_INTERVAL", 400, "Invalid interval.", "Use a documented kline interval such as 1m, 1h or 1d."),
    _e(-1121, "BAD_SYMBOL", 400, "Invalid symbol.",
       "Use a symbol that exchangeInfo lists, in upper case (e.g. BTCUSDT)."),
    _e(-1122, "INVALID_SYMBOLSTATUS", 400, "Invalid symbolStatus.",
       "Use TRADING, END_OF_DAY, HALT, BREAK or CANCEL_ONLY for symbolStatus."),
    _e(-1125, "INVALID_LISTEN_KEY", 400, "This listenKey does not exist.",
       "Listen keys were removed in 2026: subscribe to the user data stream over the WebSocket API."),
    _e(-1127, "MORE_THAN_XX_HOURS", 400, (
        "Lookup interval is too big.",
        "More than %s hours between startTime and endTime.",
    ), "Narrow the time range (at most 24 hours for orders and trades) and page through it."),
    _e(-1128, "OPTIONAL_PARAMS_BAD_COMBO", 400, (
        "Combination of optional parameters invalid.",
        "Combination of optional fields invalid. Recommendation: '%s' and '%s' must both be sent.",
        "Fields [%s] must be sent together or omitted entirely.",
        "Invalid 'MDEntryType (269)' combination. BID and OFFER must be requested together.",
        "Conflicting fields: [%s]",
    ), "Send these optional parameters together, or not at all, as the endpoint documents."),
    _e(-1130, "INVALID_PARAMETER", 400, (
        "Invalid data sent for a parameter.",
        "Data sent for parameter '%s' is not valid.",
    ), "Send a value of the documented type and range for this parameter."),
    _e(-1131, "BAD_RECV_WINDOW", 400, "'recvWindow' must be less than 60000.",
       "Keep recvWindow at or below 60000 ms (5000 is recommended)."),
    _e(-1134, "BAD_STRATEGY_TYPE", 400, "`strategyType` was less than 1000000.",
       "Use a strategyType of 1000000 or more."),
    _e(-1135, "INVALID_JSON", 400, ("Invalid JSON Request", "JSON sent for parameter '%s' is not valid"),
       "Send lists as compact JSON, e.g. symbols=[\"BTCUSDT\",\"ETHUSDT\"], percent-encoded."),
    _e(-1139, "INVALID_TICKER_TYPE", 400, "Invalid ticker type.", "Use FULL or MINI for type."),
    _e(-1145, "INVALID_CANCEL_RESTRICTIONS", 400,
       ("`cancelRestrictions` has to be either `ONLY_NEW` or `ONLY_PARTIALLY_FILLED`.", "Invalid cancelRestrictions"),
       "Use ONLY_NEW or ONLY_PARTIALLY_FILLED for cancelRestrictions."),
    _e(-1151, "DUPLICATE_SYMBOLS", 400, "Symbol is present multiple times in the list.",
       "List each symbol once."),
    _e(-1152, "INVALID_SBE_HEADER", 400, (
        "Invalid `X-MBX-SBE` header; expected `<SCHEMA_ID>:<VERSION>`.", "Invalid SBE message header."),
       "Send X-MBX-SBE as <SCHEMA_ID>:<VERSION> or leave it out for JSON."),
    _e(-1153, "UNSUPPORTED_SCHEMA_ID", 400, (
        "Unsupported SBE schema ID or version specified in the `X-MBX-SBE` header.",
        "Invalid SBE schema ID or version specified.",
    ), "Use a supported SBE schema version or JSON."),
    _e(-1155, "SBE_DISABLED", 400, "SBE is not enabled.", "Request JSON: SBE is not enabled here."),
    _e(-1158, "OCO_ORDER_TYPE_REJECTED", 400, "Order type not supported in OCO.",
       "Use an order type that OCO legs support."),
    _e(-1160, "OCO_ICEBERGQTY_TIMEINFORCE", 400,
       "Parameter '%s' is not supported if `aboveTimeInForce`/`belowTimeInForce` is not GTC.",
       "Use GTC on the leg that carries icebergQty."),
    _e(-1161, "DEPRECATED_SCHEMA", 400,
       "Unable to encode the response in SBE schema 'x'. Please use schema 'y' or higher.",
       "Move to the newer SBE schema the message names."),
    _e(-1165, "BUY_OCO_LIMIT_MUST_BE_BELOW", 400, "A limit order in a buy OCO must be below.",
       "Put the buy OCO's limit leg below the last price."),
    _e(-1166, "SELL_OCO_LIMIT_MUST_BE_ABOVE", 400, "A limit order in a sell OCO must be above.",
       "Put the sell OCO's limit leg above the last price."),
    _e(-1168, "BOTH_OCO_ORDERS_CANNOT_BE_LIMIT", 400, "At least one OCO order must be contingent.",
       "Make one OCO leg a stop or take-profit order."),
    _e(-1169, "INVALID_TAG_NUMBER", 400, "Invalid tag number.", _FIX, True),
    _e(-1170, "TAG_NOT_DEFINED_IN_MESSAGE", 400, "Tag '%s' not defined for this message type.", _FIX, True),
    _e(-1171, "TAG_APPEARS_MORE_THAN_ONCE", 400, "Tag '%s' appears more than once.", _FIX, True),
    _e(-1172, "TAG_OUT_OF_ORDER", 400, "Tag '%s' specified out of required order.", _FIX, True),
    _e(-1173, "GROUP_FIELDS_OUT_OF_ORDER", 400, "Repeating group '%s' fields out of order.", _FIX, True),
    _e(-1174, "INVALID_COMPONENT", 400,
       "Component '%s' is incorrectly populated on '%s' order. Recommendation: '%s'", _FIX, True),
    _e(-1175, "RESET_SEQ_NUM_SUPPORT", 400,
       "Continuation of sequence numbers to new session is currently unsupported. "
       "Sequence numbers must be reset for each new session.", _FIX, True),
    _e(-1176, "ALREADY_LOGGED_IN", 400, "Logon<A> should only be sent once.", _FIX, True),
    _e(-1177, "GARBLED_MESSAGE", 400, (
        "`CheckSum(10)` contains an incorrect value.",
        "`BeginString (8)` is not the first tag in a message.",
        "`MsgType (35)` is not the third tag in a message.",
        "`BodyLength (9)` does not contain the correct byte count.",
        "Only printable ASCII characters and SOH (Start of Header) are allowed.",
    ), _FIX, True),
    _e(-1178, "BAD_SENDER_COMPID", 400, "`SenderCompId(49)` contains an incorrect value.", _FIX, True),
    _e(-1179, "BAD_SEQ_NUM", 400, "`MsgSeqNum(34)` contains an unexpected value. Expected: '%s'.", _FIX, True),
    _e(-1180, "EXPECTED_LOGON", 400, "Logon<A> must be the first message in the session.", _FIX, True),
    _e(-1181, "TOO_MANY_MESSAGES", 400, "Too many messages; current limit is '%s' messages per '%s'.", _FIX, True),
    _e(-1182, "PARAMS_BAD_COMBO", 400, "Conflicting fields: [%s]", _FIX, True),
    _e(-1183, "NOT_ALLOWED_IN_DROP_COPY_SESSIONS", 400,
       "Requested operation is not allowed in DropCopy sessions.", _FIX, True),
    _e(-1184, "DROP_COPY_SESSION_NOT_ALLOWED", 400,
       "DropCopy sessions are not supported on this server. Please reconnect to a drop copy server.", _FIX, True),
    _e(-1185, "DROP_COPY_SESSION_REQUIRED", 400,
       "Only DropCopy sessions are supported on this server. Either reconnect to order entry server or send "
       "`DropCopyFlag (9406)` field.", _FIX, True),
    _e(-1186, "NOT_ALLOWED_IN_ORDER_ENTRY_SESSIONS", 400,
       "Requested operation is not allowed in order entry sessions.", _FIX, True),
    _e(-1187, "NOT_ALLOWED_IN_MARKET_DATA_SESSIONS", 400,
       "Requested operation is not allowed in market data sessions.", _FIX, True),
    _e(-1188, "INCORRECT_NUM_IN_GROUP_COUNT", 400, "Incorrect NumInGroup count for repeating group '%s'.", _FIX, True),
    _e(-1189, "DUPLICATE_ENTRIES_IN_A_GROUP", 400, "Group '%s' contains duplicate entries.", _FIX, True),
    _e(-1190, "INVALID_REQUEST_ID", 400,
       "'MDReqID (262)' contains a subscription request id that is already in use on this connection.", _FIX, True),
    _e(-1191, "TOO_MANY_SUBSCRIPTIONS", 400,
       "Too many subscriptions. Connection may create up to '%s' subscriptions at a time.", _FIX, True),
    _e(-1194, "INVALID_TIME_UNIT", 400,
       "Invalid value for time unit; expected either MICROSECOND or MILLISECOND.",
       "Send X-MBX-TIME-UNIT as MICROSECOND or MILLISECOND, or leave it out."),
    _e(-1196, "BUY_OCO_STOP_LOSS_MUST_BE_ABOVE", 400, "A stop loss order in a buy OCO must be above.",
       "Put the buy OCO's stop-loss leg above the last price."),
    _e(-1197, "SELL_OCO_STOP_LOSS_MUST_BE_BELOW", 400, "A stop loss order in a sell OCO must be below.",
       "Put the sell OCO's stop-loss leg below the last price."),
    _e(-1198, "BUY_OCO_TAKE_PROFIT_MUST_BE_BELOW", 400, "A take profit order in a buy OCO must be below.",
       "Put the buy OCO's take-profit leg below the last price."),
    _e(-1199, "SELL_OCO_TAKE_PROFIT_MUST_BE_ABOVE", 400, "A take profit order in a sell OCO must be above.",
       "Put the sell OCO's take-profit leg above the last price."),
    _e(-1210, "INVALID_PEG_PRICE_TYPE", 400, "Invalid pegPriceType.", "Use PRIMARY_PEG or MARKET_PEG for pegPriceType."),
    _e(-1211, "INVALID_PEG_OFFSET_TYPE", 400, "Invalid pegOffsetType.", "Use PRICE_LEVEL for pegOffsetType."),
    _e(-1220, "SYMBOL_DOES_NOT_MATCH_STATUS", 400,
       "The symbol's status does not match the requested symbolStatus.",
       "Ask for the symbol's actual status, or leave symbolStatus out."),
    _e(-1221, "INVALID_SBE_MESSAGE_FIELD", 400, "Invalid/missing field(s) in SBE message.",
       "Check the SBE message against its schema, or use JSON."),
    _e(-1222, "OPO_WORKING_MUST_BE_BUY", 400, "Working order in an OPO list must be a bid.",
       "Make the working order of the OPO a BUY."),
    _e(-1223, "OPO_PENDING_MUST_BE_SELL", 400, "Pending orders in an OPO list must be asks.",
       "Make the pending orders of the OPO SELLs."),
    _e(-1224, "WORKING_PARAM_REQUIRED", 400, "Working order must include the '%s' tag.",
       "Add the named parameter to the working order."),
    _e(-1225, "PENDING_PARAM_NOT_REQUIRED", 400, "Pending orders should not include the '%s' tag.",
       "Remove the named parameter from the pending orders."),
    # -20xx
    _e(-2010, "NEW_ORDER_REJECTED", 400, (
        "Account has insufficient balance for requested action.",
        "Duplicate order sent.",
        "Market is closed.",
        "Order would immediately match and take.",
        "Order would trigger immediately.",
        "Price * QTY is zero or less.",
        "IcebergQty exceeds QTY.",
        "Unsupported order combination",
        "This action is disabled on this account.",
        "This account may not place or cancel orders.",
        "Market orders are not supported for this symbol.",
        "Quote order qty market orders are not support for this symbol.",
        "This symbol is not permitted for this account.",
        "This symbol is restricted for this account.",
        "Rest API trading is not enabled.",
        "Unknown order sent.",
    ), "The matching engine rejected the order: check the balance, the symbol's status and that "
       "newClientOrderId is not already in use."),
    _e(-2011, "CANCEL_REJECTED", 400, (
        "Unknown order sent.",
        "Order was not canceled due to cancel restrictions.",
    ), "The order is unknown or already closed: query it by orderId or origClientOrderId first."),
    _e(-2013, "NO_SUCH_ORDER", 400, "Order does not exist.",
       "Check the symbol and the orderId or origClientOrderId; the order may never have been placed."),
    _e(-2014, "BAD_API_KEY_FMT", 401, "API-key format invalid.",
       "The API key must be exactly 64 letters and digits: remove spaces or newlines copied with it, "
       "and check you use this environment's key."),
    _e(-2015, "REJECTED_MBX_KEY", 401, "Invalid API-key, IP, or permissions for action.",
       "One of four causes: a key from another environment (testnet vs production), a call from an IP "
       "not on the key's whitelist, a permission the key lacks, or a deleted key; check each in API Management."),
    _e(-2016, "NO_TRADING_WINDOW", 400,
       "No trading window could be found for the symbol. Try ticker/24hrs instead.",
       "Use ticker/24hr for this symbol."),
    _e(-2021, "ORDER_CANCEL_REPLACE_PARTIALLY_FAILED", 409, "Order cancel-replace partially failed.",
       "One half of the cancel-replace failed: query open orders to see which one stands."),
    _e(-2022, "ORDER_CANCEL_REPLACE_FAILED", 400, "Order cancel-replace failed.",
       "Neither the cancel nor the new order went through: fix the reason in the response and retry."),
    _e(-2026, "ORDER_ARCHIVED", 400,
       "Order was canceled or expired with no executed qty over 90 days ago and has been archived.",
       "The order is archived: it had no fills and is older than 90 days."),
    _e(-2035, "SUBSCRIPTION_ACTIVE", 400, "User Data Stream subscription already active.",
       "Unsubscribe before subscribing again."),
    _e(-2036, "SUBSCRIPTION_INACTIVE", 400, "User Data Stream subscription not active.",
       "Subscribe before unsubscribing."),
    _e(-2038, "ORDER_AMEND_REJECTED", 400, "Order amend rejected.",
       "The amend was refused by the matching engine: it can only lower the quantity of an open order."),
    _e(-2039, "CLIENT_ORDER_ID_INVALID", 400, "Client order ID is not correct for this order ID.",
       "Send the clientOrderId that belongs to this orderId, or only one of them."),
    _e(-2042, "MAXIMUM_SUBSCRIPTION_IDS", 400, "Maximum subscription ID reached for this connection.",
       "Open a new connection for more subscriptions."),
    _e(-2043, "NO_REFERENCE_PRICE", 400, "This symbol doesn't have a reference price.",
       "This symbol has no reference price yet: use a LIMIT order."),
)

ERRORS: dict[int, ErrorSpec] = {e.code: e for e in _TABLE}

#: The filter names that may follow "Filter failure: " in a -1013 message.
FILTER_FAILURES: tuple[str, ...] = (
    "PRICE_FILTER", "PERCENT_PRICE", "LOT_SIZE", "MIN_NOTIONAL", "NOTIONAL", "ICEBERG_PARTS",
    "MARKET_LOT_SIZE", "MAX_POSITION", "MAX_NUM_ORDERS", "MAX_NUM_ALGO_ORDERS",
    "MAX_NUM_ICEBERG_ORDERS", "MAX_NUM_ORDER_AMENDS", "MAX_NUM_ORDER_LISTS", "TRAILING_DELTA",
    "EXCHANGE_MAX_NUM_ORDERS", "EXCHANGE_MAX_NUM_ALGO_ORDERS", "EXCHANGE_MAX_NUM_ICEBERG_ORDERS",
    "EXCHANGE_MAX_NUM_ORDER_LISTS",
)

#: HTTP statuses that carry meaning without a Binance code (section 5.1).
HTTP_STATUS_REMEDIES: dict[int, str] = {
    403: "Binance's firewall blocked the request (rate abuse or a forbidden pattern): stop, slow down "
         "and check the parameters for SQL-like text.",
    418: "This IP is banned for repeated rate-limit violations: send nothing until Retry-After has passed.",
    429: "A rate limit was exceeded: wait for Retry-After before sending again, or the IP gets banned.",
    451: "Binance does not serve this region: use the service available for your jurisdiction.",
}


def error_spec(code: int) -> ErrorSpec | None:
    """The spec entry for a Binance error code, or None for a code keysafe does not know."""
    return ERRORS.get(code)
