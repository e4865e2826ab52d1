// S3-compatible storage (AWS, MinIO, Ceph RGW, Garage…) through the AWS SDK
// v3: multipart streaming uploads, ranged reads, server-side copies (multipart
// copy above 5 GiB), presigned URLs.
import {
  AbortMultipartUploadCommand, CompleteMultipartUploadCommand, CopyObjectCommand, CreateMultipartUploadCommand,
  DeleteObjectCommand, DeleteObjectsCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { Readable } from 'node:stream';
import { assertKey, assertPrefix, type ByteRange, type Storage, type StoredObject } from './storage.ts';

export interface S3Options {
  endpoint?: string;
  region: string;
  bucket: string;
  accessKeyId?: string;
  secretAccessKey?: string;
  forcePathStyle: boolean;
}

const COPY_PART = 512 * 1024 * 1024;
const SINGLE_COPY_MAX = 5 * 1024 * 1024 * 1024;

export function s3ClientConfig(o: S3Options) {
  return {
    region: o.region,
    endpoint: o.endpoint,
    forcePathStyle: o.forcePathStyle,
    // Checksums only where S3 requires them: the SDK's default "aws-chunked"
    // streaming checksums are not understood by several S3-compatible servers
    // (they store the chunk framing inside the object).
    requestChecksumCalculation: 'WHEN_REQUIRED' as const,
    responseChecksumValidation: 'WHEN_REQUIRED' as const,
    ...(o.accessKeyId && o.secretAccessKey ? { credentials: { accessKeyId: o.accessKeyId, secretAccessKey: o.secretAccessKey } } : {}),
  };
}

export class S3Storage implements Storage {
  readonly kind = 's3' as const;
  readonly client: S3Client;
  readonly bucket: string;

  constructor(o: S3Options) {
    this.client = new S3Client(s3ClientConfig(o));
    this.bucket = o.bucket;
  }

  async put(key: string, body: Readable | Buffer, opts: { contentType?: string } = {}): Promise<void> {
    if (Buffer.isBuffer(body)) {
      await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: assertKey(key), Body: body, ContentType: opts.contentType }));
      return;
    }
    // Multipart upload from a stream: 8 MiB parts, 4 in flight (≈ 32 MiB of buffers at most).
    await new Upload({
      client: this.client,
      params: { Bucket: this.bucket, Key: assertKey(key), Body: body, ContentType: opts.contentType },
      partSize: 8 * 1024 * 1024,
      queueSize: 4,
    }).done();
  }

  async get(key: string, range?: ByteRange): Promise<Readable> {
    const res = await this.client.send(new GetObjectCommand({
      Bucket: this.bucket, Key: assertKey(key), Range: range ? `bytes=${range.start}-${range.end ?? ''}` : undefined,
    }));
    return res.Body as Readable;
  }

  async stat(key: string): Promise<StoredObject | null> {
    try {
      const h = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: assertKey(key) }));
      return { key, size: h.ContentLength ?? 0, modified: h.LastModified ?? new Date(0), contentType: h.ContentType };
    } catch (err) {
      const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (status === 404 || (err as Error).name === 'NotFound' || (err as Error).name === 'NoSuchKey') return null;
      throw err;
    }
  }

  async delete(key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: assertKey(key) }));
  }

  async deletePrefix(prefix: string): Promise<number> {
    if (!prefix.endsWith('/')) throw new Error('deletePrefix takes a folder prefix ending with /');
    let count = 0;
    let batch: string[] = [];
    const flush = async () => {
      if (!batch.length) return;
      const res = await this.client.send(new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true } }));
      if (res.Errors?.length) throw new Error(`S3 refused to delete ${res.Errors.length} objects under ${prefix}: ${res.Errors[0]!.Code}`);
      count += batch.length;
      batch = [];
    };
    // Listed first, deleted by 1,000 (the DeleteObjects maximum).
    for await (const o of this.list(prefix)) {
      batch.push(o.key);
      if (batch.length === 1000) await flush();
    }
    await flush();
    return count;
  }

  async *list(prefix: string): AsyncIterable<StoredObject> {
    let token: string | undefined;
    do {
      const page = await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: assertPrefix(prefix), ContinuationToken: token }));
      for (const o of page.Contents ?? []) {
        if (o.Key) yield { key: o.Key, size: o.Size ?? 0, modified: o.LastModified ?? new Date(0) };
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  async move(from: string, to: string): Promise<void> {
    const source = await this.stat(from);
    if (!source) throw Object.assign(new Error(`no object ${from}`), { code: 'ENOENT' });
    const copySource = `${this.bucket}/${encodeURIComponent(assertKey(from)).replace(/%2F/g, '/')}`;
    if (source.size <= SINGLE_COPY_MAX) {
      await this.client.send(new CopyObjectCommand({ Bucket: this.bucket, Key: assertKey(to), CopySource: copySource, ContentType: source.contentType, MetadataDirective: 'COPY' }));
    } else {
      const { UploadId } = await this.client.send(new CreateMultipartUploadCommand({ Bucket: this.bucket, Key: assertKey(to), ContentType: source.contentType }));
      try {
        const parts = [];
        for (let start = 0, n = 1; start < source.size; start += COPY_PART, n++) {
          const end = Math.min(start + COPY_PART, source.size) - 1;
          const r = await this.client.send(new UploadPartCopyCommand({
            Bucket: this.bucket, Key: to, UploadId, PartNumber: n, CopySource: copySource, CopySourceRange: `bytes=${start}-${end}`,
          }));
          parts.push({ PartNumber: n, ETag: r.CopyPartResult?.ETag });
        }
        await this.client.send(new CompleteMultipartUploadCommand({ Bucket: this.bucket, Key: to, UploadId, MultipartUpload: { Parts: parts } }));
      } catch (err) {
        await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: to, UploadId })).catch(() => {});
        throw err;
      }
    }
    await this.delete(from);
  }

  async signedUrl(key: string, ttlSeconds: number, opts: { method?: 'GET' | 'PUT'; contentType?: string; filename?: string } = {}): Promise<string> {
    const command = opts.method === 'PUT'
      ? new PutObjectCommand({ Bucket: this.bucket, Key: assertKey(key), ContentType: opts.contentType })
      : new GetObjectCommand({
        Bucket: this.bucket, Key: assertKey(key), ResponseContentType: opts.contentType,
        ResponseContentDisposition: opts.filename ? `attachment; filename="${opts.filename.replace(/[^\w.-]/g, '_')}"` : undefined,
      });
    return getSignedUrl(this.client, command, { expiresIn: ttlSeconds });
  }
}
