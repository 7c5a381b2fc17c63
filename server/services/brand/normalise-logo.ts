import sharp, { type Metadata } from "sharp";
import { AppError } from "../../errors";

export const LOGO_MAX_BYTES = 1024 * 1024;
export const LOGO_MIN_SIDE = 16;
export const LOGO_MAX_SIDE = 4000;
/** Stored logos fit this box; the panel never shows one larger. */
export const LOGO_BOX = 512;

const accepted = new Set(["png", "jpeg", "webp", "gif"]);

export type NormalisedLogo = { png: Uint8Array<ArrayBuffer>; width: number; height: number };

function reject(message: string): AppError {
  return AppError.field("logo", message);
}

/**
 * Turns uploaded bytes into the PNG we store. The type comes from decoding the content (never a
 * file name or a claimed MIME type), and the stored file is a fresh encode of the decoded pixels:
 * anything riding along in the upload (appended HTML, EXIF, colour profiles, comments, further GIF
 * frames) is not in it. SVG is refused outright: it is a document that can carry script.
 */
export async function normaliseLogo(bytes: Buffer): Promise<NormalisedLogo> {
  if (bytes.length === 0) throw reject("The file is empty.");
  if (bytes.length > LOGO_MAX_BYTES) throw reject("The logo must be at most 1 MB.");

  // Checked from the header before any pixel is decoded, so a small file declaring huge
  // dimensions (a decompression bomb) is refused without allocating for it.
  const limitInputPixels = LOGO_MAX_SIDE * LOGO_MAX_SIDE;
  let meta: Metadata;
  try {
    meta = await sharp(bytes, { limitInputPixels, failOn: "warning" }).metadata();
  } catch {
    throw reject("This file is not an image we can read; upload a PNG, JPEG, WebP or GIF.");
  }
  if (meta.format === "svg") throw reject("SVG logos are not accepted; upload a PNG, JPEG, WebP or GIF.");
  if (!meta.format || !accepted.has(meta.format)) {
    throw reject(`${(meta.format ?? "This").toUpperCase()} images are not accepted; upload a PNG, JPEG, WebP or GIF.`);
  }
  const width = meta.autoOrient.width;
  const height = meta.autoOrient.height;
  if (!width || !height) throw reject("This image has no size; upload a PNG, JPEG, WebP or GIF.");
  for (const side of [width, height]) {
    if (side < LOGO_MIN_SIDE || side > LOGO_MAX_SIDE) {
      throw reject(`The logo is ${width}×${height} pixels; each side must be ${LOGO_MIN_SIDE} to ${LOGO_MAX_SIDE} pixels.`);
    }
  }

  try {
    const { data, info } = await sharp(bytes, { limitInputPixels, failOn: "warning" })
      .autoOrient()
      .resize(LOGO_BOX, LOGO_BOX, { fit: "inside", withoutEnlargement: true })
      .png({ compressionLevel: 9 })
      .toBuffer({ resolveWithObject: true });
    // Copied into a plain ArrayBuffer-backed array: the column type Prisma expects.
    return { png: new Uint8Array(data), width: info.width, height: info.height };
  } catch {
    // The header parsed but the pixels did not: truncated or corrupt data.
    throw reject("This image is damaged or incomplete; export it again and retry.");
  }
}
