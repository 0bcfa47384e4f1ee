// write_buffer.h -- the bytes a transport could not send yet.
//
// One contiguous buffer: appends at the back (amortized O(1)), consumes from
// the front by moving a head offset, and compacts only when the consumed
// prefix is both large and more than half of the buffer, so a transport that
// keeps a steady backlog moves each byte O(1) times. Once drained it keeps
// its capacity, so a connection that buffers now and then stops allocating.
//
// Thread-safety: none; one transport's, on its loop's thread.
#ifndef EDDY_SDK_SRC_NET_WRITE_BUFFER_H_
#define EDDY_SDK_SRC_NET_WRITE_BUFFER_H_

#include <cstddef>
#include <string>
#include <string_view>

namespace eddy::detail {

class WriteBuffer {
 public:
  bool empty() const { return head_ == data_.size(); }
  size_t size() const { return data_.size() - head_; }
  std::string_view view() const { return std::string_view(data_).substr(head_); }

  void append(std::string_view bytes) {
    if (empty()) clear();
    data_.append(bytes);
  }
  void consume(size_t n) {
    head_ += n;
    if (empty()) {
      clear();
    } else if (head_ >= kCompactAt && head_ * 2 >= data_.size()) {
      data_.erase(0, head_);
      head_ = 0;
    }
  }
  void clear() {
    data_.clear();
    head_ = 0;
  }

 private:
  static constexpr size_t kCompactAt = 64 * 1024;
  std::string data_;
  size_t head_ = 0;
};

}  // namespace eddy::detail

#endif  // EDDY_SDK_SRC_NET_WRITE_BUFFER_H_
