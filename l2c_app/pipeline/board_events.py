"""The live board: which deals changed, told to every open board, and the patch that applies it.

Three pieces, no Reflex import:
- `install()`: SQLAlchemy session hooks. Any flush that inserts, updates or deletes a Deal (or a
  task of one: the card shows the next task) remembers the deal id on the session; after the
  COMMIT (never before: a rolled-back move is never announced) the ids are published on the
  organisation's board topic of the broadcast port (`core.broadcast`). Every path is covered
  (board, deal page, REST API, jobs) because the hook sits under the services.
- `changes(session, ids, ...)`: re-reads those deals by id through `service.board(only=...)`,
  with the viewer's own filters: their cards (None for a deal that left the board: won, lost,
  deleted, filtered out) and every column's header figures.
- `patch_columns(columns, change)`: pure: the board's columns with those cards replaced,
  moved, inserted or removed, and the headers replaced. Same stage: the card is updated in
  place; new stage: removed from the old column, inserted in the new one by time in stage.

Threat model: a message carries only the organisation id and deal ids, never a title or a
value. A receiving tab re-checks its viewer's session and role (`AuthState._access`) and
re-reads the cards itself, so a message (forged, replayed, or from another organisation's
channel) can at most make a tab re-read what its viewer may already see.
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session

from l2c_app.core.broadcast import get_broadcast

log = logging.getLogger(__name__)

_KEY = "l2c_board_deals"


def board_topic(org_id: int) -> str:
    return f"board:{int(org_id)}"


def org_id(session: Session) -> int:
    """The organisation of this database (0 before setup). One small query: read at each commit
    that touched a deal, never cached (a test install may be reset and set up again)."""
    from l2c_app.core.auth import get_organisation

    org = get_organisation(session)
    return int(org.id) if org is not None and org.id is not None else 0


def publish(org: int, deal_ids: list[int] | set[int], mark: str = "") -> None:
    """`mark`: the random mark of a board tab's own move (act_and_read), so that tab's follow
    need not re-read what it already patched; never a token or a name."""
    if deal_ids:
        message: dict[str, Any] = {"org": int(org), "deals": sorted(int(i) for i in deal_ids)}
        if mark:
            message["by"] = str(mark)
        get_broadcast().publish(board_topic(org), message)


# --- the session hooks ---------------------------------------------------------------------------


def _after_flush(session: OrmSession, _ctx) -> None:
    from l2c_app.pipeline.models import Activity, Deal

    ids: set[int] = session.info.setdefault(_KEY, set())
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, Deal) and obj.id is not None:
            ids.add(obj.id)
        elif isinstance(obj, Activity) and obj.deal_id is not None and obj.kind == "task":
            ids.add(obj.deal_id)
    if not ids:
        session.info.pop(_KEY, None)


def _before_commit(session: OrmSession) -> None:
    if session.info.get(_KEY):
        try:
            session.info[_KEY + ":org"] = org_id(session)  # type: ignore[arg-type]
        except Exception:  # noqa: BLE001 - announcing is best effort; the commit must not fail for it
            log.warning("board events: organisation not read", exc_info=True)
            session.info.pop(_KEY, None)


def _after_commit(session: OrmSession) -> None:
    ids = session.info.pop(_KEY, None)
    org = session.info.pop(_KEY + ":org", 0)
    mark = session.info.pop(_KEY + ":by", "")
    if ids and org:
        try:
            publish(org, ids, mark)
        except Exception:  # noqa: BLE001
            log.warning("board events: publish failed", exc_info=True)


def _after_rollback(session: OrmSession) -> None:
    session.info.pop(_KEY, None)
    session.info.pop(_KEY + ":org", None)
    session.info.pop(_KEY + ":by", None)


_INSTALLED = False


def install() -> None:
    """Hook every Session (idempotent)."""
    global _INSTALLED
    if _INSTALLED:
        return
    event.listen(OrmSession, "after_flush", _after_flush)
    event.listen(OrmSession, "before_commit", _before_commit)
    event.listen(OrmSession, "after_commit", _after_commit)
    event.listen(OrmSession, "after_soft_rollback", lambda s, _tx: _after_rollback(s))
    _INSTALLED = True


# --- re-read and patch ---------------------------------------------------------------------------


def changes(
    session: Session,
    deal_ids: list[int] | set[int],
    owner_id: int | None = None,
    close_from: date | None = None,
    close_to: date | None = None,
    tz: str = "UTC",
) -> dict[str, Any]:
    """What the board of a viewer with these filters needs to patch `deal_ids` in.

    `cards`: deal id -> its card with `stage_id`, or None (not on this board any more);
    `heads`: stage id -> the column's header figures; `stages`: the open stage ids in order
    (a change of the stages themselves needs a full reload)."""
    from l2c_app.pipeline import service as svc

    ids = {int(i) for i in deal_ids}
    cols = svc.board(session, owner_id, close_from, close_to, tz, only=ids)
    cards: dict[int, dict | None] = dict.fromkeys(ids)
    heads: dict[int, dict] = {}
    for col in cols:
        for card in col["cards"]:
            cards[card["id"]] = {**card, "stage_id": col["id"]}
        heads[col["id"]] = {k: col[k] for k in ("name", "probability", "count", "total_text", "weighted_text")}
    return {"cards": cards, "heads": heads, "stages": [c["id"] for c in cols], "version": svc.board_version(session)}


def act_and_read(
    session: Session, action, args: tuple, deal_id: int, filters: tuple, known_version: str, mark: str = ""
) -> dict[str, Any]:
    """Run `action(session, *args)` and re-read the deal's card in the same transaction (committed
    by run_db before the tab shows it). `version_ok`: nobody else changed the board since the
    tab's last read, so it may take the new version without missing their change. `mark`: sent
    with this commit's board message (`publish`): the acting tab knows it as its own."""
    from l2c_app.pipeline import service as svc

    if mark:
        session.info[_KEY + ":by"] = mark
    before = svc.board_version(session)
    action(session, *args)
    session.flush()
    return {**changes(session, [deal_id], *filters), "version_ok": before == known_version}


