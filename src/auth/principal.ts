// Who is calling: resolved once per request by the auth plugin, read by the
// policy module and the handlers. `null` means anonymous.

export interface Principal {
  id: number;
  username: string;
  is_staff: boolean;
  is_superuser: boolean;
  is_manager: boolean;
  affiliation: string;
  group_ids: number[];
  session_id: string;
  /** How this request authenticated: bearer JWT, or browser cookie (then CSRF applies). */
  via: 'bearer' | 'cookie';
}

export type Viewer = Principal | null;
