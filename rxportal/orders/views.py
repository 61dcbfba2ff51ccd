"""Member pages of the orders app: thin edges over its selectors and services."""
