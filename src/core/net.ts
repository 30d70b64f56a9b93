// A free TCP port on 127.0.0.1 (the OS picks one; it is released before it is returned, so a caller
// binds it soon after): for kernels' connection files and the test servers.

import * as net from "node:net";

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
    s.on("error", reject);
  });
}
