// Every error code the API answers, with its HTTP status and meaning: the one
// list the OpenAPI document's `ErrorCode` enum, each operation's documented
// errors and the contract check (core/api-contract.ts) are built from.
// A code answered anywhere must be here (the contract check fails otherwise).

export interface ErrorCodeInfo {
  status: number;
  description: string;
}

export const ERROR_CODES = {
  // 400
  validation_error: { status: 400, description: 'A field is missing, of the wrong type, out of range or unknown; `field` names it (`title`, `query.limit`, `path.ref`)' },
  invalid_json: { status: 400, description: 'The body is not valid JSON, or empty with Content-Type application/json' },
  bad_request: { status: 400, description: 'The request is malformed (URL, Content-Length, headers)' },
  invalid_cursor: { status: 400, description: '`cursor` is not one this endpoint issued' },
  invalid_credentials: { status: 401, description: 'Wrong username or password (400 when it is the current password of a password change)' },
  forbidden_self_change: { status: 400, description: 'A superuser cannot demote, deactivate or delete their own account' },
  no_password: { status: 400, description: 'This video or playlist has no password to unlock' },
  invalid_date_delete: { status: 400, description: 'date_delete must be after today and at most RETENTION_MAX_YEARS ahead; only managers may set another day, or null' },
  invalid_transfer: { status: 400, description: 'Deleting an account: name the heir of its videos (transfer_to, another active user) or ask to delete them (delete_videos=true), not both' },
  invalid_date_range: { status: 400, description: '`from` is after `to`, or the range is longer than 3,660 days (ten years)' },
  invalid_subtitles: { status: 400, description: 'The text is neither WebVTT nor SRT, or has no cue; the message gives the line' },
  invalid_chapters: { status: 400, description: 'The WebVTT chapters file does not parse; the message gives the line' },
  chapter_after_end: { status: 400, description: 'A chapter starts after the end of the video' },
  invalid_url: { status: 400, description: 'The URL is not an absolute http(s) URL (or carries credentials); `field` names it' },
  invalid_time_range: { status: 400, description: '`time_end` is not after `time_start`' },
  time_beyond_duration: { status: 400, description: 'A time lies after the end of the video' },
  empty_content: { status: 400, description: 'Nothing is left of the overlay content once its unsafe HTML is removed' },
  html_not_allowed: { status: 400, description: 'Comments and notes are plain text or Markdown: HTML tags are refused' },
  unsafe_redirect: { status: 400, description: '`next` leads off this site and its configured frontends' },
  sso_state_missing: { status: 400, description: 'No sign-in is in progress in this browser (cookie missing or expired): start again' },
  invalid_path: { status: 400, description: 'The output path is not a safe relative path' },
  length_required: { status: 400, description: 'tus: Upload-Length is required (deferred length is not accepted)' },
  checksum_algorithm_unsupported: { status: 400, description: 'tus: Upload-Checksum must be `sha1|sha256|md5 <base64 digest>`' },
  // 401
  not_authenticated: { status: 401, description: 'This needs a signed-in caller: send a bearer access token or the session cookie' },
  invalid_token: { status: 401, description: 'The token is malformed, wrongly signed, revoked, or its account is disabled' },
  token_expired: { status: 401, description: 'The access token has expired: renew it with POST /api/v1/auth/token/refresh' },
  refresh_token_reused: { status: 401, description: 'This refresh token was already used: its whole session is revoked, sign in again' },
  sso_failed: { status: 401, description: 'The identity provider refused or could not prove the sign-in' },
  invalid_signature: { status: 401, description: 'The webhook signature (Standard Webhooks) is missing or wrong' },
  stale_timestamp: { status: 401, description: 'The webhook timestamp is too far from now (replay protection)' },
  encoder_token_required: { status: 401, description: 'Send the encoder token in X-Encoder-Token' },
  invalid_encoder_token: { status: 401, description: 'Unknown encoder token' },
  invalid_registration_token: { status: 401, description: 'Wrong encoder registration token' },
  // 403
  forbidden: { status: 403, description: 'The caller is known but may not do this' },
  csrf_failed: { status: 403, description: 'A cookie-authenticated change without the X-CSRF-Token header of its session' },
  owner_only: { status: 403, description: 'Only the owner or a manager chooses the additional owners' },
  wrong_password: { status: 403, description: 'Wrong password for this video or playlist' },
  password_required: { status: 403, description: 'The video has a password: POST it to /unlock and send the token it gives' },
  account_disabled: { status: 403, description: 'This account is disabled' },
  local_auth_disabled: { status: 403, description: 'Local passwords are turned off (LOCAL_AUTH_ENABLED=false): sign in through the identity provider (superusers excepted)' },
  media_path_forbidden: { status: 403, description: 'This path is not a media file served here' },
  media_not_public: { status: 403, description: 'The video is not public: use the signed URLs of its player configuration' },
  invalid_media_token: { status: 403, description: 'The signed media URL is malformed or tampered with' },
  media_token_expired: { status: 403, description: 'The signed media URL has expired: fetch the player configuration again' },
  media_token_wrong_video: { status: 403, description: 'The signed media URL belongs to another video' },
  invalid_file_token: { status: 403, description: 'The encoder file URL is invalid or expired' },
  file_url_revoked: { status: 403, description: 'The encoder file URL belonged to an attempt that is over' },
  invalid_source_token: { status: 403, description: 'The Esup-Runner source URL is invalid or expired' },
  source_url_revoked: { status: 403, description: 'The Esup-Runner source URL belonged to a task that is over' },
  comments_disabled: { status: 403, description: 'Comments are closed: on this server (COMMENTS_ENABLED) or on this video (disable_comment)' },
  public_notes_disabled: { status: 403, description: 'The editors of this video do not show public notes (disable_public_notes)' },
  not_comment_author: { status: 403, description: 'Only its author changes the text of a comment or a note' },
  // 404
  not_found: { status: 404, description: 'No such resource, or the caller may not see it (existence is not revealed)' },
  sso_disabled: { status: 404, description: 'OpenID Connect sign-in is not configured' },
  runner_backend_disabled: { status: 404, description: 'This server does not encode on Esup-Runner (ENCODING_BACKEND)' },
  // 405
  method_not_allowed: { status: 405, description: 'The path exists for other methods: the Allow header lists them' },
  // 406, 408 (raised by the framework)
  not_acceptable: { status: 406, description: 'No representation matches the Accept header' },
  request_timeout: { status: 408, description: 'The request was not fully received within REQUEST_TIMEOUT_S' },
  // 409
  conflict: { status: 409, description: 'The change conflicts with the current state' },
  already_in_playlist: { status: 409, description: 'The video is in this playlist (or the favorites) already' },
  playlist_full: { status: 409, description: 'The playlist holds as many videos as it may' },
  username_taken: { status: 409, description: 'This username is already taken' },
  code_name_taken: { status: 409, description: 'An access group with this code_name exists' },
  already_exists: { status: 409, description: 'One with this slug or title already exists' },
  user_owns_videos: { status: 409, description: 'The user owns videos: pass ?transfer_to=<username>, or deactivate the account' },
  track_exists: { status: 409, description: 'The video already has a track of this kind in this language' },
  chapter_time_taken: { status: 409, description: 'Another chapter starts at this time' },
  contributor_exists: { status: 409, description: 'This person already has this role on the video' },
  no_source: { status: 409, description: 'The video has no source file yet: upload one' },
  encoding_in_progress: { status: 409, description: 'An encoding of this video is already queued or running' },
  transcription_in_progress: { status: 409, description: 'A transcription in this language is already under way' },
  transcription_unavailable: { status: 409, description: 'Transcription needs Esup-Runner with a runner offering it' },
  lease_lost: { status: 409, description: 'The job is no longer this encoder\'s: stop working on it' },
  encoding_backend_esup_runner: { status: 409, description: 'This server encodes on Esup-Runner: its own encoders get no job' },
  sso_account_conflict: { status: 409, description: 'This username belongs to a local administrator account' },
  offset_mismatch: { status: 409, description: 'tus: Upload-Offset is not the current offset (ask it with HEAD)' },
  // 410
  legacy_not_migrated: { status: 410, description: 'This kind of Pod V4 resource was not migrated' },
  upload_expired: { status: 410, description: 'tus: the upload expired (UPLOAD_EXPIRATION_S): start a new one' },
  gone: { status: 410, description: 'The resource is gone for good' },
  // 412
  unsupported_tus_version: { status: 412, description: 'tus: Tus-Resumable must be 1.0.0' },
  precondition_failed: { status: 412, description: 'A precondition header does not hold' },
  // 413
  payload_too_large: { status: 413, description: 'The body (or the file) is larger than this endpoint accepts' },
  quota_exceeded: { status: 413, description: 'This upload would exceed the caller\'s storage quota (UPLOAD_QUOTA_BYTES)' },
  // 414
  uri_too_long: { status: 414, description: 'A path segment is longer than any identifier this API accepts' },
  // 415
  unsupported_media_type: { status: 415, description: 'This Content-Type is not accepted here (for uploads: the file is not an accepted audio or video container; for documents: its bytes are not of an accepted type, or not of the type its name says)' },
  // 416
  range_not_satisfiable: { status: 416, description: 'The Range lies outside the file; Content-Range gives its size' },
  // 422, 431 (raised by the framework)
  unprocessable_entity: { status: 422, description: 'The request is well-formed but cannot be processed' },
  headers_too_large: { status: 431, description: 'The request headers are too large' },
  // 429
  rate_limited: { status: 429, description: 'Too many attempts: wait Retry-After seconds' },
  too_many_streams: { status: 429, description: 'Too many open event streams for this client: close one first' },
  // 460 (tus checksum extension)
  checksum_mismatch: { status: 460, description: 'tus: the chunk does not match its Upload-Checksum; the offset is unchanged, send it again' },
  // 500
  internal_error: { status: 500, description: 'An unexpected failure: quote meta.request_id when reporting it' },
  // 501
  format_not_implemented: { status: 501, description: 'Only format=json is provided' },
  // 503
  service_unavailable: { status: 503, description: 'A backing service (database, job queue) is unavailable: retry after Retry-After seconds' },
  sso_unavailable: { status: 503, description: 'The identity provider cannot be reached' },
  no_runner_available: { status: 503, description: 'No Esup-Runner is free for this task now: retry later' },
  admin_not_built: { status: 503, description: 'The administration interface is not built on this server' },
} as const satisfies Record<string, ErrorCodeInfo>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** A code an operation answers; `status` only where it differs from the code's usual one. */
export type DocumentedError = ErrorCode | { code: ErrorCode; status: number };

export const isErrorCode = (code: string): code is ErrorCode => Object.hasOwn(ERROR_CODES, code);
