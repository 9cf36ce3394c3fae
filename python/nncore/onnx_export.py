"""Export an nncore network to a standard ONNX graph (needs the `onnx` package).

    model.to_onnx("net.onnx")                    # or nncore.onnx_export.to_onnx(model, path)

The graph has one input "X" of shape (N, n_features) and one output "Y" of
shape (N, n_outputs), both of the model's dtype (FLOAT or DOUBLE); N is a
symbolic batch dimension. Default opset: 17 (ai.onnx domain; any opset from
13 to the installed `onnx` package's newest can be asked for). Each layer
becomes standard operators:

    Dense       Gemm(X, W, b)                  W stored as (in, out), no transpose
    Maxout      Max(Gemm(X, W[0], b[0]), ..., Gemm(X, W[k-1], b[k-1]))
    Identity    Identity
    Sigmoid     Sigmoid        Tanh   Tanh        ReLU  Relu
    LeakyReLU   LeakyRelu(alpha=slope)
    PReLU       PRelu(x, alpha)                alpha of shape (1,) or (width,)
    ELU         Elu(alpha=alpha)
    (float64 graphs: these three as Where(Greater(x, 0), x, negative part) with
    negative part Mul(x, slope) / Mul(x, alpha) / alpha·(Exp(Min(x, 0)) − 1),
    since ONNX float attributes are 32-bit and onnxruntime 1.32 has no double
    Elu kernel and double LeakyRelu/PRelu kernels only for opsets 16-20)
    Exp         Exp                            (Poisson regression's log link)
    Step        Cast(Greater(x, 0), to=dtype)  (1 where x > 0, else 0)
    Softmax     Softmax(axis=-1)

Initializer names are the model's parameter names ("0.W", "0.b", "1.alpha";
Maxout pieces "2.W.0", "2.b.0", ...). A layer without an ONNX form raises
ValueError naming the layer.
"""
from __future__ import annotations

import os
from types import ModuleType
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Optional, Protocol, Sequence, Union, cast

import numpy as np
from numpy.typing import ArrayLike, DTypeLike, NDArray

from .checks import FloatArray
from .layers import ELU, Layer, LeakyReLU

if TYPE_CHECKING:
    from onnx import ModelProto, NodeProto, TensorProto, ValueInfoProto

DEFAULT_OPSET = 17
MIN_OPSET = 13  # Softmax over one axis (opset 13 semantics) and every op below exist

SUPPORTED = ("dense", "maxout", "identity", "sigmoid", "tanh", "relu", "leaky_relu", "prelu",
             "elu", "step", "softmax", "exp", "dropout")


class OnnxModel(Protocol):
    """What the export reads of a model: nncore.Sequential or nncore.reference.Sequential."""

    @property
    def layers(self) -> Sequence[Layer]: ...
    @property
    def dtype(self) -> type[np.floating[Any]]: ...
    @property
    def n_features(self) -> int: ...
    @property
    def n_outputs(self) -> int: ...
    def named_parameters(self) -> dict[str, FloatArray]: ...


def _require_onnx() -> ModuleType:
    try:
        import onnx  # noqa: F401
    except ImportError as e:
        raise ImportError("to_onnx needs the `onnx` package: pip install 'nncore[onnx]' "
                          "(or pip install onnx)") from e
    return onnx


def _check_opset(opset: Optional[int], onnx: ModuleType) -> int:
    if opset is None:
        return DEFAULT_OPSET
    newest = onnx.defs.onnx_opset_version()
    if isinstance(opset, bool) or not isinstance(opset, (int, np.integer)) \
            or not MIN_OPSET <= opset <= newest:
        raise ValueError(f"to_onnx: opset must be an integer in [{MIN_OPSET}, {newest}] "
                         f"(the installed onnx {onnx.__version__} knows up to {newest}), "
                         f"got {opset!r}")
    return int(opset)


