// The minibatches of one epoch. Without shuffling (or with one full batch,
// whose gradient is the same sum in any row order up to rounding) a batch is
// the data in place; otherwise rows are gathered through the epoch's
// permutation into buffers sized once here, so no batch allocates.
#pragma once
#include <algorithm>
#include <cstdint>
#include <vector>

#include "nncore/parallel.hpp"
#include "nncore/shuffle.hpp"
#include "nncore/trainer.hpp"

namespace nncore::train {

template <class T>
struct Batch {
  const T* X = nullptr;
  Targets<T> y;
  const Index* ids = nullptr;  // dataset row of each batch row (gathered), else row0 + r
  Index row0 = 0;
};

template <class T>
class BatchSource {
 public:
  BatchSource(const Dataset<T>& data, Index in, Index width, Index batch_size, bool shuffle)
      : data_(data), in_(in), width_(width),
        gather_(shuffle && batch_size < data.rows),
        perm_(gather_ ? std::size_t(data.rows) : 0),
        X_(gather_ ? std::size_t(batch_size * in) : 0),
        Y_(gather_ && !data.y.labels ? std::size_t(batch_size * width) : 0),
        labels_(gather_ && data.y.labels ? std::size_t(batch_size) : 0),
        w_(gather_ && data.y.w ? std::size_t(batch_size) : 0) {}

  // This epoch's row order (a no-op when batches are used in place).
  void start_epoch(std::uint64_t seed, std::uint64_t epoch) {
    if (gather_) permutation(seed, epoch, data_.rows, perm_.data());
  }

  // The training-set row at position i of this epoch's order.
  Index source_row(Index i) const { return gather_ ? perm_[std::size_t(i)] : i; }

  // Rows [b0, b0 + m) of this epoch's order.
  Batch<T> get(Index b0, Index m) {
    if (!gather_) return {data_.X + b0 * in_, offset_targets(data_.y, b0, width_), nullptr, b0};
    const Dataset<T>& d = data_;
    // A copy per row: the result does not depend on the thread count.
    const Index pieces = worth_threads(m * in_) ? (m + 7) / 8 : 1;  // 8-row pieces
    for_pieces(pieces, [&](Index p) {
      for (Index r = p * m / pieces; r < (p + 1) * m / pieces; ++r) {
        const Index src = perm_[std::size_t(b0 + r)];
        std::copy(d.X + src * in_, d.X + (src + 1) * in_, X_.begin() + r * in_);
        if (d.y.labels) labels_[std::size_t(r)] = d.y.labels[src];
        else std::copy(d.y.Y + src * width_, d.y.Y + (src + 1) * width_, Y_.begin() + r * width_);
        if (d.y.w) w_[std::size_t(r)] = d.y.w[src];
      }
    });
    Batch<T> b;
    b.X = X_.data();
    if (d.y.labels) b.y.labels = labels_.data();
    else b.y.Y = Y_.data();
    if (d.y.w) b.y.w = w_.data();
    b.ids = perm_.data() + b0;
    return b;
  }

 private:
  const Dataset<T>& data_;
  Index in_, width_;
  bool gather_;
  std::vector<Index> perm_;
  std::vector<T> X_, Y_;
  std::vector<std::int64_t> labels_;
  std::vector<T> w_;
};

}  // namespace nncore::train
