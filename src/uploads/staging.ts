// Where tus keeps the bytes of uploads in progress, and what the upload
// routes, the tus server and completion share about them. (A module of its
// own so that completion and the tus server do not import each other.)
import type { FastifyInstance } from 'fastify';
import { Upload, type DataStore } from '@tus/server';
import type { Principal } from '../auth/principal.ts';

/** Where tus keeps the bytes of an upload in progress, as a storage key. */
export function stagingKey(app: FastifyInstance, id: string) {
  return app.config.STORAGE_BACKEND === 's3' ? id : `uploads/${id}`;
}

/**
 * Sizes of uploads completed in the last minute. Completion moves the bytes
 * away, but tus still reads the upload back after onUploadFinish (the POST
 * handler does, for Upload-Expires, when the whole file came with the
 * creation request); the store then answers "complete" instead of failing.
 */
const recentlyCompleted = new Map<string, number>();
export function rememberCompleted(id: string, size: number) {
  recentlyCompleted.set(id, size);
  setTimeout(() => recentlyCompleted.delete(id), 60_000).unref();
}

export function tolerateCompleted(datastore: DataStore): DataStore {
  const getUpload = datastore.getUpload.bind(datastore);
  datastore.getUpload = async (id: string) => {
    try {
      return await getUpload(id);
    } catch (err) {
      const size = recentlyCompleted.get(id);
      if (size === undefined) throw err;
      return new Upload({ id, size, offset: size, creation_date: new Date().toISOString() });
    }
  };
  return datastore;
}

/**
 * Whether this caller may see, resume or delete this upload: only its
 * uploader, or a superuser. The one rule, for tus' own requests and for the
 * checks made before tus runs (checksummed PATCH).
 */
export async function mayUseUpload(app: FastifyInstance, p: Principal, uploadId: string): Promise<boolean> {
  const row = await app.dbh.db.selectFrom('uploads').select(['user_id']).where('id', '=', uploadId).executeTakeFirst();
  return Boolean(row && (row.user_id === p.id || p.is_superuser));
}
