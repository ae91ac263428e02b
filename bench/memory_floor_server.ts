/**
 * The memory bench's baseline: a bare `Deno.serve` that reads every request
 * body whole (as AOS must before it can refuse a submission) and answers 400.
 * Its RSS growth is the floor of taking such bodies at all.
 */
Deno.serve({
  hostname: "127.0.0.1",
  port: 0,
  onListen: ({ port }) =>
    console.error(`listening on http://127.0.0.1:${port}`),
}, async (req) => {
  await req.arrayBuffer();
  return new Response('{"error":{"code":"bad_request","message":"no"}}', {
    status: 400,
    headers: { "content-type": "application/json" },
  });
});
