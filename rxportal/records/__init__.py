"""The one door every read of a member's health records passes through, on every edge.

``Reader`` says who reads and through which edge (the web pages, the JSON API, FHIR) and app;
``record_phi_read`` is the only place a "PHI was viewed" audit event is written for a member's
records, so an API read cannot forget it. Who may see which member is the family-access rule
of ``rxportal.members`` (decided by the record's patient); ``visible_members`` asks it.
"""