class _Graph:
    """Collects nodes and initializers with unique names."""

    def __init__(self, onnx: ModuleType, np_dtype: DTypeLike) -> None:
        self.onnx = onnx
        self.np_dtype = np.dtype(np_dtype)
        self.elem: int = (onnx.TensorProto.DOUBLE if self.np_dtype == np.float64
                     else onnx.TensorProto.FLOAT)
        self.nodes: list[NodeProto] = []
        self.inits: list[TensorProto] = []
        self._n = 0

    def name(self, hint: str) -> str:
        self._n += 1
        return f"{hint}_{self._n}"

    def const(self, name: str, value: ArrayLike) -> str:
        arr = np.ascontiguousarray(np.asarray(value, dtype=self.np_dtype))
        self.inits.append(self.onnx.numpy_helper.from_array(arr, name=name))
        return name

    def node(self, op: str, inputs: Iterable[str], hint: str, output: Optional[str] = None,
             **attrs: Any) -> str:
        out = output or self.name(hint)
        self.nodes.append(self.onnx.helper.make_node(op, list(inputs), [out],
                                                     name=self.name(op), **attrs))
        return out


def _layer(g: _Graph, i: int, layer: Layer, params: Mapping[str, NDArray[Any]], x: str) -> str:
    """Append the nodes of layer i to g; return the name of its output."""
    kind = getattr(layer, "kind", None)
    if kind == "dense":
        W = g.const(f"{i}.W", params[f"{i}.W"])
        if f"{i}.b" not in params:  # Dense(bias=False): Gemm's C input is optional
            return g.node("Gemm", [x, W], f"dense{i}")
        b = g.const(f"{i}.b", params[f"{i}.b"])
        return g.node("Gemm", [x, W, b], f"dense{i}")
    if kind == "maxout":
        Wk, bk = params[f"{i}.W"], params[f"{i}.b"]
        pieces = [g.node("Gemm", [x, g.const(f"{i}.W.{j}", Wk[j]), g.const(f"{i}.b.{j}", bk[j])],
                         f"maxout{i}_piece{j}") for j in range(Wk.shape[0])]
        return g.node("Max", pieces, f"maxout{i}")
    if kind == "identity":
        return g.node("Identity", [x], f"identity{i}")
    if kind == "dropout":  # an exported network only predicts: Dropout is the identity there
        return g.node("Identity", [x], f"dropout{i}")
    if kind == "sigmoid":
        return g.node("Sigmoid", [x], f"sigmoid{i}")
    if kind == "tanh":
        return g.node("Tanh", [x], f"tanh{i}")
    if kind == "relu":
        return g.node("Relu", [x], f"relu{i}")
    if kind in ("leaky_relu", "prelu", "elu") and g.np_dtype == np.float64:
        return _piecewise64(g, i, layer, params, x)
    if kind == "leaky_relu":  # float32: the float attribute holds float32(slope) exactly
        slope = cast(LeakyReLU, layer).slope  # the layer of kind 'leaky_relu'
        return g.node("LeakyRelu", [x], f"leaky_relu{i}", alpha=float(slope))
    if kind == "prelu":
        return g.node("PRelu", [x, g.const(f"{i}.alpha", params[f"{i}.alpha"])], f"prelu{i}")
    if kind == "elu":
        alpha = cast(ELU, layer).alpha  # the layer of kind 'elu'
        return g.node("Elu", [x], f"elu{i}", alpha=float(alpha))
    if kind == "exp":  # the log link's inverse (Poisson regression's output)
        return g.node("Exp", [x], f"exp{i}")
    if kind == "step":
        zero = g.const(f"{i}.zero", np.zeros((), dtype=g.np_dtype))
        positive = g.node("Greater", [x, zero], f"step{i}_positive")
        return g.node("Cast", [positive], f"step{i}", to=g.elem)
    if kind == "softmax":
        return g.node("Softmax", [x], f"softmax{i}", axis=-1)
    raise ValueError(f"to_onnx: layer {i} ({layer!r}, kind {kind!r}) has no ONNX form; "
                     f"exportable layer kinds are {', '.join(SUPPORTED)}")


