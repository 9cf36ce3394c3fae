"""The page's settings, checked on the server, and the nncore objects they stand for.

The page sends JSON like
    {"data": {"name": "xor", "noise": 0.0, "seed": 0},
     "network": {"hidden": [{"width": 4, "activation": "tanh"}], "output": "sigmoid",
                 "init": "default", "init_value": 0.5, "seed": 0},
     "training": {"optimizer": "adam", "lr": 0.03, "gamma": 0.9, "batch_size": 10,
                  "l1": 0.0, "l2": 0.0, "decay_every": 0, "decay_gamma": 0.5,
                  "epochs_per_update": 1}}
Every field is checked with nncore's own checks plus the playground's bounds
(LIMITS), so a bad request is a ValueError/TypeError that names the field, the
bound and the value; nothing is built before everything is checked.
"""
from __future__ import annotations

import numbers
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

from .. import init as nc_init
from ..checks import real
from ..layers import (ELU, Dense, Layer, LeakyReLU, Maxout, PReLU, ReLU, Sigmoid, Softmax,
                      Tanh)
from ..optim import SGD, Adam, Momentum, Optimizer, RMSprop
from ..schedules import StepDecay
from .datasets import DATASETS, DEFAULT_NOISE

# The bounds of what one browser tab may ask for (TensorFlow Playground allows 6 layers of 8).
LIMITS: Dict[str, Any] = {
    "hidden_layers": (0, 6), "width": (1, 32), "noise": (0.0, 1.0), "seed": (0, 2**31 - 1),
    "lr": (1e-6, 10.0), "batch_size": (1, 1000), "penalty": (0.0, 1.0),
    "decay_every": (0, 100000), "epochs_per_update": (1, 100), "init_value": (-10.0, 10.0),
}
ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu", "prelu", "elu", "maxout", "linear")
OUTPUTS = ("sigmoid", "softmax")
OPTIMIZERS = ("gd", "momentum", "rmsprop", "adam")
INITS = ("default", "glorot_uniform", "glorot_normal", "he_normal", "he_uniform", "normal",
         "uniform", "zeros", "constant")

OWNER = "playground"


def _section(obj: Any, name: str) -> Dict[str, Any]:
    if obj is None:
        return {}
    if not isinstance(obj, dict):
        raise TypeError(f"{OWNER}: {name} must be a JSON object, got {type(obj).__name__}")
    return obj


def _known(obj: Dict[str, Any], allowed: Tuple[str, ...], name: str) -> None:
    extra = sorted(set(obj) - set(allowed))
    if extra:
        raise ValueError(f"{OWNER}: unknown field(s) {extra} in {name}; known: {list(allowed)}")


def _choice(value: Any, choices: Tuple[str, ...], name: str) -> str:
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"{OWNER}: {name} must be one of {list(choices)}, got {value!r}")
    return value


def _int_in(value: Any, bounds: Tuple[int, int], name: str) -> int:
    lo, hi = bounds
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) \
            or not lo <= int(value) <= hi:
        raise ValueError(f"{OWNER}: {name} must be an integer in {lo}..{hi}, got {value!r}")
    return int(value)


def _real_in(value: Any, bounds: Tuple[float, float], name: str) -> float:
    v = float(real(value, OWNER, name))
    lo, hi = bounds
    if not lo <= v <= hi:
        raise ValueError(f"{OWNER}: {name} must be in [{lo:g}, {hi:g}], got {value!r}")
    return v


@dataclass(frozen=True)
class DataConfig:
    name: str = "moons"
    noise: float = 0.1
    seed: int = 3

    @classmethod
    def parse(cls, obj: Any) -> "DataConfig":
        d = _section(obj, "data")
        _known(d, ("name", "noise", "seed"), "data")
        name = _choice(d.get("name", "moons"), tuple(DATASETS), "data.name")
        return cls(name, _real_in(d.get("noise", DEFAULT_NOISE[name]), LIMITS["noise"], "data.noise"),
                   _int_in(d.get("seed", 3), LIMITS["seed"], "data.seed"))


