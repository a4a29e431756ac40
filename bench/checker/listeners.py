#!/usr/bin/env python3
"""Real servers for the checker benchmark: COUNT TCP listeners on 127.0.0.1 from port
BASE that accept every connection and close it at once (what TCP_CHECK needs)."""
import asyncio
import sys

async def main(base: int, count: int) -> None:
    async def handle(reader, writer):
        writer.close()
    servers = [await asyncio.start_server(handle, "127.0.0.1", base + i, backlog=1024)
               for i in range(count)]
    print("listening", flush=True)
    await asyncio.gather(*(s.serve_forever() for s in servers))

asyncio.run(main(int(sys.argv[1]), int(sys.argv[2])))
