"""Reusable Dash layout pieces (the app shell, KPI cards, empty states)."""
