"""HTTP tests: the app over ASGI and real Redis."""
