"""Mutation testing of the money core: do the unit tests notice when the arithmetic changes?

Run: `make bench BENCH=mutation_bench` (or `.venv/bin/python -m bench mutation_bench`;
`.venv/bin/python bench/mutation_bench.py --jobs 2 --only billing` for a part). Not part of CI:
a full run takes minutes on two cores.

Why not mutmut: mutmut 3 copies the package to `mutants/` and rewrites every function into a
trampoline, which fights this layout (pytest's `--import-mode=importlib`, Reflex and Alembic
reading files relative to the package). This runner is small and does the same thing honestly:

- It parses the listed modules and, inside the listed functions' bodies only (not defaults,
  annotations, decorators or docstrings), makes one mutant per change: arithmetic operator
  swaps (+ -, * /, // /, % //, ** *, also in `x += y`), comparison swaps (< <=, > >=, == !=,
  is / is not, in / not in), integer constants +1 and -1, True/False flips, `and`/`or` swaps,
  `not x` -> `x`, `-x` -> `x`, `max`/`min` swaps, code-like strings ("paid") -> "XXpaidXX",
  and `return value` -> `return None`.
- Each mutant is compiled from the module's own source (same file and line numbers) and
  swapped in place of the original function's code object (`func.__code__`), so every module
  that imported the function runs the mutant; the original code is put back afterwards.
- A long-lived worker process runs a fixed, fast selection of the money unit tests for the
  mutant's module in-process (`pytest -x -k "not postgres"`, SQLite only, one migration
  copied for every database, property tests derandomised at MAX_EXAMPLES). Its first, clean
  run records which tests call which target function (setup included: a fixture's world
  counts) and how long each takes; a mutant then runs only the tests that call its function,
  the fastest first, and stops at the first failure. A function no selected test calls
  survives without a run. A failing run (exit code 1) kills the mutant; any other non-zero
  code (usage error, a test id not found) skips it; a run past the timeout (3 x the clean run
  + 30 s: the load of a shared machine jumps) is a timeout (the worker is killed and
  restarted). A mutant that cannot be compiled or swapped is skipped. `--resume FILE` goes on
  from a stopped run's --json (written after every mutant), keeping what it killed.
- Mutants judged equivalent (no input can tell them from the original) are listed in
  EQUIVALENT below with the reason; they are counted apart, never as killed.

It prints killed / survived / timeout / equivalent-or-skipped and the kill rate over the
non-equivalent mutants, then every survivor as file:line and the change, so a developer
can write the test that kills it.
"""

from __future__ import annotations

import argparse
import ast
import copy
import json
import os
import re
import select
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Mutants compile with postponed annotations: a signature never evaluates a name at swap time.
FUTURE_ANNOTATIONS = __import__("__future__").annotations.compiler_flag

ALL = None  # every function (and method) of the module

# (module file, functions or ALL, test group)
TARGETS: list[tuple[str, tuple[str, ...] | None, str]] = [
    ("l2c_app/core/money.py", ALL, "core"),
    ("l2c_app/core/tax.py", ALL, "core"),
    ("l2c_app/core/lines.py", ALL, "core"),
    ("l2c_app/quotes/totals.py", ALL, "quotes"),
    ("l2c_app/billing/drafting.py", ("_line_tax",), "billing"),
    ("l2c_app/billing/invoice_totals.py", ("_apply_rate_tax", "_recompute_totals", "tax_split"), "billing"),
    (
        "l2c_app/billing/payment_status.py",
        (
            "ledger",
            "net_paid",
            "amount_due",
            "open_amount",
            "recompute_status",
            "_status_for",
            "recompute_status_row",
            "_sync_credit",
        ),
        "billing",
    ),
    ("l2c_app/billing/ledger.py", ALL, "billing"),
    ("l2c_app/billing/credit_notes.py", ALL, "billing"),
]

# The fixed, fast test selection of each group (seconds, not minutes); the pure unit tests first
# so that most mutants die before a database is made.
TESTS = {
    "core": [
        "tests/test_money_core.py",
        "tests/test_money.py",
        "tests/quotes/test_totals.py",
        "tests/test_money_rule.py",
    ],
    "quotes": ["tests/test_money_core.py", "tests/quotes/test_totals.py", "tests/test_money_rule.py"],
    "billing": [
        "tests/billing/test_money_status.py",
        "tests/billing/test_ledger.py",
        "tests/billing/test_fast_path_twins.py",
        "tests/billing/test_partial_credit_note_rules.py",
        "tests/billing/test_ledger_rules.py",
        "tests/test_money_rule.py::test_per_rate_keeps_a_deposits_stated_tax",
    ],
}
# The pure core is judged by its unit tests only (a database test costs seconds on a busy
# machine: tests parametrized [sqlite]/[postgres] are left out); billing's rules live on
# the database, so its group runs its SQLite tests (but not the ledger's property test, which
# builds a database per example: a minute per surviving mutant).
SELECT = {
    "core": "not sqlite and not postgres and not migration",
    "quotes": "not sqlite and not postgres and not migration",
    "billing": "not postgres and not migration and not any_sequence",
}
PYTEST_ARGS = ["-x", "-q", "-p", "no:cacheprovider", "-p", "no:randomly", "--no-header", "--tb=no"]

MAX_EXAMPLES = 20

