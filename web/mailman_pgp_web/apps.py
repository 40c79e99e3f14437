"""The app's configuration: connects the app's own receivers of webhook events."""

from django.apps import AppConfig


class MailmanPGPWebConfig(AppConfig):
    name = "mailman_pgp_web"
    verbose_name = "Mailman PGP lists"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from mailman_pgp_web import receivers
        from mailman_pgp_web.wkd import events as wkd_events

        receivers.connect()
        wkd_events.connect()
