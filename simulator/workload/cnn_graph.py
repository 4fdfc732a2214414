"""Operator graph of a CNN (`CnnSpec`): im2col GEMMs, BatchNorm, ReLU, pooling, residual adds, fc, softmax.

Conventions are those of `simulator/workload/cnn.py`; the ops are in execution order, all in phase "forward".
Identical residual blocks (every block of a stage after its first) are one set of ops with layer_count = repeat − 1.
"""

from __future__ import annotations

from simulator.workload.cnn import BlockLayer, CnnSpec, ConvLayer, FcLayer, PoolLayer, SoftmaxLayer, conv_side
from simulator.workload.operator import ConvGeometry, Fusion, OpClass, Operator, OpKind, flops_per_element, nbytes
from simulator.workload.scenario import Workload

Shape = tuple[int, int, int]  # channels, height, width (per image)


class _CnnBuilder:
    def __init__(self, spec: CnnSpec, batch: int) -> None:
        self.spec = spec
        self.batch = batch
        self.act_bits = spec.activation_bits
        self.weight_bits = spec.weight_bits
        self.cost = flops_per_element()
        self.ops: list[Operator] = []

    def _pointwise(self, name: str, kind: OpKind, op_class: OpClass, count: int, rows: int, row_len: int,
                   flops_each: int, operands: int = 1, fusion: Fusion = "") -> None:
        elements = rows * row_len
        self.ops.append(Operator(
            name=name, kind=kind, op_class=op_class, phase="forward", layer_count=count, m=rows, k=0, n=row_len,
            instances=1, b_is_weight=False, flops=flops_each * elements,
            bytes_read=operands * nbytes(elements, self.act_bits), bytes_written=nbytes(elements, self.act_bits),
            elements=elements, fusion=fusion, operands=operands))

    def conv(self, name: str, shape: Shape, out_channels: int, kernel: int, stride: int, padding: int, count: int,
             batchnorm: bool = True, relu: bool = True) -> Shape:
        """im2col GEMM M = batch·H_out·W_out, K = kernel²·C_in, N = C_out; traffic of the real tensors."""
        channels, height, width = shape
        out_h, out_w = conv_side(height, kernel, stride, padding), conv_side(width, kernel, stride, padding)
        m, k, n = self.batch * out_h * out_w, kernel * kernel * channels, out_channels
        self.ops.append(Operator(
            name=name, kind="gemm", op_class="convolution", phase="forward", layer_count=count, m=m, k=k, n=n,
            instances=1, b_is_weight=True, flops=2 * m * k * n,
            bytes_read=nbytes(self.batch * channels * height * width, self.act_bits) + nbytes(k * n, self.weight_bits),
            bytes_written=nbytes(m * n, self.act_bits), elements=m * n,
            a_elements=min(m * k, self.batch * channels * height * width),  # the input map, not im2col
            conv=ConvGeometry(self.batch, channels, height, width, kernel, stride, padding)))
        if batchnorm:
            self._pointwise(f"{name}.bn", "elementwise", "normalization", count, m, n, self.cost["batchnorm"],
                            fusion="folded")
        if relu:
            self.relu(f"{name}.relu", count, m, n)
        return out_channels, out_h, out_w

    def relu(self, name: str, count: int, rows: int, row_len: int) -> None:
        self._pointwise(name, "nonlinear", "activation", count, rows, row_len, self.cost["relu"], fusion="output_path")

    def pool(self, layer: PoolLayer, shape: Shape) -> Shape:
        channels, height, width = shape
        if layer.global_pool:
            window_h, window_w, out_h, out_w = height, width, 1, 1
        else:
            stride = layer.stride or layer.kernel
            window_h = window_w = layer.kernel
            out_h = conv_side(height, layer.kernel, stride, layer.padding)
            out_w = conv_side(width, layer.kernel, stride, layer.padding)
        window = window_h * window_w
        outputs = self.batch * channels * out_h * out_w
        is_max = layer.type == "maxpool"
        self.ops.append(Operator(
            name=layer.name, kind="nonlinear" if is_max else "elementwise", op_class="pooling", phase="forward",
            layer_count=1, m=self.batch * out_h * out_w, k=0, n=channels, instances=1, b_is_weight=False,
            # max: window−1 comparisons per output; average: window−1 adds and one scale
            flops=(window - 1 if is_max else window) * outputs,
            bytes_read=nbytes(self.batch * channels * height * width, self.act_bits),
            bytes_written=nbytes(outputs, self.act_bits), elements=outputs))
        return channels, out_h, out_w

    def fc(self, layer: FcLayer, shape: Shape) -> Shape:
        features = shape[0] * shape[1] * shape[2]
        m, k, n = self.batch, features, layer.out_features
        self.ops.append(Operator(
            name=layer.name, kind="gemm", op_class="fc", phase="forward", layer_count=1, m=m, k=k, n=n, instances=1,
            b_is_weight=True, flops=2 * m * k * n,
            bytes_read=nbytes(m * k, self.act_bits) + nbytes(k * n, self.weight_bits),
            bytes_written=nbytes(m * n, self.act_bits), elements=m * n, a_elements=m * k))
        if layer.relu:
            self.relu(f"{layer.name}.relu", 1, m, n)
        return n, 1, 1

    def block(self, name: str, layer: BlockLayer, shape: Shape, stride: int, count: int) -> Shape:
        """One residual block (run `count` times): its convs, the shortcut when shapes change, add, ReLU."""
        width, out = layer.width, layer.out_channels
        if layer.kind == "basic":
            inner = self.conv(f"{name}.a", shape, width, 3, stride, 1, count)
            result = self.conv(f"{name}.b", inner, out, 3, 1, 1, count, relu=False)
        else:
            first, middle = (stride, 1) if layer.stride_on == "first" else (1, stride)
            inner = self.conv(f"{name}.a", shape, width, 1, first, 0, count)
            inner = self.conv(f"{name}.b", inner, width, 3, middle, 1, count)
            result = self.conv(f"{name}.c", inner, out, 1, 1, 0, count, relu=False)
        if stride != 1 or shape[0] != out:  # projection shortcut (He et al. option B)
            self.conv(f"{name}.shortcut", shape, out, 1, stride, 0, count, relu=False)
        rows = self.batch * result[1] * result[2]
        self._pointwise(f"{name}.add", "elementwise", "residual", count, rows, out, self.cost["residual_add"],
                        operands=2, fusion="accumulate")
        self.relu(f"{name}.add.relu", count, rows, out)
        return result


