// JSON inside an HTML <script>: the one place our pages embed data. JSON.stringify alone lets a string
// holding "</script>" end the element and run what follows (an imported CSV's `source` field did); every
// "<", ">" and "&" and the JavaScript line separators U+2028/U+2029 are written as \u escapes, which JSON
// and JavaScript read back as the same characters.
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}
