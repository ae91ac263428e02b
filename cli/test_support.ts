/** Test support for the CLI's client code (imported by tests only): a real loopback server to talk to. */

/** A server on a loopback port: its URL and how to close it. */
export interface TestServer {
  url: string;
  close(): Promise<void>;
}

/** Serves `handler` on a free loopback port. */
export function serve(
  handler: (req: Request) => Response | Promise<Response>,
): TestServer {
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    handler,
  );
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    close: () => server.shutdown(),
  };
}

/** The URL of a loopback server that has just closed: connecting is refused. */
export async function refusedUrl(): Promise<string> {
  const server = serve(() => new Response("gone"));
  await server.close();
  return server.url;
}
