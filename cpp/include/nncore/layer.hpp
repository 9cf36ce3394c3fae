// Layer and loss descriptions shared by the network, the trainer and the bindings.
#pragma once
#include <cstdint>
#include <string>

namespace nncore {

using Index = std::int64_t;

// Codes must match python/nncore/layers.py KIND_CODES.
enum class LayerKind : int {
  Dense = 0, Identity = 1, Sigmoid = 2, Tanh = 3, ReLU = 4, LeakyReLU = 5,
  PReLU = 6, ELU = 7, Maxout = 8, Step = 9, Softmax = 10,
};

// Codes must match python/nncore/model.py LOSS_CODES.
enum class LossKind : int { MSE = 0, MSEMean = 1, BCE = 2, CE = 3 };

// What the builder passes in: one entry per layer of the Sequential.
struct LayerSpec {
  LayerKind kind;
  Index in = 0, out = 0;  // widths (activations: in == out)
  Index k = 1;            // Maxout pieces
  double hyper = 0.0;     // LeakyReLU slope, ELU alpha
  Index n_alpha = 0;      // PReLU: 1 (shared) or out (per unit)
};

// A layer placed in the network: where its parameters live in the arena.
struct Layer {
  LayerSpec spec;
  Index w_off = 0, w_size = 0;  // weights θ (Dense: in×out, Maxout: k×in×out)
  Index b_off = 0, b_size = 0;  // biases (Dense: out, Maxout: k×out)
  Index a_off = 0;              // PReLU α
  Index act_off = 0;            // output block in the activation workspace (per row)
  Index idx_off = 0;            // Maxout argmax block (per row)
};

const char* layer_name(LayerKind kind);

}  // namespace nncore
