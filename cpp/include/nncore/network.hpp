// Network<T>: a stack of layers over ONE parameter arena and ONE gradient
// arena, with workspaces for a batch. Forward, loss and backward for the
// whole network run here in one call; Python is never entered per layer.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "nncore/dropout.hpp"
#include "nncore/layer.hpp"
#include "nncore/losses.hpp"
#include "nncore/optim.hpp"

namespace nncore {

// Asked between pieces of a long call; false stops it (the bindings check for Ctrl-C).
using PollFn = std::function<bool()>;

// Rows per piece of predict and of the whole-data loss_and_grad: fixed, so the
// arithmetic (and every result) does not depend on the thread count or on how
// often the caller polls.
constexpr Index kRowsPerChunk = 4096;
namespace tiny { template <class T> class Path; }

template <class T>
class Network {
 public:
  explicit Network(const std::vector<LayerSpec>& specs);
  Network(const Network&) = delete;
  Network& operator=(const Network&) = delete;

  Index num_params() const { return Index(params_.size()); }
  Index n_in() const { return layers_.front().spec.in; }
  Index n_out() const { return layers_.back().spec.out; }
  T* params() { return params_.data(); }
  T* grads() { return grads_.data(); }
  const std::vector<Layer>& layers() const { return layers_; }
  // Serialises calls that share the workspaces (Python threads may call concurrently);
  // recursive so a fit callback may call predict on the same thread.
  std::recursive_mutex& mutex() { return mutex_; }

  // Size the workspaces for batches of up to `rows` (grows, never shrinks).
  void reserve(Index rows);
  Index capacity() const { return cap_; }

  // Forward pass of one batch (rows ≤ capacity) into the workspace; returns
  // the final output (rows × n_out). X may be any rows×n_in buffer.
  const T* forward(const T* X, Index rows);
  // Output of layer i from the last forward (rows × width of layer i).
  const T* layer_output(Index i) const { return acts_.data() + cap_ * layers_[i].act_off; }
  // Maxout layer i: the winning piece of every output from the last forward.
  const std::int32_t* maxout_winners(Index i) const {
    return argmax_.data() + cap_ * layers_[i].idx_off;
  }

  // Forward in chunks of `chunk` rows; writes rows × n_out into out.
  // Inference only: two activation buffers of the widest layer, whatever the depth
  // (layer_output() is not valid after it). poll (if set) is asked after every
  // chunk but the last; false stops early and returns false (out partly written).
  bool predict(const T* X, Index rows, T* out, const PollFn& poll = {},
               Index chunk = kRowsPerChunk);

  // L = mean loss + l2·ΣW² + l1·Σ|W| on one batch (rows ≤ capacity after reserve).
  // With want_grad the gradient arena receives ∂L/∂θ. Throws if a layer
  // (Step) has no gradient.
  double loss_and_grad(const T* X, Index rows, LossKind loss, Targets<T> targets, double l1,
                       double l2, bool want_grad);

  // loss_and_grad over any number of rows, in chunks of kRowsPerChunk (bounded
  // workspace; poll, if set, asked after every chunk but the last, false stops it
  // and returns false). Each chunk's mean loss and gradient enter weighted by its
  // share of the rows (of the sample weight); the penalty is added once. *value
  // gets L, grad (num_params values, or null for the value only) ∂L/∂θ. Up to
  // kRowsPerChunk rows: the same numbers as loss_and_grad, bit for bit.
  bool loss_and_grad_chunked(const T* X, Index rows, LossKind loss, Targets<T> targets,
                             double l1, double l2, double* value, T* grad,
                             const PollFn& poll = {});

  // λ₂·ΣW² + λ₁·Σ|W| over the weights (not biases, not α).
  double penalty_value(double l1, double l2) { return penalty(l1, l2, nullptr); }
  // 1 where the arena holds a penalised weight, 0 for biases and α.
  const std::vector<std::uint8_t>& weight_mask() const { return weight_mask_; }

  // One training step with the optimizer fused into backpropagation: each
  // Dense layer's θ is updated block by block by the threads that computed
  // its ∂θ (GemmEpilogue), right after ∂X has been passed down (that needs the
  // old θ); biases, α and Maxout are updated after the pass. Same arithmetic
  // as loss_and_grad followed by optimizer_step (no clipping). Returns the
  // batch loss L; *finite_update is false if a new θ is not finite (θ may then
  // be partly updated: the caller restores its snapshot). A non-finite L
  // returns before anything changes.
  double train_batch(const T* X, Index rows, LossKind loss, Targets<T> targets, double l1,
                     double l2, const OptimizerUpdate<T>& update, T* m, T* v,
                     bool* finite_update);

  // Dropout layers mask their units in the forward/backward passes that follow
  // (training: loss_and_grad, train_batch) until the key is switched off again;
  // predict never masks. The trainer sets the key per batch (DropoutScope).
  void set_dropout(const DropoutKey& key) { dropout_ = key; }
  const DropoutKey& dropout() const { return dropout_; }

  // Whether the loss starts from the logits of the last layer (BCE+Sigmoid, CE+Softmax).
  bool fused_with(LossKind loss) const;
  // Throws std::invalid_argument naming the first layer without a gradient.
  void check_differentiable() const;

 private:
  friend class tiny::Path<T>;
  // Small networks run a block of rows through all layers at once (src/tiny/);
  // null when the network has a layer that path does not take.
  std::shared_ptr<tiny::Path<T>> tiny_;
  // The penalty's value; with grad (an arena-sized buffer) its gradient is added there.
  double penalty(double l1, double l2, T* grad);
  void reserve_inference(Index rows);
  const T* run_forward(const T* X, Index rows, bool keep);
  struct Fused;  // the optimizer riding along in backward (train_batch)
  struct Part;   // a Fused update of one Dense layer
  void backward(const T* X, Index rows, Index start_layer, T* delta, Fused* fused = nullptr);
  void dense_backward(const Layer& L, const T* in, Index rows, bool first, const T* delta,
                      T* delta_in, Fused* fused);
  static void dense_update_block(void* ctx, Index r0, Index r1, Index c0, Index c1);

  std::vector<Layer> layers_;
  std::vector<T> params_, grads_;
  Index act_width_ = 0;    // Σ layer widths (activation workspace per row)
  Index idx_width_ = 0;    // Σ Maxout widths (argmax workspace per row)
  Index delta_width_ = 0;  // widest δ or Maxout pre-activation per row
  Index cap_ = 0;
  std::vector<T> acts_, scratch_, delta0_, delta1_;
  std::vector<std::int32_t> argmax_;
  // predict's workspaces: two activation buffers taking turns, Maxout's z and argmax.
  Index max_width_ = 0, max_maxout_ = 0, infer_cap_ = 0;
  std::vector<T> infer_a_, infer_b_, infer_scratch_;
  std::vector<std::int32_t> infer_idx_;
  std::vector<std::uint8_t> weight_mask_;
  DropoutKey dropout_;  // off unless a training pass switched it on
  std::recursive_mutex mutex_;
};

// Switches a network's dropout masks on for one scope (a training pass) and off after.
template <class T>
struct DropoutScope {
  Network<T>& net;
  DropoutScope(Network<T>& n, const DropoutKey& key) : net(n) { net.set_dropout(key); }
  ~DropoutScope() { net.set_dropout(DropoutKey{}); }
  DropoutScope(const DropoutScope&) = delete;
  DropoutScope& operator=(const DropoutScope&) = delete;
};

}  // namespace nncore
