"""Services: plain functions over a Session. They never commit; the request or task that owns the session does."""
