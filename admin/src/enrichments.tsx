// A video's enrichments on its admin page: comments (hide, show, delete),
// public notes, documents, contributors, overlays and timed links (delete),
// read and changed through the same public endpoints as any client.
import { useCallback, useEffect, useState } from 'react';
import { Button, Labeled, useNotify, useRecordContext, useTranslate } from 'react-admin';
import { api } from './api.tsx';

type Item = Record<string, any> & { id: number };
const SECTIONS: { path: string; query?: string; show: (i: Item) => string }[] = [
  { path: 'comments', query: '?sort=newest&limit=100', show: (c) => `${c.author.username}: ${c.content}${c.parent_id ? ` (↳ ${c.parent_id})` : ''} · ${c.votes} ▲` },
  { path: 'notes', query: '?scope=public&limit=100', show: (n) => `${n.author.username}${n.time_start === null ? '' : ` @${n.time_start}s`}: ${n.note}` },
  { path: 'documents', show: (d) => `${d.title} (${d.filename}, ${d.size} B${d.is_private ? ', private' : ''})` },
  { path: 'contributors', show: (c) => `${c.name}, ${c.role}${c.email_address ? ` <${c.email_address}>` : ''}` },
  { path: 'overlays', show: (o) => `${o.title} · ${o.time_start}–${o.time_end}s · ${o.position}` },
  { path: 'links', show: (l) => `${l.label} @${l.time_start}s → ${l.url}` },
];

function Section({ video, path, query, show }: { video: number } & (typeof SECTIONS)[number]) {
  const [items, setItems] = useState<Item[] | string>([]);
  const notify = useNotify();
  const t = useTranslate();
  const load = useCallback(() => {
    api(`/videos/${video}/${path}${query ?? ''}`).then((r) => setItems(r.data), (err: Error) => setItems(err.message));
  }, [video, path, query]);
  useEffect(load, [load]);
  const act = (method: string, suffix: string, body?: unknown) => async () => {
    try {
      await api(`/videos/${video}/${path}/${suffix}`, { method, body });
    } catch (err) {
      notify((err as Error).message, { type: 'error' });
    }
    load();
  };
  return (
    <Labeled label={`pod.enrichments.${path}`} fullWidth>
      <ul data-enrichment={path}>
        {typeof items === 'string' ? <li>{items}</li> : items.length === 0 ? <li>—</li> : items.map((item) => (
          <li key={item.id} style={{ opacity: item.is_hidden ? 0.5 : 1 }}>
            {path === 'documents' ? <a href={item.url}>{show(item)}</a> : show(item)}
            {path === 'comments' ? <Button label={t(item.is_hidden ? 'pod.enrichments.show' : 'pod.enrichments.hide')} onClick={act('PATCH', String(item.id), { is_hidden: !item.is_hidden })} /> : null}
            <Button label="ra.action.delete" onClick={act('DELETE', String(item.id))} />
          </li>
        ))}
      </ul>
    </Labeled>
  );
}

export const VideoEnrichments = () => {
  const video = useRecordContext<{ id: number }>();
  if (!video) return null;
  return <div data-testid="enrichments">{SECTIONS.map((s) => <Section key={s.path} video={video.id} {...s} />)}</div>;
};
