"""Operator graph: every operator of a Transformer inference with exact shapes, FLOPs and unfused traffic.

A CNN (`CnnSpec`, family "cnn") is built by `simulator/workload/cnn_graph.py` into the same `Operator`s, in phase
"forward" (convolutions as im2col GEMMs; its conventions are stated in `simulator/workload/cnn.py`).

Counting conventions (stated once, used everywhere):
- A GEMM (m x k)·(k x n) repeated `instances` times is 2·m·k·n·instances FLOPs (1 MAC = 2 FLOPs; no bias adds).
- Unfused memory operations (MOPs): each operator reads its inputs once and writes its output once, at the
  model's precisions (weights at weight_bits, everything else at activation_bits). A weight operand
  (`b_is_weight`) is read once per operator, shared by all instances; activation operands once per instance.
- Non-GEMM ops: m = rows, n = row length (the reduction length of softmax and norms), k = 0, instances = 1;
  FLOPs per element come from `simulator/data/counting.yaml`.
- Identical copies are not repeated: `layer_count` says how many times an operator runs in the whole
  inference (layers, times decode steps for decode ops). Totals are sum(op.x * op.layer_count).
- Decode steps: step j (1..T) processes one new token per sequence and attends to a KV cache of length
  prompt_len + j. Operators whose shape does not depend on the cache length form one op with
  layer_count = layers·T. The attention ops (QKᵀ, softmax, A·V) are grouped into at most `decode_groups`
  runs of an odd number of consecutive steps, represented by the middle step's cache length (`kv_length`).
  Their FLOPs and bytes are affine in the cache length, so the grouped totals equal the step-by-step sums
  exactly (with whole-byte element sizes); with T <= decode_groups every step is its own op.
- Causal attention in prefill keeps the full l x l score shape (the mask zeroes, it does not skip, work).
- Batch B runs as a serving engine runs it: one step's projection/FFN GEMMs have B rows (decode) or B x prompt rows
  (prefill) and read each weight once for the whole batch; attention runs per sequence (B x KV-head instances),
  each over its own KV cache.
- Tensor parallelism t (Megatron): Q/K/V and FFN-in GEMMs are column-parallel (heads/t query heads, KV heads/t or
  one replicated KV head when there are fewer KV heads than devices, d_ff/t columns), the output projection and
  FFN-out row-parallel; each row-parallel GEMM is followed by an all-reduce of its B·rows x d_model output (two per
  layer, three with cross-attention); the LM head is split over the vocabulary (the tokens' argmax gathered, not
  priced). Norms, residual adds and embeddings are replicated. The ops are one device's share.
- Pipeline parallelism p: consecutive stages of layers; one batch passes them one after another, so every layer's
  ops stay in the graph and each pass adds p−1 point-to-point sends of its activations (B·rows x d_model).
- Chunked prefill (`prefill_chunk` c < prompt P): floor(P/c) chunks of c tokens per sequence, chunk i attending to
  the i·c keys so far (its own causal block kept whole, as prefill does), then a last chunk of P mod c tokens;
  every chunk reads the weights again. Chunk attention is grouped like decode steps.
- Mixture of experts (E experts, k per token): a router GEMM, then the experts the step's T tokens touch —
  expected under uniform routing round(E·(1−(1−k/E)^T)), or min(E, T·k) (`moe_routing: worst`) — each an FFN over
  ceil(T·k / touched) rows reading its own weights once; shared experts (`shared_expert_d_ff`) run on every token.
  Expert parallelism (`expert_parallel`, over the t tensor-parallel devices): whole experts, E/t per device, the
  busiest device running ceil(touched / t) of them; the T·k routed token copies reach them by an all-to-all and come
  back by another (no all-reduce for the routed experts).
"""

from __future__ import annotations

from simulator.workload.cnn_graph import cnn_ops
from simulator.workload.model import ModelSpec
from simulator.workload.operator import (
    OpClass,
    Operator,
    OperatorGraph,
    OpKind,
    Phase,
    Role,
    flops_per_element,
    nbytes,
)
from simulator.workload.scenario import Scenario, Workload


def expected_experts(experts: int, per_token: int, tokens: int) -> float:
    """Distinct experts `tokens` tokens touch when each picks `per_token` of `experts` uniformly:
    E·(1−(1−k/E)^T)."""
    return experts * (1 - (1 - per_token / experts) ** tokens)


def experts_touched(experts: int, per_token: int, tokens: int, routing: str) -> int:
    """The experts a step reads (see the module's docstring): the expected count rounded, or the worst case."""
    if routing == "worst":
        return min(experts, tokens * per_token)
    return min(experts, max(per_token, round(expected_experts(experts, per_token, tokens))))


