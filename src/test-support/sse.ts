// Reads a Server-Sent Events stream in tests.

/** Reads SSE `encoding` events until `until` returns true (or 10 s pass). */
export async function collectEvents(url: string, headers: Record<string, string>, until: (events: any[]) => boolean) {
  const controller = new AbortController();
  const res = await fetch(url, { headers, signal: controller.signal });
  if (res.status !== 200) return { status: res.status, events: [] as any[], contentType: res.headers.get('content-type') };
  const events: any[] = [];
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  const timer = setTimeout(() => controller.abort(), 10_000);
  try {
    while (!until(events)) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let cut;
      while ((cut = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (/^event: encoding$/m.test(block) && data) events.push(JSON.parse(data));
      }
    }
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
  return { status: 200, events, contentType: res.headers.get('content-type') };
}
