"""Component ids of the maintenance log page."""

FORM = "maintenance-form"
