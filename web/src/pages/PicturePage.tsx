import { useEffect, useRef, useState } from 'react';
import { Link, useLocation, useNavigate, useParams } from 'react-router-dom';
import { ApiError, type CallMeta, type PictureMeta } from '../api';
import { CallInfo } from '../components/CallInfo';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { formatBytes, formatDate, formatType } from '../format';
import { useBase64Blob, useImageBlob } from '../imageBlob';
import { PICTURE_PANELS } from '../picturePanels';
import { useSession } from '../session';

function message(e: unknown): string {
  return e instanceof ApiError || e instanceof Error ? e.message : String(e);
}

function extension(contentType: string): string {
  const t = formatType(contentType).toLowerCase();
  return t === 'jpeg' ? 'jpg' : t === '—' ? 'img' : t;
}

/**
 * One picture at `/pictures/:id`. Opened from the gallery its details are known and only the image
 * bytes are fetched (`/raw`); opened by link, one GetPicture brings details and bytes together.
 */
export function PicturePage() {
  const { id = '' } = useParams();
  const location = useLocation();
  const navigate = useNavigate();
  const { client, transport, gallery } = useSession();
  const given = (location.state as { picture?: PictureMeta } | null)?.picture;
  const known = given?.id === id ? given : gallery.current?.items.find((p) => p.id === id);
  const [fetched, setFetched] = useState<{ meta: PictureMeta; base64: string } | null>(null);
  const [call, setCall] = useState<CallMeta | null>(null);
  const [error, setError] = useState('');
  const [confirming, setConfirming] = useState(false);
  const [deleting, setDeleting] = useState(false);
  const [deleteError, setDeleteError] = useState('');
  const [dims, setDims] = useState<[number, number] | null>(null);
  const heading = useRef<HTMLHeadingElement>(null);

  useEffect(() => {
    if (known) return;
    let live = true;
    setError('');
    client
      .getPicture(id)
      .then((r) => {
        if (!live) return;
        const { base64, ...meta } = r.data;
        setFetched({ meta, base64 });
        setCall(r.meta);
      })
      .catch((e) => live && setError(e instanceof ApiError && e.status === 404 ? 'There is no such picture among yours.' : message(e)));
    return () => {
      live = false;
    };
    // `known` is settled on arrival; a transport switch asks again over the new transport.
  }, [client, id, transport]);

  const raw = useImageBlob(known ? id : null, 'raw');
  const fromBase64 = useBase64Blob(fetched?.base64 ?? '', fetched?.meta.content_type ?? '');
  const pic = known ?? fetched?.meta ?? null;
  const src = known ? raw.url : fromBase64;
  const imageError = known ? raw.error : '';

  useEffect(() => {
    heading.current?.focus();
  }, []);

  // Back to where the user came from when that was this app's gallery, else to the gallery.
  const cameFromApp = location.key !== 'default' && given !== undefined;
  const back = () => (cameFromApp ? navigate(-1) : navigate('/gallery'));

  async function onDelete() {
    if (!pic) return;
    setDeleting(true);
    setDeleteError('');
    try {
      await client.deletePicture(pic.id);
      if (gallery.current) gallery.current.items = gallery.current.items.filter((p) => p.id !== pic.id);
      navigate('/gallery', { replace: true, state: { deleted: pic.title } });
    } catch (e) {
      setDeleteError(message(e));
      setDeleting(false);
    }
  }

  return (
    <main className="picture-page" data-testid="picture-page">
      <nav aria-label="Picture" className="picture-nav">
        <Link
          to="/gallery"
          onClick={(e) => {
            e.preventDefault();
            back();
          }}
          data-testid="picture-back"
        >
          ← Gallery
        </Link>
      </nav>
      <h1 ref={heading} tabIndex={-1} data-testid="viewer-title">
        {pic?.title ?? (error ? 'Picture' : 'Loading…')}
      </h1>
      {error ? (
        <p className="error" role="alert" data-testid="viewer-error">
          {error} <Link to="/gallery">Back to the gallery</Link>
        </p>
      ) : null}
      {pic ? (
        <>
          <div className="picture-frame" aria-busy={!src && !imageError}>
            {src ? (
              <img
                className="full"
                src={src}
                alt={pic.title}
                data-testid="viewer-image"
                onLoad={(e) => setDims([e.currentTarget.naturalWidth, e.currentTarget.naturalHeight])}
              />
            ) : imageError ? (
              <p className="error" role="alert" data-testid="viewer-image-error">
                {imageError}
              </p>
            ) : (
              <p className="help" role="status">
                Loading the picture…
              </p>
            )}
          </div>
          <dl className="meta">
            <dt>Size</dt>
            <dd data-testid="viewer-size">{formatBytes(pic.size)}</dd>
            <dt>Type</dt>
            <dd data-testid="viewer-type">{pic.content_type || '—'}</dd>
            <dt>Dimensions</dt>
            <dd data-testid="viewer-dimensions">
              {pic.width > 0 ? `${pic.width} × ${pic.height} px` : dims ? `${dims[0]} × ${dims[1]} px` : '—'}
            </dd>
            <dt>Uploaded</dt>
            <dd data-testid="viewer-date">
              <time dateTime={pic.created_at}>{formatDate(pic.created_at)}</time>
            </dd>
          </dl>
          <CallInfo meta={known ? raw.call : call} testId="viewer-call-info" />
          <div className="actions">
            {src ? (
              <a className="button" href={src} download={`${pic.title}.${extension(pic.content_type)}`} data-testid="viewer-download">
                Download
              </a>
            ) : null}
            <button type="button" className="danger" onClick={() => setConfirming(true)} data-testid="viewer-delete">
              Delete…
            </button>
          </div>
          {PICTURE_PANELS.map((Panel, i) => (
            <Panel key={i} picture={pic} />
          ))}
        </>
      ) : null}
      {confirming && pic ? (
        <ConfirmDialog
          title="Delete this picture?"
          message={`“${pic.title}” will be deleted permanently.`}
          confirmLabel="Delete"
          busy={deleting}
          error={deleteError}
          onConfirm={() => void onDelete()}
          onCancel={() => {
            setConfirming(false);
            setDeleteError('');
          }}
        />
      ) : null}
    </main>
  );
}
