#include "eddy/gather.h"

namespace eddy::detail {

void GatherCore::start(FutureBase* self) {
  self_ = self;
  if (children_.empty()) {
    finish_all();
    return;
  }
  for (size_t i = 0; i < children_.size(); ++i) {
    self->add_ref();  // each pending child callback keeps the gather alive
    static constexpr DoneCallbackOps kOps{
        &GatherCore::on_child_done,
        [](void* ctx) { static_cast<GatherCore*>(ctx)->self_->release(); }};
    children_[i]->add_callback(&kOps, this, i);
  }
}

bool GatherCore::cancel_children(const std::string& msg) {
  bool any = false;
  for (auto& c : children_) any |= c->cancel(msg);
  if (any) {
    cancel_requested_ = true;
    cancel_msg_ = msg;
  }
  return any;
}

void GatherCore::on_child_done(void* ctx, FutureBase& child, uintptr_t) {
  auto* g = static_cast<GatherCore*>(ctx);
  FutureBase* outer = g->self_;
  Ref<FutureBase> keep(outer);
  outer->release();  // this callback's reference, now held by `keep`
  ++g->finished_;
  if (outer->done()) {
    if (!child.cancelled()) (void)child.exception();  // retrieved: no "never retrieved" report
    return;
  }
  if (!g->return_exceptions_) {
    if (child.cancelled()) {
      // As asyncio: a cancelled child ends the gather with CancelledError.
      outer->FutureBase::cancel(child.cancel_message());
      return;
    }
    if (std::exception_ptr e = child.exception()) {
      outer->set_exception(e);
      return;
    }
  }
  if (g->finished_ == g->children_.size()) g->finish_all();
}

}  // namespace eddy::detail