def _piecewise64(g: _Graph, i: int, layer: Layer, params: Mapping[str, NDArray[Any]],
                 x: str) -> str:
    """LeakyReLU / PReLU / ELU in float64: Where(x > 0, x, negative part).

    onnxruntime (1.32) has no double kernel for Elu, and double LeakyRelu/PRelu
    kernels only for opsets 16-20; ONNX float attributes are 32-bit and would
    round slope/alpha. Basic ops with double constants avoid both, and compute
    exactly what the core computes (a > 0 ? a : slope·a).
    """
    kind = layer.kind
    zero = g.const(f"{i}.zero", np.zeros((), dtype=g.np_dtype))
    if kind == "leaky_relu":
        slope = g.const(f"{i}.slope", np.asarray(cast(LeakyReLU, layer).slope, dtype=g.np_dtype))
        neg = g.node("Mul", [x, slope], f"leaky_relu{i}_neg")
    elif kind == "prelu":
        alpha = g.const(f"{i}.alpha", params[f"{i}.alpha"])
        neg = g.node("Mul", [x, alpha], f"prelu{i}_neg")
    else:  # elu: alpha·(Exp(Min(x, 0)) − 1)
        one = g.const(f"{i}.one", np.ones((), dtype=g.np_dtype))
        alpha = g.const(f"{i}.elu_alpha", np.asarray(cast(ELU, layer).alpha, dtype=g.np_dtype))
        e = g.node("Exp", [g.node("Min", [x, zero], f"elu{i}_min")], f"elu{i}_exp")
        neg = g.node("Mul", [g.node("Sub", [e, one], f"elu{i}_expm1"), alpha], f"elu{i}_neg")
    positive = g.node("Greater", [x, zero], f"{kind}{i}_positive")
    return g.node("Where", [positive, x, neg], f"{kind}{i}")


def build(model: OnnxModel, opset: Optional[int] = None, output: Optional[str] = None,
          input_name: str = "X", output_name: str = "Y",
          labels: Optional[ArrayLike] = None, multilabel: bool = False) -> ModelProto:
    """The onnx.ModelProto of `model` (checked with onnx.checker).

    output: None (the network's output, (N, n_outputs)), "binary_proba"
    (a single sigmoid unit p becomes [1 − p, p], (N, 2), as a binary
    classifier's predict_proba) or "flatten" ((N, 1) → (N,), as a
    single-output regressor's predict). Used by the scikit-learn estimators.
    labels: the class labels (a classifier's classes_) to add a first output "label"
    (N,) = labels[argmax of the probabilities] (integers, floats or strings); with
    multilabel=True instead "label" (N, n_labels) = int64(probability > 0.5).
    """
    onnx = _require_onnx()
    opset = _check_opset(opset, onnx)
    layers = getattr(model, "layers", None)
    if not layers or not hasattr(model, "named_parameters"):
        raise TypeError(f"to_onnx: expected an nncore Sequential model, got {type(model).__name__}")
    for i, layer in enumerate(layers):  # fail before building anything
        if getattr(layer, "kind", None) not in SUPPORTED:
            raise ValueError(f"to_onnx: layer {i} ({layer!r}, kind "
                             f"{getattr(layer, 'kind', None)!r}) has no ONNX form; exportable "
                             f"layer kinds are {', '.join(SUPPORTED)}")
    g = _Graph(onnx, model.dtype)
    params = {k: np.asarray(v) for k, v in model.named_parameters().items()}
    x = input_name
    for i, layer in enumerate(layers):
        x = _layer(g, i, layer, params, x)
    n_out = int(model.n_outputs)
    out_shape = ["N", n_out]
    if output == "binary_proba":
        if n_out != 1:
            raise ValueError("to_onnx: output='binary_proba' needs a network with one output")
        one = g.const("one", np.ones((), dtype=g.np_dtype))
        neg = g.node("Sub", [one, x], "proba_negative")
        x = g.node("Concat", [neg, x], "proba", axis=1)
        out_shape = ["N", 2]
    elif output == "flatten":
        if n_out != 1:
            raise ValueError("to_onnx: output='flatten' needs a network with one output")
        shape = g.onnx.numpy_helper.from_array(np.array([-1], dtype=np.int64), name="flat_shape")
        g.inits.append(shape)
        x = g.node("Reshape", [x, "flat_shape"], "flat")
        out_shape = ["N"]
    elif output is not None:
        raise ValueError(f"to_onnx: output must be None, 'binary_proba' or 'flatten', got {output!r}")
    # The last node writes the graph output directly.
    last = g.nodes[-1]
    last.output[0] = output_name
    helper = onnx.helper
    outputs = [helper.make_tensor_value_info(output_name, g.elem, out_shape)]
    if labels is not None or multilabel:
        outputs.insert(0, _label_output(g, output_name, out_shape, labels, multilabel))
    graph = helper.make_graph(
        g.nodes, "nncore",
        [helper.make_tensor_value_info(input_name, g.elem, ["N", int(model.n_features)])],
        outputs, initializer=g.inits)
    proto: ModelProto = helper.make_model(graph, producer_name="nncore",
                              opset_imports=[helper.make_opsetid("", opset)])
    proto.ir_version = min(proto.ir_version, _ir_version_for(onnx, opset))
    onnx.checker.check_model(proto, full_check=True)
    return proto


