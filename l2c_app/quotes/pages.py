"""Pages of the quotes stage: Settings > Catalog, the list of quotes, the builder, and the
client's public page `/q/<token>`. Each page is built in the module named for it; this one
registers their routes."""

from __future__ import annotations

from l2c_app.quotes import builder_page as _builder
from l2c_app.quotes import catalog_page as _catalog
from l2c_app.quotes import list_page as _list
from l2c_app.quotes import public_page as _public
from l2c_app.quotes.page_kit import status_badge  # noqa: F401  (re-exported)
from l2c_app.quotes.state import BuilderState, CatalogState, PublicQuoteState, QuotesListState
from l2c_app.ui.layout import app_page, public_page

catalog_page = app_page("/settings/catalog", "Catalog and taxes", "settings", on_load=CatalogState.load)(
    _catalog.catalog_page
)
quotes_page = app_page("/quotes", "Quotes", "quotes", on_load=QuotesListState.load)(_list.quotes_page)
builder_page = app_page("/quotes/[quote_id]", "Quote builder", "quotes", on_load=BuilderState.load)(
    _builder.builder_page
)
public_quote_page = public_page("/q/[token]", "Your proposal", on_load=PublicQuoteState.load, portal_link=True)(
    _public.public_quote_page
)
