// `npm run seed -- --videos 100000 [--users 2000] [--no-search]`
// Fills the configured database with a realistic catalogue for benchmarks:
// users, access groups, channels, types, disciplines, tags, and videos with a
// mix of visibility settings (about 70% public). Set-based SQL, so 1M videos
// take tens of seconds, not hours.
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import { loadConfig } from '../src/core/config.ts';
import { exitIfPgliteInUse } from '../src/core/db/pglite-lock.ts';
import { openDatabase, type DatabaseHandle } from '../src/core/db/engine.ts';
import { migrate } from '../src/core/db/migrate.ts';

export async function seed(handle: DatabaseHandle, opts: { videos: number; users: number; search: boolean; log?: (m: string) => void }) {
  const log = opts.log ?? (() => {});
  const db = handle.db;
  const t0 = performance.now();
  const base = (await sql<{ n: number }>`select coalesce(max(id), 0)::int as n from users`.execute(db)).rows[0]!.n;
  await sql`insert into users (username, first_name, last_name, email, affiliation, is_staff)
    select 'seed' || (${base}::int + g), 'Prénom' || g, 'Nom' || g, 'seed' || (${base}::int + g) || '@univ.example',
           case when g % 5 = 0 then 'faculty' else 'student' end, g % 5 = 0
    from generate_series(1, ${opts.users}::int) g`.execute(db);
  const userRange = (await sql<{ lo: number; hi: number }>`select min(id)::int as lo, max(id)::int as hi from users where username like 'seed%'`.execute(db)).rows[0]!;
  await sql`insert into access_groups (code_name, display_name) select 'SEED-G' || g, 'Groupe ' || g from generate_series(1, 20) g on conflict do nothing`.execute(db);
  await sql`insert into access_group_members (group_id, user_id)
    select g.id, u.id from access_groups g join users u on u.username like 'seed%' and (u.id + g.id) % 10 = 0
    where g.code_name like 'SEED-G%' on conflict do nothing`.execute(db);
  await sql`insert into types (slug, title) select 'seed-type-' || g, 'Type ' || g from generate_series(1, 8) g on conflict do nothing`.execute(db);
  await sql`insert into disciplines (slug, title) select 'seed-disc-' || g, 'Discipline ' || g from generate_series(1, 30) g on conflict do nothing`.execute(db);
  await sql`insert into channels (slug, title) select 'seed-channel-' || g, 'Chaîne ' || g from generate_series(1, 50) g on conflict do nothing`.execute(db);
  await sql`insert into tags (name) select 'tag' || g from generate_series(1, 500) g on conflict do nothing`.execute(db);
  log(`reference data in ${Math.round(performance.now() - t0)} ms`);

  const words = ['cours', 'physique', 'chimie', 'histoire', 'mathématiques', 'biologie', 'économie', 'droit', 'informatique', 'séminaire', 'conférence', 'travaux', 'pratiques', 'introduction', 'avancé'];
  const batch = 50_000;
  for (let done = 0; done < opts.videos; done += batch) {
    const n = Math.min(batch, opts.videos - done);
    const t1 = performance.now();
    await sql`insert into videos (slug, title, description, owner_id, type_id, date_added, duration, is_draft, is_restricted, password_hash, ready_at, encoding_status, main_lang)
      select 'seed-' || (${done}::int + g) || '-' || md5(random()::text),
             initcap((${sql.val(words)}::text[])[1 + (g % 15)]) || ' ' || (${sql.val(words)}::text[])[1 + ((g / 15) % 15)] || ' ' || (${done}::int + g),
             'Description de la vidéo ' || (${done}::int + g),
             ${userRange.lo}::int + (g % (${userRange.hi}::int - ${userRange.lo}::int + 1)),
             (select min(id) from types where slug like 'seed-type-%') + (g % 8),
             now() - ((${done}::int + g) || ' minutes')::interval,
             60 + (g % 5400),
             g % 10 = 0, g % 10 in (1, 2, 3), case when g % 20 = 4 then 'x' end,
             case when g % 50 = 0 then null else now() end,
             case when g % 50 = 0 then 'pending' else 'ready' end,
             case when g % 4 = 0 then 'en' else 'fr' end
      from generate_series(1, ${n}::int) g`.execute(db);
    log(`videos ${done + n}/${opts.videos} (${Math.round(performance.now() - t1)} ms)`);
  }
  await sql`update videos set slug = lpad(id::text, greatest(4, length(id::text)), '0') || '-seed' where slug like 'seed-%'`.execute(db);
  await sql`insert into video_groups (video_id, group_id)
    select v.id, (select min(id) from access_groups where code_name like 'SEED-G%') + (v.id % 20) from videos v where v.slug like '%-seed' and v.id % 10 = 3 on conflict do nothing`.execute(db);
  await sql`insert into video_channels (video_id, channel_id)
    select v.id, (select min(id) from channels where slug like 'seed-channel-%') + (v.id % 50) from videos v where v.slug like '%-seed' and v.id % 3 = 0 on conflict do nothing`.execute(db);
  await sql`insert into video_tags (video_id, tag_id)
    select v.id, (select min(id) from tags where name like 'tag%') + (v.id % 500) from videos v where v.slug like '%-seed' on conflict do nothing`.execute(db);
  await sql`insert into video_additional_owners (video_id, user_id)
    select v.id, ${userRange.lo}::int + ((v.id * 7) % (${userRange.hi}::int - ${userRange.lo}::int + 1)) from videos v
    where v.slug like '%-seed' and v.id % 25 = 0 and v.owner_id <> ${userRange.lo}::int + ((v.id * 7) % (${userRange.hi}::int - ${userRange.lo}::int + 1)) on conflict do nothing`.execute(db);
  if (opts.search) {
    const t2 = performance.now();
    await sql`update videos set search_vector = video_search_document(id) where slug like '%-seed'`.execute(db);
    log(`search documents in ${Math.round(performance.now() - t2)} ms`);
  }
  await sql`analyze`.execute(db);
  log(`seeded ${opts.videos} videos in ${Math.round(performance.now() - t0)} ms`);
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: { videos: { type: 'string', default: '1000' }, users: { type: 'string', default: '2000' }, 'no-search': { type: 'boolean', default: false } },
  });
  const videos = Number(values.videos);
  const users = Number(values.users);
  if (!Number.isInteger(videos) || videos < 0 || !Number.isInteger(users) || users < 1) {
    console.error('usage: npm run seed -- --videos N [--users N] [--no-search]');
    process.exit(64);
  }
  const handle = await openDatabase(loadConfig(), undefined, { role: 'seed' }).catch(exitIfPgliteInUse);
  try {
    await migrate(handle);
    await seed(handle, { videos, users, search: !values['no-search'], log: (m) => console.log(m) });
  } finally {
    await handle.close();
  }
}
