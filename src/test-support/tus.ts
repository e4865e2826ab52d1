// A tus-js-client upload run to completion (or failure) against a test app.
import * as tus from 'tus-js-client';
import type { TestApp } from './test-app.ts';

interface Done { url: string; status: number; headers: Record<string, string>; body: string }

/** Runs a tus-js-client upload to completion (or failure); optional abort after `abortAfter` bytes. */
export function tusUpload(t: TestApp, data: Buffer, opts: {
  headers?: Record<string, string>; metadata?: Record<string, string>; chunkSize?: number; uploadUrl?: string; abortAfter?: number;
}): Promise<Done & { aborted?: boolean }> {
  return new Promise((resolve, reject) => {
    const upload: tus.Upload = new tus.Upload(data, {
      endpoint: `${t.url}/api/v1/uploads/`,
      uploadUrl: opts.uploadUrl,
      chunkSize: opts.chunkSize ?? 256 * 1024,
      retryDelays: [],
      headers: opts.headers ?? {},
      metadata: opts.metadata ?? { filename: 'cours.wav' },
      removeFingerprintOnSuccess: true,
      onChunkComplete(_size, sent) {
        if (opts.abortAfter !== undefined && sent >= opts.abortAfter) {
          void upload.abort().then(() => resolve({ url: upload.url!, status: 0, headers: {}, body: '', aborted: true }));
        }
      },
      onSuccess(payload) {
        const res = payload.lastResponse;
        const headers: Record<string, string> = {};
        for (const h of ['x-video-id', 'x-video-slug', 'upload-offset']) {
          const v = res.getHeader(h);
          if (v) headers[h] = v;
        }
        resolve({ url: upload.url!, status: res.getStatus(), headers, body: res.getBody() ?? '' });
      },
      onError(err) {
        const res = (err as tus.DetailedError).originalResponse;
        if (res) resolve({ url: upload.url ?? '', status: res.getStatus(), headers: {}, body: res.getBody() ?? '' });
        else reject(err);
      },
    });
    upload.start();
  });
}

