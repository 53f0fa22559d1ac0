"""Every event handler of a signed-in page re-checks the session and the role on the server.

Hiding a button is never the check: this test reads each handler of every state that
extends AuthState and fails when one does not call `self._access(...)` (or is not listed
below with the reason it needs no check).
"""

import inspect

import l2c_app.l2c_app  # noqa: F401  (imports every page and state)
from l2c_app.ui.session import AuthState

# Handlers that touch no data of the organisation.
NO_DATA = {
    "require",  # the guard itself
    "go",  # the search box: only redirects to /search?q=..., whose load is guarded
    "focus_cell",  # time grid: remembers which cell has the focus (for its note), reads state only
    "pick_project",  # timer: remembers the chosen project; start/stop are guarded
}


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def test_every_handler_of_a_signed_in_state_checks_access():
    missing = []
    checked = 0
    for cls in _subclasses(AuthState):
        for name, handler in cls.event_handlers.items():
            if name in NO_DATA or name.startswith("set_") or handler.fn.__qualname__.split(".")[0] != cls.__name__:
                continue
            source = inspect.getsource(handler.fn)
            checked += 1
            if "self._access(" not in source:
                missing.append(f"{cls.__module__}.{cls.__name__}.{name}")
    assert checked > 5
    assert missing == []