# Mutants no test can kill because no input tells them from the original, by
# "file:line function: change" exactly as the survivor list prints it -> why (when a module's
# lines move, move its entries too: a stale entry is simply run again).
_SAME_EXPONENT = "quantize() reads only the exponent of its argument: Decimal(0), (1) and (2) all mean 'whole units'"
_NO_ZERO_LINE = (
    "a deposit line of 0 is never written (nothing of zero value is invoiced): < 0, <= 0 and < 1 select the same lines"
)
_RARER_SKIP = (
    "the skip is a write shortcut for a lone line whose tax is already its own; skipping less often "
    "only recomputes the same figure (stored is never NULL: the group has lines)"
)
_CREDIT_SHORTCUT = (
    "was_over only skips a query: ClientCredit rows exist only while the stored paid exceeds the "
    "stored due (the recompute that ends an overpayment sees was_over and deletes them), so syncing in more "
    "cases finds nothing to change"
)
_NO_CREDIT_NOTE_PAYMENTS = (
    "a credit note never has a payment (manual payments and payment links refuse it), so "
    "`led.payment_ids` is empty and its excess is never read"
)
_TWO_LINES = (
    "two lines reach a recompute fresh (stored = their own taxes: an equal sum means nothing to share) "
    "or after a removal (the largest-first shares keep their order): no two lines store the rate's sum in other "
    "shares than the rule's"
)
_APPLIED_ONLY = (
    "the row made here is for a client who applied credit and holds none: credit is applied only "
    "from held credit (ClientCredit rows stay; balance = held - applied), so the default row is never made"
)
_HELD_SET = "the default of 'held' is overwritten in the same statement's row at once"
_NONE_ACCOUNT = "credit belongs to a client (payments on invoices have an account): account_id is never None"
_MORE_REFERENCE = (
    "only sends more events through the reference path (recompute_status + after_payment on a "
    "fresh ORM object), which leaves the invoice, its credit, audit rows and events as the fast path does "
    "(tests/billing/test_fast_path_twins.py runs both paths on the same cases): it is only slower"
)
_EXCESS_COMPARED = "excess is only compared > 0: max(-1, x) and max(0, x) agree on it"
_CN_SETTLED = (
    "a credit note is issued as paid and keeps that status (a recompute never moves it, an issued one "
    "cannot be voided): the open-status test already refuses it"
)
_NEVER_NEGATIVE = (
    "credit_lost is never negative (_excess grows with what is paid) and the client's balance never "
    "goes below 0: at credit_lost 0 the balance check cannot refuse"
)
_OPEN_HAS_MONEY = (
    "an invoice in an open status has money open: it was issued with a positive total, a credit "
    "note covering the total voids it, and _status_for makes it paid or written off once paid + written off "
    "reach what is due"
)
_NO_ZERO_INVOICE_LINE = (
    "an invoice line of 0 is never written (add_manual_line refuses 0; build_invoice invoices "
    "nothing of zero value): <= 0 and < 0, > 0 and >= 0 select the same lines"
)
_ISSUED_HAS_POSITIVE = (
    "an issued invoice has a positive total (issue_invoice refuses anything else), so it has a "
    "positive line and the default rate for none is never used"
)
EQUIVALENT: dict[str, str] = {
    "l2c_app/billing/ledger.py:161 apply_credit: `'credit_note'` -> `'XXcredit_noteXX'`": _CN_SETTLED,
    "l2c_app/billing/ledger.py:208 write_off: `'credit_note'` -> `'XXcredit_noteXX'`": _CN_SETTLED,
    "l2c_app/billing/ledger.py:134 reverse_payment: `credit_lost > 0` -> `credit_lost >= 0`": _NEVER_NEGATIVE,
    "l2c_app/billing/ledger.py:134 reverse_payment: `0` -> `-1`": _NEVER_NEGATIVE,
    "l2c_app/billing/ledger.py:212 write_off: `open_minor <= 0` -> `open_minor < 0`": _OPEN_HAS_MONEY,
    "l2c_app/billing/ledger.py:212 write_off: `0` -> `-1`": _OPEN_HAS_MONEY,
    "l2c_app/billing/credit_notes.py:80 partial_credit_note: `line.amount_minor <= 0` -> `line.amount_minor < 0`": _NO_ZERO_INVOICE_LINE,
    "l2c_app/billing/credit_notes.py:80 partial_credit_note: `0` -> `-1`": _NO_ZERO_INVOICE_LINE,
    "l2c_app/billing/credit_notes.py:94 partial_credit_note: `ln.amount_minor > 0` -> `ln.amount_minor >= 0`": _NO_ZERO_INVOICE_LINE,
    "l2c_app/billing/credit_notes.py:94 partial_credit_note: `0` -> `-1`": _NO_ZERO_INVOICE_LINE,
    "l2c_app/billing/credit_notes.py:98 partial_credit_note: `0` -> `1`": _ISSUED_HAS_POSITIVE,
    "l2c_app/billing/credit_notes.py:98 partial_credit_note: `0` -> `-1`": _ISSUED_HAS_POSITIVE,
    "l2c_app/billing/credit_notes.py:98 partial_credit_note: `False` -> `True`": _ISSUED_HAS_POSITIVE,
    "l2c_app/billing/payment_status.py:1010 recompute_status: `'credit_note'` -> `'XXcredit_noteXX'`": "a credit note's "
    "status never moves in a recompute (_status_for keeps it; it is issued as paid), so the paid event's "
    "guard is never reached for one",
    "l2c_app/billing/payment_status.py:1056 recompute_status_row: `row.paid_minor > due` -> `row.paid_minor >= due`": _MORE_REFERENCE,
    "l2c_app/billing/payment_status.py:1057 recompute_status_row: `'credit_note'` -> `'XXcredit_noteXX'`": _NO_CREDIT_NOTE_PAYMENTS,
    "l2c_app/billing/payment_status.py:1057 recompute_status_row: `0` -> `1`": _MORE_REFERENCE,
    "l2c_app/billing/payment_status.py:1057 recompute_status_row: `0` -> `-1`": _EXCESS_COMPARED,
    "l2c_app/billing/payment_status.py:1057 recompute_status_row: `paid - due` -> `paid + due`": _MORE_REFERENCE,
    "l2c_app/billing/payment_status.py:1057 recompute_status_row: `0` -> `1` #2": _NO_CREDIT_NOTE_PAYMENTS,
    "l2c_app/billing/payment_status.py:1057 recompute_status_row: `0` -> `-1` #2": _NO_CREDIT_NOTE_PAYMENTS,
    "l2c_app/billing/payment_status.py:1058 recompute_status_row: `led.payment_ids and (excess > 0 or was_over)` -> "
    "`led.payment_ids or (excess > 0 or was_over)`": _MORE_REFERENCE + "; without payments excess is 0 and the "
    "stored paid (0) is not above what is due, so nothing more is sent",
    "l2c_app/billing/payment_status.py:1058 recompute_status_row: `excess > 0` -> `excess >= 0`": _MORE_REFERENCE,
    "l2c_app/billing/payment_status.py:1058 recompute_status_row: `0` -> `-1`": _MORE_REFERENCE,
    "l2c_app/billing/invoice_totals.py:688 _apply_rate_tax: `1` -> `0`": "never skipping: a lone line whose stored tax is "
    "the rate's tax is recomputed to the same figure (only changed lines are written)",
    "l2c_app/billing/invoice_totals.py:688 _apply_rate_tax: `1` -> `2`": _TWO_LINES,
    "l2c_app/billing/payment_status.py:998 recompute_status: `0` -> `-1`": "excess is only compared > 0 and <= 0: "
    "max(-1, x) and max(0, x) agree on both",
    "l2c_app/billing/payment_status.py:999 recompute_status: `'credit_note'` -> `'XXcredit_noteXX'`": _NO_CREDIT_NOTE_PAYMENTS,
    "l2c_app/billing/payment_status.py:999 recompute_status: `0` -> `1`": _NO_CREDIT_NOTE_PAYMENTS,
    "l2c_app/billing/payment_status.py:999 recompute_status: `0` -> `-1`": _NO_CREDIT_NOTE_PAYMENTS,
    "l2c_app/billing/payment_status.py:1001 recompute_status: `int(before.get('paid_minor') or 0) > amount_due(before.get("
    "'status') or '', inv.kind, int(before['total_minor']), int(before.get('credited_minor') or 0))` -> `int(before."
    "get('paid_minor') or 0) >= amount_due(before.get('status') or '', inv.kind, int(before['total_minor']), "
    "int(before.get('credited_minor') or 0))`": _CREDIT_SHORTCUT,
    "l2c_app/billing/payment_status.py:1001 recompute_status: `0` -> `1`": _CREDIT_SHORTCUT,
    "l2c_app/billing/payment_status.py:1003 recompute_status: `0` -> `1`": _CREDIT_SHORTCUT,
    "l2c_app/billing/payment_status.py:1004 recompute_status: `led.payment_ids and (excess > 0 or was_over)` -> "
    "`led.payment_ids or (excess > 0 or was_over)`": "without payments there is no money above what is due "
    "(excess 0) and no credit row to find: the sync it adds deletes nothing",
    "l2c_app/billing/payment_status.py:1004 recompute_status: `excess > 0` -> `excess >= 0`": _CREDIT_SHORTCUT,
    "l2c_app/billing/payment_status.py:1004 recompute_status: `0` -> `-1`": _CREDIT_SHORTCUT,
    "l2c_app/billing/payment_status.py:1087 _sync_credit: `c.payment_id == led.latest_succeeded_id` -> `c.payment_id != "
    "led.latest_succeeded_id`": "ClientCredit rows are made only here and each sync leaves at most one row for an "
    "invoice's payments: choosing among at most one row chooses the same row (it then moves to the latest payment)",
    "l2c_app/billing/payment_status.py:1087 _sync_credit: `0` -> `-1`": "credits[0] or credits[-1] of at most one row "
    "(see the entry above): the same row",
    "l2c_app/billing/ledger.py:74 credit_balances: `0` -> `1`": _HELD_SET,
    "l2c_app/billing/ledger.py:74 credit_balances: `0` -> `-1`": _HELD_SET,
    "l2c_app/billing/ledger.py:76 credit_balances: `'account_id'` -> `'XXaccount_idXX'`": _APPLIED_ONLY,
    "l2c_app/billing/ledger.py:76 credit_balances: `'currency'` -> `'XXcurrencyXX'`": _APPLIED_ONLY,
    "l2c_app/billing/ledger.py:76 credit_balances: `'held'` -> `'XXheldXX'`": _APPLIED_ONLY,
    "l2c_app/billing/ledger.py:76 credit_balances: `'applied'` -> `'XXappliedXX'`": _APPLIED_ONLY,
    "l2c_app/billing/ledger.py:76 credit_balances: `0` -> `1`": _APPLIED_ONLY,
    "l2c_app/billing/ledger.py:76 credit_balances: `0` -> `-1`": _APPLIED_ONLY,
    "l2c_app/billing/ledger.py:76 credit_balances: `0` -> `1` #2": _APPLIED_ONLY,
    "l2c_app/billing/ledger.py:76 credit_balances: `0` -> `-1` #2": _APPLIED_ONLY,
    "l2c_app/billing/ledger.py:79 credit_balances: `0` -> `1`": _NONE_ACCOUNT,
    "l2c_app/billing/ledger.py:79 credit_balances: `0` -> `-1`": _NONE_ACCOUNT,
    "l2c_app/billing/payment_status.py:1001 recompute_status: `0` -> `-1`": "paid_minor is never negative: 0 or -1 is not "
    "above any due (>= 0), as 0 is not",
    "l2c_app/core/money.py:33 round_minor: `1` -> `2`": _SAME_EXPONENT,
    "l2c_app/core/money.py:33 round_minor: `1` -> `0`": _SAME_EXPONENT,
    "l2c_app/core/tax.py:21 exact_line_tax: `0` -> `-1`": "the formula gives 0 at rate 0 too (the test is a shortcut); "
    "a rate of -1 never reaches it (rates are validated >= 0)",
    "l2c_app/core/lines.py:123 allocate_rate_tax: `not free or percent == 0` -> `not free and percent == 0`": "an empty group has target 0 and nothing to share; a 0 % group's target equals its lines' 0 taxes",
    "l2c_app/core/lines.py:123 allocate_rate_tax: `0` -> `-1`": "skipping 0 % is a shortcut (diff 0); no rate is -1",
    "l2c_app/core/lines.py:128 allocate_rate_tax: `diff > 0` -> `diff >= 0`": "at diff 0 the loop does not run",
    "l2c_app/core/lines.py:128 allocate_rate_tax: `0` -> `-1`": "diff is an integer: diff > -1 is diff >= 0, and "
    "at diff 0 the loop does not run",
    "l2c_app/quotes/totals.py:151 compute_totals: `0` -> `-1`": "the rate of a line without a tax is never read "
    "(no tax item, no tax row)",
    "l2c_app/billing/invoice_totals.py:675 _apply_rate_tax: `InvoiceLine.amount_minor < 0` -> `InvoiceLine.amount_minor <= 0`": _NO_ZERO_LINE,
    "l2c_app/billing/invoice_totals.py:675 _apply_rate_tax: `0` -> `1`": _NO_ZERO_LINE,
    "l2c_app/billing/invoice_totals.py:678 _apply_rate_tax: `0` -> `-1`": "the query leaving out 0 % lines is a shortcut: "
    "a 0 % group has nothing to share; no rate is -1",
    "l2c_app/billing/invoice_totals.py:688 _apply_rate_tax: `stored or 0` -> `stored and 0`": _RARER_SKIP,
    "l2c_app/billing/invoice_totals.py:688 _apply_rate_tax: `0` -> `1`": _RARER_SKIP,
    "l2c_app/billing/invoice_totals.py:688 _apply_rate_tax: `0` -> `-1`": _RARER_SKIP,
    "l2c_app/quotes/totals.py:151 compute_totals: `0` -> `1`": "the rate of a line without a tax is never read",
    "l2c_app/quotes/totals.py:166 compute_totals: `0` -> `1`": "(n, 0) is only a key: any constant month index "
    "keeps the keys distinct",
    "l2c_app/quotes/totals.py:166 compute_totals: `0` -> `-1`": "(n, 0) is only a key: any constant month index "
    "keeps the keys distinct",
}


