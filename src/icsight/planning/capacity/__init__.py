"""Capacity and workforce from the demand projection (issue 14, point 4): general and acute
beds at a target occupancy (`beds`) with the occupancy-to-delay trade-off from Erlang's delay
formula (`erlang`), theatre sessions and clinic slots (`sessions`), whole-time equivalents by
staff group (`workforce`), all run by run (`measures`), and what the mitigators save, by
run-paired differences (`savings`). The ratios are data with their sources
(`icsight/data/planning/capacity.toml`, checked by `assumptions`). Method:
docs/planning-capacity.md."""

from icsight.planning.capacity.assumptions import (
    CapacityAssumptions,
    CapacityAssumptionsError,
    assumptions_from_dict,
    load_assumptions,
    packaged_assumptions,
)
from icsight.planning.capacity.beds import beds_at_occupancy, delay_table, occupied_beds
from icsight.planning.capacity.erlang import erlang_b, erlang_c, servers_for_occupancy
from icsight.planning.capacity.measures import Capacity, capacity, capacity_of_activity
from icsight.planning.capacity.savings import savings
from icsight.planning.capacity.sessions import clinic_sessions, clinic_slots, theatre_sessions
from icsight.planning.capacity.workforce import whole_time_equivalents

__all__ = ["Capacity", "CapacityAssumptions", "CapacityAssumptionsError",
           "assumptions_from_dict", "beds_at_occupancy", "capacity", "capacity_of_activity",
           "clinic_sessions", "clinic_slots", "delay_table", "erlang_b", "erlang_c",
           "load_assumptions", "occupied_beds", "packaged_assumptions", "savings",
           "servers_for_occupancy", "theatre_sessions", "whole_time_equivalents"]
