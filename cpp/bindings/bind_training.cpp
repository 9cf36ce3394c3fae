// Training for Python: fit / train_step / evaluate, their configs, and the
// shared shuffle. Callbacks re-acquire the GIL; a Python exception raised in
// one (KeyboardInterrupt from Ctrl-C included) stops the loop at a batch
// boundary and is handed back to the caller to re-raise after the history is kept.
#include <cmath>
#include <optional>
#include <stdexcept>

#include "nncore/shuffle.hpp"
#include "nncore/trainer.hpp"
#include "pybind.hpp"

namespace nncore_bind {
using namespace nncore;

namespace {

template <class T>
Dataset<T> to_dataset(Network<T>& net, LossKind loss, const CArray<T>& X,
                      const std::optional<CArray<T>>& Y,
                      const std::optional<CArray<std::int64_t>>& labels, const char* what,
                      const std::optional<CArray<T>>& w = std::nullopt) {
  check_loss(net, loss, bool(labels), what);
  if (X.ndim() != 2 || X.shape(1) != net.n_in() || X.shape(0) < 1)
    throw std::invalid_argument(std::string(what) + ": X must have shape (n >= 1, " +
                                std::to_string(net.n_in()) + ")");
  Dataset<T> d;
  d.X = X.data();
  d.rows = X.shape(0);
  if (labels) {
    if (labels->ndim() != 1 || labels->shape(0) != d.rows)
      throw std::invalid_argument(std::string(what) + ": labels must have shape (n,)");
    for (Index i = 0; i < d.rows; ++i)
      if (labels->data()[i] < 0 || labels->data()[i] >= net.n_out())
        throw std::invalid_argument(std::string(what) + ": label out of range");
    d.y.labels = labels->data();
  } else if (Y) {
    if (Y->ndim() != 2 || Y->shape(0) != d.rows || Y->shape(1) != net.n_out())
      throw std::invalid_argument(std::string(what) + ": Y must have shape (n, n_out)");
    d.y.Y = Y->data();
  } else {
    throw std::invalid_argument(std::string(what) + ": needs Y or labels");
  }
  if (w) {  // values were checked in Python (finite, >= 0); the shape is checked here
    if (w->ndim() != 1 || w->shape(0) != d.rows)
      throw std::invalid_argument(std::string(what) + ": sample weights must have shape (n,)");
    d.y.w = w->data();
  }
  return d;
}

template <class T>
OptimizerState<T> to_state(Network<T>& net, std::optional<CArray<T>>& m,
                           std::optional<CArray<T>>& v, std::int64_t t) {
  OptimizerState<T> st;
  for (auto* a : {&m, &v})
    if (*a && ((*a)->ndim() != 1 || (*a)->shape(0) != net.num_params() || !(*a)->writeable()))
      throw std::invalid_argument("optimizer state: buffers must be writeable, shape (num_params,)");
  if (m) st.m = m->mutable_data();
  if (v) st.v = v->mutable_data();
  st.t = t;
  return st;
}

void check_opt(const OptimizerConfig& o, bool has_m, bool has_v) {
  if (!known(o.kind, kOptimizerKindNames) || !known(o.form, kMomentumFormNames))
    throw std::invalid_argument("optimizer config: unknown optimizer kind or momentum form");
  const bool need_m = o.kind == OptimizerKind::Momentum || o.kind == OptimizerKind::Adam;
  const bool need_v = o.kind == OptimizerKind::RMSprop || o.kind == OptimizerKind::Adam;
  if ((need_m && !has_m) || (need_v && !has_v))
    throw std::invalid_argument("optimizer state: missing m or v buffer for this optimizer");
}

// Typed so that the generated stubs say dict[str, Any].
using PyDict = py::typing::Dict<py::str, py::object>;

PyDict history_to_dict(const History& h) {
  PyDict d;
  d["loss"] = h.loss;
  d["val_loss"] = h.val_loss;
  d["metric"] = h.metric;
  d["val_metric"] = h.val_metric;
  d["lr"] = h.lr;
  d["seconds"] = h.seconds;
  d["epochs_run"] = h.epochs_run;
  d["best_epoch"] = h.best_epoch;
  d["stop_reason"] = h.stop_reason;
  return d;
}

PyDict report_to_dict(const EpochReport& r) {
  PyDict d;
  d["epoch"] = r.epoch;
  d["loss"] = r.loss;
  d["lr"] = r.lr;
  d["seconds"] = r.seconds;
  if (r.has_metric) d["metric"] = r.metric;
  if (r.has_val) {
    d["val_loss"] = r.val_loss;
    if (r.has_metric) d["val_metric"] = r.val_metric;
  }
  return d;
}

// fit's calls back into Python, each under the GIL. A Python exception raised
// in one (KeyboardInterrupt included) stops fit and is kept in `error` for the
// caller to re-raise. Holds references to the binding's arguments: lives in its scope.
class PyCallbacks {
 public:
  PyCallbacks(const py::object& on_report, const py::object& on_batch, const py::object& lr_for,
              bool poll_signals) {
    if (!on_report.is_none())
      report = [this, &on_report](const EpochReport& r) {
        return call(on_report, [&r] { return report_to_dict(r); });
      };
    if (!on_batch.is_none())
      batch = [this, &on_batch](const BatchReport& r) {
        return call(on_batch, [&r] {
          PyDict d;
          d["epoch"] = r.epoch;
          d["batch"] = r.batch;
          d["size"] = r.rows;
          d["loss"] = r.loss;
          return d;
        });
      };
    // lr_for(epoch, lr) -> the lr to use (a float; Python checks it is finite and > 0).
    if (!lr_for.is_none())
      lr = [this, &lr_for](Index epoch, double* rate) {
        py::gil_scoped_acquire gil;
        try {
          *rate = lr_for(epoch, *rate).template cast<double>();
          return true;
        } catch (py::error_already_set& e) {
          keep(e);
          return false;
        }
      };
    if (poll_signals)
      poll = [this]() {
        py::gil_scoped_acquire gil;
        if (PyErr_CheckSignals() == 0) return true;
        py::error_already_set e;
        keep(e);
        return false;
      };
  }
  PyCallbacks(const PyCallbacks&) = delete;
  PyCallbacks& operator=(const PyCallbacks&) = delete;