def patch_columns(columns: list[dict], change: dict[str, Any], per_column: int = 100) -> list[dict] | None:
    """The columns with `change` (from `changes`) applied; None when the stages themselves
    changed (added, removed, reordered: the caller reloads the whole board).

    Pure: new lists and dicts, the input is not modified."""
    if [c["id"] for c in columns] != list(change["stages"]):
        return None
    cards: dict[int, dict | None] = {int(k): v for k, v in change["cards"].items()}
    heads: dict[int, dict] = {int(k): v for k, v in change["heads"].items()}
    out = []
    for col in columns:
        kept: list[dict] = []
        for card in col["cards"]:
            cid = int(card["id"])
            if cid not in cards:
                kept.append(card)
                continue
            new = cards[cid]
            if new is not None and int(new["stage_id"]) == int(col["id"]):
                kept.append(_card(new))  # same stage: updated in place
                cards.pop(cid)
            # else: it left this column (moved, closed, removed, filtered out)
        for new in cards.values():
            if new is not None and int(new["stage_id"]) == int(col["id"]):
                kept = _insert(kept, _card(new))
        head = heads.get(int(col["id"]), {})
        merged = {**col, **head, "cards": kept[: max(per_column, 0)] if len(kept) > per_column else kept}
        merged["more"] = max(int(merged["count"]) - len(merged["cards"]), 0)
        out.append(merged)
    return out


def _card(card: dict) -> dict:
    return {k: v for k, v in card.items() if k != "stage_id"}


def _insert(cards: list[dict], card: dict) -> list[dict]:
    """Insert by time in stage, most recent first (the board's order)."""
    entered = card.get("entered") or ""
    for i, other in enumerate(cards):
        if (other.get("entered") or "") < entered:
            return [*cards[:i], card, *cards[i:]]
    return [*cards, card]
