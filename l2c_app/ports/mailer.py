"""The mailer port (defined in core.mailer, because core itself writes invitations and
notifications through it): re-exported here so every port is in one place."""

from l2c_app.core.mailer import DEFAULT_MAILER, Mailer, send_mail, use_mailer

__all__ = ["DEFAULT_MAILER", "Mailer", "send_mail", "use_mailer"]
