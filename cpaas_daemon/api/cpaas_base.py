"""Seed 003's dialect: ``account``/``auth`` headers and ``{"response": {...}}`` bodies.

Every value in the seed's examples is a string (``"success": "true"``, ``"repeat": "1"``),
so requests accept strings (or plain JSON numbers) and responses keep the strings.
"""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

import structlog
from aiohttp import web
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    ValidationError,
    ValidationInfo,
)

from cpaas_daemon.accounts.limits import AuthThrottle
from cpaas_daemon.accounts.repository import AccountRepository
from cpaas_daemon.api.errors import ApiError
from cpaas_daemon.api.json_body import json_response
from cpaas_daemon.calls import dialstring
from cpaas_daemon.errors import Unauthorized, ValidationFailed

Model = TypeVar("Model", bound=BaseModel)

MAX_BODY = 1 << 20


def _number(value: str, info: ValidationInfo) -> str:
    return dialstring.phone_number(value, info.field_name or "number")


def _on_off(value: str) -> str:
    if value not in {"on", "off"}:
        raise ValueError("must be on or off")
    return value


def _as_text(value: object) -> object:
    """The seed sends numbers as strings; accept a bare JSON integer too."""
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


# Field types shared by the dialect's request models.
Number = Annotated[str, AfterValidator(_number)]  # a phone number, never a dial string
OnOff = Annotated[str, AfterValidator(_on_off)]
Text = Annotated[str, BeforeValidator(_as_text)]  # "1" or 1


class CpaasModel(BaseModel):
    """Request bodies: unknown keys are ignored (clients send extras), types are coerced."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True, frozen=True)


def render_error(error: ApiError) -> web.Response:
    body: dict[str, Any] = {"success": "false", "message": error.message}
    body.update({k: v for k, v in error.details.items() if isinstance(v, str | int)})
    return json_response({"response": body}, status=error.status)


def ok(**fields: Any) -> web.Response:
    return json_response({"response": {**fields, "success": "true"}})


class AccountAuth:
    """The accounts' secrets, checked for every dialect that authenticates an account."""

    def __init__(self, accounts: AccountRepository, throttle: AuthThrottle) -> None:
        self._accounts = accounts
        self._throttle = throttle

    async def account_of(self, request: web.Request) -> str:
        """Authenticate the ``account`` + ``auth`` headers; binds ``account`` for the logs."""
        account_id = request.headers.get("account", "").strip()
        secret = request.headers.get("auth", "")
        if not account_id or not secret:
            raise Unauthorized("account and auth headers are required")
        account = await self.checked_account(request, account_id, secret)
        structlog.contextvars.bind_contextvars(account=account)
        return account

    async def checked_account(self, request: web.Request, account_id: str, secret: str) -> str:
        """The account if the secret is right, else 401; throttled per peer and per account
        (429 once over budget, the secret then unchecked: docs/security.md)."""
        with self._throttle.attempt(request.remote, account_id):
            account = await self._accounts.authenticate(account_id, secret)
            if account is None:
                raise Unauthorized("invalid account or auth")
        return account.account_id


def _first_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    field = ".".join(str(p) for p in err["loc"]) or "body"
    message = str(err["msg"]).removeprefix("Value error, ")
    if err["type"] == "missing":
        return f"{field} is required"
    return f"{field}: {message}" if not message.startswith(field) else message


async def parse_body(request: web.Request, model: type[Model]) -> Model:
    """Read and validate a JSON body; any problem is a 400 naming the field."""
    if request.content_length is not None and request.content_length > MAX_BODY:
        raise ValidationFailed("request body too large")
    raw = await request.read()
    try:
        return model.model_validate_json(raw or b"{}")
    except ValidationError as exc:
        if any(err["type"] == "json_invalid" for err in exc.errors()):
            raise ValidationFailed("request body is not valid JSON") from None
        if any(err["type"] == "model_type" for err in exc.errors()):
            raise ValidationFailed("request body must be a JSON object") from None
        raise ValidationFailed(_first_error(exc)) from None
