"""The computational graph of a real model: `model.graph(X, y, loss=...)`.

Uses only the model's public face (layers, named_parameters, loss_and_grad),
so it serves `nncore.Sequential` and `nncore.reference.Sequential` alike and
imports neither.
"""
from __future__ import annotations

from typing import NoReturn, Optional, Protocol, Sequence, cast

import numpy as np
from numpy.typing import ArrayLike

from ..checks import FloatArray
from ..fit_args import Targets
from ..layers import ELU, Dropout, Layer, LeakyReLU, PReLU
from .engine import Array, Backward, Forward, Graph, LossModel, Node


class GraphModel(LossModel, Protocol):
    """What build_graph reads of a model: nncore.Sequential or nncore.reference.Sequential."""

    @property
    def layers(self) -> Sequence[Layer]: ...
    @property
    def n_outputs(self) -> int: ...
    def state_dict(self) -> dict[str, FloatArray]: ...
    def _check_targets(self, X: ArrayLike, y: ArrayLike, loss: str, l1: float, l2: float,
                       fn: str) -> Targets: ...


# -- the operations -----------------------------------------------------------------------

def _sigmoid(a: Array) -> Array:
    e = np.exp(-np.abs(a))
    return np.where(a >= 0, 1 / (1 + e), e / (1 + e))


def _softmax(a: Array) -> Array:
    e = np.exp(a - a.max(axis=1, keepdims=True))
    h: Array = e / e.sum(axis=1, keepdims=True)
    return h


def _activation(kind: str, layer: Layer) -> tuple[Forward, Backward, str, str]:
    """(forward(a), backward(g, h, a), text of h, text of h') with "{a}" for the input."""
    if kind == "identity":
        return (lambda a: a), (lambda g, h, a: [g]), "{a}", "1"
    if kind == "sigmoid":
        return _sigmoid, (lambda g, h, a: [g * h * (1 - h)]), "σ({a})", "σ({a})(1 − σ({a}))"
    if kind == "tanh":
        return np.tanh, (lambda g, h, a: [g * (1 - h * h)]), "tanh({a})", "(1 − tanh²({a}))"
    if kind == "relu":
        return ((lambda a: np.maximum(a, 0)), (lambda g, h, a: [np.where(a > 0, g, 0.0)]),
                "max(0, {a})", "[{a} > 0]")
    if kind == "leaky_relu":
        s = cast(LeakyReLU, layer).slope  # the layer of kind 'leaky_relu'
        return ((lambda a: np.where(a > 0, a, s * a)),
                (lambda g, h, a: [np.where(a > 0, g, s * g)]),
                f"max({s:g}·{{a}}, {{a}})", f"(1 if {{a}} > 0 else {s:g})")
    if kind == "elu":
        al = cast(ELU, layer).alpha  # the layer of kind 'elu'
        return ((lambda a: np.where(a > 0, a, al * np.expm1(np.minimum(a, 0)))),
                (lambda g, h, a: [np.where(a > 0, g, g * al * np.exp(np.minimum(a, 0)))]),
                f"ELU({{a}}; α={al:g})", "(1 if {a} > 0 else α·exp({a}))")
    if kind == "step":
        def no_grad(g: Array, h: Array, a: Array) -> NoReturn:
            raise ValueError("Graph.backward: Step has no gradient (its derivative is 0 or "
                             "undefined); use Sigmoid or Tanh to train")
        return (lambda a: (a > 0).astype(np.float64)), no_grad, "step({a})", "(no gradient)"
    if kind == "softmax":
        def back(g: Array, h: Array, a: Array) -> list[Array]:
            return [h * (g - (g * h).sum(axis=1, keepdims=True))]
        return _softmax, back, "softmax({a})", ""
    if kind == "exp":
        return np.exp, (lambda g, h, a: [g * h]), "exp({a})", "exp({a})"
    raise ValueError(f"Graph: no graph operation for layer kind {kind!r}")


