"""Component ids of the audit log page."""

TABLE = "audit-table-filter"
PAGE = "audit-page"
ROWS = "audit-rows"
COUNT = "audit-count"
