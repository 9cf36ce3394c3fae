"""Weights to and from PyTorch and scikit-learn's MLP, for every layer both sides have.

    net = nc.Sequential.from_torch(torch_module)   # or nc.from_torch(torch_module)
    torch_module = model.to_torch()
    net = nc.Sequential.from_sklearn(fitted_mlp)   # or nc.from_sklearn(fitted_mlp)
    mlp = model.to_sklearn()                       # a fitted MLPClassifier / MLPRegressor

Dropout(p) <-> torch.nn.Dropout(p) both ways (to_torch returns the module in
PyTorch's default training mode: call .eval() before comparing predictions).
scikit-learn's MLP has no dropout; to_sklearn leaves Dropout layers out, which is
exact for prediction (Dropout is the identity there).

Layouts: nncore's Dense W is (in, out) (the lecture's a = θᵀx), PyTorch's Linear
weight is (out, in), scikit-learn's coefs_[i] is (in, out). What has no
counterpart on the other side (Maxout, Step; PyTorch's BatchNorm, ...; scikit-learn's
mixed activations) is refused with a ValueError naming the layer; PyTorch's
Linear(bias=False) is Dense(bias=False), which scikit-learn gets with zero intercepts;
Dropout is nn.Dropout (left out for scikit-learn: the identity when predicting). Tools
floor: reads a model through its public face (layers, named_parameters) and builds one
through the class it is given.
"""
from __future__ import annotations

from typing import Any, Optional

import numpy as np

from . import layers as L

# PyTorch module class name -> how to read it.
_TORCH_ACTIVATIONS = {"Identity": L.Identity, "Sigmoid": L.Sigmoid, "Tanh": L.Tanh,
                      "ReLU": L.ReLU, "Softmax": L.Softmax}
# scikit-learn activation names <-> nncore layers.
_SK_HIDDEN = {"identity": L.Identity, "logistic": L.Sigmoid, "tanh": L.Tanh, "relu": L.ReLU}
_SK_NAME = {cls.kind: name for name, cls in _SK_HIDDEN.items()}


def _require(module: str, extra: str) -> Any:
    try:
        return __import__(module)
    except ImportError as e:
        raise ImportError(f"this converter needs {module}: pip install {extra}") from e


def _torch_dtype(module: Any) -> Any:
    params = list(module.parameters())
    if not params:
        return np.float32  # PyTorch's default
    return {"torch.float64": np.float64}.get(str(params[0].dtype), np.float32)


# -- PyTorch -------------------------------------------------------------------------

def from_torch(module: Any, cls: Any, seed: Optional[int] = None) -> Any:
    """A `cls` model (nncore.Sequential or nncore.reference.Sequential) with the layers
    and weights of a `torch.nn.Sequential`; dtype float64 if the weights are, else float32."""
    torch = _require("torch", "torch")
    if not isinstance(module, torch.nn.Sequential):
        raise TypeError(f"from_torch: expected a torch.nn.Sequential, got {type(module).__name__}")
    layers: list[L.Layer] = []
    values: dict[str, np.ndarray] = {}
    for i, m in enumerate(module):
        name = type(m).__name__
        if name == "Linear":
            layers.append(L.Dense(m.in_features, m.out_features, bias=m.bias is not None))
            values[f"{i}.W"] = m.weight.detach().cpu().numpy().T
            if m.bias is not None:
                values[f"{i}.b"] = m.bias.detach().cpu().numpy()
        elif name == "LeakyReLU":
            layers.append(L.LeakyReLU(slope=m.negative_slope))
        elif name == "ELU":
            layers.append(L.ELU(alpha=m.alpha))
        elif name == "Dropout":
            layers.append(L.Dropout(p=m.p))
        elif name == "PReLU":
            layers.append(L.PReLU(num_parameters=m.num_parameters))
            values[f"{i}.alpha"] = m.weight.detach().cpu().numpy().reshape(-1)
        elif name in _TORCH_ACTIVATIONS:
            if name == "Softmax" and m.dim not in (1, -1):
                raise ValueError(f"from_torch: layer {i} is Softmax(dim={m.dim}); nncore's "
                                 "Softmax is over the features (dim=1)")
            layers.append(_TORCH_ACTIVATIONS[name]())
        else:
            raise ValueError(f"from_torch: layer {i} ({name}) has no nncore counterpart; "
                             "supported: Linear, Identity, Sigmoid, Tanh, ReLU, LeakyReLU, "
                             "PReLU, ELU, Softmax, Dropout")
    if not layers:
        raise ValueError("from_torch: the Sequential is empty")
    model = cls(*layers, dtype=_torch_dtype(module), seed=seed)
    model.load_state_dict({**model.state_dict(), **values})
    return model


def to_torch(model: Any) -> Any:
    """A `torch.nn.Sequential` computing the same function (weights copied, model dtype)."""
    torch = _require("torch", "torch")
    nn = torch.nn
    params = model.named_parameters()
    tdtype = torch.float64 if model.dtype == np.float64 else torch.float32
    mods = []
    for i, layer in enumerate(model.layers):
        kind = layer.kind
        if kind == "dense":
            lin = nn.Linear(layer.in_features, layer.out_features, bias=layer.bias,
                            dtype=tdtype)
            with torch.no_grad():
                lin.weight.copy_(torch.from_numpy(np.ascontiguousarray(params[f"{i}.W"].T)))
                if layer.bias:
                    lin.bias.copy_(torch.from_numpy(params[f"{i}.b"].copy()))
            mods.append(lin)
        elif kind == "leaky_relu":
            mods.append(nn.LeakyReLU(negative_slope=layer.slope))
        elif kind == "elu":
            mods.append(nn.ELU(alpha=layer.alpha))
        elif kind == "dropout":
            mods.append(nn.Dropout(p=layer.p))
        elif kind == "prelu":
            p = nn.PReLU(num_parameters=layer.num_parameters, dtype=tdtype)
            with torch.no_grad():
                p.weight.copy_(torch.from_numpy(params[f"{i}.alpha"].copy()))
            mods.append(p)
        elif kind == "softmax":
            mods.append(nn.Softmax(dim=1))
        elif kind in ("identity", "sigmoid", "tanh", "relu"):
            mods.append({"identity": nn.Identity, "sigmoid": nn.Sigmoid, "tanh": nn.Tanh,
                         "relu": nn.ReLU}[kind]())
        else:
            raise ValueError(f"to_torch: layer {i} ({layer!r}) has no torch.nn counterpart "
                             "(Maxout, Step and Exp are nncore's own)")
    return nn.Sequential(*mods)


