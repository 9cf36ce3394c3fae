// The tiny-network path: for networks small enough that a GEMM call per layer
// costs more in dispatch, packing and passes over memory than in arithmetic
// (moons 2-10-10-1, xor 2-4-1), a block of rows goes through every layer,
// forward, loss and backward, while its activations stay in L1 (one 64-byte
// vector of rows per feature). Per-block weight gradients land in per-lane
// partial sums, reduced in a fixed order at the end of the batch; the
// optimizer then updates the whole arena in one pass. It runs on the calling
// thread and its choice depends on the network and the loss only, so results
// do not depend on the thread count. Networks it does not take (Maxout, PReLU,
// Step, or too many parameters) use the general path.
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "nncore/network.hpp"
#include "nncore/tiny.hpp"
#include "lanes.hpp"

namespace nncore::tiny {

template <class T>
class Path {
 public:
  // Rows per block: one 64-byte vector of T (8 double, 16 float), whatever the ISA.
  static constexpr Index kLanes = Lanes<T>::L;
  using V = typename Lanes<T>::V;
  using Slot = typename Lanes<T>::Slot;
  // Largest network taken: its per-lane gradient sums (num_params × 64 bytes)
  // stay in L1/L2 next to the block's activations.
  static constexpr Index kMaxParams = 1024;

  // The path for `net`, or null if the network has a layer it does not take.
  static std::shared_ptr<Path> make(Network<T>& net);

  // Whether this call goes through the tiny path: the switch is on and the
  // loss is one whose δ the block loop computes (others: the general path).
  bool takes(LossKind loss) const {
    return enabled() && (loss == LossKind::MSE || loss == LossKind::MSEMean ||
                         loss == LossKind::BCE || loss == LossKind::CE);
  }

  // What Network::loss_and_grad / train_batch / predict compute, with the same
  // contracts (the caller has checked differentiability and reserved `rows`;
  // the last layer's output is left where layer_output() finds it).
  double loss_and_grad(const T* X, Index rows, LossKind loss, Targets<T> t, double l1,
                       double l2, bool want_grad);
  double train_batch(const T* X, Index rows, LossKind loss, Targets<T> t, double l1, double l2,
                     const OptimizerUpdate<T>& update, T* m, T* v, bool* finite_update);
  void predict(const T* X, Index rows, T* out);

  // Forward mode (train/forward_gradient.hpp): the primal pass of loss_and_grad
  // and, block by block beside it, the tangent of every layer along each of k
  // tangents v (k × num_params, back to back): d[j] = ∇(mean loss)·v_j = Σ δ ⊙ ż_j.
  // Returns the mean loss without the penalty. Call reserve_tangents(k) first.
  void reserve_tangents(Index k);
  double directional(const T* X, Index rows, LossKind loss, Targets<T> t, const T* v, Index k,
                     double* d);

  // One layer as the block loops see it: offsets into the arena and, in units
  // of kLanes values, into the block buffer (input, output).
  struct Op {
    LayerKind kind;
    Index in, out, w_off, b_off, in_at, out_at;
    T hyper;
  };

  explicit Path(Network<T>& net);

 private:
  // Forward, loss and (with grads) backward over every block: the mean loss
  // without the penalty; the gradient arena receives ∂(mean loss)/∂θ. With
  // `out`, forward only, the output rows written there.
  // With k > 0 tangents v, d[j] = Σ δ ⊙ ż_j instead of the gradient.
  double run(const T* X, Index rows, LossKind loss, Targets<T> t, bool grads, T* out,
             const T* v = nullptr, Index k = 0, double* d = nullptr);

  Network<T>& net_;
  std::vector<Op> ops_;
  Index n_in_ = 0, n_out_ = 0, max_width_ = 0;
  // One vector per feature (block_: the input, then every layer's output, as in
  // the network's activation workspace), per parameter (lanes_).
  std::vector<Slot> block_;
  std::vector<Slot> delta0_, delta1_;  // δ of the current layer
  std::vector<Slot> targets_;          // the block's targets
  std::vector<Slot> lanes_;            // ∂θ partial sums, one lane per row of the block
  std::vector<Slot> tan0_, tan1_;      // forward mode: the tangent of the current layer
  std::vector<double> dlanes_;         // forward mode: Σ δ ⊙ ż per tangent and lane
};

}  // namespace nncore::tiny
