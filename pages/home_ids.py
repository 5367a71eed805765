"""Component ids of the home page."""

REFRESH = "home-refresh"
CARDS = "home-cards"
PM_TABLE = "home-pm-table"
UPDATED = "home-updated"
