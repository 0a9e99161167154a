"""What routers need from the application: its services and its accounts."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from icsight.governance.accounts import AccountStore
from icsight.services import Service

__all__ = ["AccountsDep", "Services"]


def _services(request: Request) -> Service:
    return request.app.state.services


def _accounts(request: Request) -> AccountStore:
    return request.app.state.accounts


Services = Annotated[Service, Depends(_services)]
AccountsDep = Annotated[AccountStore, Depends(_accounts)]
