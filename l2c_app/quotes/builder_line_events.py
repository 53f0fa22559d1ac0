"""The builder's line and section events: type into a line (live totals), save it, add a free or
catalog line, sections, move and drag.

A Reflex mixin of `state.BuilderState`: Reflex copies its handlers onto that state, so the
frontend still addresses them as BuilderState's (`BuilderState.save_line`)."""

from __future__ import annotations

from typing import Any

import reflex as rx

from l2c_app.quotes import builder_form
from l2c_app.quotes import service as svc
from l2c_app.quotes.builder_form import LINE_FIGURES
from l2c_app.quotes.page_data import edit_line
from l2c_app.ui.guard import current_access, guard


class BuilderLineEvents(rx.State, mixin=True):
    """Handlers only: the vars and helpers they use (`self.lines`, `self._do`, ...) are BuilderState's."""

    def _set_field(self, idx: int, field: str, value: Any) -> None:
        if not self.editable or not 0 <= int(idx) < len(self.lines):
            return
        self.lines[int(idx)][field] = value
        self._preview()

    @rx.event
    def set_line_field(self, idx: int, field: str, value: Any):
        self._set_field(idx, field, value)

    async def _save_line(self, access, idx: int):
        idx = int(idx)
        if not self.editable or not 0 <= idx < len(self.lines):
            return None
        ln = self.lines[idx]
        if any(ln.get(f"err_{f}") for f in LINE_FIGURES):
            return None  # the field shows why; nothing is saved until it is fixed
        try:
            fields = builder_form.line_fields(ln, self.quote.get("currency", "EUR"))
        except svc.QuoteError as exc:
            ln["error"] = str(exc)
            return rx.toast.error(str(exc))
        line_id = int(ln["id"])
        return await self._do(access, lambda s, actor: edit_line(s, actor, line_id, fields))

    @rx.event
    @guard("quotes")
    async def save_line(self, idx: int):
        access = current_access()
        return await self._save_line(access, idx)

    @rx.event
    @guard("quotes")
    async def set_and_save(self, idx: int, field: str, value: Any):
        """Selects and checkboxes: apply and save at once."""
        access = current_access()
        self._set_field(idx, field, value)
        return await self._save_line(access, idx)

    @rx.event
    @guard("quotes")
    async def add_free_line(self):
        access = current_access()
        qid = self.current_id
        return await self._do(
            access, lambda s, a: svc.add_line(s, a, qid, description="New item", quantity="1", unit_price_minor=0)
        )

    @rx.event
    def set_catalog_pick(self, value: str):
        self.catalog_pick = value

    @rx.event
    @guard("quotes")
    async def add_catalog_line(self):
        access = current_access()
        if not self.catalog_pick:
            return rx.toast.error("Choose a catalog item first.")
        pick, qid = int(self.catalog_pick), self.current_id
        return await self._do(access, lambda s, a: svc.add_line(s, a, qid, catalog_item_id=pick))

    @rx.event
    def set_new_section(self, value: str):
        self.new_section = value

    @rx.event
    @guard("quotes")
    async def add_section(self):
        access = current_access()
        heading = self.new_section.strip()
        if not heading:
            return rx.toast.error("Type the section heading first.")
        qid = self.current_id
        result = await self._do(access, svc.add_section, qid, heading)
        if not self.error:
            self.new_section = ""
        return result

    @rx.event
    @guard("quotes")
    async def add_line_in(self, heading: str):
        access = current_access()
        qid = self.current_id
        return await self._do(
            access,
            lambda s, a: svc.add_line(
                s, a, qid, description="New item", quantity="1", unit_price_minor=0, section=heading
            ),
        )

    @rx.event
    @guard("quotes")
    async def remove_section(self, heading: str):
        access = current_access()
        return await self._do(access, svc.remove_section, self.current_id, heading)

    @rx.event
    @guard("quotes")
    async def rename_section(self, old: str, new: str):
        access = current_access()
        if (new or "").strip() == (old or "").strip():
            return None
        return await self._do(access, svc.rename_section, self.current_id, old, new)

    @rx.event
    @guard("quotes")
    async def remove_line(self, line_id: int):
        access = current_access()
        return await self._do(access, svc.remove_line, int(line_id))

    @rx.event
    @guard("quotes")
    async def move(self, line_id: int, delta: int):
        access = current_access()
        return await self._do(access, svc.move_line, int(line_id), int(delta))

    @rx.event
    def set_dragging(self, line_id: int):
        self.dragging = int(line_id)

    @rx.event
    @guard("quotes")
    async def drop_on(self, line_id: int):
        access = current_access()
        dragged, self.dragging = self.dragging, 0
        if not dragged or dragged == int(line_id):
            return None
        return await self._do(access, svc.move_line_to, dragged, int(line_id))
