// Secrets that travel in URLs never reach a log line. Capability URLs carry
// their credential in the path (media tokens `/media/t/<token>/…`, encoder
// file tokens `/api/v1/encoders/files/<token>`) or in the query (private-link
// and unlock tokens `?token=`, the OIDC `code` and `state`, S3 presigned
// signatures), and URLs end up in request lines, error messages and stacks.
// Applied to each whole serialized log line (pino's streamWrite hook), so a
// secret is redacted whatever field it sits in; also to the reference
// encoder's messages (ffmpeg errors quote the URL they failed on).

const REDACTED = '[REDACTED]';
const PATH_TOKENS = /(\/media\/t\/|\/api\/v1\/encoders\/files\/)[^/\s"'\\?#&]+/g;
const QUERY_SECRETS = /([?&](?:token|code|state|access_token|refresh_token|id_token|password|X-Amz-Signature|X-Amz-Credential|X-Amz-Security-Token)=)[^&\s"'\\#]+/gi;
// A JWT anywhere (access, refresh, unlock and encoder file tokens are JWTs): header.payload.signature.
const JWT = /\beyJ[\w-]{8,}\.eyJ[\w-]{8,}\.[\w-]{8,}/g;

export function redactSecrets(text: string): string {
  return text.replace(PATH_TOKENS, `$1${REDACTED}`).replace(QUERY_SECRETS, `$1${REDACTED}`).replace(JWT, REDACTED);
}
