"""EUROMAP 77 (OPC 40077, "IMM to MES") as the poller and the simulator need it.

Clients find machines by browsing for objects whose TypeDefinition is IMM_MES_InterfaceType (numeric
id 1007 in the IMM2MES namespace) or a subtype of it, wherever the server puts them, and resolve
members by browse *name* (they come from several namespaces: IMM2MES, PlasticsRubber GeneralTypes,
DI). The simulator builds the same shape in code, so it runs without the official NodeSet files.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from asyncua import Client, Node, Server, ua

logger = logging.getLogger(__name__)

IMM2MES_URI = "http://opcfoundation.org/UA/PlasticsRubber/IMM2MES/"
GENERAL_URI = "http://opcfoundation.org/UA/PlasticsRubber/GeneralTypes/"
DI_URI = "http://opcfoundation.org/UA/DI/"
IMM_TYPE_ID = 1007  # IMM_MES_InterfaceType
SERVER_OBJECT = ua.NodeId(ua.ObjectIds.Server)
BASE_OBJECT_TYPE = ua.NodeId(ua.ObjectIds.BaseObjectType)
MAX_DEPTH = 6
MAX_NODES = 20_000

MACHINE_COUNTER = ("Jobs", "ActiveJobValues", "MachineCycleCounter")
JOB_COUNTER = ("Jobs", "ActiveJobValues", "JobCycleCounter")
LAST_CYCLE_TIME = ("Jobs", "ActiveJobValues", "LastCycleTime")
MOULD_ID = ("Jobs", "ActiveJob", "MouldId")
ASSET_ID = ("MachineInformation", "AssetId")


@dataclass
class Machine:
    """A machine found on a server, with the nodes the poller watches."""

    node: Node
    browse_name: str
    key: str  # AssetId when set, else the browse name: what the poller maps to a press code
    counter: str  # machine_cycle | job_cycle
    counter_node: Node
    mould_node: Node | None
    cycle_time_node: Node | None


# -- client side --------------------------------------------------------------------------------------------

async def _children(node: Node) -> list[ua.ReferenceDescription]:
    return await node.get_references(refs=ua.ObjectIds.HierarchicalReferences, direction=ua.BrowseDirection.Forward,
                                     nodeclassmask=ua.NodeClass.Object | ua.NodeClass.Variable)


async def child(node: Node, path: tuple[str, ...]) -> Node | None:
    """The node at a path of browse names below node (namespace ignored), or None."""
    current = node
    for name in path:
        found = None
        for ref in await _children(current):
            if ref.BrowseName.Name == name:
                found = Node(current.session, ref.NodeId)
                break
        if found is None:
            return None
        current = found
    return current


class _TypeCheck:
    """Is a type IMM_MES_InterfaceType or one of its subtypes? (cached per type)."""

    def __init__(self, client: Client, imm_type: ua.NodeId) -> None:
        self.client, self.imm_type, self.cache = client, imm_type, {imm_type: True}

    async def __call__(self, type_id: ua.NodeId) -> bool:
        seen = []
        current = type_id
        while current not in self.cache:
            seen.append(current)
            if current == BASE_OBJECT_TYPE or len(seen) > 20:
                self.cache[current] = False
                break
            parents = await self.client.get_node(current).get_references(
                refs=ua.ObjectIds.HasSubtype, direction=ua.BrowseDirection.Inverse)
            if not parents:
                self.cache[current] = False
                break
            current = parents[0].NodeId
        result = self.cache[current]
        for t in seen:
            self.cache[t] = result
        return result


async def find_machines(client: Client, counter: str = "auto") -> list[Machine]:
    """Every IMM_MES_InterfaceType instance below Objects, with its counter, MouldId and cycle-time nodes."""
    try:
        ns = await client.get_namespace_index(IMM2MES_URI)
    except ValueError:
        logger.warning("The server has no EUROMAP 77 namespace (%s): no machines to read", IMM2MES_URI)
        return []
    is_imm = _TypeCheck(client, ua.NodeId(IMM_TYPE_ID, ns))
    found: list[tuple[Node, str]] = []
    queue = [(client.nodes.objects, 0)]
    seen = 0
    while queue and seen < MAX_NODES:
        node, depth = queue.pop(0)
        for ref in await _children(node):
            seen += 1
            if ref.NodeId == SERVER_OBJECT or ref.NodeClass != ua.NodeClass.Object:
                continue
            target = Node(node.session, ref.NodeId)
            type_id = ua.NodeId(ref.TypeDefinition.Identifier, ref.TypeDefinition.NamespaceIndex)
            if not type_id.is_null() and await is_imm(type_id):
                found.append((target, ref.BrowseName.Name))
            elif depth + 1 < MAX_DEPTH:
                queue.append((target, depth + 1))
    machines = []
    for node, name in found:
        machine = await describe_machine(node, name, counter)
        if machine is not None:
            machines.append(machine)
    return machines


async def describe_machine(node: Node, browse_name: str, counter: str = "auto") -> Machine | None:
    """Resolve a machine's nodes; None (logged) if it has no usable cycle counter."""
    machine_counter = await child(node, MACHINE_COUNTER)
    job_counter = await child(node, JOB_COUNTER)
    if counter == "machine_cycle" or (counter == "auto" and machine_counter is not None):
        chosen, name = machine_counter, "machine_cycle"
    else:
        chosen, name = job_counter, "job_cycle"
    if chosen is None:
        logger.warning("Machine %s has no %s: it is skipped", browse_name,
                       "MachineCycleCounter" if name == "machine_cycle" else "JobCycleCounter")
        return None
    key = browse_name
    asset = await child(node, ASSET_ID)
    if asset is not None:
        try:
            value = await asset.read_value()
            if isinstance(value, str) and value.strip():
                key = value.strip()
        except ua.UaError:
            pass
    return Machine(node=node, browse_name=browse_name, key=key, counter=name, counter_node=chosen,
                   mould_node=await child(node, MOULD_ID), cycle_time_node=await child(node, LAST_CYCLE_TIME))


