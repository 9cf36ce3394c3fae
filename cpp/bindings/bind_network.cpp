// Network<float|double> for Python: checks shapes, takes pointers, releases
// the GIL around compute, wraps results. Conversion and friendly messages
// happen in python/nncore; these checks only keep direct misuse from crashing.
#include <optional>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include "nncore/network.hpp"
#include "pybind.hpp"

namespace nncore_bind {
using nncore::Index;
using nncore::LayerKind;
using nncore::LayerSpec;
using nncore::LossKind;
using nncore::Network;

namespace {

using SpecTuple = std::tuple<int, Index, Index, Index, double, Index>;

std::vector<LayerSpec> to_specs(const std::vector<SpecTuple>& tuples) {
  std::vector<LayerSpec> specs;
  for (const auto& t : tuples) {
    LayerSpec s;
    s.kind = LayerKind(std::get<0>(t));
    s.in = std::get<1>(t);
    s.out = std::get<2>(t);
    s.k = std::get<3>(t);
    s.hyper = std::get<4>(t);
    s.n_alpha = std::get<5>(t);
    specs.push_back(s);
  }
  return specs;
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
      .def(py::init([](const std::vector<SpecTuple>& specs) {
        return new Net(to_specs(specs));
      }))
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
      .def("predict", [](Net& n, CArray<T> X, CArray<T> out) {
        expect_shape(X, X.ndim() == 2 ? X.shape(0) : -1, n.n_in(), "predict: X");
        expect_shape(out, X.shape(0), n.n_out(), "predict: out");
        const T* x = X.data();
        T* o = out.mutable_data();
        const Index rows = X.shape(0);
        py::gil_scoped_release nogil;
        std::lock_guard<std::recursive_mutex> lock(n.mutex());
        n.predict(x, rows, o);
      }, py::arg("X").noconvert(), py::arg("out").noconvert())
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
                               std::optional<CArray<std::int64_t>> labels, int loss, double l1,
                               double l2, bool want_grad) {
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
        check_loss(loss, loss >= 0 && loss <= int(LossKind::CE) && n.fused_with(LossKind(loss)),
                   bool(labels), "loss_and_grad");
        // The gradient is copied out under the lock: another thread's call
        // may overwrite the network's gradient arena right after.
        py::array_t<T> grad(want_grad ? n.num_params() : 0);
        T* g = grad.mutable_data();
        const T* x = X.data();
        double value;
        {
          py::gil_scoped_release nogil;
          std::lock_guard<std::recursive_mutex> lock(n.mutex());
          value = n.loss_and_grad(x, rows, LossKind(loss), t, l1, l2, want_grad);
          if (want_grad) std::copy(n.grads(), n.grads() + n.num_params(), g);
        }
        return py::make_tuple(value, want_grad ? py::object(grad) : py::object(py::none()));
      }, py::arg("X").noconvert(), py::arg("Y").noconvert(), py::arg("labels").noconvert(),
         py::arg("loss"), py::arg("l1"), py::arg("l2"), py::arg("want_grad"));
}

}  // namespace

void check_loss(int loss, bool fused_ok, bool has_labels, const char* what) {
  const std::string fn(what);
  if (loss < 0 || loss > int(LossKind::CE)) throw std::invalid_argument(fn + ": unknown loss code");
  const LossKind k = LossKind(loss);
  if ((k == LossKind::BCE || k == LossKind::CE) && !fused_ok)
    throw std::invalid_argument(fn + ": bce needs a final Sigmoid, ce a final Softmax");
  if (has_labels && k != LossKind::CE) throw std::invalid_argument(fn + ": labels need loss 'ce'");
}

void bind_network(py::module_& m) {
  bind_one<float>(m, "Network32");
  bind_one<double>(m, "Network64");
}

}  // namespace nncore_bind