@dataclass(frozen=True)
class HiddenLayer:
    width: int
    activation: str


@dataclass(frozen=True)
class NetworkConfig:
    hidden: Tuple[HiddenLayer, ...] = (HiddenLayer(10, "tanh"),)
    output: str = "sigmoid"
    init: str = "default"
    init_value: float = 0.5
    seed: int = 0

    @classmethod
    def parse(cls, obj: Any) -> "NetworkConfig":
        d = _section(obj, "network")
        _known(d, ("hidden", "output", "init", "init_value", "seed"), "network")
        raw = d.get("hidden", [{"width": 10, "activation": "tanh"}])
        if not isinstance(raw, list):
            raise TypeError(f"{OWNER}: network.hidden must be a list of layers, got {raw!r:.80}")
        lo, hi = LIMITS["hidden_layers"]
        if not lo <= len(raw) <= hi:
            raise ValueError(f"{OWNER}: network.hidden must have {lo}..{hi} layers, "
                             f"got {len(raw)}")
        hidden = []
        for i, layer in enumerate(raw):
            where = f"network.hidden[{i}]"
            layer = _section(layer, where)
            _known(layer, ("width", "activation"), where)
            hidden.append(HiddenLayer(
                _int_in(layer.get("width"), LIMITS["width"], f"{where}.width"),
                _choice(layer.get("activation", "tanh"), ACTIVATIONS, f"{where}.activation")))
        return cls(tuple(hidden), _choice(d.get("output", "sigmoid"), OUTPUTS, "network.output"),
                   _choice(d.get("init", "default"), INITS, "network.init"),
                   _real_in(d.get("init_value", 0.5), LIMITS["init_value"], "network.init_value"),
                   _int_in(d.get("seed", 0), LIMITS["seed"], "network.seed"))

    @property
    def loss(self) -> str:
        return "bce" if self.output == "sigmoid" else "ce"

    def _init(self) -> Any:
        if self.init == "default":
            return None          # nncore's default: He before ReLU-like layers, Glorot else
        if self.init == "constant":
            return nc_init.constant(self.init_value)
        return self.init

    def layers(self) -> List[Layer]:
        """The nncore layer specs: Dense + activation per hidden layer (Maxout is both)."""
        init = self._init()
        out: List[Layer] = []
        width_in = 2
        for h in self.hidden:
            if h.activation == "maxout":
                out.append(Maxout(width_in, h.width, k=2, init=init))
            else:
                out.append(Dense(width_in, h.width, init=init))
                act = {"sigmoid": Sigmoid, "tanh": Tanh, "relu": ReLU, "leaky_relu": LeakyReLU,
                       "prelu": PReLU, "elu": ELU}.get(h.activation)
                if act is not None:          # "linear": no activation layer
                    out.append(act())
            width_in = h.width
        n_out = 1 if self.output == "sigmoid" else 2
        out.append(Dense(width_in, n_out, init=init))
        out.append(Sigmoid() if self.output == "sigmoid" else Softmax())
        return out

    def code(self) -> str:
        """The same layers as Python source (for the take-home snippet)."""
        init = {"default": "", "constant": f", init=nc.init.constant({self.init_value!r})"}.get(
            self.init, f", init={self.init!r}")
        parts: List[str] = []
        width_in = 2
        for h in self.hidden:
            if h.activation == "maxout":
                parts.append(f"nc.Maxout({width_in}, {h.width}, k=2{init})")
            else:
                parts.append(f"nc.Dense({width_in}, {h.width}{init})")
                name = {"sigmoid": "Sigmoid", "tanh": "Tanh", "relu": "ReLU",
                        "leaky_relu": "LeakyReLU", "prelu": "PReLU", "elu": "ELU"}.get(h.activation)
                if name:
                    parts.append(f"nc.{name}()")
            width_in = h.width
        n_out = 1 if self.output == "sigmoid" else 2
        parts.append(f"nc.Dense({width_in}, {n_out}{init})")
        parts.append("nc.Sigmoid()" if self.output == "sigmoid" else "nc.Softmax()")
        return ", ".join(parts)


