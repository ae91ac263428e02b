/** A webhook receiver on loopback for tests: answers from a script of statuses and records every request. */

/** One request the receiver got. */
export interface ReceivedHook {
  at: number;
  headers: Record<string, string>;
  body: string;
  status: number;
}

/** One scripted answer: a status, optionally with headers. */
export type HookAnswer = number | {
  status: number;
  headers?: Record<string, string>;
};

/** A running receiver: its URL, what it got, and how to stop it. */
export interface WebhookReceiver {
  url: string;
  received: ReceivedHook[];
  close(): Promise<void>;
}

/** Starts the receiver; after the script runs out it answers 200. */
export function startWebhookReceiver(
  script: HookAnswer[] = [],
): WebhookReceiver {
  const received: ReceivedHook[] = [];
  const queue = [...script];
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async (req) => {
      const answer = queue.shift() ?? 200;
      const { status, headers = {} } = typeof answer === "number"
        ? { status: answer }
        : answer;
      received.push({
        at: Date.now(),
        headers: Object.fromEntries(req.headers),
        body: await req.text(),
        status,
      });
      return new Response(status < 300 ? "ok" : "no", { status, headers });
    },
  );
  return {
    url: `http://127.0.0.1:${server.addr.port}/hooks/aos`,
    received,
    close: () => server.shutdown(),
  };
}
