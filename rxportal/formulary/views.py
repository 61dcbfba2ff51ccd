"""Member pages of the formulary app: thin edges over its selectors and services."""
