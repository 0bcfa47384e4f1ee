#!/usr/bin/python3
"""ref_asyncio_echo.py -- the TCP echo server in Python's asyncio.

Two ways of writing it, chosen with --mode:
  protocols  an asyncio.Protocol whose data_received() writes the data back
             to its transport (the fastest asyncio can do);
  streams    asyncio.start_server with a handler that loops on
             reader.read(65536), writer.write(data) and await writer.drain()
             (the way most asyncio code is written).
--uvloop runs the same code on uvloop's event loop instead of asyncio's. If
uvloop cannot be imported the script says why on stderr and exits with
status 77, which eddy-bench reports as "skipped".

Like every echo server of eddy-bench (bench/echo/ref_common.h), it takes
--port N (0: any free port), prints "PORT <n>" on stdout once it listens,
and serves until SIGTERM. asyncio sets TCP_NODELAY on every TCP transport.
"""

import argparse
import asyncio
import resource
import sys

SKIPPED = 77
READ_SIZE = 65536
BACKLOG = 4096


class EchoProtocol(asyncio.Protocol):
    def connection_made(self, transport):
        self.transport = transport

    def data_received(self, data):
        self.transport.write(data)


async def echo_stream(reader, writer):
    try:
        while True:
            data = await reader.read(READ_SIZE)
            if not data:
                break
            writer.write(data)
            await writer.drain()
    except ConnectionError:
        pass
    finally:
        writer.close()


async def serve(args):
    loop = asyncio.get_running_loop()
    if args.mode == "protocols":
        server = await loop.create_server(EchoProtocol, args.host, args.port, backlog=BACKLOG)
    else:
        server = await asyncio.start_server(echo_stream, args.host, args.port, backlog=BACKLOG)
    port = server.sockets[0].getsockname()[1]
    print("PORT %d" % port, flush=True)
    async with server:
        await server.serve_forever()


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--mode", choices=("streams", "protocols"), default="protocols")
    p.add_argument("--uvloop", action="store_true", help="run on uvloop")
    args = p.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    if args.uvloop:
        try:
            import uvloop
        except ImportError as e:
            print("ref_asyncio_echo: uvloop unavailable: %s" % e, file=sys.stderr)
            sys.exit(SKIPPED)
        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    try:
        asyncio.run(serve(args))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
