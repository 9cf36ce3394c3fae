"""Section 1 — XOR (lecture "Beispiel: XOR").

    f(x; W, c, w, b) = wᵀ step(Wᵀx + c) + b,  W = [[1,1],[1,1]], c = [−0.5, −1.5],
    w = [1, −1], b = 0  gives  [0, 1, 1, 0]  on X = [[0,0],[0,1],[1,0],[1,1]].

`xor_by_hand()` runs exactly that network as an `nncore.Sequential`
(Dense → Step → Dense) and returns every intermediate matrix of the slide;
`xor_learned()` learns XOR from random weights with a smooth activation (tanh)
and returns the learned hidden representation, which is linearly separable.
"""
from __future__ import annotations

from types import ModuleType
from typing import TYPE_CHECKING, Callable, Literal, TypedDict

import numpy as np
from numpy.typing import NDArray

import nncore as nc

from ._report import Context, fmt_matrix, side_by_side
from .data import Float64Array, FloatingArray, xor_data

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

W_HAND = np.array([[1.0, 1.0], [1.0, 1.0]])
C_HAND = np.array([-0.5, -1.5])
W_OUT_HAND = np.array([[1.0], [-1.0]])
B_HAND = np.array([0.0])

# The slide's matrices by name ("XW+c" onwards computed by the network "model").
XorByHand = TypedDict("XorByHand", {
    "X": Float64Array, "W": Float64Array, "c": Float64Array, "w": Float64Array, "b": float,
    "XW": Float64Array, "XW+c": FloatingArray, "step(XW+c)": FloatingArray,
    "output": FloatingArray, "model": "nc.Sequential"})

HiddenActivation = Literal["tanh", "sigmoid", "relu", "leaky_relu", "elu"]
XorOptimizer = Literal["adam", "momentum", "sgd"]
HIDDEN_ACTIVATIONS = {"tanh": nc.Tanh, "sigmoid": nc.Sigmoid, "relu": nc.ReLU,
                      "leaky_relu": nc.LeakyReLU, "elu": nc.ELU}


class XorLearned(TypedDict):
    model: nc.Sequential
    probabilities: FloatingArray     # p(y = 1) per point, (4,)
    predictions: NDArray[np.int_]    # 0/1, (4,)
    accuracy: float
    hidden: FloatingArray            # the learned representation h, (4, hidden)
    loss: float
    epochs: int
    activation: HiddenActivation
    seed: int


class XorSummary(TypedDict):
    output: list[float]
    learned_accuracy: float
    learned_predictions: list[int]
    failed_seeds: list[int]          # of seeds 0–29, those where xor_learned() fails


def xor_by_hand() -> XorByHand:
    """The lecture's hand-made 2-2-1 step network, step by step.

    Returns {"X", "W", "c", "w", "b", "XW", "XW+c", "step(XW+c)", "output", "model"}:
    matrices as on the slide; "output" is the network's prediction (4,).
    """
    X, _ = xor_data()
    model = nc.Sequential(nc.Dense(2, 2), nc.Step(), nc.Dense(2, 1), seed=0)
    p = model.named_parameters()
    p["0.W"][...] = W_HAND
    p["0.b"][...] = C_HAND
    p["2.W"][...] = W_OUT_HAND
    p["2.b"][...] = B_HAND
    pre, hidden, out = model.forward_trace(X)  # XW + c, step(XW + c), wᵀ·step(...) + b
    return {"X": X, "W": W_HAND, "c": C_HAND, "w": W_OUT_HAND.ravel(), "b": float(B_HAND[0]),
            "XW": X @ W_HAND, "XW+c": np.asarray(pre), "step(XW+c)": np.asarray(hidden),
            "output": np.asarray(out).ravel(), "model": model}


