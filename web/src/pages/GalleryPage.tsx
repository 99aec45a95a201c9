import { useCallback, useEffect, useRef, useState } from 'react';
import { Link } from 'react-router-dom';
import { ApiError, type CallMeta, type Picture, type PictureMeta } from '../api';
import { CallInfo } from '../components/CallInfo';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { formatBytes, formatDate } from '../format';
import { useSession } from '../session';

export const PAGE_SIZE = 20;

function message(e: unknown): string {
  return e instanceof ApiError || e instanceof Error ? e.message : String(e);
}

/** Merges a new page into the list: no duplicates, newest first. */
export function mergePictures(current: PictureMeta[], page: PictureMeta[]): PictureMeta[] {
  const seen = new Set(current.map((p) => p.id));
  const merged = [...current, ...page.filter((p) => !seen.has(p.id))];
  return merged
    .map((p, i) => ({ p, i, t: Date.parse(p.created_at) || 0 }))
    .sort((a, b) => b.t - a.t || a.i - b.i)
    .map((x) => x.p);
}

export function GalleryPage() {
  const { client, transport } = useSession();
  const [items, setItems] = useState<PictureMeta[]>([]);
  const [next, setNext] = useState('');
  const [loading, setLoading] = useState(false);
  const [loaded, setLoaded] = useState(false);
  const [error, setError] = useState('');
  const [meta, setMeta] = useState<CallMeta | null>(null);
  const [openId, setOpenId] = useState<string | null>(null);
  const [toDelete, setToDelete] = useState<PictureMeta | null>(null);
  const [deleting, setDeleting] = useState(false);
  const [deleteError, setDeleteError] = useState('');
  const [status, setStatus] = useState('');
  const generation = useRef(0);

  const load = useCallback(
    async (token: string) => {
      const gen = generation.current;
      setLoading(true);
      setError('');
      try {
        const r = await client.listPictures(PAGE_SIZE, token);
        if (gen !== generation.current) return;
        setItems((cur) => mergePictures(token ? cur : [], r.data.pictures));
        setNext(r.data.next_page_token);
        setMeta(r.meta);
      } catch (e) {
        if (gen === generation.current) setError(message(e));
      } finally {
        if (gen === generation.current) {
          setLoading(false);
          setLoaded(true);
        }
      }
    },
    [client],
  );

  useEffect(() => {
    generation.current++;
    setItems([]);
    setNext('');
    setLoaded(false);
    void load('');
  }, [load, transport]);

  async function confirmDelete() {
    if (!toDelete) return;
    setDeleting(true);
    setDeleteError('');
    try {
      const r = await client.deletePicture(toDelete.id);
      setItems((cur) => cur.filter((p) => p.id !== toDelete.id));
      setMeta(r.meta);
      setStatus(`Deleted “${toDelete.title}”.`);
      if (openId === toDelete.id) setOpenId(null);
      setToDelete(null);
    } catch (e) {
      setDeleteError(message(e));
    } finally {
      setDeleting(false);
    }
  }

  return (
    <main data-testid="gallery-page">
      <div className="page-head">
        <h1>Gallery</h1>
        <button type="button" onClick={() => { generation.current++; void load(''); }} disabled={loading} data-testid="gallery-reload">
          Reload
        </button>
      </div>
      <CallInfo meta={meta} />
      <p className="sr-only" role="status">
        {status}
      </p>
      {error ? (
        <p className="error" role="alert" data-testid="gallery-error">
          {error}
        </p>
      ) : null}
      {loaded && !error && items.length === 0 ? (
        <p data-testid="gallery-empty">
          No pictures yet. <Link to="/upload">Upload some</Link>.
        </p>
      ) : null}
      <ul className="grid" data-testid="gallery-grid" aria-label="Pictures" aria-busy={loading}>
        {items.map((p) => (
          <li key={p.id} className="tile" data-testid="gallery-item" data-id={p.id}>
            <button type="button" className="thumb" onClick={() => setOpenId(p.id)} aria-label={`Open ${p.title}`} data-testid="open-picture">
              <img loading="lazy" src={client.rawUrl(p.id)} alt={p.title} decoding="async" />
            </button>
            <div className="tile-foot">
              <span className="tile-title" title={p.title} data-testid="picture-title">
                {p.title}
              </span>
              <button
                type="button"
                className="icon danger"
                onClick={() => setToDelete(p)}
                aria-label={`Delete ${p.title}`}
                data-testid="delete-picture"
              >
                ✕
              </button>
            </div>
          </li>
        ))}
      </ul>
      {next ? (
        <div className="center">
          <button type="button" onClick={() => void load(next)} disabled={loading} data-testid="load-more">
            {loading ? 'Loading…' : 'Load more'}
          </button>
        </div>
      ) : loading ? (
        <p className="center" role="status">
          Loading…
        </p>
      ) : null}
      {openId ? (
        <PictureViewer id={openId} onClose={() => setOpenId(null)} onDelete={(p) => setToDelete(p)} />
      ) : null}
      {toDelete ? (
        <ConfirmDialog
          title="Delete this picture?"
          message={`“${toDelete.title}” will be deleted permanently.`}
          confirmLabel="Delete"
          busy={deleting}
          error={deleteError}
          onConfirm={() => void confirmDelete()}
          onCancel={() => {
            setToDelete(null);
            setDeleteError('');
          }}
        />
      ) : null}
    </main>
  );
}

