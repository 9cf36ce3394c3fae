"""skl2onnx converters for MLPClassifier / MLPRegressor, so whole pipelines export.

    from nncore.sklearn import register_skl2onnx
    register_skl2onnx()                                   # once, before converting
    onx = skl2onnx.to_onnx(make_pipeline(StandardScaler(), MLPClassifier()).fit(X, y),
                           X[:1].astype(np.float32), options={"zipmap": False})

The converter inlines the graph of `nncore.onnx_export.build` (the same graph as
`clf.to_onnx(label=True)`) into skl2onnx's container, renaming every tensor, with a Cast
where skl2onnx's tensor type differs from the network's dtype. skl2onnx's own shape
calculators give the outputs scikit-learn's converters give: classifiers a label (int64
or string) and the probabilities (N, n_classes), regressors (N, n_outputs).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..onnx_export import build
from ._classifier import MLPClassifier
from ._regressor import MLPRegressor


def _elem_of(var: Any) -> int:
    """The ONNX element type of a skl2onnx variable."""
    from skl2onnx.common.data_types import DoubleTensorType
    from onnx import TensorProto
    return TensorProto.DOUBLE if isinstance(var.type, DoubleTensorType) else TensorProto.FLOAT


def _convert(scope: Any, operator: Any, container: Any) -> None:
    from onnx import TensorProto, helper
    est = operator.raw_operator
    model = est.model_
    net_elem = TensorProto.DOUBLE if model.dtype == np.float64 else TensorProto.FLOAT
    names: dict[str, str] = {}
    x_in = operator.inputs[0].full_name
    if _elem_of(operator.inputs[0]) != net_elem:
        names["X"] = scope.get_unique_variable_name("nncore_X")
        container.add_node("Cast", [x_in], [names["X"]], to=net_elem,
                           name=scope.get_unique_operator_name("Cast"))
    else:
        names["X"] = x_in
    if isinstance(est, MLPClassifier):
        if est._label_binarizer.y_type_ == "multilabel-indicator":
            raise NotImplementedError("nncore's skl2onnx converter handles single-label "
                                      "classifiers; export a multi-label one with "
                                      "clf.to_onnx(label=True)")
        classes = np.asarray(est.classes_)
        if classes.dtype.kind == "f":
            if not np.all(classes == np.round(classes)):
                raise ValueError("skl2onnx gives numeric class labels the int64 type: "
                                 f"non-integral labels {classes} cannot be exported")
            classes = classes.astype(np.int64)
        proto = build(model, opset=min(int(container.target_opset), 21),
                      output=est._onnx_output(), labels=classes)
        label_out, proba_out = operator.outputs[0], operator.outputs[1]
        names["label"] = label_out.full_name
    else:
        proto = build(model, opset=min(int(container.target_opset), 21))
        proba_out = operator.outputs[0]
    out_elem = _elem_of(proba_out)
    if out_elem == net_elem:
        names["Y"] = proba_out.full_name
    else:
        names["Y"] = scope.get_unique_variable_name("nncore_Y")
    for init in proto.graph.initializer:
        renamed = init.__class__()
        renamed.CopyFrom(init)
        renamed.name = names.setdefault(init.name, scope.get_unique_variable_name(init.name))
        container.initializers.append(renamed)
    for node in proto.graph.node:
        ins = [names.setdefault(i, scope.get_unique_variable_name(i)) for i in node.input]
        outs = [names.setdefault(o, scope.get_unique_variable_name(o)) for o in node.output]
        attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
        container.add_node(node.op_type, ins, outs,
                           name=scope.get_unique_operator_name(node.op_type), **attrs)
    if out_elem != net_elem:
        container.add_node("Cast", [names["Y"]], [proba_out.full_name], to=out_elem,
                           name=scope.get_unique_operator_name("Cast"))


def register_skl2onnx() -> None:
    """Register the converters with skl2onnx (needs `pip install skl2onnx`); idempotent."""
    try:
        from skl2onnx import update_registered_converter
        from skl2onnx.common.shape_calculator import (calculate_linear_classifier_output_shapes,
                                                      calculate_linear_regressor_output_shapes)
    except ImportError as e:
        raise ImportError("register_skl2onnx needs the skl2onnx package "
                          "(pip install skl2onnx)") from e

    def regressor_shapes(operator: Any) -> None:
        calculate_linear_regressor_output_shapes(operator)
        n = operator.inputs[0].get_first_dimension()
        operator.outputs[0].type.shape = [n, int(operator.raw_operator.n_outputs_)]

    update_registered_converter(
        MLPClassifier, "NncoreMLPClassifier", calculate_linear_classifier_output_shapes,
        _convert, options={"zipmap": [True, False, "columns"], "nocl": [True, False]})
    update_registered_converter(MLPRegressor, "NncoreMLPRegressor", regressor_shapes, _convert)
