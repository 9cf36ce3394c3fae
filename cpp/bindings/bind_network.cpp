// Network<float|double> for Python: checks shapes, takes pointers, releases
// the GIL around compute, wraps results. Conversion and friendly messages
// happen in python/nncore; these checks only keep direct misuse from crashing.
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "nncore/finite.hpp"
#include "pybind.hpp"

namespace nncore_bind {
using nncore::Index;
using nncore::LayerKind;
using nncore::LayerSpec;
using nncore::LossKind;
using nncore::Network;

namespace {

void bind_layer_spec(py::module_& m) {
  py::class_<LayerSpec>(m, "LayerSpec", "One layer of a Network: what Sequential's layer specs say")
      .def(py::init([](LayerKind kind, Index in_features, Index out_features, Index k,
                       double hyper, Index n_alpha, bool bias) {
             return LayerSpec{kind, in_features, out_features, k, hyper, n_alpha, bias};
           }),
           py::arg("kind"), py::arg("in_features") = 0, py::arg("out_features") = 0,
           py::arg("k") = 1, py::arg("hyper") = 0.0, py::arg("n_alpha") = 0,
           py::arg("bias") = true)
      .def_readwrite("kind", &LayerSpec::kind)
      .def_readwrite("in_features", &LayerSpec::in)
      .def_readwrite("out_features", &LayerSpec::out)
      .def_readwrite("k", &LayerSpec::k)
      .def_readwrite("hyper", &LayerSpec::hyper)
      .def_readwrite("n_alpha", &LayerSpec::n_alpha)
      .def_readwrite("bias", &LayerSpec::bias)
      .def("__repr__", [](const LayerSpec& s) {
        return "LayerSpec(" + std::string(py::str(py::cast(s.kind))) + ", in_features=" +
               std::to_string(s.in) + ", out_features=" + std::to_string(s.out) + ", k=" +
               std::to_string(s.k) + ", hyper=" + std::string(py::str(py::float_(s.hyper))) +
               ", n_alpha=" + std::to_string(s.n_alpha) + (s.bias ? "" : ", bias=False") + ")";
      });
}

template <class A>
void expect_shape(const A& a, Index rows, Index cols, const char* what) {
  if (a.ndim() != 2 || a.shape(0) != rows || a.shape(1) != cols)
    throw std::invalid_argument(std::string(what) + ": expected shape (" + std::to_string(rows) +
                                ", " + std::to_string(cols) + ")");
}

template <class T>
void bind_one(py::module_& m, const char* name) {
  using Net = Network<T>;
  py::class_<Net>(m, name)
      .def(py::init<const std::vector<LayerSpec>&>(), py::arg("specs"))
      .def_property_readonly("num_params", &Net::num_params)
      .def_property_readonly("n_in", &Net::n_in)
      .def_property_readonly("n_out", &Net::n_out)
      .def("params", [](py::object self) {
        Net& n = self.cast<Net&>();
        return view<T>(n.params(), n.num_params(), self);
      })
      .def("grads", [](py::object self) {
        Net& n = self.cast<Net&>();
        return view<T>(n.grads(), n.num_params(), self);
      })
      // chunk: rows per forward pass (benchmarks time many passes of one batch size)
      .def("predict", [](Net& n, CArray<T> X, CArray<T> out, Index chunk) {
        expect_shape(X, X.ndim() == 2 ? X.shape(0) : -1, n.n_in(), "predict: X");
        if (chunk < 1) throw std::invalid_argument("predict: chunk must be >= 1");
        expect_shape(out, X.shape(0), n.n_out(), "predict: out");
        const T* x = X.data();
        T* o = out.mutable_data();
        const Index rows = X.shape(0);
        SignalPoll poll;
        bool done;
        {
          py::gil_scoped_release nogil;
          std::lock_guard<std::recursive_mutex> lock(n.mutex());
          done = n.predict(x, rows, o, poll.fn(), chunk);
        }
        if (!done) throw py::error_already_set();  // Ctrl-C: KeyboardInterrupt
      }, py::arg("X").noconvert(), py::arg("out").noconvert(), py::arg("chunk") = 4096)
      .def("trace", [](Net& n, CArray<T> X) {
        expect_shape(X, X.ndim() == 2 ? X.shape(0) : -1, n.n_in(), "trace: X");
        const Index rows = X.shape(0);
        std::vector<py::array_t<T>> outs;
        for (const auto& L : n.layers()) outs.emplace_back(std::vector<Index>{rows, L.spec.out});
        {
          const T* x = X.data();
          py::gil_scoped_release nogil;
          std::lock_guard<std::recursive_mutex> lock(n.mutex());
          n.reserve(rows);
          n.forward(x, rows);
          for (std::size_t i = 0; i < outs.size(); ++i) {
            const T* h = n.layer_output(Index(i));
            std::copy(h, h + rows * n.layers()[i].spec.out, outs[i].mutable_data());
          }
        }
        return outs;
      }, py::arg("X").noconvert())
      .def("loss_and_grad", [](Net& n, CArray<T> X, std::optional<CArray<T>> Y,
                               std::optional<CArray<std::int64_t>> labels, LossKind loss, double l1,
                               double l2, bool want_grad, std::optional<CArray<T>> w,
                               std::uint64_t dropout_seed, std::optional<std::uint64_t> dropout_step) {
        expect_shape(X, X.ndim() == 2 ? X.shape(0) : -1, n.n_in(), "loss_and_grad: X");
        const Index rows = X.shape(0);
        if (rows < 1) throw std::invalid_argument("loss_and_grad: X has no rows");
        nncore::Targets<T> t;
        if (labels) {
          if (labels->ndim() != 1 || labels->shape(0) != rows)
            throw std::invalid_argument("loss_and_grad: labels must have shape (rows,)");
          const std::int64_t* l = labels->data();
          for (Index i = 0; i < rows; ++i)
            if (l[i] < 0 || l[i] >= n.n_out()) throw std::invalid_argument("loss_and_grad: label out of range");
          t.labels = l;
        } else if (Y) {
          expect_shape(*Y, rows, n.n_out(), "loss_and_grad: Y");
          t.Y = Y->data();
        } else {
          throw std::invalid_argument("loss_and_grad: needs Y or labels");
        }
        if (w) {  // values were checked in Python (finite, >= 0)
          if (w->ndim() != 1 || w->shape(0) != rows)
            throw std::invalid_argument("loss_and_grad: sample weights must have shape (rows,)");
          t.w = w->data();
        }
        check_loss(n, loss, bool(labels), "loss_and_grad");
        // The gradient lands in a new array under the lock: another thread's call
        // may overwrite the network's gradient arena right after.
        std::optional<py::array_t<T>> grad;
        if (want_grad) grad.emplace(n.num_params());
        T* g = want_grad ? grad->mutable_data() : nullptr;
        const T* x = X.data();
        double value = 0.0;
        SignalPoll poll;
        bool done;
        {
          py::gil_scoped_release nogil;
          std::lock_guard<std::recursive_mutex> lock(n.mutex());
          nncore::DropoutKey key;  // masks of rows 0..rows-1 at that step, if given
          key.on = bool(dropout_step), key.seed = dropout_seed;
          key.step = dropout_step.value_or(0);
          const nncore::DropoutScope<T> masks(n, key);
          done = n.loss_and_grad_chunked(x, rows, loss, t, l1, l2, &value, g, poll.fn());
        }
        if (!done) throw py::error_already_set();  // Ctrl-C: KeyboardInterrupt
        return py::make_tuple(value, grad);
      }, py::arg("X").noconvert(), py::arg("Y").noconvert(), py::arg("labels").noconvert(),
         py::arg("loss"), py::arg("l1"), py::arg("l2"), py::arg("want_grad"),
         py::arg("w").noconvert() = py::none(), py::arg("dropout_seed") = 0,
         py::arg("dropout_step") = py::none());
}

}  // namespace

template <class T>
void check_loss(const Network<T>& net, LossKind loss, bool has_labels, const char* what) {
  const std::string fn(what);
  if (!known(loss, nncore::kLossKindNames))
    throw std::invalid_argument(fn + ": unknown loss code");
  if ((loss == LossKind::BCE || loss == LossKind::CE || loss == LossKind::Poisson) &&
      !net.fused_with(loss))
    throw std::invalid_argument(fn + ": bce needs a final Sigmoid, ce a final Softmax, "
                                "poisson a final Exp");
  if (has_labels && loss != LossKind::CE)
    throw std::invalid_argument(fn + ": labels need loss 'ce'");
}
template void check_loss(const Network<float>&, LossKind, bool, const char*);
template void check_loss(const Network<double>&, LossKind, bool, const char*);

template <class T>
void bind_all_finite(py::module_& m) {
  m.def("all_finite", [](CArray<T> x) {
    const T* p = x.data();
    const Index n = Index(x.size());
    py::gil_scoped_release nogil;
    return nncore::all_finite(p, n);
  }, py::arg("x").noconvert(), "Whether every value of x is finite (threaded scan)");
}

void bind_network(py::module_& m) {
  bind_layer_spec(m);
  bind_one<float>(m, "Network32");
  bind_one<double>(m, "Network64");
  bind_all_finite<float>(m);
  bind_all_finite<double>(m);
}

}  // namespace nncore_bind
