"""Close the books: accounting settings, the journal built from the ledger, its export."""
