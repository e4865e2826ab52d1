// Reads a Server-Sent Events stream in tests.

/** Reads SSE `encoding` events until `until` returns true, the stream ends, or 10 s pass. */
export async function collectEvents(url: string, headers: Record<string, string>, until: (events: any[]) => boolean) {
  const stream = await openEventStream(url, headers);
  if (stream.status !== 200) return { status: stream.status, events: [] as any[], contentType: stream.contentType };
  const encoding = () => stream.events.filter((e) => e.event === 'encoding').map((e) => e.data);
  await stream.waitUntil(() => stream.isEnded() || until(encoding()), 10_000).catch(() => {});
  await stream.close();
  return { status: 200, events: encoding(), contentType: stream.contentType };
}

export interface SseEvent { event: string; data: any }

/**
 * Opens a Server-Sent Events stream and keeps reading it: every event (any
 * name) lands in `events`; `waitFor` resolves when one matches; `ended`
 * resolves when the server ends the stream.
 */
export async function openEventStream(url: string, headers: Record<string, string> = {}) {
  const controller = new AbortController();
  const res = await fetch(url, { headers, signal: controller.signal });
  const events: SseEvent[] = [];
  const listeners = new Set<() => void>();
  let ended = false;
  const done = (async () => {
    if (res.status !== 200 || !res.body) return;
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for (;;) {
        const { value, done: eof } = await reader.read();
        if (eof) break;
        buffer += decoder.decode(value, { stream: true });
        let cut;
        while ((cut = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (event && data !== undefined) events.push({ event, data: JSON.parse(data) });
          for (const l of listeners) l();
        }
      }
    } catch {
      // aborted by close()
    } finally {
      ended = true;
      for (const l of listeners) l();
    }
  })();
  const waitUntil = (check: () => boolean, what: string, ms: number) => new Promise<void>((resolve, reject) => {
    if (check()) return resolve();
    const timer = setTimeout(() => {
      listeners.delete(listener);
      reject(new Error(`timed out after ${ms} ms waiting for ${what}; got ${JSON.stringify(events)}`));
    }, ms);
    const listener = () => {
      if (!check()) return;
      clearTimeout(timer);
      listeners.delete(listener);
      resolve();
    };
    listeners.add(listener);
  });
  return {
    status: res.status,
    contentType: res.headers.get('content-type'),
    isEnded: () => ended,
    waitUntil: (check: () => boolean, ms = 10_000) => waitUntil(check, 'a condition', ms),
    body: (res.status === 200 ? undefined : await res.json().catch(() => undefined)) as any,
    events,
    waitFor: (match: (e: SseEvent) => boolean, ms = 10_000) => waitUntil(() => events.some(match), 'an event', ms),
    ended: (ms = 10_000) => waitUntil(() => ended, 'the end of the stream', ms),
    async close() {
      controller.abort();
      await done;
    },
  };
}