function PictureViewer({ id, onClose, onDelete }: { id: string; onClose: () => void; onDelete: (p: PictureMeta) => void }) {
  const { client } = useSession();
  const [pic, setPic] = useState<Picture | null>(null);
  const [meta, setMeta] = useState<CallMeta | null>(null);
  const [error, setError] = useState('');
  const closeRef = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    let live = true;
    setPic(null);
    setError('');
    client
      .getPicture(id)
      .then((r) => {
        if (!live) return;
        setPic(r.data);
        setMeta(r.meta);
      })
      .catch((e) => live && setError(message(e)));
    return () => {
      live = false;
    };
  }, [client, id]);

  useEffect(() => {
    closeRef.current?.focus();
  }, []);

  const src = pic ? (pic.base64 ? `data:${pic.content_type || 'image/*'};base64,${pic.base64}` : client.rawUrl(pic.id)) : '';

  return (
    <div className="overlay" onKeyDown={(e) => e.key === 'Escape' && onClose()} onClick={(e) => e.target === e.currentTarget && onClose()}>
      <div className="dialog viewer" role="dialog" aria-modal="true" aria-labelledby="viewer-title" data-testid="picture-viewer">
        <div className="viewer-head">
          <h2 id="viewer-title" data-testid="viewer-title">
            {pic?.title ?? (error ? 'Picture' : 'Loading…')}
          </h2>
          <button type="button" ref={closeRef} onClick={onClose} aria-label="Close picture" data-testid="viewer-close">
            Close
          </button>
        </div>
        {error ? (
          <p className="error" role="alert" data-testid="viewer-error">
            {error}
          </p>
        ) : null}
        {pic ? (
          <>
            <img className="full" src={src} alt={pic.title} data-testid="viewer-image" />
            <dl className="meta">
              <dt>Size</dt>
              <dd data-testid="viewer-size">{formatBytes(pic.size)}</dd>
              <dt>Type</dt>
              <dd data-testid="viewer-type">{pic.content_type || '—'}</dd>
              <dt>Uploaded</dt>
              <dd data-testid="viewer-date">
                <time dateTime={pic.created_at}>{formatDate(pic.created_at)}</time>
              </dd>
            </dl>
            <CallInfo meta={meta} testId="viewer-call-info" />
            <div className="actions">
              <button type="button" className="danger" onClick={() => onDelete(pic)} data-testid="viewer-delete">
                Delete…
              </button>
            </div>
          </>
        ) : null}
      </div>
    </div>
  );
}