@dataclass
class Mutant:
    path: str
    func: str  # "name" or "Class.name"
    index: int  # the n-th mutation point of the function (deterministic walk)
    line: int
    change: str
    group: str
    source: str = ""  # the mutated line's text, stripped: what pins an EQUIVALENT entry when lines move

    @property
    def key(self) -> str:
        """As printed in the survivor list."""
        return f"{self.path}:{self.line} {self.func}: {self.change}"


# An EQUIVALENT key names a line number, and an edit above it moves the line: each entry's line
# text is pinned in this file (`--pin` writes it), so an entry still finds its mutant by
# (file, function, change, line text) after the code around it moved.
PINS = ROOT / "bench" / "mutation_equivalent_pins.json"
_KEY = re.compile(r"^([^:]+):(\d+) (\S+): (.*)$", re.S)


def _anchored() -> dict[tuple[str, str, str, str], str]:
    pins = json.loads(PINS.read_text()) if PINS.exists() else {}
    out = {}
    for key, reason in EQUIVALENT.items():
        match = _KEY.match(key)
        if match and key in pins:
            out[match[1], match[3], match[4], pins[key]] = reason
    return out


def equivalent_reason(m: Mutant, _cache: dict = {}) -> str | None:  # noqa: B006 (a per-process cache)
    """Why `m` is judged equivalent (None: it is not): by its key, or by its pinned line text."""
    if m.key in EQUIVALENT:
        return EQUIVALENT[m.key]
    if "anchored" not in _cache:
        _cache["anchored"] = _anchored()
    return _cache["anchored"].get((m.path, m.func, m.change, m.source))


