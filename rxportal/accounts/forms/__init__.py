"""Forms, one module per journey (``signin``, ``new_device``, ``second_factor``, ``recovery``,
``registration``, ``my_account``) over the shared pieces in ``common``. They check the shape of
what was typed; the rules live in ``accounts.flows`` and ``accounts.services``."""
