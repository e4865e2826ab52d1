// `npm test` runs the suite twice, on embedded PGlite and on PostgreSQL.
// Tests whose subject does not depend on the database engine (a browser
// playing media, a packaging format, the admin SPA's screens, HTTP headers)
// run in the PGlite pass only: the PostgreSQL pass would repeat them and
// cost about a minute of the 20-minute budget.

/** A `skip` reason in the PostgreSQL pass, false in the PGlite pass. */
export const ENGINE_INDEPENDENT: string | false = process.env.TEST_POSTGRES_URL
  ? 'does not depend on the database engine: run in the PGlite pass only'
  : false;