@dataclass(frozen=True)
class TrainingConfig:
    optimizer: str = "adam"
    lr: float = 0.03
    gamma: float = 0.9
    batch_size: int = 10
    l1: float = 0.0
    l2: float = 0.0
    decay_every: int = 0          # epochs between learning-rate decays; 0: no decay
    decay_gamma: float = 0.5
    epochs_per_update: int = 1

    @classmethod
    def parse(cls, obj: Any) -> "TrainingConfig":
        d = _section(obj, "training")
        _known(d, tuple(cls.__dataclass_fields__), "training")
        t = cls(
            _choice(d.get("optimizer", "adam"), OPTIMIZERS, "training.optimizer"),
            _real_in(d.get("lr", 0.03), LIMITS["lr"], "training.lr"),
            _real_in(d.get("gamma", 0.9), (0.0, 0.999), "training.gamma"),
            _int_in(d.get("batch_size", 10), LIMITS["batch_size"], "training.batch_size"),
            _real_in(d.get("l1", 0.0), LIMITS["penalty"], "training.l1"),
            _real_in(d.get("l2", 0.0), LIMITS["penalty"], "training.l2"),
            _int_in(d.get("decay_every", 0), LIMITS["decay_every"], "training.decay_every"),
            _real_in(d.get("decay_gamma", 0.5), (0.01, 1.0), "training.decay_gamma"),
            _int_in(d.get("epochs_per_update", 1), LIMITS["epochs_per_update"],
                    "training.epochs_per_update"))
        t.make_optimizer()       # nncore's own checks on the hyperparameters
        t.schedule()
        return t

    def make_optimizer(self) -> Optimizer:
        if self.optimizer == "gd":
            return SGD(lr=self.lr)
        if self.optimizer == "momentum":
            return Momentum(lr=self.lr, gamma=self.gamma)
        if self.optimizer == "rmsprop":
            return RMSprop(lr=self.lr, gamma=self.gamma)
        return Adam(lr=self.lr, beta1=self.gamma)

    def schedule(self) -> Optional[StepDecay]:
        return StepDecay(self.decay_every, self.decay_gamma) if self.decay_every else None

    def optimizer_code(self) -> str:
        return {"gd": f"nc.SGD(lr={self.lr!r})",
                "momentum": f"nc.Momentum(lr={self.lr!r}, gamma={self.gamma!r})",
                "rmsprop": f"nc.RMSprop(lr={self.lr!r}, gamma={self.gamma!r})",
                "adam": f"nc.Adam(lr={self.lr!r}, beta1={self.gamma!r})"}[self.optimizer]


@dataclass(frozen=True)
class Config:
    data: DataConfig = field(default_factory=DataConfig)
    network: NetworkConfig = field(default_factory=NetworkConfig)
    training: TrainingConfig = field(default_factory=TrainingConfig)

    @classmethod
    def parse(cls, obj: Any, base: Optional["Config"] = None) -> "Config":
        """The full settings from `obj`; sections missing from `obj` are kept from `base`."""
        d = _section(obj, "settings")
        _known(d, ("data", "network", "training"), "settings")
        base = base or cls()
        return cls(DataConfig.parse(d["data"]) if "data" in d else base.data,
                   NetworkConfig.parse(d["network"]) if "network" in d else base.network,
                   TrainingConfig.parse(d["training"]) if "training" in d else base.training)


def index_check(value: Any, n: int, name: str) -> int:
    """An index into n training points."""
    return _int_in(value, (0, n - 1), name)