def build_graph(model: GraphModel, X: ArrayLike, y: ArrayLike, loss: str = "mse", l1: float = 0.0,
                l2: float = 0.0) -> Graph:
    """The computational graph of `model` on (X, y): what `model.graph(...)` returns.

    Nodes, for Dense layer k (counting Dense/Maxout layers from 1):
        mk = h(k−1)·Wk      (matmul; h0 = x)
        ak = mk + bk        (bias add; Dense(bias=False): ak = h(k−1)·Wk, no bk node)
        hk = σ(ak)          (the activation that follows, if any)
    (a Dropout layer is an identity node: the graph is that of L at inference, as
    `model.loss` without training=True), then J = loss(ŷ, c), and with a penalty: sqk = Σ Wk² (l2), absk = Σ |Wk| (l1),
    P = λ₂·Σ sq + λ₁·Σ abs, and L = J + P. Values are computed on the spot;
    call `backward()` for the gradients.
    """
    fn = "graph"
    Xc, Y, labels, loss, l1, l2 = model._check_targets(X, y, loss, l1, l2, fn)
    params = {k: np.asarray(v, dtype=np.float64) for k, v in model.state_dict().items()}
    if labels is not None:
        Y = np.zeros((labels.shape[0], model.n_outputs))
        Y[np.arange(labels.shape[0]), labels] = 1.0
    g = Graph(title=f"{type(model).__name__}: {' → '.join(repr(l) for l in model.layers)}, "
                    f"loss={loss}" + (f", l1={l1:g}" if l1 else "") + (f", l2={l2:g}" if l2 else ""))
    h = g.leaf("x", Xc.astype(np.float64), op="input", requires_grad=False)
    g.model = model
    g.loss_name, g.l1, g.l2 = loss, l1, l2
    weights: list[Node] = []
    k = 0
    layers = model.layers
    for i, layer in enumerate(layers):
        if layer.kind == "dense":
            k += 1
            W = g.leaf(f"W{k}", params[f"{i}.W"], op="param", param=f"{i}.W")
            weights.append(W)
            has_bias = getattr(layer, "bias", True)
            # Without a bias (Dense(bias=False)) the product is the pre-activation itself.
            m_name = f"m{k}" if has_bias else f"a{k}"
            m = g.op(m_name, "matmul", [h, W], lambda x, w: x @ w,
                     lambda gr, out, x, w: [gr @ w.T, x.T @ gr],
                     formula=f"{m_name} = {h.name}·W{k}",
                     rules=[f"∂L/∂{h.name} = ∂L/∂{m_name} · W{k}ᵀ",
                            f"∂L/∂W{k} = {h.name}ᵀ · ∂L/∂{m_name}"
                            "   (outer products summed over rows)"])
            if not has_bias:
                h = m
                continue
            b = g.leaf(f"b{k}", params[f"{i}.b"], op="param", param=f"{i}.b")
            h = g.op(f"a{k}", "add_bias", [m, b], lambda mm, bb: mm + bb,
                     lambda gr, out, mm, bb: [gr, gr.sum(axis=0)],
                     formula=f"a{k} = m{k} + b{k}",
                     rules=[f"∂L/∂m{k} = ∂L/∂a{k}", f"∂L/∂b{k} = Σ_rows ∂L/∂a{k}"])
        elif layer.kind == "maxout":
            k += 1
            W = g.leaf(f"W{k}", params[f"{i}.W"], op="param", param=f"{i}.W")
            b = g.leaf(f"b{k}", params[f"{i}.b"], op="param", param=f"{i}.b")
            weights.append(W)

            def mo_fwd(x: Array, w: Array, bb: Array) -> Array:
                pieces = np.stack([x @ w[j] + bb[j] for j in range(w.shape[0])])
                h: Array = pieces.max(axis=0)
                return h

            def mo_bwd(gr: Array, out: Array, x: Array, w: Array, bb: Array) -> list[Array]:
                pieces = np.stack([x @ w[j] + bb[j] for j in range(w.shape[0])])
                win = np.argmax(pieces, axis=0)
                gx, gw, gb = np.zeros_like(x), np.zeros_like(w), np.zeros_like(bb)
                for j in range(w.shape[0]):
                    dj = np.where(win == j, gr, 0.0)
                    gw[j] = x.T @ dj
                    gb[j] = dj.sum(axis=0)
                    gx += dj @ w[j].T
                return [gx, gw, gb]
            h = g.op(f"h{k}", "maxout", [h, W, b], mo_fwd, mo_bwd,
                     formula=f"h{k} = max_j ({h.name}·W{k}[j] + b{k}[j])",
                     rules=[f"∂L/∂{h.name} = Σ_j [j wins] ∂L/∂h{k} · W{k}[j]ᵀ",
                            f"∂L/∂W{k}[j] = {h.name}ᵀ · ([j wins] ∂L/∂h{k})",
                            f"∂L/∂b{k}[j] = Σ_rows [j wins] ∂L/∂h{k}"])
        else:
            last = i == len(layers) - 1
            name = "y_hat" if last else f"h{k}"
            while name in g._names:  # an activation after an activation (or Maxout)
                name += "'"
            if layer.kind == "dropout":
                # The graph is that of model.loss (inference): Dropout passes h on unchanged.
                p = cast(Dropout, layer).p  # the layer of kind 'dropout'
                src = h.name
                h = g.op(name, "dropout", [h], lambda a: a, lambda gr, out, a: [gr],
                         formula=f"{name} = {src}   (Dropout(p={p:g}): the identity at inference)",
                         rules=[f"∂L/∂{src} = ∂L/∂{name}"])
            elif layer.kind == "prelu":
                alpha = g.leaf(f"alpha{k}", params[f"{i}.alpha"], op="param", param=f"{i}.alpha")
                shared = cast(PReLU, layer).num_parameters == 1  # the layer of kind 'prelu'

                def pr_fwd(a: Array, al: Array) -> Array:
                    return np.where(a > 0, a, al * a)

                def pr_bwd(gr: Array, out: Array, a: Array, al: Array,
                           shared: bool = shared) -> list[Array]:
                    per_unit = (gr * np.minimum(a, 0)).sum(axis=0)
                    ga = per_unit.sum(keepdims=True) if shared else per_unit
                    return [np.where(a > 0, gr, al * gr), ga]
                h = g.op(name, "prelu", [h, alpha], pr_fwd, pr_bwd,
                         formula=f"{name} = max(α·{h.name}, {h.name})",
                         rules=[f"∂L/∂{h.name} = ∂L/∂{name} ⊙ (1 if a > 0 else α)",
                                f"∂L/∂alpha{k} = Σ ∂L/∂{name} ⊙ min({h.name}, 0)"])
            else:
                fwd, bwd, text, dtext = _activation(layer.kind, layer)
                src = h.name
                h = g.op(name, layer.kind, [h], lambda a, f=fwd: f(a),
                         lambda gr, out, a, b=bwd: b(gr, out, a),
                         formula=f"{name} = " + text.format(a=src),
                         rules=[f"∂L/∂{src} = ∂L/∂{name} ⊙ " + dtext.format(a=src)
                                if layer.kind != "softmax" else
                                f"∂L/∂{src} = (diag({name}) − {name}{name}ᵀ) ∂L/∂{name} per row"])
    out = h
    assert Y is not None  # check_y returns targets or labels (made one-hot above)
    c = g.leaf("c", Y.astype(np.float64), op="target", requires_grad=False)
    J = _loss_node(g, loss, out, c)
    if weights and (l1 or l2):
        terms: list[Node] = []
        coefs: list[float] = []
        for W in weights:
            kk = W.name[1:]
            if l2:
                terms.append(g.op(f"sq{kk}", "sqsum", [W], lambda w: np.sum(w * w),
                                  lambda gr, out, w: [2 * gr * w],
                                  formula=f"sq{kk} = Σ W{kk}²",
                                  rules=[f"∂L/∂W{kk} += ∂L/∂sq{kk} · 2W{kk}"]))
                coefs.append(l2)
            if l1:
                terms.append(g.op(f"abs{kk}", "abssum", [W], lambda w: np.sum(np.abs(w)),
                                  lambda gr, out, w: [gr * np.sign(w)],
                                  formula=f"abs{kk} = Σ |W{kk}|",
                                  rules=[f"∂L/∂W{kk} += ∂L/∂abs{kk} · sign(W{kk})"]))
                coefs.append(l1)
        cf = np.array(coefs)
        parts = " + ".join(f"{cc:g}·{t.name}" for cc, t in zip(coefs, terms))
        P = g.op("P", "penalty", terms, lambda *u, cf=cf: float(np.dot(cf, u)),
                 lambda gr, out, *u, cf=cf: [gr * cc for cc in cf],
                 formula=f"P = {parts}",
                 rules=[f"∂L/∂{t.name} = ∂L/∂P · {cc:g}" for cc, t in zip(coefs, terms)])
        g.op("L", "total", [J, P], lambda j, p: j + p, lambda gr, out, j, p: [gr, gr],
             formula="L = J + P", rules=["∂L/∂J = 1", "∂L/∂P = 1"])
    return g


