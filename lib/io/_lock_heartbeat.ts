/**
 * The heartbeat thread of lib/io/lock.ts (a Worker): every `intervalMs` it sets the lock file's
 * modification time, as long as the file still names the holder's token; otherwise it reports
 * the loss and stops. Private to lock.ts.
 * @module
 */
/// <reference lib="deno.worker" />

let timer: ReturnType<typeof setInterval> | undefined;

function beat(path: string, token: string): void {
  try {
    const holder = JSON.parse(Deno.readTextFileSync(path));
    if (holder.token !== token) throw new Error("the lock file now names another holder");
    const now = new Date();
    Deno.utimeSync(path, now, now);
  } catch (error) {
    clearInterval(timer);
    self.postMessage({ lost: error instanceof Error ? error.message : String(error) });
  }
}

self.onmessage = (event: MessageEvent<{ path: string; token: string; intervalMs: number }>) => {
  const { path, token, intervalMs } = event.data;
  timer = setInterval(() => beat(path, token), intervalMs);
};
