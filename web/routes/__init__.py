"""The console's pages and API, one module per area; each exposes ``register(app)``."""
