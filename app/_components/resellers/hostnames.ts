// The forms edit hostnames and nameservers as one textarea line each; the server answers with
// errors keyed "hostnames.2". These turn one into the other.

export function linesToList(text: string): string[] {
  return text
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "");
}

/** All messages for a list field ("hostnames" and "hostnames.N"), each naming its line. */
export function listFieldError(fieldErrors: Record<string, string>, field: string): string | null {
  const messages: string[] = [];
  for (const [key, message] of Object.entries(fieldErrors)) {
    if (key === field) messages.push(message);
    else if (key.startsWith(`${field}.`)) {
      const index = Number(key.slice(field.length + 1));
      messages.push(Number.isInteger(index) ? `Line ${index + 1}: ${message}` : message);
    }
  }
  return messages.length > 0 ? messages.join(" ") : null;
}
