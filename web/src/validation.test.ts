import { describe, expect, it } from 'vitest';
import {
  checkPictureFile,
  defaultTitle,
  detectImageType,
  MAX_PICTURE_BYTES,
  validatePassword,
  tooLargeMessage,
  validateTitle,
  validateUsername,
} from './validation';

const PNG = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13];
const JPEG = [0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 0x4a, 0x46, 0x49, 0x46, 0, 1];
const GIF = [...'GIF89a'].map((c) => c.charCodeAt(0)).concat([1, 0, 1, 0, 0, 0]);
const WEBP = [...'RIFF'].map((c) => c.charCodeAt(0)).concat([0x24, 0, 0, 0], [...'WEBP'].map((c) => c.charCodeAt(0)));

describe('validateUsername', () => {
  it.each(['bob', 'alice.smith', 'a_b-c+d', 'someone@example.com', 'x'.repeat(64)])('accepts %s', (u) => {
    expect(validateUsername(u)).toBe('');
  });
  it.each([
    ['', /Enter/],
    ['ab', /at least 3/],
    ['x'.repeat(65), /at most 64/],
    ['bad name', /letters, digits/],
    ['ünï', /letters, digits/],
    ['a/b', /letters, digits/],
  ])('rejects %j', (u, msg) => {
    expect(validateUsername(u)).toMatch(msg);
  });
});

describe('validatePassword', () => {
  it('needs at least 8 characters', () => {
    expect(validatePassword('')).toMatch(/Enter/);
    expect(validatePassword('1234567')).toMatch(/at least 8/);
    expect(validatePassword('12345678')).toBe('');
  });
  it('refuses a password containing the username, in any case', () => {
    expect(validatePassword('xxAlice-2024', 'alice')).toMatch(/must not contain your username/);
    expect(validatePassword('correct-horse-42', 'alice')).toBe('');
    expect(validatePassword('ab-password', 'ab')).toBe(''); // too short a name to judge
  });
  it('states a too-large size precisely next to the limit', () => {
    expect(tooLargeMessage(Math.round(10.49 * 1024 * 1024))).toBe('The file is 10.49 MiB, larger than the 10 MiB limit.');
    expect(tooLargeMessage(10 * 1024 * 1024 + 1)).toBe('The file is 10,485,761 bytes, larger than the 10 MiB limit.');
  });
});

describe('titles', () => {
  it('validates 1–200 characters', () => {
    expect(validateTitle('')).toMatch(/Enter/);
    expect(validateTitle('   ')).toMatch(/Enter/);
    expect(validateTitle('x')).toBe('');
    expect(validateTitle('x'.repeat(200))).toBe('');
    expect(validateTitle('x'.repeat(201))).toMatch(/at most 200/);
  });
  it('defaults from the file name', () => {
    expect(defaultTitle('holiday_beach.jpg')).toBe('holiday beach');
    expect(defaultTitle('cat.photo.png')).toBe('cat.photo');
    expect(defaultTitle('.png')).toBe('.png');
    expect(defaultTitle('y'.repeat(300) + '.png')).toHaveLength(200);
    expect(validateTitle(defaultTitle('y'.repeat(300) + '.png'))).toBe('');
  });
});

describe('detectImageType', () => {
  it('recognises magic numbers', () => {
    expect(detectImageType(new Uint8Array(PNG))).toBe('image/png');
    expect(detectImageType(new Uint8Array(JPEG))).toBe('image/jpeg');
    expect(detectImageType(new Uint8Array(GIF))).toBe('image/gif');
    expect(detectImageType(new Uint8Array(WEBP))).toBe('image/webp');
    expect(detectImageType(new TextEncoder().encode('hello, world'))).toBeNull();
    expect(detectImageType(new Uint8Array([0x89, 0x50]))).toBeNull();
    expect(detectImageType(new TextEncoder().encode('RIFF....WAVE'))).toBeNull();
  });
});

describe('checkPictureFile', () => {
  it('accepts an image and rejects text, empty and oversized files', async () => {
    expect(await checkPictureFile(new Blob([new Uint8Array(PNG)]))).toEqual({ ok: true, type: 'image/png', error: '' });
    const txt = await checkPictureFile(new Blob(['just some text']));
    expect(txt.ok).toBe(false);
    expect(txt.error).toMatch(/Not an image/);
    expect((await checkPictureFile(new Blob([]))).error).toMatch(/empty/);
    const big = new Blob([new Uint8Array(PNG), new Uint8Array(MAX_PICTURE_BYTES)]);
    const r = await checkPictureFile(big);
    expect(r.ok).toBe(false);
    expect(r.error).toMatch(/10 MiB/);
    // Exactly 10 MiB is allowed.
    const edge = new Blob([new Uint8Array(PNG), new Uint8Array(MAX_PICTURE_BYTES - PNG.length)]);
    expect((await checkPictureFile(edge)).ok).toBe(true);
  });
});