def _loss_node(g: Graph, loss: str, out: Node, c: Node) -> Node:
    node = _loss_node_y(g, loss, out, c)
    node.formula = node.formula.replace("y_hat", out.name)
    node.rules = [r.replace("y_hat", out.name) for r in node.rules]
    return node


def _loss_node_y(g: Graph, loss: str, out: Node, c: Node) -> Node:
    assert out.value is not None  # every node of a built graph has a value
    n = out.value.shape[0]
    if loss == "mse":
        return g.op("J", "loss", [out, c], lambda h, cc: np.sum((h - cc) ** 2) / (2 * n),
                    lambda gr, v, h, cc: [gr * (h - cc) / n, None],
                    formula="J = 1/(2m) Σ (y_hat − c)²", rules=["∂L/∂y_hat = ∂L/∂J · (y_hat − c)/m"])
    if loss == "mse_mean":
        size = out.value.size
        return g.op("J", "loss", [out, c], lambda h, cc: np.sum((h - cc) ** 2) / size,
                    lambda gr, v, h, cc: [gr * 2 * (h - cc) / size, None],
                    formula="J = mean (y_hat − c)²", rules=["∂L/∂y_hat = ∂L/∂J · 2(y_hat − c)/(m·out)"])
    # bce / ce: computed from the logits z (the input of the final Sigmoid/Softmax), as the
    # model does; the gradient skips σ'/softmax' with ∂J/∂z = (y_hat − c)/m (fused_input_grad).
    logits = out.inputs[0]
    if loss == "bce":
        size = out.value.size

        def bce_fwd(h: Array, cc: Array) -> float:
            z = logits.value
            assert z is not None  # every node of a built graph has a value
            J: float = np.sum(np.maximum(z, 0) - cc * z + np.log1p(np.exp(-np.abs(z)))) / size
            return J

        def bce_bwd(gr: Array, v: Array, h: Array, cc: Array) -> list[Optional[Array]]:
            out.fused_input_grad = gr * (h - cc) / size
            with np.errstate(divide="ignore", invalid="ignore"):
                return [gr * (h - cc) / (h * (1 - h) * size), None]
        return g.op("J", "loss", [out, c], bce_fwd, bce_bwd,
                    formula="J = −mean[c log y_hat + (1 − c) log(1 − y_hat)]",
                    rules=["∂L/∂y_hat = ∂L/∂J · (y_hat − c)/(y_hat(1 − y_hat)·m);  through σ: ∂L/∂z = (y_hat − c)/m"])

    if loss == "poisson":
        def poisson_fwd(h: Array, cc: Array) -> float:
            z = logits.value
            assert z is not None  # every node of a built graph has a value
            clogc = np.where(cc > 0, cc * np.log(np.where(cc > 0, cc, 1.0)), 0.0)
            J: float = np.sum(clogc - cc * z - cc + np.exp(z)) / n
            return J

        def poisson_bwd(gr: Array, v: Array, h: Array, cc: Array) -> list[Optional[Array]]:
            out.fused_input_grad = gr * (h - cc) / n
            return [gr * (1 - cc / h) / n, None]
        return g.op("J", "loss", [out, c], poisson_fwd, poisson_bwd,
                    formula="J = 1/m Σ (c log(c/y_hat) − c + y_hat)",
                    rules=["∂L/∂y_hat = ∂L/∂J · (1 − c/y_hat)/m;  through exp: ∂L/∂z = (y_hat − c)/m"])

    def ce_fwd(h: Array, cc: Array) -> float:
        z = logits.value
        assert z is not None  # every node of a built graph has a value
        zmax = z.max(axis=1, keepdims=True)
        lse = zmax + np.log(np.exp(z - zmax).sum(axis=1, keepdims=True))
        J: float = np.sum(cc * (lse - z)) / n
        return J

    def ce_bwd(gr: Array, v: Array, h: Array, cc: Array) -> list[Optional[Array]]:
        out.fused_input_grad = gr * (h * cc.sum(axis=1, keepdims=True) - cc) / n
        with np.errstate(divide="ignore", invalid="ignore"):
            return [np.where(cc != 0, -gr * cc / (h * n), 0.0), None]
    return g.op("J", "loss", [out, c], ce_fwd, ce_bwd, formula="J = −1/m Σ c log y_hat",
                rules=["∂L/∂y_hat = −∂L/∂J · c/(y_hat·m);  through softmax: ∂L/∂z = (y_hat − c)/m"])
