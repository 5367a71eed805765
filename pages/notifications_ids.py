"""Component ids of the notification settings page (the user's own)."""

EMAIL = "notifications-email"
PHONE = "notifications-phone"
CHOICE = "notifications-choice"  # dict id {"type": CHOICE, "kind": kind key}
SAVE = "notifications-save"
FEEDBACK = "notifications-feedback"
