from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "rxportal.audit"
    label = "audit"
    verbose_name = "Audit trail"

    def ready(self) -> None:
        """Record Django's sign-in signals (they also fire for allauth and the admin login)."""
        from django.contrib.auth import signals

        from rxportal.audit import receivers

        signals.user_logged_in.connect(
            receivers.record_login, dispatch_uid="rxportal.audit.record_login"
        )
        signals.user_logged_out.connect(
            receivers.record_logout, dispatch_uid="rxportal.audit.record_logout"
        )
        signals.user_login_failed.connect(
            receivers.record_login_failure, dispatch_uid="rxportal.audit.record_login_failure"
        )
