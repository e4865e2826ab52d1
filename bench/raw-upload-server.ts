// Second baseline of bench/upload.ts: the fastest upload a Node HTTP server
// can take here — the request body piped straight into a file, nothing else.
import { createWriteStream } from 'node:fs';
import { createServer } from 'node:http';
import { pipeline } from 'node:stream/promises';

const target = process.env.RAW_UPLOAD_TARGET ?? '/tmp/raw-upload.bin';
createServer(async (req, res) => {
  if (req.method === 'GET') return res.end('ok');
  await pipeline(req, createWriteStream(target));
  res.statusCode = 204;
  res.end();
}).listen(Number(process.env.PORT ?? 0), '127.0.0.1');
