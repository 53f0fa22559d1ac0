"""Pages of the contracts stage (placeholders until its issue fills them)."""

import reflex as rx

from l2c_app.ui.layout import app_page, empty_state


@app_page('/contracts', 'Contracts', 'contracts')
def contracts_page() -> rx.Component:
    return empty_state('signature', 'No contracts yet',
                       'Create a contract from an accepted quote; it is signed with the built-in signer or DocuSign.')
