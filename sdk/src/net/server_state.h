// server_state.h -- what a Server handle shares with its listening sockets'
// watchers and with the transports it accepted (asyncio's Server object).
//
// While the server is open it holds a reference to itself, as asyncio's
// loop holds the server through its accept callbacks, so dropping every
// Server handle does not stop a serving server; close() (or the loop
// closing) lets go.
//
// Thread-safety: loop thread only.
#ifndef EDDY_SDK_SRC_NET_SERVER_STATE_H_
#define EDDY_SDK_SRC_NET_SERVER_STATE_H_

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "eddy/event_loop.h"
#include "eddy/future.h"
#include "eddy/network.h"

namespace eddy::detail {

class SocketTransport;

struct ServerState final : LoopResource, std::enable_shared_from_this<ServerState> {
  // One listening socket and its accept watcher.
  struct Listener {
    ServerState* server = nullptr;
    ServerSocket socket;
    bool watching = false;
    TimerHandle retry;  // pending re-arm after an out-of-resources accept
    bool retry_pending = false;
  };

  ServerState(EventLoop& loop, ProtocolFactory factory, int backlog);
  ~ServerState();

  // Takes over fd, a bound stream socket.
  void add_socket(int fd);
  void start_serving();
  void close();
  void wakeup();
  void attach(SocketTransport* t);
  void detach(SocketTransport* t);
  std::string repr() const;
  // A Server handle to this state (Server's constructor is private).
  static Server handle(std::shared_ptr<ServerState> s) { return Server(std::move(s)); }

  static void on_acceptable(void* arg, int32_t fd, uint32_t events);
  void accept_connections(Listener& l);
  void watch(Listener& l);
  void unwatch(Listener& l);
  void loop_closed() override;
  void close_sockets();

  EventLoop& loop;
  ProtocolFactory factory;
  int backlog;
  std::vector<std::unique_ptr<Listener>> listeners;
  bool closed = false;  // asyncio's _sockets is None
  bool serving = false;
  bool attached = false;  // in the loop's resource list
  bool woken = false;     // asyncio's _waiters is None
  std::vector<Future<>> waiters;
  Future<> serving_forever;  // set while serve_forever runs
  absl::flat_hash_set<SocketTransport*> clients;
  std::shared_ptr<ServerState> self;  // while open
  // A unix server's socket file, removed on close if it is still ours.
  std::string unix_path;
  ino_t unix_inode = 0;
};

}  // namespace eddy::detail

#endif  // EDDY_SDK_SRC_NET_SERVER_STATE_H_
