"""Component ids of the app shell (kebab-case, prefixed 'shell-')."""

LOCATION = "shell-location"
SITE = "shell-site"
NAV = "shell-nav"
REFRESH = "shell-refresh"
OFFLINE_BANNER = "shell-offline-banner"
