/** Splits what the user typed into tags: commas (ASCII or Japanese) or whitespace separate them. */
export function parseTags(text: string): string[] {
  return (
    text
      .split(/[,、,\s]+/)
      // Lowercased as the server stores them, so the chips preview exactly what will be saved.
      .map((tag) => tag.replace(/^#/, '').toLowerCase())
      .filter(Boolean)
  );
}
