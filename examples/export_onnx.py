"""Export nncore networks to ONNX and run them with onnxruntime.

    pip install "nncore[onnx]" onnxruntime
    python examples/export_onnx.py
"""
import numpy as np
import onnxruntime as ort
from sklearn.datasets import load_iris

import nncore as nc
from nncore.sklearn import MLPClassifier

# 1. A model built by hand (any layer mix; here float32).
model = nc.Sequential(nc.Dense(4, 16), nc.ELU(), nc.Maxout(16, 8, k=3), nc.PReLU(8),
                      nc.Dense(8, 3), nc.Softmax(), dtype=np.float32, seed=0)
proto = model.to_onnx("model.onnx")                 # opset 17 unless opset=... is given
print("operators:", sorted({n.op_type for n in proto.graph.node}))

X = np.random.default_rng(0).normal(size=(5, 4)).astype(np.float32)
sess = ort.InferenceSession("model.onnx", providers=["CPUExecutionProvider"])
out = sess.run(None, {"X": X})[0]
print("max |onnxruntime - nncore|:", np.abs(out - model.predict(X)).max())

# 2. A fitted estimator: the graph computes predict_proba (regressors: predict).
Xi, yi = load_iris(return_X_y=True)
clf = MLPClassifier(hidden_layer_sizes=(16,), max_iter=200, learning_rate_init=0.01,
                    random_state=0).fit(Xi, yi)
clf.to_onnx("iris.onnx")
sess = ort.InferenceSession("iris.onnx", providers=["CPUExecutionProvider"])
proba = sess.run(None, {"X": Xi[:3]})[0]            # float64 model: float64 input
print("onnxruntime:", proba.round(4))
print("nncore:     ", clf.predict_proba(Xi[:3]).round(4))
print("labels:", clf.classes_[proba.argmax(axis=1)])
