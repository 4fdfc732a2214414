"""Cost model: non-linear op cost, energy terms and area, from the technology table, over arrays of design points."""

from simulator.cost.area import AreaBreakdown, area
from simulator.cost.columns import Columns
from simulator.cost.nonlinear import NonlinearCost, nonlinear_cost

__all__ = ["AreaBreakdown", "Columns", "NonlinearCost", "area", "nonlinear_cost"]