def xor_learned(hidden: int = 2, activation: HiddenActivation = "tanh", seed: int = 0,
                epochs: int = 300, lr: float = 0.1, optimizer: XorOptimizer = "adam",
                init: str | None = None) -> XorLearned:
    """Learn XOR from random initialisation: 2-hidden-1 net, `activation` hidden layer,
    sigmoid output, BCE, full-batch `optimizer` ("adam"; "momentum": the lecture's
    moving-average form, γ 0.9; "sgd"), hidden weights drawn by `init` (None: the
    library's default for the activation). Returns {"model", "probabilities",
    "predictions", "accuracy", "hidden" (the learned representation h, (4, hidden)),
    "loss", "epochs"}. Whether it succeeds depends on the seed: see lecture.local_minima."""
    X, y = xor_data()
    act = HIDDEN_ACTIVATIONS[activation]
    model = nc.Sequential(nc.Dense(2, hidden, init=init), act(), nc.Dense(hidden, 1),
                          nc.Sigmoid(), seed=seed)
    makers: dict[str, Callable[[], nc.Optimizer]] = {
        "adam": lambda: nc.Adam(lr=lr), "momentum": lambda: nc.Momentum(lr=lr, gamma=0.9),
        "sgd": lambda: nc.SGD(lr=lr)}
    opt = makers[optimizer]()
    hist = model.fit(X, y, loss="bce", optimizer=opt, epochs=epochs, batch_size=4,
                     shuffle=False, verbose=0)
    prob = model.predict(X).ravel()
    pred = (prob > 0.5).astype(int)
    h = np.asarray(model.forward_trace(X)[1])
    return {"model": model, "probabilities": prob, "predictions": pred,
            "accuracy": float(np.mean(pred == y)), "hidden": h,
            "loss": float(hist.history["loss"][-1]), "epochs": epochs,
            "activation": activation, "seed": seed}


def run(ctx: Context) -> XorSummary:
    ctx.heading(1, "XOR by hand, then learned")
    r = xor_by_hand()
    ctx.say("  f(x) = wᵀ step(Wᵀx + c) + b  with  W = [[1,1],[1,1]], c = [−0.5, −1.5], "
            "w = [1, −1], b = 0", "")
    ctx.say(*["  " + l for l in side_by_side([
        ("X", fmt_matrix(r["X"], 0)), ("XW", fmt_matrix(r["XW"], 0)),
        ("XW + c", fmt_matrix(r["XW+c"], 1)), ("step(XW + c)", fmt_matrix(r["step(XW+c)"], 0)),
        ("wᵀ step(XW + c) + b", fmt_matrix(r["output"][:, None], 0))])])
    out = r["output"]
    ctx.say("", f"  output {out.astype(int).tolist()}  (XOR: [0, 1, 1, 0]) -> "
            f"{'exact' if np.array_equal(out, [0, 1, 1, 0]) else 'WRONG'}")
    ctx.say("  reading: h1 = step(x1 + x2 − 0.5) = x1 OR x2,  h2 = step(x1 + x2 − 1.5) = "
            "x1 AND x2,  y = h1 − h2 = (x1 OR x2) AND NOT (x1 AND x2)")

    L = xor_learned()
    ctx.sub(f"XOR learned from random weights: 2-2-1, tanh hidden layer, sigmoid output, "
            f"BCE, Adam lr 0.1, {L['epochs']} full-batch epochs, seed {L['seed']}",
            de=f"XOR aus zufälligen Startgewichten gelernt: 2-2-1, tanh in der versteckten "
               f"Schicht, Sigmoid-Output, BCE, Adam lr 0.1, {L['epochs']} Epochen über alle "
               f"Punkte, Seed {L['seed']}")
    ctx.table(["x", "p(y=1)", "predicted", "target", "hidden h = tanh(xW + c)"],
              [(str(x.astype(int).tolist()), f"{p:.3f}", int(pr), int(t),
                "[" + ", ".join(f"{v:+.3f}" for v in hh) + "]")
               for x, p, pr, t, hh in zip(r["X"], L["probabilities"], L["predictions"],
                                          xor_data()[1], L["hidden"])])
    ctx.say(f"  accuracy {100 * L['accuracy']:.0f} %, final loss {L['loss']:.4f}; in the hidden "
            "space the two classes are separated by one straight line (the picture)")
    seeds = range(30)
    failed = [s for s in seeds if xor_learned(seed=s)["accuracy"] < 1.0]
    ctx.say(f"  but seed {L['seed']} is one seed: of seeds 0–29, {len(failed)} get stuck in a "
            "local minimum with this network (section 10 shows why and what helps)")
    summary: XorSummary = {"output": out.tolist(), "learned_accuracy": L["accuracy"],
                           "learned_predictions": L["predictions"].tolist(),
                           "failed_seeds": failed}
    ctx.results["xor"] = summary
    if ctx.can_plot("01_xor_representation.png", "XOR: input space and hidden representations"):
        ctx.save(plot_xor(r, L, ctx.pyplot()), "01_xor_representation.png",
                 "XOR: input space, hand-made and learned hidden representations")
    return summary


