"""Domain events reach subscribers; a failing subscriber never breaks the publisher."""

from __future__ import annotations

from data import events


def test_publish_reaches_subscribers_and_survives_failures(caplog):
    got = []

    def broken(**_payload):
        raise RuntimeError("boom")

    def good(**payload):
        got.append(payload)

    events.subscribe("test_event", broken)
    events.subscribe("test_event", good)
    events.subscribe("test_event", good)  # idempotent
    events.publish("test_event", record_id=7)
    assert got == [{"record_id": 7}]
    assert "boom" in caplog.text
