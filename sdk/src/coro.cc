#include "eddy/coro.h"

#include "eddy/log.h"

namespace eddy::detail {

void warn_never_awaited() {
  // Python's RuntimeWarning "coroutine ... was never awaited": the work the
  // caller meant to start never ran.
  log(EDDY_LOG_WARNING, "coroutine was never awaited (a Coro was destroyed before it ran)");
}

}  // namespace eddy::detail