def pin() -> None:
    """Write PINS: the line text of every EQUIVALENT entry's mutant, as the code is now."""
    by_key = {m.key: m for m in enumerate_mutants()}
    old = json.loads(PINS.read_text()) if PINS.exists() else {}
    pins, lost = {}, []
    for key in EQUIVALENT:
        if key in by_key:
            pins[key] = by_key[key].source
        elif key in old:
            pins[key] = old[key]
            lost.append(key)
    PINS.write_text(json.dumps(pins, indent=1, sort_keys=True, ensure_ascii=False) + "\n")
    print(
        f"pinned {len(pins)} entries to {PINS.relative_to(ROOT)}; {len(lost)} kept from the old pins "
        "(their line moved: update their keys)"
    )


BINOPS = {
    ast.Add: ast.Sub,
    ast.Sub: ast.Add,
    ast.Mult: ast.Div,
    ast.Div: ast.Mult,
    ast.FloorDiv: ast.Div,
    ast.Mod: ast.FloorDiv,
    ast.Pow: ast.Mult,
}
CMPOPS = {
    ast.Lt: ast.LtE,
    ast.LtE: ast.Lt,
    ast.Gt: ast.GtE,
    ast.GtE: ast.Gt,
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
    ast.Is: ast.IsNot,
    ast.IsNot: ast.Is,
    ast.In: ast.NotIn,
    ast.NotIn: ast.In,
}
CODE_STRING = re.compile(r"^[a-z][a-z_]*$")


def _is_str(node: ast.AST) -> bool:
    return isinstance(node, ast.JoinedStr) or (isinstance(node, ast.Constant) and isinstance(node.value, str))


