"""Convolutional networks as a list of layers: the CNN side of the survey's Transformer-vs-CNN contrast.

A `CnnSpec` is a data file (`simulator/data/models/resnet-50.yaml`): primitive layers (conv, pooling, fc,
softmax) and residual blocks (basic or bottleneck, `repeat` times). Another CNN is one more YAML file.

Lowering, the way Gemmini runs a convolution (im2col): a conv is one GEMM with
M = output pixels x batch, K = kernel² x input channels, N = output channels. Its unfused traffic counts the
real tensors, not the im2col matrix: the input feature map, the weights and the output are each moved once
(each operator reads its inputs and writes its output once, as for the Transformer ops), so a 3x3 conv does
not pay for the nine-fold duplication of the lowered A matrix.

Counting (one MAC = 2 FLOPs; per-element costs from `counting.yaml`): BatchNorm at inference is a per-channel
scale and shift (2 FLOPs per element), ReLU 1, a residual add 1 and reads two operands, max pooling
window-1 comparisons per output, average pooling window adds (window-1 adds and one scale). Pooling reads its
input once (ideal reuse of overlapping windows) and writes its output.

Fusion markers (`Operator.fusion`), used by the fused profile and by the evaluation:
- BatchNorm "folded": at inference its scale and shift fold into the conv's weights and bias (no op at all);
- ReLU "output_path": applied to the conv's (or residual add's) output as it leaves the accumulator;
- residual add "accumulate": the skip tensor is accumulated into the block's output in the accumulator
  (Gemmini's resadd / the D operand of its matmul); its traffic is still counted (both operands are read).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class _Layer(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str


class ConvLayer(_Layer):
    """A convolution, optionally followed by BatchNorm and ReLU (the usual conv-BN-ReLU triple)."""

    type: Literal["conv"] = "conv"
    out_channels: int = Field(gt=0)
    kernel: int = Field(gt=0)
    stride: int = Field(default=1, gt=0)
    padding: int | None = Field(default=None, ge=0, description="Default: kernel // 2 ('same' at stride 1).")
    batchnorm: bool = True
    relu: bool = True


class PoolLayer(_Layer):
    """Max or average pooling; `global_pool` averages the whole feature map (kernel = its side)."""

    type: Literal["maxpool", "avgpool"]
    kernel: int = Field(default=1, gt=0)
    stride: int | None = Field(default=None, gt=0, description="Default: kernel.")
    padding: int = Field(default=0, ge=0)
    global_pool: bool = False


class FcLayer(_Layer):
    """Fully connected layer over the flattened input (after global pooling: the channels)."""

    type: Literal["fc"] = "fc"
    out_features: int = Field(gt=0)
    relu: bool = False


class SoftmaxLayer(_Layer):
    type: Literal["softmax"] = "softmax"


class BlockLayer(_Layer):
    """`repeat` residual blocks; the first has stride `stride` and a projection shortcut when shapes change.

    basic: 3x3 (width) -> 3x3 (out_channels); bottleneck: 1x1 (width) -> 3x3 (width) -> 1x1 (out_channels).
    Every conv has BatchNorm; ReLU follows each conv but the last, and the residual add.
    `stride_on` says which conv of a bottleneck strides: "first" (He et al.'s original ResNet, the 1x1) or
    "middle" (the 3x3, as in later re-implementations, "ResNet v1.5").
    """

    type: Literal["block"] = "block"
    kind: Literal["basic", "bottleneck"]
    repeat: int = Field(gt=0)
    width: int = Field(gt=0)
    out_channels: int = Field(gt=0)
    stride: int = Field(default=1, gt=0)
    stride_on: Literal["first", "middle"] = "first"


CnnLayer = Annotated[ConvLayer | PoolLayer | FcLayer | SoftmaxLayer | BlockLayer, Field(discriminator="type")]


class CnnSpec(BaseModel):
    """A convolutional network: input, number formats and its layers (a `family: cnn` model preset)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = "custom-cnn"
    family: Literal["cnn"] = "cnn"
    image_size: int = Field(default=224, gt=0, description="Default input side in pixels (Scenario.image_size).")
    num_channels: int = Field(default=3, gt=0)
    weight_bits: int = Field(default=8, gt=0, le=64)
    activation_bits: int = Field(default=8, gt=0, le=64)
    layers: tuple[CnnLayer, ...] = Field(min_length=1)
    reference_macs: float | None = Field(default=None, gt=0, description="Published multiply-adds, if any.")
    source: str = ""

    @model_validator(mode="after")
    def _unique_names(self) -> CnnSpec:
        names = [layer.name for layer in self.layers]
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            raise ValueError(f"layer names must be unique; repeated: {', '.join(repeated)}")
        return self

    @property
    def is_vision(self) -> bool:
        return True


def conv_side(side: int, kernel: int, stride: int, padding: int) -> int:
    """Output side of a convolution or pooling window: floor((side + 2·padding − kernel) / stride) + 1."""
    return (side + 2 * padding - kernel) // stride + 1


def check_resolution(spec: CnnSpec, image_size: int) -> None:
    """Raise ValueError naming the first layer whose output would be empty at this input resolution."""
    side = image_size
    for layer in spec.layers:
        if isinstance(layer, ConvLayer):
            pad = layer.kernel // 2 if layer.padding is None else layer.padding
            side = conv_side(side, layer.kernel, layer.stride, pad)
        elif isinstance(layer, PoolLayer):
            side = 1 if layer.global_pool else conv_side(side, layer.kernel, layer.stride or layer.kernel,
                                                         layer.padding)
        elif isinstance(layer, BlockLayer):
            side = conv_side(side, 1 if layer.kind == "bottleneck" and layer.stride_on == "first" else 3,
                             layer.stride, 0 if layer.kind == "bottleneck" and layer.stride_on == "first" else 1)
        elif isinstance(layer, FcLayer):
            side = 1
        if side < 1:
            raise ValueError(f"{spec.name}: input {image_size}x{image_size} is too small; layer '{layer.name}' "
                             "would have an empty output")
