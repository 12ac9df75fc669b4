/**
 * Headless Chromium driven over the DevTools protocol: a WebSocket client (Deno has one built in)
 * and a launcher. Chromium starts as `chromium --headless --no-sandbox --disable-gpu
 * --no-first-run --disable-background-networking --disable-component-update --disable-sync
 * --user-data-dir=<fresh> --remote-debugging-port=0` (Debian: `apt-get install -y chromium`).
 * Used by the report check (tools/check_reports.ts) and the JupyterLab browser test
 * (tools/test/lab_stage.ts).
 *
 * @example
 * ```ts
 * import { startChromium } from "./chromium_devtools.ts";
 * const { devtools, stop } = await startChromium("chromium");
 * const { targetId } = await devtools.send("Target.createTarget", { url: "about:blank" });
 * await stop();
 * ```
 * @module
 */

/** One DevTools-protocol message: a reply (`id`) or an event (`method`). */
export type Message = {
  id?: number;
  method?: string;
  params?: Record<string, unknown>;
  sessionId?: string;
  result?: Record<string, unknown>;
  error?: { message: string };
};

/** A minimal DevTools-protocol client over one browser WebSocket (flattened sessions). */
export class DevTools {
  #socket: WebSocket;
  #next = 1;
  #pending = new Map<
    number,
    { resolve: (v: Record<string, unknown>) => void; reject: (e: Error) => void }
  >();
  #listeners: ((message: Message) => void)[] = [];

  private constructor(socket: WebSocket) {
    this.#socket = socket;
    socket.onmessage = (event) => {
      const message = JSON.parse(event.data as string) as Message;
      if (message.id !== undefined && this.#pending.has(message.id)) {
        const waiter = this.#pending.get(message.id)!;
        this.#pending.delete(message.id);
        if (message.error) waiter.reject(new Error(message.error.message));
        else waiter.resolve(message.result ?? {});
      } else {
        for (const listener of this.#listeners) listener(message);
      }
    };
  }

  /** Connects to a browser's `ws://…/devtools/browser/…` endpoint. */
  static connect(url: string): Promise<DevTools> {
    return new Promise((resolvePromise, reject) => {
      const socket = new WebSocket(url);
      socket.onopen = () => resolvePromise(new DevTools(socket));
      socket.onerror = () => reject(new Error(`cannot connect to Chromium's DevTools at ${url}`));
    });
  }

  /** Sends a command (to a page when `sessionId` is given); resolves with its result. */
  send(
    method: string,
    params: Record<string, unknown> = {},
    sessionId?: string,
  ): Promise<Record<string, unknown>> {
    const id = this.#next++;
    this.#socket.send(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }));
    return new Promise((resolvePromise, reject) =>
      this.#pending.set(id, { resolve: resolvePromise, reject })
    );
  }

  /** Calls `listener` with every event; returns a function that removes it. */
  on(listener: (message: Message) => void): () => void {
    this.#listeners.push(listener);
    return () => {
      this.#listeners = this.#listeners.filter((l) => l !== listener);
    };
  }

  /** Closes the WebSocket. */
  close(): void {
    this.#socket.close();
  }
}

/** Options of {@link startChromium}. */
export interface ChromiumOptions {
  /** Window size in CSS pixels, `width,height` (default 1280 × 1000). */
  windowSize?: { width: number; height: number };
  /** Hosts exempt from the "resolve nothing" rule (e.g. `["127.0.0.1"]` for a local server). */
  reachableHosts?: readonly string[];
}

/**
 * Starts headless Chromium with a fresh profile and every host resolving to nothing (IP literals
 * too) except `options.reachableHosts`, so a page can load nothing from outside; returns the
 * DevTools client and a function that stops the browser and removes the profile.
 */
export async function startChromium(
  executable: string,
  options: ChromiumOptions = {},
): Promise<{ devtools: DevTools; stop: () => Promise<void> }> {
  const { width, height } = options.windowSize ?? { width: 1280, height: 1000 };
  const profile = await Deno.makeTempDir({ prefix: "cutmix-chromium-" });
  const child = new Deno.Command(executable, {
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--disable-extensions",
      "--disable-dev-shm-usage",
      `--host-resolver-rules=${
        ["MAP * ~NOTFOUND", ...(options.reachableHosts ?? []).map((h) => `EXCLUDE ${h}`)].join(", ")
      }`,
      `--user-data-dir=${profile}`,
      "--remote-debugging-port=0",
      `--window-size=${width},${height}`,
      "about:blank",
    ],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const stop = async () => {
    try {
      child.kill("SIGTERM");
    } catch { /* already gone */ }
    await child.status;
    await Deno.remove(profile, { recursive: true }).catch(() => {});
  };
  // Chromium prints "DevTools listening on ws://…" on stderr once it is ready.
  const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let seen = "";
  const deadline = Date.now() + 30_000;
  let url: string | undefined;
  while (!url && Date.now() < deadline) {
    const { value, done } = await reader.read();
    if (done) break;
    seen += value;
    url = seen.match(/DevTools listening on (ws:\/\/\S+)/)?.[1];
  }
  // Keep draining stderr so Chromium never blocks on a full pipe.
  (async () => {
    try {
      while (!(await reader.read()).done) { /* discard */ }
    } catch { /* closed */ }
  })();
  if (!url) {
    await stop();
    throw new Error(`Chromium (${executable}) did not start: ${seen.slice(-600)}`);
  }
  return { devtools: await DevTools.connect(url), stop };
}
