"""Member pages of the members app: thin edges over its selectors and services."""
