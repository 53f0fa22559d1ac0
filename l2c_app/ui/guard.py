"""The access guard of every event handler, and the one way a state calls a service.

Threat model: the browser is untrusted. A hidden button is not a check; every event that
reads or changes data re-checks, on the server and for that one event, that the session
cookie is live and that the viewer's role may use the section:

    @rx.event
    @guard("invoices")
    async def issue(self):
        done = await self._call(service.issue_invoice, self._actor(), self.invoice_id)
        ...

`guard` costs ONE query (`core.auth.session_viewer`); a refused event returns the
denial (login redirect or toast) and never runs the handler. Inside it, `current_access()`
(or `self._actor()` on AuthState) names the viewer.

`AuthState._call(fn, *args)` runs `fn(session, *args)` in `run_db` (one transaction) and
returns a `Done`: a DomainError becomes the message a person reads (`core.errors.ui_message`)
with the field it is about; any other exception is logged and shown as a generic message,
so SQL, a DSN or a stack trace never reaches a toast.
"""

from __future__ import annotations

import functools
import inspect
import logging
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import reflex as rx

from l2c_app.core.errors import DomainError, ui_message

log = logging.getLogger(__name__)

# The access of the event being handled (a context variable: one per task, so two events
# handled at once never see each other's viewer).
_CURRENT: ContextVar[Any] = ContextVar("l2c_access", default=None)


def current_access():
    """The `Access` checked by `guard` for the event being handled (None outside one)."""
    return _CURRENT.get()


def guard(section: str) -> Callable:
    """Decorator (under `@rx.event`): check the session and the role for `section` first."""

    def wrap(fn: Callable) -> Callable:
        if inspect.isasyncgenfunction(fn):  # handlers that `yield` (loading feedback)

            @functools.wraps(fn)
            async def streaming(self, *args, **kwargs):
                access = await self._access(section)
                if not access.allowed:
                    yield access.denial()
                    return
                token = _CURRENT.set(access)
                try:
                    async for event in fn(self, *args, **kwargs):
                        yield event
                finally:
                    _reset(token)

            streaming.guarded_section = section  # type: ignore[attr-defined]
            return streaming

        @functools.wraps(fn)
        async def handler(self, *args, **kwargs):
            access = await self._access(section)
            if not access.allowed:
                return access.denial()
            token = _CURRENT.set(access)
            try:
                return await fn(self, *args, **kwargs)
            finally:
                _reset(token)

        handler.guarded_section = section  # type: ignore[attr-defined]
        return handler

    return wrap


def _reset(token) -> None:
    try:
        _CURRENT.reset(token)
    except ValueError:  # a generator resumed in another context: the variable dies with it
        pass


@dataclass
class Done:
    """The outcome of `AuthState._call`: `ok`, the service's `value`, or the `error` to show."""

    ok: bool
    value: Any = None
    error: str = ""
    field: str | None = None

    def toast(self, success: str | None = None):
        """The toast to return: the error, else `success` (None when there is nothing to say)."""
        if not self.ok:
            return rx.toast.error(self.error)
        return rx.toast.success(success) if success else None


async def call_service(fn: Callable, *args, shown: tuple[type[BaseException], ...] = (), **kwargs) -> Done:
    """Run `fn(session, *args, **kwargs)` in one transaction; errors become a `Done` to show.

    `shown`: other exception types whose text is written for people (e.g. a provider's
    refusal); everything else that is not a DomainError is logged and shown generically."""
    from l2c_app.core.db import run_db

    try:
        return Done(True, await run_db(fn, *args, **kwargs))
    except DomainError as exc:
        return Done(False, error=ui_message(exc), field=exc.field)
    except shown as exc:
        return Done(False, error=str(exc))
    except Exception as exc:
        log.exception("service call %s failed", getattr(fn, "__name__", fn))
        return Done(False, error=ui_message(exc))
