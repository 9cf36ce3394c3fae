"""The lecture 'Neuronale Netze, Backpropagation', runnable: one module per section.

    python -m nncore                 # the whole walkthrough, pictures in ./nncore-out
    python -m nncore --quick         # a seconds-long smoke run
    python -m nncore --only digits   # one section (name or number)

From Python every section is a function returning its numbers:

    import nncore.lecture as L
    L.xor_by_hand()["output"]                 # array([0., 1., 1., 0.])
    L.fit_models()["rows"]                    # section 3's table
    L.run_all(out="out", quick=True)          # the walkthrough; .results per section

Sections: 1 xor, 2 activations, 3 classification, 4 symmetry, 5 optimizers,
6 activation-choice, 7 digits, 8 cost, 9 graph, 10 local-minima, 11 learning-rate, 12 momentum, 13 chain-rule, 14 width-depth, 15 activation-costs, 16 feature-space,
17 alternatives, 18 dropout (skipped in --quick). Each module also has
`run(ctx)` (print + pictures) and `plot_*` helpers. Pictures need matplotlib,
section 7 needs scikit-learn: `pip install "nncore[demo]"`.
"""
from .activation_choice import activation_choice
from .backprop_alternatives import alternatives, estimate_variance
from .activations import activation_curves, linear_collapse
from .classification import fit_models, overfitting_curve, slide_network
from .cost import count_macs, measure
from .data import load_digits_split, make_moons, moons_split, xor_data
from .digits import digits
from .dropout import dropout_overfitting
from .local_minima import stuck_vs_success, what_helps, xor_seed_study
from .learning_rate import network_lr_curves, valley_lr_paths, valley_stability
from .momentum import double_well_runs, saddle_runs
from .chain_rule import jacobian_example, scalar_chain, sum_over_paths
from .width_depth import width_depth
from .activation_costs import (dead_relus, gradient_flow, prelu_and_maxout, relu_grid,
                               time_per_element)
from .feature_space import feature_space
from .graphs import (linear_regression_graph, logistic_regression_graph, network_graph,
                     product_graph)
from .optimizers import optimizer_comparison, valley_paths
from .symmetry import symmetry_experiment
from .walkthrough import SECTIONS, run_all
from .xor import xor_by_hand, xor_learned

__all__ = [
    "xor_by_hand", "xor_learned", "linear_collapse", "activation_curves", "fit_models",
    "slide_network",
    "overfitting_curve", "symmetry_experiment", "optimizer_comparison", "valley_paths",
    "activation_choice", "digits", "count_macs", "measure", "product_graph",
    "logistic_regression_graph", "linear_regression_graph", "network_graph", "make_moons",
    "moons_split", "xor_data", "load_digits_split", "run_all", "SECTIONS",
    "xor_seed_study", "what_helps", "stuck_vs_success", "valley_stability", "valley_lr_paths",
    "network_lr_curves", "double_well_runs", "saddle_runs",
    "scalar_chain", "jacobian_example", "sum_over_paths", "width_depth",
    "gradient_flow", "dead_relus", "time_per_element", "prelu_and_maxout", "relu_grid",
    "feature_space", "alternatives", "estimate_variance", "dropout_overfitting",
]
