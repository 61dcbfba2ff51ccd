"""Apps a member connects to their records: OAuth 2.0 / OpenID Connect on django-oauth-toolkit.

The authorization code flow (PKCE S256) signs in through the portal's own pages (SiteKey, new-device
check, second factor); the member then sees a consent screen, and the apps they allowed are listed
and revocable in My Account. ``bearer`` turns a request's access token into a ``TokenGrant`` for
the JSON API and FHIR edges; ``scopes`` says what each scope lets an app read or do.
"""
