// Comments: threads, one vote per user, authors edit and delete theirs,
// editors moderate (hide, delete), closed per video or server-wide, HTML
// refused, cursor pagination, counts in the video JSON, rate limited per user.
// Notes: private by default, public ones shown to viewers unless turned off.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { markEncoded } from '../test-support/encoded.ts';
import { startTestApp, type TestApp } from '../test-support/test-app.ts';
import { createUser, type TestUser } from '../test-support/users.ts';

describe('comments and notes', () => {
  let t: TestApp;
  let owner: TestUser, coowner: TestUser, alice: TestUser, bob: TestUser, manager: TestUser;
  let video: { id: number; slug: string };

  before(async () => {
    t = await startTestApp({ env: { COMMENT_RATE_LIMIT_MAX: '25' } });
    owner = await createUser(t, 'owner', { is_staff: true });
    coowner = await createUser(t, 'coowner');
    alice = await createUser(t, 'alice');
    bob = await createUser(t, 'bob');
    manager = await createUser(t, 'manager', { is_manager: true });
    video = (await t.request('POST', '/api/v1/videos', { headers: owner.auth, json: { title: 'Cours', is_draft: false, additional_owners: ['coowner'] } })).body.data;
    await markEncoded(t, video.id); // 8 s
  });
  after(() => t.close());

  const comments = (suffix = '') => `/api/v1/videos/${video.slug}/comments${suffix}`;
  const notes = (suffix = '') => `/api/v1/videos/${video.slug}/notes${suffix}`;
  const post = (who: TestUser, json: Record<string, unknown>) => t.request('POST', comments(), { headers: who.auth, json });
  const detail = async () => (await t.request('GET', `/api/v1/videos/${video.slug}`)).body.data;

  it('threads: comments, replies, counts in the video JSON; anonymous read, signed-in write', async () => {
    const first = await post(alice, { content: 'Très clair, merci !\n\n**Question** : et le *TP* ?' });
    assert.equal(first.status, 201, first.text);
    assert.deepEqual(
      { ...first.body.data, id: 0, created_at: '' },
      { id: 0, parent_id: null, author: { id: alice.id, username: 'alice', first_name: 'alice', last_name: 'Test' }, content: 'Très clair, merci !\n\n**Question** : et le *TP* ?',
        votes: 0, has_voted: false, reply_count: 0, is_hidden: false, edited_at: null, created_at: '', can_edit: true, can_moderate: true },
    );
    const reply = await post(owner, { content: 'Le TP est en ligne.', parent_id: first.body.data.id });
    assert.equal(reply.body.data.parent_id, first.body.data.id);
    await post(bob, { content: 'Merci !', parent_id: reply.body.data.id });
    await post(bob, { content: 'Deuxième fil' });
    assert.equal((await detail()).comment_count, 4);

    const top = await t.request('GET', comments());
    assert.equal(top.status, 200);
    assert.deepEqual(top.body.data.map((c: any) => [c.content, c.reply_count, c.can_edit, c.can_moderate]),
      [['Très clair, merci !\n\n**Question** : et le *TP* ?', 1, false, false], ['Deuxième fil', 0, false, false]]);
    const replies = await t.request('GET', comments(`?parent=${first.body.data.id}`), { headers: owner.auth });
    assert.deepEqual(replies.body.data.map((c: any) => [c.content, c.reply_count, c.can_moderate]), [['Le TP est en ligne.', 1, true]]);
    assert.equal((await t.request('POST', comments(), { json: { content: 'anonyme' } })).status, 401);
    // A reply names a comment of this video.
    const other = (await t.request('POST', '/api/v1/videos', { headers: owner.auth, json: { title: 'Autre', is_draft: false } })).body.data;
    await markEncoded(t, other.id);
    const elsewhere = await t.request('POST', `/api/v1/videos/${other.slug}/comments`, { headers: alice.auth, json: { content: 'x', parent_id: first.body.data.id } });
    assert.deepEqual([elsewhere.status, elsewhere.body.errors[0].field], [404, 'parent_id']);
  });

  it('votes: one per user, idempotent, taken back; sort=top', async () => {
    const list = (await t.request('GET', comments())).body.data;
    const second = list[1].id;
    for (const who of [alice, alice, bob]) {
      const v = await t.request('PUT', comments(`/${second}/vote`), { headers: who.auth });
      assert.equal(v.status, 200, v.text);
    }
    const byBob = await t.request('GET', comments('?sort=top'), { headers: bob.auth });
    assert.deepEqual(byBob.body.data.map((c: any) => [c.id, c.votes, c.has_voted]), [[second, 2, true], [list[0].id, 0, false]]);
    const back = await t.request('DELETE', comments(`/${second}/vote`), { headers: alice.auth });
    assert.deepEqual(back.body.data, { id: second, votes: 1, has_voted: false });
    assert.equal((await t.request('PUT', comments('/999999/vote'), { headers: alice.auth })).status, 404);
  });

  it('concurrent votes are all counted, and taken back all at once', async () => {
    const c = (await post(owner, { content: 'Votez !' })).body.data;
    const voters = await Promise.all(Array.from({ length: 20 }, (_, i) => createUser(t, `voter${i}`)));
    for (const [method, expected] of [['PUT', 20], ['DELETE', 0]] as const) {
      const answers = await Promise.all(voters.map((u) => t.request(method, comments(`/${c.id}/vote`), { headers: u.auth })));
      assert.ok(answers.every((a) => a.status === 200));
      const row = await t.app.dbh.db.selectFrom('video_comments').select('votes').where('id', '=', c.id).executeTakeFirstOrThrow();
      assert.equal(row.votes, expected, `${method}: the count of votes`);
    }
  });

  it('authors edit their text; editors hide (then only they see it) and delete; others may not', async () => {
    const c = (await post(alice, { content: 'Premier jet' })).body.data;
    const edit = await t.request('PATCH', comments(`/${c.id}`), { headers: alice.auth, json: { content: 'Version corrigée' } });
    assert.equal(edit.status, 200, edit.text);
    assert.ok(edit.body.data.edited_at);
    const notAuthor = await t.request('PATCH', comments(`/${c.id}`), { headers: owner.auth, json: { content: 'censuré' } });
    assert.deepEqual([notAuthor.status, notAuthor.body.errors[0].code], [403, 'not_comment_author']);
    const hideByAuthor = await t.request('PATCH', comments(`/${c.id}`), { headers: alice.auth, json: { is_hidden: true } });
    assert.deepEqual([hideByAuthor.status, hideByAuthor.body.errors[0].code], [403, 'forbidden']);
    const before = (await detail()).comment_count;
    const hide = await t.request('PATCH', comments(`/${c.id}`), { headers: coowner.auth, json: { is_hidden: true } });
    assert.equal(hide.body.data.is_hidden, true);
    assert.equal((await detail()).comment_count, before - 1);
    const seen = async (who: TestUser | null) => ((await t.request('GET', comments('?sort=newest&limit=100'), { headers: who?.auth ?? {} })).body.data as any[]).some((x) => x.id === c.id);
    assert.deepEqual([await seen(null), await seen(alice), await seen(bob), await seen(owner), await seen(manager)], [false, false, false, true, true]);
    assert.equal((await t.request('DELETE', comments(`/${c.id}`), { headers: bob.auth })).status, 404, 'hidden: bob cannot even find it');
    await t.request('PATCH', comments(`/${c.id}`), { headers: manager.auth, json: { is_hidden: false } });
    assert.equal((await t.request('DELETE', comments(`/${c.id}`), { headers: bob.auth })).status, 403);
    assert.equal((await t.request('DELETE', comments(`/${c.id}`), { headers: alice.auth })).status, 200);
    // An editor deletes a thread: its replies go with it.
    const root = (await post(bob, { content: 'Fil à supprimer' })).body.data;
    await post(alice, { content: 'réponse', parent_id: root.id });
    const count = (await detail()).comment_count;
    assert.equal((await t.request('DELETE', comments(`/${root.id}`), { headers: owner.auth })).status, 200);
    assert.equal((await detail()).comment_count, count - 2);
  });

  it('pagination with a cursor, in each order', async () => {
    for (const sort of ['oldest', 'newest', 'top']) {
      const seen: number[] = [];
      let cursor: string | null = null;
      do {
        const res: any = await t.request('GET', comments(`?sort=${sort}&limit=1${cursor ? `&cursor=${cursor}` : ''}`));
        assert.equal(res.status, 200, res.text);
        seen.push(...res.body.data.map((c: any) => c.id));
        cursor = res.body.meta.next_cursor;
      } while (cursor);
      const all = (await t.request('GET', comments(`?sort=${sort}&limit=100`))).body.data.map((c: any) => c.id);
      assert.deepEqual(seen, all, sort);
      assert.ok(all.length >= 2);
    }
    assert.equal((await t.request('GET', comments('?cursor=nope'))).body.errors[0].code, 'invalid_cursor');
  });

  it('bad input: HTML refused, blank, too long, wrong types, unknown fields', async () => {
    for (const text of ['<b>gras</b>', 'voir <img src=x onerror=alert(1)>', '<!-- x -->', '<script>alert(1)</script>', 'a <a href="https://x.example">lien</a>']) {
      const res = await post(alice, { content: text });
      assert.deepEqual([res.status, res.body.errors[0].code], [400, 'html_not_allowed'], text);
    }
    // Markdown and comparisons are text.
    assert.equal((await post(alice, { content: 'si a < b et c > d alors `x<y`' })).status, 201);
    for (const json of [{ content: '   ' }, { content: 'x'.repeat(5001) }, { content: 42 }, {}, { content: 'ok', parent_id: 'one' }, { content: 'ok', extra: true }]) {
      const res = await post(alice, json);
      assert.deepEqual([res.status, res.body.errors[0].code], [400, 'validation_error'], JSON.stringify(json));
    }
    assert.equal((await t.request('PATCH', comments('/1'), { headers: alice.auth, json: {} })).status, 400);
  });

  it('closed comments: disable_comment answers 403 comments_disabled to reads and writes; deleting one\'s own still works', async () => {
    const mine = (await post(bob, { content: 'avant fermeture' })).body.data;
    const close = await t.request('PATCH', `/api/v1/videos/${video.slug}`, { headers: coowner.auth, json: { disable_comment: true } });
    assert.equal(close.body.data.disable_comment, true);
    for (const [method, path] of [['GET', comments()], ['POST', comments()], ['PUT', comments(`/${mine.id}/vote`)]] as const) {
      const res = await t.request(method, path, { headers: alice.auth, json: method === 'POST' ? { content: 'x' } : undefined });
      assert.deepEqual([res.status, res.body.errors[0].code], [403, 'comments_disabled'], `${method} ${path}`);
    }
    assert.equal((await t.request('DELETE', comments(`/${mine.id}`), { headers: bob.auth })).status, 200);
    await t.request('PATCH', `/api/v1/videos/${video.slug}`, { headers: owner.auth, json: { disable_comment: false } });
    assert.equal((await t.request('GET', comments())).status, 200);
  });

  it('rate limit: a user sending too many comments gets 429 rate_limited; others are not affected', async () => {
    let limited = 0;
    for (let i = 0; i < 30 && !limited; i++) {
      const res = await post(bob, { content: `spam ${i}` });
      if (res.status === 429) {
        assert.equal(res.body.errors[0].code, 'rate_limited');
        assert.ok(Number(res.headers.get('retry-after')) > 0);
        limited = i;
      }
    }
    assert.ok(limited > 0 && limited <= 25, `limited after ${limited}`);
    assert.equal((await post(manager, { content: 'pas moi' })).status, 201);
  });

  it('notes: private by default, public ones shown to viewers, turned off by editors; authors change theirs', async () => {
    const priv = await t.request('POST', notes(), { headers: alice.auth, json: { note: 'à revoir', time_start: 3.5 } });
    assert.equal(priv.status, 201, priv.text);
    assert.deepEqual([priv.body.data.is_public, priv.body.data.time_start, priv.body.data.is_mine], [false, 3.5, true]);
    const pub = await t.request('POST', notes(), { headers: alice.auth, json: { note: 'Formule au tableau', time_start: 1, is_public: true } });
    const whole = await t.request('POST', notes(), { headers: bob.auth, json: { note: 'Résumé', is_public: true } });
    assert.equal(whole.body.data.time_start, null);
    const texts = async (who: TestUser | null, q = '') => ((await t.request('GET', notes(q), { headers: who?.auth ?? {} })).body.data as any[]).map((n) => n.note);
    assert.deepEqual(await texts(alice), ['Résumé', 'Formule au tableau', 'à revoir']);
    assert.deepEqual(await texts(bob), ['Résumé', 'Formule au tableau']);
    assert.deepEqual(await texts(null), ['Résumé', 'Formule au tableau']);
    assert.deepEqual(await texts(alice, '?scope=mine'), ['Formule au tableau', 'à revoir']);
    assert.deepEqual(await texts(owner, '?scope=mine'), []);
    // Someone else's note is not theirs to change; the author's changes are checked.
    assert.equal((await t.request('PATCH', notes(`/${priv.body.data.id}`), { headers: bob.auth, json: { note: 'x' } })).status, 404);
    for (const [json, code] of [[{ time_start: 9 }, 'time_beyond_duration'], [{ note: '<i>x</i>' }, 'html_not_allowed'], [{ note: 42 }, 'validation_error']] as const) {
      const res = await t.request('PATCH', notes(`/${priv.body.data.id}`), { headers: alice.auth, json });
      assert.deepEqual([res.status, res.body.errors[0].code], [400, code], JSON.stringify(json));
    }
    // Editors delete a public note, not a private one; nobody else does.
    assert.equal((await t.request('DELETE', notes(`/${pub.body.data.id}`), { headers: bob.auth })).status, 403);
    assert.equal((await t.request('DELETE', notes(`/${priv.body.data.id}`), { headers: owner.auth })).status, 404);
    assert.equal((await t.request('DELETE', notes(`/${pub.body.data.id}`), { headers: coowner.auth })).status, 200);
    // Public notes turned off: no one sees others' notes, nobody publishes; authors keep theirs.
    await t.request('PATCH', `/api/v1/videos/${video.slug}`, { headers: owner.auth, json: { disable_public_notes: true } });
    assert.deepEqual(await texts(alice), ['à revoir']);
    assert.deepEqual(await texts(bob), ['Résumé']);
    assert.deepEqual(await texts(null), []);
    const refused = await t.request('POST', notes(), { headers: alice.auth, json: { note: 'x', is_public: true } });
    assert.deepEqual([refused.status, refused.body.errors[0].code], [403, 'public_notes_disabled']);
    assert.equal((await t.request('POST', notes(), { json: { note: 'x' } })).status, 401);
  });
});

describe('comments switched off on the server', () => {
  it('COMMENTS_ENABLED=false: every comment read and write answers 403 comments_disabled', async () => {
    const t = await startTestApp({ env: { COMMENTS_ENABLED: 'false' } });
    try {
      const owner = await createUser(t, 'owner');
      const v = (await t.request('POST', '/api/v1/videos', { headers: owner.auth, json: { title: 'x', is_draft: false } })).body.data;
      await markEncoded(t, v.id);
      for (const [method, json] of [['GET', undefined], ['POST', { content: 'x' }]] as const) {
        const res = await t.request(method, `/api/v1/videos/${v.slug}/comments`, { headers: owner.auth, json });
        assert.deepEqual([res.status, res.body.errors[0].code], [403, 'comments_disabled']);
      }
    } finally {
      await t.close();
    }
  });
});
