"""Every event handler of a signed-in page re-checks the session and the role on the server.

Hiding a button is never the check: this test reads each handler of every state that
extends AuthState and fails when one does not call `self._access(...)` (or is not listed
below with the reason it needs no check).
"""

import inspect
import re

import l2c_app.l2c_app  # noqa: F401  (imports every page and state)
from l2c_app.ui.session import AuthState

# Handlers that touch no data of the organisation.
NO_DATA = {
    "require",  # the guard itself
    "go",  # the search box: only redirects to /search?q=..., whose load is guarded
    "focus_cell",  # time grid: remembers which cell has the focus (for its note), reads state only
    "pick_project",  # timer: remembers the chosen project; start/stop are guarded
    "select_template",  # contract templates: shows one of the templates already loaded
    "new_template",  # contract templates: an empty editor, saving is guarded
}


def _checks_access(cls, source: str) -> bool:
    """The handler checks itself, or calls a helper of its class that does (`self._do(...)`)."""
    if "self._access(" in source:
        return True
    for helper in set(re.findall(r"self\.(_\w+)\(", source)):
        fn = getattr(cls, helper, None)
        if callable(fn) and "self._access(" in inspect.getsource(fn):
            return True
    return False


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
            if not _checks_access(cls, source):
                missing.append(f"{cls.__module__}.{cls.__name__}.{name}")
    assert checked > 5
    assert missing == []
