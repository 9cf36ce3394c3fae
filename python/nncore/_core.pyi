"""
nncore's C++ core (private: use the nncore package)
"""
from __future__ import annotations
import collections.abc
import numpy
import numpy.typing
import typing
__all__: list[str] = ['FitConfig', 'GradientKind', 'LayerKind', 'LayerSpec', 'LossKind', 'MomentumForm', 'Network32', 'Network64', 'OptimizerConfig', 'OptimizerKind', 'ScheduleConfig', 'ScheduleKind', 'all_finite', 'build_type', 'compiler', 'evaluate', 'fit', 'gemm_kernel_name', 'gemm_kernels_compiled', 'get_num_threads', 'has_openmp', 'max_threads_limit', 'openmp_libraries', 'openmp_version', 'permutation', 'requested_num_threads', 'set_num_threads', 'set_piece_trace', 'set_tiny_path', 'simd_clone_selected', 'simd_clones_compiled', 'take_piece_trace', 'tiny_path_calls', 'train_step']
class LayerKind:
    """
    Layer kinds (nncore.layers names)
    
    Members:
    
      dense
    
      identity
    
      sigmoid
    
      tanh
    
      relu
    
      leaky_relu
    
      prelu
    
      elu
    
      maxout
    
      step
    
      softmax
    
      exp
    
      dropout
    """
    __members__: typing.ClassVar[dict[str, LayerKind]]
    dense: typing.ClassVar[LayerKind]
    dropout: typing.ClassVar[LayerKind]
    elu: typing.ClassVar[LayerKind]
    exp: typing.ClassVar[LayerKind]
    identity: typing.ClassVar[LayerKind]
    leaky_relu: typing.ClassVar[LayerKind]
    maxout: typing.ClassVar[LayerKind]
    prelu: typing.ClassVar[LayerKind]
    relu: typing.ClassVar[LayerKind]
    sigmoid: typing.ClassVar[LayerKind]
    softmax: typing.ClassVar[LayerKind]
    step: typing.ClassVar[LayerKind]
    tanh: typing.ClassVar[LayerKind]
    @typing.overload
    def __eq__(self, other: LayerKind) -> bool:
        ...
    @typing.overload
    def __eq__(self, other: typing.Any) -> bool:
        ...
    def __getstate__(self) -> int:
        ...
    def __hash__(self) -> int:
        ...
    def __index__(self) -> int:
        ...
    def __init__(self, value: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    def __int__(self) -> int:
        ...
    @typing.overload
    def __ne__(self, other: LayerKind) -> bool:
        ...
    @typing.overload
    def __ne__(self, other: typing.Any) -> bool:
        ...
    def __repr__(self) -> str:
        ...
    def __setstate__(self, state: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    def __str__(self) -> str:
        ...
    @property
    def name(self) -> str:
        ...
    @property
    def value(self) -> int:
        ...
class LossKind:
    """
    Losses (the loss= names of fit/evaluate)
    
    Members:
    
      mse
    
      mse_mean
    
      bce
    
      ce
    
      poisson
    """
    __members__: typing.ClassVar[dict[str, LossKind]]
    bce: typing.ClassVar[LossKind]
    ce: typing.ClassVar[LossKind]
    mse: typing.ClassVar[LossKind]
    mse_mean: typing.ClassVar[LossKind]
    poisson: typing.ClassVar[LossKind]
    @typing.overload
    def __eq__(self, other: LossKind) -> bool:
        ...
    @typing.overload
    def __eq__(self, other: typing.Any) -> bool:
        ...
    def __getstate__(self) -> int:
        ...
    def __hash__(self) -> int:
        ...
    def __index__(self) -> int:
        ...
    def __init__(self, value: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    def __int__(self) -> int:
        ...
    @typing.overload
    def __ne__(self, other: LossKind) -> bool:
        ...
    @typing.overload
    def __ne__(self, other: typing.Any) -> bool:
        ...
    def __repr__(self) -> str:
        ...
    def __setstate__(self, state: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    def __str__(self) -> str:
        ...
    @property
    def name(self) -> str:
        ...
    @property
    def value(self) -> int:
        ...
class OptimizerKind:
    """
    Optimizers (Optimizer.kind)
    
    Members:
    
      sgd
    
      momentum
    
      rmsprop
    
      adam
    """
    __members__: typing.ClassVar[dict[str, OptimizerKind]]
    adam: typing.ClassVar[OptimizerKind]
    momentum: typing.ClassVar[OptimizerKind]
    rmsprop: typing.ClassVar[OptimizerKind]
    sgd: typing.ClassVar[OptimizerKind]
    @typing.overload
    def __eq__(self, other: OptimizerKind) -> bool:
        ...
    @typing.overload
    def __eq__(self, other: typing.Any) -> bool:
        ...
    def __getstate__(self) -> int:
        ...
    def __hash__(self) -> int:
        ...
    def __index__(self) -> int:
        ...
    def __init__(self, value: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    def __int__(self) -> int:
        ...
    @typing.overload
    def __ne__(self, other: OptimizerKind) -> bool:
        ...
    @typing.overload
    def __ne__(self, other: typing.Any) -> bool:
        ...
    def __repr__(self) -> str:
        ...
    def __setstate__(self, state: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    def __str__(self) -> str:
        ...
    @property
    def name(self) -> str:
        ...
    @property
    def value(self) -> int:
        ...
class MomentumForm:
    """
    Momentum update forms (Momentum.form)
    
    Members:
    
      ema
    
      classic
    
      nesterov
    """
    __members__: typing.ClassVar[dict[str, MomentumForm]]
    classic: typing.ClassVar[MomentumForm]
    ema: typing.ClassVar[MomentumForm]
    nesterov: typing.ClassVar[MomentumForm]
    @typing.overload
    def __eq__(self, other: MomentumForm) -> bool:
        ...
    @typing.overload
    def __eq__(self, other: typing.Any) -> bool:
        ...
    def __getstate__(self) -> int:
        ...
    def __hash__(self) -> int:
        ...
    def __index__(self) -> int:
        ...
    def __init__(self, value: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    def __int__(self) -> int:
        ...
    @typing.overload
    def __ne__(self, other: MomentumForm) -> bool:
        ...
    @typing.overload
    def __ne__(self, other: typing.Any) -> bool:
        ...
    def __repr__(self) -> str:
        ...
    def __setstate__(self, state: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    def __str__(self) -> str:
        ...
    @property
    def name(self) -> str:
        ...
    @property
    def value(self) -> int:
        ...
class ScheduleKind:
    """
    Learning-rate schedules (Schedule.kind; constant: no schedule)
    
    Members:
    
      constant
    
      step
    
      exponential
    
      cosine
    
      plateau
    """
    __members__: typing.ClassVar[dict[str, ScheduleKind]]
    constant: typing.ClassVar[ScheduleKind]
    cosine: typing.ClassVar[ScheduleKind]
    exponential: typing.ClassVar[ScheduleKind]
    plateau: typing.ClassVar[ScheduleKind]
    step: typing.ClassVar[ScheduleKind]
    @typing.overload
    def __eq__(self, other: ScheduleKind) -> bool:
        ...
    @typing.overload
    def __eq__(self, other: typing.Any) -> bool:
        ...
    def __getstate__(self) -> int:
        ...
    def __hash__(self) -> int:
        ...
    def __index__(self) -> int:
        ...
    def __init__(self, value: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    def __int__(self) -> int:
        ...
    @typing.overload
    def __ne__(self, other: ScheduleKind) -> bool:
        ...
    @typing.overload
    def __ne__(self, other: typing.Any) -> bool:
        ...
    def __repr__(self) -> str:
        ...
    def __setstate__(self, state: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    def __str__(self) -> str:
        ...
    @property
    def name(self) -> str:
        ...
    @property
    def value(self) -> int:
        ...
class GradientKind:
    """
    How fit gets its gradient (the gradient= names of fit)
    
    Members:
    
      backprop
    
      forward
    
      perturbation
    """
    __members__: typing.ClassVar[dict[str, GradientKind]]
    backprop: typing.ClassVar[GradientKind]
    forward: typing.ClassVar[GradientKind]
    perturbation: typing.ClassVar[GradientKind]
    @typing.overload
    def __eq__(self, other: GradientKind) -> bool:
        ...
    @typing.overload
    def __eq__(self, other: typing.Any) -> bool:
        ...
    def __getstate__(self) -> int:
        ...
    def __hash__(self) -> int:
        ...
    def __index__(self) -> int:
        ...
    def __init__(self, value: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    def __int__(self) -> int:
        ...
    @typing.overload
    def __ne__(self, other: GradientKind) -> bool:
        ...
    @typing.overload
    def __ne__(self, other: typing.Any) -> bool:
        ...
    def __repr__(self) -> str:
        ...
    def __setstate__(self, state: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    def __str__(self) -> str:
        ...
    @property
    def name(self) -> str:
        ...
    @property
    def value(self) -> int:
        ...
class LayerSpec:
    """
    One layer of a Network: what Sequential's layer specs say
    """
    bias: bool
    kind: LayerKind
    def __init__(self, kind: LayerKind, in_features: typing.SupportsInt | typing.SupportsIndex = 0, out_features: typing.SupportsInt | typing.SupportsIndex = 0, k: typing.SupportsInt | typing.SupportsIndex = 1, hyper: typing.SupportsFloat | typing.SupportsIndex = 0.0, n_alpha: typing.SupportsInt | typing.SupportsIndex = 0, bias: bool = True) -> None:
        ...
    def __repr__(self) -> str:
        ...
    @property
    def hyper(self) -> float:
        ...
    @hyper.setter
    def hyper(self, arg0: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
    @property
    def in_features(self) -> int:
        ...
    @in_features.setter
    def in_features(self, arg0: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @property
    def k(self) -> int:
        ...
    @k.setter
    def k(self, arg0: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @property
    def n_alpha(self) -> int:
        ...
    @n_alpha.setter
    def n_alpha(self, arg0: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @property
    def out_features(self) -> int:
        ...
    @out_features.setter
    def out_features(self, arg0: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
class Network32:
    def __init__(self, specs: collections.abc.Sequence[LayerSpec]) -> None:
        ...
    def grads(self) -> numpy.typing.NDArray[numpy.float32]:
        ...
    def loss_and_grad(self, X: numpy.typing.NDArray[numpy.float32], Y: numpy.typing.NDArray[numpy.float32] | None, labels: numpy.typing.NDArray[numpy.int64] | None, loss: LossKind, l1: typing.SupportsFloat | typing.SupportsIndex, l2: typing.SupportsFloat | typing.SupportsIndex, want_grad: bool, w: numpy.typing.NDArray[numpy.float32] | None = None, dropout_seed: typing.SupportsInt | typing.SupportsIndex = 0, dropout_step: typing.SupportsInt | typing.SupportsIndex | None = None) -> tuple[float, numpy.typing.NDArray[numpy.float32] | None]:
        ...
    def params(self) -> numpy.typing.NDArray[numpy.float32]:
        ...
    def predict(self, X: numpy.typing.NDArray[numpy.float32], out: numpy.typing.NDArray[numpy.float32], chunk: typing.SupportsInt | typing.SupportsIndex = 4096) -> None:
        ...
    def trace(self, X: numpy.typing.NDArray[numpy.float32]) -> list[numpy.typing.NDArray[numpy.float32]]:
        ...
    @property
    def n_in(self) -> int:
        ...
    @property
    def n_out(self) -> int:
        ...
    @property
    def num_params(self) -> int:
        ...
class Network64:
    def __init__(self, specs: collections.abc.Sequence[LayerSpec]) -> None:
        ...
    def grads(self) -> numpy.typing.NDArray[numpy.float64]:
        ...
    def loss_and_grad(self, X: numpy.typing.NDArray[numpy.float64], Y: numpy.typing.NDArray[numpy.float64] | None, labels: numpy.typing.NDArray[numpy.int64] | None, loss: LossKind, l1: typing.SupportsFloat | typing.SupportsIndex, l2: typing.SupportsFloat | typing.SupportsIndex, want_grad: bool, w: numpy.typing.NDArray[numpy.float64] | None = None, dropout_seed: typing.SupportsInt | typing.SupportsIndex = 0, dropout_step: typing.SupportsInt | typing.SupportsIndex | None = None) -> tuple[float, numpy.typing.NDArray[numpy.float64] | None]:
        ...
    def params(self) -> numpy.typing.NDArray[numpy.float64]:
        ...
    def predict(self, X: numpy.typing.NDArray[numpy.float64], out: numpy.typing.NDArray[numpy.float64], chunk: typing.SupportsInt | typing.SupportsIndex = 4096) -> None:
        ...
    def trace(self, X: numpy.typing.NDArray[numpy.float64]) -> list[numpy.typing.NDArray[numpy.float64]]:
        ...
    @property
    def n_in(self) -> int:
        ...
    @property
    def n_out(self) -> int:
        ...
    @property
    def num_params(self) -> int:
        ...
class ScheduleConfig:
    kind: ScheduleKind
    def __init__(self) -> None:
        ...
    @property
    def factor(self) -> float:
        ...
    @factor.setter
    def factor(self, arg0: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
    @property
    def gamma(self) -> float:
        ...
    @gamma.setter
    def gamma(self, arg0: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
    @property
    def min_lr(self) -> float:
        ...
    @min_lr.setter
    def min_lr(self, arg0: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
    @property
    def patience(self) -> int:
        ...
    @patience.setter
    def patience(self, arg0: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @property
    def step_size(self) -> int:
        ...
    @step_size.setter
    def step_size(self, arg0: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @property
    def t_max(self) -> int:
        ...
    @t_max.setter
    def t_max(self, arg0: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @property
    def threshold(self) -> float:
        ...
    @threshold.setter
    def threshold(self, arg0: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
class FitConfig:
    gradient: GradientKind
    loss: LossKind
    penalty_per_weight: bool
    restore_best: bool
    schedule: ScheduleConfig
    shuffle: bool
    def __init__(self) -> None:
        ...
    @property
    def batch_size(self) -> int:
        ...
    @batch_size.setter
    def batch_size(self, arg0: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @property
    def clip_norm(self) -> float:
        ...
    @clip_norm.setter
    def clip_norm(self, arg0: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
    @property
    def dropout_seed(self) -> int:
        ...
    @dropout_seed.setter
    def dropout_seed(self, arg0: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @property
    def epochs(self) -> int:
        ...
    @epochs.setter
    def epochs(self, arg0: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @property
    def epsilon(self) -> float:
        ...
    @epsilon.setter
    def epsilon(self, arg0: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
    @property
    def first_epoch(self) -> int:
        ...
    @first_epoch.setter
    def first_epoch(self, arg0: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @property
    def l1(self) -> float:
        ...
    @l1.setter
    def l1(self, arg0: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
    @property
    def l2(self) -> float:
        ...
    @l2.setter
    def l2(self, arg0: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
    @property
    def lr(self) -> float:
        ...
    @lr.setter
    def lr(self, arg0: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
    @property
    def min_delta(self) -> float:
        ...
    @min_delta.setter
    def min_delta(self, arg0: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
    @property
    def patience(self) -> int:
        ...
    @patience.setter
    def patience(self, arg0: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @property
    def poll_seconds(self) -> float:
        ...
    @poll_seconds.setter
    def poll_seconds(self, arg0: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
    @property
    def report_every_batches(self) -> int:
        ...
    @report_every_batches.setter
    def report_every_batches(self, arg0: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @property
    def report_every_epochs(self) -> int:
        ...
    @report_every_epochs.setter
    def report_every_epochs(self, arg0: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @property
    def report_seconds(self) -> float:
        ...
    @report_seconds.setter
    def report_seconds(self, arg0: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
    @property
    def seed(self) -> int:
        ...
    @seed.setter
    def seed(self, arg0: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @property
    def tangents(self) -> int:
        ...
    @tangents.setter
    def tangents(self, arg0: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
class OptimizerConfig:
    eps_inside: bool
    form: MomentumForm
    kind: OptimizerKind
    def __init__(self) -> None:
        ...
    @property
    def beta2(self) -> float:
        ...
    @beta2.setter
    def beta2(self, arg0: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
    @property
    def eps(self) -> float:
        ...
    @eps.setter
    def eps(self, arg0: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
    @property
    def gamma(self) -> float:
        ...
    @gamma.setter
    def gamma(self, arg0: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
    @property
    def weight_decay(self) -> float:
        ...
    @weight_decay.setter
    def weight_decay(self, arg0: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
@typing.overload
def all_finite(x: numpy.typing.NDArray[numpy.float32]) -> bool:
    """
    Whether every value of x is finite (threaded scan)
    """
@typing.overload
def all_finite(x: numpy.typing.NDArray[numpy.float64]) -> bool:
    """
    Whether every value of x is finite (threaded scan)
    """
@typing.overload
def evaluate(net: Network32, X: numpy.typing.NDArray[numpy.float32], Y: numpy.typing.NDArray[numpy.float32] | None, labels: numpy.typing.NDArray[numpy.int64] | None, loss: LossKind, l1: typing.SupportsFloat | typing.SupportsIndex, l2: typing.SupportsFloat | typing.SupportsIndex, w: numpy.typing.NDArray[numpy.float32] | None = None, outputs: numpy.typing.NDArray[numpy.float32] | None = None) -> tuple[float, float]:
    ...
@typing.overload
def evaluate(net: Network64, X: numpy.typing.NDArray[numpy.float64], Y: numpy.typing.NDArray[numpy.float64] | None, labels: numpy.typing.NDArray[numpy.int64] | None, loss: LossKind, l1: typing.SupportsFloat | typing.SupportsIndex, l2: typing.SupportsFloat | typing.SupportsIndex, w: numpy.typing.NDArray[numpy.float64] | None = None, outputs: numpy.typing.NDArray[numpy.float64] | None = None) -> tuple[float, float]:
    ...
@typing.overload
def fit(net: Network32, X: numpy.typing.NDArray[numpy.float32], Y: numpy.typing.NDArray[numpy.float32] | None, labels: numpy.typing.NDArray[numpy.int64] | None, Xv: numpy.typing.NDArray[numpy.float32] | None, Yv: numpy.typing.NDArray[numpy.float32] | None, labels_v: numpy.typing.NDArray[numpy.int64] | None, cfg: FitConfig, opt: OptimizerConfig, m: numpy.typing.NDArray[numpy.float32] | None, v: numpy.typing.NDArray[numpy.float32] | None, t: typing.SupportsInt | typing.SupportsIndex, on_report: typing.Any, poll_signals: bool, on_batch: typing.Any = None, w: numpy.typing.NDArray[numpy.float32] | None = None, lr_for: typing.Any = None, outputs: numpy.typing.NDArray[numpy.float32] | None = None, val_outputs: numpy.typing.NDArray[numpy.float32] | None = None, wv: numpy.typing.NDArray[numpy.float32] | None = None) -> tuple[dict[str, typing.Any], int, typing.Any]:
    ...
@typing.overload
def fit(net: Network64, X: numpy.typing.NDArray[numpy.float64], Y: numpy.typing.NDArray[numpy.float64] | None, labels: numpy.typing.NDArray[numpy.int64] | None, Xv: numpy.typing.NDArray[numpy.float64] | None, Yv: numpy.typing.NDArray[numpy.float64] | None, labels_v: numpy.typing.NDArray[numpy.int64] | None, cfg: FitConfig, opt: OptimizerConfig, m: numpy.typing.NDArray[numpy.float64] | None, v: numpy.typing.NDArray[numpy.float64] | None, t: typing.SupportsInt | typing.SupportsIndex, on_report: typing.Any, poll_signals: bool, on_batch: typing.Any = None, w: numpy.typing.NDArray[numpy.float64] | None = None, lr_for: typing.Any = None, outputs: numpy.typing.NDArray[numpy.float64] | None = None, val_outputs: numpy.typing.NDArray[numpy.float64] | None = None, wv: numpy.typing.NDArray[numpy.float64] | None = None) -> tuple[dict[str, typing.Any], int, typing.Any]:
    ...
def gemm_kernel_name() -> str:
    ...
def get_num_threads() -> int:
    ...
def permutation(seed: typing.SupportsInt | typing.SupportsIndex, epoch: typing.SupportsInt | typing.SupportsIndex, n: typing.SupportsInt | typing.SupportsIndex) -> numpy.typing.NDArray[numpy.int64]:
    ...
def requested_num_threads() -> int:
    ...
def set_num_threads(n: typing.SupportsInt | typing.SupportsIndex) -> None:
    ...
def set_piece_trace(on: bool) -> None:
    ...
def set_tiny_path(on: bool) -> None:
    ...
def simd_clone_selected() -> str:
    """
    The element-wise clone the loader picked on this CPU ('' without clones)
    """
def take_piece_trace() -> dict[str, typing.Any]:
    ...
def tiny_path_calls() -> int:
    ...
@typing.overload
def train_step(net: Network32, X: numpy.typing.NDArray[numpy.float32], Y: numpy.typing.NDArray[numpy.float32] | None, labels: numpy.typing.NDArray[numpy.int64] | None, cfg: FitConfig, opt: OptimizerConfig, m: numpy.typing.NDArray[numpy.float32] | None, v: numpy.typing.NDArray[numpy.float32] | None, t: typing.SupportsInt | typing.SupportsIndex, lr: typing.SupportsFloat | typing.SupportsIndex, w: numpy.typing.NDArray[numpy.float32] | None = None) -> tuple[float, int]:
    ...
@typing.overload
def train_step(net: Network64, X: numpy.typing.NDArray[numpy.float64], Y: numpy.typing.NDArray[numpy.float64] | None, labels: numpy.typing.NDArray[numpy.int64] | None, cfg: FitConfig, opt: OptimizerConfig, m: numpy.typing.NDArray[numpy.float64] | None, v: numpy.typing.NDArray[numpy.float64] | None, t: typing.SupportsInt | typing.SupportsIndex, lr: typing.SupportsFloat | typing.SupportsIndex, w: numpy.typing.NDArray[numpy.float64] | None = None) -> tuple[float, int]:
    ...
build_type: str
compiler: str
gemm_kernels_compiled: str
has_openmp: bool
max_threads_limit: int = 1024
openmp_libraries: str
openmp_version: int
simd_clones_compiled: str
