"""Member pages of the claims app: thin edges over its selectors and services."""
