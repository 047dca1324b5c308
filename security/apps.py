from django.apps import AppConfig


class SecurityConfig(AppConfig):
    """No models of its own yet (they are in campaigns); connects the audit log's signals."""

    name = "security"

    def ready(self) -> None:
        from . import audit_signals

        audit_signals.connect()
