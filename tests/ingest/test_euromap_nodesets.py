"""The poller against a server built from the official EUROMAP 77 NodeSets (../shared/opcua, when present).

The machines are plain instances of IMM_MES_InterfaceType: one under Objects, one under DI's DeviceSet,
so the poller must find them by type, and resolve members across the IMM2MES, GeneralTypes and DI
namespaces by browse name. Deselected (not skipped) where ../shared/opcua is absent.
"""

from __future__ import annotations

import datetime as dt
import time

import pytest
from asyncua import Server, ua
from asyncua.common.instantiate_util import instantiate
from sqlalchemy import select

from data.models import CounterReading, Mould, MouldMount, Press
from ingest.euromap77 import IMM2MES_URI, IMM_TYPE_ID
from tests.conftest import free_port
from tests.ingest.conftest import SHARED_OPCUA
from tests.ingest.harness import ApiServer, LoopThread, Proc, wait_until

pytestmark = pytest.mark.euromap_nodesets
NODESETS = ("Opc.Ua.Di.NodeSet2.xml", "Opc.Ua.PlasticsRubber.GeneralTypes.NodeSet2.xml",
            "Opc.Ua.PlasticsRubber.IMM2MES.NodeSet2.xml")


class OfficialServer:
    def __init__(self) -> None:
        self.loop = LoopThread()
        self.port = free_port()
        self.nodes: dict[str, dict[str, object]] = {}
        self.loop.call(self._start)

    async def _find(self, node, *names):
        for name in names:
            for c in await node.get_children():
                if (await c.read_browse_name()).Name == name:
                    node = c
                    break
            else:
                raise LookupError(name)
        return node

    async def _start(self) -> None:
        server = Server()
        await server.init()
        server.set_endpoint(f"opc.tcp://127.0.0.1:{self.port}/euromap77")
        for name in NODESETS:
            await server.import_xml(str(SHARED_OPCUA / name))
        ns = await server.get_namespace_index(IMM2MES_URI)
        imm_type = server.get_node(ua.NodeId(IMM_TYPE_ID, ns))
        device_set = await self._find(server.nodes.objects, "DeviceSet")
        for name, parent in (("IMM-7", server.nodes.objects), ("IMM-8", device_set)):
            await instantiate(parent, imm_type, bname=ua.QualifiedName(name, ns))
            machine = await self._find(parent, name)
            self.nodes[name] = {
                "counter": await self._find(machine, "Jobs", "ActiveJobValues", "MachineCycleCounter"),
                "mould": await self._find(machine, "Jobs", "ActiveJob", "MouldId"),
                "asset": await self._find(machine, "MachineInformation", "AssetId"),
            }
        await server.start()
        self.server = server

    def write(self, machine: str, counter: int | None = None, mould: str | None = None, asset: str | None = None):
        async def go():
            ts = dt.datetime.now(dt.UTC)
            n = self.nodes[machine]
            if asset is not None:
                await n["asset"].write_value(ua.DataValue(ua.Variant(asset, ua.VariantType.String)))
            if mould is not None:
                await n["mould"].write_value(ua.DataValue(ua.Variant(mould, ua.VariantType.String),
                                                          SourceTimestamp=ts, ServerTimestamp=ts))
                ts += dt.timedelta(milliseconds=1)
            if counter is not None:
                await n["counter"].write_value(ua.DataValue(ua.Variant(counter, ua.VariantType.UInt64),
                                                            SourceTimestamp=ts, ServerTimestamp=ts))
        self.loop.call(go)

    def close(self) -> None:
        self.loop.call(self.server.stop)
        self.loop.close()


@pytest.fixture(scope="module")
def official():
    s = OfficialServer()
    yield s
    s.close()


def test_poller_finds_official_euromap77_machines_by_type(official, app, ctx, plant, ingest_token, tmp_path):
    s1 = plant["sites"]["S1"]
    ctx.add(Press(site_id=s1, code="S1-P02", name="S1-P02"))
    ctx.add(Mould(site_id=s1, code="T-7", name="T-7"))
    ctx.commit()
    official.write("IMM-7", counter=1000, mould="T-1")
    official.write("IMM-8", counter=50, mould="T-7", asset="S1-P02")  # mapped by its AssetId
    api = ApiServer(app)
    config = tmp_path / "poller.toml"
    config.write_text(f"""
name = "official-nodesets"
[api]
url = "{api.url}"
token = "{ingest_token}"
heartbeat_s = 1
retry_max_s = 1
[spool]
path = "{tmp_path / 'spool.db'}"
[opcua]
publishing_interval_ms = 100
[[endpoints]]
url = "opc.tcp://127.0.0.1:{official.port}/euromap77"
[endpoints.presses]
"IMM-7" = "S1-P01"
""")
    poller = Proc("ingest.opcua", config, tmp_path / "poller.log").start()
    try:
        wait_until(lambda: _count(ctx) == 2, 60, "the first readings")
        for value in (1001, 1002, 1005):
            official.write("IMM-7", counter=value)
            time.sleep(0.25)
        official.write("IMM-7", mould="T-7")  # T-7 moves from IMM-8 to IMM-7
        official.write("IMM-8", mould="")
        time.sleep(0.3)
        official.write("IMM-7", counter=1009)
        official.write("IMM-8", counter=51)
        wait_until(lambda: _count(ctx) == 9, 30, "all nine readings")
    finally:
        poller.stop()
        api.stop()
    lifetimes = dict(ctx.execute(select(Mould.code, Mould.lifetime_shots)).all())
    assert lifetimes["T-1"] == 500_000 + 5
    # 4 on S1-P01 after the change; IMM-8's last cycle came with no MouldId, after T-7 had left S1-P02
    assert lifetimes["T-7"] == 4
    mounts = ctx.execute(select(Press.code, Mould.code, MouldMount.unmounted_at.is_(None))
                         .join(Press, Press.id == MouldMount.press_id).join(Mould, Mould.id == MouldMount.mould_id)
                         .order_by(MouldMount.mounted_at)).all()
    assert ("S1-P01", "T-7", True) in mounts and ("S1-P02", "T-7", False) in mounts
    assert "IMM-7 as S1-P01 (machine_cycle)" in poller.output() and "IMM-8 as S1-P02" in poller.output()


def _count(ctx) -> int:
    from sqlalchemy import func

    ctx.rollback()
    return ctx.scalar(select(func.count()).select_from(CounterReading))
