/**
 * The MCP stdio transport over a sandboxed process (lib/sandbox/spawn.ts):
 * newline-delimited JSON-RPC on its stdin and stdout. A line longer than
 * the budget ends the connection (a hostile server cannot fill memory with
 * one endless line); lines that are not JSON-RPC are ignored and counted.
 */
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import {
  type JSONRPCMessage,
  JSONRPCMessageSchema,
} from "@modelcontextprotocol/sdk/types.js";
import type { SandboxedProcess } from "../sandbox/mod.ts";

/** Longest line (one message) read from a stdio server. */
export const MAX_STDIO_MESSAGE_BYTES = 4 * 1024 * 1024;

/** An MCP transport speaking over a sandboxed process's pipes; close() stops the process. */
export class SandboxTransport implements Transport {
  onclose?: (() => void) | undefined;
  onerror?: ((error: Error) => void) | undefined;
  onmessage?: ((message: JSONRPCMessage) => void) | undefined;
  /** Lines on stdout that were not JSON-RPC messages. */
  ignoredLines = 0;
  readonly #process: SandboxedProcess;
  readonly #maxBytes: number;
  #writer: WritableStreamDefaultWriter<Uint8Array> | null = null;
  #closed = false;
  #reading: Promise<void> | null = null;

  constructor(process: SandboxedProcess, maxBytes = MAX_STDIO_MESSAGE_BYTES) {
    this.#process = process;
    this.#maxBytes = maxBytes;
  }

  start(): Promise<void> {
    this.#writer = this.#process.stdin.getWriter();
    this.#reading = this.#read();
    // The server exiting on its own ends the connection (pending requests fail).
    this.#process.exited.then(() => this.#reading).then(() => this.close());
    return Promise.resolve();
  }

  async send(message: JSONRPCMessage): Promise<void> {
    if (this.#closed || this.#writer === null) {
      throw new Error("The MCP server is not running");
    }
    await this.#writer.write(
      new TextEncoder().encode(`${JSON.stringify(message)}\n`),
    );
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#writer?.close().catch(() => {});
    await this.#process.stop();
    await this.#reading;
    this.onclose?.();
  }

  async #read(): Promise<void> {
    const decoder = new TextDecoder();
    let pending: Uint8Array[] = [];
    let pendingBytes = 0;
    try {
      for await (const chunk of this.#process.stdout) {
        let start = 0;
        for (
          let i = chunk.indexOf(10);
          i !== -1;
          i = chunk.indexOf(10, start)
        ) {
          pending.push(chunk.subarray(start, i));
          this.#line(decoder.decode(join(pending, pendingBytes + i - start)));
          pending = [];
          pendingBytes = 0;
          start = i + 1;
        }
        const rest = chunk.subarray(start);
        pendingBytes += rest.byteLength;
        if (pendingBytes > this.#maxBytes) {
          this.onerror?.(
            new Error(
              `The MCP server wrote a message longer than ${this.#maxBytes} bytes; it was stopped`,
            ),
          );
          void this.close();
          return;
        }
        if (rest.byteLength > 0) pending.push(rest.slice());
      }
    } catch (error) {
      if (!this.#closed) {
        this.onerror?.(
          error instanceof Error ? error : new Error(String(error)),
        );
      }
    }
  }

  #line(line: string): void {
    if (line.trim() === "") return;
    let message: JSONRPCMessage;
    try {
      message = JSONRPCMessageSchema.parse(JSON.parse(line));
    } catch {
      this.ignoredLines++;
      return;
    }
    this.onmessage?.(message);
  }
}

function join(parts: Uint8Array[], bytes: number): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(bytes);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.byteLength;
  }
  return out;
}
