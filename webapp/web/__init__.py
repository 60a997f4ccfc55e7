"""The web layer's shared parts: security headers, error pages, htmx helpers, templating."""
