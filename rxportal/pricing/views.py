"""Member pages of the pricing app: thin edges over its selectors and services."""