def _variants(node: ast.AST, parent: ast.AST | None) -> list[tuple[str, ast.AST]]:
    """The mutants of one node: (description, replacement node)."""
    out: list[tuple[str, ast.AST]] = []
    src = ast.unparse(node) if not isinstance(node, ast.stmt) else ""
    if isinstance(node, ast.BinOp) and type(node.op) in BINOPS and not (_is_str(node.left) or _is_str(node.right)):
        new = copy.deepcopy(node)
        new.op = BINOPS[type(node.op)]()
        out.append((f"`{src}` -> `{ast.unparse(new)}`", new))
    elif isinstance(node, ast.AugAssign) and type(node.op) in BINOPS:
        new = copy.deepcopy(node)
        new.op = BINOPS[type(node.op)]()
        out.append((f"`{ast.unparse(node)}` -> `{ast.unparse(new)}`", new))
    elif isinstance(node, ast.Compare):
        for i, op in enumerate(node.ops):
            if type(op) in CMPOPS:
                new = copy.deepcopy(node)
                new.ops[i] = CMPOPS[type(op)]()
                out.append((f"`{src}` -> `{ast.unparse(new)}`", new))
    elif isinstance(node, ast.BoolOp):
        new = copy.deepcopy(node)
        new.op = ast.Or() if isinstance(node.op, ast.And) else ast.And()
        out.append((f"`{src}` -> `{ast.unparse(new)}`", new))
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.Not, ast.USub)):
        out.append((f"`{src}` -> `{ast.unparse(node.operand)}`", copy.deepcopy(node.operand)))
    elif isinstance(node, ast.Constant):
        v = node.value
        if isinstance(v, bool):
            out.append((f"`{v}` -> `{not v}`", ast.Constant(not v)))
        elif isinstance(v, int):
            out.append((f"`{v}` -> `{v + 1}`", ast.Constant(v + 1)))
            out.append((f"`{v}` -> `{v - 1}`", ast.Constant(v - 1)))
        elif isinstance(v, str) and CODE_STRING.match(v) and not isinstance(parent, (ast.JoinedStr, ast.Expr)):
            out.append((f"`{src}` -> `'XX{v}XX'`", ast.Constant(f"XX{v}XX")))
    elif (
        isinstance(node, ast.Name)
        and node.id in ("max", "min")
        and isinstance(parent, ast.Call)
        and parent.func is node
    ):
        other = "min" if node.id == "max" else "max"
        out.append((f"`{node.id}(...)` -> `{other}(...)`", ast.Name(other, ast.Load())))
    elif (
        isinstance(node, ast.Return)
        and node.value is not None
        and not (isinstance(node.value, ast.Constant) and node.value.value is None)
    ):
        new = ast.Return(ast.Constant(None))
        out.append((f"`return {ast.unparse(node.value)}` -> `return None`", new))
    for _, new in out:
        ast.copy_location(new, node)
        ast.fix_missing_locations(new)
    return out