def cnn_ops(workload: Workload) -> tuple[Operator, ...]:
    """All operators of one CNN inference at the workload's batch and input resolution."""
    spec = workload.model
    assert isinstance(spec, CnnSpec)
    builder = _CnnBuilder(spec, workload.scenario.batch)
    shape: Shape = (spec.num_channels, workload.image_size, workload.image_size)
    for layer in spec.layers:
        if isinstance(layer, ConvLayer):
            padding = layer.kernel // 2 if layer.padding is None else layer.padding
            shape = builder.conv(layer.name, shape, layer.out_channels, layer.kernel, layer.stride, padding, 1,
                                 layer.batchnorm, layer.relu)
        elif isinstance(layer, PoolLayer):
            shape = builder.pool(layer, shape)
        elif isinstance(layer, FcLayer):
            shape = builder.fc(layer, shape)
        elif isinstance(layer, SoftmaxLayer):
            builder._pointwise(layer.name, "nonlinear", "softmax", 1, builder.batch, shape[0] * shape[1] * shape[2],
                               builder.cost["softmax"])
        else:
            first = builder.block(f"{layer.name}_1", layer, shape, layer.stride, 1)
            if layer.repeat > 1:
                tail = f"{layer.name}_2" if layer.repeat == 2 else f"{layer.name}_2-{layer.repeat}"
                builder.block(tail, layer, first, 1, layer.repeat - 1)
            shape = first
    return tuple(builder.ops)
