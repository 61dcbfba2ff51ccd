"""gunicorn settings read from this directory by default (`make run`, the browser tests' server).

gunicorn bounds the request line and headers, never the body: request bodies are capped by
rxportal.core.middleware.RequestBodyLimitMiddleware (RXPORTAL_MAX_REQUEST_BODY_BYTES, a 413), and
in production by the reverse proxy in front as well (nginx: client_max_body_size).
"""

# The request line (method, URL, version): gunicorn's default; our URLs are short.
limit_request_line = 4094
# Header fields per request: a browser sends about 20, a proxy adds a few (default 100).
limit_request_fields = 50
# One header field, name and value (the Cookie header is the largest): gunicorn's default.
limit_request_field_size = 8190
