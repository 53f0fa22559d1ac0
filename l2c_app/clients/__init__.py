"""The client record (list, page, statement, REST) and the client portal."""
