/** The URL without its password, unless it is the well-known local one. */
export function displayUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password && parsed.password !== 'postgres') parsed.password = '****';
    return parsed.toString();
  } catch {
    return url;
  }
}