# -- scikit-learn ----------------------------------------------------------------------

def from_sklearn(mlp: Any, cls: Any, seed: Optional[int] = None) -> Any:
    """A `cls` model with the layers and weights of a fitted MLPClassifier/MLPRegressor
    (the network only: label encoding and scaling stay with the estimator)."""
    coefs = getattr(mlp, "coefs_", None)
    if coefs is None:
        raise ValueError("from_sklearn: the estimator is not fitted (no coefs_)")
    if mlp.activation not in _SK_HIDDEN:
        raise ValueError(f"from_sklearn: activation {mlp.activation!r} has no nncore layer")
    layers: list[L.Layer] = []
    values: dict[str, np.ndarray] = {}
    for j, (W, b) in enumerate(zip(coefs, mlp.intercepts_)):
        values[f"{len(layers)}.W"], values[f"{len(layers)}.b"] = W, b
        layers.append(L.Dense(W.shape[0], W.shape[1]))
        if j < len(coefs) - 1:
            layers.append(_SK_HIDDEN[mlp.activation]())
    out = {"logistic": L.Sigmoid, "softmax": L.Softmax, "exp": L.Exp}.get(mlp.out_activation_)
    if out is not None:
        layers.append(out())
    elif mlp.out_activation_ != "identity":
        raise ValueError(f"from_sklearn: output activation {mlp.out_activation_!r} has no "
                         "nncore layer")
    model = cls(*layers, dtype=np.dtype(coefs[0].dtype).type, seed=seed)
    model.load_state_dict(values)
    return model


def to_sklearn(model: Any, classes: Any = None) -> Any:
    """A fitted scikit-learn MLPClassifier (final Sigmoid/Softmax; `classes` default
    0..k−1) or MLPRegressor (no final activation; a final Exp: loss="poisson") with the
    model's weights."""
    _require("sklearn", "scikit-learn")
    from sklearn.neural_network import MLPClassifier, MLPRegressor
    from sklearn.preprocessing import LabelBinarizer

    # Dropout is the identity when predicting: the estimator goes without it.
    kept = [i for i, layer in enumerate(model.layers) if layer.kind != "dropout"]
    kinds = [model.layers[i].kind for i in kept]
    out_kind = kinds[-1] if kinds[-1] in ("sigmoid", "softmax", "exp") else None
    body = kinds[:-1] if out_kind else kinds
    positions = [j for j, k in enumerate(body) if k == "dense"]
    acts = {k for k in body if k != "dense"}
    shape_ok = (positions == list(range(0, len(body), 2)) and len(acts) <= 1
                and body[-1] == "dense")
    if not shape_ok or (acts and next(iter(acts)) not in _SK_NAME):
        raise ValueError(f"to_sklearn: scikit-learn's MLP needs Dense layers with one "
                         f"activation (identity, sigmoid, tanh or relu) between them and an "
                         f"optional final Sigmoid/Softmax/Exp; this model is {kinds}")
    dense = [kept[j] for j in positions]
    params = model.named_parameters()
    coefs = [params[f"{i}.W"].copy() for i in dense]
    # scikit-learn's MLP always adds an intercept: a Dense(bias=False) gets zeros (same function).
    intercepts = [params[f"{i}.b"].copy() if f"{i}.b" in params
                  else np.zeros(params[f"{i}.W"].shape[1], dtype=params[f"{i}.W"].dtype)
                  for i in dense]
    hidden = tuple(c.shape[1] for c in coefs[:-1])
    activation = _SK_NAME[next(iter(acts))] if acts else "relu"
    n_out = coefs[-1].shape[1]
    if out_kind in (None, "exp"):
        est = MLPRegressor(hidden_layer_sizes=hidden, activation=activation,
                           loss="poisson" if out_kind else "squared_error")
        est.out_activation_ = "exp" if out_kind else "identity"
    else:
        est = MLPClassifier(hidden_layer_sizes=hidden, activation=activation)
        est.out_activation_ = "logistic" if out_kind == "sigmoid" else "softmax"
        multilabel = out_kind == "sigmoid" and n_out > 1
        if classes is None:
            classes = np.arange(2 if n_out == 1 else n_out)
        classes = np.asarray(classes)
        if len(classes) != (2 if n_out == 1 else n_out):
            raise ValueError(f"to_sklearn: {n_out} outputs do not fit classes {classes!r}")
        # Multi-label estimators keep an indicator-matrix binarizer (classes 0..L−1).
        est._label_binarizer = LabelBinarizer().fit(
            np.eye(n_out, dtype=int) if multilabel else classes)
        est.classes_ = est._label_binarizer.classes_
    est.coefs_, est.intercepts_ = coefs, intercepts
    est.n_features_in_ = coefs[0].shape[0]
    est.n_layers_ = len(coefs) + 1
    est.n_outputs_ = n_out
    est.n_iter_ = est.t_ = 0
    return est