def _points(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> list[tuple[ast.AST, ast.AST, str, ast.AST]]:
    """Every (parent, node, description, replacement) of the function body, in a fixed order."""
    body = fn.body
    if body and isinstance(body[0], ast.Expr) and _is_str(body[0].value):
        body = body[1:]  # the docstring
    out = []

    def visit(node: ast.AST, parent: ast.AST | None) -> None:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            # nested functions: their bodies only (defaults and annotations are evaluated elsewhere)
            children = node.body if isinstance(node.body, list) else [node.body]
        elif isinstance(node, ast.JoinedStr):  # f-strings: messages, not arithmetic
            return
        elif isinstance(node, ast.Raise):  # what is raised is the tests' business; its message is not
            return
        else:
            children = list(ast.iter_child_nodes(node))
        for desc, new in _variants(node, parent):
            out.append((parent, node, desc, new))
        for child in children:
            if isinstance(child, (ast.arg, ast.arguments)) or (
                isinstance(node, (ast.AnnAssign,)) and child is node.annotation
            ):
                continue
            visit(child, node)

    holder = ast.Module(body=body, type_ignores=[])
    for stmt in body:
        visit(stmt, holder)
    return out


def _replace(parent: ast.AST, old: ast.AST, new: ast.AST) -> None:
    for field, value in ast.iter_fields(parent):
        if value is old:
            setattr(parent, field, new)
            return
        if isinstance(value, list):
            for i, item in enumerate(value):
                if item is old:
                    value[i] = new
                    return
    raise LookupError("mutation point not found in its parent")


def _functions(tree: ast.Module) -> dict[str, tuple[ast.FunctionDef, str | None]]:
    found: dict[str, tuple[ast.FunctionDef, str | None]] = {}
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            found[node.name] = (node, None)
        elif isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    found[f"{node.name}.{item.name}"] = (item, node.name)
    return found


def enumerate_mutants() -> list[Mutant]:
    mutants = []
    for path, names, group in TARGETS:
        text = (ROOT / path).read_text()
        lines = text.splitlines()
        tree = ast.parse(text, filename=path)
        for qual, (fn, _cls) in _functions(tree).items():
            if names is not ALL and qual not in names:
                continue
            seen: dict[tuple[int, str], int] = {}
            for i, (_parent, node, desc, _new) in enumerate(_points(fn)):
                line = getattr(node, "lineno", fn.lineno)
                n = seen[line, desc] = seen.get((line, desc), 0) + 1
                # the same change twice on one line (two `0`s): numbered, so that keys stay unique
                mutants.append(
                    Mutant(
                        path,
                        qual,
                        i,
                        line,
                        desc if n == 1 else f"{desc} #{n}",
                        group,
                        lines[line - 1].strip() if 0 < line <= len(lines) else "",
                    )
                )
    return mutants


# ---------------------------------------------------------------- the worker (one process, in place)


def _module_name(path: str) -> str:
    return path.removesuffix(".py").replace("/", ".")


def _live_function(module, qual: str):
    import inspect

    obj = module
    for part in qual.split("."):
        obj = obj.__dict__[part] if isinstance(obj, type) else getattr(obj, part)
    if isinstance(obj, (staticmethod, classmethod)):
        obj = obj.__func__
    if isinstance(obj, property):
        obj = obj.fget
    return inspect.unwrap(obj)


def _mutant_code(path: str, qual: str, index: int | None, cover: str | None = None):
    """The code object of the function with its index-th mutation applied; with `cover`, the
    unmutated function that first calls `__l2c_cover__(cover)` (the clean run's coverage)."""
    tree = ast.parse((ROOT / path).read_text(), filename=path)
    fn, cls = _functions(tree)[qual]
    fn = copy.deepcopy(fn)
    if index is not None:
        parent, node, _desc, new = _points(fn)[index]
        if parent is not None and isinstance(parent, ast.Module):  # a top-level statement of the body
            fn.body[fn.body.index(node)] = new
        else:
            _replace(parent, node, new)
    if cover is not None:
        hit = ast.Expr(ast.Call(ast.Name("__l2c_cover__", ast.Load()), [ast.Constant(cover)], []))
        fn.body.insert(0, ast.copy_location(hit, fn.body[0]))
    fn.decorator_list = []
    # Compiled inside a class when it is a method, so that `super()` finds its __class__ cell.
    body: list[ast.stmt] = [ast.ClassDef(cls, [], [], [fn], [])] if cls else [fn]
    module = ast.Module(body=body, type_ignores=[])
    ast.fix_missing_locations(module)
    code = compile(module, str(ROOT / path), "exec", flags=FUTURE_ANNOTATIONS, dont_inherit=True)
    for const in code.co_consts:
        if hasattr(const, "co_name") and const.co_name == (cls or fn.name):
            if cls:
                for inner in const.co_consts:
                    if hasattr(inner, "co_name") and inner.co_name == fn.name:
                        return inner
            return const
    raise LookupError(f"compiled code of {qual} not found")


def _few_examples() -> None:
    """Property tests run derandomized (the same examples for every mutant) and with at most
    MAX_EXAMPLES examples, even where a test asks for more: the price of one mutant stays seconds."""
    from hypothesis import settings

    settings.register_profile("mutation", max_examples=MAX_EXAMPLES, derandomize=True, database=None, deadline=None)
    settings.load_profile("mutation")
    init = settings.__init__

    def clamped(self, parent=None, **kwargs):
        if isinstance(kwargs.get("max_examples"), int) and kwargs["max_examples"] > MAX_EXAMPLES:
            kwargs["max_examples"] = MAX_EXAMPLES
        init(self, parent, **kwargs)

    settings.__init__ = clamped


def _sqlite_only_and_one_migration() -> None:
    """The worker runs the SQLite tests only, and migrates once: each `pytest.main` would
    otherwise build its session's template databases again (SQLite and PostgreSQL, seconds
    each). PostgreSQL is hidden from this process (tests/conftest.py then offers SQLite only),
    and a migrated SQLite file is copied instead of migrated anew."""
    import shutil
    import socket
    import tempfile

    from l2c_app.core import db

    connect = socket.create_connection

    def no_postgres(address, *args, **kwargs):
        if tuple(address)[1:] == (5432,):
            raise OSError("PostgreSQL is not used by the mutation bench")
        return connect(address, *args, **kwargs)

    socket.create_connection = no_postgres
    migrate, cached = db.migrate, Path(tempfile.mkdtemp(prefix="l2c-mutation-")) / "migrated.db"

    def migrate_once(url: str | None = None) -> None:
        if not url or not url.startswith("sqlite:///"):
            return migrate(url)
        if not cached.exists():
            migrate(f"sqlite:///{cached}")
        target = Path(url.removeprefix("sqlite:///"))
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(cached, target)

    db.migrate = migrate_once


class _Coverage:
    """A pytest plugin for the clean run: which test (setup, call and teardown, so a fixture
    that builds a world counts) calls which of the group's target functions, and how long each
    test takes. Only those tests can kill a mutant of the function; the others are not run for
    it. The targets run instrumented copies of themselves (a first statement that reports the
    call), so the clean run costs what it costs without coverage."""

    def __init__(self, group: str):
        import builtins
        import importlib

        self.covered: dict[str, list[str]] = {}
        self.seconds: dict[str, float] = {}
        self.current: str | None = None
        self.swapped = []
        builtins.__l2c_cover__ = self.hit
        for m in {(m.path, m.func): m for m in enumerate_mutants() if m.group == group}.values():
            func = _live_function(importlib.import_module(_module_name(m.path)), m.func)
            self.swapped.append((func, func.__code__))
            func.__code__ = _mutant_code(m.path, m.func, None, cover=f"{m.path}::{m.func}")

    def restore(self) -> None:
        for func, code in self.swapped:
            func.__code__ = code

    def hit(self, qual: str) -> None:
        if self.current is not None:
            tests = self.covered.setdefault(qual, [])
            if not tests or tests[-1] != self.current:
                tests.append(self.current)

    def pytest_runtest_logstart(self, nodeid, location):  # before the test's setup
        self.current = nodeid

    def pytest_runtest_logreport(self, report):
        self.seconds[report.nodeid] = self.seconds.get(report.nodeid, 0.0) + report.duration

    def pytest_runtest_logfinish(self, nodeid, location):
        self.current = None

    def selection(self) -> dict[str, list[str]]:
        """Each function's tests, the fastest first: with -x a mutant dies in its cheapest test."""
        return {qual: sorted(tests, key=lambda t: self.seconds.get(t, 0.0)) for qual, tests in self.covered.items()}


def worker(group: str) -> int:
    import importlib

    import pytest

    out = os.fdopen(os.dup(1), "w", buffering=1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    os.chdir(ROOT)
    sys.path.insert(0, str(ROOT))
    args = [*TESTS[group], "-k", SELECT[group], *PYTEST_ARGS]
    _few_examples()
    _sqlite_only_and_one_migration()
    coverage: dict[str, list[str]] | None = None
    for line in sys.stdin:
        job = json.loads(line)
        result, detail = "", ""
        func = original = None
        run_args = args
        try:
            if job.get("path"):
                tests = (coverage or {}).get(f"{job['path']}::{job['func']}") if coverage is not None else None
                if coverage is not None and not tests:
                    result, detail = "survived", "no selected test calls the function"
                elif tests:
                    run_args = [*tests, *PYTEST_ARGS]  # the fastest first; -x stops at the first failure
            if job.get("path") and not result:
                module = importlib.import_module(_module_name(job["path"]))
                func = _live_function(module, job["func"])
                original = func.__code__
                try:
                    func.__code__ = _mutant_code(job["path"], job["func"], job["index"])
                except (ValueError, LookupError, SyntaxError, TypeError) as exc:
                    result, detail = "skipped", f"{type(exc).__name__}: {exc}"
            if not result:
                start = time.perf_counter()
                plugins = []
                if not job.get("path") and coverage is None:
                    plugins = [_Coverage(group)]
                try:
                    code = pytest.main(run_args, plugins=plugins)
                finally:
                    for plugin in plugins:
                        plugin.restore()
                detail = f"{time.perf_counter() - start:.1f}s"
                if plugins and code == 0:
                    coverage = plugins[0].selection()
                if job.get("path"):
                    # 1: a test failed. Anything else but 0 (usage error, node not found,
                    # interrupted) says nothing about the mutant: skipped, with the code.
                    result = "survived" if code == 0 else "killed" if code == 1 else "skipped"
                    if result == "skipped":
                        detail = f"pytest exit code {code}"
                else:
                    result = "clean" if code == 0 else f"clean run failed ({code})"
        finally:
            if func is not None and original is not None:
                func.__code__ = original
        out.write(json.dumps({"result": result, "detail": detail}) + "\n")
    return 0


# ---------------------------------------------------------------- the parent


class Worker:
    def __init__(self, group: str):
        self.group = group
        env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
        self.proc = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "--worker", group],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            bufsize=1,
            env=env,
        )

    def ask(self, job: dict, timeout: float) -> dict | None:
        self.proc.stdin.write(json.dumps(job) + "\n")
        self.proc.stdin.flush()
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        if not ready:
            return None
        line = self.proc.stdout.readline()
        return json.loads(line) if line else {"result": "killed", "detail": "worker died"}

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def _key_of(entry: dict) -> str:
    """A --json entry's key (files written before keys carried the line: "path:func:change")."""
    key = entry["key"]
    if re.match(r"^[^:]+:\d+ ", key):
        return key
    path, func, change = key.split(":", 2)
    return f"{path}:{entry['line']} {func}: {change}"


