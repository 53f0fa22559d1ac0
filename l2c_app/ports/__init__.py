"""Ports: the interfaces integrations implement, and the plain data that crosses them.

A stage calls a port (`ports.payments.gateway()`, `ports.signatures.provider()`,
`ports.mailer.send_mail`, `ports.accounting.AccountingSystem`); it never imports an adapter.
An adapter in `integrations/` implements a port and imports only `core` and `ports`. A port
imports only `core` (and the standard library); it names its implementations by dotted path,
imported on first use (`_load.implementation`), so the layers stay one way
(docs/ARCHITECTURE.md "Layers", tests/test_layers.py).
"""
