from typing import Any

from django.apps import AppConfig


class ClientsConfig(AppConfig):
    name = "rxportal.clients"
    label = "clients"

    def ready(self) -> None:
        from allauth.account.signals import user_signed_up
        from django.contrib.auth.signals import user_logged_in

        user_signed_up.connect(_join_role_group, dispatch_uid="clients.role_group.signed_up")
        user_logged_in.connect(_join_role_group, dispatch_uid="clients.role_group.logged_in")


def _join_role_group(sender: Any, *, user: Any, **kwargs: Any) -> None:
    """Edge from sign-up and sign-in: the user joins their role's permission group."""
    from rxportal.accounts.services.roles import ensure_role_group

    ensure_role_group(user=user)
