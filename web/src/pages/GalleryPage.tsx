import { useCallback, useEffect, useLayoutEffect, useRef, useState } from 'react';
import { Link, useLocation } from 'react-router-dom';
import { ApiError, type CallMeta, type PictureMeta } from '../api';
import { CallInfo } from '../components/CallInfo';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { formatBytes, formatShortDate, formatType } from '../format';
import { useImageBlob, useSeen } from '../imageBlob';
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

function Thumbnail({ picture }: { picture: PictureMeta }) {
  const ref = useRef<HTMLSpanElement>(null);
  const seen = useSeen(ref);
  const img = useImageBlob(picture.id, 'thumbnail', seen);
  return (
    <span className="thumb" ref={ref} aria-busy={!img.url && !img.error}>
      {img.url ? (
        // The link around it is named by the title next to it.
        <img src={img.url} alt="" data-testid="thumbnail" data-bytes={img.bytes} />
      ) : img.error ? (
        <span className="thumb-missing" data-testid="thumbnail-error">
          No preview
        </span>
      ) : null}
    </span>
  );
}

export function GalleryPage() {
  const { client, transport, user, gallery } = useSession();
  const cacheKey = `${user?.id ?? ''}:${transport}`;
  const cached = gallery.current?.key === cacheKey ? gallery.current : null;
  const [items, setItems] = useState<PictureMeta[]>(cached?.items ?? []);
  const [next, setNext] = useState(cached?.next ?? '');
  const [loading, setLoading] = useState(false);
  const [loaded, setLoaded] = useState(cached !== null);
  const [error, setError] = useState('');
  const [meta, setMeta] = useState<CallMeta | null>(null);
  const [toDelete, setToDelete] = useState<PictureMeta | null>(null);
  const [deleting, setDeleting] = useState(false);
  const [deleteError, setDeleteError] = useState('');
  const deletedHere = (useLocation().state as { deleted?: string } | null)?.deleted;
  const [status, setStatus] = useState(deletedHere ? `Deleted “${deletedHere}”.` : '');
  const generation = useRef(0);
  const restoredScroll = useRef(cached?.scrollY ?? 0);

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

  const reload = useCallback(() => {
    generation.current++;
    setItems([]);
    setNext('');
    setLoaded(false);
    void load('');
  }, [load]);

  // A kept list for this user and transport is shown as it was; otherwise (or on a switch) load anew.
  const shownKey = useRef(cached ? cacheKey : '');
  useEffect(() => {
    if (shownKey.current === cacheKey) return;
    shownKey.current = cacheKey;
    reload();
  }, [cacheKey, reload]);

  // Keep the list for the way back from a picture.
  useEffect(() => {
    gallery.current = { key: cacheKey, items, next, scrollY: gallery.current?.scrollY ?? 0 };
  }, [gallery, cacheKey, items, next]);
  useEffect(() => {
    const onScroll = () => {
      if (gallery.current) gallery.current.scrollY = window.scrollY;
    };
    window.addEventListener('scroll', onScroll, { passive: true });
    return () => window.removeEventListener('scroll', onScroll);
  }, [gallery]);
  useLayoutEffect(() => {
    if (restoredScroll.current > 0) window.scrollTo(0, restoredScroll.current);
    restoredScroll.current = 0;
  }, []);

  async function confirmDelete() {
    if (!toDelete) return;
    setDeleting(true);
    setDeleteError('');
    try {
      const r = await client.deletePicture(toDelete.id);
      setItems((cur) => cur.filter((p) => p.id !== toDelete.id));
      setMeta(r.meta);
      setStatus(`Deleted “${toDelete.title}”.`);
      setToDelete(null);
    } catch (e) {
      setDeleteError(message(e));
    } finally {
      setDeleting(false);
    }
  }

  const count = `${items.length} ${items.length === 1 ? 'picture' : 'pictures'}`;

  return (
    <main data-testid="gallery-page">
      <div className="page-head">
        <h1>Gallery</h1>
        <button type="button" onClick={reload} disabled={loading} data-testid="gallery-reload">
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
            <Link
              to={`/pictures/${encodeURIComponent(p.id)}`}
              state={{ picture: p }}
              className="tile-link"
              data-testid="open-picture"
            >
              <Thumbnail picture={p} />
              <span className="tile-title" data-testid="picture-title">
                {p.title}
              </span>
            </Link>
            <div className="tile-foot">
              <span className="tile-meta">
                <time dateTime={p.created_at} data-testid="picture-date">
                  {formatShortDate(p.created_at)}
                </time>
                <span>
                  <span data-testid="picture-type">{formatType(p.content_type)}</span> ·{' '}
                  <span data-testid="picture-size">{formatBytes(p.size)}</span>
                </span>
                {p.width > 0 && p.height > 0 ? (
                  <span data-testid="picture-dimensions">
                    {p.width} × {p.height} px
                  </span>
                ) : null}
              </span>
              <button
                type="button"
                className="icon danger delete"
                onClick={() => setToDelete(p)}
                aria-label={`Delete ${p.title}`}
                data-testid="delete-picture"
              >
                <span aria-hidden="true">✕</span>
              </button>
            </div>
          </li>
        ))}
      </ul>
      {items.length > 0 ? (
        <div className="paging">
          <p className="help" data-testid="gallery-count">
            {next ? `${count} shown; there are more.` : `All ${count} shown.`}
          </p>
          {next ? (
            <button type="button" onClick={() => void load(next)} disabled={loading} data-testid="load-more">
              {loading ? 'Loading…' : `Load ${PAGE_SIZE} more`}
            </button>
          ) : null}
        </div>
      ) : loading ? (
        <p className="center" role="status">
          Loading…
        </p>
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