def _label_output(g: _Graph, proba: str, shape: list[Any], labels: Optional[ArrayLike],
                  multilabel: bool) -> ValueInfoProto:
    """Nodes computing "label" from the probabilities `proba`; returns its value info."""
    helper, tp = g.onnx.helper, g.onnx.TensorProto
    if multilabel:
        half = g.const("half", np.asarray(0.5))
        above = g.node("Greater", [proba, half], "above_half")
        g.node("Cast", [above], "label", output="label", to=tp.INT64)
        info: ValueInfoProto = helper.make_tensor_value_info("label", tp.INT64, shape)
        return info
    classes = np.asarray(labels)
    if classes.ndim != 1 or len(shape) != 2 or classes.shape[0] != shape[1]:
        raise ValueError(f"to_onnx: labels must be 1-D with one entry per probability column "
                         f"({shape[1] if len(shape) == 2 else '?'}), got shape {classes.shape}")
    if classes.dtype.kind in "iub":
        table, elem = classes.astype(np.int64), tp.INT64
    elif classes.dtype.kind == "f":
        table, elem = classes.astype(np.float64), tp.DOUBLE
    else:  # strings (and objects): ONNX string tensors
        table, elem = np.array([str(c) for c in classes], dtype=object), tp.STRING
    g.inits.append(g.onnx.numpy_helper.from_array(table, name="classes"))
    index = g.node("ArgMax", [proba], "label_index", axis=1, keepdims=0)
    g.node("Gather", ["classes", index], "label", output="label", axis=0)
    info = helper.make_tensor_value_info("label", elem, ["N"])
    return info


def _ir_version_for(onnx: ModuleType, opset: int) -> int:
    """The IR version that goes with `opset` (so older runtimes accept the file)."""
    try:
        from onnx.helper import VERSION_TABLE
        for _release, ir, op, *_ in VERSION_TABLE:
            if op == opset:
                return ir
    except ImportError:  # pragma: no cover - very old onnx
        pass
    newest: int = onnx.IR_VERSION
    return newest


def to_onnx(model: OnnxModel, path: Union[str, os.PathLike[str], None] = None,
            opset: Optional[int] = None, output: Optional[str] = None,
            labels: Optional[ArrayLike] = None, multilabel: bool = False) -> ModelProto:
    """Write `model` as an ONNX graph to `path` (if given); return the onnx.ModelProto.
    `output`, `labels` and `multilabel` as in `build`."""
    proto = build(model, opset=opset, output=output, labels=labels, multilabel=multilabel)
    if path is not None:
        tmp = f"{os.fspath(path)}.tmp"
        with open(tmp, "wb") as f:
            f.write(proto.SerializeToString())
        os.replace(tmp, path)
    return proto
