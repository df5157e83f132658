"""The server-rendered web UI: Jinja2 pages and htmx partials over the same services as the API."""
