/**
 * The model client's fetch, with a cap on how many bytes of a reply it reads:
 * an endpoint (or whatever answers at its address) is not trusted to keep its
 * replies small, and a 24 MiB reply parsed, redacted and stored on the event
 * loop stalls the whole service. Past the cap the body stream errors (the
 * connection is dropped) and the request fails with the cap named.
 */

/** Most bytes of one model reply read by default: far above any real reply (~64 KiB at 16k output tokens). */
export const DEFAULT_MAX_REPLY_BYTES = 4 * 1024 * 1024;

/** A reply larger than the client accepts; not worth a retry. */
export class ReplyTooLargeError extends Error {
  override name = "ReplyTooLargeError";
  constructor(maxBytes: number, declared?: number) {
    super(
      `the model's reply is larger than the ${maxBytes} bytes AOS accepts${
        declared === undefined ? "" : ` (Content-Length ${declared})`
      }; it was not read`,
    );
  }
}

/** `fetch` whose response bodies error with ReplyTooLargeError past `maxBytes`. */
export function boundedFetch(
  maxBytes: number,
  inner: typeof fetch = fetch,
): typeof fetch {
  return async (input, init) => {
    const response = await inner(input, init);
    if (!response.body) return response;
    const declared = Number(response.headers.get("content-length"));
    let seen = 0;
    const body = response.body.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        start(controller) {
          if (Number.isFinite(declared) && declared > maxBytes) {
            controller.error(new ReplyTooLargeError(maxBytes, declared));
          }
        },
        transform(chunk, controller) {
          seen += chunk.byteLength;
          if (seen > maxBytes) {
            controller.error(new ReplyTooLargeError(maxBytes));
          } else controller.enqueue(chunk);
        },
      }),
    );
    return new Response(body, {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    });
  };
}
