"""The result store's columns: every sweep input parameter and every scalar metric, in one place.

The ORM model, the migration, the results API, the metric catalog and the worker all read these lists.
`backend.simulation` checks them against the simulator's own contract at import and fails loudly
if they drift, so a metric is never silently dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ColumnType = Literal["float", "int", "str", "bool"]


@dataclass(frozen=True)
class Column:
    name: str
    type: ColumnType
    label: str
    unit: str = ""
    direction: Literal["min", "max", ""] = ""  # metrics only: which way is better


# Inputs of a design point. Workload first, then the accelerator's and the options' sweepable fields.
PARAMETER_COLUMNS: tuple[Column, ...] = (
    Column("model", "str", "Model"),
    Column("num_layers", "int", "Layers"),
    Column("d_model", "int", "Hidden size"),
    Column("num_heads", "int", "Attention heads"),
    Column("num_kv_heads", "int", "KV heads"),
    Column("d_ff", "int", "FFN size"),
    Column("ffn_kind", "str", "FFN kind"),
    Column("batch", "int", "Batch size"),
    Column("seq_len", "int", "Sequence length", "tokens"),
    Column("prompt_len", "int", "Prompt length", "tokens"),
    Column("generate_len", "int", "Generated tokens", "tokens"),
    Column("image_size", "int", "Image size", "px"),
    Column("include_embeddings", "bool", "Embeddings included"),
    Column("include_lm_head", "bool", "LM head included"),
    Column("accelerator", "str", "Accelerator preset"),
    Column("rows", "int", "Array rows", "PEs"),
    Column("cols", "int", "Array columns", "PEs"),
    Column("dataflow", "str", "Dataflow"),
    Column("input_bits", "int", "Input precision", "bit"),
    Column("weight_bits", "int", "Weight precision", "bit"),
    Column("accumulator_bits", "int", "Accumulator precision", "bit"),
    Column("scratchpad_kib", "float", "Scratchpad", "KiB"),
    Column("accumulator_kib", "float", "Accumulator", "KiB"),
    Column("dram_bytes_per_cycle", "float", "DRAM bandwidth", "B/cycle"),
    Column("dram_latency_cycles", "int", "DRAM latency", "cycles"),
    Column("clock_ghz", "float", "Clock", "GHz"),
    Column("technology_nm", "int", "Technology node", "nm"),
    Column("softmax_on", "str", "Softmax runs on"),
    Column("normalization_on", "str", "Normalization runs on"),
    Column("activation_on", "str", "Activation runs on"),
    Column("residual_on", "str", "Residual add runs on"),
    Column("quantization_on", "str", "De/quantization runs on"),
    Column("nonlinear_elements_per_cycle", "float", "Non-linear lanes", "elements/cycle"),
    Column("host_cycles_per_element_softmax", "float", "Host softmax cost", "cycles/element"),
    Column("host_cycles_per_element_normalization", "float", "Host normalization cost", "cycles/element"),
    Column("host_cycles_per_element_activation", "float", "Host activation cost", "cycles/element"),
    Column("host_cycles_per_element_residual", "float", "Host residual cost", "cycles/element"),
    Column("host_cycles_per_element_quantization", "float", "Host de/quantization cost", "cycles/element"),
    Column("array_format", "str", "Array number format"),
    Column("sparse_support", "bool", "Structured-sparsity support"),
    Column("mapping_objective", "str", "Mapping objective"),
    Column("fuse_nonlinear", "bool", "Fuse non-linear ops"),
    Column("keep_scores_on_chip", "bool", "Attention scores on chip"),
    Column("weight_precision", "str", "Weight precision"),
    Column("activation_precision", "str", "Activation precision"),
    Column("sparsity", "str", "Weight sparsity"),
    Column("kv_cache", "bool", "KV cache"),
)

# Scalar metrics of a simulator Report (simulator.report.METRICS is the source of units and directions).
METRIC_COLUMNS: tuple[Column, ...] = (
    Column("latency_cycles", "float", "Latency", "cycles", "min"),
    Column("latency_s", "float", "Latency", "s", "min"),
    Column("throughput_per_s", "float", "Throughput", "1/s", "max"),
    Column("energy_j", "float", "Energy", "J", "min"),
    Column("energy_mac_j", "float", "MAC energy", "J", "min"),
    Column("energy_sram_j", "float", "SRAM energy", "J", "min"),
    Column("energy_dram_j", "float", "DRAM energy", "J", "min"),
    Column("energy_nonlinear_j", "float", "Non-linear energy", "J", "min"),
    Column("energy_static_j", "float", "Static energy", "J", "min"),
    Column("edp_j_s", "float", "Energy-delay product", "J·s", "min"),
    Column("area_mm2", "float", "Area", "mm²", "min"),
    Column("power_w", "float", "Average power", "W", "min"),
    Column("utilization", "float", "Utilization", "", "max"),
    Column("dram_bytes", "float", "DRAM traffic", "B", "min"),
    Column("macs", "float", "MACs", "", "min"),
    Column("bottleneck", "str", "Bottleneck"),
    Column("quality_loss", "float", "Quality loss (published estimate)", "", "min"),
)

# Metrics the results table indexes per sweep (the usual objectives and filters).
INDEXED_METRICS: tuple[str, ...] = ("latency_s", "energy_j", "area_mm2", "edp_j_s", "throughput_per_s")

PARAMETERS = {column.name: column for column in PARAMETER_COLUMNS}
METRICS = {column.name: column for column in METRIC_COLUMNS}
NUMERIC_METRICS = tuple(column.name for column in METRIC_COLUMNS if column.type != "str")
# Columns of every result row besides parameters and metrics.
ROW_COLUMNS: tuple[str, ...] = ("id", "point_index", "error")
ALL_COLUMNS: tuple[str, ...] = (*ROW_COLUMNS, *PARAMETERS, *METRICS)
