// The Runner Manager's HTTP API as pod-api uses it (the calls Pod makes):
// POST /task/execute, GET /task/status/{id}, GET /task/result/{id} and
// GET /task/result/{id}/file/{path}, each with `Authorization: Bearer <token>`.
import type { RunnerManagerSetting } from '../core/config.ts';

/** The manager answered with an error status (`detail` is its FastAPI message). */
export class ManagerHttpError extends Error {
  readonly status: number;
  readonly detail: string;
  constructor(status: number, detail: string) {
    super(`Runner Manager answered ${status}: ${detail}`);
    this.status = status;
    this.detail = detail;
  }
}

/** The manager could not be reached (refused, timed out, reset). */
export class ManagerUnreachableError extends Error {}

export interface ExecuteRequest {
  etab_name: string;
  app_name: string;
  app_version?: string;
  task_type: 'encoding' | 'transcription';
  source_url: string;
  affiliation?: string;
  parameters: Record<string, string>;
  notify_url: string;
}

export interface ManagerTaskStatus {
  task_id: string;
  status: string;
  error?: string | null;
  script_output?: string | null;
}

/** One entry of a result listing: a relative path, or an object with its path and what the manager knows of it. */
export type ManifestEntry = string | { file_path?: string; path?: string; sha256?: string; size?: number };

async function call(manager: RunnerManagerSetting, path: string, init: RequestInit & { timeoutMs: number }): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(`${manager.url}${path}`, {
      ...init,
      signal: AbortSignal.timeout(init.timeoutMs),
      headers: { ...(init.headers as Record<string, string>), authorization: `Bearer ${manager.token}`, accept: 'application/json' },
    });
  } catch (err) {
    throw new ManagerUnreachableError(`${manager.url} did not answer: ${(err as Error).message}`, { cause: err });
  }
  if (!res.ok) {
    const text = await res.text().catch(() => '');
    let detail = text.slice(0, 500);
    try {
      const body = JSON.parse(text) as { detail?: unknown };
      if (body.detail !== undefined) detail = typeof body.detail === 'string' ? body.detail : JSON.stringify(body.detail).slice(0, 500);
    } catch {
      // not JSON: keep the text
    }
    throw new ManagerHttpError(res.status, detail);
  }
  return res;
}

export async function executeTask(manager: RunnerManagerSetting, request: ExecuteRequest, timeoutMs: number): Promise<string> {
  const res = await call(manager, '/task/execute', {
    method: 'POST', body: JSON.stringify(request), headers: { 'content-type': 'application/json' }, timeoutMs,
  });
  const body = (await res.json()) as { task_id?: unknown };
  if (typeof body.task_id !== 'string' || !body.task_id) throw new ManagerHttpError(res.status, 'the answer has no task_id');
  return body.task_id;
}

/** The task as the manager knows it, or null when it does not (404: a restart lost it). */
export async function taskStatus(manager: RunnerManagerSetting, taskId: string, timeoutMs = 15_000): Promise<ManagerTaskStatus | null> {
  try {
    const res = await call(manager, `/task/status/${encodeURIComponent(taskId)}`, { method: 'GET', timeoutMs });
    return (await res.json()) as ManagerTaskStatus;
  } catch (err) {
    if (err instanceof ManagerHttpError && err.status === 404) return null;
    throw err;
  }
}

export async function taskResult(manager: RunnerManagerSetting, taskId: string, timeoutMs = 30_000): Promise<ManifestEntry[]> {
  const res = await call(manager, `/task/result/${encodeURIComponent(taskId)}`, { method: 'GET', timeoutMs });
  const body = (await res.json()) as { files?: unknown };
  if (!Array.isArray(body.files)) throw new ManagerHttpError(res.status, 'the result has no file list');
  return body.files as ManifestEntry[];
}

export async function resultFile(manager: RunnerManagerSetting, taskId: string, relativePath: string, timeoutMs = 3_600_000): Promise<Response> {
  const encoded = relativePath.split('/').map(encodeURIComponent).join('/');
  return call(manager, `/task/result/${encodeURIComponent(taskId)}/file/${encoded}`, { method: 'GET', timeoutMs });
}
