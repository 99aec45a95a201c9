// Client-side checks mirroring the API's rules, so most mistakes are caught before sending.
import { formatBytes } from './format';

export const USERNAME_RE = /^[A-Za-z0-9_.@+-]{3,64}$/;
export const PASSWORD_MIN = 8;
export const TITLE_MAX = 200;
export const MAX_PICTURE_BYTES = 10 * 1024 * 1024;

/** Returns an error message, or '' when the username is acceptable (an email address is). */
export function validateUsername(username: string): string {
  if (username.length === 0) return 'Enter a username.';
  if (username.length < 3) return 'The username must be at least 3 characters.';
  if (username.length > 64) return 'The username must be at most 64 characters.';
  if (!USERNAME_RE.test(username)) return 'Use only letters, digits and _ . @ + -';
  return '';
}

/** Shown on the sign-up form from the start, not only after a refusal. */
export const PASSWORD_RULE = `At least ${PASSWORD_MIN} characters, not a common password, and not containing your username.`;

/** Length and username checks; whether a password is too common is the server's to say. */
export function validatePassword(password: string, username = ''): string {
  if (password.length === 0) return 'Enter a password.';
  if (password.length < PASSWORD_MIN) return `The password must be at least ${PASSWORD_MIN} characters.`;
  if (username.length >= 3 && password.toLowerCase().includes(username.toLowerCase()))
    return 'The password must not contain your username.';
  return '';
}

export const MAX_PICTURE_TEXT = formatBytes(MAX_PICTURE_BYTES);

/** "The file is 10.49 MiB, larger than the 10 MiB limit." with the size never reading as the limit. */
export function tooLargeMessage(size: number): string {
  let shown = formatBytes(size);
  if (shown === MAX_PICTURE_TEXT) shown = `${size.toLocaleString('en')} bytes`;
  return `The file is ${shown}, larger than the ${MAX_PICTURE_TEXT} limit.`;
}

export function validateTitle(title: string): string {
  const t = title.trim();
  if (t.length === 0) return 'Enter a title.';
  if ([...t].length > TITLE_MAX) return `The title must be at most ${TITLE_MAX} characters.`;
  return '';
}

/** Default title from a file name: without extension, separators as spaces, at most 200 chars. */
export function defaultTitle(fileName: string): string {
  const base = fileName.replace(/\.[A-Za-z0-9]{1,5}$/, '');
  const t = base.replace(/[_]+/g, ' ').replace(/\s+/g, ' ').trim();
  return [...(t || fileName.trim() || 'Untitled')].slice(0, TITLE_MAX).join('');
}

export type ImageType = 'image/png' | 'image/jpeg' | 'image/gif' | 'image/webp';

/** Detects PNG / JPEG / GIF / WebP from the first bytes (12 are enough); null otherwise. */
export function detectImageType(b: Uint8Array): ImageType | null {
  const at = (i: number, bytes: number[]) => bytes.every((x, k) => b[i + k] === x);
  if (b.length >= 8 && at(0, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'image/png';
  if (b.length >= 3 && at(0, [0xff, 0xd8, 0xff])) return 'image/jpeg';
  if (b.length >= 6 && (at(0, [0x47, 0x49, 0x46, 0x38, 0x37, 0x61]) || at(0, [0x47, 0x49, 0x46, 0x38, 0x39, 0x61])))
    return 'image/gif';
  if (b.length >= 12 && at(0, [0x52, 0x49, 0x46, 0x46]) && at(8, [0x57, 0x45, 0x42, 0x50])) return 'image/webp';
  return null;
}

function readBytes(blob: Blob): Promise<Uint8Array> {
  if (typeof blob.arrayBuffer === 'function') return blob.arrayBuffer().then((b) => new Uint8Array(b));
  return new Promise((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => resolve(new Uint8Array(r.result as ArrayBuffer));
    r.onerror = () => reject(r.error);
    r.readAsArrayBuffer(blob);
  });
}

export interface FileCheck {
  ok: boolean;
  type: ImageType | null;
  error: string;
}

/** Checks size and magic number before uploading. */
export async function checkPictureFile(file: Blob & { name?: string }): Promise<FileCheck> {
  if (file.size === 0) return { ok: false, type: null, error: 'The file is empty.' };
  if (file.size > MAX_PICTURE_BYTES)
    return { ok: false, type: null, error: tooLargeMessage(file.size) };
  const type = detectImageType(await readBytes(file.slice(0, 12)));
  if (!type) return { ok: false, type: null, error: 'Not an image: only PNG, JPEG, GIF and WebP files are accepted.' };
  return { ok: true, type, error: '' };
}

/** Reads a file as base64 (no data: prefix). */
export function fileToBase64(file: Blob): Promise<string> {
  return new Promise((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => {
      const s = String(r.result);
      resolve(s.slice(s.indexOf(',') + 1));
    };
    r.onerror = () => reject(r.error);
    r.readAsDataURL(file);
  });
}
