import { contrastRatio } from "./colour";

// Pure, so the brand page's live preview shows the same verdict the server will give; it lives in
// server/domain because client components may import from there and not from server/services.

/** The dark text colour the panel puts on light brand colours (globals.css --brand-accent-fg). */
export const DARK_TEXT = "#111827";
export const WHITE_TEXT = "#ffffff";
/** WCAG AA for normal-size text: button labels and the header on the brand colour. */
export const MIN_CONTRAST = 4.5;

export type TextOnColour = {
  /** The text colour to use on this background: whichever of white and near-black reads better. */
  text: string;
  ratio: number;
  whiteRatio: number;
  darkRatio: number;
  readable: boolean;
};

export function textOnColour(background: string): TextOnColour {
  const whiteRatio = contrastRatio(WHITE_TEXT, background);
  const darkRatio = contrastRatio(DARK_TEXT, background);
  const white = whiteRatio >= darkRatio;
  const ratio = white ? whiteRatio : darkRatio;
  return { text: white ? WHITE_TEXT : DARK_TEXT, ratio, whiteRatio, darkRatio, readable: ratio >= MIN_CONTRAST };
}

/** Rounded down, so "4.5:1" is never shown for a colour that fails at 4.49. */
export function formatRatio(ratio: number): string {
  return `${(Math.floor(ratio * 100) / 100).toFixed(2)}:1`;
}

/** The sentence shown next to the colour field when neither text colour is readable on it. */
export function contrastProblem(background: string): string | null {
  const t = textOnColour(background);
  if (t.readable) return null;
  return (
    `Text is hard to read on ${background}: white text reaches ${formatRatio(t.whiteRatio)} and dark text ` +
    `${formatRatio(t.darkRatio)}, and one of them needs at least ${MIN_CONTRAST}:1. Pick a darker or lighter shade.`
  );
}
