"""Component ids of the failure report page."""

FORM = "failure-form"
