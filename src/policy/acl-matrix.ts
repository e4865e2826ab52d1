// The access-control matrix: who sees which kind of video on which read
// path. It is the specification: src/policy/acl-matrix.test.ts asserts every
// cell over HTTP, and the README prints it (`npm run acl-table`).

export const ROLES = ['anonymous', 'stranger', 'group member', 'owner', 'additional owner', 'staff', 'superuser', 'private-link holder'] as const;
export const KINDS = ['public', 'public+password', 'draft', 'restricted', 'restricted+groups', 'restricted+password'] as const;
export const PATHS = ['list', 'search', 'channel listing', 'detail', 'player config', 'media file'] as const;

export type Role = (typeof ROLES)[number];

/** The access group of the restricted+groups kind. */
export const MATRIX_GROUP = 'MATRIX-G';
/** The video fields that make each kind (POST /videos). */
export const KIND_SETTINGS: Record<(typeof KINDS)[number], Record<string, unknown>> = {
  'public': { is_draft: false },
  'public+password': { is_draft: false, password: 'sesame' },
  'draft': { is_draft: true },
  'restricted': { is_draft: false, is_restricted: true },
  'restricted+groups': { is_draft: false, is_restricted: true, restrict_access_to_groups: [MATRIX_GROUP] },
  'restricted+password': { is_draft: false, is_restricted: true, password: 'sesame' },
};
export type Kind = (typeof KINDS)[number];
export type ReadPath = (typeof PATHS)[number];

/** 'see' = listed / 200; 'locked' = listed / 200 but playback needs the password; 'hidden' = absent / 404. */
export type Outcome = 'see' | 'locked' | 'hidden';

// Rows: kinds. Columns: roles in ROLES order. Values: outcome on the
// detail path; list, search and channel listing follow, except for the
// private-link holder whose link only opens the detail (lists: as anonymous).
// Player config and media files: 'see' = config 200 and its HLS master URL
// fetches; 'locked' = config 403 password_required; 'hidden' = config 404.
const S = 'see', L = 'locked', H = 'hidden';
export const DETAIL: Record<Kind, Outcome[]> = {
  //                      anon stranger member owner addl staff super link
  'public':              [S,   S,       S,     S,    S,   S,    S,    S],
  'public+password':     [L,   L,       L,     S,    S,   L,    S,    S],
  'draft':               [H,   H,       H,     S,    S,   H,    S,    S],
  'restricted':          [H,   S,       S,     S,    S,   S,    S,    S],
  'restricted+groups':   [H,   H,       S,     S,    S,   H,    S,    S],
  'restricted+password': [H,   L,       L,     S,    S,   L,    S,    S],
};

export function expected(role: Role, kind: Kind, path: ReadPath): Outcome {
  if (role === 'private-link holder' && !['detail', 'player config', 'media file'].includes(path)) return expected('anonymous', kind, path);
  return DETAIL[kind][ROLES.indexOf(role)]!;
}

const SYMBOL: Record<Outcome, string> = { see: '✔', locked: '🔒', hidden: '✘' };

/** The matrix as a markdown table (README). */
export function markdownTable(): string {
  const head = `| Video kind \\ role | ${ROLES.join(' | ')} |`;
  const sep = `|---|${ROLES.map(() => '---').join('|')}|`;
  const rows = KINDS.map((k) => `| ${k} | ${ROLES.map((r) => {
    const detail = expected(r, k, 'detail');
    const list = expected(r, k, 'list');
    return detail === list ? SYMBOL[detail] : `${SYMBOL[detail]} detail, ${SYMBOL[list]} lists`;
  }).join(' | ')} |`);
  return [head, sep, ...rows].join('\n');
}
