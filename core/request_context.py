"""The client address of the request being served, for the audit trail."""

from __future__ import annotations

from contextvars import ContextVar

_client_ip: ContextVar[str | None] = ContextVar("shouhu_client_ip", default=None)


def current_client_ip() -> str | None:
    return _client_ip.get()


def set_client_ip(value: str | None) -> object:
    return _client_ip.set(value)


def reset_client_ip(token: object) -> None:
    _client_ip.reset(token)  # type: ignore[arg-type]