def _write_json(path: str, results: dict) -> None:
    data = {k: [{"key": m.key, "line": m.line, "detail": d} for m, d in v] for k, v in results.items()}
    Path(path + ".tmp").write_text(json.dumps(data, indent=1))
    os.replace(path + ".tmp", path)


def run(
    only: str | None,
    jobs: int,
    limit: int | None,
    rerun: str | None = None,
    json_path: str | None = None,
    resume: str | None = None,
    keys: list[str] | None = None,
) -> dict:
    mutants = [
        m
        for m in enumerate_mutants()
        if (not only or only in m.path or only == m.group) and (not keys or m.key in keys)
    ]
    if limit:
        mutants = mutants[:limit]
    results: dict[str, list[tuple[Mutant, str]]] = {
        k: [] for k in ("killed", "survived", "timeout", "equivalent", "skipped")
    }
    if rerun:
        # Tests are only ever added, so a mutant an earlier run killed (or timed out) stays so:
        # run again only its survivors (by key) and keep the rest as they were.
        earlier = json.loads(Path(rerun).read_text())
        again = {_key_of(e) for e in earlier["survived"]}
        kept = {_key_of(e): kind for kind in ("killed", "timeout", "skipped") for e in earlier[kind]}
        for m in mutants:
            if m.key in kept and m.key not in again and equivalent_reason(m) is None:
                results[kept[m.key]].append((m, "earlier run"))
        mutants_run = [m for m in mutants if m.key in again or equivalent_reason(m) is not None]
        print(f"re-running the {len(again)} survivors of {rerun}", flush=True)
    elif resume:
        # A run stopped midway (its --json is written after every mutant): keep what it
        # killed or skipped, run the rest (its survivors, timeouts and the mutants not reached:
        # on a machine whose load jumps, a timeout may be a slow survivor).
        earlier = json.loads(Path(resume).read_text())
        kept = {_key_of(e): kind for kind in ("killed", "skipped") for e in earlier[kind]}
        mutants_run = []
        for m in mutants:
            if m.key in kept and equivalent_reason(m) is None:
                results[kept[m.key]].append((m, "earlier run"))
            else:
                mutants_run.append(m)
        print(f"resuming {resume}: {len(mutants) - len(mutants_run)} kept, {len(mutants_run)} to run", flush=True)
    else:
        mutants_run = mutants
    by_group: dict[str, list[Mutant]] = {}
    for m in mutants_run:
        reason = equivalent_reason(m)
        if reason is not None:
            results["equivalent"].append((m, reason))
        else:
            by_group.setdefault(m.group, []).append(m)
    print(
        f"{len(mutants)} mutants in {len(TARGETS)} modules; tests per group: "
        + "; ".join(f"{g}: {' '.join(TESTS[g])} -k '{SELECT[g]}'" for g in by_group),
        flush=True,
    )
    # one queue per group, `jobs` workers in all, round-robin over the groups' queues
    queue = [(g, m) for g, ms in by_group.items() for m in ms]
    workers: dict[int, Worker] = {}
    timeouts: dict[str, float] = {}
    done = 0
    start = time.perf_counter()
    import concurrent.futures as cf
    import threading

    lock = threading.Lock()

    def clean_timeout(group: str, w: Worker) -> float:
        """Every new worker runs the tests once unmutated: they must pass, and it warms the imports."""
        t0 = time.perf_counter()
        answer = w.ask({}, 900)
        if not answer or answer["result"] != "clean":
            raise SystemExit(f"the clean test run of group {group} does not pass: {answer}")
        with lock:
            # generous: a mutant runs only the tests that call its function, but the machine's load
            # can triple between the clean run and a mutant's run
            timeouts[group] = max(timeouts.get(group, 0), 3 * (time.perf_counter() - t0) + 30)
        print(f"   clean run of {group}: {time.perf_counter() - t0:.1f} s, timeout {timeouts[group]:.0f} s", flush=True)
        return timeouts[group]

    def lane(items: list[tuple[str, Mutant]]) -> None:
        nonlocal done
        current: Worker | None = None
        for group, m in items:
            if current is None or current.group != group:
                if current:
                    current.stop()
                current = Worker(group)
                with lock:
                    workers[id(current)] = current
                limit_s = clean_timeout(group, current)
            answer = current.ask({"path": m.path, "func": m.func, "index": m.index}, limit_s)
            if answer is None:
                current.stop()
                current = None
                outcome = "timeout"
            else:
                outcome = answer["result"]
            with lock:
                results[outcome if outcome in results else "skipped"].append((m, answer and answer["detail"]))
                done += 1
                if json_path:  # after every mutant: a run stopped midway keeps what it found
                    _write_json(json_path, results)
                if outcome in ("survived", "timeout"):  # as they come: a long run can be read (or stopped) midway
                    print(f"   {outcome}: {m.path}:{m.line} {m.func}: {m.change}", flush=True)
                if done % 25 == 0:
                    print(
                        f"   {done}/{len(queue)} mutants run ({time.perf_counter() - start:.0f} s): "
                        f"{len(results['killed'])} killed, {len(results['survived'])} survived, "
                        f"{len(results['timeout'])} timeout",
                        flush=True,
                    )
        if current:
            current.stop()

    # lanes: the queue split by group first (each lane keeps one worker per group it meets)
    lanes: list[list[tuple[str, Mutant]]] = [[] for _ in range(max(1, jobs))]
    for i, item in enumerate(queue):
        lanes[i % len(lanes)].append(item)
    for lane_items in lanes:
        lane_items.sort(key=lambda gm: list(by_group).index(gm[0]))
    try:
        with cf.ThreadPoolExecutor(len(lanes)) as pool:
            for f in [pool.submit(lane, items) for items in lanes]:
                f.result()
    finally:
        for w in workers.values():
            w.stop()
    return {"results": results, "seconds": time.perf_counter() - start, "total": len(mutants)}


