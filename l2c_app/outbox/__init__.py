"""The transactional outbox: every outside effect (e-mail, Stripe, DocuSign, outbound
webhooks) is a row written in the business transaction and delivered after commit."""
