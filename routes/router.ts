/**
 * Hono's fastest router (RegExpRouter) refuses some route sets — here POST
 * /runs/submit beside POST /runs/{id}/cancel — and SmartRouter then falls
 * back to the TrieRouter for every method. Reads (GET/HEAD, the routes clients
 * poll) get their own SmartRouter, so they keep RegExpRouter whatever the
 * write routes look like.
 */
import type { Result, Router } from "hono/router";
import { RegExpRouter } from "hono/router/reg-exp-router";
import { SmartRouter } from "hono/router/smart-router";
import { TrieRouter } from "hono/router/trie-router";

const smart = <T>() =>
  new SmartRouter<T>({ routers: [new RegExpRouter(), new TrieRouter()] });

/** One SmartRouter for GET, one for every other method; ALL routes go to both. */
export class ReadWriteRouter<T> implements Router<T> {
  readonly #read: Router<T> = smart<T>();
  readonly #write: Router<T> = smart<T>();

  get name(): string {
    return `ReadWriteRouter(${this.#read.name}, ${this.#write.name})`;
  }

  add(method: string, path: string, handler: T): void {
    if (method === "GET" || method === "ALL") {
      this.#read.add(method, path, handler);
    }
    if (method !== "GET") this.#write.add(method, path, handler);
  }

  match(method: string, path: string): Result<T> {
    return (method === "GET" ? this.#read : this.#write).match(method, path);
  }
}
