// A real S3-compatible server (s3rver, from npm) on a loopback port, with
// one bucket, for tests of the S3 storage and the tus S3 store.
//
// s3rver (like every S3 server installable here from npm or Debian) lacks
// ListParts (GET /bucket/key?uploadId=…), which @tus/s3-store uses to find
// the offset of an upload in progress, and AbortMultipartUpload (DELETE
// …?uploadId=…), used by tus termination. The fixture adds both over the part
// files s3rver itself writes (<n> and <n>.md5 in its uploads directory).
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';

export async function startS3(bucket = 'pod-media') {
  const dir = await mkdtemp(path.join(tmpdir(), 'pod-s3-'));
  const server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: dir });
  server.middleware.unshift(async (ctx: any, next: () => Promise<void>) => {
    const m = /^\/([^/]+)\/(.+)$/.exec(ctx.path);
    if (!['GET', 'DELETE'].includes(ctx.method) || !m || typeof ctx.query.uploadId !== 'string' || !/^[\w-]+$/.test(ctx.query.uploadId)) return next();
    const uploadDir = path.join(server.store.getResourcePath(m[1]!, undefined, 'uploads'), ctx.query.uploadId);
    if (ctx.method === 'DELETE') {
      await rm(uploadDir, { recursive: true, force: true });
      ctx.status = 204;
      return;
    }
    let names: string[];
    try {
      names = await readdir(uploadDir);
    } catch {
      ctx.status = 404;
      ctx.type = 'application/xml';
      ctx.body = '<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchUpload</Code><Message>The specified upload does not exist.</Message></Error>';
      return;
    }
    const parts = await Promise.all(names.filter((n) => /^\d+$/.test(n)).map(Number).sort((a, b) => a - b).map(async (n) => {
      const file = path.join(uploadDir, String(n));
      const [info, md5] = await Promise.all([stat(file), readFile(`${file}.md5`, 'utf8').catch(() => '')]);
      return `<Part><PartNumber>${n}</PartNumber><LastModified>${info.mtime.toISOString()}</LastModified><ETag>"${md5.trim()}"</ETag><Size>${info.size}</Size></Part>`;
    }));
    ctx.type = 'application/xml';
    ctx.body = `<?xml version="1.0" encoding="UTF-8"?><ListPartsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Bucket>${m[1]}</Bucket><Key>${decodeURIComponent(m[2]!)}</Key><UploadId>${ctx.query.uploadId}</UploadId><MaxParts>10000</MaxParts><IsTruncated>false</IsTruncated>${parts.join('')}</ListPartsResult>`;
  });
  const { port } = (await server.run()) as { port: number };
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  client.destroy();
  return {
    endpoint,
    bucket,
    env: {
      STORAGE_BACKEND: 's3', S3_ENDPOINT: endpoint, S3_BUCKET: bucket, S3_REGION: 'us-east-1',
      S3_ACCESS_KEY_ID: 'S3RVER', S3_SECRET_ACCESS_KEY: 'S3RVER', S3_FORCE_PATH_STYLE: 'true',
    },
    async close() {
      await server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