  ReportFn report;
  BatchFn batch;
  LrFn lr;
  PollFn poll;
  py::object error = py::none();

 private:
  template <class MakeArg>
  bool call(const py::object& fn, const MakeArg& make_arg) {
    py::gil_scoped_acquire gil;
    try {
      return fn(make_arg()).template cast<bool>();
    } catch (py::error_already_set& e) {
      keep(e);
      return false;
    }
  }

  void keep(py::error_already_set& e) {
    error = e.value();
    e.restore();
    PyErr_Clear();
  }
};

// An optional output buffer of rows × n_out (fit's and evaluate's outputs=).
template <class T>
T* output_buffer(std::optional<CArray<T>>& a, Index rows, Index width, const char* what) {
  if (!a) return nullptr;
  if (a->ndim() != 2 || a->shape(0) != rows || a->shape(1) != width || !a->writeable())
    throw std::invalid_argument(std::string(what) + ": outputs must be writeable, shape (" +
                                std::to_string(rows) + ", " + std::to_string(width) + ")");
  return a->mutable_data();
}

// The gradient estimator's settings (python/nncore checks them with their names first).
void check_gradient(const FitConfig& cfg, const char* what) {
  if (!known(cfg.gradient, kGradientKindNames))
    throw std::invalid_argument(std::string(what) + ": unknown gradient kind");
  if (cfg.tangents < 1) throw std::invalid_argument(std::string(what) + ": tangents must be >= 1");
  if (!(cfg.epsilon > 0) || !std::isfinite(cfg.epsilon))
    throw std::invalid_argument(std::string(what) + ": epsilon must be finite and > 0");
}

template <class T>
void bind_one(py::module_& m) {
  using Net = Network<T>;
  m.def("fit", [](Net& net, CArray<T> X, std::optional<CArray<T>> Y,
                  std::optional<CArray<std::int64_t>> labels, std::optional<CArray<T>> Xv,
                  std::optional<CArray<T>> Yv, std::optional<CArray<std::int64_t>> labels_v,
                  const FitConfig& cfg, const OptimizerConfig& opt, std::optional<CArray<T>> mbuf,
                  std::optional<CArray<T>> vbuf, std::int64_t t, py::object on_report,
                  bool poll_signals, py::object on_batch, std::optional<CArray<T>> w,
                  py::object lr_for, std::optional<CArray<T>> out, std::optional<CArray<T>> out_v,
                  std::optional<CArray<T>> wv) {
    if (cfg.epochs < 0 || cfg.batch_size < 1) throw std::invalid_argument("fit: bad epochs/batch_size");
    if (!known(cfg.schedule.kind, kScheduleKindNames))
      throw std::invalid_argument("fit: unknown schedule kind");
    // Divisors of the schedules (python/nncore checks them with their names first).
    if ((cfg.schedule.kind == ScheduleKind::Step && cfg.schedule.step_size < 1) ||
        (cfg.schedule.kind == ScheduleKind::Cosine && cfg.schedule.t_max < 1))
      throw std::invalid_argument("fit: schedule step_size and t_max must be >= 1");
    check_gradient(cfg, "fit");
    const Dataset<T> train = to_dataset(net, cfg.loss, X, Y, labels, "fit", w);
    std::optional<Dataset<T>> val;
    if (Xv) val = to_dataset(net, cfg.loss, *Xv, Yv, labels_v, "fit (validation)", wv);
    OptimizerState<T> st = to_state(net, mbuf, vbuf, t);
    check_opt(opt, st.m, st.v);
    EpochOutputs<T> outputs;
    outputs.train = output_buffer(out, train.rows, net.n_out(), "fit");
    outputs.val = val ? output_buffer(out_v, val->rows, net.n_out(), "fit (validation)") : nullptr;
    PyCallbacks cb(on_report, on_batch, lr_for, poll_signals);
    History h;
    {
      py::gil_scoped_release nogil;
      std::lock_guard<std::recursive_mutex> lock(net.mutex());
      h = nncore::fit(net, train, val ? &*val : nullptr, cfg, opt, st, cb.report, cb.poll,
                      cb.batch, cb.lr, outputs);
    }
    return py::make_tuple(history_to_dict(h), st.t, cb.error);
  }, py::arg("net"), py::arg("X").noconvert(), py::arg("Y").noconvert(),
     py::arg("labels").noconvert(), py::arg("Xv").noconvert(), py::arg("Yv").noconvert(),
     py::arg("labels_v").noconvert(), py::arg("cfg"), py::arg("opt"), py::arg("m").noconvert(),
     py::arg("v").noconvert(), py::arg("t"), py::arg("on_report"), py::arg("poll_signals"),
     py::arg("on_batch") = py::none(), py::arg("w").noconvert() = py::none(),
     py::arg("lr_for") = py::none(), py::arg("outputs").noconvert() = py::none(),
     py::arg("val_outputs").noconvert() = py::none(), py::arg("wv").noconvert() = py::none());

  m.def("train_step", [](Net& net, CArray<T> X, std::optional<CArray<T>> Y,
                         std::optional<CArray<std::int64_t>> labels, const FitConfig& cfg,
                         const OptimizerConfig& opt, std::optional<CArray<T>> mbuf,
                         std::optional<CArray<T>> vbuf, std::int64_t t, double lr,
                         std::optional<CArray<T>> w) {
    check_gradient(cfg, "train_step");
    const Dataset<T> batch = to_dataset(net, cfg.loss, X, Y, labels, "train_step", w);
    OptimizerState<T> st = to_state(net, mbuf, vbuf, t);
    check_opt(opt, st.m, st.v);
    double loss;
    {
      py::gil_scoped_release nogil;
      std::lock_guard<std::recursive_mutex> lock(net.mutex());
      loss = nncore::train_step(net, batch, cfg, opt, st, lr);
    }
    return py::make_tuple(loss, st.t);
  }, py::arg("net"), py::arg("X").noconvert(), py::arg("Y").noconvert(),
     py::arg("labels").noconvert(), py::arg("cfg"), py::arg("opt"), py::arg("m").noconvert(),
     py::arg("v").noconvert(), py::arg("t"), py::arg("lr"), py::arg("w").noconvert() = py::none());

  m.def("evaluate", [](Net& net, CArray<T> X, std::optional<CArray<T>> Y,
                       std::optional<CArray<std::int64_t>> labels, LossKind loss, double l1, double l2,
                       std::optional<CArray<T>> w, std::optional<CArray<T>> out) {
    const Dataset<T> d = to_dataset(net, loss, X, Y, labels, "evaluate", w);
    T* outputs = output_buffer(out, d.rows, net.n_out(), "evaluate");
    double value, metric;
    {
      py::gil_scoped_release nogil;
      std::lock_guard<std::recursive_mutex> lock(net.mutex());
      net.reserve(std::min<Index>(d.rows, 4096));
      value = nncore::evaluate(net, d, loss, l1, l2, &metric, outputs);
    }
    return py::make_tuple(value, metric);
  }, py::arg("net"), py::arg("X").noconvert(), py::arg("Y").noconvert(),
     py::arg("labels").noconvert(), py::arg("loss"), py::arg("l1"), py::arg("l2"),
     py::arg("w").noconvert() = py::none(), py::arg("outputs").noconvert() = py::none());
}

}  // namespace

void bind_training(py::module_& m) {
  py::class_<ScheduleConfig>(m, "ScheduleConfig")
      .def(py::init<>())
      .def_readwrite("kind", &ScheduleConfig::kind)
      .def_readwrite("step_size", &ScheduleConfig::step_size)
      .def_readwrite("gamma", &ScheduleConfig::gamma)
      .def_readwrite("t_max", &ScheduleConfig::t_max)
      .def_readwrite("min_lr", &ScheduleConfig::min_lr)
      .def_readwrite("factor", &ScheduleConfig::factor)
      .def_readwrite("patience", &ScheduleConfig::patience)
      .def_readwrite("threshold", &ScheduleConfig::threshold);
  py::class_<FitConfig>(m, "FitConfig")
      .def(py::init<>())
      .def_readwrite("loss", &FitConfig::loss)
      .def_readwrite("l1", &FitConfig::l1)
      .def_readwrite("l2", &FitConfig::l2)
      .def_readwrite("epochs", &FitConfig::epochs)
      .def_readwrite("batch_size", &FitConfig::batch_size)
      .def_readwrite("shuffle", &FitConfig::shuffle)
      .def_readwrite("seed", &FitConfig::seed)
      .def_readwrite("dropout_seed", &FitConfig::dropout_seed)
      .def_readwrite("first_epoch", &FitConfig::first_epoch)
      .def_readwrite("lr", &FitConfig::lr)
      .def_readwrite("clip_norm", &FitConfig::clip_norm)
      .def_readwrite("penalty_per_weight", &FitConfig::penalty_per_weight)
      .def_readwrite("schedule", &FitConfig::schedule)
      .def_readwrite("gradient", &FitConfig::gradient)
      .def_readwrite("tangents", &FitConfig::tangents)
      .def_readwrite("epsilon", &FitConfig::epsilon)
      .def_readwrite("patience", &FitConfig::patience)
      .def_readwrite("min_delta", &FitConfig::min_delta)
      .def_readwrite("restore_best", &FitConfig::restore_best)
      .def_readwrite("report_seconds", &FitConfig::report_seconds)
      .def_readwrite("report_every_epochs", &FitConfig::report_every_epochs)
      .def_readwrite("report_every_batches", &FitConfig::report_every_batches)
      .def_readwrite("poll_seconds", &FitConfig::poll_seconds);
  py::class_<OptimizerConfig>(m, "OptimizerConfig")
      .def(py::init<>())
      .def_readwrite("kind", &OptimizerConfig::kind)
      .def_readwrite("form", &OptimizerConfig::form)
      .def_readwrite("gamma", &OptimizerConfig::gamma)
      .def_readwrite("beta2", &OptimizerConfig::beta2)
      .def_readwrite("eps", &OptimizerConfig::eps)
      .def_readwrite("eps_inside", &OptimizerConfig::eps_inside)
      .def_readwrite("weight_decay", &OptimizerConfig::weight_decay);

  bind_one<float>(m);
  bind_one<double>(m);

  m.def("permutation", [](std::uint64_t seed, std::uint64_t epoch, Index n) {
    if (n < 0) throw std::invalid_argument("permutation: n must be >= 0");
    py::array_t<std::int64_t> out(n);
    nncore::permutation(seed, epoch, n, out.mutable_data());
    return out;
  }, py::arg("seed"), py::arg("epoch"), py::arg("n"));
}

}  // namespace nncore_bind
