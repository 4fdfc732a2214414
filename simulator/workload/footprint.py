"""What one device must hold to run a workload: weights, each sequence's KV cache, and the activations in flight.

Stated model (per device, bytes at the model's precisions: weights at weight_bits, KV and activations at
activation_bits):
- weights: every matrix of the layers of one pipeline stage (ceil(layers / pipeline_parallel)), tensor-parallel
  matrices divided as the graph divides them (simulator/workload/graph.py: Q/K/V/out heads, FFN columns, each of
  the E routed experts — all stored, whichever a step reads; ceil(E/t) whole ones with expert parallelism — and the
  shared experts), norms' scales; plus the
  embedding table (token, and learned positions; replicated on every tensor-parallel device, as the graph gathers
  rows) and the LM head split over the vocabulary (none when tied to the embedding). With one stage a device holds
  both; with several, the first stage holds the embedding and the last the head, and the larger decides.
- KV cache, per sequence: K and V of every decoder layer of the stage, for the KV heads the device holds, over the
  whole sequence (prompt + generated tokens), plus an encoder-decoder's cross-attention K/V over its source; none
  without a KV cache.
- activations, per sequence: the largest live set of one op (its activation inputs and its output, weights and KV
  cache not counted again) over all ops, divided by the batch — one op's tensors are in memory at a time, the
  previous op's output being the next one's input.
A CNN has no KV cache; its weights are its convolution and FC matrices.
"""

from __future__ import annotations

from dataclasses import dataclass

from simulator.workload.graph import kv_heads_per_device
from simulator.workload.model import ModelSpec
from simulator.workload.operator import Operator, nbytes
from simulator.workload.scenario import Workload

GIB = float(1 << 30)


@dataclass(frozen=True, slots=True)
class Footprint:
    """Bytes one device holds: weights, and per sequence its KV cache and activations."""

    weights: float
    kv_per_sequence: float
    activations_per_sequence: float

    def used(self, batch: int) -> float:
        return self.weights + batch * (self.kv_per_sequence + self.activations_per_sequence)


def _ffn_weights(model: ModelSpec, d_ff: int, tp: int) -> int:
    matrices = 3 if model.ffn_kind == "gated" else 2
    return matrices * model.d_model * -(-d_ff // tp)


def _layer_weights(model: ModelSpec, tp: int, cross: bool, expert_parallel: bool = False) -> int:
    """One layer's parameters on one device (with cross-attention for an encoder-decoder's decoder layer; with expert
    parallelism, ceil(E / tp) whole experts)."""
    d, head = model.d_model, model.head_dim
    q_width, kv_width = model.num_heads // tp * head, kv_heads_per_device(model, tp) * head
    attention = 2 * d * q_width + 2 * d * kv_width
    if model.num_experts and expert_parallel and tp > 1:
        ffn = -(-model.num_experts // tp) * _ffn_weights(model, model.d_ff, 1) + d * model.num_experts
    elif model.num_experts:
        ffn = model.num_experts * _ffn_weights(model, model.d_ff, tp) + d * model.num_experts
    else:
        ffn = _ffn_weights(model, model.d_ff, tp)
    if model.shared_expert_d_ff:
        ffn += _ffn_weights(model, model.shared_expert_d_ff, tp)
    return attention * (2 if cross else 1) + ffn + (3 if cross else 2) * d


def _edge_weights(workload: Workload, tp: int, pp: int) -> int:
    """The embedding and the head a device holds (see the module's docstring)."""
    model = workload.model
    assert isinstance(model, ModelSpec)
    if model.is_vision:
        embedding = model.num_channels * (model.patch_size or 0) ** 2 * model.d_model
    else:
        embedding = model.vocab_size * model.d_model
    if model.position_embedding == "learned":
        embedding += model.max_positions * model.d_model
    heads = workload.include_lm_head or workload.generates
    head = 0 if model.tied_embeddings or not heads else -(-model.vocab_size // tp) * model.d_model
    return embedding + head if pp == 1 else max(embedding, head)


def _transformer_weights(workload: Workload) -> int:
    model, scenario = workload.model, workload.scenario
    assert isinstance(model, ModelSpec)
    tp, pp = scenario.tensor_parallel, scenario.pipeline_parallel
    params = _edge_weights(workload, tp, pp)
    if model.family != "decoder":
        params += -(-model.num_layers // pp) * _layer_weights(model, tp, False, scenario.expert_parallel)
    if model.family != "encoder":
        params += -(-model.decoder_layers // pp) * _layer_weights(model, tp, model.family == "encoder-decoder",
                                                                  scenario.expert_parallel)
    return nbytes(params, model.weight_bits)


def _kv_per_sequence(workload: Workload) -> int:
    model, scenario = workload.model, workload.scenario
    if not isinstance(model, ModelSpec) or not workload.generates:
        return 0
    layers = -(-model.decoder_layers // scenario.pipeline_parallel)
    width = kv_heads_per_device(model, scenario.tensor_parallel) * model.head_dim
    tokens = workload.prompt_len + workload.generate_len + workload.encoder_len  # cross K/V over the source
    return nbytes(2 * layers * width * tokens, model.activation_bits)


def _live_bytes(op: Operator, act_bits: int) -> int:
    if op.kind == "gemm":
        return nbytes((op.a_elements or op.m * op.k * op.instances) + op.m * op.n * op.instances, act_bits)
    return op.bytes_read + op.bytes_written


def footprint(workload: Workload, ops: tuple[Operator, ...], kv_cache: bool = True) -> Footprint:
    """The workload's footprint on one device (`ops`: its graph, as built for the device)."""
    model = workload.model
    if isinstance(model, ModelSpec):
        weights = _transformer_weights(workload)
    else:
        weights = nbytes(sum(op.k * op.n * op.layer_count for op in ops if op.kind == "gemm" and op.b_is_weight),
                         model.weight_bits)
    live = max((_live_bytes(op, model.activation_bits) for op in ops), default=0)
    return Footprint(float(weights), float(_kv_per_sequence(workload) if kv_cache else 0),
                     live / workload.scenario.batch)
