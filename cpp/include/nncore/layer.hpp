// Layer and loss descriptions shared by the network, the trainer and the bindings.
#pragma once
#include <cstdint>
#include <string>

namespace nncore {

using Index = std::int64_t;

// Each code table of the core is an enum plus the names Python knows it by.
// The bindings export every table as a Python enum (_core.LayerKind, ...) with
// exactly these member names, so the Python side looks codes up by name and
// tests/test_core_contract.py checks that both sides list the same names.
template <class E>
struct EnumName {
  const char* name;
  E value;
};

enum class LayerKind : int {
  Dense, Identity, Sigmoid, Tanh, ReLU, LeakyReLU, PReLU, ELU, Maxout, Step, Softmax, Exp,
  Dropout,  // last: codes of older kinds stay as they were
};
inline constexpr EnumName<LayerKind> kLayerKindNames[] = {
    {"dense", LayerKind::Dense},   {"identity", LayerKind::Identity},
    {"sigmoid", LayerKind::Sigmoid}, {"tanh", LayerKind::Tanh},
    {"relu", LayerKind::ReLU},     {"leaky_relu", LayerKind::LeakyReLU},
    {"prelu", LayerKind::PReLU},   {"elu", LayerKind::ELU},
    {"maxout", LayerKind::Maxout}, {"step", LayerKind::Step},
    {"softmax", LayerKind::Softmax}, {"exp", LayerKind::Exp},
    {"dropout", LayerKind::Dropout},
};

enum class LossKind : int { MSE, MSEMean, BCE, CE, Poisson };
inline constexpr EnumName<LossKind> kLossKindNames[] = {
    {"mse", LossKind::MSE}, {"mse_mean", LossKind::MSEMean},
    {"bce", LossKind::BCE}, {"ce", LossKind::CE}, {"poisson", LossKind::Poisson},
};

// What the builder passes in: one entry per layer of the Sequential.
struct LayerSpec {
  LayerKind kind;
  Index in = 0, out = 0;  // widths (activations: in == out)
  Index k = 1;            // Maxout pieces
  double hyper = 0.0;     // LeakyReLU slope, ELU alpha, Dropout p
  Index n_alpha = 0;      // PReLU: 1 (shared) or out (per unit)
  bool bias = true;       // Dense: false leaves b out of the arena (a = θᵀx, as on the slides)
};

// A layer placed in the network: where its parameters live in the arena.
struct Layer {
  LayerSpec spec;
  Index w_off = 0, w_size = 0;  // weights θ (Dense: in×out, Maxout: k×in×out)
  Index b_off = 0, b_size = 0;  // biases (Dense: out or 0 without bias, Maxout: k×out)
  Index a_off = 0;              // PReLU α
  Index act_off = 0;            // output block in the activation workspace (per row)
  Index idx_off = 0;            // Maxout argmax block (per row)
};

const char* layer_name(LayerKind kind);

}  // namespace nncore
