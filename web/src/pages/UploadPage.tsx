import { useEffect, useRef, useState, type DragEvent } from 'react';
import { Link } from 'react-router-dom';
import { ApiError, type CallMeta } from '../api';
import { CallInfo } from '../components/CallInfo';
import { formatBytes } from '../format';
import { useSession } from '../session';
import { checkPictureFile, defaultTitle, fileToBase64, MAX_PICTURE_TEXT, TITLE_MAX, validateTitle } from '../validation';

type ItemState = 'checking' | 'invalid' | 'ready' | 'uploading' | 'done' | 'failed';

interface Item {
  key: number;
  file: File;
  preview: string;
  title: string;
  state: ItemState;
  error: string;
  progress: number;
  meta: CallMeta | null;
}

let nextKey = 1;

export function UploadPage() {
  const { client, gallery } = useSession();
  const [items, setItems] = useState<Item[]>([]);
  const [dragging, setDragging] = useState(false);
  const [busy, setBusy] = useState(false);
  const inputRef = useRef<HTMLInputElement>(null);
  const itemsRef = useRef(items);
  itemsRef.current = items;

  // Free preview object URLs when leaving the page.
  useEffect(() => () => itemsRef.current.forEach((i) => i.preview && URL.revokeObjectURL(i.preview)), []);

  const update = (key: number, patch: Partial<Item>) =>
    setItems((cur) => cur.map((i) => (i.key === key ? { ...i, ...patch } : i)));

  function addFiles(files: FileList | File[] | null) {
    if (!files) return;
    const added: Item[] = Array.from(files).map((file) => ({
      key: nextKey++,
      file,
      preview: '',
      title: defaultTitle(file.name),
      state: 'checking',
      error: '',
      progress: 0,
      meta: null,
    }));
    setItems((cur) => [...cur, ...added]);
    for (const item of added) {
      void checkPictureFile(item.file).then((c) => {
        if (c.ok) update(item.key, { state: 'ready', preview: URL.createObjectURL(item.file) });
        else update(item.key, { state: 'invalid', error: c.error });
      });
    }
  }

  function remove(key: number) {
    setItems((cur) => {
      const it = cur.find((i) => i.key === key);
      if (it?.preview) URL.revokeObjectURL(it.preview);
      return cur.filter((i) => i.key !== key);
    });
  }

  async function uploadOne(item: Item) {
    update(item.key, { state: 'uploading', progress: 0, error: '' });
    try {
      const base64 = await fileToBase64(item.file);
      const r = await client.createPicture(item.title.trim(), base64, (loaded, total) =>
        update(item.key, { progress: total > 0 ? loaded / total : 0 }),
      );
      update(item.key, { state: 'done', progress: 1, meta: r.meta });
      gallery.current = null; // the kept gallery list lacks this picture now
    } catch (e) {
      update(item.key, {
        state: 'failed',
        error: e instanceof ApiError || e instanceof Error ? e.message : String(e),
        meta: e instanceof ApiError ? e.meta : null,
      });
    }
  }

  const pending = items.filter((i) => (i.state === 'ready' || i.state === 'failed') && !validateTitle(i.title));
  const titlesBad = items.some((i) => (i.state === 'ready' || i.state === 'failed') && validateTitle(i.title));

  async function uploadAll() {
    setBusy(true);
    try {
      // Two at a time: each shows its own progress bar.
      const queue = [...pending];
      const worker = async () => {
        for (let it = queue.shift(); it; it = queue.shift()) await uploadOne(it);
      };
      await Promise.all([worker(), worker()]);
    } finally {
      setBusy(false);
    }
  }

  function onDrop(e: DragEvent) {
    e.preventDefault();
    setDragging(false);
    addFiles(e.dataTransfer.files);
  }

  const doneCount = items.filter((i) => i.state === 'done').length;

  return (
    <main data-testid="upload-page">
      <h1>Upload pictures</h1>
      <div
        className={`dropzone${dragging ? ' dragging' : ''}`}
        data-testid="dropzone"
        onDragOver={(e) => {
          e.preventDefault();
          setDragging(true);
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={onDrop}
      >
        <p>Drag and drop pictures here, or</p>
        <label className="button primary" htmlFor="file-input">
          Choose pictures…
        </label>
        <input
          id="file-input"
          ref={inputRef}
          className="visually-hidden-input"
          type="file"
          accept="image/png,image/jpeg,image/gif,image/webp"
          multiple
          aria-label="Choose pictures to upload"
          data-testid="upload-input"
          onChange={(e) => {
            addFiles(e.target.files);
            e.target.value = '';
          }}
        />
        <p className="help">PNG, JPEG, GIF or WebP, up to {MAX_PICTURE_TEXT} each.</p>
      </div>

      {items.length > 0 ? (
        <ul className="upload-list" aria-label="Files to upload" data-testid="upload-list">
          {items.map((it) => {
            const titleError = validateTitle(it.title);
            const editable = it.state === 'ready' || it.state === 'failed';
            return (
              <li key={it.key} className={`upload-item ${it.state}`} data-testid="upload-item" data-state={it.state}>
                <div className="preview">
                  {it.preview ? <img src={it.preview} alt={`Preview of ${it.file.name}`} /> : <span aria-hidden="true">?</span>}
                </div>
                <div className="upload-body">
                  <div className="upload-name">
                    <span data-testid="upload-filename">{it.file.name}</span> <small>{formatBytes(it.file.size)}</small>
                  </div>
                  {it.state !== 'invalid' ? (
                    <div className="field">
                      <label htmlFor={`title-${it.key}`}>Title</label>
                      <input
                        id={`title-${it.key}`}
                        value={it.title}
                        maxLength={TITLE_MAX + 50}
                        disabled={!editable}
                        onChange={(e) => update(it.key, { title: e.target.value })}
                        aria-invalid={titleError ? true : undefined}
                        aria-describedby={titleError ? `title-err-${it.key}` : undefined}
                        data-testid="upload-title"
                      />
                      {titleError && editable ? (
                        <small className="error" id={`title-err-${it.key}`} data-testid="upload-title-error">
                          {titleError}
                        </small>
                      ) : null}
                    </div>
                  ) : null}
                  {it.state === 'uploading' || it.state === 'done' ? (
                    <progress
                      max={1}
                      value={it.progress}
                      aria-label={`Upload progress of ${it.file.name}`}
                      data-testid="upload-progress"
                    />
                  ) : null}
                  {it.error ? (
                    <p className="error" role="alert" data-testid="upload-error">
                      {it.error}
                    </p>
                  ) : null}
                  {it.state === 'done' ? (
                    <p className="ok" data-testid="upload-done">
                      Uploaded.
                    </p>
                  ) : null}
                  <CallInfo meta={it.meta} testId="upload-call-info" />
                </div>
                <button
                  type="button"
                  className="icon"
                  onClick={() => remove(it.key)}
                  disabled={it.state === 'uploading'}
                  aria-label={`Remove ${it.file.name} from the list`}
                  data-testid="upload-remove"
                >
                  ✕
                </button>
              </li>
            );
          })}
        </ul>
      ) : null}

      <div className="actions">
        <button
          type="button"
          className="primary"
          onClick={() => void uploadAll()}
          disabled={busy || pending.length === 0}
          data-testid="upload-submit"
        >
          {busy ? 'Uploading…' : `Upload ${pending.length || ''} ${pending.length === 1 ? 'picture' : 'pictures'}`.replace('  ', ' ')}
        </button>
        {items.some((i) => i.state === 'done' || i.state === 'invalid') ? (
          <button
            type="button"
            onClick={() => setItems((cur) => cur.filter((i) => i.state !== 'done' && i.state !== 'invalid'))}
            data-testid="upload-clear"
          >
            Clear finished
          </button>
        ) : null}
        {doneCount > 0 ? (
          <Link to="/gallery" data-testid="upload-to-gallery">
            View {doneCount} in the gallery
          </Link>
        ) : null}
      </div>
      {titlesBad ? <p className="error">Fix the titles marked above before uploading.</p> : null}
    </main>
  );
}
