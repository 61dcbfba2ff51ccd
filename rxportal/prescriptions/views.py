"""Member pages of the prescriptions app: thin edges over its selectors and services."""
