// Picks the storage backend from configuration.
import type { Config } from '../config.ts';
import { LocalStorage } from './local.ts';
import type { S3Options } from './s3.ts';
import type { Storage } from './storage.ts';

export type { Storage } from './storage.ts';

export function s3Options(config: Config): S3Options {
  return {
    endpoint: config.S3_ENDPOINT,
    region: config.S3_REGION,
    bucket: config.S3_BUCKET!,
    accessKeyId: config.S3_ACCESS_KEY_ID,
    secretAccessKey: config.S3_SECRET_ACCESS_KEY,
    forcePathStyle: config.S3_FORCE_PATH_STYLE,
  };
}

/** The AWS SDK (~30 MiB resident) is only loaded when S3 is configured. */
export async function createStorage(config: Config): Promise<Storage> {
  if (config.STORAGE_BACKEND !== 's3') return new LocalStorage(config.MEDIA_DIR);
  const { S3Storage } = await import('./s3.ts');
  return new S3Storage(s3Options(config));
}
