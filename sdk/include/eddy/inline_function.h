// eddy/inline_function.h -- a move-only void() callable with inline storage.
//
// absl::AnyInvocable keeps only two pointers inline, so a lambda capturing a
// few values would allocate on every call_soon. InlineFunction keeps up to
// kInlineSize bytes inline (enough for a lambda capturing half a dozen
// pointers or a std::string), and falls back to the heap beyond that.
//
// Thread-safety: none; a value type.
#ifndef EDDY_INLINE_FUNCTION_H_
#define EDDY_INLINE_FUNCTION_H_

#include <cstddef>
#include <new>
#include <type_traits>
#include <utility>

namespace eddy::detail {

class InlineFunction {
 public:
  static constexpr size_t kInlineSize = 48;

  InlineFunction() = default;
  template <class F, class D = std::decay_t<F>,
            class = std::enable_if_t<!std::is_same_v<D, InlineFunction>>>
  InlineFunction(F&& f) {  // NOLINT: implicit like std::function
    emplace(std::forward<F>(f));
  }
  InlineFunction(InlineFunction&& o) noexcept { move_from(o); }
  InlineFunction& operator=(InlineFunction&& o) noexcept {
    if (this != &o) {
      reset();
      move_from(o);
    }
    return *this;
  }
  ~InlineFunction() { reset(); }

  template <class F>
  void emplace(F&& f) {
    using D = std::decay_t<F>;
    reset();
    if constexpr (sizeof(D) <= kInlineSize && alignof(D) <= alignof(std::max_align_t) &&
                  std::is_nothrow_move_constructible_v<D>) {
      ::new (static_cast<void*>(buf_)) D(std::forward<F>(f));
      ops_ = &kInlineOps<D>;
    } else {
      *reinterpret_cast<D**>(buf_) = new D(std::forward<F>(f));
      ops_ = &kHeapOps<D>;
    }
  }

  explicit operator bool() const { return ops_ != nullptr; }
  void operator()() { ops_->call(buf_); }
  void reset() {
    if (ops_) {
      ops_->destroy(buf_);
      ops_ = nullptr;
    }
  }

 private:
  struct Ops {
    void (*call)(void*);
    void (*destroy)(void*);
    void (*move)(void* dst, void* src);  // move-constructs dst, destroys src
  };
  template <class D>
  static constexpr Ops kInlineOps = {
      [](void* p) { (*static_cast<D*>(p))(); },
      [](void* p) { static_cast<D*>(p)->~D(); },
      [](void* dst, void* src) {
        ::new (dst) D(std::move(*static_cast<D*>(src)));
        static_cast<D*>(src)->~D();
      }};
  template <class D>
  static constexpr Ops kHeapOps = {
      [](void* p) { (**static_cast<D**>(p))(); },
      [](void* p) { delete *static_cast<D**>(p); },
      [](void* dst, void* src) { *static_cast<D**>(dst) = *static_cast<D**>(src); }};

  void move_from(InlineFunction& o) noexcept {
    if (o.ops_) {
      o.ops_->move(buf_, o.buf_);
      ops_ = o.ops_;
      o.ops_ = nullptr;
    }
  }

  alignas(std::max_align_t) unsigned char buf_[kInlineSize];
  const Ops* ops_ = nullptr;
};

}  // namespace eddy::detail

#endif  // EDDY_INLINE_FUNCTION_H_
