// The response headers the API documents, by name: operations reference them
// (#/components/headers/<name>) through their route schema's `responseHeaders`.

const str = { type: 'string' } as const;
const int = { type: 'integer', minimum: 0 } as const;

export const HEADERS = {
  'X-Request-Id': { description: 'Id of this request (the caller\'s own X-Request-Id when it sent a safe one): quote it when reporting a problem', schema: str },
  Location: { description: 'Where the created resource (or the file) is', schema: { type: 'string', format: 'uri-reference' } },
  'Retry-After': { description: 'Seconds to wait before trying again', schema: int },
  'WWW-Authenticate': { description: 'The authentication scheme expected, and why the credentials were refused (RFC 6750)', schema: str },
  'X-RateLimit-Limit': { description: 'Attempts allowed per window on this operation', schema: int },
  'X-RateLimit-Remaining': { description: 'Attempts left in the current window', schema: int },
  'X-RateLimit-Reset': { description: 'Seconds until the window resets', schema: int },
  ETag: { description: 'Validator of this representation: send it back as If-None-Match to get 304 when unchanged', schema: str },
  'Content-Disposition': { description: 'The file name to save it as (`attachment; filename=…`)', schema: str },
  'Cache-Control': { description: 'How long and by whom the answer may be cached', schema: str },
  'Last-Modified': { description: 'When the file last changed', schema: str },
  'Accept-Ranges': { description: '`bytes`: Range requests are served', schema: str },
  'Content-Range': { description: 'The byte range sent (206), or `bytes */<size>` (416)', schema: str },
  'Set-Cookie': { description: 'The HttpOnly session cookie (pod_session) and the signed CSRF cookie', schema: str },
  'Tus-Resumable': { description: 'tus protocol version: 1.0.0', schema: str },
  'Tus-Version': { description: 'tus versions served: 1.0.0', schema: str },
  'Tus-Extension': { description: 'tus extensions served: creation, creation-with-upload, termination, checksum, expiration', schema: str },
  'Tus-Max-Size': { description: 'Largest upload accepted, in bytes (UPLOAD_MAX_BYTES)', schema: int },
  'Tus-Checksum-Algorithm': { description: 'Upload-Checksum algorithms accepted: sha1,sha256,md5', schema: str },
  'Upload-Offset': { description: 'Bytes of the upload received so far', schema: int },
  'Upload-Length': { description: 'Total size of the upload, in bytes', schema: int },
  'Upload-Expires': { description: 'When an unfinished upload expires (RFC 7231 date)', schema: str },
  'X-Video-Id': { description: 'The video the completed upload belongs to (its file is validated and queued for encoding)', schema: str },
  'X-Video-Slug': { description: 'The slug of that video', schema: str },
} as const;

export type HeaderName = keyof typeof HEADERS;
