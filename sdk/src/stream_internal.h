// stream_internal.h -- internal: a StreamWriter over a transport that was
// made elsewhere (asyncio's StreamWriter(transport, protocol, reader, loop)),
// such as the write pipe transport of a subprocess's stdin. The stream
// protocol itself (asyncio's StreamReaderProtocol with FlowControlMixin) and
// StreamWriter's constructor stay private to stream_writer.cc.
//
//   std::shared_ptr<Protocol> protocol = make_stream_protocol(std::nullopt);
//   auto t = std::make_shared<WritePipeTransport>(loop, fd, protocol, false);
//   t->start(waiter);
//   StreamWriter w = make_stream_writer(t, protocol);
//
// Thread-safety: loop thread only, as the streams.
#ifndef EDDY_SDK_SRC_STREAM_INTERNAL_H_
#define EDDY_SDK_SRC_STREAM_INTERNAL_H_

#include <memory>
#include <optional>

#include "eddy/stream_writer.h"
#include "eddy/streams.h"
#include "eddy/transports.h"

namespace eddy::detail {

// A new stream protocol, to be the transport's protocol. With a reader it
// feeds it and lets it pause the transport, as open_connection's does.
// Without one (asyncio's reader=None) it serves a writer alone: drain()'s
// flow control and the close waiter of wait_closed(); a drain after the
// connection was lost raises ConnectionResetError("Connection lost"), one
// waiting then raises the transport's exception (BrokenPipeError for a pipe
// whose reader went away), and so does wait_closed().
std::shared_ptr<Protocol> make_stream_protocol(std::optional<StreamReader> reader);

// The writer over `transport` and its `protocol`, which must come from
// make_stream_protocol (TypeError otherwise). Its drain() and wait_closed()
// need the transport's connection_made to have run.
StreamWriter make_stream_writer(std::shared_ptr<Transport> transport,
                                std::shared_ptr<Protocol> protocol);

}  // namespace eddy::detail

#endif  // EDDY_SDK_SRC_STREAM_INTERNAL_H_
