"""Edge processes that bring shot counts and sensor data in: the OPC UA poller (ingest.opcua), the MQTT
listener (ingest.mqtt) and a simulator of EUROMAP 77 presses (ingest.simulator). They talk to the web app
only through its ingest API, via a local spool (ingest.spool, ingest.client)."""

__version__ = "1.0"
