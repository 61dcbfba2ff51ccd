#!/usr/bin/env python
"""Django's command-line utility for rxportal."""

import os
import sys


def main() -> None:
    default = (
        "rxportal.settings.prod"
        if os.environ.get("RXPORTAL_ENV") == "production"
        else "rxportal.settings.dev"
    )
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", default)
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