# -- server side (the simulator) ----------------------------------------------------------------------------

@dataclass
class MachineNodes:
    """The variables a simulated machine writes."""

    machine_counter: Node | None
    job_counter: Node
    last_cycle_time: Node
    mould_id: Node
    job_id: Node
    counter_type: ua.VariantType


async def register_namespaces(server: Server) -> tuple[int, int, int]:
    """The IMM2MES, GeneralTypes and DI namespace indexes on a server."""
    return (await server.register_namespace(IMM2MES_URI), await server.register_namespace(GENERAL_URI),
            await server.register_namespace(DI_URI))


async def build_type(server: Server) -> Node:
    """IMM_MES_InterfaceType (i=1007 in the IMM2MES namespace), without the NodeSet files."""
    imm, _gt, _di = await register_namespaces(server)
    node_id = ua.NodeId(IMM_TYPE_ID, imm)
    existing = server.get_node(node_id)
    try:
        await existing.read_browse_name()
        return existing
    except ua.UaError:
        return await server.nodes.base_object_type.add_object_type(node_id, ua.QualifiedName("IMM_MES_InterfaceType",
                                                                                              imm))


async def _var(parent: Node, ns: int, name: str, value, vtype: ua.VariantType) -> Node:
    node = await parent.add_variable(ua.NodeId(f"{await _path(parent)}.{name}", parent.nodeid.NamespaceIndex),
                                     ua.QualifiedName(name, ns), ua.Variant(value, vtype))
    return node


async def _path(node: Node) -> str:
    ident = node.nodeid.Identifier
    return ident if isinstance(ident, str) else str(ident)


async def add_machine(server: Server, parent: Node, code: str, *, machine_counter: bool = True,
                      counter_bits: int = 64, manufacturer: str = "Simulated IMM", mould: str = "",
                      counter_start: int = 0) -> MachineNodes:
    """One IMM_MES_InterfaceType instance named code (AssetId = code) under parent."""
    imm, gt, di = await register_namespaces(server)
    local = parent.nodeid.NamespaceIndex
    type_node = await build_type(server)
    machine = await parent.add_object(ua.NodeId(f"IMM.{code}", local), ua.QualifiedName(code, imm),
                                      objecttype=type_node.nodeid)
    info = await machine.add_object(ua.NodeId(f"IMM.{code}.MachineInformation", local),
                                    ua.QualifiedName("MachineInformation", imm))
    for name, value in (("AssetId", code), ("Manufacturer", manufacturer), ("Model", "SIM-1"),
                        ("SerialNumber", f"SIM-{code}")):
        await _var(info, di, name, value, ua.VariantType.String)
    jobs = await machine.add_object(ua.NodeId(f"IMM.{code}.Jobs", local), ua.QualifiedName("Jobs", imm))
    active = await jobs.add_object(ua.NodeId(f"IMM.{code}.Jobs.ActiveJob", local), ua.QualifiedName("ActiveJob", gt))
    values = await jobs.add_object(ua.NodeId(f"IMM.{code}.Jobs.ActiveJobValues", local),
                                   ua.QualifiedName("ActiveJobValues", gt))
    vtype = ua.VariantType.UInt32 if counter_bits == 32 else ua.VariantType.UInt64
    nodes = MachineNodes(
        machine_counter=await _var(values, gt, "MachineCycleCounter", counter_start, vtype) if machine_counter
        else None,
        job_counter=await _var(values, gt, "JobCycleCounter", 0, vtype),
        last_cycle_time=await _var(values, gt, "LastCycleTime", 0.0, ua.VariantType.Double),
        mould_id=await _var(active, gt, "MouldId", mould, ua.VariantType.String),
        job_id=await _var(active, gt, "JobId", "", ua.VariantType.String),
        counter_type=vtype,
    )
    return nodes


async def write(node: Node, value, vtype: ua.VariantType, ts: dt.datetime) -> None:
    """Write a value with its source timestamp (the moment it changed on the machine)."""
    await node.write_value(ua.DataValue(ua.Variant(value, vtype), SourceTimestamp=ts, ServerTimestamp=ts))
