"""Local development (`make run`): base settings, nothing relaxed but DEBUG when asked."""

from rxportal.settings.base import *  # noqa: F403
