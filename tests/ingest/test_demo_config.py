"""make demo's wiring: the simulator plays the presses with the moulds mounted on them, and every file it writes
loads with the same checks the processes apply."""

from __future__ import annotations

from data.models import Mould, MouldStatus, Press
from ingest.config import load_listener, load_poller, load_simulator
from ingest.demo import _token, listener_toml, plant, poller_toml, simulator_toml


def test_demo_configuration_matches_the_mounted_moulds_and_loads(app, ctx, tmp_path):
    from data.users import create_site

    site = create_site("NTH", "North Plant")
    presses = [Press(site_id=site.id, code=f"NTH-P0{i}", name=f"P{i}") for i in (1, 2)]
    ctx.add_all(presses)
    ctx.flush()
    ctx.add_all([Mould(site_id=site.id, code="T-101", name="a", current_press_id=presses[0].id,
                       status=MouldStatus.IN_PRODUCTION),
                 Mould(site_id=site.id, code="T-102", name="b", current_press_id=presses[1].id,
                       status=MouldStatus.IN_PRODUCTION),
                 Mould(site_id=site.id, code="T-103", name="idle", family="closures")])
    ctx.commit()
    sim = plant()
    assert [(p["code"], p["moulds"][0]) for p in sim] == [("NTH-P01", "T-101"), ("NTH-P02", "T-102")]
    assert "T-103" in sim[0]["moulds"] + sim[1]["moulds"]  # an idle mould to change to
    raw = _token(tmp_path, "opcua", "NTH")
    assert _token(tmp_path, "opcua", "NTH") == raw  # kept, not made again
    _token(tmp_path, "mqtt", "NTH")
    for name, text in (("simulator", simulator_toml(sim, tmp_path, 4999, "127.0.0.1", 1883)),
                       ("opcua", poller_toml(tmp_path, "http://127.0.0.1:8050", 4999)),
                       ("mqtt", listener_toml(tmp_path, "http://127.0.0.1:8050", "127.0.0.1", 1883))):
        (tmp_path / f"{name}.toml").write_text(text)
    simulated = load_simulator(tmp_path / "simulator.toml")
    assert simulated.presses[0].counter_bits == 32 and not simulated.presses[1].machine_counter
    assert simulated.mqtt.site == "NTH"
    assert load_poller(tmp_path / "opcua.toml").api.token == raw
    assert load_listener(tmp_path / "mqtt.toml").mqtt.topic_prefix == "toolmaint"