def merged(paths: list[str]) -> dict:
    """The outcome of several --json files (later files win for a mutant), judged with the
    EQUIVALENT list as it is now; mutants in none of them are reported as not run."""
    by_key = {m.key: m for m in enumerate_mutants()}
    outcome_of: dict[str, tuple[str, str]] = {}
    for path in paths:
        for kind, entries in json.loads(Path(path).read_text()).items():
            for e in entries:
                outcome_of[_key_of(e)] = (kind, e.get("detail") or "")
    results: dict[str, list[tuple[Mutant, str]]] = {
        k: [] for k in ("killed", "survived", "timeout", "equivalent", "skipped")
    }
    not_run = 0
    for key, m in by_key.items():
        reason = equivalent_reason(m)
        if reason is not None:
            results["equivalent"].append((m, reason))
        elif key in outcome_of:
            results[outcome_of[key][0]].append((m, outcome_of[key][1]))
        else:
            not_run += 1
    print(f"   {len(by_key)} mutants, {not_run} not run in these files")
    return {"results": results, "seconds": 0, "total": len(by_key) - not_run}


def report(outcome: dict) -> None:
    r = outcome["results"]
    killed, survived, timeout = len(r["killed"]), len(r["survived"]), len(r["timeout"])
    equivalent, skipped = len(r["equivalent"]), len(r["skipped"])
    counted = killed + survived + timeout
    rate = 100 * (killed + timeout) / counted if counted else 0.0
    print(
        f"   mutants: {outcome['total']}  killed: {killed}  survived: {survived}  timeout: {timeout}  "
        f"equivalent-or-skipped: {equivalent + skipped} ({equivalent} equivalent, {skipped} skipped)"
    )
    print(f"   kill rate (killed + timeout over non-equivalent): {rate:.1f} %  ({outcome['seconds']:.0f} s)")
    per_file: dict[str, list[int]] = {}
    for kind in ("killed", "survived", "timeout"):
        for m, _ in r[kind]:
            per_file.setdefault(m.path, [0, 0])[0 if kind != "survived" else 1] += 1
    for path, (k, s) in per_file.items():
        print(f"     {path}: {k} killed, {s} survived")
    if r["survived"]:
        print("   survivors (file:line function: change):")
        for m, _ in sorted(r["survived"], key=lambda x: (x[0].path, x[0].line)):
            print(f"     {m.path}:{m.line} {m.func}: {m.change}")
    for m, why in r["skipped"]:
        print(f"   skipped {m.path}:{m.line} {m.func}: {m.change} ({why})")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=int(os.environ.get("MUTATION_JOBS", "2")))
    parser.add_argument(
        "--only",
        default=os.environ.get("MUTATION_ONLY"),
        help="a group (core, quotes, billing) or part of a module path",
    )
    parser.add_argument("--limit", type=int, default=None, help="the first N mutants only (a smoke run)")
    parser.add_argument("--list", action="store_true", help="list the mutants, run nothing")
    parser.add_argument("--json", default=os.environ.get("MUTATION_JSON"), help="also write the outcome to this file")
    parser.add_argument(
        "--rerun",
        default=os.environ.get("MUTATION_RERUN"),
        help="the --json file of an earlier run: run its survivors again only",
    )
    parser.add_argument(
        "--mutant", action="append", default=None, help="only this mutant, by its key as --list prints it (repeatable)"
    )
    parser.add_argument(
        "--resume", default=None, help="the --json file of a run stopped midway: keep its killed, run the rest"
    )
    parser.add_argument(
        "--report",
        nargs="+",
        default=None,
        help="print the figures of earlier --json files (merged; EQUIVALENT as it is now), run nothing",
    )
    parser.add_argument(
        "--pin", action="store_true", help="pin each EQUIVALENT entry to its line's text (after editing EQUIVALENT)"
    )
    parser.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(sys.argv[1:] if argv is None and __name__ == "__main__" else (argv or []))
    if args.worker:
        sys.exit(worker(args.worker))
    if args.pin:
        pin()
        return
    if args.report:
        report(merged(args.report))
        return
    if args.list:
        for m in enumerate_mutants():
            print(f"{m.path}:{m.line} {m.func}: {m.change}")
        return
    outcome = run(args.only, args.jobs, args.limit, args.rerun, args.json, args.resume, args.mutant)
    report(outcome)
    if args.json:
        _write_json(args.json, outcome["results"])


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
