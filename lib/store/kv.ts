/** The one place the app opens Deno KV, so the backend could be swapped (DESIGN §1). */

/** Opens KV at a file path (creating its directory), `:memory:`, or a KV Connect URL. */
export async function openKv(path: string): Promise<Deno.Kv> {
  if (path === ":memory:" || /^https?:\/\//i.test(path)) {
    return await Deno.openKv(path);
  }
  const slash = path.lastIndexOf("/");
  if (slash > 0) await Deno.mkdir(path.slice(0, slash), { recursive: true });
  return await Deno.openKv(path);
}
