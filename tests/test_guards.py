"""Every event handler of a signed-in page that reaches data re-checks the session and the
role on the server.

Hiding a button is never the check: this test reads each handler of every state that
extends AuthState. A handler that reaches the database or a service (itself or through a
helper of its class, `self._x(...)`) must call `self._access(...)` (itself or in that
helper), or be decorated with `@guard(...)` (ui/guard.py). Handlers that only move UI
state (open a dialog, remember a choice) are exempt.
"""

import inspect
import re

import l2c_app.l2c_app  # noqa: F401  (imports every page and state)
from l2c_app.ui.session import AuthState

DATA = re.compile(r"\brun_db\(|\bwith_session\(|\bsession_scope\(|\bsvc\.|\bservice\.|\brx\.download\(")
GUARD = re.compile(r"self\._access\(|^\s*@guard\(", re.M)
EXEMPT = {"require"}  # the guard itself


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def _helpers(cls, source: str) -> list[str]:
    out = []
    for name in set(re.findall(r"self\.(_\w+)\(", source)):
        fn = getattr(cls, name, None)
        if callable(fn) and name != "_access":
            try:
                out.append(inspect.getsource(fn))
            except (OSError, TypeError):
                continue
    return out


def _violation(cls, source: str) -> bool:
    helpers = _helpers(cls, source)
    touches = DATA.search(source) or any(DATA.search(h) for h in helpers)
    guarded = GUARD.search(source) or any(GUARD.search(h) for h in helpers)
    return bool(touches) and not guarded


def test_every_handler_that_reaches_data_checks_access():
    missing, checked = [], 0
    for cls in _subclasses(AuthState):
        for name, handler in cls.event_handlers.items():
            if name in EXEMPT or name.startswith("set_") or handler.fn.__qualname__.split(".")[0] != cls.__name__:
                continue
            checked += 1
            if _violation(cls, inspect.getsource(handler.fn)):
                missing.append(f"{cls.__module__}.{cls.__name__}.{name}")
    assert checked > 50
    assert missing == []


def test_the_rule_catches_an_unguarded_handler():
    class Leaky:
        async def _load(self):
            return await run_db(print)  # noqa: F821

    assert _violation(Leaky, "async def h(self):\n    return await run_db(read_everything)\n")
    assert _violation(Leaky, "async def h(self):\n    await self._load()\n")
    assert not _violation(Leaky, "def h(self):\n    self.open = True\n")
    assert not _violation(Leaky, "async def h(self):\n    a = await self._access('x')\n    await run_db(f)\n")
    assert not _violation(Leaky, "@rx.event\n@guard('x')\nasync def h(self):\n    await run_db(f)\n")
    assert _violation(Leaky, "async def h(self):\n    # @guard('x') in a comment is no guard\n    await run_db(f)\n")
