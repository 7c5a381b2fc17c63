// Homoglyph rules for internationalised names, after the policy browsers apply before showing a
// name in Unicode (otherwise they show the xn-- form): one label may not mix scripts, except
// Latin with the CJK sets a Chinese, Japanese or Korean name really uses, and a label written
// wholly in Cyrillic letters that all look Latin is refused under an ASCII top-level domain
// ("аррӏе.com"). Works on the Unicode form, so an xn-- label is judged by what it decodes to.

// The scripts we name; any other letter is judged as its own script "Other".
const scripts = [
  "Latin", "Greek", "Cyrillic", "Armenian", "Hebrew", "Arabic", "Syriac", "Thaana", "Devanagari", "Bengali",
  "Gurmukhi", "Gujarati", "Oriya", "Tamil", "Telugu", "Kannada", "Malayalam", "Sinhala", "Thai", "Lao",
  "Tibetan", "Myanmar", "Georgian", "Hangul", "Ethiopic", "Cherokee", "Khmer", "Mongolian", "Hiragana",
  "Katakana", "Bopomofo", "Han",
] as const;
const scriptRegexes = scripts.map((name) => [name, new RegExp(`^\\p{Script=${name}}$`, "u")] as const);
// Digits, hyphens, emoji and combining marks belong to no script of their own.
const neutral = /^[\p{Script=Common}\p{Script=Inherited}]$/u;

// The script combinations a real name uses: Japanese, Chinese and Korean names mix Han with their
// own scripts, and with Latin (brand names).
const allowedMixes: ReadonlyArray<ReadonlySet<string>> = [
  new Set(["Latin", "Han", "Hiragana", "Katakana"]),
  new Set(["Latin", "Han", "Bopomofo"]),
  new Set(["Latin", "Han", "Hangul"]),
];

// Cyrillic letters that read as Latin ones in common fonts (а с ԁ е һ і ј ӏ о р ԛ ѕ ԝ х у ъ ь ҽ п г ѵ ѡ).
const cyrillicLatinLookalikes = /^[\u0430\u0441\u0501\u0435\u04bb\u0456\u0458\u04cf\u043e\u0440\u051b\u0455\u051d\u0445\u0443\u044a\u044c\u04bd\u043f\u0433\u0475\u0461]+$/u;

function scriptOf(ch: string): string | null {
  if (neutral.test(ch)) return null;
  for (const [name, re] of scriptRegexes) if (re.test(ch)) return name;
  return "Other";
}

/** The scripts of a label's letters, neutral characters left out. */
export function labelScripts(label: string): Set<string> {
  const found = new Set<string>();
  for (const ch of label) {
    const s = scriptOf(ch);
    if (s) found.add(s);
  }
  return found;
}

/** Why a name (in Unicode form, lower case) could pass for another, or null. */
export function homoglyphReason(unicodeName: string): string | null {
  const labels = unicodeName.split(".");
  const tldIsAscii = /^[\x00-\x7f]*$/.test(labels[labels.length - 1] ?? "");
  for (const label of labels) {
    const found = labelScripts(label);
    if (found.size > 1 && !allowedMixes.some((mix) => [...found].every((s) => mix.has(s)))) {
      return `"${label}" mixes letters of different scripts (${[...found].sort().join(", ")}), which makes names that look like others; use one script per part.`;
    }
    const letters = label.replace(/[\p{Script=Common}\p{Script=Inherited}]/gu, "");
    if (tldIsAscii && letters !== "" && found.size === 1 && found.has("Cyrillic") && cyrillicLatinLookalikes.test(letters)) {
      return `"${label}" is written in Cyrillic letters that look like Latin ones, so it passes for another name; it is refused.`;
    }
  }
  return null;
}
