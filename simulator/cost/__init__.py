"""Cost model: non-linear op cost, energy terms and area, from the technology table."""

from simulator.cost.area import AreaBreakdown, area
from simulator.cost.nonlinear import NonlinearCost, nonlinear_cost

__all__ = ["AreaBreakdown", "NonlinearCost", "area", "nonlinear_cost"]
