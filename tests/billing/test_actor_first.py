"""Issue 12: billing's use cases take `(session, actor, ...)` like every other stage, and the
actor is required: a forgotten actor is a TypeError, never an audit entry by "system".
Callers acting as the system pass `core.audit.SYSTEM` themselves (webhooks, jobs)."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import l2c_app.billing as billing_pkg

# UI state and pages run as the viewer (their own helpers); the routes take a Principal.
NOT_USE_CASES = {"state", "pages", "components", "printed_ui", "views", "api", "api_drafts", "ledger_api", "api_models"}


def _public_functions():
    for info in pkgutil.iter_modules(billing_pkg.__path__):
        if info.name in NOT_USE_CASES:
            continue
        module = importlib.import_module(f"l2c_app.billing.{info.name}")
        for name, fn in vars(module).items():
            if inspect.isfunction(fn) and not name.startswith("_") and fn.__module__ == module.__name__:
                yield f"{info.name}.{name}", fn


def test_every_public_billing_function_takes_the_actor_second_and_requires_it():
    wrong = []
    with_actor = []
    for name, fn in _public_functions():
        params = list(inspect.signature(fn).parameters.values())
        if "actor" not in [p.name for p in params]:
            continue
        with_actor.append(name)
        actor = next(p for p in params if p.name == "actor")
        if [p.name for p in params[:2]] != ["session", "actor"]:
            wrong.append(f"{name}: actor after {[p.name for p in params[: params.index(actor)]]}")
        if actor.default is not inspect.Parameter.empty:
            wrong.append(f"{name}: actor defaults to {actor.default!r}")
    assert not wrong, wrong
    # The use cases that write are found (the check is not vacuous).
    assert {"issuing.issue_invoice", "drafting.build_invoice", "payment_status.recompute_status"} <= set(with_actor)
    assert len(with_actor) >= 19, with_actor


def test_the_facade_exports_no_private_name_nor_system_nor_models():
    from l2c_app.billing import service

    assert not [n for n in service.__all__ if n.startswith("_")]
    assert not {"SYSTEM", "Invoice"} & set(dir(service))
    assert set(service.__all__) == {n for n in dir(service) if not n.startswith("_") and n != "annotations"}
