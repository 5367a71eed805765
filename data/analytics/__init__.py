"""Analytics for the dashboards and reports: pure calculations over rollups, as DataFrames and dataclasses."""
