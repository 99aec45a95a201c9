import { describe, expect, it } from 'vitest';
import { barPercent, formatBytes, formatDate, formatMs, formatShortDate, formatType, percentile } from './format';

describe('formatting', () => {
  it('formats bytes', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1023)).toBe('1023 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(10 * 1024 * 1024)).toBe('10 MiB');
    expect(formatBytes(-1)).toBe('—');
  });
  it('shows two decimals, so 10.49 MiB is never "10 MiB"', () => {
    expect(formatBytes(Math.round(10.49 * 1024 * 1024))).toBe('10.49 MiB');
    expect(formatBytes(10 * 1024 * 1024 + 1)).toBe('10 MiB'); // validation says such sizes in bytes
    expect(formatBytes(10 * 1024 * 1024 + 10_000)).toBe('10.01 MiB');
    expect(formatBytes(1.999 * 1024)).toBe('2 KiB');
  });
  it('names picture types and short dates', () => {
    expect(formatType('image/png')).toBe('PNG');
    expect(formatType('image/jpeg')).toBe('JPEG');
    expect(formatType('image/webp')).toBe('WEBP');
    expect(formatType('')).toBe('—');
    expect(formatShortDate('2024-05-01T12:34:56Z', 'en-GB')).toMatch(/2024/);
    expect(formatShortDate('')).toBe('—');
  });
  it('formats milliseconds', () => {
    expect(formatMs(1.234)).toBe('1.23 ms');
    expect(formatMs(12.34)).toBe('12.3 ms');
    expect(formatMs(123.4)).toBe('123 ms');
    expect(formatMs(1500)).toBe('1.50 s');
    expect(formatMs(null)).toBe('—');
  });
  it('formats dates and tolerates missing ones', () => {
    expect(formatDate('')).toBe('—');
    expect(formatDate('not a date')).toBe('—');
    expect(formatDate('2024-05-01T12:34:56Z', 'en-GB')).toMatch(/2024/);
  });
  it('scales bars', () => {
    expect(barPercent(5, 10)).toBe(50);
    expect(barPercent(0, 10)).toBe(0);
    expect(barPercent(0.001, 1000)).toBe(1);
    expect(barPercent(5, 0)).toBe(0);
  });
});

describe('percentile', () => {
  it('interpolates', () => {
    expect(percentile([], 50)).toBe(0);
    expect(percentile([7], 95)).toBe(7);
    expect(percentile([4, 1, 3, 2], 50)).toBe(2.5);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], 95)).toBeCloseTo(10.5);
  });
});
