// Runs before uPlot and the page: settles on a locale Intl accepts.
//
// Chromium started with LANG=C.UTF-8 (the default of many servers and
// containers) reports navigator.language as `en-US@posix`, which is not a
// BCP 47 tag: `new Intl.NumberFormat('en-US@posix')` throws "Invalid language
// tag". uPlot builds such a formatter from navigator.language while it loads,
// so every chart would fail. We pick the first of the browser's languages
// that Intl accepts (trying each without its `@…` part too), else en-US,
// publish it for the page, and make navigator.language answer with it.
(() => {
  const canonical = (tag) => {
    try {
      return Intl.getCanonicalLocales(tag)[0];
    } catch {
      return undefined;
    }
  };
  const wanted = [...(navigator.languages ?? []), navigator.language].filter(
    (tag) => typeof tag === 'string' && tag !== '',
  );
  const locale =
    wanted.map((tag) => canonical(tag) ?? canonical(tag.split('@')[0])).find(Boolean) ?? 'en-US';
  globalThis.pricestreamLocale = locale;
  if (canonical(navigator.language) === undefined) {
    Object.defineProperty(navigator, 'language', { value: locale, configurable: true });
  }
})();