def kv_heads_per_device(model: ModelSpec, tensor_parallel: int) -> int:
    """KV heads one device holds: split over the devices, or one replicated when there are fewer than devices."""
    return max(1, model.kv_heads // tensor_parallel)


class _Builder:
    """Accumulates operators for one workload; knows the precisions, per-element costs and the device split."""

    def __init__(self, model: ModelSpec, scenario: Scenario) -> None:  # a Transformer; CNNs are built by cnn_graph
        self.model = model
        self.act_bits = model.activation_bits
        self.weight_bits = model.weight_bits
        self.cost = flops_per_element()
        self.ops: list[Operator] = []
        self.tp, self.pp, self.routing = scenario.tensor_parallel, scenario.pipeline_parallel, scenario.moe_routing
        self.expert_parallel = scenario.expert_parallel and self.tp > 1 and model.num_experts > 0
        self.heads = model.num_heads // self.tp
        self.kv_heads = kv_heads_per_device(model, self.tp)

    def collective(self, name: str, kind: str, phase: Phase, count: int, rows: int, devices: int,
                   steps: int = 1) -> None:
        """An all-reduce over `devices` or a point-to-point send of a rows x d_model activation."""
        elements = rows * self.model.d_model
        size = nbytes(elements, self.act_bits)
        self.ops.append(Operator(
            name=name, kind="collective", op_class="communication", phase=phase, layer_count=count,
            m=rows, k=0, n=self.model.d_model, instances=1, b_is_weight=False, flops=0, bytes_read=size,
            bytes_written=size, elements=elements, decode_steps=steps, collective=kind, devices=devices,
        ))

    def all_reduce(self, name: str, phase: Phase, count: int, rows: int, steps: int) -> None:
        if self.tp > 1:
            self.collective(name, "all_reduce", phase, count, rows, self.tp, steps)

    def gemm(
        self, name: str, op_class: OpClass, phase: Phase, count: int, m: int, k: int, n: int,
        instances: int = 1, b_is_weight: bool = True, steps: int = 1, kv_length: int = 0,
        role: Role = Role.NONE,
    ) -> None:
        b_elements = k * n if b_is_weight else k * n * instances
        out = m * n * instances
        self.ops.append(Operator(
            name=name, kind="gemm", op_class=op_class, phase=phase, layer_count=count,
            m=m, k=k, n=n, instances=instances, b_is_weight=b_is_weight,
            flops=2 * m * k * n * instances,
            bytes_read=nbytes(m * k * instances, self.act_bits)
            + nbytes(b_elements, self.weight_bits if b_is_weight else self.act_bits),
            bytes_written=nbytes(out, self.act_bits),
            elements=out, decode_steps=steps, kv_length=kv_length, role=role, a_elements=m * k * instances,
        ))

    def pointwise(
        self, name: str, kind: OpKind, op_class: OpClass, phase: Phase, count: int, rows: int, row_len: int,
        flops_each: int, operands: int = 1, steps: int = 1, kv_length: int = 0,
        role: Role = Role.NONE,
    ) -> None:
        elements = rows * row_len
        self.ops.append(Operator(
            name=name, kind=kind, op_class=op_class, phase=phase, layer_count=count,
            m=rows, k=0, n=row_len, instances=1, b_is_weight=False,
            flops=flops_each * elements,
            bytes_read=operands * nbytes(elements, self.act_bits),
            bytes_written=nbytes(elements, self.act_bits),
            elements=elements, decode_steps=steps, kv_length=kv_length, operands=operands, role=role,
        ))

    # -- blocks -------------------------------------------------------------------------------------------

    def attention_core(
        self, prefix: str, phase: Phase, count: int, batch: int, q_len: int, kv_len: int,
        steps: int = 1, kv_length: int = 0,
    ) -> None:
        """QKᵀ, softmax, A·V. Query heads sharing a KV head (GQA) are stacked into one GEMM's rows."""
        model = self.model
        group = self.heads // self.kv_heads
        instances = batch * self.kv_heads
        self.gemm(f"{prefix}qk_matmul", "attention", phase, count, group * q_len, model.head_dim, kv_len,
                  instances, b_is_weight=False, steps=steps, kv_length=kv_length, role=Role.SCORES)
        self.pointwise(f"{prefix}softmax", "nonlinear", "softmax", phase, count, batch * self.heads * q_len,
                       kv_len, self.cost["softmax"], steps=steps, kv_length=kv_length,
                       role=Role.PROBABILITIES)
        self.gemm(f"{prefix}av_matmul", "attention", phase, count, group * q_len, kv_len, model.head_dim,
                  instances, b_is_weight=False, steps=steps, kv_length=kv_length, role=Role.CONTEXT)

    def norm(self, index: int, phase: Phase, count: int, rows: int, steps: int, role: Role) -> None:
        kind = self.model.norm
        self.pointwise(f"{kind}_{index}", "nonlinear", "normalization", phase, count, rows, self.model.d_model,
                       self.cost[kind], steps=steps, role=role)

    def residual(self, index: int, phase: Phase, count: int, rows: int, steps: int, role: Role) -> None:
        self.pointwise(f"residual_add_{index}", "elementwise", "residual", phase, count, rows, self.model.d_model,
                       self.cost["residual_add"], operands=2, steps=steps, role=role)

    def ffn(self, phase: Phase, count: int, rows: int, steps: int) -> None:
        model = self.model
        if model.num_experts:
            self.moe(phase, count, rows, steps)
            return
        self.dense_ffn("ffn_", phase, count, rows, model.d_ff, steps)
        self.all_reduce("ffn_all_reduce", phase, count, rows, steps)

    def dense_ffn(self, prefix: str, phase: Phase, count: int, rows: int, d_ff: int, steps: int,
                  split: bool = True) -> None:
        """One FFN (or expert) of `d_ff` columns: its tensor-parallel share of them on this device, or all of them."""
        model = self.model
        width = -(-d_ff // self.tp) if split else d_ff
        self.gemm(f"{prefix}up", "ffn", phase, count, rows, model.d_model, width, steps=steps, role=Role.FFN_IN)
        act_cost = self.cost[model.activation]
        if model.ffn_kind == "gated":
            self.gemm(f"{prefix}gate", "ffn", phase, count, rows, model.d_model, width, steps=steps,
                      role=Role.FFN_IN)
            self.pointwise(f"{prefix}activation".replace("ffn_", ""), "nonlinear", "activation", phase, count, rows,
                           width, act_cost + self.cost["gate_multiply"], operands=2, steps=steps,
                           role=Role.FFN_ACTIVATION)
        else:
            self.pointwise(f"{prefix}activation".replace("ffn_", ""), "nonlinear", "activation", phase, count, rows,
                           width, act_cost, steps=steps, role=Role.FFN_ACTIVATION)
        self.gemm(f"{prefix}down", "ffn", phase, count, rows, width, model.d_model, steps=steps, role=Role.FFN_OUT)

    def moe(self, phase: Phase, count: int, rows: int, steps: int) -> None:
        """Router, the routed experts the step touches, the shared experts (see the module's docstring)."""
        model = self.model
        experts, per_token = model.num_experts, model.experts_per_token
        self.gemm("router", "ffn", phase, count, rows, model.d_model, experts, steps=steps)
        touched = experts_touched(experts, per_token, rows, self.routing)
        rows_each = -(-rows * per_token // touched)
        if self.expert_parallel:
            # Whole experts spread over the devices: the busiest runs ceil(touched / t); tokens go and come back
            # by all-to-all (each token's k copies).
            self.collective("expert_dispatch", "all_to_all", phase, count, rows * per_token, self.tp, steps)
            self.dense_ffn("expert_", phase, count * -(-touched // self.tp), rows_each, model.d_ff, steps, split=False)
            self.collective("expert_combine", "all_to_all", phase, count, rows * per_token, self.tp, steps)
        else:
            self.dense_ffn("expert_", phase, count * touched, rows_each, model.d_ff, steps)
        if model.shared_expert_d_ff:
            self.dense_ffn("shared_expert_", phase, count, rows, model.shared_expert_d_ff, steps)
        if model.shared_expert_d_ff or not self.expert_parallel:
            self.all_reduce("ffn_all_reduce", phase, count, rows, steps)

    def qkv(self, prefix: str, phase: Phase, count: int, q_rows: int, kv_rows: int, steps: int) -> None:
        model = self.model
        kv_width = self.kv_heads * model.head_dim
        self.gemm(f"{prefix}q_proj", "projection", phase, count, q_rows, model.d_model, self.heads * model.head_dim,
                  steps=steps)
        if kv_rows:
            self.gemm(f"{prefix}k_proj", "projection", phase, count, kv_rows, model.d_model, kv_width, steps=steps)
            self.gemm(f"{prefix}v_proj", "projection", phase, count, kv_rows, model.d_model, kv_width, steps=steps)

    def out_proj(self, prefix: str, phase: Phase, count: int, rows: int, steps: int) -> None:
        d = self.model.d_model
        self.gemm(f"{prefix}out_proj", "projection", phase, count, rows, self.heads * self.model.head_dim, d,
                  steps=steps, role=Role.ATTENTION_OUT)
        self.all_reduce(f"{prefix}attention_all_reduce", phase, count, rows, steps)

    def embedding(self, phase: Phase, count: int, batch: int, tokens: int, steps: int) -> None:
        model = self.model
        rows = batch * tokens
        if model.is_vision:
            # Patch embedding is a GEMM over flattened patches; the [CLS] token is not a patch.
            patch = model.num_channels * (model.patch_size or 0) ** 2
            self.gemm("embedding", "embedding", phase, count, batch * max(tokens - 1, 1), patch, model.d_model,
                      steps=steps)
            return
        learned = model.position_embedding == "learned"
        elements = rows * model.d_model
        tables = 2 if learned else 1  # token row (+ position row) gathered per token
        self.ops.append(Operator(
            name="embedding", kind="elementwise", op_class="embedding", phase=phase, layer_count=count,
            m=rows, k=0, n=model.d_model, instances=1, b_is_weight=True,
            flops=self.cost["position_add"] * elements if learned else 0,
            bytes_read=tables * nbytes(elements, self.weight_bits),
            bytes_written=nbytes(elements, self.act_bits), elements=elements, decode_steps=steps,
        ))

    def lm_head(self, phase: Phase, count: int, rows: int, steps: int) -> None:
        model = self.model
        self.gemm("lm_head", "lm_head", phase, count, rows, model.d_model, -(-model.vocab_size // self.tp),
                  steps=steps)


def _layer(
    builder: _Builder, phase: Phase, layers: int, steps: int, batch: int, q_len: int,
    groups: list[tuple[int, int]], cross_len: int = 0,
) -> None:
    """One Transformer layer (self-attention, optional cross-attention, FFN) with its norms and adds.

    `groups` lists (self-attention KV length, steps) pairs; ops that do not depend on it run layers·steps times.
    """
    count = layers * steps
    rows = batch * q_len
    builder.qkv("", phase, count, rows, rows, steps)
    for kv_len, group_steps in groups:
        builder.attention_core("", phase, layers * group_steps, batch, q_len, kv_len, group_steps,
                               kv_len if phase == "decode" else 0)
    builder.out_proj("", phase, count, rows, steps)
    builder.residual(1, phase, count, rows, steps, Role.ATTENTION_RESIDUAL)
    builder.norm(1, phase, count, rows, steps, Role.ATTENTION_NORM)
    index = 2
    if cross_len:
        builder.qkv("cross_", phase, count, rows, 0, steps)  # cross K/V come from the encoder, once
        builder.attention_core("cross_", phase, count, batch, q_len, cross_len, steps)
        builder.out_proj("cross_", phase, count, rows, steps)
        builder.residual(index, phase, count, rows, steps, Role.ATTENTION_RESIDUAL)
        builder.norm(index, phase, count, rows, steps, Role.ATTENTION_NORM)
        index += 1
    builder.ffn(phase, count, rows, steps)
    builder.residual(index, phase, count, rows, steps, Role.FFN_RESIDUAL)
    builder.norm(index, phase, count, rows, steps, Role.FFN_NORM)
    if builder.pp > 1:
        builder.collective("stage_send", "send", phase, (builder.pp - 1) * steps, rows, 2, steps)


def decode_groups_of(first: int, steps: int, max_groups: int) -> list[tuple[int, int]]:
    """(representative cache length, number of steps) for cache lengths first..first+steps-1.

    Each group is an odd run of consecutive lengths represented by its middle one, so affine costs sum exactly.
    """
    if steps <= max_groups:
        return [(first + j, 1) for j in range(steps)]
    groups = max_groups if (steps - max_groups) % 2 == 0 else max_groups - 1
    extra, spread = divmod((steps - groups) // 2, groups)
    out: list[tuple[int, int]] = []
    start = first
    for index in range(groups):
        size = 2 * (extra + (1 if index < spread else 0)) + 1
        out.append((start + size // 2, size))
        start += size
    return out


def build_graph(workload: Workload, decode_groups: int = 64, kv_cache: bool = True) -> OperatorGraph:
    """All operators of the workload; identical layers are one op with a multiplicity, never a loop.

    `kv_cache=False` (decoders): no state is kept between decode steps, so step j re-runs every layer over the
    whole prefix of prompt_len + j tokens (causal, like `use_cache=False`). Grouped steps are represented by
    their middle length; the prefix-squared attention terms are then approximate (exact when
    generate_len <= decode_groups), the linear ones exact.
    """
    if decode_groups < 2:
        raise ValueError("decode_groups must be at least 2")
    if workload.model.family == "cnn":
        return OperatorGraph(workload, cnn_ops(workload))
    builder = _Builder(workload.model, workload.scenario)
    _encoder(builder, workload)
    if workload.model.family != "encoder" and workload.prompt_len + workload.generate_len:
        # (an encoder-decoder asked for no prompt and no tokens runs its encoder only)
        cross = workload.encoder_len if workload.model.family == "encoder-decoder" else 0
        _cross_kv(builder, workload, cross)
        _prefill(builder, workload, cross, decode_groups)
        _decode(builder, workload, cross, decode_groups, kv_cache)
    return OperatorGraph(workload, tuple(builder.ops))


def _encoder(builder: _Builder, workload: Workload) -> None:
    """The encoder's layers over its source (none for a decoder-only model), with its embeddings and, for an
    encoder-only model, its head."""
    model, scenario, source = workload.model, workload.scenario, workload.encoder_len
    if not source:
        return
    batch = scenario.batch
    if workload.include_embeddings:
        builder.embedding("encoder", 1, batch, source, 1)
    _layer(builder, "encoder", model.num_layers, 1, batch, source, [(source, 1)])
    if workload.include_lm_head and model.family == "encoder":
        builder.lm_head("encoder", 1, batch if model.is_vision else batch * source, 1)


def _cross_kv(builder: _Builder, workload: Workload, cross: int) -> None:
    """Cross-attention K/V over the encoder output of `cross` tokens: computed once, reused by every step."""
    if not cross:
        return
    model = workload.model
    kv_width = kv_heads_per_device(model, workload.scenario.tensor_parallel) * model.head_dim
    rows = workload.scenario.batch * cross
    builder.gemm("cross_k_proj", "projection", "prefill", model.decoder_layers, rows, model.d_model, kv_width)
    builder.gemm("cross_v_proj", "projection", "prefill", model.decoder_layers, rows, model.d_model, kv_width)


def _prefill(builder: _Builder, workload: Workload, cross: int, decode_groups: int) -> None:
    """The decoder's layers over the prompt at once, or in chunks (`prefill_chunk`); only the last prompt position's
    logits are needed."""
    prompt, scenario = workload.prompt_len, workload.scenario
    if not prompt:
        return
    batch, layers, chunk = scenario.batch, workload.model.decoder_layers, scenario.prefill_chunk
    if workload.include_embeddings:
        builder.embedding("prefill", 1, batch, prompt, 1)
    if not chunk or chunk >= prompt:
        _layer(builder, "prefill", layers, 1, batch, prompt, [(prompt, 1)], cross)
    else:
        # Chunk i (1..n) runs `chunk` tokens per sequence against the i·chunk keys so far: the weights are read once per
        # chunk; the attention is grouped like decode steps (affine in the key length); a shorter last chunk apart.
        whole, rest = divmod(prompt, chunk)
        groups = [(index * chunk, steps) for index, steps in decode_groups_of(1, whole, decode_groups)]
        _layer(builder, "prefill", layers, whole, batch, chunk, groups, cross)
        if rest:
            _layer(builder, "prefill", layers, 1, batch, rest, [(prompt, 1)], cross)
    if workload.include_lm_head:
        builder.lm_head("prefill", 1, batch, 1)


def _decode(builder: _Builder, workload: Workload, cross: int, decode_groups: int, kv_cache: bool) -> None:
    """The generated tokens, one step each, in groups of cache lengths (`decode_groups_of`); without a KV cache each
    group re-runs its whole prefix."""
    prompt, generate, scenario = workload.prompt_len, workload.generate_len, workload.scenario
    if not generate:
        return
    batch, layers = scenario.batch, workload.model.decoder_layers
    if workload.include_embeddings:
        builder.embedding("decode", generate, batch, 1, generate)
    groups = decode_groups_of(prompt + 1, generate, decode_groups)
    if kv_cache:
        _layer(builder, "decode", layers, generate, batch, 1, groups, cross)
    else:
        for prefix, steps in groups:
            _layer(builder, "decode", layers, steps, batch, prefix, [(prefix, steps)], cross)
    if workload.include_lm_head:
        builder.lm_head("decode", generate, batch, generate)