def plot_xor(hand: XorByHand, learned: XorLearned, plt: ModuleType) -> Figure:
    X, y = xor_data()
    model = learned["model"]
    fig: Figure
    fig, axes = plt.subplots(1, 3, figsize=(14, 4.4))

    def points(ax: Axes, P: FloatingArray, annotate: bool = True) -> None:
        for cls, col, lab in ((0, "tab:blue", "XOR = 0"), (1, "tab:red", "XOR = 1")):
            sel = y == cls
            ax.scatter(P[sel, 0], P[sel, 1], s=140, c=col, edgecolor="k", zorder=3, label=lab)
        if annotate:  # one label per spot; points that coincide share it
            done: list[int] = []
            for i, p in enumerate(P):
                if any(np.linalg.norm(p - P[j]) < 0.08 for j in done):
                    continue
                same = [j for j in range(len(P)) if np.linalg.norm(p - P[j]) < 0.08]
                done.append(i)
                text = " & ".join(f"({X[j, 0]:.0f},{X[j, 1]:.0f})" for j in same)
                right = p[0] > 0.9  # keep labels inside the axes
                ax.annotate("x=" + text, p, textcoords="offset points",
                            xytext=(-9 if right else 9, -16), ha="right" if right else "left",
                            fontsize=8)

    # input space with the learned decision regions
    ax = axes[0]
    g = np.linspace(-0.5, 1.5, 200)
    G1, G2 = np.meshgrid(g, g)
    P = model.predict(np.c_[G1.ravel(), G2.ravel()]).reshape(G1.shape)
    ax.contourf(G1, G2, P, levels=[0, 0.5, 1], colors=["#cfe0f3", "#f6d0cd"], alpha=0.9)
    ax.contour(G1, G2, P, levels=[0.5], colors="k", linewidths=1.2)
    points(ax, X)
    ax.set(title="Input space: no single line separates XOR\n(shaded: learned network's decision)",
           xlabel="x1", ylabel="x2", xlim=(-0.5, 1.5), ylim=(-0.5, 1.5))
    ax.legend(loc="upper center", fontsize=8)

    # hand-made step representation
    ax = axes[1]
    H = hand["step(XW+c)"]
    jitter = np.array([[0, 0], [-0.04, 0.04], [0.04, -0.04], [0, 0]])
    points(ax, H + jitter, annotate=False)
    for (x1, x2), p in zip(X.astype(int), H + jitter):
        ax.annotate(f"x=({x1},{x2})", p, textcoords="offset points", xytext=(8, 6), fontsize=8)
    hh = np.linspace(-0.3, 1.3, 10)
    ax.plot(hh, hh - 0.5, "k--", lw=1.2, label="h1 − h2 = 0.5 (output threshold)")
    ax.set(title="Hand-made step network: h = step(XW + c)\n(0,1) and (1,0) land on the same point",
           xlabel="h1 = x1 OR x2", ylabel="h2 = x1 AND x2", xlim=(-0.3, 1.3), ylim=(-0.3, 1.3))
    ax.legend(loc="upper left", fontsize=8)

    # learned tanh representation with the output layer's line
    ax = axes[2]
    H = learned["hidden"]
    points(ax, H)
    p = model.named_parameters()
    w, b = p["2.W"].ravel(), float(p["2.b"][0])
    lim = 1.3
    t = np.linspace(-lim, lim, 10)
    if abs(w[1]) > 1e-12:
        ax.plot(t, -(w[0] * t + b) / w[1], "k--", lw=1.2, label="output layer: wᵀh + b = 0")
    else:
        ax.axvline(-b / w[0], color="k", ls="--", lw=1.2, label="output layer: wᵀh + b = 0")
    ax.set(title="Learned representation h = tanh(XW + c)\nlinearly separable",
           xlabel="hidden unit 1", ylabel="hidden unit 2", xlim=(-lim, lim), ylim=(-lim, lim))
    ax.legend(loc="lower right", fontsize=8)
    fig.suptitle("Section 1 — XOR: learning a linearly separable representation", y=1.02)
    fig.tight_layout()
    return fig
