// Application errors carry an HTTP status and a machine-readable code; the
// error handler (core/error-handler.ts) turns them into the error envelope.

export interface ErrorDetail {
  code: string;
  message: string;
  field?: string;
}

export class AppError extends Error {
  readonly statusCode: number;
  readonly code: string;
  readonly details: ErrorDetail[];
  readonly headers: Record<string, string>;

  constructor(
    statusCode: number,
    code: string,
    message: string,
    opts: { field?: string; details?: ErrorDetail[]; headers?: Record<string, string>; cause?: unknown } = {},
  ) {
    super(message, { cause: opts.cause });
    this.name = 'AppError';
    this.statusCode = statusCode;
    this.code = code;
    this.details = opts.details ?? [{ code, message, ...(opts.field ? { field: opts.field } : {}) }];
    this.headers = opts.headers ?? {};
  }
}

export const notFound = (message = 'Resource not found') => new AppError(404, 'not_found', message);
export const forbidden = (message = 'You are not allowed to do this', code = 'forbidden') =>
  new AppError(403, code, message);
export const unauthorized = (message = 'Authentication required', code = 'not_authenticated') =>
  new AppError(401, code, message);
export const conflict = (message: string, field?: string, code = 'conflict') =>
  new AppError(409, code, message, field ? { field } : {});
export const badRequest = (message: string, field?: string, code = 'bad_request') =>
  new AppError(400, code, message, field ? { field } : {});
export const serviceUnavailable = (message = 'A backing service is unavailable, retry later', cause?: unknown) =>
  new AppError(503, 'service_unavailable', message, { cause, headers: { 'retry-after': '5' } });
