"""Dash callbacks, one module per page; each is declared with auth.guard.secured_callback."""
