/** Props of `Avatar`. */
export interface AvatarProps {
  name: string;
  /** Background colour, one of `AVATAR_COLORS`. */
  color: string;
  size?: 'sm' | 'md' | 'lg';
}

const segmenter = typeof Intl !== 'undefined' && 'Segmenter' in Intl ? new Intl.Segmenter(undefined, { granularity: 'grapheme' }) : null;

function firstGrapheme(word: string): string {
  if (segmenter) {
    for (const { segment } of segmenter.segment(word)) return segment;
    return '';
  }
  return Array.from(word)[0] ?? '';
}

/**
 * Up to two initials: the first letter of the first two words ("Ada Lovelace" → "AL"), or the
 * first character of a single word ("たろう" → "た"). Graphemes, so an emoji is not cut in half.
 */
export function initials(name: string): string {
  const words = name.trim().split(/\s+/).filter(Boolean);
  const letters = words.slice(0, 2).map(firstGrapheme).join('');
  return (letters || '?').toUpperCase();
}

/** Dark or white text, whichever reads better on `hex` (WCAG relative luminance). */
export function textColorOn(hex: string): string {
  const m = /^#?([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex);
  if (!m) return '#fff';
  const [r, g, b] = [m[1], m[2], m[3]].map((h) => {
    const c = parseInt(h ?? '0', 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  }) as [number, number, number];
  const luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b;
  // Contrast with white is (1.05)/(L+0.05); with near-black (#1a1a1a, L≈0.01) it is (L+0.05)/0.06.
  return 1.05 / (luminance + 0.05) >= (luminance + 0.05) / 0.06 ? '#fff' : '#1a1a1a';
}

/** The user's initials on their chosen colour. Decorative: the name is always shown beside it. */
export function Avatar({ name, color, size = 'md' }: AvatarProps) {
  return (
    <span class={`avatar avatar--${size}`} style={{ backgroundColor: color, color: textColorOn(color) }} aria-hidden="true">
      {initials(name)}
    </span>
  );
}
