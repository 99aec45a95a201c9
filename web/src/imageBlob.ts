// Pictures shown from blob: URLs, fetched with the Authorization header (no token in any URL).
import { useEffect, useState, type RefObject } from 'react';
import { ApiError, type CallMeta, type ImageKind } from './api';
import { useSession } from './session';

export interface ImageBlob {
  /** A blob: URL while the component is mounted; '' until loaded. */
  url: string;
  bytes: number;
  error: string;
  call: CallMeta | null;
}

const EMPTY: ImageBlob = { url: '', bytes: 0, error: '', call: null };

/**
 * Loads `/{transport}/pictures/{id}/{kind}` into a blob: URL once `enabled`; the URL is revoked and
 * an unfinished download aborted when the id, transport or component goes away.
 */
export function useImageBlob(id: string | null, kind: ImageKind, enabled = true): ImageBlob {
  const { client, transport } = useSession();
  const [state, setState] = useState<ImageBlob>(EMPTY);

  useEffect(() => {
    if (!id || !enabled) return;
    const abort = new AbortController();
    let url = '';
    setState(EMPTY);
    client
      .image(id, kind, abort.signal)
      .then((r) => {
        if (abort.signal.aborted) return;
        url = URL.createObjectURL(r.data);
        setState({ url, bytes: r.data.size, error: '', call: r.meta });
      })
      .catch((e: unknown) => {
        if (abort.signal.aborted) return;
        const error = e instanceof ApiError || e instanceof Error ? e.message : String(e);
        setState({ url: '', bytes: 0, error, call: e instanceof ApiError ? e.meta : null });
      });
    return () => {
      abort.abort();
      if (url) URL.revokeObjectURL(url);
    };
  }, [client, transport, id, kind, enabled]);

  return state;
}

/** A blob: URL for bytes already in hand (a picture opened by link arrives as base64), revoked on unmount. */
export function useBase64Blob(base64: string, contentType: string): string {
  const [url, setUrl] = useState('');
  useEffect(() => {
    if (!base64) {
      setUrl('');
      return;
    }
    const bin = atob(base64);
    const bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    const u = URL.createObjectURL(new Blob([bytes], { type: contentType || 'application/octet-stream' }));
    setUrl(u);
    return () => URL.revokeObjectURL(u);
  }, [base64, contentType]);
  return url;
}

/** True once the element has come within `margin` of the viewport (always true without IntersectionObserver). */
export function useSeen(ref: RefObject<Element | null>, margin = '300px'): boolean {
  const [seen, setSeen] = useState(typeof IntersectionObserver === 'undefined');
  useEffect(() => {
    const el = ref.current;
    if (seen || !el) return;
    const io = new IntersectionObserver(
      (entries) => {
        if (entries.some((e) => e.isIntersecting)) setSeen(true);
      },
      { rootMargin: margin },
    );
    io.observe(el);
    return () => io.disconnect();
  }, [ref, seen, margin]);
  return seen;
}
