"""The estimators' numpydoc: the Parameters and Attributes both share.

Kept apart so the two class docstrings stay in step; scikit-learn's HTML repr reads them.
"""
from __future__ import annotations

PARAMETERS = """
    hidden_layer_sizes : array-like of shape (n_layers - 2,), default=(100,)
        The ith element is the number of neurons in the ith hidden layer.

    activation : {'identity', 'logistic', 'tanh', 'relu', 'sigmoid', 'leaky_relu', \
'prelu', 'elu', 'maxout'}, default='relu'
        Activation of the hidden layers. scikit-learn's four, plus nncore's
        'sigmoid' (= 'logistic'), 'leaky_relu' (slope 0.1, lecture), 'prelu', 'elu'
        and 'maxout' (a Maxout layer with k=2 instead of Dense + activation).

    solver : {'adam', 'sgd', 'lbfgs'}, default='adam'
        scikit-learn's solvers: 'adam'; 'sgd' with `momentum` and
        `nesterovs_momentum`; 'lbfgs' (scipy's L-BFGS-B on the full batch).

    alpha : float, default=0.0001
        Strength of the L2 penalty; as scikit-learn, it is divided by the rows of the
        batch when added to the loss.

    batch_size : int or 'auto', default='auto'
        Rows per minibatch; 'auto' is min(200, n_samples). Larger values are clipped
        with a warning.

    learning_rate : {'constant', 'invscaling', 'adaptive'}, default='constant'
        Learning-rate schedule of solver='sgd' (as scikit-learn): 'invscaling' sets
        learning_rate_init / (t + 1)**power_t after each epoch (t = samples seen);
        'adaptive' divides the rate by 5 whenever the stopping rule fires.

    learning_rate_init : float, default=0.001
        The initial learning rate of the stochastic solvers.

    power_t : float, default=0.5
        Exponent of 'invscaling'.

    max_iter : int, default=200
        Epochs for the stochastic solvers, iterations for 'lbfgs'.

    shuffle : bool, default=True
        Whether to shuffle the samples in each epoch.

    random_state : int, RandomState instance or None, default=None
        Draws the weights' seed (which also orders the shuffles) and the early
        stopping split.

    tol : float, default=1e-4
        An epoch counts as no improvement when the training loss is not below the
        best loss minus tol (or, with early_stopping, the validation score not above
        the best score plus tol); more than n_iter_no_change such epochs in a row stop
        training. For 'lbfgs', the gradient tolerance.

    verbose : bool, default=False
        Print the loss after each epoch.

    warm_start : bool, default=False
        Continue from the previous fit's weights instead of starting afresh.

    momentum : float, default=0.9
        Momentum of solver='sgd' (scikit-learn's v = momentum*v - lr*g), and the
        gamma of optimizer='momentum'.

    nesterovs_momentum : bool, default=True
        Whether solver='sgd' uses Nesterov's momentum.

    early_stopping : bool, default=False
        Hold out validation_fraction of the training data (stratified for
        single-label classification) and stop when the validation score (accuracy or
        R2) stops improving; the best weights are kept.

    validation_fraction : float, default=0.1
        Share of the training data held out for early stopping.

    beta_1 : float, default=0.9
        Adam's first-moment decay.

    beta_2 : float, default=0.999
        Adam's second-moment decay.

    epsilon : float, default=1e-8
        Adam's (and RMSprop's) epsilon.

    n_iter_no_change : int or np.inf, default=10
        Epochs without improvement (see tol) tolerated before stopping.

    max_fun : int, default=15000
        Maximum number of loss evaluations of 'lbfgs'.

    optimizer : {'sgd', 'momentum', 'rmsprop', 'adam'}, nncore optimizer or None, \
default=None
        nncore extra, overriding solver: 'sgd' is plain gradient descent, 'momentum'
        the lecture's form (see momentum_form), 'rmsprop' RMSprop, 'adam' nncore's
        Adam; an object such as nncore.RMSprop(lr=0.01) brings its own
        hyperparameters. None: use solver.

    momentum_form : {'ema', 'classic', 'nesterov'}, default='ema'
        nncore extra: the form of optimizer='momentum' ('ema' is the lecture's
        moving average).

    rho : float, default=0.9
        nncore extra: the decay of optimizer='rmsprop'.

    eps_inside : bool, default=True
        nncore extra: RMSprop's epsilon inside the square root (lecture).

    lr_schedule : nncore schedule or None, default=None
        nncore extra: per-epoch learning-rate decay such as
        nncore.StepDecay(step_size=10, gamma=0.5).

    dropout : float, default=0.0
        nncore extra: the probability p of dropping each hidden unit while training
        (inverted dropout, an `nncore.Dropout(p)` after every hidden layer); predict,
        predict_proba and score use the whole network. 0 builds no Dropout layers, so
        results are bitwise those without the parameter. Needs solver 'adam' or 'sgd'.

    dtype : {'float32', 'float64'} or None, default=None
        nncore extra: the network's precision. None follows X as scikit-learn does
        (float32 X trains a float32 network; anything else float64).

    num_threads : int or None, default=None
        nncore extra: OpenMP threads of the core during fit and predict; None leaves
        the current setting.
"""

ATTRIBUTES = """
    loss_ : float
        The loss after the last epoch (or of the 'lbfgs' solution).

    best_loss_ : float or None
        The lowest training loss; None with early_stopping.

    loss_curve_ : list of float
        The training loss after each epoch (stochastic solvers).

    validation_scores_ : list of float or None
        The score on the held-out split after each epoch (early_stopping only).

    best_validation_score_ : float or None
        The best of validation_scores_ (early_stopping only).

    t_ : int
        Training samples seen by the solver.

    coefs_ : list of ndarray
        Weight matrix of each layer, shape (fan_in, fan_out).

    intercepts_ : list of ndarray
        Bias vector of each layer.

    n_features_in_ : int
        Number of features seen during fit.

    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of the features seen during fit (only when they are all strings).

    n_iter_ : int
        Epochs (iterations for 'lbfgs') run by the last fit.

    n_layers_ : int
        Number of layers, input and output included.

    n_outputs_ : int
        Number of outputs.

    out_activation_ : str
        The output activation.

    model_ : nncore.Sequential
        The trained network.
"""
