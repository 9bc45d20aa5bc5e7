/**
 * The little of the DOM that the browser tests' in-page code uses
 * (page.evaluate, waitForFunction): this project's TypeScript has no DOM types.
 */
export interface PageElement {
  id: string;
  hidden: boolean;
  textContent: string | null;
  getAttribute(name: string): string | null;
  querySelector(selector: string): PageElement | null;
  querySelectorAll(selector: string): Iterable<PageElement>;
  // Canvas only.
  width: number;
  height: number;
  getContext(kind: '2d'): {
    getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray };
  } | null;
}
